package output_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

var t0 = time.Date(2026, 11, 25, 18, 52, 0, 0, time.UTC)

// The records the monitor emits, built by hand.

func simpleExec() *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: "exec", Category: record.CatProcess,
		Message: "process 4242 executed /usr/bin/id",
		Process: &record.Process{
			PID: 4242, TID: 4242, PPID: 4100,
			UID: 1000, GID: 1000, EUID: 1000, EGID: 1000,
			Comm: []byte("id"), Exe: []byte("/usr/bin/id"),
			Args:     [][]byte{[]byte("id"), []byte("-u")},
			Ancestry: []record.Ancestor{{PID: 4100, Exe: "/usr/bin/bash"}},
		},
		Exec: &record.Exec{Filename: []byte("/usr/bin/id")},
	}
}

func failedExec() *record.Record {
	r := simpleExec()
	r.Message = `exec of "./nope" failed: ENOENT`
	r.Error = "ENOENT"
	r.Process.Exe = []byte("/usr/bin/bash")
	r.Process.Comm = []byte("bash")
	r.Process.Args = [][]byte{[]byte("nope")}
	r.Exec = &record.Exec{Filename: []byte("./nope"), Ret: -2}
	return r
}

func exitRecord(x record.Exit) *record.Record {
	r := simpleExec()
	r.Event, r.Message, r.Exec = "exit", "process 4242 exited", nil
	r.Process.Args = nil
	r.Exit = &x
	return r
}

func forkRecord() *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: "fork", Category: record.CatProcess,
		Message: "process 4100 forked child 4242",
		Process: &record.Process{
			PID: 4100, TID: 4100, PPID: 1, UID: 1000, GID: 1000, EUID: 1000, EGID: 1000,
			Comm: []byte("bash"), Exe: []byte("/usr/bin/bash"),
			Ancestry: []record.Ancestor{{PID: 1, Exe: "/usr/lib/systemd/systemd"}},
		},
		Fork: &record.Fork{ChildPID: 4242},
	}
}

func startRecord() *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: "start", Category: record.CatMonitor,
		Message: "monitor started",
		Monitor: &record.Monitor{Start: &record.Start{
			Version: "1.2.3", Kernel: "6.8.0-45-generic", Transport: "perf",
			PerfPages: 256, PID: 99, ProcsSeeded: 300,
			Hooks: []record.Hook{
				{Name: "tracepoint/sched/sched_process_exec", Capability: "exec", Attached: true},
				{Name: "tracepoint/sched/sched_process_exit", Capability: "exit", Attached: true},
				{Name: "raw_tracepoint/sched_process_fork", Capability: "fork", Reason: "not supported"},
			},
		}},
	}
}

func statsRecord() *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: "stats", Category: record.CatMonitor,
		Message: "stats",
		Monitor: &record.Monitor{Stats: &record.Stats{
			Interval: 5 * time.Second, Uptime: 65 * time.Second,
			Events:       map[string]uint64{"exec": 10, "exit": 9},
			BySeverity:   [3]uint64{19, 0, 0},
			EventsPerSec: 2.5, Total: 19,
			LostPerf:      1,
			LostKernel:    map[string]uint64{"perf_buffer_full": 1, "pending_table_full": 2, "output_error": 0},
			ProcTableSize: 40,
		}},
	}
}

// Hostile bytes: what an attacker can put in a path or argv.
var (
	hostileExe  = "/tmp/\x1b[2J\n\r\x9b\xff\xfe\"q"
	hostileArgs = []string{
		"\n",
		"\x1b[2J",
		"\x9b",
		"\xff\xfe",
		`"quoted" and \backslash\`,
		"\xc2\x9b\xc2\x85 C1 as UTF-8, \u2028 line separator, \x7f DEL",
		"plain",
		"",
		hostile8K(),
	}
)

// hostile8K is 8 KiB of escape sequences, newlines and invalid bytes.
func hostile8K() string {
	var b strings.Builder
	for b.Len() < 8<<10 {
		b.WriteString("\x1b]0;pwned\x07\n\r\x9b\xff\t\x00x")
	}
	return b.String()[:8<<10]
}

func hostileRecord() *record.Record {
	args := make([][]byte, len(hostileArgs))
	for i, a := range hostileArgs {
		args[i] = []byte(a)
	}
	return &record.Record{
		Time: t0, Severity: record.Critical, Event: "exec", Category: record.CatProcess,
		Message: "exec of " + hostileExe + " failed", Error: "ENOENT",
		Process: &record.Process{
			PID: 666, TID: 667, PPID: 1, UID: 1000, EUID: 0,
			Comm: []byte("\x1b[31mevil\xff"), Exe: []byte(hostileExe),
			Args: args, ArgsTruncated: true,
			Cwd:      []byte("/tmp/\x1b[1A\xfe"),
			Ancestry: []record.Ancestor{{PID: 1, Exe: "/tmp/\x1b]0;title\x07\n\xff"}},
		},
		Exec:  &record.Exec{Filename: []byte(hostileExe), Ret: -2},
		Rules: []record.Rule{{Name: "exec-from-tmp", Severity: record.Critical}},
	}
}

// writeLines writes rs through a Writer and returns stdout.
func writeLines(t *testing.T, format output.Format, tty bool, rs ...*record.Record) string {
	t.Helper()
	var out bytes.Buffer
	w := output.NewWriter(format, &out, tty, nil)
	for _, r := range rs {
		if ferr, err := w.Write(r); ferr != nil || err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if ferr, err := w.Flush(); ferr != nil || err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return out.String()
}

// jsonObject writes r as JSON and parses the one line it must produce.
func jsonObject(t *testing.T, r *record.Record) map[string]any {
	t.Helper()
	line := writeLines(t, output.FormatJSON, false, r)
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("want exactly one line, got %d newlines in %q", strings.Count(line, "\n"), line)
	}
	if !json.Valid([]byte(line)) {
		t.Fatalf("not valid JSON: %q", line)
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	return m
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keys(m); !reflect.DeepEqual(got, want) {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is %T, want an object", key, m[key])
	}
	return o
}

func arr(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	a, ok := m[key].([]any)
	if !ok {
		t.Fatalf("%q is %T, want an array", key, m[key])
	}
	return a
}

// want compares a JSON value with a Go value written the way it reads.
func want(t *testing.T, what string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case int:
		want = json.Number(strconv.Itoa(w))
	case float64:
		want = json.Number(strconv.FormatFloat(w, 'f', -1, 64))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func unhex(t *testing.T, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("hex field is %T", v)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex field %q: %v", s, err)
	}
	return string(b)
}

func TestJSONExecHasTheDocumentedSchema(t *testing.T) {
	r := simpleExec()
	r.Time = t0.Add(123456789)
	r.Process.HasLoginUID, r.Process.LoginUID = true, 1000
	r.Process.Cwd = []byte("/home/user")
	r.Exec.Execveat = true
	m := jsonObject(t, r)

	wantKeys(t, "record", m, "time", "severity", "event", "category", "message", "process", "exec")
	ts, err := time.Parse(time.RFC3339Nano, m["time"].(string))
	if err != nil {
		t.Errorf("time %q: %v", m["time"], err)
	} else if !ts.Equal(r.Time) || ts.Location() != time.UTC {
		t.Errorf("time = %v, want %v in UTC", ts, r.Time)
	}
	want(t, "time", m["time"], "2026-11-25T18:52:00.123456789Z")
	want(t, "severity", m["severity"], "info")
	want(t, "event", m["event"], "exec")
	want(t, "category", m["category"], "process")
	want(t, "message", m["message"], "process 4242 executed /usr/bin/id")

	p := obj(t, m, "process")
	wantKeys(t, "process", p, "pid", "tid", "ppid", "uid", "gid", "euid", "egid", "loginuid",
		"comm", "exe", "args", "args_truncated", "cwd", "ancestry")
	for k, v := range map[string]int{"pid": 4242, "tid": 4242, "ppid": 4100, "uid": 1000, "gid": 1000, "euid": 1000, "egid": 1000, "loginuid": 1000} {
		want(t, "process."+k, p[k], v)
	}
	want(t, "process.comm", p["comm"], "id")
	want(t, "process.exe", p["exe"], "/usr/bin/id")
	want(t, "process.args", p["args"], []any{"id", "-u"})
	want(t, "process.args_truncated", p["args_truncated"], false)
	want(t, "process.cwd", p["cwd"], "/home/user")
	anc := arr(t, p, "ancestry")
	if len(anc) != 1 {
		t.Fatalf("ancestry has %d entries, want 1", len(anc))
	}
	a0 := anc[0].(map[string]any)
	wantKeys(t, "ancestry[0]", a0, "pid", "exe")
	want(t, "ancestry[0].pid", a0["pid"], 4100)
	want(t, "ancestry[0].exe", a0["exe"], "/usr/bin/bash")

	x := obj(t, m, "exec")
	wantKeys(t, "exec", x, "filename", "ret", "execveat")
	want(t, "exec.filename", x["filename"], "/usr/bin/id")
	want(t, "exec.ret", x["ret"], 0)
	want(t, "exec.execveat", x["execveat"], true)
}

func TestJSONUnexplainedSaysWhereItWasSeen(t *testing.T) {
	r := &record.Record{Time: t0, Severity: record.Critical, Event: "privilege", Category: record.CatPrivilege,
		Process: simpleExec().Process,
		Priv: &record.Privilege{Means: "unexplained", Gained: []string{"uid 0"}, ExeUID: -1,
			SeenAt: "commit_creds", SyscallNr: 16}}
	p := obj(t, jsonObject(t, r), "privilege")
	want(t, "privilege.seen_at", p["seen_at"], "commit_creds")
	want(t, "privilege.syscall_nr", p["syscall_nr"], 16)
	r.Priv.SeenAt = "syscall_exit"
	p = obj(t, jsonObject(t, r), "privilege")
	want(t, "privilege.seen_at", p["seen_at"], "syscall_exit")
	if _, ok := p["syscall_nr"]; ok {
		t.Error("syscall_nr without commit_creds")
	}
}

func TestJSONCompatOnlyWhenSet(t *testing.T) {
	r := simpleExec()
	if _, ok := obj(t, jsonObject(t, r), "process")["compat"]; ok {
		t.Error("compat present on a 64-bit event")
	}
	r.Process.Compat = true
	want(t, "process.compat", obj(t, jsonObject(t, r), "process")["compat"], true)
}

func TestJSONProcessWithoutLoginUIDOrCwdOmitsThem(t *testing.T) {
	p := obj(t, jsonObject(t, simpleExec()), "process")
	for _, k := range []string{"loginuid", "cwd", "exe_hex", "comm_hex", "args_hex"} {
		if _, ok := p[k]; ok {
			t.Errorf("process.%s present", k)
		}
	}
}

func TestJSONFailedExecCarriesErrnoName(t *testing.T) {
	m := jsonObject(t, failedExec())
	want(t, "error", m["error"], "ENOENT")
	x := obj(t, m, "exec")
	want(t, "exec.ret", x["ret"], -2)
	want(t, "exec.filename", x["filename"], "./nope")
	if _, ok := simpleExecJSON(t)["error"]; ok {
		t.Error("successful exec has an error field")
	}
}

func simpleExecJSON(t *testing.T) map[string]any { return jsonObject(t, simpleExec()) }

func TestJSONExit(t *testing.T) {
	tests := []struct {
		name string
		exit record.Exit
		keys []string
		vals map[string]any
	}{
		{"exit code 3", record.Exit{Code: 3, Lifetime: 1500 * time.Millisecond},
			[]string{"code", "core_dumped", "lifetime_ns"},
			map[string]any{"code": 3, "core_dumped": false, "lifetime_ns": 1500000000}},
		{"killed by SIGKILL", record.Exit{Signal: 9, Lifetime: 42 * time.Millisecond},
			[]string{"code", "signal", "signal_name", "core_dumped", "lifetime_ns"},
			map[string]any{"code": 0, "signal": 9, "signal_name": "SIGKILL", "core_dumped": false, "lifetime_ns": 42000000}},
		{"SIGSEGV with core", record.Exit{Signal: 11, CoreDumped: true, Lifetime: 7},
			[]string{"code", "signal", "signal_name", "core_dumped", "lifetime_ns"},
			map[string]any{"code": 0, "signal": 11, "signal_name": "SIGSEGV", "core_dumped": true, "lifetime_ns": 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := jsonObject(t, exitRecord(tt.exit))
			want(t, "event", m["event"], "exit")
			if _, ok := obj(t, m, "process")["args"]; ok {
				t.Error("exit record has process.args")
			}
			x := obj(t, m, "exit")
			wantKeys(t, "exit", x, tt.keys...)
			for k, v := range tt.vals {
				want(t, "exit."+k, x[k], v)
			}
		})
	}
}

func TestJSONFork(t *testing.T) {
	m := jsonObject(t, forkRecord())
	wantKeys(t, "record", m, "time", "severity", "event", "category", "message", "process", "fork")
	f := obj(t, m, "fork")
	wantKeys(t, "fork", f, "child_pid")
	want(t, "fork.child_pid", f["child_pid"], 4242)
	want(t, "process.pid", obj(t, m, "process")["pid"], 4100)
}

func TestJSONStartListsHooks(t *testing.T) {
	m := jsonObject(t, startRecord())
	wantKeys(t, "record", m, "time", "severity", "event", "category", "message", "monitor")
	want(t, "category", m["category"], "monitor")
	mon := obj(t, m, "monitor")
	wantKeys(t, "monitor", mon, "version", "kernel", "transport", "perf_pages", "pid", "processes_seeded", "hooks")
	want(t, "version", mon["version"], "1.2.3")
	want(t, "kernel", mon["kernel"], "6.8.0-45-generic")
	want(t, "transport", mon["transport"], "perf")
	want(t, "perf_pages", mon["perf_pages"], 256)
	want(t, "pid", mon["pid"], 99)
	want(t, "processes_seeded", mon["processes_seeded"], 300)
	hooks := arr(t, mon, "hooks")
	if len(hooks) != 3 {
		t.Fatalf("%d hooks, want 3", len(hooks))
	}
	want(t, "hooks[0]", hooks[0], map[string]any{
		"name": "tracepoint/sched/sched_process_exec", "capability": "exec", "status": "attached"})
	want(t, "hooks[2]", hooks[2], map[string]any{
		"name": "raw_tracepoint/sched_process_fork", "capability": "fork", "status": "unavailable", "reason": "not supported"})
}

func TestJSONStatsCountsLosses(t *testing.T) {
	r := statsRecord()
	r.Monitor.Stats.LostQueue, r.Monitor.Stats.DecodeErrors, r.Monitor.Stats.ProcEvictions = 4, 5, 6
	r.Monitor.Stats.OutputDropped = map[string]uint64{"tcp://127.0.0.1:514": 7}
	m := jsonObject(t, r)
	mon := obj(t, m, "monitor")
	wantKeys(t, "monitor", mon, "final", "file_filter", "udp_sends_folded", "tcp_states_skipped", "syscalls_repeated", "alerts_folded", "analytics", "top", "interval_s", "uptime_s", "events", "severity",
		"events_per_sec", "events_total", "lost", "process_table")
	want(t, "final", mon["final"], false)
	want(t, "interval_s", mon["interval_s"], 5.0)
	want(t, "uptime_s", mon["uptime_s"], 65.0)
	want(t, "events", mon["events"], map[string]any{"exec": json.Number("10"), "exit": json.Number("9")})
	want(t, "severity", mon["severity"], map[string]any{"info": json.Number("19"), "warn": json.Number("0"), "critical": json.Number("0")})
	want(t, "events_per_sec", mon["events_per_sec"], 2.5)
	want(t, "events_total", mon["events_total"], 19)
	lost := obj(t, mon, "lost")
	wantKeys(t, "lost", lost, "total", "perf_buffer", "kernel", "queue", "decode_errors", "outputs")
	// perf_buffer_full in the kernel counters is the same samples as perf_buffer;
	// a sink's drops were written to the other sinks: not in the total
	want(t, "lost.total", lost["total"], 1+2+4+5)
	want(t, "lost.outputs", lost["outputs"], map[string]any{"tcp://127.0.0.1:514": json.Number("7")})
	want(t, "lost.perf_buffer", lost["perf_buffer"], 1)
	want(t, "lost.kernel", lost["kernel"], map[string]any{
		"perf_buffer_full": json.Number("1"), "pending_table_full": json.Number("2"), "output_error": json.Number("0")})
	want(t, "lost.queue", lost["queue"], 4)
	want(t, "lost.decode_errors", lost["decode_errors"], 5)
	want(t, "process_table", mon["process_table"], map[string]any{"size": json.Number("40"), "evictions": json.Number("6")})
}

func TestJSONRules(t *testing.T) {
	r := simpleExec()
	r.Severity = record.Warn
	r.Rules = []record.Rule{{Name: "setuid-shell", Severity: record.Warn, Mitre: []string{"T1548"}, Description: "a shell ran as root"}}
	m := jsonObject(t, r)
	want(t, "severity", m["severity"], "warn")
	want(t, "rules", m["rules"], []any{map[string]any{
		"name": "setuid-shell", "severity": "warn", "mitre": []any{"T1548"}, "description": "a shell ran as root"}})
}

func TestJSONHostileBytesStayOneLineAndAreRecoverable(t *testing.T) {
	r := hostileRecord()
	m := jsonObject(t, r) // checks one line, valid JSON
	p := obj(t, m, "process")

	want(t, "process.exe_hex", unhex(t, p["exe_hex"]), hostileExe)
	want(t, "process.comm_hex", unhex(t, p["comm_hex"]), string(r.Process.Comm))
	want(t, "process.cwd_hex", unhex(t, p["cwd_hex"]), string(r.Process.Cwd))
	want(t, "exec.filename_hex", unhex(t, obj(t, m, "exec")["filename_hex"]), hostileExe)
	want(t, "process.args_truncated", p["args_truncated"], true)

	args, argsHex := arr(t, p, "args"), arr(t, p, "args_hex")
	if len(args) != len(hostileArgs) || len(argsHex) != len(hostileArgs) {
		t.Fatalf("args %d, args_hex %d, want %d each", len(args), len(argsHex), len(hostileArgs))
	}
	for i, a := range hostileArgs {
		if got := unhex(t, argsHex[i]); got != a {
			t.Errorf("args_hex[%d] = %q, want %q", i, got, a)
		}
		if utf8.ValidString(a) && args[i] != a {
			t.Errorf("valid UTF-8 args[%d] = %q, want it verbatim %q", i, args[i], a)
		}
	}

	anc := arr(t, p, "ancestry")[0].(map[string]any)
	want(t, "ancestry[0].exe_hex", unhex(t, anc["exe_hex"]), r.Process.Ancestry[0].Exe)
}

func TestJSONValidUTF8HasNoHexSibling(t *testing.T) {
	r := simpleExec()
	r.Process.Exe = []byte("/tmp/\x1b[2J\nq") // hostile but valid UTF-8
	r.Process.Args = [][]byte{[]byte("\x1b[2J"), []byte("line\nbreak")}
	p := obj(t, jsonObject(t, r), "process")
	want(t, "process.exe", p["exe"], "/tmp/\x1b[2J\nq")
	want(t, "process.args", p["args"], []any{"\x1b[2J", "line\nbreak"})
	for _, k := range []string{"exe_hex", "args_hex"} {
		if _, ok := p[k]; ok {
			t.Errorf("process.%s present for valid UTF-8", k)
		}
	}
}

func TestJSONIsNeverColoured(t *testing.T) {
	out := writeLines(t, output.FormatJSON, true, simpleExec())
	if strings.Contains(out, "\x1b") {
		t.Errorf("JSON on a tty holds ESC: %q", out)
	}
}

func TestTextLines(t *testing.T) {
	const ts = "2026-11-25T18:52:00.000Z "
	setuid := simpleExec()
	setuid.Process.EUID, setuid.Process.TID = 0, 4243
	setuid.Process.Ancestry = []record.Ancestor{{PID: 4100}}
	kworker := forkRecord()
	kworker.Process.Exe, kworker.Process.Comm = nil, []byte("kworker/0:1")
	kworker.Process.Ancestry = nil
	finalStats := statsRecord()
	s := finalStats.Monitor.Stats
	s.Final, s.LostQueue, s.DecodeErrors, s.ProcEvictions = true, 4, 5, 6
	loss := &record.Record{Time: t0, Severity: record.Warn, Event: "loss", Category: record.CatMonitor,
		Message: "5 events lost", Monitor: &record.Monitor{}}
	warned := simpleExec()
	warned.Severity = record.Warn
	warned.Rules = []record.Rule{{Name: "a"}, {Name: "b"}}
	crit := simpleExec()
	crit.Severity = record.Critical
	compat := simpleExec()
	compat.Process.Compat = true

	tests := []struct {
		name string
		r    *record.Record
		want string
	}{
		{"simple exec", simpleExec(),
			`INFO  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id args="id -u" parent=bash`},
		{"failed exec shows filename and errno", failedExec(),
			`INFO  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/bash filename=./nope args=nope error=ENOENT parent=bash`},
		{"setuid exec shows euid, tid and an unknown parent's pid", setuid,
			`INFO  exec   pid=4242 tid=4243 ppid=4100 uid=1000 euid=0 exe=/usr/bin/id args="id -u" parent=4100`},
		{"exit with code", exitRecord(record.Exit{Code: 3, Lifetime: 1500 * time.Millisecond}),
			`INFO  exit   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id code=3 lifetime=1.5s parent=bash`},
		{"exit by signal", exitRecord(record.Exit{Signal: 9, Lifetime: 42 * time.Millisecond}),
			`INFO  exit   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id signal=SIGKILL lifetime=42ms parent=bash`},
		{"exit with core", exitRecord(record.Exit{Signal: 11, CoreDumped: true, Lifetime: 7 * time.Millisecond}),
			`INFO  exit   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id signal=SIGSEGV core=dumped lifetime=7ms parent=bash`},
		{"fork", forkRecord(),
			`INFO  fork   pid=4100 ppid=1 uid=1000 child=4242 exe=/usr/bin/bash parent=systemd`},
		{"fork of a kernel thread shows comm", kworker,
			`INFO  fork   pid=4100 ppid=1 uid=1000 child=4242 comm=kworker/0:1`},
		{"start", startRecord(),
			`INFO  start  version=1.2.3 kernel=6.8.0-45-generic transport=perf hooks=2/3 unavailable="raw_tracepoint/sched_process_fork (not supported)"`},
		{"stats", statsRecord(),
			`INFO  stats  events/s=2.5 exec=10 exit=9 total=19 lost=3 lost_perf=1 kernel_pending_table_full=2 kernel_perf_buffer_full=1 procs=40`},
		{"final stats", finalStats,
			`INFO  stats  final=true events/s=2.5 exec=10 exit=9 total=19 lost=12 lost_perf=1 lost_queue=4 kernel_pending_table_full=2 kernel_perf_buffer_full=1 decode_errors=5 procs=40 proc_evictions=6`},
		{"monitor message", loss, `WARN  loss   msg="5 events lost"`},
		{"warn with rules", warned,
			`WARN  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id args="id -u" parent=bash rules=a,b`},
		{"critical", crit,
			`CRIT  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id args="id -u" parent=bash`},
		{"an i386 syscall says so", compat,
			`INFO  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id abi=i386 args="id -u" parent=bash`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeLines(t, output.FormatText, false, tt.r)
			if want := ts + tt.want + "\n"; got != want {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestTextArgsQuoting(t *testing.T) {
	tests := []struct {
		args      []string
		truncated bool
		want      string
	}{
		{[]string{"ls"}, false, `args=ls`},
		{[]string{}, false, `args=""`},
		{[]string{"ls", "-l"}, false, `args="ls -l"`},
		{[]string{"echo", "a b"}, false, `args="echo \"a b\""`},
		{[]string{"echo", ""}, false, `args="echo \"\""`},
		{[]string{"a=b"}, false, `args="a=b"`},
		{[]string{"dd", "if=/x"}, false, `args="dd if=/x"`},
		{[]string{"sleep", "9"}, true, `args="sleep 9 ..."`},
	}
	for _, tt := range tests {
		r := simpleExec()
		r.Process.Args = make([][]byte, len(tt.args))
		for i, a := range tt.args {
			r.Process.Args[i] = []byte(a)
		}
		r.Process.ArgsTruncated = tt.truncated
		got := writeLines(t, output.FormatText, false, r)
		if !strings.Contains(got, " "+tt.want+" parent=bash\n") {
			t.Errorf("args %q: got %q, want it to hold %s", tt.args, got, tt.want)
		}
	}
}

// checkSafeLine asserts that line cannot break the log or drive a terminal.
func checkSafeLine(t *testing.T, line string) {
	t.Helper()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("want exactly one line, got %d newlines", strings.Count(line, "\n"))
	}
	body := line[:len(line)-1]
	for i := 0; i < len(body); i++ {
		if c := body[i]; c < 0x20 || c == 0x7f || c == 0x9b {
			t.Fatalf("byte %#02x at %d: %q", c, i, body[max(0, i-20):min(len(body), i+20)])
		}
	}
	if !utf8.ValidString(body) {
		t.Fatal("line is not valid UTF-8")
	}
	for i, r := range body {
		if r >= 0x80 && r <= 0x9f || r == '\u2028' || r == '\u2029' {
			t.Fatalf("rune %U at %d", r, i)
		}
	}
}

func TestTextHostileBytesPrintOneSafeLine(t *testing.T) {
	for _, tty := range []bool{false, true} {
		line := writeLines(t, output.FormatText, tty, hostileRecord())
		if tty {
			line = stripSGR(line)
		}
		checkSafeLine(t, line)
		for _, want := range []string{
			` exe="/tmp/\x1b[2J\n\r\x9b\xff\xfe\"q"`,
			` filename="/tmp/\x1b[2J\n\r\x9b\xff\xfe\"q"`,
			` error=ENOENT parent="\x1b]0;title\x07\n\xff" rules=exec-from-tmp`,
		} {
			if !strings.Contains(line, want) {
				t.Errorf("tty=%v: line lacks %s", tty, want)
			}
		}
	}
}

func TestTextEscapingIsLossless(t *testing.T) {
	r := hostileRecord()
	line := writeLines(t, output.FormatText, false, r)

	exe, _ := quotedValue(t, line, " exe=")
	if exe != hostileExe {
		t.Errorf("exe unquotes to %q, want %q", exe, hostileExe)
	}
	// args are escaped once: the value unquotes to the arguments joined by
	// spaces, those that need quoting inside double quotes (readable, one
	// level; JSON's args_hex is the lossless form)
	args, _ := quotedValue(t, line, " args=")
	var parts []string
	for _, a := range hostileArgs {
		if a == "" || strings.ContainsAny(a, " \"\\") || strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r >= 0x7f }) >= 0 {
			parts = append(parts, `"`+a+`"`)
		} else {
			parts = append(parts, a)
		}
	}
	want := strings.Join(parts, " ") + " ..." // truncated
	if args != want {
		t.Errorf("args unquote to\n%q\nwant\n%q", args, want)
	}
}

// quotedValue finds key in line and unquotes the Go-style quoted value after it.
func quotedValue(t *testing.T, line, key string) (string, string) {
	t.Helper()
	i := strings.Index(line, key)
	if i < 0 {
		t.Fatalf("no %s in line", key)
	}
	return unquotePrefix(t, line[i+len(key):])
}

// unquotePrefix unquotes the quoted string s starts with and returns the rest.
func unquotePrefix(t *testing.T, s string) (string, string) {
	t.Helper()
	if s == "" || s[0] != '"' {
		t.Fatalf("value is not quoted: %.40q", s)
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				t.Fatalf("unquote %.60q: %v", s[:i+1], err)
			}
			return v, s[i+1:]
		}
	}
	t.Fatalf("unterminated quote: %.40q", s)
	return "", ""
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripSGR(s string) string { return sgr.ReplaceAllString(s, "") }

func TestTextColourOnlyOnATerminal(t *testing.T) {
	var stdout, file bytes.Buffer
	w := output.NewWriter(output.FormatText, &stdout, true, &file)
	for _, r := range []*record.Record{simpleExec(), startRecord()} {
		if ferr, err := w.Write(r); ferr != nil || err != nil {
			t.Fatal(err)
		}
	}
	if ferr, err := w.Flush(); ferr != nil || err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "\x1b[32mINFO ") {
		t.Errorf("tty stdout has no colour: %q", stdout.String())
	}
	if strings.Contains(file.String(), "\x1b") {
		t.Errorf("log file holds ESC: %q", file.String())
	}
	if got := stripSGR(stdout.String()); got != file.String() {
		t.Errorf("colour changed more than SGR codes:\n tty  %q\n file %q", got, file.String())
	}
	plain := writeLines(t, output.FormatText, false, simpleExec())
	if strings.Contains(plain, "\x1b") {
		t.Errorf("non-tty stdout holds ESC: %q", plain)
	}
}

func TestWriterSendsTheSameLineToStdoutAndFile(t *testing.T) {
	for _, format := range []output.Format{output.FormatText, output.FormatJSON} {
		var stdout, file bytes.Buffer
		w := output.NewWriter(format, &stdout, false, &file)
		for _, r := range []*record.Record{simpleExec(), exitRecord(record.Exit{Code: 1}), statsRecord()} {
			if ferr, err := w.Write(r); ferr != nil || err != nil {
				t.Fatal(err)
			}
		}
		if ferr, err := w.Flush(); ferr != nil || err != nil {
			t.Fatal(err)
		}
		if stdout.String() != file.String() || strings.Count(file.String(), "\n") != 3 {
			t.Errorf("format %d: stdout %q, file %q", format, stdout.String(), file.String())
		}
		if got := string(w.Line(simpleExec())); got != strings.SplitAfter(stdout.String(), "\n")[0] {
			t.Errorf("format %d: Line = %q", format, got)
		}
	}
}

// The console shows the events it is asked for (exits are not in the text
// default); the log file keeps every record; the monitor's own always show.
func TestConsoleEventsLeaveTheLogFileWhole(t *testing.T) {
	var stdout, file bytes.Buffer
	w := output.NewWriter(output.FormatText, &stdout, false, &file)
	w.StdoutEvents = map[string]bool{"exec": true}
	for _, r := range []*record.Record{simpleExec(), exitRecord(record.Exit{Code: 1}), statsRecord()} {
		if ferr, err := w.Write(r); ferr != nil || err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if n := strings.Count(file.String(), "\n"); n != 3 {
		t.Errorf("log file: %d lines, want all 3", n)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 2 || strings.Contains(stdout.String(), " exit ") {
		t.Errorf("console: %q, want the exec and the stats, not the exit", stdout.String())
	}
}

type brokenFile struct{}

func (brokenFile) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLogFileErrorsDoNotStopStdout(t *testing.T) {
	var stdout bytes.Buffer
	w := output.NewWriter(output.FormatText, &stdout, false, brokenFile{})
	w.Write(simpleExec())
	ferr, serr := w.Flush()
	if ferr == nil || serr != nil {
		t.Errorf("Flush = %v, %v: want the file's error only", ferr, serr)
	}
	if strings.Count(stdout.String(), "\n") != 1 {
		t.Errorf("stdout = %q, want the line", stdout.String())
	}
}

// A failing file keeps its lines and writes them, whole, once it works.
type flakyFile struct {
	fail bool
	got  bytes.Buffer
}

func (f *flakyFile) Write(b []byte) (int, error) {
	if f.fail {
		return 0, errors.New("no space left on device")
	}
	return f.got.Write(b)
}

func TestLogFileResumesWithNothingLostAfterAFailure(t *testing.T) {
	var stdout bytes.Buffer
	f := &flakyFile{fail: true}
	w := output.NewWriter(output.FormatJSON, &stdout, false, f)
	for i := 0; i < 3; i++ {
		w.Write(simpleExec())
		if ferr, _ := w.Flush(); ferr == nil {
			t.Fatal("the failure was not reported")
		}
	}
	f.fail = false
	w.Write(simpleExec())
	if ferr, _ := w.Flush(); ferr != nil {
		t.Fatal(ferr)
	}
	if got := strings.Count(f.got.String(), "\n"); got != 4 {
		t.Errorf("file got %d lines after recovering, want all 4", got)
	}
	if f.got.String() != stdout.String() {
		t.Errorf("file and stdout differ:\n%s\n%s", f.got.String(), stdout.String())
	}
	if _, dropped := w.Dropped(); dropped != 0 {
		t.Errorf("dropped %d lines", dropped)
	}
}

func TestOpenLogFile(t *testing.T) {
	t.Run("creates a new file 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "monitor.log")
		f, err := output.OpenLogFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || !st.Mode().IsRegular() {
			t.Errorf("mode = %v, want -rw-------", st.Mode())
		}
	})
	t.Run("appends to an existing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "monitor.log")
		if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := output.OpenLogFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("new\n"); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "old\nnew\n" {
			t.Errorf("file = %q, want old then new", b)
		}
	})
	t.Run("refuses a symlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for name, to := range map[string]string{"link": target, "dangling": filepath.Join(dir, "nothing")} {
			link := filepath.Join(dir, name)
			if err := os.Symlink(to, link); err != nil {
				t.Fatal(err)
			}
			f, err := output.OpenLogFile(link)
			if err == nil {
				f.Close()
				t.Fatalf("%s: opened through a symlink", name)
			}
			if !errors.Is(err, output.ErrLogFile) || !strings.Contains(err.Error(), "symlink") {
				t.Errorf("%s: error %q, want ErrLogFile mentioning symlink", name, err)
			}
		}
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("target changed: %q", b)
		}
		if _, err := os.Lstat(filepath.Join(dir, "nothing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("dangling symlink's target was created: %v", err)
		}
	})
	t.Run("nonexistent directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no", "such", "dir", "monitor.log")
		f, err := output.OpenLogFile(path)
		if err == nil {
			f.Close()
			t.Fatal("opened a file in a missing directory")
		}
		if !errors.Is(err, output.ErrLogFile) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %q, want ErrLogFile wrapping ENOENT", err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the path", err)
		}
	})
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]output.Format{"text": output.FormatText, "json": output.FormatJSON} {
		if got, err := output.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"xml", "", "JSON "} {
		if _, err := output.ParseFormat(in); err == nil {
			t.Errorf("ParseFormat(%q) accepted", in)
		}
	}
}

func TestErrnoAndSignalNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{output.ErrnoName(2), "ENOENT"},
		{output.ErrnoName(13), "EACCES"},
		{output.ErrnoName(8), "ENOEXEC"},
		{output.ErrnoName(9999), "E9999"},
		{output.ErrnoName(512), "ERESTARTSYS"}, // a call a signal interrupted, seen at its exit
		{output.ErrnoName(516), "ERESTART_RESTARTBLOCK"},
		{output.ErrnoName(515), "E515"}, // ENOIOCTLCMD: never a syscall's result
		{output.SignalName(9), "SIGKILL"},
		{output.SignalName(11), "SIGSEGV"},
		{output.SignalName(15), "SIGTERM"},
		{output.SignalName(200), "SIG200"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// A fold summary and an alert raised during losses say so in text too:
// otherwise a summary reads as a second copy of the alert.
func TestTextShowsRepeatsAndDegraded(t *testing.T) {
	r := openShadow()
	r.Rules = []record.Rule{{Name: "credential-read", Severity: record.Warn}}
	r.Repeats, r.Degraded = 41, true
	line := writeLines(t, output.FormatText, false, r)
	if !strings.Contains(line, " repeats=41") || !strings.Contains(line, " degraded=true") {
		t.Errorf("text line %q lacks repeats=41 or degraded=true", line)
	}
	r.Repeats, r.Degraded = 0, false
	if line := writeLines(t, output.FormatText, false, r); strings.Contains(line, "repeats=") || strings.Contains(line, "degraded=") {
		t.Errorf("text line %q shows repeats or degraded for a plain alert", line)
	}
}
