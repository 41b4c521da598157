#!/bin/sh
# bench/baseline.sh COMMIT: builds the monitor of an earlier commit in a
# git worktree under /tmp and prints the binary's path, for
# `make bench BENCH_BASELINE=COMMIT` (ratios against it in one run).
set -eu
commit=$1
dir=/tmp/ebpf-log-monitor-baseline-$(git rev-parse --short "$commit")
if [ ! -x "$dir/bin/ebpf-log-monitor" ]; then
	rm -rf "$dir"
	git worktree prune
	git worktree add --detach "$dir" "$commit" >&2
	make -C "$dir" build >&2
fi
echo "$dir/bin/ebpf-log-monitor"
