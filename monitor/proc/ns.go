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

// HostNamespaces maps each kind of namespace ("mnt", "pid", "net",
// "user", ...) to the inode number of the host's: the initial namespaces.
// Each kind is read from the first of these that can be read:
//   - init's, /proc/1/ns;
//   - kthreadd's, /proc/2/ns, when it is a kernel thread (kernel threads
//     live in the initial namespaces by construction, and their links stay
//     readable where a sandboxed init's are not: a monitor in a container
//     of the host's pid namespace, on a VM whose init refuses ptrace);
//   - the monitor's own, /proc/self/ns, the last resort.
//
// A kind none of them has is missing.  With own, the monitor's own are
// the host's: a container that stands for a machine (make test-fresh).
func HostNamespaces(own bool) map[string]uint64 {
	var dirs []string
	if !own {
		dirs = append(dirs, "/proc/1/ns/")
		if isKernelThread(2) {
			dirs = append(dirs, "/proc/2/ns/")
		}
	}
	dirs = append(dirs, "/proc/self/ns/")
	out := map[string]uint64{}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if _, done := out[e.Name()]; done {
				continue
			}
			var st syscall.Stat_t
			if syscall.Stat(dir+e.Name(), &st) == nil {
				out[e.Name()] = st.Ino
			}
		}
	}
	return out
}

// pfKthread is PF_KTHREAD, the task flag of a kernel thread
// (include/linux/sched.h), field 9 of /proc/PID/stat.
const pfKthread = 0x00200000

// isKernelThread says whether pid is a kernel thread now.
func isKernelThread(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	flags, err := strconv.ParseUint(statField(b, 6), 10, 64) // field 9
	return err == nil && flags&pfKthread != 0
}
