package monitor

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Runs of our programs that the kernel skipped: records lost before any of
// our code ran, so no counter of the stats map can hold them.  Two kinds,
// both kept by the kernel and read here:
//   - a kretprobe whose return instances ran out (more calls blocked in
//     its functions at once than it has instances: README, known limits)
//     misses those calls' exits, and with them their records; a
//     kretprobe.multi link's info counts them (Linux 6.7 and later), and
//     so does kprobe_profile for our tracefs event (kprobe_event.go);
//   - a program not run because one of ours was already running on that
//     CPU (bpf_prog_info.recursion_misses: trampolines from 5.12, kprobes
//     and tracepoints from 6.7).
//
// Older kernels count neither, nor does a perf kprobe of its own per
// function: the figure is then 0, and README says so.
//
// One program's skipped runs lose nothing, and are counted apart
// (tcp_states_skipped): the TCP state change (net.h) reports only
// SYN_SENT, which a connect sets in process context, where no program of
// ours is running around it.  Its runs are skipped when it nests in itself
// (or in another kprobe or tracepoint program: they share one flag per
// CPU), which only a softirq's state change of another socket does: a
// loopback peer's SYN_RECV, an ESTABLISHED, a close.  20,000 loopback
// connects: 118 and 256 runs skipped in two runs, and all 20,000 connect
// records still carried TCP's own view of the handshake.
// Read from the main loop only (stats, metrics, detach), as the maps are.

// bpf(2) commands and the offsets of the fields read, from the kernel's
// UAPI (include/uapi/linux/bpf.h: struct bpf_prog_info and bpf_link_info,
// whose layouts only ever grow at the end).
const (
	bpfObjGetInfoByFD = 15 // BPF_OBJ_GET_INFO_BY_FD

	progInfoRecursionMisses = 208 // bpf_prog_info.recursion_misses
	progInfoSize            = 232

	linkInfoType         = 0  // bpf_link_info.type
	linkTypeKprobeMulti  = 8  // BPF_LINK_TYPE_KPROBE_MULTI
	linkInfoKmultiMissed = 32 // bpf_link_info.kprobe_multi.missed
	linkInfoSize         = 64
)

// objInfo fills buf with the info of the BPF object fd; returns how many
// bytes the kernel wrote (an older kernel writes fewer).
func objInfo(fd int, buf []byte) (int, error) {
	attr := struct {
		fd, infoLen uint32
		info        uint64
	}{fd: uint32(fd), infoLen: uint32(len(buf)), info: uint64(uintptr(unsafe.Pointer(&buf[0])))}
	_, _, errno := unix.Syscall(unix.SYS_BPF, bpfObjGetInfoByFD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return 0, errno
	}
	return int(attr.infoLen), nil
}

// field reads the u64 at off of an info the kernel wrote n bytes of: 0
// when the kernel predates the field.
func field(buf []byte, n, off int) uint64 {
	if n < off+8 {
		return 0
	}
	return binary.NativeEndian.Uint64(buf[off:])
}

// kmultiMissed is the count of returns a kretprobe.multi link fd missed
// (0 for any other link, or a kernel that does not say).
func kmultiMissed(fd int) uint64 {
	buf := make([]byte, linkInfoSize)
	n, err := objInfo(fd, buf)
	if err != nil || n < 4 || binary.NativeEndian.Uint32(buf[linkInfoType:]) != linkTypeKprobeMulti {
		return 0
	}
	return field(buf, n, linkInfoKmultiMissed)
}

// harmlessSkips names the programs whose skipped runs are no loss (above).
var harmlessSkips = map[string]bool{tcpStateProgram: true}

// tcpStateProgram is the TCP state change's program (bpf/net.h).
const tcpStateProgram = "tracepoint__sock__inet_sock_set_state"

// skippedRuns sums both kinds over the loaded programs and the links made
// here, plus what links already closed had counted (detach keeps it): lost
// records, and apart the runs of harmlessSkips' programs.  It runs with
// every stats record and metrics update: the loaded programs' descriptors
// are listed once.
func (l *loaded) skippedRuns() (total, harmless uint64) {
	total = l.missedAtDetach
	for _, fd := range l.fdLinks {
		total += kmultiMissed(fd)
	}
	if l.kprobeEvent != nil {
		total += l.kprobeEvent.missed()
	}
	if l.progFDs == nil && l.mod != nil {
		it := l.mod.Iterator()
		for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
			if fd := prog.FileDescriptor(); fd >= 0 { // else not loaded
				l.progFDs = append(l.progFDs, progFD{fd: fd, harmless: harmlessSkips[prog.Name()]})
			}
		}
	}
	buf := make([]byte, progInfoSize)
	for _, p := range l.progFDs {
		clear(buf)
		if n, err := objInfo(p.fd, buf); err == nil {
			if p.harmless {
				harmless += field(buf, n, progInfoRecursionMisses)
			} else {
				total += field(buf, n, progInfoRecursionMisses)
			}
		}
	}
	return total, harmless
}

// progFD is a loaded program's descriptor, and whether its skipped runs
// are harmless (harmlessSkips).
type progFD struct {
	fd       int
	harmless bool
}
