package output

import (
	"runtime"
	"strconv"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"golang.org/x/sys/unix"
)

type flagName struct {
	bit  uint32
	name string
}

var openFlagNames = []flagName{
	{unix.O_CREAT, "O_CREAT"},
	{unix.O_EXCL, "O_EXCL"},
	{unix.O_NOCTTY, "O_NOCTTY"},
	{unix.O_TRUNC, "O_TRUNC"},
	{unix.O_APPEND, "O_APPEND"},
	{unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_DSYNC, "O_DSYNC"},
	{unix.O_DIRECT, "O_DIRECT"},
	{unix.O_DIRECTORY, "O_DIRECTORY"},
	{unix.O_NOFOLLOW, "O_NOFOLLOW"},
	{unix.O_NOATIME, "O_NOATIME"},
	{unix.O_CLOEXEC, "O_CLOEXEC"},
	{unix.O_PATH, "O_PATH"},
}

// oLargeFile is the kernel's O_LARGEFILE on this architecture.  x/sys/unix
// defines it as 0 on 64-bit targets, where libc has no use for it, yet
// callers still pass the bit (musl's open() always does).
var oLargeFile = largeFileBit(runtime.GOARCH)

func largeFileBit(arch string) uint32 {
	switch arch {
	case "arm", "arm64":
		return 0x20000
	case "ppc64", "ppc64le":
		return 0x10000
	case "mips", "mipsle", "mips64", "mips64le":
		return 0x2000
	case "sparc64":
		return 0x40000
	}
	return 0x8000 // asm-generic/fcntl.h: x86, riscv, s390, loongarch
}

// OpenFlagNames names the O_* bits of an open: the access mode first
// (O_RDONLY, O_WRONLY, O_RDWR), then each set flag; unknown bits in hex.
func OpenFlagNames(flags uint32) []string {
	var out []string
	switch flags & unix.O_ACCMODE {
	case unix.O_WRONLY:
		out = append(out, "O_WRONLY")
	case unix.O_RDWR:
		out = append(out, "O_RDWR")
	case unix.O_RDONLY:
		out = append(out, "O_RDONLY")
	default:
		out = append(out, "O_ACCMODE")
	}
	rest := flags &^ unix.O_ACCMODE &^ oLargeFile
	if rest&unix.O_TMPFILE == unix.O_TMPFILE {
		out = append(out, "O_TMPFILE")
		rest &^= unix.O_TMPFILE
	}
	if rest&unix.O_SYNC == unix.O_SYNC {
		out = append(out, "O_SYNC")
		rest &^= unix.O_SYNC
	}
	return appendBits(out, rest, openFlagNames)
}

// appendBits appends the name of each bit of flags found in names, then
// whatever is left over in hex, so no set bit is ever dropped silently.
func appendBits(out []string, flags uint32, names []flagName) []string {
	for _, n := range names {
		if flags&n.bit != 0 {
			out = append(out, n.name)
			flags &^= n.bit
		}
	}
	if flags != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(flags), 16))
	}
	return out
}

// Octal formats a mode as "0644".
func Octal(mode uint32) string {
	s := strconv.FormatUint(uint64(mode), 8)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// ModeBits names the special bits of a chmod/mknod mode (S_ISUID, S_ISGID,
// S_ISVTX) and, for mknod, the file type.
func ModeBits(mode uint32) []string {
	var out []string
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR:
		out = append(out, "S_IFCHR")
	case unix.S_IFBLK:
		out = append(out, "S_IFBLK")
	case unix.S_IFIFO:
		out = append(out, "S_IFIFO")
	case unix.S_IFSOCK:
		out = append(out, "S_IFSOCK")
	case unix.S_IFREG:
		out = append(out, "S_IFREG")
	}
	if mode&unix.S_ISUID != 0 {
		out = append(out, "S_ISUID")
	}
	if mode&unix.S_ISGID != 0 {
		out = append(out, "S_ISGID")
	}
	if mode&unix.S_ISVTX != 0 {
		out = append(out, "S_ISVTX")
	}
	return out
}

var renameFlagNames = []flagName{
	{unix.RENAME_NOREPLACE, "RENAME_NOREPLACE"},
	{unix.RENAME_EXCHANGE, "RENAME_EXCHANGE"},
	{unix.RENAME_WHITEOUT, "RENAME_WHITEOUT"},
}

var atFlagNames = []flagName{
	{unix.AT_REMOVEDIR, "AT_REMOVEDIR"},
	{unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
	{unix.AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},
	{unix.AT_EMPTY_PATH, "AT_EMPTY_PATH"},
}

// AtFlagNames names the flags of the *at and rename calls; unknown bits in hex.
func AtFlagNames(event string, flags uint32) []string {
	names := atFlagNames
	if event == "rename" {
		names = renameFlagNames
	}
	return appendBits(nil, flags, names)
}

type auditField struct {
	name string
	v    *int64
}

// auditFields are an AUDIT_SET's status fields by their JSON names, in
// struct audit_status's order; -1 is a field the message leaves alone.
func auditFields(a *record.AuditMessage) []auditField {
	return []auditField{{"enabled", &a.Enabled}, {"failure", &a.Failure}, {"pid", &a.PID}, {"rate_limit", &a.RateLim}}
}

// AuditSettings is what an audit message sets, as text: " enabled=0 pid=7"
// (empty when it sets no status field).
func AuditSettings(a *record.AuditMessage) string {
	s := ""
	for _, f := range auditFields(a) {
		if *f.v >= 0 {
			s += " " + f.name + "=" + strconv.FormatInt(*f.v, 10)
		}
	}
	return s
}
