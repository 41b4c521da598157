// Command helper performs one security-relevant action for the end-to-end
// tests, so that each test triggers exactly the syscall it asserts.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: helper print-id|setuid0|setresuid-drop|ptrace-attach PID|memfd-exec|finit-module|"+
			"listen [ADDR]|iopl0|setns-invalid|vm-readv PID|unix-stdio-exec|root-build|http-serve ADDR|unix-connect PATH")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "threads":
		// N threads, each printing its tid once it runs, then all exit
		n, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fail(err)
		}
		tids := make(chan int)
		release := make(chan struct{})
		for i := 0; i < n; i++ {
			go func() {
				runtime.LockOSThread() // a thread of its own, never handed back
				tids <- unix.Gettid()
				<-release
			}()
		}
		for i := 0; i < n; i++ {
			fmt.Println(<-tids)
		}
		io.Copy(io.Discard, os.Stdin) // until the test closes stdin
		close(release)
	case "print-id":
		fmt.Println(os.Getuid(), os.Geteuid())
	case "open-race":
		openRace()
	case "delete-self-read":
		// the malware habit: start, delete the binary, then act
		self, err := os.Executable()
		if err != nil {
			fail(err)
		}
		if err := os.Remove(self); err != nil {
			fail(err)
		}
		f, err := os.Open(os.Args[2])
		if err != nil {
			fail(err)
		}
		f.Close()
	case "setuid0":
		err := syscall.Setuid(0)
		fmt.Println("setuid(0):", err)
	case "setresuid-drop":
		if err := syscall.Setresuid(1000, 1000, 1000); err != nil {
			fail(err)
		}
	case "ptrace-attach":
		// ptrace requests must come from the thread that attached
		runtime.LockOSThread()
		pid, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fail(err)
		}
		if err := unix.PtraceAttach(pid); err != nil {
			fail(err)
		}
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		if err := unix.PtraceDetach(pid); err != nil {
			fail(err)
		}
	case "memfd-exec":
		fd, err := unix.MemfdCreate("e2e-memfd", 0)
		if err != nil {
			fail(err)
		}
		b, err := os.ReadFile("/bin/true")
		if err != nil {
			fail(err)
		}
		if _, err := unix.Write(fd, b); err != nil {
			fail(err)
		}
		fail(execveatEmptyPath(fd, []string{"memfd-true"}))
	case "finit-module":
		// an invalid descriptor: the attempt is what is recorded, nothing loads
		err := unix.FinitModule(9999, "", 0)
		fmt.Println("finit_module:", err)
	case "listen":
		// a TCP listener on loopback (127.0.0.1:0 unless given), closed at once
		addr := "127.0.0.1:0"
		if len(os.Args) > 2 {
			addr = os.Args[2]
		}
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			fail(err)
		}
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
		l.Close()
	case "http-serve":
		// a local web server: prints its address, answers until killed
		l, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fail(err)
		}
		fmt.Println(l.Addr())
		os.Stdout.Close()
		fail(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "ok\n")
		})))
	case "root-build":
		// what dpkg does in a build root, named from the process's own
		// root: writes under /etc, a rename into cron, a chmod, an
		// unlink and a read of shadow, and a failed open
		for _, d := range []string{"/etc/cron.d", "/etc/sudoers.d"} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				fail(err)
			}
		}
		for _, f := range []string{"/etc/cron.d/.job", "/etc/sudoers.d/build", "/etc/passwd", "/etc/shadow"} {
			if err := os.WriteFile(f, []byte("x\n"), 0o644); err != nil {
				fail(err)
			}
		}
		steps := []error{
			os.Rename("/etc/cron.d/.job", "/etc/cron.d/job"),
			os.Chmod("/etc/passwd", 0o600),
			os.Remove("/etc/sudoers.d/build"),
		}
		if b, err := os.ReadFile("/etc/shadow"); err != nil || len(b) == 0 {
			steps = append(steps, fmt.Errorf("read /etc/shadow: %v", err))
		}
		if _, err := os.Open("/etc/gshadow"); err == nil {
			steps = append(steps, fmt.Errorf("/etc/gshadow exists in the build root"))
		}
		if err := errors.Join(steps...); err != nil {
			fail(err)
		}
	case "unix-connect":
		// a client of a unix socket (a container runtime's API)
		c, err := net.Dial("unix", os.Args[2])
		if err != nil {
			fail(err)
		}
		c.Close()
	case "unix-stdio-exec":
		// /bin/sh with stdin, stdout and stderr on a unix socket, as a
		// service's shell writing to the journal: not a reverse shell
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			fail(err)
		}
		for fd := 0; fd < 3; fd++ {
			if err := unix.Dup2(fds[0], fd); err != nil {
				fail(err)
			}
		}
		fail(unix.Exec("/bin/sh", []string{"/bin/sh", "-c", "true"}, os.Environ()))
	case "iopl0":
		// level 0 grants nothing; kernels without CONFIG_X86_IOPL_IOPERM
		// refuse it with ENOSYS, and the attempt is recorded either way
		err := unix.Iopl(0)
		fmt.Println("iopl(0):", err)
	case "setns-invalid":
		// an invalid descriptor: the call fails with EBADF, no namespace changes
		err := unix.Setns(9999, unix.CLONE_NEWNET)
		fmt.Println("setns:", err)
	case "vm-readv":
		// read one byte at address 0 of another process: EFAULT, nothing read
		pid, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fail(err)
		}
		buf := make([]byte, 1)
		local := []unix.Iovec{{Base: &buf[0], Len: 1}}
		remote := []unix.RemoteIovec{{Base: 0, Len: 1}}
		_, err = unix.ProcessVMReadv(pid, local, remote, 0)
		fmt.Println("process_vm_readv:", err)
	case "deny-creat-exec":
		// run PROG ARGS... with creat(2) refused (EPERM) by a seccomp
		// filter before the call reaches the kernel's open code
		denyCreatExec(os.Args[2:])
	default:
		fail(fmt.Errorf("unknown action %q", os.Args[1]))
	}
}

// execveatEmptyPath runs execveat(fd, "", argv, envp, AT_EMPTY_PATH).
func execveatEmptyPath(fd int, argv []string) error {
	empty, _ := unix.BytePtrFromString("")
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envp, err := syscall.SlicePtrFromStrings(os.Environ())
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helper:", err)
	os.Exit(1)
}

// openRace opens a path buffer N times while another thread flips it
// between /etc/shadow and /etc/passwd (same length), and prints how many
// opens really got /etc/shadow (by inode): a monitor that reads the path
// string after the call reports the wrong file.
func openRace() {
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fail(err)
	}
	var shadow unix.Stat_t
	if err := unix.Stat("/etc/shadow", &shadow); err != nil {
		fail(err)
	}
	buf := []byte("/etc/shadow\x00")
	names := [2][]byte{[]byte("/etc/shadow"), []byte("/etc/passwd")}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for i := 0; ; i++ {
			select {
			case <-stop:
				close(done)
				return
			default:
			}
			copy(buf, names[i&1])
		}
	}()
	runtime.LockOSThread()
	fdcwd := unix.AT_FDCWD
	atFDCWD := uintptr(fdcwd) // AT_FDCWD, sign-extended
	got := 0
	for i := 0; i < n; i++ {
		fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&buf[0])),
			uintptr(unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
		if errno == unix.ENOENT {
			continue // caught mid-copy: a name that is neither
		}
		if errno != 0 {
			fail(errno)
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(fd), &st); err != nil {
			fail(err)
		}
		if st.Ino == shadow.Ino && st.Dev == shadow.Dev {
			got++
		}
		unix.Close(int(fd))
	}
	close(stop)
	<-done
	fmt.Println(got)
}

// denyCreatExec installs a seccomp filter that refuses the x86-64 creat(2)
// with EPERM, then execs argv.  The filter is the calling thread's, and
// exec keeps only that thread.
func denyCreatExec(argv []string) {
	runtime.LockOSThread()
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_CREAT},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		fail(err)
	}
	fail(unix.Exec(argv[0], argv, os.Environ()))
}
