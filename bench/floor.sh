#!/bin/bash
# bench/floor.sh [MONITOR...]: open+close pairs of an ordinary file in a C
# loop, alternating: no observer, two empty raw_syscalls programs (the
# floor of any design on these hooks), one empty sys_exit program (the
# floor of a design without entry programs), and each monitor binary given
# (default bin/ebpf-log-monitor).  ROUNDS rounds (default 7) of N pairs
# (default 500,000); prints each run, then per observer the median time
# and the median over rounds of its slowdown against the run with no
# observer in the same round.  The machine is a shared VM whose speed
# drifts: ratios within a round, medians over rounds, never one run.  Run as root; needs
# clang, bpftool and a mounted bpffs (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
ROUNDS=${ROUNDS:-7}
N=${N:-500000}
T=$(mktemp -d)
trap 'rm -rf "$T"; rm -rf /sys/fs/bpf/elm-floor' EXIT
gcc -O2 -o "$T/openloop" bench/floor/openloop.c
CLANG=$(command -v clang-19 || command -v clang)
"$CLANG" -g -O2 -target bpf -I bpf -c bench/floor/empty.bpf.c -o "$T/empty.bpf.o"
"$CLANG" -g -O2 -target bpf -I bpf -c bench/floor/empty-exit.bpf.c -o "$T/empty-exit.bpf.o"
echo x > "$T/ordinary"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
loop() { local s e; s=$(date +%s%N); "$T/openloop" "$T/ordinary" "$N"; e=$(date +%s%N); echo $(((e - s) / 1000)); }
declare -A runs ratios
names=(none empty empty-exit)
for m in "$@"; do names+=("$(basename "$m")"); done
for round in $(seq "$ROUNDS"); do
  t=$(loop); none=$t; runs[none]+=" $t"; echo "round $round none  $t us"
  bpftool prog loadall "$T/empty.bpf.o" /sys/fs/bpf/elm-floor autoattach
  t=$(loop); runs[empty]+=" $t"; ratios[empty]+=" $(echo "scale=4; ($t / $none - 1) * 100" | bc)"
  echo "round $round empty $t us"
  rm -rf /sys/fs/bpf/elm-floor
  bpftool prog loadall "$T/empty-exit.bpf.o" /sys/fs/bpf/elm-floor autoattach
  t=$(loop); runs[empty-exit]+=" $t"; ratios[empty-exit]+=" $(echo "scale=4; ($t / $none - 1) * 100" | bc)"
  echo "round $round empty-exit $t us"
  rm -rf /sys/fs/bpf/elm-floor
  for m in "$@"; do
    n=$(basename "$m")
    "$m" -f json >/dev/null 2>&1 & p=$!
    sleep 2
    t=$(loop); runs[$n]+=" $t"; ratios[$n]+=" $(echo "scale=4; ($t / $none - 1) * 100" | bc)"
    echo "round $round $n $t us"
    kill -TERM $p; wait $p || true
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-24s %12s %10s %16s\n' observer "median us" "ns/pair" "slowdown (median)"
for n in "${names[@]}"; do
  med=$(echo "${runs[$n]}" | median)
  r=0
  [ "$n" = none ] || r=$(echo "${ratios[$n]}" | median)
  printf '%-24s %12d %10d %+15.1f%%\n' "$n" "$med" $((med * 1000 / N)) "$r"
done
