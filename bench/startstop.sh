#!/bin/bash
# bench/startstop.sh [MONITOR ARGS...]: the monitor's start (launch to its
# start record, by its own time) and stop (SIGTERM to exit) times and the stop record's
# detach_ms, ROUNDS times (default 3).  In a guest, under TCG:
#   VM_TCG_THREAD=single VM_SMP=2 VM_MEM=2G vmtest/run-in-vm.sh -w /tmp/ss \
#     6.1.0-57-amd64 "bench/startstop.sh bin/ebpf-log-monitor --syscall-hooks functions"
# Run as root.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
bench_scratch
# the clock is bash's own ($EPOCHREALTIME): under emulation a date(1)
# takes about 0.1 s to start (guest time), and the wait for the start
# record polls; the start ends at the start record's own time
us() { local t=${1/./}; echo $((10#$t)); }
for r in $(seq "${ROUNDS:-3}"); do
	t0=$EPOCHREALTIME
	rm -f "$T/out.json" # wait_started must not find the last round's start
	"$@" -f json >"$T/out.json" 2>"$T/err" &
	m=$!
	wait_started "$T/out.json" "$T/err" $m
	t1=$EPOCHREALTIME
	kill -TERM $m
	wait $m
	t2=$EPOCHREALTIME
	ts=$(grep -m1 -o '"time":"[^"]*","severity":"[a-z]*","event":"start"' "$T/out.json" | cut -d'"' -f4)
	started=$(($(date -d "$ts" +%s%N) / 1000))
	echo "round $r: start $(((started - $(us $t0)) / 1000)) ms, stop $((($(us $t2) - $(us $t1)) / 1000)) ms," \
		"$(grep -o '"detach_ms":[0-9.]*' "$T/out.json")" "$(grep -o '"syscall_hooks":"[a-z]*"' "$T/out.json" | head -1)"
done
