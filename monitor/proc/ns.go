package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// EntersOtherNamespace says whether a process that just called setns
// entered a namespace (inode ino) other than those it came from.  The
// caller itself has switched by now, so ino is compared with its parent's
// /proc/<ppid>/ns links, read now; an unknown inode (0) or a parent
// already gone counts as other.
func EntersOtherNamespace(ino uint64, ppid uint32) bool {
	if ino == 0 {
		return true
	}
	dir := "/proc/" + strconv.FormatUint(uint64(ppid), 10) + "/ns/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	want := ":[" + strconv.FormatUint(ino, 10) + "]"
	for _, e := range ents {
		if link, err := os.Readlink(dir + e.Name()); err == nil && strings.HasSuffix(link, want) {
			return false
		}
	}
	return true
}

// HostNamespaces are the inode numbers of the host's namespaces: init's
// (/proc/1/ns), or the monitor's own where init's cannot be read (a
// sandboxed init); empty when neither can.
func HostNamespaces() map[uint64]bool {
	for _, dir := range []string{"/proc/1/ns/", "/proc/self/ns/"} {
		out := map[uint64]bool{}
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			var st syscall.Stat_t
			if syscall.Stat(dir+e.Name(), &st) == nil {
				out[st.Ino] = true
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return map[uint64]bool{}
}
