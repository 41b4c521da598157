// Before anything loads: what the user can fix (root, kernel version, BTF)
// and the file systems the hooks need (tracefs, bpffs).

package monitor

import (
	"fmt"
	"os"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

const minKernelMajor, minKernelMinor = 5, 8

// kernelAtLeast reads uname's release; a release it cannot parse passes
// (the load then tells).  The e2e test makes it old with setarch
// --uname-2.6 (the kernel's UNAME26 personality), not with a switch here.
func kernelAtLeast(wantMajor, wantMinor int) (string, bool) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", true
	}
	rel := unix.ByteSliceToString(uts.Release[:])
	var major, minor int
	if n, _ := fmt.Sscanf(rel, "%d.%d", &major, &minor); n != 2 {
		return rel, true
	}
	return rel, major > wantMajor || (major == wantMajor && minor >= wantMinor)
}

// preflight checks what the user can fix before anything is loaded.
func preflight(cfg *Config) error {
	if os.Geteuid() != 0 {
		return errorf(ExitPermission, "must run as root: loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (try: sudo %s)", os.Args[0])
	}
	if rel, ok := kernelAtLeast(minKernelMajor, minKernelMinor); !ok {
		return errorf(ExitKernel, "kernel %s is older than %d.%d, the oldest this monitor supports (BPF CO-RE with BTF, raw tracepoints, bpf_ktime_get_boot_ns): upgrade the kernel", rel, minKernelMajor, minKernelMinor)
	}
	btf := cfg.BTFFile
	if btf == "" {
		btf = DefaultBTFFile
	}
	if _, err := os.Stat(btf); err != nil {
		if btf == DefaultBTFFile {
			return errorf(ExitNoBTF, "kernel BTF not found at %s: this kernel was built without CONFIG_DEBUG_INFO_BTF; use a kernel with BTF or pass --btf-file with a BTF file for this kernel", btf)
		}
		return errorf(ExitNoBTF, "BTF file %s: %v (give a readable BTF file for the running kernel)", btf, err)
	}
	return nil
}

// ensureTracefs returns a mounted tracefs, mounting it when missing.
func ensureTracefs(log zerolog.Logger) (string, error) {
	for _, p := range []string{tracefsPath, tracefsOldPath} {
		if _, err := os.Stat(p + "/events"); err == nil {
			return p, nil
		}
	}
	if err := unix.Mount("tracefs", tracefsPath, "tracefs", 0, ""); err != nil {
		return "", errorf(ExitTracefs, "tracefs is not mounted and mounting it at %s failed: %v (mount it: mount -t tracefs nodev %s)", tracefsPath, err, tracefsPath)
	}
	log.Info().Str("path", tracefsPath).Msg("mounted tracefs")
	return tracefsPath, nil
}

// ensureBpffs mounts bpffs when missing.  Nothing is pinned (links belong
// to our file descriptors and die with the process), but bpftool and libbpf
// expect it; failure is only a warning.
func ensureBpffs(log zerolog.Logger) {
	var st unix.Statfs_t
	if err := unix.Statfs(bpffsPath, &st); err == nil && st.Type == unix.BPF_FS_MAGIC {
		return
	}
	if err := unix.Mount("bpf", bpffsPath, "bpf", 0, ""); err != nil {
		log.Warn().Err(err).Str("path", bpffsPath).Msg("bpffs not mounted and mount failed; continuing (nothing is pinned)")
		return
	}
	log.Info().Str("path", bpffsPath).Msg("mounted bpffs")
}
