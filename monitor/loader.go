package monitor

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	bpf "github.com/aquasecurity/libbpfgo"
	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

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
	"tp_btf__sys_exit":                      "exec-failures,file,network",
	tcpStateProgram:                         "network-kernel-view",
	"raw_tracepoint__task_newtask":          "credential-tracking",
	"raw_tracepoint__task_rename":           "exec-call",
	"raw_tracepoint__io_uring_complete":     "file-io_uring",
	"kprobe__security_file_open":            "file-any-open",
	"fentry__security_file_open":            "file-any-open",
	"kprobe__commit_creds":                  "privilege-at-commit",
}

// kprobePMU is where the kernel exposes kprobes to perf_event_open; absent
// when kprobes are not built in.
const kprobePMU = "/sys/bus/event_source/devices/kprobe"

// supersededBy names, for a program, the hooks that do its job better, best
// first: when one of them is usable the program is not loaded.
// functionHooks stands for the stubs of bpf/fnhooks.h, usable when the
// plan uses them.
var supersededBy = map[string][]string{
	"raw_tracepoint__io_uring_complete": {"fentry/security_file_open", "kprobe/security_file_open"},
	"kprobe__security_file_open":        {"fentry/security_file_open"},
	"tp_btf__sys_exit":                  {functionHooks},
}

const functionHooks = "function hooks"

// errTrampolineUnused: a trampoline program outside the function-hook
// design (a kernel that refuses trampolines would refuse the whole object),
// or before bpf_get_func_arg (5.17); its kprobe twin serves instead.
var errTrampolineUnused = errors.New("trampolines are used with function hooks on 5.17+ only")

// loaded is the BPF side once attached; Close releases everything.
type loaded struct {
	mod     *bpf.Module
	links   []*bpf.BPFLink
	hooks   []record.Hook
	perf    *bpf.PerfBuffer
	maps    *kernelMaps // typed handles of the maps user space touches
	memfd   *os.File
	object  string // the embedded build loaded (objectFor)
	tracefs string
	fdLinks []int // links made without libbpf (kprobe.multi), closed by detach
	// the returns those links had missed when detach closed them, and the
	// loaded programs' descriptors (skippedRuns)
	missedAtDetach uint64
	progFDs        []progFD
	// the tracefs kretprobe event of the per-function kretprobes
	// (kprobe_event.go), deleted after detach; or why there is none
	kprobeEvent       *kprobeEvent
	kprobeEventLink   *bpf.BPFLink     // in links too
	arming            chan armedEvent  // the event being armed as the object loads
	kprobeEventArmed  time.Duration    // how long that took
	staleKprobeEvents map[string]error // killed monitors' events, deleted or not
	expediteWhyNot    string           // why the detach's grace periods were not expedited
	kprobeEventReason string
	// an open stub serves an i386 entry point (assignFunctionHooks)
	openStubI386 bool
	// the kprobes made by name, whose addresses the next start may use
	// (kprobe_addrs.go)
	kprobesByName []string
	// how syscalls are seen ("functions" or "tracepoints") and why not
	// functions when they were not chosen
	syscallHooks, syscallHooksReason string
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

// bpfLogStats is BPF_LOG_STATS: the verifier's statistics only, not its
// walk.
const bpfLogStats = 4

// openModule opens the embedded object for this kernel through a memfd.  libbpfgo's
// NewModuleFromBufferArgs always raises RLIMIT_MEMLOCK, which fails in many
// containers and is not needed on kernels >= 5.11 (memcg accounting), so
// the object is handed over as a file with SkipMemlockBump.  libbpf
// relocates it against the kernel's BTF cut down for it (kt).
func openModule(cfg *Config, kt *kernelTypes, stats bool) (*bpf.Module, *os.File, string, map[string]uint32, error) {
	customBTF := cfg.BTFFile != "" && cfg.BTFFile != DefaultBTFFile
	var o embeddedObject
	var types *objectTypes
	for _, o = range objectsFor(customBTF) {
		var err error
		if types, err = kt.forObject(o.name, o.obj, o.casts); err == nil {
			break
		}
	}
	cfg.Log.Debug().Str("object", o.name).Msg("BPF object for this kernel")
	f, err := memfdWith(objectNameInMfd, o.obj)
	if err != nil {
		return nil, nil, "", nil, errorf(ExitRuntime, "the BPF object: %v", err)
	}
	args := bpf.NewModuleArgs{
		BPFObjPath:      fmt.Sprintf("/proc/self/fd/%d", f.Fd()),
		BPFObjName:      objectNameInMfd,
		SkipMemlockBump: true,
	}
	if stats {
		// the verifier's statistics per program (time, instructions
		// walked, states) in the debug log: what the start costs where
		args.KernelLogLevel = bpfLogStats
	}
	cut, err := kt.cutPath(cfg, types)
	switch {
	case err != nil:
		cfg.Log.Info().Err(err).Msg("kernel BTF cut not handed over: libbpf searches the whole of it")
	case cut != "":
		args.BTFObjPath = cut
	}
	if args.BTFObjPath == "" && customBTF {
		args.BTFObjPath = cfg.BTFFile
	}
	mod, err := bpf.NewModuleFromFileArgs(args)
	if err != nil {
		f.Close()
		return nil, nil, "", nil, errorf(ExitRuntime, "open BPF object: %v", err)
	}
	if cfg.Log.GetLevel() > zerolog.DebugLevel {
		silenceLibbpf()
	}
	return mod, f, o.name, types.castIDs, nil
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
	case len(parts) == 2 && parts[0] == "fentry":
		return hookSpec{kind: "fentry", name: parts[1]}, nil
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
// Syscalls are seen through function hooks where the kernel allows them
// (fnhooks.go).  A plan whose shared open the kernel bypasses, or some of
// whose trampolines it refuses, is made once more without those functions
// (functionsToDrop); when function hooks still fail with --syscall-hooks
// auto, the object is loaded again with the raw_syscalls programs.
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
	restoreStaleExpedite(log)

	kt := newKernelTypes(cfg, log)
	defer kt.Close()
	plan, reason, err := planFunctionHooks(cfg, tracefs, kt)
	if err != nil {
		return nil, err
	}
	l, err := loadWith(cfg, kt, watchList, log, tracefs, plan)
	if drop, what := functionsToDrop(err); plan != nil && drop != nil {
		log.Info().Str("reason", err.Error()).Strs("functions", drop).Msg(what)
		if q, missing := plan.without(drop); q != nil {
			plan = q
			l, err = loadWith(cfg, kt, watchList, log, tracefs, plan)
		} else {
			err = errorf(ExitNoHooks, "%v; without %s, no kernel function for %s", err, strings.Join(drop, ", "), strings.Join(missing, ", "))
		}
	}
	if err != nil && plan != nil && cfg.SyscallHooks != "functions" {
		log.Info().Str("reason", err.Error()).Msg("the kernel refused function hooks; seeing syscalls through raw_syscalls instead")
		reason = "function hooks refused: " + err.Error()
		plan = nil
		l, err = loadWith(cfg, kt, watchList, log, tracefs, nil)
	}
	if err != nil {
		return nil, err
	}
	l.syscallHooks, l.syscallHooksReason = "tracepoints", reason
	if plan != nil {
		l.syscallHooks = "functions"
	}
	return l, nil
}

// functionsToDrop says which functions a load that failed with err is to
// be planned again without, and what that does; nil when none.
func functionsToDrop(err error) ([]string, string) {
	var refused *trampolinesRefused
	switch {
	case errors.Is(err, errSharedOpenMissed):
		return []string{syscalls.OpenShared}, "hooking the opens' entry points instead"
	case errors.As(err, &refused):
		return refused.funcs, "the kernel refused trampolines: planning without their functions"
	}
	return nil, ""
}

// errStatsOnly: a load asked the verifier for its statistics only
// (bpfLogStats) and was refused, so libbpf's log holds the refusal but not
// the walk that led to it.
var errStatsOnly = errors.New("load refused with the verifier's statistics only")

// loadWith loads the object with the function hooks of plan, or with the
// raw_syscalls programs when plan is nil.  Under --debug the verifier is
// asked for its statistics per program; a refused load is then made once
// more without, so that libbpf asks for the verifier's whole log and shows
// it (what "run with --debug" promises).
func loadWith(cfg *Config, kt *kernelTypes, watchList []watch.MapEntry, log zerolog.Logger, tracefs string, fnPlan *fnPlan) (*loaded, error) {
	stats := cfg.Log.GetLevel() <= zerolog.DebugLevel
	l, err := loadObject(cfg, kt, watchList, log, tracefs, fnPlan, stats)
	if errors.Is(err, errStatsOnly) {
		log.Debug().Msg("the verifier refused a program: loading again for its whole log")
		l, err = loadObject(cfg, kt, watchList, log, tracefs, fnPlan, false)
	}
	return l, err
}

// loadObject is one try of loadWith; stats: ask for the verifier's
// statistics.
func loadObject(cfg *Config, kt *kernelTypes, watchList []watch.MapEntry, log zerolog.Logger, tracefs string, fnPlan *fnPlan, stats bool) (*loaded, error) {
	mod, memfd, object, castIDs, err := openModule(cfg, kt, stats)
	if err != nil {
		return nil, err
	}
	l := &loaded{mod: mod, memfd: memfd, object: object, tracefs: tracefs}
	fnHooks, err := l.assignFunctionHooks(fnPlan)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.armKretprobes(fnHooks)

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
	usable := map[string]bool{functionHooks: fnPlan != nil}
	it := mod.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		if isFunctionStub(prog.Name()) {
			continue // assignFunctionHooks decided
		}
		spec, err := parseSection(prog.SectionName())
		if err == nil {
			err = spec.available(tracefs)
		}
		if err == nil && spec.kind == "fentry" && (fnPlan == nil || !fnPlan.funcArg) {
			err = errTrampolineUnused
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
		for _, by := range supersededBy[prog.Name()] {
			if usable[by] {
				err = fmt.Errorf("superseded by %s", by)
				h.Superseded = true
				break
			}
		}
		// not a missing hook: its twin of the other design serves
		h.Superseded = h.Superseded || errors.Is(err, errTrampolineUnused)
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

	for _, name := range castStructs {
		if err := mod.InitGlobalVariable("btf_id_"+name, castIDs[name]); err != nil {
			l.Close()
			return nil, errorf(ExitRuntime, "set btf_id_%s: %v", name, err)
		}
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
	// the open stubs' i386 path is left out at load when no stub serves
	// an i386 entry point (bpf/fnhooks.h)
	nativeOnly := uint32(1)
	if l.openStubI386 {
		nativeOnly = 0
	}
	if err := mod.InitGlobalVariable("open_stubs_native_only", nativeOnly); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set open_stubs_native_only: %v", err)
	}
	if err := mod.InitGlobalVariable("self_pgid", uint32(unix.Getpgrp())); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "set self_pgid: %v", err)
	}
	// the syscall numbers worth a second look (bpf/ournr.h: our_nr)
	for name, bits := range map[string]syscalls.Bits{"table_bits": syscalls.TableBits(), "compat_bits": syscalls.CompatBits()} {
		if err := mod.InitGlobalVariable(name, bits); err != nil {
			l.Close()
			return nil, errorf(ExitRuntime, "set %s: %v", name, err)
		}
	}
	loadStart := time.Now()
	if err := mod.BPFLoadObject(); err != nil {
		l.Close()
		if stats {
			return nil, errStatsOnly
		}
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

	log.Debug().Dur("took", time.Since(loadStart)).Int("function_hooks", len(fnHooks)).Msg("BPF object loaded")
	if l.maps, err = resolveMaps(mod); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "%v", err)
	}
	if err := l.maps.loadWatchList(watchList); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the watch list into the kernel: %v", err)
	}
	if err := l.maps.loadSelfTids(); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "record the monitor's threads: %v", err)
	}
	if err := l.maps.loadProtected(); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "record the audit and logging daemons: %v", err)
	}
	if err := l.maps.loadSyscallTable(); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the syscall table into the kernel: %v", err)
	}
	sockets := append(append([]string{}, rules.RuntimeSockets...), cfg.UnixSockets...)
	if cfg.Policy != nil {
		sockets = append(sockets, cfg.Policy.WatchSockets...)
	}
	if err := l.maps.loadUnixWatch(sockets); err != nil {
		l.Close()
		return nil, errorf(ExitRuntime, "load the watched unix sockets into the kernel: %v", err)
	}

	var keptAddrs map[string]uint64
	if kprobesByNameSlow() {
		keptAddrs = hostKprobeAddrs().kept()
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
			link, err = l.attachKprobe(p.prog, p.spec.name, keptAddrs, log)
		case "fentry":
			link, err = p.prog.AttachGeneric() // the target is in the section
		}
		if err != nil {
			l.hooks[p.hook].Reason = err.Error()
			continue
		}
		l.links = append(l.links, link)
		l.hooks[p.hook].Attached = true
	}
	attachStart := time.Now()
	if err := l.attachFunctionHooks(fnHooks); err != nil {
		l.Close()
		return nil, err
	}
	log.Debug().Dur("took", time.Since(attachStart)).Int("function_hooks", len(fnHooks)).Msg("function hooks attached")
	if err := l.proveSharedOpen(fnHooks); err != nil {
		l.Close()
		return nil, err
	}
	if l.kprobeEvent != nil {
		log.Debug().Str("event", l.kprobeEvent.String()).Dur("armed_in", l.kprobeEventArmed).Msg("kretprobes through a tracefs event, armed while the object loaded")
	}
	for name, err := range l.staleKprobeEvents {
		if err != nil {
			log.Warn().Str("event", name).Err(err).Msg("a kretprobe event left by a monitor no longer running could not be deleted")
		} else {
			log.Info().Str("event", name).Msg("deleted the kretprobe event of a monitor no longer running")
		}
	}
	if l.kprobeEventReason != "" {
		log.Info().Str("reason", l.kprobeEventReason).Msg("kretprobes through the perf kprobe PMU, one per function: slower to release, 10 or twice the CPUs return instances each, misses not counted")
	}
	// after the attach: what the kernel learnt meanwhile is newer
	if n, err := l.maps.seedCreds("/proc"); err != nil {
		log.Warn().Err(err).Int("seeded", n).Msg("credentials of the running tasks: a change by one of them before its first monitored call is not judged")
	} else {
		log.Debug().Int("threads", n).Msg("credentials of the running tasks recorded")
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

	return l, nil
}

// attachKprobe makes prog's kprobe on function name: by its kept address
// where there is one (kprobe_addrs.go), else by name.
func (l *loaded) attachKprobe(prog *bpf.BPFProg, name string, kept map[string]uint64, log zerolog.Logger) (*bpf.BPFLink, error) {
	if addr, ok := kept[name]; ok {
		link, err := prog.AttachKprobeOffset(addr)
		if err == nil {
			log.Debug().Str("function", name).Str("address", fmt.Sprintf("%#x", addr)).Msg("kprobe made by its kept address")
			return link, nil
		}
		log.Info().Str("function", name).Err(err).Msg("the kernel refused a kprobe at its kept address; made by name instead")
	}
	link, err := prog.AttachKprobe(name)
	if err == nil {
		l.kprobesByName = append(l.kprobesByName, name)
	}
	return link, err
}

// keepKprobeAddresses keeps the addresses of the kprobes made by name, for
// the next start, where the kernel's lookups by name are slow; called
// after the start record, off the start's path.
func (l *loaded) keepKprobeAddresses(log zerolog.Logger) {
	if len(l.kprobesByName) == 0 || !kprobesByNameSlow() {
		return
	}
	addrs, err := hostKprobeAddrs().keep(l.kprobesByName)
	if err != nil {
		log.Debug().Err(err).Msg("kprobe addresses not kept: the next start makes its kprobes by name")
		return
	}
	log.Debug().Int("kept", len(addrs)).Strs("functions", l.kprobesByName).Msg("kprobe addresses kept for the next start")
}

// attachedHooks counts the hooks the start record lists as attached (a
// function hook of many functions is one; links are more).
func (l *loaded) attachedHooks() int {
	n := 0
	for _, h := range l.hooks {
		if h.Attached {
			n++
		}
	}
	return n
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
// 59 links in a row); done concurrently the waits overlap.  With a
// kretprobe event, whose probes are deleted one grace period each, the
// grace periods are expedited meanwhile where the administrator allows it
// (expedite.go): expedited says whether they were, and err is a failure to
// put the kernel's knob back.
func (l *loaded) detach() (expedited bool, err error) {
	restore, expedited := l.expediteGracePeriods()
	defer func() { err = restore() }()
	var wg sync.WaitGroup
	// the kretprobe event first, alone: its probes can be deleted only
	// once it is detached, a grace period each, the longest wait of all
	// (1.4 s for 88 in 6.1 under emulation), and it runs while the rest
	// detach; detached among them, it waited for the trampolines'
	// ftrace_lock first (detach 2.6-2.7 s -> 2.2-2.4 s in 6.1 under TCG)
	if l.kprobeEventLink != nil {
		l.kprobeEventLink.Destroy()
		ev := l.takeKprobeEvent()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev.remove()
		}()
	}
	for _, link := range l.links {
		if link == l.kprobeEventLink {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			link.Destroy()
		}()
	}
	for _, fd := range l.fdLinks {
		l.missedAtDetach += kmultiMissed(fd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			unix.Close(fd)
		}()
	}
	wg.Wait()
	l.links, l.fdLinks, l.kprobeEventLink = nil, nil, nil
	return expedited, nil
}

// expediteGracePeriods expedites the kernel's grace periods until restore,
// when we hold a kretprobe event (the one release that waits for many).
func (l *loaded) expediteGracePeriods() (restore func() error, expedited bool) {
	restore = func() error { return nil }
	if l.kprobeEvent == nil {
		return restore, false
	}
	restore, expedited, l.expediteWhyNot = hostRCU.expedite(l.kprobeEvent.ns, os.Getpid())
	return restore, expedited
}

// removeKprobeEvent deletes our tracefs kretprobe event once nothing is
// attached to it, keeping what its probes had missed (Close, on the
// paths that never reached detach).
func (l *loaded) removeKprobeEvent() {
	if ev := l.takeKprobeEvent(); ev != nil {
		ev.remove()
	}
}

// takeKprobeEvent hands over our tracefs event for deletion, once nothing
// runs on it, keeping what its probes had missed (final then); nil when
// there is none.
func (l *loaded) takeKprobeEvent() *kprobeEvent {
	ev := l.kprobeEvent
	if ev != nil {
		l.missedAtDetach += ev.missed()
		l.kprobeEvent = nil
	}
	return ev
}

// Close releases the perf buffer, links, programs, maps and the memfd.
func (l *loaded) Close() {
	restore, _ := l.expediteGracePeriods()
	defer restore() // a failure leaves the mark, for the next start
	for _, fd := range l.fdLinks {
		unix.Close(fd)
	}
	l.fdLinks = nil
	if l.mod != nil {
		l.mod.Close() // perf buffer, remaining links, object
		l.mod = nil
	}
	if l.arming != nil {
		l.takeArmed().release()
	}
	l.removeKprobeEvent()
	if l.memfd != nil {
		l.memfd.Close()
		l.memfd = nil
	}
}
