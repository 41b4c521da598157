// The BPF maps user space writes and reads: the watch lists, the syscall
// tables, the monitor's own tids, UDP folds and the kernel's counters.  One
// typed handle each, resolved once when the object is loaded; every runtime
// operation on a map is a method here.

package monitor

import (
	"bytes"
	"encoding/binary"

	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// kernelMaps are the maps user space touches, by role.
type kernelMaps struct {
	selfTids, syscallTable, compatSyscalls *bpf.BPFMap
	watchExact, watchPrefix, verdictGen    *bpf.BPFMap
	unixWatch, netFold, stats              *bpf.BPFMap
	protectedComms, protectedTgids         *bpf.BPFMap
	cgroupNames, taskCreds                 *bpf.BPFMap
}

// mapNames are the maps resolveMaps takes from the object, by role.
var mapNames = map[string]func(*kernelMaps) **bpf.BPFMap{
	"self_tids":       func(k *kernelMaps) **bpf.BPFMap { return &k.selfTids },
	"syscall_table":   func(k *kernelMaps) **bpf.BPFMap { return &k.syscallTable },
	"compat_syscalls": func(k *kernelMaps) **bpf.BPFMap { return &k.compatSyscalls },
	"watch_exact":     func(k *kernelMaps) **bpf.BPFMap { return &k.watchExact },
	"watch_prefix":    func(k *kernelMaps) **bpf.BPFMap { return &k.watchPrefix },
	"verdict_gen":     func(k *kernelMaps) **bpf.BPFMap { return &k.verdictGen },
	"unix_watch":      func(k *kernelMaps) **bpf.BPFMap { return &k.unixWatch },
	"net_fold":        func(k *kernelMaps) **bpf.BPFMap { return &k.netFold },
	statsMapName:      func(k *kernelMaps) **bpf.BPFMap { return &k.stats },
	"protected_comms": func(k *kernelMaps) **bpf.BPFMap { return &k.protectedComms },
	"protected_tgids": func(k *kernelMaps) **bpf.BPFMap { return &k.protectedTgids },
	"cgroup_names":    func(k *kernelMaps) **bpf.BPFMap { return &k.cgroupNames },
	"task_creds":      func(k *kernelMaps) **bpf.BPFMap { return &k.taskCreds },
}

// resolveMaps finds each map of mapNames in the loaded object.
func resolveMaps(mod *bpf.Module) (*kernelMaps, error) {
	k := &kernelMaps{}
	for name, field := range mapNames {
		m, err := mod.GetMap(name)
		if err != nil {
			return nil, fmt.Errorf("map %s: %w", name, err)
		}
		*field(k) = m
	}
	return k, nil
}

// loadSelfTids writes the monitor's running threads into self_tids (the
// kernel adds those created later).
func (k *kernelMaps) loadSelfTids() error {
	m := k.selfTids
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	one := uint8(1)
	for _, e := range ents {
		tid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		key := uint32(tid)
		if err := m.Update(unsafe.Pointer(&key), unsafe.Pointer(&one)); err != nil {
			return err
		}
	}
	return nil
}

// loadProtected writes the names of the audit and logging daemons
// (syscalls.ProtectedComms) and the processes running under one of them:
// the kernel adds those that exec later and forgets those that exit.
func (k *kernelMaps) loadProtected() error {
	one := uint8(1)
	names := map[string]bool{}
	for _, c := range syscalls.ProtectedComms {
		var key [event.TaskCommLen]byte
		copy(key[:event.TaskCommLen-1], c)
		if err := k.protectedComms.Update(unsafe.Pointer(&key[0]), unsafe.Pointer(&one)); err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		names[string(bytes.TrimRight(key[:], "\x00"))] = true
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, e := range ents {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || !names[string(bytes.TrimSpace(comm))] {
			continue
		}
		key := uint32(pid)
		if err := k.protectedTgids.Update(unsafe.Pointer(&key), unsafe.Pointer(&one)); err != nil {
			return err
		}
	}
	return nil
}

// loadSyscallTable writes the kernel half of monitor/syscalls' table.
func (k *kernelMaps) loadSyscallTable() error {
	m := k.syscallTable
	for i := range syscalls.Table {
		spec := &syscalls.Table[i]
		if spec.Nr >= event.SyscallTableLen {
			return fmt.Errorf("%s: syscall number %d beyond the table", spec.Name, spec.Nr)
		}
		key := spec.Nr
		val := spec.KernelSpec()
		if err := m.Update(unsafe.Pointer(&key), unsafe.Pointer(&val[0])); err != nil {
			return fmt.Errorf("%s: %w", spec.Name, err)
		}
	}
	c := k.compatSyscalls
	for _, cc := range syscalls.Compat {
		if cc.Nr32 >= event.CompatTableLen {
			return fmt.Errorf("%s: i386 number %d beyond the table", cc.Name, cc.Nr32)
		}
		key, val := cc.Nr32, cc.KernelValue()
		if err := c.Update(unsafe.Pointer(&key), unsafe.Pointer(&val)); err != nil {
			return fmt.Errorf("compat %s: %w", cc.Name, err)
		}
	}
	return nil
}

// loadUnixWatch makes paths the unix sockets whose connects are reported:
// each is written, then any other socket the map still holds (a reload
// dropped it) is deleted.
func (k *kernelMaps) loadUnixWatch(paths []string) error {
	m := k.unixWatch
	keep := map[[event.UnixPathLen]byte]bool{}
	for i, p := range paths {
		var key [event.UnixPathLen]byte
		if len(p) >= len(key) {
			return fmt.Errorf("unix socket path %q too long", p)
		}
		copy(key[:], p)
		keep[key] = true
		val := uint32(i)
		if err := m.Update(unsafe.Pointer(&key[0]), unsafe.Pointer(&val)); err != nil {
			return fmt.Errorf("unix socket %s: %w", p, err)
		}
	}
	var stale [][event.UnixPathLen]byte
	it := m.Iterator()
	for it.Next() {
		var key [event.UnixPathLen]byte
		copy(key[:], it.Key())
		if !keep[key] {
			stale = append(stale, key)
		}
	}
	for _, k := range stale {
		if err := m.DeleteKey(unsafe.Pointer(&k[0])); err != nil {
			return fmt.Errorf("unix_watch: delete a stale socket: %w", err)
		}
	}
	return nil
}

// sweepFolds closes the UDP fold windows opened at least window ago and
// returns those that counted repeats.  Entries are deleted so the next send
// to that destination is reported again.  (A send counted between the read
// and the delete is lost from the count: windows are swept once idle or
// old, where that is rare.)
func (k *kernelMaps) sweepFolds(nowBoot uint64, window time.Duration) []event.Fold {
	m := k.netFold
	var out []event.Fold
	var keys [][]byte
	it := m.Iterator()
	for it.Next() {
		key := append([]byte(nil), it.Key()...)
		val, err := m.GetValue(unsafe.Pointer(&key[0]))
		if err != nil {
			continue
		}
		f, err := event.DecodeFold(key, val)
		if err != nil || nowBoot < f.FirstNs || nowBoot-f.FirstNs < uint64(window) {
			continue
		}
		keys = append(keys, key)
		if f.Count > 1 {
			out = append(out, f)
		}
	}
	for _, k := range keys {
		m.DeleteKey(unsafe.Pointer(&k[0]))
	}
	return out
}

// reloadWatchList brings the watch maps to entries (policy reload): the new
// keys are written first, then the keys entries lacks are deleted, so an
// entry kept across the reload is watched throughout.  Cached verdicts are
// then dropped.
func (k *kernelMaps) reloadWatchList(entries []watch.MapEntry) error {
	maps := map[bool]*bpf.BPFMap{false: k.watchExact, true: k.watchPrefix}
	stale := map[bool][][]byte{}
	for prefix, m := range maps {
		var have [][]byte
		it := m.Iterator()
		for it.Next() {
			have = append(have, append([]byte(nil), it.Key()...))
		}
		var want []watch.MapEntry
		for _, e := range entries {
			if e.Prefix == prefix {
				want = append(want, e)
			}
		}
		stale[prefix] = watch.StaleKeys(have, want)
	}
	if err := k.loadWatchList(entries); err != nil {
		return err
	}
	for prefix, keys := range stale {
		for _, key := range keys {
			if err := maps[prefix].DeleteKey(unsafe.Pointer(&key[0])); err != nil {
				return fmt.Errorf("%s: delete a stale key: %w", maps[prefix].Name(), err)
			}
		}
	}
	return k.bumpVerdicts()
}

// bumpVerdicts invalidates the kernel's cached open verdicts (the watch
// list changed).
func (k *kernelMaps) bumpVerdicts() error {
	m := k.verdictGen
	key := uint32(0)
	v, err := m.GetValue(unsafe.Pointer(&key))
	if err != nil {
		return err
	}
	gen := binary.LittleEndian.Uint64(v) + 1
	return m.Update(unsafe.Pointer(&key), unsafe.Pointer(&gen))
}

// loadWatchList fills the kernel's watch maps.  It runs before the file
// hooks are attached, so no file event is judged against a partial list.
func (k *kernelMaps) loadWatchList(entries []watch.MapEntry) error {
	exactMap, prefixMap := k.watchExact, k.watchPrefix
	for _, e := range entries {
		key := e.Key()
		var val [event.WatchValueSize]byte
		binary.LittleEndian.PutUint32(val[event.WatchValueOffAccess:], e.Access)
		binary.LittleEndian.PutUint32(val[event.WatchValueOffID:], e.ID)
		m := exactMap
		if e.Prefix {
			m = prefixMap
		}
		if err := m.Update(unsafe.Pointer(&key[0]), unsafe.Pointer(&val[0])); err != nil {
			return fmt.Errorf("watch %s: %w", e.Path, err)
		}
	}
	return nil
}

// kernelStats sums the per-CPU drop counters.
func (k *kernelMaps) kernelStats() [statMax]uint64 {
	var out [statMax]uint64
	for i := range out {
		key := uint32(i)
		v, err := k.stats.GetValue(unsafePointer(&key))
		if err != nil {
			continue
		}
		for off := 0; off+8 <= len(v); off += 8 {
			out[i] += leUint64(v[off:])
		}
	}
	return out
}

// namesOfCgroup reads the names the kernel left for cgroup id (struct
// cgroup_names): the cgroup's own first, then its parent's and its
// grandparent's, "" above the root.  False when the kernel has none (an
// LRU eviction, or a record older than the map).
func (k *kernelMaps) namesOfCgroup(id uint64) ([]string, bool) {
	v, err := k.cgroupNames.GetValue(unsafe.Pointer(&id))
	if err != nil || len(v) < event.CgroupLevels*event.CgroupNameLen {
		return nil, false
	}
	names := make([]string, event.CgroupLevels)
	for i := range names {
		b := v[i*event.CgroupNameLen : (i+1)*event.CgroupNameLen]
		if n := bytes.IndexByte(b, 0); n >= 0 {
			b = b[:n]
		}
		names[i] = string(b)
	}
	return names, true
}
