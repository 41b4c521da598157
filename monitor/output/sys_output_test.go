package output_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Syscall and privilege records as the processor builds them, by hand.

func sysRecord(exe string, s record.Syscall) *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: s.Name, Category: record.CatSyscall,
		Message: exe + " called " + s.Name,
		Process: &record.Process{
			PID: 4242, TID: 4242, PPID: 4100,
			UID: 0, GID: 0, EUID: 0, EGID: 0,
			Comm: []byte(exe[strings.LastIndexByte(exe, '/')+1:]), Exe: []byte(exe),
			Ancestry: []record.Ancestor{{PID: 4100, Exe: "/usr/bin/bash"}},
		},
		Syscall: &s,
	}
}

// tmpfsMount is `mount -t tmpfs -o nosuid none /mnt`.
func tmpfsMount() *record.Record {
	return sysRecord("/usr/bin/mount", record.Syscall{
		Name: "mount", Nr: 165, Group: "namespaces",
		Args: []record.Arg{
			{Key: "source", Value: []byte("none")},
			{Key: "target", Value: []byte("/mnt")},
			{Key: "fstype", Value: []byte("tmpfs")},
			{Key: "flags", Value: []string{"MS_NOSUID"}},
		},
	})
}

// gdbAttach is gdb attaching to a sleep.
func gdbAttach() *record.Record {
	r := sysRecord("/usr/bin/gdb", record.Syscall{
		Name: "ptrace", Nr: 101, Group: "debugging",
		Args:      []record.Arg{{Key: "request", Value: "PTRACE_ATTACH"}, {Key: "pid", Value: int64(42)}},
		TargetPID: 42, TargetExe: "/usr/bin/sleep",
	})
	r.Severity = record.Warn
	r.Message += " on pid 42 (/usr/bin/sleep)"
	return r
}

// deniedModule is an unprivileged finit_module refused with EPERM.
func deniedModule() *record.Record {
	r := sysRecord("/tmp/loader", record.Syscall{
		Name: "finit_module", Nr: 313, Group: "kernel", Ret: -1,
		Args: []record.Arg{
			{Key: "file", Value: []byte("/tmp/rootkit.ko")},
			{Key: "params", Value: []byte("")},
			{Key: "flags", Value: "0x0"},
		},
	})
	r.Severity, r.Error = record.Warn, "EPERM"
	r.Process.UID, r.Process.EUID = 1000, 1000
	return r
}

const (
	capSysAdmin = 1 << 21
	capSetuid   = 1 << 7
)

var (
	userCreds = record.Creds{UID: 1000, EUID: 1000, SUID: 1000, FSUID: 1000, GID: 1000, EGID: 1000, SGID: 1000, FSGID: 1000}
	rootCreds = record.Creds{UID: 0, EUID: 0, SUID: 0, FSUID: 0, GID: 0, EGID: 0, SGID: 0, FSGID: 0,
		CapEffective: capSysAdmin | capSetuid, CapPermitted: capSysAdmin | capSetuid}
)

func privRecord(exe string, p record.Privilege) *record.Record {
	r := sysRecord(exe, record.Syscall{})
	r.Event, r.Category, r.Syscall, r.Priv = "privilege", record.CatPrivilege, nil, &p
	r.Process.UID, r.Process.EUID = 1000, 0
	r.Message = exe + " gained " + strings.Join(p.Gained, ", ")
	return r
}

// sudoExec is a user running the set-uid root /usr/bin/sudo.
func sudoExec() *record.Record {
	after := userCreds
	after.EUID, after.SUID, after.FSUID = 0, 0, 0
	return privRecord("/usr/bin/sudo", record.Privilege{
		Means: "exec", Before: userCreds, After: after,
		Gained: []string{"euid 0", "fsuid 0"}, ExeUID: 0, ExeMode: 0o104755,
	})
}

// pythonSetuid is python calling setuid(0) with CAP_SETUID from somewhere.
func pythonSetuid() *record.Record {
	r := privRecord("/usr/bin/python3", record.Privilege{
		Means: "syscall", Syscall: "setuid", Before: userCreds, After: rootCreds,
		Gained: []string{"uid 0", "euid 0", "fsuid 0", "CAP_SETUID", "CAP_SYS_ADMIN"}, ExeUID: -1,
	})
	r.Severity = record.Critical
	return r
}

func TestJSONMountHasTheSyscallObject(t *testing.T) {
	m := jsonObject(t, tmpfsMount())
	want(t, "category", m["category"], "syscall")
	want(t, "event", m["event"], "mount")
	s := obj(t, m, "syscall")
	wantKeys(t, "syscall", s, "name", "nr", "group", "ret", "args")
	want(t, "syscall.name", s["name"], "mount")
	want(t, "syscall.nr", s["nr"], 165)
	want(t, "syscall.group", s["group"], "namespaces")
	want(t, "syscall.ret", s["ret"], 0)
	a := obj(t, s, "args")
	wantKeys(t, "syscall.args", a, "source", "target", "fstype", "flags")
	want(t, "args.source", a["source"], "none")
	want(t, "args.target", a["target"], "/mnt")
	want(t, "args.fstype", a["fstype"], "tmpfs")
	want(t, "args.flags", a["flags"], []any{"MS_NOSUID"})
	if _, ok := m["error"]; ok {
		t.Error("a successful call has an error")
	}
}

func TestJSONArgumentsKeepTheirTypes(t *testing.T) {
	r := sysRecord("/usr/bin/x", record.Syscall{
		Name: "prctl", Nr: 157, Group: "credentials",
		Args: []record.Arg{
			{Key: "option", Value: "PR_CAP_AMBIENT"},
			{Key: "op", Value: int64(-2)},
			{Key: "big", Value: uint64(1 << 63)},
			{Key: "none", Value: []string{}},
			{Key: "name", Value: []byte("x")},
		},
	})
	a := obj(t, obj(t, jsonObject(t, r), "syscall"), "args")
	want(t, "args.option", a["option"], "PR_CAP_AMBIENT")
	want(t, "args.op", a["op"], -2)
	want(t, "args.big", a["big"], json.Number("9223372036854775808")) // exact, not a float
	want(t, "args.none", a["none"], []any{})
	want(t, "args.name", a["name"], "x")
}

func TestJSONNonUTF8ArgumentHasAHexSiblingInsideArgs(t *testing.T) {
	r := sysRecord("/tmp/x", record.Syscall{
		Name: "memfd_create", Nr: 319, Group: "fileless",
		Args: []record.Arg{
			{Key: "name", Value: []byte("\xff\xfepayload")},
			{Key: "flags", Value: []string{"MFD_CLOEXEC"}},
		},
	})
	m := jsonObject(t, r)
	a := obj(t, obj(t, m, "syscall"), "args")
	wantKeys(t, "syscall.args", a, "name", "name_hex", "flags")
	want(t, "args.name_hex", unhex(t, a["name_hex"]), "\xff\xfepayload")
	if _, ok := obj(t, m, "syscall")["name_hex"]; ok {
		t.Error("name_hex is beside args, want it inside")
	}
}

func TestJSONTargetOnlyWhenTheCallHasOne(t *testing.T) {
	s := obj(t, jsonObject(t, gdbAttach()), "syscall")
	want(t, "syscall.target_pid", s["target_pid"], 42)
	want(t, "syscall.target_exe", s["target_exe"], "/usr/bin/sleep")
	a := obj(t, s, "args")
	want(t, "args.request", a["request"], "PTRACE_ATTACH")
	want(t, "args.pid", a["pid"], 42)

	s = obj(t, jsonObject(t, tmpfsMount()), "syscall")
	for _, k := range []string{"target_pid", "target_exe"} {
		if _, ok := s[k]; ok {
			t.Errorf("mount has syscall.%s", k)
		}
	}
}

func TestJSONFailedCallCarriesErrnoNameAtTheTop(t *testing.T) {
	m := jsonObject(t, deniedModule())
	want(t, "error", m["error"], "EPERM")
	s := obj(t, m, "syscall")
	want(t, "syscall.ret", s["ret"], -1)
	if _, ok := s["error"]; ok {
		t.Error("error is inside syscall, want it at the top level")
	}
	want(t, "args.params", obj(t, s, "args")["params"], "")
}

func TestJSONPrivilegeByExecHasTheExecutable(t *testing.T) {
	m := jsonObject(t, sudoExec())
	want(t, "category", m["category"], "privilege")
	p := obj(t, m, "privilege")
	wantKeys(t, "privilege", p, "means", "gained", "before", "after", "exe_uid", "exe_mode")
	want(t, "privilege.means", p["means"], "exec")
	want(t, "privilege.gained", p["gained"], []any{"euid 0", "fsuid 0"})
	want(t, "privilege.exe_uid", p["exe_uid"], 0)
	want(t, "privilege.exe_mode", p["exe_mode"], "4755")

	before := obj(t, p, "before")
	wantKeys(t, "before", before, "uid", "euid", "suid", "fsuid", "gid", "egid", "cap_effective")
	for _, k := range []string{"uid", "euid", "suid", "fsuid", "gid", "egid"} {
		want(t, "before."+k, before[k], 1000)
	}
	want(t, "before.cap_effective", before["cap_effective"], []any{})
	after := obj(t, p, "after")
	want(t, "after.uid", after["uid"], 1000)
	want(t, "after.euid", after["euid"], 0)
	want(t, "after.suid", after["suid"], 0)
	want(t, "after.fsuid", after["fsuid"], 0)
}

func TestJSONPrivilegeBySyscallNamesItAndHasNoExecutable(t *testing.T) {
	m := jsonObject(t, pythonSetuid())
	want(t, "severity", m["severity"], "critical")
	p := obj(t, m, "privilege")
	wantKeys(t, "privilege", p, "means", "syscall", "gained", "before", "after")
	want(t, "privilege.means", p["means"], "syscall")
	want(t, "privilege.syscall", p["syscall"], "setuid")
	want(t, "privilege.gained", p["gained"],
		[]any{"uid 0", "euid 0", "fsuid 0", "CAP_SETUID", "CAP_SYS_ADMIN"})
	after := obj(t, p, "after")
	for _, k := range []string{"uid", "euid", "suid", "fsuid", "gid", "egid"} {
		want(t, "after."+k, after[k], 0)
	}
	want(t, "after.cap_effective", after["cap_effective"], []any{"CAP_SETUID", "CAP_SYS_ADMIN"})
}

func TestJSONUnexplainedPrivilegeWithoutASyscallLeavesItOut(t *testing.T) {
	r := privRecord("/tmp/exploit", record.Privilege{Means: "unexplained", Before: userCreds, After: rootCreds,
		Gained: []string{"uid 0"}, ExeUID: -1})
	p := obj(t, jsonObject(t, r), "privilege")
	wantKeys(t, "privilege", p, "means", "gained", "before", "after")
}

func TestTextSyscallLines(t *testing.T) {
	const ts = "2026-11-25T18:52:00.000Z "
	tests := []struct {
		name string
		r    *record.Record
		want string
	}{
		{"mount shows its arguments and result", tmpfsMount(),
			`INFO  mount  pid=4242 ppid=4100 uid=0 exe=/usr/bin/mount source=none target=/mnt fstype=tmpfs flags=MS_NOSUID ret=0 parent=bash`},
		{"ptrace shows the target", gdbAttach(),
			`WARN  ptrace pid=4242 ppid=4100 uid=0 exe=/usr/bin/gdb request=PTRACE_ATTACH pid=42 target=42 target_exe=/usr/bin/sleep ret=0 parent=bash`},
		{"a failed call shows the errno, not ret", deniedModule(),
			`WARN  finit_module pid=4242 ppid=4100 uid=1000 exe=/tmp/loader file=/tmp/rootkit.ko params="" flags=0x0 error=EPERM parent=bash`},
		{"privilege by exec shows the executable's owner and mode", sudoExec(),
			`INFO  privilege pid=4242 ppid=4100 uid=1000 euid=0 exe=/usr/bin/sudo means=exec gained="euid 0,fsuid 0" ` +
				`before="uid=1000,euid=1000,suid=1000,caps=0x0" after="uid=1000,euid=0,suid=0,caps=0x0" exe_owner=0 exe_mode=4755 parent=bash`},
		{"privilege by syscall names it", pythonSetuid(),
			`CRIT  privilege pid=4242 ppid=4100 uid=1000 euid=0 exe=/usr/bin/python3 means=syscall syscall=setuid ` +
				`gained="uid 0,euid 0,fsuid 0,CAP_SETUID,CAP_SYS_ADMIN" before="uid=1000,euid=1000,suid=1000,caps=0x0" ` +
				`after="uid=0,euid=0,suid=0,caps=0x200080" parent=bash`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeLines(t, output.FormatText, false, tt.r)
			if want := ts + tt.want + "\n"; got != want {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
			checkSafeLine(t, got)
		})
	}
}

func TestTextFailedCallHasNoRet(t *testing.T) {
	line := writeLines(t, output.FormatText, false, deniedModule())
	if !strings.Contains(line, " error=EPERM") {
		t.Errorf("line %q lacks error=EPERM", line)
	}
	if strings.Contains(line, " ret=") {
		t.Errorf("line %q has ret= beside the errno", line)
	}
}

func TestTextSyscallArgumentWithControlBytesPrintsOneSafeLine(t *testing.T) {
	r := sysRecord("/tmp/x", record.Syscall{
		Name: "prctl", Nr: 157, Group: "credentials",
		Args: []record.Arg{
			{Key: "option", Value: "PR_SET_NAME"},
			{Key: "name", Value: []byte("\x1b[2J\n\r\x9b\xff\"k")},
		},
	})
	for _, tty := range []bool{false, true} {
		line := writeLines(t, output.FormatText, tty, r)
		if tty {
			line = stripSGR(line)
		}
		checkSafeLine(t, line)
		if want := ` option=PR_SET_NAME name="\x1b[2J\n\r\x9b\xff\"k" ret=0 `; !strings.Contains(line, want) {
			t.Errorf("tty=%v: line %q lacks %s", tty, line, want)
		}
	}
}
