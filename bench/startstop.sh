#!/bin/bash
# bench/startstop.sh [MONITOR ARGS...]: the monitor's start (launch to its
# start record) and stop (SIGTERM to exit) times and the stop record's
# detach_ms, ROUNDS times (default 3).  In a guest, under TCG:
#   VM_TCG_THREAD=single VM_SMP=2 VM_MEM=2G vmtest/run-in-vm.sh -w /tmp/ss \
#     6.1.0-57-amd64 "bench/startstop.sh bin/ebpf-log-monitor --syscall-hooks functions"
# Run as root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
bench_scratch
for r in $(seq "${ROUNDS:-3}"); do
	t0=$(date +%s%N)
	"$@" -f json >"$T/out.json" 2>"$T/err" &
	m=$!
	wait_started "$T/out.json" "$T/err" $m
	t1=$(date +%s%N)
	kill -TERM $m
	wait $m
	t2=$(date +%s%N)
	echo "round $r: start $(((t1 - t0) / 1000000)) ms, stop $(((t2 - t1) / 1000000)) ms," \
		"$(grep -o '"detach_ms":[0-9.]*' "$T/out.json")" "$(grep -o '"syscall_hooks":"[a-z]*"' "$T/out.json" | head -1)"
done
