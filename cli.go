package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
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
			&cli.IntFlag{Name: "log-max-size", Usage: "rotate the log file when it reaches `MiB` (0: never; for hosts without logrotate)"},
			&cli.IntFlag{Name: "log-max-files", Value: 5, Usage: "keep `N` rotated log files (FILE.1 is the newest)"},
			&cli.BoolFlag{Name: "log-compress", Usage: "gzip rotated log files (FILE.1.gz, ...)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: text, json or ecs (Elastic Common Schema)"},
			&cli.StringFlag{Name: "severity", Aliases: []string{"s"}, Value: "info", Usage: "lowest severity printed: info, warn or critical"},
			&cli.StringFlag{Name: "events", Aliases: []string{"e"}, Usage: "comma-separated events the console shows: event names (exec, exit, open, connect, ptrace, ...), groups (process, file, network, syscall, privilege, container), or all (default: text " + textEvents + "; json " + jsonEvents + "; the log file gets every event)"},
			&cli.StringSliceFlag{Name: "watch-path", Aliases: []string{"w"}, Usage: "also watch `PATH` (a directory, or ending in /: everything below it); repeatable"},
			&cli.BoolFlag{Name: "containers-only", Usage: "write only the records of processes in containers (console and log file)"},
			&cli.BoolFlag{Name: "host-only", Usage: "write only the records of the host's own processes, none from containers"},
			&cli.StringFlag{Name: "container", Usage: "write only the records of one container: `ID` (a prefix of 4 or more), its name or its image (name or name:tag; a name or image matches once the engine answered)"},
			&cli.StringFlag{Name: "docker-socket", Value: container.DefaultDockerSocket, Usage: "Docker Engine's API socket, asked for containers' names and images in the background (\"\": never)"},
			&cli.StringFlag{Name: "host-namespaces", Value: "auto", EnvVars: []string{"EBPF_LOG_MONITOR_HOST_NAMESPACES"}, Usage: "which namespaces are the host's, the others named in records: auto (init's, else a kernel thread's: the initial ones) or self (the monitor's own: a container that stands for a machine)"},
			&cli.StringFlag{Name: "syscall-hooks", Value: "auto", EnvVars: []string{"EBPF_LOG_MONITOR_SYSCALL_HOOKS"}, Usage: "how syscalls are seen: auto (functions where the kernel allows them, else tracepoints), functions (fentry/fexit on the kernel functions of the watched calls: other syscalls pay nothing; refuse to start without them) or tracepoints (raw_syscalls: every syscall pays a little)"},
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
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve /metrics (Prometheus) and /healthz (200 while the BPF programs are attached and the event loop runs, else 503 with the reason) on `ADDR`, e.g. 127.0.0.1:9464"},
			&cli.StringSliceFlag{Name: "syslog", Usage: "also send every record (what the log file gets) as RFC 5424 syslog with the JSON record as message to `URL`: unix:///dev/log, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT (TCP and TLS octet-counted); repeatable"},
			&cli.StringFlag{Name: "syslog-facility", Value: "authpriv", Usage: "syslog facility `NAME`: authpriv, auth, daemon, user, local0-local7, ..."},
			&cli.StringFlag{Name: "syslog-ca", Usage: "tls:// destinations: the relay's CA certificates, PEM `FILE` (default: the system's)"},
			&cli.StringFlag{Name: "syslog-cert", Usage: "tls:// destinations: a client certificate, PEM `FILE` (with --syslog-key)"},
			&cli.StringFlag{Name: "syslog-key", Usage: "tls:// destinations: the client certificate's key, PEM `FILE`"},
			&cli.StringFlag{Name: "syslog-server-name", Usage: "tls:// destinations: the `NAME` the relay's certificate must carry (default: the URL's host)"},
			&cli.StringFlag{Name: "webhook", Usage: "also POST every record (what the log file gets) as NDJSON, in batches, to `URL` (http:// or https://)"},
			&cli.StringSliceFlag{Name: "webhook-header", Usage: "add `\"NAME: VALUE\"` to every webhook request, e.g. \"Authorization: Bearer TOKEN\"; repeatable"},
			&cli.StringFlag{Name: "webhook-ca", Usage: "https webhooks: the server's CA certificates, PEM `FILE` (default: the system's)"},
			&cli.StringFlag{Name: "webhook-cert", Usage: "https webhooks: a client certificate, PEM `FILE` (with --webhook-key)"},
			&cli.StringFlag{Name: "webhook-key", Usage: "https webhooks: the client certificate's key, PEM `FILE`"},
			&cli.IntFlag{Name: "webhook-batch-size", Value: 1024, Usage: "`KiB` of records in one webhook request at most"},
			&cli.DurationFlag{Name: "webhook-flush", Value: time.Second, Usage: "the longest `DURATION` a record waits for its webhook batch"},
			&cli.IntFlag{Name: "webhook-queue-size", Value: 8, Usage: "`MiB` queued for the webhook while it fails or is slow; past it new records are dropped and counted"},
			&cli.IntFlag{Name: "syslog-queue-size", Value: 8, Usage: "`MiB` queued per syslog destination while it is down or slow; past it new records are dropped and counted"},
			&cli.StringFlag{Name: "btf-file", Value: monitor.DefaultBTFFile, Usage: "kernel BTF `FILE` (for kernels without /sys/kernel/btf/vmlinux)"},
			&cli.IntFlag{Name: "max-processes", Value: 16384, Usage: "capacity of the process table (ancestry); oldest entries are evicted"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile to `FILE` (benchmarking)"},
			&cli.StringFlag{Name: "core-btf", Hidden: true, Value: monitor.CoreBTFCut, Usage: "what libbpf relocates the object against: cut (the kernel's types the object names) or whole (the whole kernel BTF; to compare, benchmarking and tests)"},
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
	hostNS := c.String("host-namespaces")
	if hostNS != "auto" && hostNS != "self" {
		return cfg, fmt.Errorf("invalid --host-namespaces %q: use auto or self", hostNS)
	}
	syscallHooks := c.String("syscall-hooks")
	if syscallHooks != "auto" && syscallHooks != "functions" && syscallHooks != "tracepoints" {
		return cfg, fmt.Errorf("invalid --syscall-hooks %q: use auto, functions or tracepoints", syscallHooks)
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
		if format != output.FormatText {
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
	if cb := c.String("core-btf"); cb != monitor.CoreBTFCut && cb != monitor.CoreBTFWhole {
		return cfg, fmt.Errorf("invalid --core-btf %q: cut or whole", cb)
	}
	if c.String("log-file") == "" && c.IsSet("log-file") {
		return cfg, fmt.Errorf("invalid --log-file: empty path")
	}
	if a := c.String("metrics-addr"); a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return cfg, fmt.Errorf("invalid --metrics-addr %q: HOST:PORT, e.g. 127.0.0.1:9464 (%v)", a, err)
		}
	}
	syslogs, err := parseSyslogs(c)
	if err != nil {
		return cfg, err
	}
	webhooks, err := parseWebhook(c)
	if err != nil {
		return cfg, err
	}
	rot, err := parseRotation(c)
	if err != nil {
		return cfg, err
	}
	cfg = monitor.Config{
		Syslogs:              syslogs,
		Rotation:             rot,
		Webhooks:             webhooks,
		Version:              version,
		Interval:             time.Duration(interval) * time.Second,
		LogFile:              c.String("log-file"),
		Format:               format,
		MinSeverity:          sev,
		Events:               events,
		PerfPages:            pages,
		Transport:            transport,
		RingSizeMB:           ringMB,
		BTFFile:              c.String("btf-file"),
		CoreBTF:              c.String("core-btf"),
		MaxProcesses:         maxProcs,
		WatchPaths:           watchPaths,
		NoDefaultWatch:       c.Bool("no-default-watch"),
		FoldWindow:           c.Duration("fold-window"),
		UnixSockets:          c.StringSlice("watch-socket"),
		MetricsAddr:          c.String("metrics-addr"),
		DockerSocket:         c.String("docker-socket"),
		OwnNamespacesAreHost: hostNS == "self",
		SyscallHooks:         syscallHooks,
		ContainersOnly:       c.Bool("containers-only"),
		HostOnly:             c.Bool("host-only"),
		Container:            c.String("container"),
		Stdout:               os.Stdout,
		StdoutTTY:            isatty.IsTerminal(os.Stdout.Fd()),
	}
	return cfg, nil
}

// parseSyslogs checks every --syslog destination and its TLS files now, so
// a typo fails before anything is loaded; nothing is dialled yet.
func parseSyslogs(c *cli.Context) ([]*output.Syslog, error) {
	urls := c.StringSlice("syslog")
	fac, ok := output.SyslogFacilities[c.String("syslog-facility")]
	if !ok {
		return nil, fmt.Errorf("invalid --syslog-facility %q: authpriv, auth, daemon, user, local0-local7, ...", c.String("syslog-facility"))
	}
	q := c.Int("syslog-queue-size")
	if q < 1 || q > 4096 {
		return nil, fmt.Errorf("invalid --syslog-queue-size %d: 1 to 4096 (MiB)", q)
	}
	tlsFlags := c.String("syslog-ca") != "" || c.String("syslog-cert") != "" || c.String("syslog-key") != "" || c.String("syslog-server-name") != ""
	opts := output.SyslogOptions{Facility: fac, QueueBytes: int64(q) << 20}
	var out []*output.Syslog
	anyTLS := false
	for _, u := range urls {
		o := opts
		if strings.HasPrefix(u, "tls://") {
			anyTLS = true
			o.CAFile, o.CertFile, o.KeyFile = c.String("syslog-ca"), c.String("syslog-cert"), c.String("syslog-key")
			o.ServerName = c.String("syslog-server-name")
		}
		s, err := output.NewSyslog(u, o)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if tlsFlags && !anyTLS {
		return nil, fmt.Errorf("--syslog-ca, --syslog-cert, --syslog-key and --syslog-server-name are for a tls:// --syslog destination")
	}
	return out, nil
}

func parseRotation(c *cli.Context) (output.Rotation, error) {
	size, files := c.Int("log-max-size"), c.Int("log-max-files")
	if size == 0 && (c.IsSet("log-max-files") || c.Bool("log-compress")) {
		return output.Rotation{}, fmt.Errorf("--log-max-files and --log-compress go with --log-max-size")
	}
	if size != 0 && c.String("log-file") == "" {
		return output.Rotation{}, fmt.Errorf("--log-max-size rotates the --log-file, which is not given")
	}
	if size < 0 || size > 1<<20 {
		return output.Rotation{}, fmt.Errorf("invalid --log-max-size %d: MiB, 1 or more (0: never rotate)", size)
	}
	if files < 1 || files > 1000 {
		return output.Rotation{}, fmt.Errorf("invalid --log-max-files %d: 1 to 1000", files)
	}
	return output.Rotation{MaxBytes: int64(size) << 20, MaxFiles: files, Compress: c.Bool("log-compress")}, nil
}

// parseWebhook checks --webhook and its options now; nothing is sent yet.
func parseWebhook(c *cli.Context) ([]*output.Webhook, error) {
	u := c.String("webhook")
	for _, f := range []string{"webhook-header", "webhook-ca", "webhook-cert", "webhook-key"} {
		if u == "" && c.IsSet(f) {
			return nil, fmt.Errorf("--%s is for --webhook, which is not given", f)
		}
	}
	if u == "" {
		return nil, nil
	}
	headers := http.Header{}
	for _, h := range c.StringSlice("webhook-header") {
		k, v, err := output.ParseHeader(h)
		if err != nil {
			return nil, err
		}
		headers.Add(k, v)
	}
	batch, queue := c.Int("webhook-batch-size"), c.Int("webhook-queue-size")
	if batch < 1 || batch > 64<<10 {
		return nil, fmt.Errorf("invalid --webhook-batch-size %d: 1 to 65536 (KiB)", batch)
	}
	if queue < 1 || queue > 4096 || int64(queue)<<20 < int64(batch)<<10 {
		return nil, fmt.Errorf("invalid --webhook-queue-size %d: 1 to 4096 (MiB), and at least one batch", queue)
	}
	if d := c.Duration("webhook-flush"); d < 10*time.Millisecond || d > time.Minute {
		return nil, fmt.Errorf("invalid --webhook-flush %v: 10ms to 1m", d)
	}
	h, err := output.NewWebhook(u, output.WebhookOptions{
		Headers: headers, CAFile: c.String("webhook-ca"), CertFile: c.String("webhook-cert"), KeyFile: c.String("webhook-key"),
		BatchBytes: batch << 10, BatchWait: c.Duration("webhook-flush"), QueueBytes: int64(queue) << 20,
	})
	if err != nil {
		return nil, err
	}
	return []*output.Webhook{h}, nil
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

// diagLogger is the monitor's own log on stderr (not the event stream),
// through out.
func diagLogger(debug bool, out io.Writer) zerolog.Logger {
	level := zerolog.InfoLevel
	if debug || strings.EqualFold(os.Getenv("LOG_LEVEL"), "debug") {
		level = zerolog.DebugLevel
	}
	// milliseconds under debug: the start's phases (load, attach, seed)
	// are told apart by their times
	format := time.RFC3339
	if level == zerolog.DebugLevel {
		format = "2006-01-02T15:04:05.000Z07:00"
		// the timestamp field keeps them (zerolog's default drops them)
		zerolog.TimeFieldFormat = time.RFC3339Nano
	}
	w := zerolog.ConsoleWriter{Out: out, NoColor: !isatty.IsTerminal(os.Stderr.Fd()), TimeFormat: format}
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
	if err != nil {
		return &monitor.Error{Code: monitor.ExitPolicy, Err: fmt.Errorf("policy: %w", err)}
	}
	// its rules are compiled by monitor.Run while the programs load
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
	cfg.LogHeld = monitor.NewHeldWriter(os.Stderr)
	cfg.Log = diagLogger(c.Bool("debug"), cfg.LogHeld)
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
