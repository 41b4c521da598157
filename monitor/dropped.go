// Dropped binaries: the files of system directories that a write raising
// system-binary-dropped put there (anything but the package manager), by
// whom, so that the exec of one can say so (exec.dropped_by; rules:
// dropped-binary-run).  A correlation of the detector's, kept here.

package monitor

import (
	"strconv"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

const droppedLimit = 4096 // files remembered at once

// droppedRule is the rule whose alerts name a dropped file.
const droppedRule = "system-binary-dropped"

// dropped maps a path of class system-binaries to the executable that
// last wrote, created, renamed or linked it there, raising droppedRule.
type dropped struct {
	by map[string]string
}

// note remembers the writer of a system file from a judged, successful
// file record that raised droppedRule (the destination of a rename or
// link, else its path).
func (d *dropped) note(r *record.Record) {
	f := r.File
	if f == nil || r.Error != "" || !raised(r, droppedRule) {
		return
	}
	path := f.Path
	switch r.Event {
	case "rename", "link":
		path = f.TargetPath
	case "unlink", "rmdir", "chown":
		return
	}
	if d.by == nil {
		d.by = map[string]string{}
	}
	if len(d.by) >= droppedLimit {
		for k := range d.by { // bounded memory first: drop an arbitrary one
			delete(d.by, k)
			break
		}
	}
	d.by[droppedKey(r.Process.MntNS, path)] = string(r.Process.Exe)
}

// droppedKey names a file in one mount namespace's tree: a container's
// /usr/local/bin/x is not the host's, nor another container's.
func droppedKey(mntNS uint32, path []byte) string {
	return strconv.FormatUint(uint64(mntNS), 10) + ":" + string(path)
}

func raised(r *record.Record, rule string) bool {
	for _, x := range r.Rules {
		if x.Name == rule {
			return true
		}
	}
	return false
}

// writer is who last dropped exe since the monitor started, or "".
func (d *dropped) writer(mntNS uint32, exe []byte) string { return d.by[droppedKey(mntNS, exe)] }
