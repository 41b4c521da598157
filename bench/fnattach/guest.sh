#!/bin/bash
# guest.sh DIR: in a guest, load, attach and detach DIR/fmany.bpf.o twice
# with DIR/floader, plainly and with the links pinned then unpinned.
D=$1
awk '{print $1}' /sys/kernel/tracing/available_filter_functions >/dev/shm/avail
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
uname -r
for PIN in "" 1; do
	export PIN
	[ -n "$PIN" ] || unset PIN
	rm -f /dev/shm/ready
	t0=$(date +%s%N)
	"$D/floader" "$D/fmany.bpf.o" /dev/shm/avail /dev/shm/ready &
	P=$!
	while [ ! -e /dev/shm/ready ]; do kill -0 $P 2>/dev/null || break; sleep 0.05; done
	echo "up in $((($(date +%s%N) - t0) / 1000000)) ms (pin: ${PIN:-no})"
	t0=$(date +%s%N)
	kill -TERM $P
	wait $P
	echo "stopped in $((($(date +%s%N) - t0) / 1000000)) ms"
done
