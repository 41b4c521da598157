package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Calls that syscall-tracepoint monitors are known to miss (issue 9's
// bypass list), each made for real and expected in the output.

var (
	compat32Once sync.Once
	compat32Path string
	compat32Err  error
)

// compat32 builds tests/e2e/compat32 (a freestanding i386 program: gcc
// and binutils, no multilib) once; make vmtest passes a prebuilt one.
func compat32(t *testing.T) string {
	t.Helper()
	compat32Once.Do(func() {
		if p := os.Getenv("E2E_COMPAT32"); p != "" {
			compat32Path = p
			_, compat32Err = os.Stat(p)
			return
		}
		dir, err := os.MkdirTemp("", "e2e-compat32-")
		if err != nil {
			compat32Err = err
			return
		}
		os.Chmod(dir, 0o755)
		compat32Path = filepath.Join(dir, "compat32")
		out, err := exec.Command("gcc", "-m32", "-static", "-nostdlib", "-ffreestanding", "-fno-pic",
			"-no-pie", "-fno-stack-protector", "-O1", "-o", compat32Path, "compat32/compat32.c").CombinedOutput()
		if err != nil {
			compat32Err = err
			compat32Path = string(out)
		}
	})
	if compat32Err != nil {
		t.Fatalf("build the i386 test program: %v: %s", compat32Err, compat32Path)
	}
	return compat32Path
}

func compatIs(r rec) bool { b, _ := r.get("process", "compat").(bool); return b }

// TestI386SyscallsAreSeen: a 32-bit program making its calls with int $0x80
// (the compat entry; syscalls:sys_enter_X tracepoints never fire for it) is
// seen like a 64-bit one, its events marked compat.
func TestI386SyscallsAreSeen(t *testing.T) {
	c32 := compat32(t)
	m := startMonitor(t)
	defer m.stop(t)

	for _, mode := range []string{"open", "openat"} {
		t.Run(mode+" /etc/shadow", func(t *testing.T) {
			pid, out := run(t, c32, mode, "/etc/shadow")
			r := m.exactlyOne(t, mode+" of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
			if !compatIs(r) || r.str("file", "operation") != "read" || r.str("process", "exe") != c32 {
				t.Errorf("compat=%v operation=%q exe=%q (program said %q)", r.get("process", "compat"),
					r.str("file", "operation"), r.str("process", "exe"), out)
			}
		})
	}

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	for mode, name := range map[string]string{"connect": "socketcall(SYS_CONNECT)", "connect2": "connect"} {
		t.Run("i386 "+name, func(t *testing.T) {
			pid, out := run(t, c32, mode, strconv.Itoa(port))
			r := m.waitFor(t, 10*time.Second, "i386 connect", and(eventIs("connect"), pidIs(pid), dstPortIs(port)))
			if !compatIs(r) || r.str("network", "dst_ip") != "127.0.0.1" || r.str("error") != "" {
				t.Errorf("compat=%v network=%v error=%q (program said %q)", r.get("process", "compat"), r.get("network"), r.str("error"), out)
			}
			if got := r.strs("network", "sources"); len(got) == 0 || got[0] != "syscall" {
				t.Errorf("sources = %v, want the syscall first", got)
			}
		})
	}

	t.Run("execve of a 64-bit program, and a failed one", func(t *testing.T) {
		pid, _ := run(t, c32, "exec", "/bin/true", "from-i386")
		r := m.waitFor(t, 10*time.Second, "exec from i386", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
			return r.str("process", "exe") == "/usr/bin/true"
		}))
		if !compatIs(r) || !equalStrs(r.strs("process", "args"), []string{"/bin/true", "from-i386"}) {
			t.Errorf("compat=%v args=%v", r.get("process", "compat"), r.strs("process", "args"))
		}
		pid, _ = run(t, c32, "exec", "/nonexistent-i386", "x", "y")
		r = m.waitFor(t, 10*time.Second, "failed exec from i386", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
			return r.num("exec", "ret") != 0
		}))
		if !compatIs(r) || r.str("exec", "filename") != "/nonexistent-i386" ||
			!equalStrs(r.strs("process", "args"), []string{"/nonexistent-i386", "x", "y"}) {
			t.Errorf("compat=%v filename=%q args=%v (argv read as 32-bit pointers)", r.get("process", "compat"),
				r.str("exec", "filename"), r.strs("process", "args"))
		}
	})

	t.Run("setuid32(0) by nobody", func(t *testing.T) {
		pid, _ := run(t, append(nobody, c32, "setuid", "0")...)
		r := m.exactlyOne(t, "setuid", and(eventIs("setuid"), pidIs(pid)))
		if !compatIs(r) || r.str("error") != "EPERM" || r.num("syscall", "args", "uid") != 0 {
			t.Errorf("compat=%v error=%q args=%v", r.get("process", "compat"), r.str("error"), r.get("syscall", "args"))
		}
	})
}

func equalStrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
