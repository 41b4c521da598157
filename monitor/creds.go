// The kernel's table of last known credentials (bpf/creds.h task_creds),
// seeded at start with every thread already running.
//
// Why: a credential change (a set*id call, a set-uid exec) is judged
// against the task's last known credentials, not against a copy taken at
// the call's entry, so that no syscall needs an entry program.  The kernel
// learns a task's credentials at its birth, its execs and each monitored
// syscall; a task older than the monitor would otherwise be unknown until
// its first monitored call, and a setuid or set-uid exec as that first
// call would go unjudged.

package monitor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

// seedCreds writes the credentials of every thread under /proc into the
// kernel's table, leaving alone those the kernel already holds (newer than
// /proc's: the hooks are attached by now).  A thread that exits meanwhile
// is skipped.  Returns how many were written.
func (k *kernelMaps) seedCreds(proc string) (int, error) {
	pids, err := os.ReadDir(proc)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pids {
		if _, err := strconv.ParseUint(p.Name(), 10, 32); err != nil {
			continue
		}
		tids, err := os.ReadDir(proc + "/" + p.Name() + "/task")
		if err != nil {
			continue // gone
		}
		for _, t := range tids {
			tid, err := strconv.ParseUint(t.Name(), 10, 32)
			if err != nil {
				continue
			}
			status, err := os.ReadFile(proc + "/" + p.Name() + "/task/" + t.Name() + "/status")
			if err != nil {
				continue // gone
			}
			c, err := parseStatusCreds(status)
			if err != nil {
				return n, fmt.Errorf("%s/%s/task/%s/status: %w", proc, p.Name(), t.Name(), err)
			}
			key := uint32(tid)
			err = k.taskCreds.UpdateValueFlags(unsafe.Pointer(&key), unsafe.Pointer(&c), bpf.MapFlagUpdateNoExist)
			if err != nil && !errors.Is(err, os.ErrExist) {
				return n, fmt.Errorf("tid %d: %w", tid, err)
			}
			if err == nil {
				n++
			}
		}
	}
	return n, nil
}

// parseStatusCreds reads the Uid, Gid, CapPrm and CapEff lines of a
// /proc/<pid>/status file into a struct cred_snap.
func parseStatusCreds(status []byte) (event.Creds, error) {
	var c event.Creds
	var ids [2][4]uint32
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(val)
		switch string(name) {
		case "Uid", "Gid":
			if len(f) != 4 {
				return c, fmt.Errorf("%s: %q", name, val)
			}
			row := &ids[0]
			if string(name) == "Gid" {
				row = &ids[1]
			}
			for i := range f {
				v, err := strconv.ParseUint(string(f[i]), 10, 32)
				if err != nil {
					return c, fmt.Errorf("%s: %w", name, err)
				}
				row[i] = uint32(v)
			}
			seen++
		case "CapPrm", "CapEff":
			if len(f) != 1 {
				return c, fmt.Errorf("%s: %q", name, val)
			}
			v, err := strconv.ParseUint(string(f[0]), 16, 64)
			if err != nil {
				return c, fmt.Errorf("%s: %w", name, err)
			}
			if string(name) == "CapPrm" {
				c.CapPermitted = v
			} else {
				c.CapEffective = v
			}
			seen++
		}
	}
	if seen != 4 {
		return c, fmt.Errorf("%d of the Uid, Gid, CapPrm and CapEff lines", seen)
	}
	c.UID, c.EUID, c.SUID, c.FSUID = ids[0][0], ids[0][1], ids[0][2], ids[0][3]
	c.GID, c.EGID, c.SGID, c.FSGID = ids[1][0], ids[1][1], ids[1][2], ids[1][3]
	return c, nil
}
