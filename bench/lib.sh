# bench/lib.sh: sourced by the bench scripts.

# wait_started OUT ERR PID: wait (up to 60 s) for the monitor PID, writing
# JSON to OUT and errors to ERR, to print its start record, which says
# every hook is attached; exit with its errors if it dies or never starts.
wait_started() {
	local i
	for i in $(seq 1200); do
		grep -q '"event":"start"' "$1" && return 0
		kill -0 "$3" 2>/dev/null || { cat "$2" >&2; exit 1; }
		sleep 0.05
	done
	echo "$0: the monitor never started" >&2
	exit 1
}

# bench_scratch: a scratch directory $T, removed at exit, and bpffs mounted
# (the monitor pins there).
bench_scratch() {
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}
