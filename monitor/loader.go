package monitor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

const (
	tracefsPath     = "/sys/kernel/tracing"
	tracefsOldPath  = "/sys/kernel/debug/tracing"
	bpffsPath       = "/sys/fs/bpf"
	perfMapName     = "events"
	statsMapName    = "stats"
	objectNameInMfd = "ebpf-log-monitor.bpf.o"
)

// hookCapability says what each program gives the user; a program not
// listed is reported with capability "other".
var hookCapability = map[string]string{
	"tracepoint__sched__sched_process_exec": "exec",
	"tracepoint__sched__sched_process_exit": "exit",
	"raw_tracepoint__sched_process_fork":    "fork",
	"tp_btf__sys_enter":                     "exec-failures,file,network",
	"tp_btf__sys_exit":                      "exec-failures,file,network",
	"tracepoint__sock__inet_sock_set_state": "network-kernel-view",
	"raw_tracepoint__task_newtask":          "credential-tracking",
	"raw_tracepoint__io_uring_complete":     "file-io_uring",
	"kprobe__security_file_open":            "file-any-open",
	"kprobe__commit_creds":                  "privilege-at-commit",
}

// kprobePMU is where the kernel exposes kprobes to perf_event_open; absent
// when kprobes are not built in.
const kprobePMU = "/sys/bus/event_source/devices/kprobe"

// supersededBy names, for a program, the hook that does its job better
// when that hook is available: it is then not loaded.
var supersededBy = map[string]string{
	"raw_tracepoint__io_uring_complete": "kprobe/security_file_open",
}

// loaded is the BPF side once attached; Close releases everything.
type loaded struct {
	mod     *bpf.Module
	links   []*bpf.BPFLink
	hooks   []record.Hook
	perf    *bpf.PerfBuffer
	stats   *bpf.BPFMap
	memfd   *os.File
	tracefs string
}

const minKernelMajor, minKernelMinor = 5, 8

// kernelAtLeast reads uname's release; a release it cannot parse passes
// (the load then tells).  The e2e test makes it old with setarch
// --uname-2.6 (the kernel's UNAME26 personality), not with a switch here.
func kernelAtLeast(wantMajor, wantMinor int) (string, bool) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", true
	}
	rel := unix.ByteSliceToString(uts.Release[:])
	var major, minor int
	if n, _ := fmt.Sscanf(rel, "%d.%d", &major, &minor); n != 2 {
		return rel, true
	}
	return rel, major > wantMajor || (major == wantMajor && minor >= wantMinor)
}

// preflight checks what the user can fix before anything is loaded.
func preflight(cfg *Config) error {
	if os.Geteuid() != 0 {
		return errorf(ExitPermission, "must run as root: loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (try: sudo %s)", os.Args[0])
	}
	if rel, ok := kernelAtLeast(minKernelMajor, minKernelMinor); !ok {
		return errorf(ExitKernel, "kernel %s is older than %d.%d, the oldest this monitor supports (BPF CO-RE with BTF, raw tracepoints, bpf_ktime_get_boot_ns): upgrade the kernel", rel, minKernelMajor, minKernelMinor)
	}
	btf := cfg.BTFFile
	if btf == "" {
		btf = DefaultBTFFile
	}
	if _, err := os.Stat(btf); err != nil {
		if btf == DefaultBTFFile {
			return errorf(ExitNoBTF, "kernel BTF not found at %s: this kernel was built without CONFIG_DEBUG_INFO_BTF; use a kernel with BTF or pass --btf-file with a BTF file for this kernel", btf)
		}
		return errorf(ExitNoBTF, "BTF file %s: %v (give a readable BTF file for the running kernel)", btf, err)
	}
	return nil
}

// ensureTracefs returns a mounted tracefs, mounting it when missing.
func ensureTracefs(log zerolog.Logger) (string, error) {
	for _, p := range []string{tracefsPath, tracefsOldPath} {
		if _, err := os.Stat(p + "/events"); err == nil {
			return p, nil
		}
	}
	if err := unix.Mount("tracefs", tracefsPath, "tracefs", 0, ""); err != nil {
		return "", errorf(ExitTracefs, "tracefs is not mounted and mounting it at %s failed: %v (mount it: mount -t tracefs nodev %s)", tracefsPath, err, tracefsPath)
	}
	log.Info().Str("path", tracefsPath).Msg("mounted tracefs")
	return tracefsPath, nil
}

// ensureBpffs mounts bpffs when missing.  Nothing is pinned (links belong
// to our file descriptors and die with the process), but bpftool and libbpf
// expect it; failure is only a warning.
func ensureBpffs(log zerolog.Logger) {
	var st unix.Statfs_t
	if err := unix.Statfs(bpffsPath, &st); err == nil && st.Type == unix.BPF_FS_MAGIC {
		return
	}
	if err := unix.Mount("bpf", bpffsPath, "bpf", 0, ""); err != nil {
		log.Warn().Err(err).Str("path", bpffsPath).Msg("bpffs not mounted and mount failed; continuing (nothing is pinned)")
		return
	}
	log.Info().Str("path", bpffsPath).Msg("mounted bpffs")
}

// routeLibbpfLog sends libbpf's own messages to the diagnostics logger at
// debug level: quiet by default, shown with --debug.
func routeLibbpfLog(log zerolog.Logger) {
	bpf.SetLoggerCbs(bpf.Callbacks{
		Log: func(level int, msg string) {
			log.Debug().Str("from", "libbpf").Msg(strings.TrimRight(msg, "\n"))
		},
	})
}

// openModule opens the embedded object through a memfd.  libbpfgo's
// NewModuleFromBufferArgs always raises RLIMIT_MEMLOCK, which fails in many
// containers and is not needed on kernels >= 5.11 (memcg accounting), so
// the object is handed over as a file with SkipMemlockBump.
func openModule(cfg *Config) (*bpf.Module, *os.File, error) {
	fd, err := unix.MemfdCreate(objectNameInMfd, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, errorf(ExitRuntime, "memfd_create for the BPF object: %v", err)
	}
	f := os.NewFile(uintptr(fd), objectNameInMfd)
	if _, err := f.Write(bpfObject); err != nil {
		f.Close()
		return nil, nil, errorf(ExitRuntime, "write BPF object to memfd: %v", err)
	}
	args := bpf.NewModuleArgs{
		BPFObjPath:      fmt.Sprintf("/proc/self/fd/%d", fd),
		BPFObjName:      objectNameInMfd,
		SkipMemlockBump: true,
	}
	if cfg.BTFFile != "" && cfg.BTFFile != DefaultBTFFile {
		args.BTFObjPath = cfg.BTFFile
	}
	mod, err := bpf.NewModuleFromFileArgs(args)
	if err != nil {
		f.Close()
		return nil, nil, errorf(ExitRuntime, "open BPF object: %v", err)
	}
	return mod, f, nil
}

// hookOf parses a program's section into how to attach it.
type hookSpec struct {
	kind     string // tracepoint | raw_tracepoint | tp_btf | kprobe
	category string
	name     string
}

func parseSection(sec string) (hookSpec, error) {
	parts := strings.Split(sec, "/")
	switch {
	case len(parts) == 3 && (parts[0] == "tracepoint" || parts[0] == "tp"):
		return hookSpec{kind: "tracepoint", category: parts[1], name: parts[2]}, nil
	case len(parts) == 2 && (parts[0] == "raw_tracepoint" || parts[0] == "raw_tp"):
		return hookSpec{kind: "raw_tracepoint", name: parts[1]}, nil
	case len(parts) == 2 && parts[0] == "tp_btf":
		return hookSpec{kind: "tp_btf", name: parts[1]}, nil
	case len(parts) == 2 && parts[0] == "kprobe":
		return hookSpec{kind: "kprobe", name: parts[1]}, nil
	}
	return hookSpec{}, fmt.Errorf("unsupported section %q", sec)
}

// available checks that the kernel has the hook before the program is
// loaded, so a missing tracepoint costs one program, not the whole object.
func (h hookSpec) available(tracefs string) error {
	switch h.kind {
	case "kprobe":
		if _, err := os.Stat(kprobePMU); err != nil {
			return fmt.Errorf("kprobes are not built into this kernel (no %s)", kprobePMU)
		}
	case "tracepoint":
		if _, err := os.Stat(fmt.Sprintf("%s/events/%s/%s", tracefs, h.category, h.name)); err != nil {
			return fmt.Errorf("tracepoint %s:%s not in this kernel", h.category, h.name)
		}
	case "raw_tracepoint", "tp_btf":
		// raw tracepoints share names with the tracepoint events
		category := ""
		switch {
		case strings.HasPrefix(h.name, "sched_"):
			category = "sched"
		case h.name == "sys_enter" || h.name == "sys_exit":
			category = "raw_syscalls"
		case strings.HasPrefix(h.name, "io_uring_"):
			category = "io_uring"
			// the request pointer is the tracepoint's second argument
			// from 6.0 on; before, the program would read garbage
			if rel, ok := kernelAtLeast(6, 0); !ok {
				return fmt.Errorf("io_uring_complete carries no request before Linux 6.0 (kernel %s): io_uring opens are not seen", rel)
			}
		}
		if category == "" {
			return nil // let the attach decide
		}
		if _, err := os.Stat(fmt.Sprintf("%s/events/%s/%s", tracefs, category, h.name)); err != nil {
			return fmt.Errorf("raw tracepoint %s not in this kernel", h.name)
		}
	}
	return nil
}

// load opens, loads and attaches every program; optional hooks fail soft.
func load(cfg *Config, watchList []watch.MapEntry, log zerolog.Logger) (*loaded, error) {
	if err := preflight(cfg); err != nil {
		return nil, err
	}
	tracefs, err := ensureTracefs(log)
	if err != nil {
		return nil, err
	}
	ensureBpffs(log)
	routeLibbpfLog(log)

	mod, memfd, err := openModule(cfg)
	if err != nil {
		return nil, err
	}
	l := &loaded{mod: mod, memfd: memfd, tracefs: tracefs}

	type planned struct {
		prog *bpf.BPFProg
		spec hookSpec
		hook int // index in l.hooks
	}
	type candidate struct {
		prog *bpf.BPFProg
		spec hookSpec
		err  error // why it cannot attach here
	}
	// every program's availability first: a program's fate can depend on
	// another's (supersededBy)
	var cands []candidate
	usable := map[string]bool{}
	it := mod.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		spec, err := parseSection(prog.SectionName())
		if err == nil {
			err = spec.available(tracefs)
		}
		usable[prog.SectionName()] = err == nil
		cands = append(cands, candidate{prog, spec, err})
	}
	var plan []planned
	for _, c := range cands {
		prog, spec, err := c.prog, c.spec, c.err
		h := record.Hook{Name: prog.SectionName(), Capability: hookCapability[prog.Name()]}
		if h.Capability == "" {
			h.Capability = "other"
		}
		// superseded first: whether this one could load does not
		// matter when a better hook does its job
		if by := supersededBy[prog.Name()]; usable[by] {
			err = fmt.Errorf("superseded by %s", by)
			h.Superseded = true
		}
		if err != nil {
			h.Reason = err.Error()
			if aerr := prog.SetAutoload(false); aerr != nil {
				l.Close()
				return nil, errorf(ExitRuntime, "disable program %s: %v", prog.Name(), aerr)
			}
			l.hooks = append(l.hooks, h)
			continue
		}
		l.hooks = append(l.hooks, h)
		plan = append(plan, planned{prog: prog, spec: spec, hook: len(l.hooks) - 1})
	}

	// never report the monitor's own activity (its log file, /proc reads)
	if err := mod.InitGlobalVariable("self_tgid", uint32(os.Getpid())); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set self_tgid: %v", err)
	}
	useRing := uint32(0)
	ringBytes := uint32(4096)
	if cfg.Transport != "perf" {
		useRing = 1
		ringBytes = uint32(cfg.RingSizeMB) << 20
	}
	if err := mod.InitGlobalVariable("use_ringbuf", useRing); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set use_ringbuf: %v", err)
	}
	if rm, err := mod.GetMap("ringbuf"); err == nil {
		if err := rm.SetMaxEntries(ringBytes); err != nil {
			l.Close()
			return nil, errorf(ExitRuntime, "ring buffer size %d: %v", ringBytes, err)
		}
	}
	if err := mod.InitGlobalVariable("self_pgid", uint32(unix.Getpgrp())); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set self_pgid: %v", err)
	}
	// direct loads instead of probe reads on every ordinary open (6.2+);
	// unknown (no readable BTF): the probe reads, which work everywhere
	rdonlyCast := uint32(0)
	if ok, err := kernelHasFunc("bpf_rdonly_cast"); err != nil {
		log.Debug().Err(err).Msg("kfunc bpf_rdonly_cast not checked; struct file is read with probe reads")
	} else if ok {
		rdonlyCast = 1
	}
	if err := mod.InitGlobalVariable("have_rdonly_cast", rdonlyCast); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set have_rdonly_cast: %v", err)
	}

	if err := mod.BPFLoadObject(); err != nil {
		l.Close()
		// EPERM is a missing privilege; EACCES is the verifier saying no,
		// which no capability fixes (a kernel this build does not handle).
		if errors.Is(err, syscall.EPERM) {
			return nil, errorf(ExitPermission, "the kernel refused to load BPF programs (%v): run as root with CAP_BPF/CAP_SYS_ADMIN; inside a container, allow the bpf syscall", err)
		}
		if errors.Is(err, syscall.EACCES) {
			return nil, errorf(ExitNoHooks, "the kernel's BPF verifier rejected a program (%v): please report it with the kernel version and the log of --debug", err)
		}
		return nil, errorf(ExitNoHooks, "load BPF programs: %v (run with --debug to see the verifier log)", err)
	}

	if err := l.loadWatchList(watchList); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the watch list into the kernel: %v", err)
	}
	if err := l.loadSelfTids(); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "record the monitor's threads: %v", err)
	}
	if err := l.loadSyscallTable(); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the syscall table into the kernel: %v", err)
	}
	sockets := append(append([]string{}, rules.RuntimeSockets...), cfg.UnixSockets...)
	if cfg.Policy != nil {
		sockets = append(sockets, cfg.Policy.WatchSockets...)
	}
	if err := l.loadUnixWatch(sockets); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the watched unix sockets into the kernel: %v", err)
	}

	for _, p := range plan {
		var link *bpf.BPFLink
		var err error
		switch p.spec.kind {
		case "tracepoint":
			link, err = p.prog.AttachTracepoint(p.spec.category, p.spec.name)
		case "raw_tracepoint":
			link, err = p.prog.AttachRawTracepoint(p.spec.name)
		case "tp_btf":
			link, err = p.prog.AttachGeneric() // the target is in the program's BTF
		case "kprobe":
			link, err = p.prog.AttachKprobe(p.spec.name)
		}
		if err != nil {
			l.hooks[p.hook].Reason = err.Error()
			continue
		}
		l.links = append(l.links, link)
		l.hooks[p.hook].Attached = true
	}
	for _, h := range l.hooks {
		if !h.Attached && !h.Superseded {
			log.Warn().Str("hook", h.Name).Str("capability", h.Capability).Str("reason", h.Reason).
				Msg("hook unavailable on this kernel; continuing without it")
		}
	}
	if len(l.links) == 0 {
		l.Close()
		return nil, errorf(ExitNoHooks, "no BPF hook could be attached on this kernel (%d tried); see the warnings above", len(l.hooks))
	}

	l.stats, err = mod.GetMap(statsMapName)
	if err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "stats map: %v", err)
	}
	return l, nil
}

// loadSelfTids writes the monitor's running threads into self_tids (the
// kernel adds those created later).
func (l *loaded) loadSelfTids() error {
	m, err := l.mod.GetMap("self_tids")
	if err != nil {
		return err
	}
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

// loadSyscallTable writes the kernel half of monitor/syscalls' table.
func (l *loaded) loadSyscallTable() error {
	m, err := l.mod.GetMap("syscall_table")
	if err != nil {
		return err
	}
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
	c, err := l.mod.GetMap("compat_syscalls")
	if err != nil {
		return err
	}
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
func (l *loaded) loadUnixWatch(paths []string) error {
	m, err := l.mod.GetMap("unix_watch")
	if err != nil {
		return err
	}
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
func (l *loaded) sweepFolds(nowBoot uint64, window time.Duration) []event.Fold {
	m, err := l.mod.GetMap("net_fold")
	if err != nil {
		return nil
	}
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
func (l *loaded) reloadWatchList(entries []watch.MapEntry) error {
	stale := map[string][][]byte{}
	for _, name := range []string{"watch_exact", "watch_prefix"} {
		m, err := l.mod.GetMap(name)
		if err != nil {
			return err
		}
		var have [][]byte
		it := m.Iterator()
		for it.Next() {
			have = append(have, append([]byte(nil), it.Key()...))
		}
		var want []watch.MapEntry
		for _, e := range entries {
			if e.Prefix == (name == "watch_prefix") {
				want = append(want, e)
			}
		}
		stale[name] = watch.StaleKeys(have, want)
	}
	if err := l.loadWatchList(entries); err != nil {
		return err
	}
	for name, keys := range stale {
		m, err := l.mod.GetMap(name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := m.DeleteKey(unsafe.Pointer(&k[0])); err != nil {
				return fmt.Errorf("%s: delete a stale key: %w", name, err)
			}
		}
	}
	return l.bumpVerdicts()
}

// bumpVerdicts invalidates the kernel's cached open verdicts (the watch
// list changed).
func (l *loaded) bumpVerdicts() error {
	m, err := l.mod.GetMap("verdict_gen")
	if err != nil {
		return err
	}
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
func (l *loaded) loadWatchList(entries []watch.MapEntry) error {
	exactMap, err := l.mod.GetMap("watch_exact")
	if err != nil {
		return err
	}
	prefixMap, err := l.mod.GetMap("watch_prefix")
	if err != nil {
		return err
	}
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

// startRing opens the BPF ring buffer reader.
func (l *loaded) startRing() (*ringReader, error) {
	m, err := l.mod.GetMap("ringbuf")
	if err != nil {
		return nil, errorf(ExitRuntime, "ring buffer: %v", err)
	}
	r, err := newRingReader(m.FileDescriptor())
	if err != nil {
		return nil, errorf(ExitRuntime, "ring buffer: %v", err)
	}
	r.start()
	return r, nil
}

// startPerf opens the perf buffer and starts libbpfgo's poll goroutine.
func (l *loaded) startPerf(pages int, events chan []byte, lost chan uint64) error {
	pb, err := l.mod.InitPerfBuf(perfMapName, events, lost, pages)
	if err != nil {
		return errorf(ExitRuntime, "perf buffer (%d pages per CPU): %v", pages, err)
	}
	l.perf = pb
	pb.Poll(pollTimeoutMs)
	return nil
}

// detach destroys every link: no new events are produced after it.  Each
// tracepoint detach waits for an RCU grace period (~80 ms here, 4.7 s for
// 59 links in a row); done concurrently the waits overlap.
func (l *loaded) detach() {
	var wg sync.WaitGroup
	for _, link := range l.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			link.Destroy()
		}()
	}
	wg.Wait()
	l.links = nil
}

// kernelStats sums the per-CPU drop counters.
func (l *loaded) kernelStats() [statMax]uint64 {
	var out [statMax]uint64
	for i := range out {
		key := uint32(i)
		v, err := l.stats.GetValue(unsafePointer(&key))
		if err != nil {
			continue
		}
		for off := 0; off+8 <= len(v); off += 8 {
			out[i] += leUint64(v[off:])
		}
	}
	return out
}

// Close releases the perf buffer, links, programs, maps and the memfd.
func (l *loaded) Close() {
	if l.mod != nil {
		l.mod.Close() // perf buffer, remaining links, object
		l.mod = nil
	}
	if l.memfd != nil {
		l.memfd.Close()
		l.memfd = nil
	}
}
