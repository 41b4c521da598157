package monitor

import (
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// Config is everything Run needs; main fills it from flags.
type Config struct {
	Version        string
	Interval       time.Duration // stats period; 0 disables periodic stats
	LogFile        string
	Rotation       output.Rotation // --log-max-size, --log-max-files, --log-compress
	Format         output.Format
	MinSeverity    record.Severity
	Events         map[string]bool // event names to print; nil prints all
	PerfPages      int             // perf buffer pages per CPU (power of two)
	Transport      string          // ring_buffer transport unless "perf"
	RingSizeMB     int             // BPF ring buffer size in MiB (power of two)
	BTFFile        string          // kernel BTF; default /sys/kernel/btf/vmlinux
	CoreBTF        string          // CoreBTFCut or CoreBTFWhole: what libbpf relocates against
	MaxProcesses   int             // process table capacity
	WatchPaths     []watch.Entry   // --watch-path entries, before the defaults
	NoDefaultWatch bool
	FoldWindow     time.Duration // UDP sends to one destination folded this long
	UnixSockets    []string      // --watch-socket, besides the runtime sockets
	Policy         *policy.Policy
	PolicyPath     string          // "" for the embedded default
	RulesDir       string          // rules files loaded after the policy
	Reload         <-chan struct{} // SIGHUP: reload the policy
	// LogHeld holds Log's output until the rules have compiled (nil: Log
	// is not held)
	LogHeld      *HeldWriter
	MetricsAddr  string            // --metrics-addr: serve /metrics and /healthz there; "" for none
	Syslogs      []*output.Syslog  // --syslog destinations, not started
	Webhooks     []*output.Webhook // --webhook destinations, not started
	DockerSocket string            // Docker Engine's API: containers' names and images; "" for none
	// OwnNamespacesAreHost takes the monitor's own namespaces for the
	// host's (a container that stands for a machine) instead of the
	// initial ones (proc.HostNamespaces)
	OwnNamespacesAreHost bool
	// SyscallHooks is how syscalls are seen: "auto", "functions" (fentry
	// and fexit on the kernel functions of the watched calls) or
	// "tracepoints" (raw_syscalls)
	SyscallHooks string
	// which records are written (console and log file): --containers-only,
	// --host-only, --container (an id prefix, a name or an image)
	ContainersOnly, HostOnly bool
	Container                string

	Stdout    io.Writer
	StdoutTTY bool
	Log       zerolog.Logger // the monitor's own diagnostics (stderr)
}

// DefaultBTFFile is where the running kernel exposes its BTF.
const DefaultBTFFile = "/sys/kernel/btf/vmlinux"

// watchEntries is the full watch list: the user's paths first (an entry
// listed twice keeps its first access mask), then the defaults and every
// home's SSH directory and history files.
func (c *Config) watchEntries() []watch.Entry {
	return watchEntries(c.WatchPaths, c.Policy, c.NoDefaultWatch)
}

func watchEntries(flags []watch.Entry, p *policy.Policy, noDefault bool) []watch.Entry {
	out := append([]watch.Entry{}, flags...)
	if p != nil {
		for _, path := range p.WatchPaths {
			if e, err := watch.Custom(path); err == nil {
				out = append(out, e)
			}
		}
	}
	if !noDefault {
		out = append(out, watch.Defaults()...)
		out = append(out, watch.HomeEntries("/etc/passwd")...)
	}
	return out
}

// fullStream says whether a sink takes every record (the log file, syslog, a webhook),
// not only what the console shows.
func (c *Config) fullStream() bool {
	return c.LogFile != "" || len(c.Syslogs) > 0 || len(c.Webhooks) > 0
}

// inScope says whether a record passes --containers-only, --host-only and
// --container.  A name or image matches once the runtime's API answered;
// an id prefix always does.
func (c *Config) inScope(r *record.Record) bool {
	ct := r.Container
	switch {
	case c.HostOnly:
		return ct == nil
	case c.Container != "":
		return ct != nil && (strings.HasPrefix(ct.ID, c.Container) || ct.Name == c.Container ||
			ct.Image == c.Container || strings.HasPrefix(ct.Image, c.Container+":"))
	case c.ContainersOnly:
		return ct != nil
	}
	return true
}
