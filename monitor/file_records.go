// Records of file operations on watched paths.

package monitor

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"golang.org/x/sys/unix"
)

// fileVia names the path an operation took when it was not a syscall.
func fileVia(flags uint32) string {
	switch {
	case flags&event.FileFlagIOUring != 0:
		return "io_uring"
	case flags&event.FileFlagLSMHook != 0:
		return "security_file_open"
	}
	return ""
}

// onFile reports an access to a watched path (the kernel sent only those).
func (p *processor) onFile(e *event.File) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	// a chrooted process's paths as it sees them; the longer ones kept
	root, path, chrooted := e.SplitRoot(e.Path, e.PathRootLen)
	_, target, _ := e.SplitRoot(e.Target, e.TargetRootLen)
	if chrooted && entry.Root == "" {
		entry.Root = string(root)
	}
	f := &record.File{
		Path:          path,
		RequestedPath: e.Requested,
		TargetPath:    target,
		OpenFlags:     e.OpFlags,
		FD:            -1,
		Resolved:      e.Flags&event.FileFlagResolved != 0,
		Via:           fileVia(e.Flags),
		PathTruncated: e.Flags&event.FileFlagPathTruncated != 0,
	}
	owner := int64(-1)
	// an unwatched path was reported for what was done to it (a set-id bit)
	if w, ok := p.watch.Lookup(e.WatchID); ok && e.Flags&event.FileFlagUnwatched == 0 {
		f.Class, f.Watch, owner = w.Class, w.Path, w.Owner
	}
	f.WatchOwner = owner
	if chrooted {
		f.HostPath = e.Path
	}
	if len(target) != len(e.Target) {
		f.TargetHost = e.Target
	}
	name := fileOpNames[e.Op]
	if name == "" {
		name = "file"
	}
	f.Operation = name
	switch e.Op {
	case event.FileOpChmod, event.FileOpMknod:
		f.Mode, f.HasMode = e.Mode, true
	case event.FileOpMkdir:
		f.Mode, f.HasMode = e.Mode&0o7777, true
	case event.FileOpUtimes:
		if e.Flags&event.FileFlagATimeSet != 0 {
			f.ATimeSet = time.Unix(e.ATime, 0).UTC()
		}
		if e.Flags&event.FileFlagMTimeSet != 0 {
			f.MTimeSet = time.Unix(e.MTime, 0).UTC()
		}
	case event.FileOpChown:
		f.Owner = &record.Owner{UID: int64(int32(e.OwnerUID)), GID: int64(int32(e.OwnerGID))}
	case event.FileOpOpen:
		name = "open"
		f.Operation = openOperation(e.OpFlags)
		f.Created = e.Flags&event.FileFlagCreated != 0
		if e.OpFlags&unix.O_CREAT != 0 || e.OpFlags&unix.O_TMPFILE == unix.O_TMPFILE {
			f.Mode, f.HasMode = e.Mode&0o7777, true
		}
		if e.Ret >= 0 && e.Flags&event.FileFlagLSMHook == 0 {
			f.FD = e.Ret
		}
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    name,
		Category: record.CatFile,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		File:     f,
	}
	switch {
	case e.Ret < 0:
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("%s of %s by %s failed: %s", f.Operation, path, entry.Exe, r.Error)
	case e.Op == event.FileOpOpen && f.Created:
		r.Message = fmt.Sprintf("%s created %s", entry.Exe, path)
	case e.Op == event.FileOpOpen:
		r.Message = fmt.Sprintf("%s opened %s for %s", entry.Exe, path, f.Operation)
	case e.Op == event.FileOpUtimes:
		r.Message = fmt.Sprintf("%s set the times of %s to%s", entry.Exe, path, timesSet(f))
	case len(e.Target) > 0:
		r.Message = fmt.Sprintf("%s: %s %s -> %s", entry.Exe, name, path, target)
	default:
		r.Message = fmt.Sprintf("%s: %s %s", entry.Exe, name, path)
	}
	return r
}

// procMemOwner returns the pid in /proc/<pid>/..., or 0.
func procMemOwner(path []byte) uint32 {
	rest, ok := bytes.CutPrefix(path, []byte("/proc/"))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(rest, '/'); i > 0 {
		rest = rest[:i]
	}
	v, err := strconv.ParseUint(string(rest), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// fileOpNames are the event names of enum file_op.
var fileOpNames = map[uint32]string{
	event.FileOpOpen:     "open",
	event.FileOpUnlink:   "unlink",
	event.FileOpRmdir:    "rmdir",
	event.FileOpRename:   "rename",
	event.FileOpChmod:    "chmod",
	event.FileOpChown:    "chown",
	event.FileOpTruncate: "truncate",
	event.FileOpLink:     "link",
	event.FileOpSymlink:  "symlink",
	event.FileOpMknod:    "mknod",
	event.FileOpMkdir:    "mkdir",
	event.FileOpUtimes:   "utimes",
}

// timesSet says which times a utimes record set, and to what.
func timesSet(f *record.File) string {
	s := ""
	if !f.MTimeSet.IsZero() {
		s += " mtime " + f.MTimeSet.Format(time.RFC3339)
	}
	if !f.ATimeSet.IsZero() {
		s += " atime " + f.ATimeSet.Format(time.RFC3339)
	}
	return s
}

func openOperation(flags uint32) string {
	switch flags & unix.O_ACCMODE {
	case unix.O_WRONLY:
		return "write"
	case unix.O_RDWR:
		return "read-write"
	}
	return "read"
}
