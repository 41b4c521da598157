// Command helper performs one security-relevant action for the end-to-end
// tests, so that each test triggers exactly the syscall it asserts.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: helper print-id|setuid0|setresuid-drop|ptrace-attach PID|memfd-exec|finit-module")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "print-id":
		fmt.Println(os.Getuid(), os.Geteuid())
	case "setuid0":
		err := syscall.Setuid(0)
		fmt.Println("setuid(0):", err)
	case "setresuid-drop":
		if err := syscall.Setresuid(1000, 1000, 1000); err != nil {
			fail(err)
		}
	case "ptrace-attach":
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
