#!/bin/sh
# bench/rules.sh [COMMIT]: the cost of judging one record, this tree's rules
# against those of COMMIT (default 7116da2: the rules in Go, before they
# became CEL), measured alternately in one run: 5 rounds of each Go
# benchmark in monitor/rules/evaluate_bench_test.go, which compiles against
# both trees.  Prints ns per record (median of rounds) and the ratio.
set -eu
commit=${1:-7116da2}
old=/tmp/ebpf-log-monitor-rules-$(git rev-parse --short "$commit")
if [ ! -d "$old" ]; then
	git worktree prune
	git worktree add --detach "$old" "$commit" >/dev/null 2>&1
fi
cp monitor/rules/evaluate_bench_test.go "$old/monitor/rules/"
run() { # dir bench -> ns/record
	(cd "$1" && BENCH_OLD_RULES=${3:-} go test -run '^$' -bench "^$2\$" -benchtime 1s ./monitor/rules/ 2>/dev/null) |
		awk '/ns\/record/ { for (i = 1; i < NF; i++) if ($(i+1) == "ns/record") print $i }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2 }'; }
: >/tmp/rules-old; : >/tmp/rules-new; : >/tmp/rules-100; : >/tmp/rules-oldw; : >/tmp/rules-neww
for i in 1 2 3 4 5; do
	run "$old" BenchmarkEvaluateDefault 1 >>/tmp/rules-old
	run . BenchmarkEvaluateDefault >>/tmp/rules-new
	run . BenchmarkEvaluate100UserRules >>/tmp/rules-100
	run "$old" BenchmarkEvaluateWatchedOpen 1 >>/tmp/rules-oldw
	run . BenchmarkEvaluateWatchedOpen >>/tmp/rules-neww
done
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
o=$(median </tmp/rules-old); n=$(median </tmp/rules-new); h=$(median </tmp/rules-100)
ow=$(median </tmp/rules-oldw); nw=$(median </tmp/rules-neww)
echo "ns per record (median of 5 rounds, same run):"
echo "  a day's mix, rules in Go at $commit:        $o"
echo "  a day's mix, rules in CEL:                   $n ($(ratio "$n" "$o")x)"
echo "  a day's mix, CEL, default + 100 user rules:  $h ($(ratio "$h" "$o")x)"
echo "  a watched open, rules in Go at $commit:     $ow"
echo "  a watched open, rules in CEL:                $nw ($(ratio "$nw" "$ow")x)"
