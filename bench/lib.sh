# bench/lib.sh: sourced by the bench scripts.

# wait_started OUT ERR PID: wait (up to 60 s) for the monitor PID, writing
# JSON to OUT and errors to ERR, to print its start record, which says
# every hook is attached; exit with its errors if it dies or never starts.
# OUT must not hold an earlier start's records: remove it before the launch.
# The wait forks nothing: under emulation with one CPU a grep and a sleep
# every 50 ms took about 9 % of the CPU from the start being measured.
# It reads OUT with bash's read and naps in a read of $T/nap, a FIFO that
# no one writes (made by bench_scratch).
wait_started() {
	local i line nap
	exec {nap}<>"$T/nap" || exit 1
	for ((i = 0; i < 6000; i++)); do
		[ -e "$1" ] && while IFS= read -r line; do
			[[ $line == *'"event":"start"'* ]] && { exec {nap}<&-; return 0; }
		done <"$1"
		kill -0 "$3" 2>/dev/null || { cat "$2" >&2; exit 1; }
		# a nap: nothing writes the FIFO, so the read times out (status
		# above 128, which must not end a script run with set -e)
		read -r -t 0.01 -u $nap line || true
	done
	echo "$0: the monitor never started" >&2
	kill -TERM "$3" 2>/dev/null
	exit 1
}

# bench_scratch: a scratch directory $T, removed at exit, and bpffs mounted
# (the monitor pins there).
bench_scratch() {
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	mkfifo "$T/nap"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}
