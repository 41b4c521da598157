package main

import (
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// The console's default view.  A person reading text sees what ran, what
// it touched and what it gained; exits (44% of the lines on a benign day)
// are one flag away (-e all).  JSON is read by programs: every event.
const (
	textEvents = "exec,file,network,syscall,privilege,container"
	jsonEvents = "exec,exit,file,network,syscall,privilege,container"
)

// eventNames are the values --events accepts; eventGroups name several.
var eventNames = slices.Concat([]string{"exec", "exit", "fork"}, record.FileEvents, record.NetworkEvents)

var eventGroups = map[string][]string{
	"process": {"exec", "exit", "fork"},
	"file":    record.FileEvents,
	"network": record.NetworkEvents,
	"syscall": syscalls.Names(),
}

func init() {
	eventNames = append(eventNames, "privilege", "container_start")
	eventNames = append(eventNames, syscalls.Names()...)
	eventGroups["privilege"] = []string{"privilege"}
	eventGroups["container"] = []string{"container_start"}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "ebpf-log-monitor",
		Usage:   "security monitor for Linux: process, file, network and privilege events from eBPF",
		Version: version,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "interval", Aliases: []string{"i"}, Value: 5, Usage: "seconds between stats records (0: only the final one)"},
			&cli.StringFlag{Name: "log-file", Aliases: []string{"l"}, Usage: "also append records to `FILE` (created 0600)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text or json"},
			&cli.StringFlag{Name: "severity", Aliases: []string{"s"}, Value: "info", Usage: "lowest severity printed: info, warn or critical"},
			&cli.StringFlag{Name: "events", Aliases: []string{"e"}, Usage: "comma-separated events the console shows: event names (exec, exit, open, connect, ptrace, ...), groups (process, file, network, syscall, privilege, container), or all (default: text " + textEvents + "; json " + jsonEvents + "; the log file gets every event)"},
			&cli.StringSliceFlag{Name: "watch-path", Aliases: []string{"w"}, Usage: "also watch `PATH` (a directory, or ending in /: everything below it); repeatable"},
			&cli.BoolFlag{Name: "containers-only", Usage: "write only the records of processes in containers (console and log file)"},
			&cli.BoolFlag{Name: "host-only", Usage: "write only the records of the host's own processes, none from containers"},
			&cli.StringFlag{Name: "container", Usage: "write only the records of one container: `ID` (a prefix of 4 or more), its name or its image (name or name:tag; a name or image matches once the engine answered)"},
			&cli.StringFlag{Name: "docker-socket", Value: container.DefaultDockerSocket, Usage: "Docker Engine's API socket, asked for containers' names and images in the background (\"\": never)"},
			&cli.StringSliceFlag{Name: "watch-socket", Usage: "also report connects to the unix socket `PATH` (container runtimes are watched by default); repeatable"},
			&cli.BoolFlag{Name: "no-default-watch", Usage: "watch only the --watch-path entries, not the built-in sensitive paths"},
			&cli.DurationFlag{Name: "fold-window", Value: 10 * time.Second, Usage: "UDP sends to one destination within this window are one event plus a count"},
			&cli.StringFlag{Name: "policy", Aliases: []string{"p"}, Usage: "security policy `FILE` (YAML; extends the embedded default; SIGHUP reloads it)"},
			&cli.StringFlag{Name: "rules-dir", Value: policy.DefaultRulesDir, Usage: "load `DIR`/*.yaml in name order after the policy (rules, lists, macros; SIGHUP reloads them)"},
			&cli.BoolFlag{Name: "print-default-policy", Usage: "print the embedded default policy (the built-in rules in comments) and exit"},
			&cli.BoolFlag{Name: "print-default-rules", Usage: "print the built-in rules file and exit"},
			&cli.StringFlag{Name: "transport", Value: "ringbuf", Usage: "kernel to user transport: ringbuf (BPF ring buffer, batched wakeups) or perf (perf buffer, a wakeup per record)"},
			&cli.IntFlag{Name: "ring-size", Value: 8, Usage: "BPF ring buffer size in MiB (power of two)"},
			&cli.IntFlag{Name: "perf-pages", Value: 256, Usage: "perf buffer size in 4 KiB pages per CPU (power of two; --transport perf)"},
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve /healthz (200 while the BPF programs are attached and the event loop runs, else 503 with the reason) on `ADDR`, e.g. 127.0.0.1:9464"},
			&cli.StringFlag{Name: "btf-file", Value: monitor.DefaultBTFFile, Usage: "kernel BTF `FILE` (for kernels without /sys/kernel/btf/vmlinux)"},
			&cli.IntFlag{Name: "max-processes", Value: 16384, Usage: "capacity of the process table (ancestry); oldest entries are evicted"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile to `FILE` (benchmarking)"},
			&cli.BoolFlag{Name: "debug", Usage: "show the monitor's debug log, libbpf's messages and verifier logs (also LOG_LEVEL=debug)"},
		},
		HideHelpCommand: true,
		Commands:        []*cli.Command{replayCommand()},
		Action:          action,
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return err
		},
	}
}

// parseConfig validates flags into a monitor.Config.
func parseConfig(c *cli.Context) (monitor.Config, error) {
	var cfg monitor.Config
	if c.Args().Len() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	format, err := output.ParseFormat(c.String("format"))
	if err != nil {
		return cfg, err
	}
	sev, err := record.ParseSeverity(c.String("severity"))
	if err != nil {
		return cfg, err
	}
	interval := c.Int("interval")
	if interval < 0 {
		return cfg, fmt.Errorf("invalid interval %d: must be >= 0 seconds", interval)
	}
	pages := c.Int("perf-pages")
	if pages <= 0 || pages&(pages-1) != 0 {
		return cfg, fmt.Errorf("invalid --perf-pages %d: must be a power of two", pages)
	}
	transport := c.String("transport")
	if transport != "ringbuf" && transport != "perf" {
		return cfg, fmt.Errorf("invalid --transport %q: use ringbuf or perf", transport)
	}
	ringMB := c.Int("ring-size")
	if ringMB <= 0 || ringMB > 1024 || ringMB&(ringMB-1) != 0 {
		return cfg, fmt.Errorf("invalid --ring-size %d: a power of two from 1 to 1024 (MiB)", ringMB)
	}
	if c.IsSet("perf-pages") && !c.IsSet("transport") {
		transport = "perf" // asking for perf pages means the perf buffer
	}
	maxProcs := c.Int("max-processes")
	if maxProcs < 16 {
		return cfg, fmt.Errorf("invalid --max-processes %d: must be at least 16", maxProcs)
	}
	shown := c.String("events")
	if !c.IsSet("events") {
		shown = textEvents
		if format == output.FormatJSON {
			shown = jsonEvents
		}
	}
	events, err := parseEvents(shown)
	if err != nil {
		return cfg, err
	}
	var watchPaths []watch.Entry
	for _, p := range c.StringSlice("watch-path") {
		e, err := watch.Custom(p)
		if err != nil {
			return cfg, err
		}
		watchPaths = append(watchPaths, e)
	}
	if c.Bool("host-only") && (c.Bool("containers-only") || c.String("container") != "") {
		return cfg, fmt.Errorf("--host-only excludes --containers-only and --container: the host's records have no container")
	}
	if ct := c.String("container"); ct != "" && len(ct) < 4 {
		return cfg, fmt.Errorf("invalid --container %q: an id prefix of 4 or more characters, a name or an image", ct)
	}
	for _, p := range c.StringSlice("watch-socket") {
		if !strings.HasPrefix(p, "/") || len(p) >= 108 {
			return cfg, fmt.Errorf("invalid --watch-socket %q: an absolute path shorter than 108 bytes", p)
		}
	}
	if c.Duration("fold-window") < 100*time.Millisecond {
		return cfg, fmt.Errorf("invalid --fold-window %v: must be at least 100ms", c.Duration("fold-window"))
	}
	if c.String("log-file") == "" && c.IsSet("log-file") {
		return cfg, fmt.Errorf("invalid --log-file: empty path")
	}
	if a := c.String("metrics-addr"); a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return cfg, fmt.Errorf("invalid --metrics-addr %q: HOST:PORT, e.g. 127.0.0.1:9464 (%v)", a, err)
		}
	}
	cfg = monitor.Config{
		Version:        version,
		Interval:       time.Duration(interval) * time.Second,
		LogFile:        c.String("log-file"),
		Format:         format,
		MinSeverity:    sev,
		Events:         events,
		PerfPages:      pages,
		Transport:      transport,
		RingSizeMB:     ringMB,
		BTFFile:        c.String("btf-file"),
		MaxProcesses:   maxProcs,
		WatchPaths:     watchPaths,
		NoDefaultWatch: c.Bool("no-default-watch"),
		FoldWindow:     c.Duration("fold-window"),
		UnixSockets:    c.StringSlice("watch-socket"),
		MetricsAddr:    c.String("metrics-addr"),
		DockerSocket:   c.String("docker-socket"),
		ContainersOnly: c.Bool("containers-only"),
		HostOnly:       c.Bool("host-only"),
		Container:      c.String("container"),
		Stdout:         os.Stdout,
		StdoutTTY:      isatty.IsTerminal(os.Stdout.Fd()),
	}
	return cfg, nil
}

func parseEvents(s string) (map[string]bool, error) {
	if s == "all" {
		return nil, nil
	}
	m := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if group, ok := eventGroups[name]; ok {
			for _, n := range group {
				m[n] = true
			}
			continue
		}
		ok := false
		for _, known := range eventNames {
			if name == known {
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("invalid event %q in --events: use %s, process, file, network, syscall, privilege or all", name, strings.Join(eventNames, ","))
		}
		m[name] = true
	}
	return m, nil
}

// diagLogger is the monitor's own log on stderr (not the event stream).
func diagLogger(debug bool) zerolog.Logger {
	level := zerolog.InfoLevel
	if debug || strings.EqualFold(os.Getenv("LOG_LEVEL"), "debug") {
		level = zerolog.DebugLevel
	}
	w := zerolog.ConsoleWriter{Out: os.Stderr, NoColor: !isatty.IsTerminal(os.Stderr.Fd()), TimeFormat: time.RFC3339}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func action(c *cli.Context) error {
	if c.Bool("print-default-policy") {
		_, err := os.Stdout.Write(policy.PrintedDefault())
		return err
	}
	if c.Bool("print-default-rules") {
		_, err := os.Stdout.Write(policy.BuiltinYAML())
		return err
	}
	cfg, err := parseConfig(c)
	if err != nil {
		return err
	}
	cfg.PolicyPath, cfg.RulesDir = c.String("policy"), c.String("rules-dir")
	p, err := policy.Build(cfg.PolicyPath, cfg.RulesDir)
	if err == nil {
		cfg.Engine, err = rules.Compile(p)
	}
	if err != nil {
		return &monitor.Error{Code: monitor.ExitPolicy, Err: fmt.Errorf("policy: %w", err)}
	}
	cfg.Policy = p
	cfg.Reload = hangups()
	if path := c.String("cpuprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg.Log = diagLogger(c.Bool("debug"))
	ctx, stop := signalContext()
	defer stop()
	return monitor.Run(ctx, cfg)
}

// replayCommand judges a recorded log again: try rules on last week's
// records before deploying them.
func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "judge recorded JSON lines (the monitor's own -f json log) again with the rules, offline",
		ArgsUsage: "FILE... (- for standard input)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Aliases: []string{"p"}, Usage: "policy `FILE` to judge with (extends the embedded default)"},
			&cli.StringFlag{Name: "rules-dir", Value: policy.DefaultRulesDir, Usage: "rules files `DIR`/*.yaml, loaded after the policy"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format of the alerts: text or json"},
			&cli.StringFlag{Name: "severity", Aliases: []string{"s"}, Value: "warn", Usage: "lowest severity printed: info, warn or critical"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() == 0 {
				return fmt.Errorf("replay: name at least one FILE (- for standard input)")
			}
			format, err := output.ParseFormat(c.String("format"))
			if err != nil {
				return err
			}
			sev, err := record.ParseSeverity(c.String("severity"))
			if err != nil {
				return err
			}
			p, err := policy.Build(c.String("policy"), c.String("rules-dir"))
			if err == nil {
				_, err = rules.Compile(p)
			}
			if err != nil {
				return &monitor.Error{Code: monitor.ExitPolicy, Err: fmt.Errorf("policy: %w", err)}
			}
			_, err = monitor.Replay(monitor.ReplayConfig{Files: c.Args().Slice(), Policy: p, Format: format,
				MinSeverity: sev, Out: os.Stdout, Summary: os.Stderr})
			if err != nil {
				return &monitor.Error{Code: monitor.ExitRuntime, Err: fmt.Errorf("replay: %w", err)}
			}
			return nil
		},
	}
}
