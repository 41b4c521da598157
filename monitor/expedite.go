package monitor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
)

// On a kernel without fprobes (Debian's 6.1) the stop deletes our tracefs
// kretprobe event, and the kernel waits for one RCU grace period per probe
// (88), one after the other under its event_mutex.  A grace period is
// counted in timer ticks, not in work: 16 ms each in 6.1, under emulation
// as on hardware, 1.4 s in all.  The kernel's rcu_expedited knob makes
// each wait an expedited grace period instead (an IPI to each CPU that has
// not passed a quiescent state, no ticks waited for).  Measured in Debian's
// 6.1 under icount, function hooks: detach 1.85 s -> 0.91 s.
//
// The knob is the administrator's, so the stop sets it only when it reads
// 0 and rcu_normal (which forbids expedited grace periods: real-time
// systems set it) is 0 too, only for the detach of a kretprobe event,
// and puts it back at once.  Before it sets it, it leaves a mark
// (expediteMarkDir/<pidns>_<pid>): a monitor killed during its stop
// leaves the knob set, and the next start in the same pid namespace puts
// it back and says so.  Without a mark, no setting.

// runDir is where the monitor keeps state between starts: a tmpfs,
// emptied at each boot.
const runDir = "/run/ebpf-log-monitor"

const expediteMarkDir = runDir + "/rcu_expedited"

// rcuKnobs is where the kernel's RCU knobs are, and where our marks go
// (a test points both at directories of its own).
type rcuKnobs struct {
	sysKernel string // /sys/kernel
	marks     string // expediteMarkDir
}

var hostRCU = rcuKnobs{sysKernel: "/sys/kernel", marks: expediteMarkDir}

func (k rcuKnobs) read(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(k.sysKernel, name))
	return strings.TrimSpace(string(b)), err
}

func (k rcuKnobs) setExpedited(v string) error {
	return os.WriteFile(filepath.Join(k.sysKernel, "rcu_expedited"), []byte(v+"\n"), 0)
}

// expedite makes the kernel's grace periods expedited until restore is
// called.  expedited says whether they are (set by us, or already by the
// administrator); why, when they are not, says why.  restore is never nil.
func (k rcuKnobs) expedite(ns uint64, pid int) (restore func() error, expedited bool, why string) {
	none := func() error { return nil }
	cur, err := k.read("rcu_expedited")
	if err != nil {
		return none, false, err.Error()
	}
	if cur != "0" {
		return none, true, ""
	}
	if normal, err := k.read("rcu_normal"); err == nil && normal != "0" {
		return none, false, "rcu_normal is set"
	}
	if err := os.MkdirAll(k.marks, 0o700); err != nil {
		return none, false, err.Error()
	}
	mark := filepath.Join(k.marks, fmt.Sprintf("%d_%d", ns, pid))
	f, err := os.OpenFile(mark, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return none, false, err.Error()
	}
	f.Close()
	if err := k.setExpedited("1"); err != nil {
		os.Remove(mark)
		return none, false, err.Error()
	}
	return func() error {
		if err := k.setExpedited("0"); err != nil {
			return err // the mark stays: the next start tries again
		}
		return os.Remove(mark)
	}, true, ""
}

// restoreStale puts the knob back for each monitor of pid namespace ns
// that was killed with it set (its mark left, its pid not alive), and
// removes the mark.  restored lists the pids it was put back for.
func (k rcuKnobs) restoreStale(ns uint64, alive func(int) bool) (restored []int, err error) {
	ents, err := os.ReadDir(k.marks)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		pid, dead := deadOwner(e.Name(), "", ns, alive)
		if !dead {
			continue
		}
		if err := k.setExpedited("0"); err != nil {
			return restored, err
		}
		if err := os.Remove(filepath.Join(k.marks, e.Name())); err != nil {
			return restored, err
		}
		restored = append(restored, pid)
	}
	return restored, nil
}

// restoreStaleExpedite is restoreStale for this host, at start.
func restoreStaleExpedite(log zerolog.Logger) {
	ns, err := pidNamespace()
	if err != nil {
		return
	}
	self := os.Getpid()
	pids, err := hostRCU.restoreStale(ns, func(pid int) bool {
		return pid != self && processAlive("/proc", pid)
	})
	for _, pid := range pids {
		log.Warn().Int("pid", pid).Msg("set /sys/kernel/rcu_expedited back to 0: a monitor killed during its stop had set it")
	}
	if err != nil {
		log.Warn().Err(err).Msg("/sys/kernel/rcu_expedited may still be set by a monitor killed during its stop")
	}
}
