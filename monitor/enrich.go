// Enrichment: the process table and /proc give each record its process
// (exe, ancestry, credentials); the kernel record alone has ids and comm.

package monitor

import (
	"fmt"
	"os"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/proc"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// processFrom builds the record's process from the kernel's header and the
// process table.
func (p *processor) processFrom(h *event.Header, exe []byte) *record.Process {
	rp := &record.Process{
		PID: h.PID, TID: h.TID, PPID: h.PPID,
		UID: h.UID, GID: h.GID, EUID: h.EUID, EGID: h.EGID,
		LoginUID: h.LoginUID, HasLoginUID: h.HasLoginUID() && h.LoginUID != unsetLoginUID,
		Comm:   h.Comm,
		Exe:    exe,
		Compat: h.Compat(),

		ExeDeleted: h.ExeDeleted(),
	}
	if h.MntNS != 0 && h.MntNS != p.hostIno.mnt {
		rp.MntNS = h.MntNS
	}
	if h.PidNS != 0 && h.PidNS != p.hostIno.pid {
		rp.PidNS, rp.VPID = h.PidNS, h.VPID
		rp.ParentOutsideNS = h.ParentOutside()
	}
	if h.NetNS != 0 && h.NetNS != p.hostIno.net {
		rp.NetNS = h.NetNS
	}
	if h.UserNS != 0 && h.UserNS != p.hostIno.user {
		rp.UserNS = h.UserNS
	}
	if e := p.table.Get(h.PID); e != nil {
		rp.EntityID = e.EntityID
		if e.Start != 0 {
			rp.StartTime = p.wallTime(e.Start)
		}
		if e.Script != "" {
			rp.Script = []byte(e.Script)
		}
		if h.Chrooted() && e.Root != "" {
			rp.Root = []byte(e.Root)
		}
	}
	if rp.MntNS == 0 && !h.Chrooted() {
		rp.User = p.accts.nameOf(h.EUID)
	}
	var anc [proc.MaxAncestry]proc.Ancestor
	chain := p.table.Ancestry(anc[:0], h.PID)
	if len(chain) > 0 && chain[0].PID == h.PPID {
		rp.ParentEntityID = chain[0].EntityID // the walk found the parent already
	}
	rp.Ancestry = make([]record.Ancestor, len(chain)) // one allocation, never nil
	for i, a := range chain {
		rp.Ancestry[i] = record.Ancestor{PID: a.PID, Exe: a.Exe, Script: a.Script}
	}
	return rp
}

// track updates the table entry of the acting process from its header.
func (p *processor) track(h *event.Header) *proc.Process {
	e := p.table.Upsert(h.PID)
	e.PPID = h.PPID
	e.UID = h.UID
	if e.Comm != string(h.Comm) { // compared without a copy; copied when it changed
		e.Comm = string(h.Comm)
	}
	return e
}

// isService says whether a process looks like a system service: started
// by init, or a daemon binary.  The rules issue makes this policy.
func (p *processor) isService(e *proc.Process) bool {
	if e.PPID == 1 {
		return true
	}
	return rules.IsServiceExe(e.Exe)
}

func credsOf(h *event.Header) record.Creds {
	return record.Creds{UID: h.UID, EUID: h.EUID, GID: h.GID, EGID: h.EGID, SUID: h.UID, FSUID: h.EUID}
}

// knowExe fills a table entry's exe from /proc when the table has none (a
// process that started before the monitor, or was evicted).
func (p *processor) knowExe(e *proc.Process) {
	if e.Exe == "" {
		e.Exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", e.PID))
	}
}

// exeOf returns a process's executable from the table, else from /proc.
func (p *processor) exeOf(pid uint32) string {
	if e := p.table.Get(pid); e != nil && e.Exe != "" {
		return e.Exe
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return exe
}

// isDescendant says whether pid is a child of ancestor, or a child's child
// and so on (at most 8 generations), by the process table, else /proc.
func (p *processor) isDescendant(pid, ancestor uint32) bool {
	for i := 0; i < 8 && pid > 1; i++ {
		ppid := uint32(0)
		if e := p.table.Get(pid); e != nil && e.PPID != 0 {
			ppid = e.PPID
		} else if pp, ok := proc.PPIDOf(pid); ok {
			ppid = pp
		}
		if ppid == ancestor {
			return true
		}
		pid = ppid
	}
	return false
}
