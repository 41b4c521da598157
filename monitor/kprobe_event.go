package monitor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// One tracefs kretprobe event that holds every per-function kretprobe of
// the function-hook design on a kernel without fprobes (Debian's 6.1):
// a line "r<maxactive>:ebpf_log_monitor/calls_<pidns>_<pid> <function>" written
// to kprobe_events for each function (an event can carry several probes
// since Linux 5.7), then one perf event and one BPF link on it.  Against
// a perf kprobe per function (perf_event_open's kprobe PMU), measured in
// Debian's 6.1 under emulation:
//   - release: each perf kprobe waits for its grace periods under the
//     kernel's event_mutex, one after the other (45 ms each); the event
//     waits once, and deleting its probes once each (16 ms each);
//   - misses: a kretprobe has a fixed number of return instances, and the
//     PMU gives each max(10, 2 x CPUs), and says nowhere how many calls
//     found none; here each gets kretprobeInstances, and kprobe_profile
//     counts the misses (lost.kernel.runs_skipped).
// This makes kretprobes cheap enough to release that the execs, network
// calls and i386 calls go on the event too, not on trampolines (130 ms
// each to release there): bpf/fnhooks.h.
// The event is the monitor's own (its pid namespace and pid in the name)
// and is deleted at exit; one left by a monitor that was killed is
// deleted by the next start in the same pid namespace.  Another
// monitor's must never be: deleting an event whose probes are in use
// removes all but one of them (the kernel refuses only the last).
// Where kprobe_events cannot be written (a read-only /sys in a
// container), a perf kprobe per function serves instead.

const (
	kprobeEventGroup  = "ebpf_log_monitor"
	kprobeEventPrefix = "calls_"
)

// kretprobeInstances is the return instances of the kretprobe of fn: its
// calls in flight past that many have their returns, and records, missed
// (and counted).  An instance takes 64 bytes of kernel memory, held while
// the monitor runs: calls that wait for a peer (accept, connect, and any
// i386 call through its dispatcher) get the kernel's most, 4096, the
// others 256 (twice the CPUs where that is more).
func kretprobeInstances(fn syscalls.FuncHook) int {
	const most = 4096 // the kernel's KRETPROBE_MAXACTIVE_MAX
	for _, c := range fn.Calls {
		switch c {
		case "accept", "accept4", "connect", "socketcall", "i386":
			return most
		}
	}
	return min(max(256, 2*runtime.NumCPU()), most)
}

// kprobeEvent is a tracefs kretprobe event of ours.
type kprobeEvent struct {
	tracefs string
	name    string // calls_<pidns>_<pid>
	ns      uint64 // our pid namespace (0 for a killed monitor's)
}

func (e *kprobeEvent) String() string { return kprobeEventGroup + "/" + e.name }

// writeKprobeEvents appends one definition (or deletion) line to
// kprobe_events; the kernel parses each write as it comes.
func writeKprobeEvents(tracefs, line string) error {
	f, err := os.OpenFile(tracefs+"/kprobe_events", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// createKretprobeEvent defines our event over funcs, each probe with
// its kretprobeInstances, after deleting those killed monitors left
// (stale: what became of each).  On an error nothing of it is left.
func createKretprobeEvent(tracefs string, funcs []syscalls.FuncHook) (e *kprobeEvent, stale map[string]error, err error) {
	ns, err := pidNamespace()
	if err != nil {
		return nil, nil, err
	}
	stale = removeStaleKprobeEvents(tracefs, ns)
	e = &kprobeEvent{tracefs: tracefs, name: fmt.Sprintf("%s%d_%d", kprobeEventPrefix, ns, os.Getpid()), ns: ns}
	for i, fn := range funcs {
		if err := writeKprobeEvents(tracefs, fmt.Sprintf("r%d:%s %s", kretprobeInstances(fn), e, fn.Func)); err != nil {
			if i > 0 {
				e.remove()
			}
			return nil, stale, fmt.Errorf("kprobe_events: add %s to %s: %w", fn.Func, e, err)
		}
	}
	return e, stale, nil
}

// armedEvent is our kretprobe event with its perf event open, its probes
// armed, before any program is attached (armKretprobeEvent).
type armedEvent struct {
	ev    *kprobeEvent
	pfd   int
	stale map[string]error // killed monitors' events, deleted or not
	err   error
	took  time.Duration // to create and arm it
}

// armKretprobeEvent creates our event over funcs and opens its perf
// event, which arms every probe: in a kernel without fprobes each
// kretprobe is one ftrace update, and each update walks all of the
// kernel's ftrace records three times (39,027 records in Debian's 6.1,
// where arming and disarming are half of a start's and a stop's CPU time
// under emulation).  Done while the object loads (loadObject), those
// walks run beside the verifier's on a machine with more than one CPU.
// The perf event is opened disabled: the probes fire for nothing until
// libbpf enables it at the attach.  On an error nothing of it is left.
func armKretprobeEvent(tracefs string, funcs []syscalls.FuncHook) armedEvent {
	start := time.Now()
	ev, stale, err := createKretprobeEvent(tracefs, funcs)
	if err != nil {
		return armedEvent{stale: stale, err: err}
	}
	pfd, err := ev.open()
	if err != nil {
		ev.remove()
		return armedEvent{stale: stale, err: fmt.Errorf("attach %s: %w", ev, err)}
	}
	return armedEvent{ev: ev, pfd: pfd, stale: stale, took: time.Since(start)}
}

// release closes the perf event, which disarms the probes, and deletes
// the event.
func (a armedEvent) release() {
	if a.ev == nil {
		return
	}
	unix.Close(a.pfd)
	a.ev.remove()
}

// open returns a perf event of the kretprobe event, for a BPF link: one
// for every CPU (a BPF program runs wherever the probe fires).  It is
// disabled until the attach enables it; the probes are armed now.
func (e *kprobeEvent) open() (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("%s/events/%s/%s/id", e.tracefs, kprobeEventGroup, e.name))
	if err != nil {
		return -1, err
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1, fmt.Errorf("id of %s: %w", e, err)
	}
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Config:      id,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample_type: unix.PERF_SAMPLE_RAW,
		Sample:      1,
		Wakeup:      1,
		Bits:        unix.PerfBitDisabled,
	}
	fd, err := unix.PerfEventOpen(&attr, -1, 0, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("perf_event_open %s: %w", e, err)
	}
	return fd, nil
}

// missed is how many calls found no return instance, or hit a probe while
// another kprobe ran on the CPU, summed over the event's probes
// (kprobe_profile: "name hits misses" per probe).
func (e *kprobeEvent) missed() uint64 {
	f, err := os.Open(e.tracefs + "/kprobe_profile")
	if err != nil {
		return 0
	}
	defer f.Close()
	return parseKprobeProfile(bufio.NewScanner(f), e.name)
}

func parseKprobeProfile(sc *bufio.Scanner, name string) uint64 {
	var total uint64
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != name {
			continue
		}
		if n, err := strconv.ParseUint(f[2], 10, 64); err == nil {
			total += n
		}
	}
	return total
}

// remove deletes the event and its probes: each waits for a grace period
// in the kernel.  The event must have no perf event open on it.
func (e *kprobeEvent) remove() error {
	err := writeKprobeEvents(e.tracefs, "-:"+e.String())
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// pidNamespace is the inode of our pid namespace: pids are compared
// within one only.
func pidNamespace() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &st); err != nil {
		return 0, fmt.Errorf("pid namespace: %w", err)
	}
	return st.Ino, nil
}

// removeStaleKprobeEvents deletes the events left in kprobe_events by
// monitors of pid namespace ns no longer alive (killed before they could
// delete their own).
func removeStaleKprobeEvents(tracefs string, ns uint64) map[string]error {
	b, err := os.ReadFile(tracefs + "/kprobe_events")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	out := map[string]error{}
	for _, name := range staleKprobeEvents(string(b), ns, func(pid int) bool {
		// our own pid is a previous process's: ours is not made yet
		if pid == self {
			return false
		}
		// a killed monitor's leader is a zombie while its last thread
		// still releases what it held, our event's perf event among them:
		// its probes disarmed one ftrace update each, about a second for
		// 88 in Debian's 6.1 under emulation.  Wait for it, up to 10 s
		if leaderIsZombie("/proc", pid) {
			awaitThreadGroupExit(pid, 10*time.Second)
		}
		return processAlive("/proc", pid)
	}) {
		e := &kprobeEvent{tracefs: tracefs, name: name}
		out[e.String()] = e.remove()
	}
	return out
}

// processAlive says whether pid (of the pid namespace procfs shows) is a
// process that runs: a zombie, killed but not yet reaped by its parent,
// has released its descriptors, and with them its hold on an event.  The
// leader of a process whose other threads still run is a zombie too, so
// a zombie with threads left counts as alive.  Unreadable: alive.
func processAlive(procfs string, pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procfs, pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	if !statZombie(b) {
		return true
	}
	tasks, err := os.ReadDir(fmt.Sprintf("%s/%d/task", procfs, pid))
	return err == nil && len(tasks) > 1
}

// statZombie says whether a /proc stat line ("pid (comm) S ...") is a
// zombie's: the state follows the comm's last ')'.
func statZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// leaderIsZombie says whether pid's thread-group leader is a zombie.
func leaderIsZombie(procfs string, pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", procfs, pid))
	return err == nil && statZombie(b)
}

// awaitThreadGroupExit waits up to d for every thread of process pid to
// have exited: a pidfd polls readable then (Linux 5.3).
func awaitThreadGroupExit(pid int, d time.Duration) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(d.Milliseconds()))
}

// staleKprobeEvents are the names of our group's events in kprobe_events's
// text ("r256:ebpf_log_monitor/calls_4026531836_42 __x64_sys_kill", one
// line per probe) made in pid namespace ns by a pid not alive.
func staleKprobeEvents(text string, ns uint64, alive func(int) bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(text, "\n") {
		def, _, _ := strings.Cut(line, " ")
		_, ev, ok := strings.Cut(def, ":")
		if !ok {
			continue
		}
		group, name, ok := strings.Cut(ev, "/")
		if !ok || group != kprobeEventGroup || seen[name] {
			continue
		}
		seen[name] = true
		if _, dead := deadOwner(name, kprobeEventPrefix, ns, alive); dead {
			out = append(out, name)
		}
	}
	return out
}

// deadOwner says whether name (prefix, then "<pidns>_<pid>": a kretprobe
// event's, or a mark of expedite.go's) was made in pid namespace ns by a
// process no longer alive, and which; another namespace's is never dead:
// its liveness cannot be known here.
func deadOwner(name, prefix string, ns uint64, alive func(int) bool) (pid int, dead bool) {
	var owner uint64
	if n, err := fmt.Sscanf(name, prefix+"%d_%d", &owner, &pid); n != 2 || err != nil || owner != ns || pid <= 0 {
		return 0, false
	}
	return pid, !alive(pid)
}
