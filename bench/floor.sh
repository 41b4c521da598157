#!/bin/bash
# bench/floor.sh [MONITOR...]: what the hooks cost the syscalls they watch
# and those they do not, in C loops with no runtime in the way:
#   open   open+close pairs of an ordinary file (N pairs, default 500,000)
#   ppid   getppid calls, which nothing reports (P calls, default 4,000,000)
#   chmod  chmod calls on an unwatched file: a file change checked, not
#          reported (C calls, default 300,000)
#   exec   fork+exec+wait of a static program that exits at once (E runs,
#          default 2,000)
#   send   UDP sendto calls of one byte to the loop's own socket on
#          127.0.0.1: a network call hooked and reported (S calls, default
#          300,000)
# Observers: two empty raw_syscalls programs (the floor of the tracepoint
# design), one empty sys_exit program (the floor of a design with no entry
# programs), two empty per-syscall tracepoint programs on openat (the floor
# of a design that hooks only the watched calls through tracepoints), one
# empty fexit program on __x64_sys_openat (the floor of the function-hook
# design's hook; skipped where the kernel refuses it, as on this project's
# CI VM), the same with an empty fentry on security_file_open (the floor of
# that design as the monitor runs it: every open passes both),
# and each monitor given (default bin/ebpf-log-monitor): a path, with
# arguments if any ("bin/ebpf-log-monitor --syscall-hooks tracepoints").  Each observer
# is measured right after a run with no observer, ROUNDS times (default 7),
# alternating; the slowdown is the median over rounds of the ratio within a
# round (the machine is a shared VM whose speed drifts: never one run).
# For a monitor, also the time from its launch to its start record and from
# SIGTERM to its exit.  Run as root; needs clang, bpftool and gcc (make deps).
# Under QEMU: make bench-vm (bench/vm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
ROUNDS=${ROUNDS:-7}
N=${N:-500000}
P=${P:-4000000}
C=${C:-300000}
E=${E:-2000}
S=${S:-300000}
T=$(mktemp -d)
mkfifo "$T/nap"
# a monitor still running when the script ends (an error, ^C) is stopped:
# one left behind would load its programs beside every later run's
trap 'rm -rf "$T"; rm -rf /sys/fs/bpf/elm-floor; [ -z "${MON:-}" ] || kill -TERM "$MON" 2>/dev/null' EXIT
# FLOOR_BIN: the loops and the empty objects built already (bench/vm.sh
# builds them on the host: a guest under emulation would take minutes)
if [ -n "${FLOOR_BIN:-}" ]; then
	cp "$FLOOR_BIN"/openloop "$FLOOR_BIN"/ppidloop "$FLOOR_BIN"/chmodloop "$FLOOR_BIN"/execloop \
		"$FLOOR_BIN"/sendloop "$FLOOR_BIN"/nothing "$FLOOR_BIN"/*.bpf.o "$T"/
else
	FLOOR_OUT=$T bench/floor/build.sh
fi
echo x >"$T/ordinary"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
now() { date +%s%N; }

# start OBSERVER / stop OBSERVER: attach and detach it
declare -A start_ms stop_ms skip
MON=
start() {
	case $1 in
	empty*) bpftool prog loadall "$T/$1.bpf.o" /sys/fs/bpf/elm-floor autoattach 2>"$T/floor.err" ;;
	*)
		local t0 cmd
		read -ra cmd <<<"$1"
		t0=$(now)
		rm -f "$T/mon.json" # wait_started must not find the last round's start
		"${cmd[@]}" -f json >"$T/mon.json" 2>"$T/mon.err" &
		MON=$!
		wait_started "$T/mon.json" "$T/mon.err" $MON
		start_ms[$1]+=" $((($(now) - t0) / 1000000))"
		;;
	esac
}
stop() {
	case $1 in
	empty*) rm -rf /sys/fs/bpf/elm-floor ;;
	*)
		local t0
		t0=$(now)
		kill -TERM $MON
		wait $MON || true
		MON=
		stop_ms[$1]+=" $((($(now) - t0) / 1000000))"
		;;
	esac
}
loop() { # loop open|ppid: the loop's time in ns
	case $1 in
	open) "$T/openloop" "$T/ordinary" "$N" ;;
	ppid) "$T/ppidloop" "$P" ;;
	chmod) "$T/chmodloop" "$T/ordinary" "$C" ;;
	exec) "$T/execloop" "$T/nothing" "$E" ;;
	send) "$T/sendloop" "$S" ;;
	esac
}

# FLOORS and LOOPS narrow a run to some floors and loops (a quick check of
# one change: FLOORS=empty-exit LOOPS=open)
read -ra floors <<<"${FLOORS-empty empty-exit empty-tp empty-fexit empty-fexit-sfo}"
observers=("${floors[@]}" "$@")
# a floor the kernel refuses (fexit on a host without trampolines) is left out
for o in "${observers[@]}"; do
	case $o in
	empty*) if start "$o"; then stop "$o"; else echo "floor: $o does not load here: $(tail -1 "$T/floor.err")"; skip[$o]=1; fi ;;
	esac
done
declare -A ratio added
read -ra loops <<<"${LOOPS:-open ppid chmod exec send}"
declare -A per=([open]=$N [ppid]=$P [chmod]=$C [exec]=$E [send]=$S)
for round in $(seq "$ROUNDS"); do
	for o in "${observers[@]}"; do
		[ -z "${skip[$o]:-}" ] || continue
		declare -A no=() yo=()
		for l in "${loops[@]}"; do no[$l]=$(loop "$l"); done
		start "$o"
		for l in "${loops[@]}"; do yo[$l]=$(loop "$l"); done
		stop "$o"
		line="round $round $o:"
		for l in "${loops[@]}"; do
			ratio[$o,$l]+=" $(echo "scale=4; (${yo[$l]} / ${no[$l]} - 1) * 100" | bc)"
			added[$o,$l]+=" $(((yo[$l] - no[$l]) / per[$l]))"
			line+=" $l $((no[$l] / per[$l])) -> $((yo[$l] / per[$l])) ns;"
		done
		echo "$line"
	done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\n%-50s %12s %9s %12s %9s %12s %9s %12s %9s %12s %9s %9s %8s\n' observer "open+close" "added ns" "getppid" "added ns" \
	"chmod" "added ns" "exec" "added ns" "sendto" "added ns" "start ms" "stop ms"
for o in "${observers[@]}"; do
	[ -z "${skip[$o]:-}" ] || continue
	s=- e=-
	[ -n "${start_ms[$o]:-}" ] && s=$(echo "${start_ms[$o]}" | median) && e=$(echo "${stop_ms[$o]}" | median)
	row=$(printf '%-50s' "${o##*/}")
	for l in open ppid chmod exec send; do
		[ -n "${ratio[$o,$l]:-}" ] || { row+=$(printf ' %12s %9s' - -); continue; }
		row+=$(printf ' %+11.1f%% %9d' "$(echo "${ratio[$o,$l]}" | median)" "$(echo "${added[$o,$l]}" | median)")
	done
	printf '%s %9s %8s\n' "$row" "$s" "$e"
done
