package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// A change of the passwd file is held until its process exits, then names
// what the file gained: a new account, or an old one given uid 0.
func TestAccountsNameWhatAChangeAdded(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	write := func(s string) {
		if err := os.WriteFile(passwd, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	var a accounts
	a.load(passwd)
	change := func(pid uint32, path string) *record.Record {
		return &record.Record{Event: "open", Process: &record.Process{PID: pid},
			File: &record.File{Path: []byte(path), Class: "accounts", Operation: "write"}}
	}
	now := time.Unix(1000, 0)

	r := change(7, passwd)
	if !a.changes(r) {
		t.Fatal("a write of the passwd file is not a change")
	}
	if a.changes(change(7, "/etc/group")) {
		t.Error("a write of another accounts file was taken for the passwd file")
	}
	a.hold(r, now)
	write("root:x:0:0::/root:/bin/bash\nalice:x:0:1000::/home/alice:/bin/sh\nmallory:x:1001:1001::/:/bin/sh\n")
	if got := a.release(8, now, 0); got != nil {
		t.Errorf("another process's exit released %v", got)
	}
	got := a.release(7, now, 0)
	if len(got) != 1 || got[0] != r {
		t.Fatalf("released %v, want the held change", got)
	}
	want := []record.Account{{Name: "alice", UID: 0}, {Name: "mallory", UID: 1001}}
	if !reflect.DeepEqual(r.File.AccountsAdded, want) {
		t.Errorf("accounts added = %v, want %v", r.File.AccountsAdded, want)
	}

	// the next change is compared with the file as it was then
	r2 := change(9, passwd)
	a.hold(r2, now)
	write("root:x:0:0::/root:/bin/bash\nalice:x:0:1000::/home/alice:/bin/sh\n")
	if got := a.release(0, now.Add(accountsHold/2), accountsHold); got != nil {
		t.Errorf("released before the hold passed: %v", got)
	}
	if got := a.release(0, now.Add(2*accountsHold), accountsHold); len(got) != 1 || len(r2.File.AccountsAdded) != 0 {
		t.Errorf("a removal: released %v, added %v", got, r2.File.AccountsAdded)
	}
}

// A uid is named by the first account the file gives it: root stays root
// when a later line adds another uid-0 account.
func TestAUidIsNamedByItsFirstAccount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(path, []byte("root:x:0:0::/root:/bin/bash\ndaemon:x:1:1::/:/bin/false\ntoor:x:0:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var a accounts
	a.load(path)
	if a.nameOf(0) != "root" || a.nameOf(1) != "daemon" || a.nameOf(4242) != "" {
		t.Errorf("names: 0=%q 1=%q 4242=%q", a.nameOf(0), a.nameOf(1), a.nameOf(4242))
	}
}

// An account added and removed before the change was judged is named from
// the backup shadow-utils leaves (passwd-, the file before the last
// change), but only from a backup written since the last read: an old one
// holds accounts removed long ago.
func TestAnAccountGoneBeforeTheReadIsFoundInANewBackup(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const root = "root:x:0:0::/root:/bin/bash\n"
	write(passwd, root)
	write(passwd+"-", root+"old:x:1000:1000::/:/bin/sh\n") // removed before the monitor started
	var a accounts
	a.load(passwd)
	now := time.Unix(1000, 0)
	judge := func() []record.Account {
		t.Helper()
		r := &record.Record{Event: "rename", Process: &record.Process{PID: 7},
			File: &record.File{Path: []byte(passwd + "+"), TargetPath: []byte(passwd), Class: "accounts", Operation: "rename"}}
		if !a.changes(r) || !a.whole(r) {
			t.Fatal("a rename onto the passwd file is not a whole change")
		}
		a.hold(r, now)
		if got := a.release(7, now, 0); len(got) != 1 {
			t.Fatalf("released %v", got)
		}
		return r.File.AccountsAdded
	}

	// a change that added nothing: the old backup's account is not news
	write(passwd, root+"svc:x:999:999::/:/bin/false\n")
	if got, want := judge(), []record.Account{{Name: "svc", UID: 999}}; !reflect.DeepEqual(got, want) {
		t.Errorf("added = %v, want %v", got, want)
	}
	// useradd, usermod, userdel before the next judgement: the file has
	// lost the account, the backup (usermod's version) still has it; a
	// line cut short by a write in progress is no account
	write(passwd, root+"svc:x:999:999::/:/bin/false\n")
	write(passwd+"-", root+"svc:x:999:999::/:/bin/false\nmallory:x:0:0:changed::/bin/sh\nhalf:x:10")
	if got, want := judge(), []record.Account{{Name: "mallory", UID: 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("added = %v, want %v", got, want)
	}
	// the same backup at the next judgement is not news again
	if got := judge(); len(got) != 0 {
		t.Errorf("added = %v, want none", got)
	}
}
