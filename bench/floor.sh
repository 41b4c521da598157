#!/bin/bash
# bench/floor.sh [MONITOR...]: 1,000,000 open+close pairs of an ordinary
# file, alternating: no observer, two empty raw_syscalls programs (the
# floor of any design on these hooks), and each monitor binary given
# (default bin/ebpf-log-monitor). Prints seconds per run; run as root on a
# quiet machine. Needs clang, bpftool and a mounted bpffs (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
T=$(mktemp -d)
trap 'rm -rf "$T"; rm -rf /sys/fs/bpf/elm-floor' EXIT
gcc -O2 -o "$T/openloop" bench/floor/openloop.c
CLANG=$(command -v clang-19 || command -v clang)
"$CLANG" -g -O2 -target bpf -I bpf -c bench/floor/empty.bpf.c -o "$T/empty.bpf.o"
echo x > "$T/ordinary"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
loop() { local s e; s=$(date +%s%N); "$T/openloop" "$T/ordinary" 1000000; e=$(date +%s%N); echo "scale=3; ($e-$s)/1000000000" | bc; }
for round in 1 2 3; do
  echo "none      $(loop)"
  bpftool prog loadall "$T/empty.bpf.o" /sys/fs/bpf/elm-floor autoattach
  echo "empty     $(loop)"
  rm -rf /sys/fs/bpf/elm-floor
  for m in "$@"; do
    "$m" -f json >/dev/null 2>&1 & p=$!
    sleep 2
    echo "$(basename "$m")  $(loop)"
    kill -TERM $p; wait $p || true
  done
done
