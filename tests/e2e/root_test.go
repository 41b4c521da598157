package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// A build root (debootstrap, dpkg in a chroot, an image being unpacked) is
// not the host: its /etc/sudoers.d and /etc/cron.d are files under the
// build directory.  Each record names the file as the chrooted process sees
// it (file.path) and from the host's root (file.host_path), and only the
// host's watch list applies: the build directory is watched here (custom),
// the host's /etc is not touched, so nothing about /etc may be raised.
// Before, names passed as strings (rename, chmod, unlink, failed opens)
// were matched as if they were the host's, and raised
// persistence and sensitive-config alerts.
func TestChrootedWritesAreNotTheHosts(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(root, 0o755)
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(helper(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "helper"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Fatal(err) // coreutils: on every Debian
	}
	// watched, but not judged: every operation is then a record of its own
	// (the alerts of one process would fold into one line)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "rules:\n  watched-path-modified:\n    enabled: false\n")
	m := startMonitor(t, "--watch-path", root, "--policy", pol)
	cmd := exec.Command(chroot, root, "/bin/helper", "root-build")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", cmd, err, out)
	}
	pid := cmd.Process.Pid
	m.drain(t)

	execRec := m.exactlyOne(t, "exec in the root", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
		return r.str("process", "exe") == "/bin/helper"
	}))
	if execRec.str("process", "root") != root || execRec.str("process", "cwd") != "/" {
		t.Errorf("exec: root=%q cwd=%q, want %q and /", execRec.str("process", "root"), execRec.str("process", "cwd"), root)
	}

	rename := m.exactlyOne(t, "rename into cron.d", and(eventIs("rename"), pidIs(pid)))
	if rename.str("file", "path") != "/etc/cron.d/.job" || rename.str("file", "target_path") != "/etc/cron.d/job" ||
		rename.str("file", "host_path") != root+"/etc/cron.d/.job" ||
		rename.str("file", "target_host_path") != root+"/etc/cron.d/job" {
		t.Errorf("rename: %v", rename.get("file"))
	}
	if rename.str("process", "root") != root {
		t.Errorf("rename: process.root = %q, want %q", rename.str("process", "root"), root)
	}
	for _, ev := range []string{"chmod", "unlink"} {
		r := m.exactlyOne(t, ev, and(eventIs(ev), pidIs(pid)))
		if got := r.str("file", "host_path"); filepath.Dir(got) != filepath.Join(root, filepath.Dir(r.str("file", "path"))) {
			t.Errorf("%s: path %q host_path %q", ev, r.str("file", "path"), got)
		}
	}
	// the shadow read and the failed open are under the watched root too
	for _, p := range []string{"/etc/shadow", "/etc/gshadow"} {
		m.exactlyOne(t, "open of "+p, and(eventIs("open"), pidIs(pid), func(r rec) bool {
			return r.str("file", "path") == p && r.str("file", "host_path") == root+p && r.str("file", "operation") == "read"
		}))
	}

	for _, r := range m.find(pidIs(pid)) {
		if r.str("category") != "file" {
			continue
		}
		if c := r.str("file", "class"); c != "custom" {
			t.Errorf("%s %s matched the host's %s watch (%s): %v", r.str("event"), r.str("file", "path"), c,
				r.str("file", "watch"), r.get("rules"))
		}
		for _, name := range []string{"persistence-write", "sensitive-config-modified", "credential-read", "log-tampering"} {
			if hasRule(r, name) {
				t.Errorf("%s %s raised %s", r.str("event"), r.str("file", "path"), name)
			}
		}
	}
	m.stop(t)
	m.assertAllJSON(t)
}

// A process in a mount namespace of its own reads that namespace's files:
// its /etc/shadow is still a shadow file (a container's matters), so the
// read is judged, and the record names the namespace so that nobody takes
// it for the host's.
func TestOtherMountNamespaceIsNamed(t *testing.T) {
	m := startMonitor(t)
	cmd := exec.Command("unshare", "-m", "cat", "/etc/shadow")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", cmd, err, out)
	}
	host, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	r := m.waitFor(t, 10*time.Second, "shadow read in a new mount namespace", and(eventIs("open"), pidIs(cmd.Process.Pid)))
	ns := r.num("process", "mnt_ns")
	if ns == 0 || "mnt:["+strconv.FormatFloat(ns, 'f', 0, 64)+"]" == host {
		t.Errorf("process.mnt_ns = %v, want the new namespace (host %s)", r.get("process", "mnt_ns"), host)
	}
	if !hasRule(r, "credential-read") || r.str("file", "path") != "/etc/shadow" || r.get("file", "host_path") != nil {
		t.Errorf("rules=%v file=%v", r.get("rules"), r.get("file"))
	}
	// unshare runs in the host's namespace, then execs cat in its own (its
	// failed PATH tries are made from the new namespace already)
	for _, e := range m.find(and(eventIs("exec"), pidIs(cmd.Process.Pid), func(r rec) bool { return r.str("error") == "" })) {
		named := e.get("process", "mnt_ns") != nil
		if exe := e.str("process", "exe"); named != (filepath.Base(exe) == "cat") {
			t.Errorf("exec of %s: mnt_ns = %v", exe, e.get("process", "mnt_ns"))
		}
	}
	m.stop(t)
}

// A container that reaches its runtime's API socket (mounted into it) can
// start a privileged container: an escape.  The host's own docker CLI,
// kubelet or systemd talking to the same socket is the runtime's normal
// use.  Here the runtime socket is one the test makes and the policy adds.
func TestRuntimeSocketFromAContainerOnly(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sock := filepath.Join(dir, "runtime.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closeEachConn(l)
	pol := filepath.Join(dir, "policy.yaml")
	writePolicy(t, pol, "lists:\n  runtime_sockets:\n    append: ["+sock+"]\n")
	m := startMonitor(t, "--policy", pol, "--watch-socket", sock)
	h := helper(t)

	host := runIn(t, "/", h, "unix-connect", sock)
	r := m.waitFor(t, 10*time.Second, "the host's client", and(eventIs("connect"), pidIs(host)))
	assertNotFired(t, r, "container-escape")

	boxed := runIn(t, "/", "unshare", "-m", h, "unix-connect", sock)
	r = m.waitFor(t, 10*time.Second, "a client in a mount namespace of its own", and(eventIs("connect"), pidIs(boxed)))
	if r.get("process", "mnt_ns") == nil {
		t.Errorf("process %v: want its mount namespace named", r.get("process"))
	}
	assertFired(t, r, "container-escape")
	m.stop(t)
}
