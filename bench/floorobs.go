// The floor observer: one empty program at raw_syscalls:sys_exit
// (bench/floor/empty-exit.bpf.c), which is what a monitor that sees
// syscalls through that tracepoint pays before its program does anything:
// the program's call and the kernel's slow syscall path, which any
// syscall tracepoint switches on for every task.  Its slowdown row is the
// floor of ours on the same workload in the same run.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

const (
	bpffsMagic = 0xcafe4a11
	floorName  = "empty sys_exit"
)

type floorObs struct {
	obj, pin string
}

// newFloor builds the empty program into dir (clang, as make does).
func newFloor(dir string) (*floorObs, error) {
	obj := filepath.Join(dir, "empty-exit.bpf.o")
	clang := "clang-19"
	if _, err := exec.LookPath(clang); err != nil {
		clang = "clang"
	}
	out, err := exec.Command(clang, "-g", "-O2", "-target", "bpf", "-I", "bpf",
		"-c", "bench/floor/empty-exit.bpf.c", "-o", obj).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("building the empty program: %v: %s", err, out)
	}
	if _, err := exec.LookPath("bpftool"); err != nil {
		return nil, err
	}
	var st syscall.Statfs_t
	if syscall.Statfs("/sys/fs/bpf", &st) != nil || st.Type != bpffsMagic {
		if err := syscall.Mount("bpf", "/sys/fs/bpf", "bpf", 0, ""); err != nil {
			return nil, fmt.Errorf("mounting bpffs for bpftool's pins: %v", err)
		}
	}
	return &floorObs{obj: obj, pin: fmt.Sprintf("/sys/fs/bpf/elm-bench-floor-%d", os.Getpid())}, nil
}

func (*floorObs) name() string { return floorName }
func (*floorObs) pids() []int  { return nil }

func (f *floorObs) start() error {
	out, err := exec.Command("bpftool", "prog", "loadall", f.obj, f.pin, "autoattach").CombinedOutput()
	if err != nil {
		return fmt.Errorf("bpftool: %v: %s", err, out)
	}
	return nil
}

// stop: removing the pinned programs and links detaches them
func (f *floorObs) stop() (uint64, uint64, error) {
	return 0, 0, os.RemoveAll(f.pin)
}
