#!/bin/bash
# bench/vm.sh [KERNEL-PACKAGE...] (make bench-vm): bench/floor.sh inside
# Debian's kernels under QEMU, where function hooks load: what the monitor
# in each of its designs (--syscall-hooks tracepoints and functions) and
# the empty floors of both cost an open+close pair, a getppid call, a chmod,
# an exec and a UDP sendto there.
# Default kernels: the newest Debian 6.1 and 6.12 (vmtest's).  Each kernel
# boots twice:
#   tcg     2 vCPUs, one host thread: times, noisy to a few points
#   icount  1 vCPU, -icount shift=0,sleep=off: guest time is guest
#           instructions (1 ns each), deterministic: the steadiest figure
#           under emulation; its "ms" are millions of instructions
# Ratios only, medians of alternating rounds (bench/floor.sh).  Results in
# $BENCH_VM_OUT (default /tmp/bench-vm)/<release>.<mode>.txt, and the two
# tables printed at the end.  ROUNDS (5), N (100,000 pairs), P (1,000,000
# calls), C (50,000 chmods), E (300 execs), S (50,000 sendtos),
# BENCH_VM_MODES ("tcg icount").
# Run as root.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
OUT=${BENCH_VM_OUT:-/tmp/bench-vm}
KDIRS=${VMTEST_KDIRS:-/tmp/vmtest/k}
MODES=${BENCH_VM_MODES:-tcg icount}
cd "$ROOT"
"$ROOT/vmtest/deps.sh" || exit 1
newest() { apt-cache search --names-only "$1" | cut -d' ' -f1 | sort -V | tail -1; }
[ $# -gt 0 ] || set -- "$(newest '^linux-image-6\.1\.0-[0-9]+-amd64$')" \
	"$(newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64$')"

make -s build || exit 1
# a private copy: rebuilding bin/ during the run must not change the guests'
STAGE=$(mktemp -d /tmp/bench-vm-bin.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"
cp bin/ebpf-log-monitor "$STAGE"/
FLOOR_OUT=$STAGE bench/floor/build.sh || exit 1
mkdir -p "$OUT"
# one host thread for all vCPUs (vmtest/matrix.sh says why)
export VM_TCG_THREAD=single VM_MEM=2G VM_TIMEOUT=${VM_TIMEOUT:-3600}
fail=0
for pkg in "$@"; do
	[ -n "$pkg" ] || { echo "bench-vm: a default kernel package was not found (apt-get update?)"; fail=1; continue; }
	rel=${pkg#linux-image-}
	[ -d "$KDIRS/$rel/boot" ] || "$ROOT/vmtest/get-kernel.sh" "$pkg" "$KDIRS" >/dev/null || { fail=1; continue; }
	for mode in $MODES; do
		case $mode in
		tcg) smp=2 extra= ;;
		icount) smp=1 extra="-icount shift=0,sleep=off" ;; # 6.1 boots under icount only with 1 vCPU
		*) echo "bench-vm: unknown mode $mode" >&2; exit 2 ;;
		esac
		res=$OUT/$rel.$mode.txt
		echo "bench-vm: $rel ($mode) ..."
		VM_SMP=$smp VM_QEMU_EXTRA=$extra VM_CONSOLE=$OUT/$rel.$mode.console \
			"$ROOT/vmtest/run-in-vm.sh" -w "$OUT" "$rel" "
			FLOOR_BIN=$STAGE ROUNDS=${ROUNDS:-5} N=${N:-100000} P=${P:-1000000} C=${C:-50000} E=${E:-300} S=${S:-50000} \
				bench/floor.sh '$STAGE/ebpf-log-monitor --syscall-hooks tracepoints' \
				'$STAGE/ebpf-log-monitor --syscall-hooks functions' > $res 2>&1" || { fail=1; echo "bench-vm: $rel ($mode) failed: $(tail -3 "$res")"; }
	done
done
for f in "$OUT"/*.txt; do
	[ -e "$f" ] || continue
	echo
	echo "## $(basename "$f" .txt)"
	sed -n '/^observer/,$p' "$f"
done
exit $fail
