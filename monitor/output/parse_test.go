package output_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Reading a JSON line back and writing it again gives the same line, for
// every kind of record, hostile bytes included: replay judges what the
// live run saw, not an approximation of it.
func TestJSONReadsBackExactly(t *testing.T) {
	other := true
	setns := sysRecord("/usr/bin/nsenter", record.Syscall{Name: "setns", Nr: 308, Group: "namespaces",
		Args: []record.Arg{{Key: "fd", Value: int64(3)}, {Key: "nstype", Value: []string{"CLONE_NEWNET"}},
			{Key: "ns_inode", Value: uint64(4026531840)}, {Key: "path", Value: []byte("/proc/1/ns/\xffnet")}},
		EntersOtherNamespace: &other, EntersHostNamespace: &other})
	ssh := openShadow()
	ssh.File.WatchOwner = 1000
	failed := failedExec()
	failed.Exec.PathMisses = 4 // a PATH search's last miss
	ssh.Repeats = 3            // a summary of an incident: objects and processes folded
	ssh.Folded = &record.Folded{Objects: []string{"/root/.ssh/id_rsa", "/root/.ssh/id_ed25519"}, ObjectCount: 2,
		PIDs: []uint32{77}, PIDCount: 1}
	chroot := renameIntoCron() // dpkg in a build root: both views, and a container's namespace
	chroot.Process.Root = []byte("/srv/build\xff")
	chroot.Process.MntNS = 4026532301
	chroot.Process.Script = []byte("/usr/sbin/dpkg-preconfigure")
	chroot.File.HostPath = []byte("/srv/build\xff/etc/cron.d/.job")
	chroot.File.TargetHost = []byte("/srv/build\xff/etc/cron.d/job")
	started := simpleExec() // the process table saw it begin, and its parent
	started.Process.EntityID, started.Process.ParentEntityID = "f3Vn4Xq0mN2aZ8cL1bQk", "a1b2c3d4e5f6g7h8i9j0"
	started.Process.User = "root"
	started.Process.StartTime = time.Date(2026, 12, 1, 3, 4, 5, 123456789, time.UTC)
	deep := simpleExec() // a path deeper than the kernel walks
	deep.Exec.ExeTruncated, deep.Exec.CwdTruncated = true, true
	recs := []*record.Record{openShadow(), deniedShadow(), chmodSetuid(), chownShadow(), renameIntoCron(),
		reverseShell(), refused(), sshdAccept(), ncListen(), dockerSocket(), firstDNSSend(), dnsFoldSummary(),
		simpleExec(), failedExec(), forkRecord(), hostileRecord(), tmpfsMount(), gdbAttach(), deniedModule(),
		sudoExec(), pythonSetuid(), touchStomp(), hiddenCreate(), auditDisable(), containerShadow(), exitRecord(record.Exit{Code: 0, Signal: 9, CoreDumped: true}), setns, ssh, chroot, failed, started, deep}
	for _, r := range recs {
		line := writeLines(t, output.FormatJSON, false, r)
		back, err := output.ParseJSON([]byte(line))
		if err != nil {
			t.Errorf("%s: %v\n%s", r.Event, err, line)
			continue
		}
		if !utf8.ValidString(r.Message) {
			back.Message = r.Message // the message has no _hex sibling: its invalid bytes read back as U+FFFD
		}
		if again := writeLines(t, output.FormatJSON, false, back); again != line {
			i := 0
			for i < len(again) && i < len(line) && again[i] == line[i] {
				i++
			}
			t.Errorf("%s: read back differs at byte %d: got %.80q, want %.80q", r.Event, i, again[i:], line[i:])
		}
	}
}

func TestParseJSONRefusesWhatIsNotARecord(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"time":"x","event":"exec","severity":"info"}`,
		`{"event":"exec"}`, `{"time":"2026-01-01T00:00:00Z","event":"exec","severity":"loud"}`,
		`{"time":"2026-01-01T00:00:00Z","event":"open","severity":"info","file":{"path":"/x","flags":["O_NOPE"]}}`,
		`{"time":"2026-01-01T00:00:00Z","event":"exec","severity":"info","process":{"exe":"x","exe_hex":"zz"}}`} {
		if r, err := output.ParseJSON([]byte(in)); err == nil {
			t.Errorf("%q: parsed as %+v", in, r)
		} else if strings.Contains(err.Error(), "\n") && !strings.Contains(in, "exe_hex") {
			t.Logf("%q: %v", in, err)
		}
	}
}
