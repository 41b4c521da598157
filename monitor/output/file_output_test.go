package output_test

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// File records as the processor builds them, by hand.

func fileRecord(event string, uid uint32, exe string, f record.File) *record.Record {
	if f.WatchOwner == 0 {
		f.WatchOwner = -1 // not a home directory's entry, as the processor writes it
	}
	return &record.Record{
		Time: t0, Severity: record.Info, Event: event, Category: record.CatFile,
		Message: exe + ": " + event + " " + string(f.Path),
		Process: &record.Process{
			PID: 4242, TID: 4242, PPID: 4100,
			UID: uid, GID: uid, EUID: uid, EGID: uid,
			Comm: []byte(exe[strings.LastIndexByte(exe, '/')+1:]), Exe: []byte(exe),
			Ancestry: []record.Ancestor{{PID: 4100, Exe: "/usr/bin/bash"}},
		},
		File: &f,
	}
}

// openShadow is root running `cat shadow` in /etc.
func openShadow() *record.Record {
	return fileRecord("open", 0, "/usr/bin/cat", record.File{
		Path: []byte("/etc/shadow"), RequestedPath: []byte("shadow"),
		Operation: "read", OpenFlags: unix.O_RDONLY, FD: 3, Resolved: true,
		Class: "credentials", Watch: "/etc/shadow",
	})
}

// deniedShadow is a user's `cat /etc/shadow` failing with EACCES.
func deniedShadow() *record.Record {
	r := fileRecord("open", 1000, "/usr/bin/cat", record.File{
		Path: []byte("/etc/shadow"), RequestedPath: []byte("/etc/shadow"),
		Operation: "read", OpenFlags: unix.O_RDONLY, FD: -1,
		Class: "credentials", Watch: "/etc/shadow",
	})
	r.Severity, r.Error = record.Warn, "EACCES"
	return r
}

func chmodSetuid() *record.Record {
	r := fileRecord("chmod", 0, "/usr/bin/chmod", record.File{
		Path: []byte("/etc/cron.daily/job"), RequestedPath: []byte("/etc/cron.daily/job"),
		Operation: "chmod", Mode: 0o4755, HasMode: true, FD: -1,
		Class: "persistence", Watch: "/etc/cron.daily/",
	})
	r.Severity = record.Warn
	return r
}

// a read of a container's /etc/shadow
func containerShadow() *record.Record {
	r := openShadow()
	r.Container = &record.Container{ID: strings.Repeat("0123456789abcdef", 4), Runtime: "docker", Name: "web-1",
		Image: "nginx:1.25", ImageID: "sha256:" + strings.Repeat("ab", 32), Pod: "web-7d9f", Namespace: "shop",
		PodUID: "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516"}
	return r
}

// auditctl -e 0, as the kernel decodes the message
func auditDisable() *record.Record {
	r := fileRecord("send", 0, "/usr/sbin/auditctl", record.File{})
	r.File = nil
	r.Category = record.CatNetwork
	r.Network = &record.Network{Family: "netlink", Protocol: "audit", Direction: "outbound", Sources: []string{"syscall"},
		Audit: &record.AuditMessage{Type: "AUDIT_SET", Enabled: 0, Failure: -1, PID: -1, RateLim: -1}}
	return r
}

// timestomp: touch -m -d on a file it did not make (only the mtime set)
func touchStomp() *record.Record {
	return fileRecord("utimes", 1000, "/usr/bin/touch", record.File{
		Path: []byte("/tmp/payload"), RequestedPath: []byte("payload"), Operation: "utimes", FD: -1,
		MTimeSet: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
	})
}

// a dot file made in /dev/shm
func hiddenCreate() *record.Record {
	return fileRecord("open", 1000, "/usr/bin/bash", record.File{
		Path: []byte("/dev/shm/.x"), RequestedPath: []byte("/dev/shm/.x"), Operation: "write",
		OpenFlags: 0o1101, Mode: 0o644, HasMode: true, Created: true, FD: 3, Resolved: true,
		Class: "hidden-files", Watch: "/dev/shm/.",
	})
}

func chownShadow() *record.Record {
	r := fileRecord("chown", 0, "/usr/bin/chown", record.File{
		Path: []byte("/etc/shadow"), RequestedPath: []byte("/etc/shadow"),
		Operation: "chown", Owner: &record.Owner{UID: 1000, GID: -1}, FD: -1,
		Class: "credentials", Watch: "/etc/shadow",
	})
	r.Severity = record.Warn
	return r
}

// renameIntoCron is `mv -n job /etc/cron.d/job` run in /tmp.
func renameIntoCron() *record.Record {
	r := fileRecord("rename", 0, "/usr/bin/mv", record.File{
		Path: []byte("/tmp/job"), RequestedPath: []byte("job"), TargetPath: []byte("/etc/cron.d/job"),
		Operation: "rename", OpenFlags: unix.RENAME_NOREPLACE, FD: -1,
		Class: "persistence", Watch: "/etc/cron.d/",
	})
	r.Severity = record.Warn
	return r
}

func TestJSONOpenOfShadowHasTheFileObject(t *testing.T) {
	r := openShadow()
	r.File.OpenFlags = unix.O_RDONLY | unix.O_CLOEXEC
	m := jsonObject(t, r)

	wantKeys(t, "record", m, "time", "severity", "event", "category", "message", "process", "file")
	want(t, "event", m["event"], "open")
	want(t, "category", m["category"], "file")
	f := obj(t, m, "file")
	wantKeys(t, "file", f, "path", "requested_path", "operation", "flags", "fd", "resolved", "class", "watch")
	want(t, "file.path", f["path"], "/etc/shadow")
	want(t, "file.requested_path", f["requested_path"], "shadow")
	want(t, "file.operation", f["operation"], "read")
	want(t, "file.flags", f["flags"], []any{"O_RDONLY", "O_CLOEXEC"})
	want(t, "file.fd", f["fd"], 3)
	want(t, "file.resolved", f["resolved"], true)
	want(t, "file.class", f["class"], "credentials")
	want(t, "file.watch", f["watch"], "/etc/shadow")
	if _, ok := m["error"]; ok {
		t.Error("successful open has an error field")
	}
}

func TestJSONRequestedPathOnlyWhenItDiffersFromPath(t *testing.T) {
	for _, requested := range []string{"/etc/shadow", ""} {
		r := openShadow()
		r.File.RequestedPath = []byte(requested)
		f := obj(t, jsonObject(t, r), "file")
		if v, ok := f["requested_path"]; ok {
			t.Errorf("requested %q: requested_path = %v, want it left out", requested, v)
		}
	}
}

func TestJSONFailedOpenHasErrnoAndNoFD(t *testing.T) {
	m := jsonObject(t, deniedShadow())
	want(t, "error", m["error"], "EACCES")
	want(t, "severity", m["severity"], "warn")
	f := obj(t, m, "file")
	wantKeys(t, "file", f, "path", "operation", "flags", "resolved", "class", "watch")
	want(t, "file.flags", f["flags"], []any{"O_RDONLY"})
	want(t, "file.resolved", f["resolved"], false)
}

func TestJSONChmodShowsOctalModeAndSetuid(t *testing.T) {
	f := obj(t, jsonObject(t, chmodSetuid()), "file")
	wantKeys(t, "file", f, "path", "operation", "mode", "mode_bits", "resolved", "class", "watch")
	want(t, "file.operation", f["operation"], "chmod")
	want(t, "file.mode", f["mode"], "4755")
	want(t, "file.mode_bits", f["mode_bits"], []any{"S_ISUID"})
}

func TestJSONChmodWithoutSpecialBitsHasNoModeBits(t *testing.T) {
	r := chmodSetuid()
	r.File.Mode = 0o644
	f := obj(t, jsonObject(t, r), "file")
	want(t, "file.mode", f["mode"], "0644")
	if _, ok := f["mode_bits"]; ok {
		t.Errorf("mode_bits = %v for 0644", f["mode_bits"])
	}
}

func TestJSONMknodShowsTheFileType(t *testing.T) {
	r := fileRecord("mknod", 0, "/usr/bin/mknod", record.File{
		Path: []byte("/etc/cron.d/tty"), Operation: "mknod",
		Mode: unix.S_IFCHR | 0o600, HasMode: true, FD: -1, Class: "persistence", Watch: "/etc/cron.d/",
	})
	f := obj(t, jsonObject(t, r), "file")
	want(t, "file.mode", f["mode"], "0600")
	want(t, "file.mode_bits", f["mode_bits"], []any{"S_IFCHR"})
}

func TestJSONChownShowsUnchangedOwnerAsMinusOne(t *testing.T) {
	f := obj(t, jsonObject(t, chownShadow()), "file")
	wantKeys(t, "file", f, "path", "operation", "owner", "resolved", "class", "watch")
	want(t, "file.owner", f["owner"], map[string]any{"uid": json.Number("1000"), "gid": json.Number("-1")})
}

func TestJSONRenameHasTargetAndRenameFlags(t *testing.T) {
	f := obj(t, jsonObject(t, renameIntoCron()), "file")
	wantKeys(t, "file", f, "path", "requested_path", "target_path", "operation", "flags", "resolved", "class", "watch")
	want(t, "file.path", f["path"], "/tmp/job")
	want(t, "file.requested_path", f["requested_path"], "job")
	want(t, "file.target_path", f["target_path"], "/etc/cron.d/job")
	want(t, "file.flags", f["flags"], []any{"RENAME_NOREPLACE"})
}

func TestJSONChangeWithoutFlagsLeavesThemOut(t *testing.T) {
	r := renameIntoCron()
	r.File.OpenFlags = 0
	if v, ok := obj(t, jsonObject(t, r), "file")["flags"]; ok {
		t.Errorf("flags = %v for a plain rename", v)
	}
}

func TestJSONNonUTF8PathsKeepTheirExactBytes(t *testing.T) {
	const path = "/etc/cron.d/\xff\xfejob\n\x1b[2J"
	const target = "/etc/cron.d/\x80x"
	r := renameIntoCron()
	r.File.Path, r.File.RequestedPath, r.File.TargetPath = []byte(path), []byte(path), []byte(target)
	f := obj(t, jsonObject(t, r), "file") // one line, valid JSON
	want(t, "file.path_hex", unhex(t, f["path_hex"]), path)
	want(t, "file.target_path_hex", unhex(t, f["target_path_hex"]), target)
	if _, ok := f["requested_path"]; ok {
		t.Error("requested_path present though equal to path")
	}

	valid := obj(t, jsonObject(t, openShadow()), "file")
	for _, k := range []string{"path_hex", "requested_path_hex", "target_path_hex"} {
		if _, ok := valid[k]; ok {
			t.Errorf("%s present for a valid UTF-8 path", k)
		}
	}
}

func TestTextFileLines(t *testing.T) {
	const ts = "2026-11-25T18:52:00.000Z "
	hostile := renameIntoCron()
	hostile.File.Path = []byte("/etc/cron.d/\xff\nx")
	hostile.File.RequestedPath = hostile.File.Path

	tests := []struct {
		name string
		r    *record.Record
		want string
	}{
		{"open shows path, operation, flags and fd", openShadow(),
			`INFO  open   pid=4242 ppid=4100 uid=0 exe=/usr/bin/cat path=/etc/shadow op=read flags=O_RDONLY fd=3 requested=shadow parent=bash`},
		{"failed open shows the errno and no fd", deniedShadow(),
			`WARN  open   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/cat path=/etc/shadow op=read flags=O_RDONLY error=EACCES parent=bash`},
		{"rename shows its target", renameIntoCron(),
			`WARN  rename pid=4242 ppid=4100 uid=0 exe=/usr/bin/mv path=/tmp/job op=rename flags=RENAME_NOREPLACE requested=job target=/etc/cron.d/job parent=bash`},
		{"chmod shows mode and special bits", chmodSetuid(),
			`WARN  chmod  pid=4242 ppid=4100 uid=0 exe=/usr/bin/chmod path=/etc/cron.daily/job op=chmod mode=4755 mode_bits=S_ISUID parent=bash`},
		{"chown shows the owner, -1 unchanged", chownShadow(),
			`WARN  chown  pid=4242 ppid=4100 uid=0 exe=/usr/bin/chown path=/etc/shadow op=chown owner=1000:-1 parent=bash`},
		{"hostile path is quoted and escaped", hostile,
			`WARN  rename pid=4242 ppid=4100 uid=0 exe=/usr/bin/mv path="/etc/cron.d/\xff\nx" op=rename flags=RENAME_NOREPLACE target=/etc/cron.d/job parent=bash`},
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

func TestTextOpenFlagsAreJoinedWithBars(t *testing.T) {
	r := openShadow()
	r.File.OpenFlags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
	r.File.Operation = "write"
	if got := writeLines(t, output.FormatText, false, r); !strings.Contains(got, " op=write flags=O_WRONLY|O_CREAT|O_TRUNC fd=3 ") {
		t.Errorf("got %q", got)
	}
}

func TestOpenFlagNames(t *testing.T) {
	tests := []struct {
		name  string
		flags uint32
		want  []string
	}{
		{"read only", unix.O_RDONLY, []string{"O_RDONLY"}},
		{"create for writing", unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, []string{"O_WRONLY", "O_CREAT", "O_TRUNC"}},
		{"append read-write", unix.O_RDWR | unix.O_APPEND | unix.O_CLOEXEC, []string{"O_RDWR", "O_APPEND", "O_CLOEXEC"}},
		{"O_TMPFILE is one name, not O_DIRECTORY", unix.O_RDWR | unix.O_TMPFILE, []string{"O_RDWR", "O_TMPFILE"}},
		{"O_DIRECTORY alone", unix.O_DIRECTORY, []string{"O_RDONLY", "O_DIRECTORY"}},
		{"O_SYNC is one name, not O_DSYNC", unix.O_WRONLY | unix.O_SYNC, []string{"O_WRONLY", "O_SYNC"}},
		{"O_DSYNC alone", unix.O_WRONLY | unix.O_DSYNC, []string{"O_WRONLY", "O_DSYNC"}},
		{"O_PATH", unix.O_PATH | unix.O_NOFOLLOW, []string{"O_RDONLY", "O_NOFOLLOW", "O_PATH"}},
		{"access mode 3", unix.O_ACCMODE, []string{"O_ACCMODE"}},
		{"unknown bit in hex", unix.O_WRONLY | unix.O_CREAT | 0x4000000, []string{"O_WRONLY", "O_CREAT", "0x4000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := output.OpenFlagNames(tt.flags); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OpenFlagNames(%#x) = %q, want %q", tt.flags, got, tt.want)
			}
		})
	}
}

// O_LARGEFILE says nothing on a 64-bit kernel, which sets it itself; musl
// passes it on every open.  x/sys/unix gives 0 for it on 64-bit targets,
// so the kernel's value is spelled out here.
func TestOpenFlagNamesHideOLargefile(t *testing.T) {
	largefile := map[string]uint32{"amd64": 0x8000, "386": 0x8000, "arm64": 0x20000, "arm": 0x20000}[runtime.GOARCH]
	if largefile == 0 {
		t.Skipf("O_LARGEFILE of %s not listed here", runtime.GOARCH)
	}
	for flags, want := range map[uint32][]string{
		largefile:                                    {"O_RDONLY"},
		unix.O_RDWR | unix.O_CLOEXEC | largefile:     {"O_RDWR", "O_CLOEXEC"},
		unix.O_WRONLY | unix.O_TMPFILE | largefile:   {"O_WRONLY", "O_TMPFILE"},
		unix.O_RDONLY | unix.O_NOFOLLOW | largefile:  {"O_RDONLY", "O_NOFOLLOW"},
		unix.O_RDONLY | unix.O_DIRECTORY | largefile: {"O_RDONLY", "O_DIRECTORY"},
	} {
		if got := output.OpenFlagNames(flags); !reflect.DeepEqual(got, want) {
			t.Errorf("OpenFlagNames(%#x) = %q, want %q", flags, got, want)
		}
	}
}

func TestAtFlagNames(t *testing.T) {
	tests := []struct {
		event string
		flags uint32
		want  []string
	}{
		{"rmdir", unix.AT_REMOVEDIR, []string{"AT_REMOVEDIR"}},
		{"unlink", 0, nil},
		{"chown", unix.AT_SYMLINK_NOFOLLOW | unix.AT_EMPTY_PATH, []string{"AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH"}},
		{"link", unix.AT_SYMLINK_FOLLOW, []string{"AT_SYMLINK_FOLLOW"}},
		{"chmod", unix.AT_SYMLINK_NOFOLLOW | 0x1, []string{"AT_SYMLINK_NOFOLLOW", "0x1"}},
		{"rename", unix.RENAME_EXCHANGE, []string{"RENAME_EXCHANGE"}},
		{"rename", unix.RENAME_NOREPLACE | unix.RENAME_WHITEOUT, []string{"RENAME_NOREPLACE", "RENAME_WHITEOUT"}},
		{"rename", 0x10, []string{"0x10"}},
		{"rename", unix.AT_REMOVEDIR, []string{"0x200"}},  // rename flags are not AT_*
		{"unlink", unix.RENAME_EXCHANGE, []string{"0x2"}}, // nor the other way round
	}
	for _, tt := range tests {
		got := output.AtFlagNames(tt.event, tt.flags)
		if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("AtFlagNames(%q, %#x) = %q, want %q", tt.event, tt.flags, got, tt.want)
		}
	}
}

func TestModeBits(t *testing.T) {
	tests := []struct {
		mode uint32
		want []string
	}{
		{0o4755, []string{"S_ISUID"}},
		{0o2755, []string{"S_ISGID"}},
		{0o1777, []string{"S_ISVTX"}},
		{0o6755, []string{"S_ISUID", "S_ISGID"}},
		{0o644, nil},
		{unix.S_IFCHR | 0o600, []string{"S_IFCHR"}},
		{unix.S_IFBLK | 0o660, []string{"S_IFBLK"}},
		{unix.S_IFIFO | 0o644, []string{"S_IFIFO"}},
		{unix.S_IFSOCK | 0o755, []string{"S_IFSOCK"}},
		{unix.S_IFREG | 0o4755, []string{"S_IFREG", "S_ISUID"}},
	}
	for _, tt := range tests {
		got := output.ModeBits(tt.mode)
		if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("ModeBits(%#o) = %q, want %q", tt.mode, got, tt.want)
		}
	}
}

func TestOctal(t *testing.T) {
	for mode, want := range map[uint32]string{
		0o644: "0644", 0o4755: "4755", 0o600: "0600", 0o7: "0007", 0: "0000", 0o7777: "7777",
	} {
		if got := output.Octal(mode); got != want {
			t.Errorf("Octal(%#o) = %q, want %q", mode, got, want)
		}
	}
}
