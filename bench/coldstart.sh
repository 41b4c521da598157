#!/bin/bash
# bench/coldstart.sh [MONITOR ARGS...]: what each file the monitor keeps in
# /run/ebpf-log-monitor saves a start (kprobe-addresses: kernels before
# 6.1).  With every kept file removed, one start (the first of a boot when
# run first after booting); then two starts with all kept; then each file
# removed in turn before one start.  Times
# from bench/startstop.sh.  In a guest, under icount (guest time):
#   VM_QEMU_EXTRA='-icount shift=0,sleep=off' VM_TCG_THREAD=single VM_SMP=1 \
#     VM_MEM=2G vmtest/run-in-vm.sh -w /tmp/ss 6.12.117+deb12-amd64 \
#     "bench/coldstart.sh /tmp/ss/ebpf-log-monitor --syscall-hooks functions"
# (copy the binary out of the 9p root first: its reads would be timed.)
# WARM=1 first looks up, without the monitor, what it looks up at start (the
# accounts' homes and the names monitor/watch/watch.go watches in them): in
# the vmtest rig each first lookup of a boot is a 9p message to the host,
# which a machine with its own disk does not pay.
# Removes the kept files: run as root, on a machine whose monitor is stopped.
set -uo pipefail
[ $# -gt 0 ] || set -- bin/ebpf-log-monitor
run=/run/ebpf-log-monitor
ss=$(dirname "$0")/startstop.sh
if [ "${WARM:-0}" = 1 ]; then
	watched=$(grep -oE '"/?\.[^"/]+' "$(dirname "$0")/../monitor/watch/watch.go" | tr -d '"/' | sort -u)
	cat /etc/passwd /etc/group >/dev/null
	for home in $(cut -d: -f6 /etc/passwd | sort -u); do
		for name in $watched; do stat "$home/$name" >/dev/null 2>&1; done
	done
	echo "== looked up first: $(echo $watched | wc -w) names in each home"
fi
# Before 6.1 a start keeps its kprobes' addresses once it has started
# (README): one stopped at its start record may not have.  keep_kprobes
# runs one start that waits for them, untimed.
keep_kprobes() {
	case "$(uname -r)" in [0-5].* | 6.0.*) ;; *) return ;; esac
	[ -e /sys/bus/event_source/devices/kprobe ] || return
	local t i m nap
	t=$(mktemp -d)
	mkfifo "$t/nap"
	exec {nap}<>"$t/nap"
	"$@" -f json >"$t/out.json" 2>"$t/err" &
	m=$!
	# up to 10 s, napping in bash (a sleep(1) takes 0.1 s to start in a guest)
	for ((i = 0; i < 200; i++)); do
		[ -e "$run/kprobe-addresses" ] && break
		kill -0 $m 2>/dev/null || break
		read -r -t 0.05 -u $nap || true
	done
	exec {nap}<&-
	kill -TERM $m 2>/dev/null
	wait $m
	[ -e "$run/kprobe-addresses" ] || { echo "no kprobe addresses kept:" >&2; cat "$t/err" >&2; }
	rm -rf "$t"
}
files="traceable kernel-btf rules kprobe-addresses"
for f in $files; do rm -f "$run/$f"; done
echo "== every file made"; ROUNDS=1 "$ss" "$@"
keep_kprobes "$@"
echo "== every file kept"; ROUNDS=2 "$ss" "$@"
for f in $files; do
	rm -f "$run/$f"
	echo "== $f made"; ROUNDS=1 "$ss" "$@"
	keep_kprobes "$@"
done
