#!/bin/bash
# bench/verifier.sh [MONITOR ARGS...]: what the kernel's verifier spent on
# each BPF program the monitor loads, from the statistics --debug asks the
# kernel for (BPF_LOG_STATS): its time in microseconds, the instructions
# it walked and the states it kept, largest first, then the total.  Under
# emulation the verifier is most of the start (bench/README).  In a guest,
# with instructions counted (one per nanosecond of guest time):
#   VM_QEMU_EXTRA='-icount shift=0,sleep=off' VM_TCG_THREAD=single VM_SMP=1 \
#     vmtest/run-in-vm.sh -w /tmp/vf 6.1.0-57-amd64 \
#     "bench/verifier.sh bin/ebpf-log-monitor --syscall-hooks functions"
# Run as root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
bench_scratch
"$@" --debug -f json >"$T/out.json" 2>"$T/err" &
m=$!
wait_started "$T/out.json" "$T/err" $m
kill -TERM $m
wait $m
grep -o '"syscall_hooks":"[a-z]*"' "$T/out.json" | head -1
# libbpf prints each program's log after "prog 'NAME': -- BEGIN PROG LOAD
# LOG --"; the statistics are its lines "verification time N usec" and
# "processed N insns (limit ...) ... total_states N peak_states N ..."
awk '
	/-- BEGIN PROG LOAD LOG --/ { match($0, /prog .[^:]*:/); prog = substr($0, RSTART + 6, RLENGTH - 8) }
	/^verification time / { usec[prog] = $3 }
	/^processed [0-9]+ insns/ { insns[prog] = $2; for (i = 1; i < NF; i++) if ($i == "total_states") states[prog] = $(i + 1) }
	END {
		for (p in usec) { printf "%-45s %9d us %8d insns %6d states\n", p, usec[p], insns[p], states[p]; t += usec[p]; n += insns[p] }
		printf "%-45s %9d us %8d insns\n", "total", t, n
	}' "$T/err" | sort -k2 -n -r
