#!/bin/bash
# bench/floor.sh [MONITOR...]: what the hooks cost the syscalls they watch
# and those they do not, in C loops with no runtime in the way:
#   open   open+close pairs of an ordinary file (N pairs, default 500,000)
#   ppid   getppid calls, which nothing reports (P calls, default 4,000,000)
#   chmod  chmod calls on an unwatched file: a file change checked, not
#          reported (C calls, default 300,000)
# Observers: two empty raw_syscalls programs (the floor of the current
# design), one empty sys_exit program (the floor of a design with no entry
# programs), two empty per-syscall tracepoint programs on openat (the floor
# of a design that hooks only the watched calls through tracepoints), and
# each monitor binary given (default bin/ebpf-log-monitor).  Each observer
# is measured right after a run with no observer, ROUNDS times (default 7),
# alternating; the slowdown is the median over rounds of the ratio within a
# round (the machine is a shared VM whose speed drifts: never one run).
# For a monitor, also the time from its launch to its start record and from
# SIGTERM to its exit.  Run as root; needs clang, bpftool and gcc (make deps).
# Under QEMU: make bench-vm (bench/vm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
ROUNDS=${ROUNDS:-7}
N=${N:-500000}
P=${P:-4000000}
C=${C:-300000}
T=$(mktemp -d)
trap 'rm -rf "$T"; rm -rf /sys/fs/bpf/elm-floor' EXIT
# FLOOR_BIN: the loops and the empty objects built already (bench/vm.sh
# builds them on the host: a guest under emulation would take minutes)
if [ -n "${FLOOR_BIN:-}" ]; then
	cp "$FLOOR_BIN"/openloop "$FLOOR_BIN"/ppidloop "$FLOOR_BIN"/chmodloop "$FLOOR_BIN"/*.bpf.o "$T"/
else
	FLOOR_OUT=$T bench/floor/build.sh
fi
echo x >"$T/ordinary"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
now() { date +%s%N; }

# start OBSERVER / stop OBSERVER: attach and detach it
declare -A start_ms stop_ms
MON=
start() {
	case $1 in
	empty | empty-exit | empty-tp) bpftool prog loadall "$T/$1.bpf.o" /sys/fs/bpf/elm-floor autoattach ;;
	*)
		local t0 i
		t0=$(now)
		"$1" -f json >"$T/mon.json" 2>"$T/mon.err" &
		MON=$!
		# the start record says every hook is attached
		for i in $(seq 600); do
			grep -q '"event":"start"' "$T/mon.json" && break
			kill -0 $MON 2>/dev/null || { cat "$T/mon.err" >&2; exit 1; }
			sleep 0.05
		done
		grep -q '"event":"start"' "$T/mon.json" || { echo "floor: $1 never started" >&2; exit 1; }
		start_ms[$1]+=" $((($(now) - t0) / 1000000))"
		;;
	esac
}
stop() {
	case $1 in
	empty | empty-exit | empty-tp) rm -rf /sys/fs/bpf/elm-floor ;;
	*)
		local t0
		t0=$(now)
		kill -TERM $MON
		wait $MON || true
		stop_ms[$1]+=" $((($(now) - t0) / 1000000))"
		;;
	esac
}
loop() { # loop open|ppid: the loop's time in ns
	case $1 in
	open) "$T/openloop" "$T/ordinary" "$N" ;;
	ppid) "$T/ppidloop" "$P" ;;
	chmod) "$T/chmodloop" "$T/ordinary" "$C" ;;
	esac
}

observers=(empty empty-exit empty-tp "$@")
declare -A ratio added
for round in $(seq "$ROUNDS"); do
	for o in "${observers[@]}"; do
		no=$(loop open) np=$(loop ppid) nc=$(loop chmod)
		start "$o"
		yo=$(loop open) yp=$(loop ppid) yc=$(loop chmod)
		stop "$o"
		ratio[$o,open]+=" $(echo "scale=4; ($yo / $no - 1) * 100" | bc)"
		ratio[$o,ppid]+=" $(echo "scale=4; ($yp / $np - 1) * 100" | bc)"
		ratio[$o,chmod]+=" $(echo "scale=4; ($yc / $nc - 1) * 100" | bc)"
		added[$o,open]+=" $(((yo - no) / N))"
		added[$o,ppid]+=" $(((yp - np) / P))"
		added[$o,chmod]+=" $(((yc - nc) / C))"
		echo "round $round $o: open $((no / N)) -> $((yo / N)) ns/pair, getppid $((np / P)) -> $((yp / P)) ns/call, chmod $((nc / C)) -> $((yc / C)) ns/call"
	done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\n%-28s %12s %9s %12s %9s %12s %9s %9s %8s\n' observer "open+close" "added ns" "getppid" "added ns" "chmod" "added ns" "start ms" "stop ms"
for o in "${observers[@]}"; do
	s=- e=-
	[ -n "${start_ms[$o]:-}" ] && s=$(echo "${start_ms[$o]}" | median) && e=$(echo "${stop_ms[$o]}" | median)
	printf '%-28s %+11.1f%% %9d %+11.1f%% %9d %+11.1f%% %9d %9s %8s\n' "$o" \
		"$(echo "${ratio[$o,open]}" | median)" "$(echo "${added[$o,open]}" | median)" \
		"$(echo "${ratio[$o,ppid]}" | median)" "$(echo "${added[$o,ppid]}" | median)" \
		"$(echo "${ratio[$o,chmod]}" | median)" "$(echo "${added[$o,chmod]}" | median)" "$s" "$e"
done
