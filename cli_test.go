package main

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// parseArgs runs the real flag set with an action that only parses the
// configuration, so no BPF is loaded.
func parseArgs(t *testing.T, args ...string) (monitor.Config, error) {
	t.Helper()
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	var cfg monitor.Config
	app.Action = func(c *cli.Context) error {
		var err error
		cfg, err = parseConfig(c)
		return err
	}
	err := app.Run(append([]string{"ebpf-log-monitor"}, args...))
	return cfg, err
}

func TestParseDefaults(t *testing.T) {
	cfg, err := parseArgs(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != 5*time.Second {
		t.Errorf("Interval = %v, want 5s", cfg.Interval)
	}
	if cfg.Format != output.FormatText {
		t.Errorf("Format = %v, want text", cfg.Format)
	}
	if cfg.MinSeverity != record.Info {
		t.Errorf("MinSeverity = %v, want info", cfg.MinSeverity)
	}
	// the console's text view leaves exits out; JSON has every event
	want := map[string]bool{"exec": true, "privilege": true}
	for _, g := range []string{"file", "network", "syscall", "container"} {
		for _, n := range eventGroups[g] {
			want[n] = true
		}
	}
	if !reflect.DeepEqual(cfg.Events, want) {
		t.Errorf("Events = %v, want %v", cfg.Events, want)
	}
	json, err := parseArgs(t, "-f", "json")
	if err != nil {
		t.Fatal(err)
	}
	want["exit"] = true
	if !reflect.DeepEqual(json.Events, want) {
		t.Errorf("-f json: Events = %v, want %v", json.Events, want)
	}
	if cfg.PerfPages != 256 {
		t.Errorf("PerfPages = %d, want 256", cfg.PerfPages)
	}
	if cfg.MaxProcesses != 16384 {
		t.Errorf("MaxProcesses = %d, want 16384", cfg.MaxProcesses)
	}
	if cfg.BTFFile != monitor.DefaultBTFFile {
		t.Errorf("BTFFile = %q, want %q", cfg.BTFFile, monitor.DefaultBTFFile)
	}
	if cfg.LogFile != "" {
		t.Errorf("LogFile = %q, want none", cfg.LogFile)
	}
	if cfg.Version != version || cfg.Stdout != os.Stdout {
		t.Errorf("Version %q, Stdout %v", cfg.Version, cfg.Stdout)
	}
}

func TestParseShortFlags(t *testing.T) {
	cfg, err := parseArgs(t, "-i", "2", "-f", "json", "-s", "warn", "-l", "/tmp/x", "--events", "all")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != 2*time.Second || cfg.Format != output.FormatJSON || cfg.MinSeverity != record.Warn || cfg.LogFile != "/tmp/x" {
		t.Errorf("Interval %v, Format %v, MinSeverity %v, LogFile %q", cfg.Interval, cfg.Format, cfg.MinSeverity, cfg.LogFile)
	}
	if cfg.Events != nil {
		t.Errorf("--events all: Events = %v, want nil (everything)", cfg.Events)
	}
}

func TestParseLongFlags(t *testing.T) {
	cfg, err := parseArgs(t, "--interval", "0", "--format", "text", "--severity", "critical",
		"--events", " exec , fork", "--perf-pages", "64", "--max-processes", "16", "--btf-file", "/b", "--log-file", "/l")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != 0 || cfg.MinSeverity != record.Critical || cfg.PerfPages != 64 ||
		cfg.MaxProcesses != 16 || cfg.BTFFile != "/b" || cfg.LogFile != "/l" {
		t.Errorf("cfg = %+v", cfg)
	}
	if want := map[string]bool{"exec": true, "fork": true}; !reflect.DeepEqual(cfg.Events, want) {
		t.Errorf("Events = %v, want %v", cfg.Events, want)
	}
}

func TestParseRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string // part of the error a user reads
	}{
		{"unknown format", []string{"-f", "xml"}, `invalid format "xml"`},
		{"unknown severity", []string{"-s", "loud"}, `invalid severity "loud"`},
		{"negative interval", []string{"-i", "-1"}, "invalid interval -1"},
		{"interval not a number", []string{"-i", "soon"}, "soon"},
		{"perf pages not a power of two", []string{"--perf-pages", "3"}, "power of two"},
		{"zero perf pages", []string{"--perf-pages", "0"}, "power of two"},
		{"tiny process table", []string{"--max-processes", "8"}, "at least 16"},
		{"unknown event", []string{"--events", "bogus"}, `invalid event "bogus"`},
		{"empty event in the list", []string{"--events", "exec,,exit"}, `invalid event ""`},
		{"empty log file", []string{"-l", ""}, "empty path"},
		{"metrics address without a port", []string{"--metrics-addr", "localhost"}, "invalid --metrics-addr"},
		{"unexpected argument", []string{"extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"--nope"}, "nope"},
		{"host only and containers only", []string{"--host-only", "--containers-only"}, "--host-only excludes"},
		{"host only and one container", []string{"--host-only", "--container", "web-1"}, "--host-only excludes"},
		{"a container id too short to mean one", []string{"--container", "ab"}, `invalid --container "ab"`},
		{"syslog without a scheme", []string{"--syslog", "127.0.0.1:514"}, `--syslog "127.0.0.1:514"`},
		{"syslog unix with two slashes", []string{"--syslog", "unix://dev/log"}, "three slashes"},
		{"syslog without a port", []string{"--syslog", "tcp://relay"}, "host and port"},
		{"syslog facility unknown", []string{"--syslog", "udp://127.0.0.1:514", "--syslog-facility", "mars"}, "invalid --syslog-facility"},
		{"syslog TLS files without tls://", []string{"--syslog", "tcp://127.0.0.1:514", "--syslog-ca", "/etc/hosts"}, "for a tls://"},
		{"syslog CA that is no certificate", []string{"--syslog", "tls://127.0.0.1:6514", "--syslog-ca", "/etc/hosts"}, "no PEM certificate"},
		{"syslog queue of zero", []string{"--syslog", "udp://127.0.0.1:514", "--syslog-queue-size", "0"}, "invalid --syslog-queue-size"},
		{"webhook not http", []string{"--webhook", "ftp://x/"}, "http:// or https://"},
		{"syscall hooks of no known kind", []string{"--syscall-hooks", "kprobes"}, `invalid --syscall-hooks "kprobes"`},
		{"host namespaces neither auto nor self", []string{"--host-namespaces", "init"}, `invalid --host-namespaces "init"`},
		{"webhook header without a colon", []string{"--webhook", "http://127.0.0.1:1/", "--webhook-header", "Bearer x"}, "Name: value"},
		{"webhook header without the webhook", []string{"--webhook-header", "A: b"}, "--webhook-header is for --webhook"},
		{"webhook queue smaller than a batch", []string{"--webhook", "http://127.0.0.1:1/", "--webhook-queue-size", "1", "--webhook-batch-size", "2048"}, "at least one batch"},
		{"rotation without a log file", []string{"--log-max-size", "10"}, "--log-max-size rotates the --log-file"},
		{"rotated files without a size", []string{"-l", "/tmp/x", "--log-max-files", "3"}, "go with --log-max-size"},
		{"zero rotated files", []string{"-l", "/tmp/x", "--log-max-size", "1", "--log-max-files", "0"}, "invalid --log-max-files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(t, tt.args...)
			if err == nil {
				t.Fatalf("%q accepted", tt.args)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q: error %q, want it to mention %q", tt.args, err, tt.msg)
			}
		})
	}
}

// captureStd runs f with stdout and stderr sent to files and returns what
// was written to them.
func captureStd(t *testing.T, f func()) (stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(dir + "/stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errf, err := os.Create(dir + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, errf
	defer func() { os.Stdout, os.Stderr = oldOut, oldErr }()
	f()
	o, _ := os.ReadFile(out.Name())
	e, _ := os.ReadFile(errf.Name())
	return string(o), string(e)
}

func TestCLIBadFlagValueExitsWithUsageCode(t *testing.T) {
	var code int
	_, stderr := captureStd(t, func() { code = run([]string{"ebpf-log-monitor", "-f", "xml"}) })
	if code != monitor.ExitUsage {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(stderr, `invalid format "xml"`) || !strings.Contains(stderr, "--help") {
		t.Errorf("stderr = %q, want the reason and a pointer to --help", stderr)
	}
}

func TestCLIUnknownFlagExitsWithUsageCode(t *testing.T) {
	var code int
	captureStd(t, func() { code = run([]string{"ebpf-log-monitor", "--no-such-flag"}) })
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}

func TestCLIVersionExitsZero(t *testing.T) {
	var code int
	stdout, _ := captureStd(t, func() { code = run([]string{"ebpf-log-monitor", "--version"}) })
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(stdout, version) {
		t.Errorf("stdout = %q, want the version %q", stdout, version)
	}
}

func TestCLIHelpExitsZero(t *testing.T) {
	var code int
	stdout, _ := captureStd(t, func() { code = run([]string{"ebpf-log-monitor", "--help"}) })
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	for _, flag := range []string{"--interval", "--format", "--severity", "--events", "--log-file", "--perf-pages"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("help lacks %s", flag)
		}
	}
}

// Every flag a user can give is in README's Flags table.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, f := range newApp().Flags {
		if bf, ok := f.(interface{ IsVisible() bool }); ok && !bf.IsVisible() {
			continue
		}
		for _, name := range f.Names() {
			if len(name) == 1 {
				continue // short aliases are shown beside their long name
			}
			if !strings.Contains(readme, "`--"+name) && !strings.Contains(readme, ", --"+name) {
				t.Errorf("--%s is not in README's Flags table", name)
			}
		}
	}
}
