package rules

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// UsernsMax bounds the processes remembered as having made a user
// namespace while not root; past it, new ones are not remembered.
const UsernsMax = 4096

// Userns derives a privilege record from a sequence: a process that made a
// user namespace while not root (unshare or clone with CLONE_NEWUSER), or
// one of its children, then uses that namespace's root for a mount, setns,
// a module load or capset -- the usual first step of a container escape or
// a kernel exploit.  Each call alone is ordinary; the sequence is not.  It
// keeps per-process state, so the processor tells it about forks and exits.
type Userns struct {
	made map[uint32]bool
}

// Syscall notes a namespace made by r's process, or returns the privilege
// record r's call derives (nil when none).
func (u *Userns) Syscall(r *record.Record) *record.Record {
	s := r.Syscall
	if s == nil || r.Process == nil {
		return nil
	}
	if u.made == nil {
		u.made = map[uint32]bool{}
	}
	switch s.Name {
	case "unshare", "clone", "clone3":
		flags := s.Raw[0]
		if s.Name == "clone3" {
			flags = s.RawDeref // struct clone_args starts with flags
		}
		if flags&unix.CLONE_NEWUSER == 0 || r.Process.UID == 0 || s.Ret < 0 || len(u.made) >= UsernsMax {
			return nil
		}
		pid := r.Process.PID
		if s.Name != "unshare" {
			pid = uint32(s.Ret) // the child lives in the new namespace
		}
		u.made[pid] = true
	case "mount", "umount2", "setns", "init_module", "finit_module", "capset", "pivot_root",
		"chroot", "move_mount", "fsmount":
		if !u.made[r.Process.PID] {
			return nil
		}
		c := record.Creds{UID: r.Process.UID, EUID: r.Process.EUID, GID: r.Process.GID, EGID: r.Process.EGID,
			SUID: r.Process.UID, FSUID: r.Process.EUID}
		return &record.Record{
			Time:     r.Time,
			Severity: record.Info,
			Event:    "privilege",
			Category: record.CatPrivilege,
			Message: fmt.Sprintf("%s (uid %d) used its user namespace's root for %s", r.Process.Exe,
				r.Process.UID, s.Name),
			Process: r.Process,
			Priv:    &record.Privilege{Means: "userns", Syscall: s.Name, ExeUID: -1, Before: c, After: c},
			Error:   r.Error,
		}
	}
	return nil
}

// Fork: a child shares its parent's user namespace.
func (u *Userns) Fork(parent, child uint32) {
	if u.made[parent] && len(u.made) < UsernsMax {
		u.made[child] = true
	}
}

// Exit forgets a process.
func (u *Userns) Exit(pid uint32) { delete(u.made, pid) }
