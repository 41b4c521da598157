#!/bin/bash
# bench/fnattach/run.sh [KERNEL-RELEASE]: how long loading, attaching and
# detaching an fentry and an fexit program on every function the monitor
# would hook takes, in a Debian kernel under QEMU (default 6.12 of vmtest;
# get it with vmtest/get-kernel.sh first).  Run as root after make deps.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${1:-$(ls /tmp/vmtest/k | grep '^6\.12' | sort -V | tail -1)}
W=$(mktemp -d /tmp/fnattach.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
python3 bench/fnattach/gen.py "$W"
CLANG=$(command -v clang-19 || command -v clang)
"$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -I bpf -c "$W/fmany.bpf.c" -o "$W/fmany.bpf.o"
gcc -O2 -o "$W/floader" bench/fnattach/floader.c -Wl,-Bstatic -lbpf -Wl,-Bdynamic -lelf -lz -lzstd
cp bench/fnattach/guest.sh "$W/"
VM_TCG_THREAD=single VM_SMP=2 VM_MEM=2G VM_TIMEOUT=900 vmtest/run-in-vm.sh "$K" "$W/guest.sh $W"
