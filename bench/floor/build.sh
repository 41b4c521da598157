#!/bin/bash
# bench/floor/build.sh: the loops and the empty BPF objects of bench/floor.sh
# into $FLOOR_OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${FLOOR_OUT:?set FLOOR_OUT}"
gcc -O2 -o "$FLOOR_OUT/openloop" bench/floor/openloop.c
gcc -O2 -o "$FLOOR_OUT/ppidloop" bench/floor/ppidloop.c
gcc -O2 -o "$FLOOR_OUT/chmodloop" bench/floor/chmodloop.c
gcc -O2 -o "$FLOOR_OUT/execloop" bench/floor/execloop.c
gcc -O2 -o "$FLOOR_OUT/sendloop" bench/floor/sendloop.c
gcc -O2 -static -o "$FLOOR_OUT/nothing" bench/floor/nothing.c
CLANG=$(command -v clang-19 || command -v clang)
for o in empty empty-exit empty-tp empty-fexit empty-fexit-sfo; do
	"$CLANG" -g -O2 -target bpf -I bpf -c "bench/floor/$o.bpf.c" -o "$FLOOR_OUT/$o.bpf.o"
done
