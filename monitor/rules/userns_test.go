package rules

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func nsCall(pid, uid uint32, name string, ret int64, raw ...uint64) *record.Record {
	s := &record.Syscall{Name: name, Ret: ret}
	copy(s.Raw[:], raw)
	return &record.Record{Process: &record.Process{PID: pid, UID: uid, EUID: uid, Exe: []byte("/usr/bin/x")}, Syscall: s}
}

// A user namespace made while not root, then its root used for a mount, is
// one derived privilege record; the same mount without the namespace, or a
// namespace made by root, derives nothing.  Children share the namespace;
// an exited process is forgotten.
func TestUsernsDerivesThePrivilegeUseOnly(t *testing.T) {
	var u Userns
	if d := u.Syscall(nsCall(100, 1000, "mount", 0)); d != nil {
		t.Fatalf("a mount with no user namespace derived %v", d)
	}
	u.Syscall(nsCall(100, 1000, "unshare", 0, unix.CLONE_NEWUSER|unix.CLONE_NEWNS))
	d := u.Syscall(nsCall(100, 1000, "mount", 0))
	if d == nil || d.Event != "privilege" || d.Priv == nil || d.Priv.Means != "userns" || d.Priv.Syscall != "mount" {
		t.Fatalf("mount after unshare(CLONE_NEWUSER) by uid 1000: %+v", d)
	}
	u.Fork(100, 101)
	if d := u.Syscall(nsCall(101, 1000, "setns", 0)); d == nil {
		t.Error("the child's setns derived nothing")
	}
	u.Exit(100)
	if d := u.Syscall(nsCall(100, 1000, "mount", 0)); d != nil {
		t.Error("an exited pid, reused, still counts as in the namespace")
	}

	// root making a namespace is not the pattern
	u.Syscall(nsCall(200, 0, "unshare", 0, unix.CLONE_NEWUSER))
	if d := u.Syscall(nsCall(200, 0, "mount", 0)); d != nil {
		t.Error("root's namespace derived a privilege record")
	}
	// a failed unshare made nothing
	u.Syscall(nsCall(300, 1000, "unshare", -1, unix.CLONE_NEWUSER))
	if d := u.Syscall(nsCall(300, 1000, "mount", 0)); d != nil {
		t.Error("a failed unshare counted")
	}
	// clone3: the flags are behind the pointer; the child (ret) is in it
	c3 := nsCall(400, 1000, "clone3", 401)
	c3.Syscall.RawDeref = unix.CLONE_NEWUSER
	u.Syscall(c3)
	if d := u.Syscall(nsCall(401, 1000, "finit_module", 0)); d == nil {
		t.Error("clone3's child derived nothing")
	}
}
