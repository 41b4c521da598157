package monitor

/*
#include <errno.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <bpf/btf.h>

// 1: the running kernel's BTF has a function @name, 0: it has not,
// -errno: the BTF could not be read.
static int lm_kernel_has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id > 0;
}
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// kernelHasFunc says whether the running kernel's BTF describes the
// function name: how the loader learns which kfuncs the BPF programs may
// call (a kfunc the kernel lacks must stay on a dead branch).
func kernelHasFunc(name string) (bool, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	r := C.lm_kernel_has_func(cs)
	if r < 0 {
		return false, fmt.Errorf("read the kernel's BTF: %w", syscall.Errno(-r))
	}
	return r == 1, nil
}
