#!/bin/bash
# bench/progcost.sh OBSERVER...: what each BPF program costs per open+close
# pair of an ordinary file, from the kernel's own statistics
# (kernel.bpf_stats_enabled: run time and run count per program).  Under
# QEMU with -icount shift=0 a nanosecond is one guest instruction, so the
# figures count instructions (plus the statistics' own clock reads, about
# 66 per run in Debian's 6.1: compare with an empty program's row).
# A guide to where the cost is, not the measure of it: a change that made
# the open's program read its fields with plain loads instead of helper
# calls showed 40 instructions more per run here and 289 fewer per pair in
# bench/floor.sh's loop (6.1); the loop is what the suite reports.
# OBSERVER: a monitor command line ("bin/ebpf-log-monitor --syscall-hooks
# functions") or an empty object of bench/floor (empty-fexit-sfo, ...).
# Programs that ran less than once per 200 pairs are left out.  N pairs
# (default 20,000); FLOOR_BIN as for bench/floor.sh.  Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-20000}
T=$(mktemp -d)
mkfifo "$T/nap"
# a monitor still running when the script ends is stopped (bench/floor.sh)
trap 'rm -rf "$T"; rm -rf /sys/fs/bpf/elm-progcost; sysctl -qw kernel.bpf_stats_enabled=0; [ -z "${pid:-}" ] || kill -TERM "$pid" 2>/dev/null' EXIT
if [ -n "${FLOOR_BIN:-}" ]; then
	cp "$FLOOR_BIN"/openloop "$FLOOR_BIN"/*.bpf.o "$T"/
else
	FLOOR_OUT=$T bench/floor/build.sh
fi
echo x >"$T/ordinary"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
sysctl -qw kernel.bpf_stats_enabled=1
# id name run_time_ns run_cnt of every program
snap() { bpftool prog show | awk '/^[0-9]+:/ {id=$1; nm=""; rt=0; rc=0
	for (i = 2; i < NF; i++) { if ($i == "name") nm = $(i+1); if ($i == "run_time_ns") rt = $(i+1); if ($i == "run_cnt") rc = $(i+1) }
	print id, nm, rt, rc}' | sort; }
for o in "$@"; do
	pid=
	case $o in
	empty*) bpftool prog loadall "$T/$o.bpf.o" /sys/fs/bpf/elm-progcost autoattach ;;
	*)
		read -ra cmd <<<"$o"
		rm -f "$T/mon.json" # wait_started must not find the last round's start
		"${cmd[@]}" -f json >"$T/mon.json" 2>"$T/mon.err" &
		pid=$!
		wait_started "$T/mon.json" "$T/mon.err" $pid
		;;
	esac
	"$T/openloop" "$T/ordinary" 2000 >/dev/null # warm the caches
	snap >"$T/a"
	t=$("$T/openloop" "$T/ordinary" "$N")
	snap >"$T/b"
	echo "$o: $((t / N)) ns per pair"
	join "$T/a" "$T/b" | awk -v n="$N" '{dt = $6 - $3; dc = $7 - $4
		if (dc >= n / 200) printf "  %-34s %5.2f runs/pair %7d ns/run %7d ns/pair\n", $2, dc / n, dt / dc, dt / n}'
	if [ -n "$pid" ]; then
		kill -TERM $pid
		wait $pid || true
		pid=
	else
		rm -rf /sys/fs/bpf/elm-progcost
	fi
done
t=$("$T/openloop" "$T/ordinary" "$N")
echo "none: $((t / N)) ns per pair"
