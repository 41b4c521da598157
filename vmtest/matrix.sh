#!/bin/bash
# matrix.sh [KERNEL-PACKAGE...]
#
# Runs the end-to-end suite (tests/e2e) inside Debian's own kernels under
# QEMU, one boot per kernel, and prints a table. Default kernels: the newest
# Debian 5.10 (bullseye), 6.1 (bookworm) and 6.12 (bookworm-backports)
# generic amd64 images. The monitor, the test binary and the test helper are
# built once on the host; the guest sees the host's tree read-only with a
# throw-away overlay, so nothing is compiled under emulation.
#
# A kernel passes when every e2e test passes and its dmesg holds no WARNING,
# BUG, Call Trace or panic after the run (dmesg and console). Logs: $VMTEST_OUT
# (default /tmp/vmtest/out)/<release>.{log,dmesg,console}. Exit status: 0 if all pass.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
OUT=${VMTEST_OUT:-/tmp/vmtest/out}
KDIRS=${VMTEST_KDIRS:-/tmp/vmtest/k}
RUN_FILTER=${VMTEST_RUN:-.}
# The benign day is a judgement of the rules, which no kernel changes: it runs
# on the host and in the fresh container (make test, make precision), not
# under TCG emulation, where its go build alone takes over ten minutes.  The
# guests have no Docker engine (nor a network to install one): the real
# dockerd's tests run on the host and in the fresh container, and the
# kernel half of container identity is tested in every guest by
# TestContainerIdentityFromTheCgroupAtTheEvent (a cgroup made by hand).
# The fleet outputs (tests/e2e/outputs_test.go: Prometheus, rsyslog, the
# webhook, ECS, rotation) are user space only, the same on every kernel,
# and their storms take minutes under TCG: they run on the host and in the
# fresh container.
SKIP_FILTER=${VMTEST_SKIP:-^(TestBenignDayAndAnAttackBesideIt|TestContainerIdentityFromARealDockerd|TestContainerFilterKeepsOneContainer|TestContainerRulesOnARealDockerd|TestBenignContainerDay|TestPrometheusScrapesTheMonitorsCounts|TestSyslogToARealRsyslog|TestFleetRecipeEdgeToCentralRsyslog|TestWebhookSurvivesAFailingServer|TestLogRotationLosesNoLineUnderAnExecStorm|TestECSOutputIsTheElasticCommonSchema)$}
export VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-30m}
# one boot's wall time, host side (run-in-vm.sh's default is 900 s): the
# suite takes about 16 minutes on 5.10 under TCG since the attack suite
export VM_TIMEOUT=${VM_TIMEOUT:-1800}
cd "$ROOT"

"$ROOT/vmtest/deps.sh" || exit 1

newest() { apt-cache search --names-only "$1" | cut -d' ' -f1 | sort -V | tail -1; }
if [ $# -eq 0 ]; then
  set -- "$(newest '^linux-image-5\.10\.0-[0-9]+-amd64$')" \
         "$(newest '^linux-image-6\.1\.0-[0-9]+-amd64$')" \
         "$(newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64$')"
fi

echo "vmtest: building the monitor, the e2e test binary and its helper"
make -s build || exit 1
go test -c -o bin/e2e.test ./tests/e2e || exit 1
CGO_ENABLED=0 go build -o bin/e2e-helper ./tests/e2e/helper || exit 1
gcc -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -fno-stack-protector -O1 \
  -o bin/e2e-compat32 tests/e2e/compat32/compat32.c || exit 1
gcc -O1 -o bin/e2e-uring tests/e2e/uring/uring.c || exit 1
# the guests run a private copy: rebuilding bin/ on the host during a
# matrix run must not change what a guest is testing
STAGE=$(mktemp -d /tmp/vmtest-bin.XXXXXX)
chmod 755 "$STAGE"
cp bin/ebpf-log-monitor bin/e2e.test bin/e2e-helper bin/e2e-compat32 bin/e2e-uring "$STAGE"/
trap 'rm -rf "$STAGE"' EXIT
# One host thread for all vCPUs: with multi-threaded TCG, the kernel's live
# patching of its own text (static keys flipped when the monitor attaches
# a tracepoint) races other vCPUs' translated code -- an "Oops: int3" in
# syscall_trace_enter on 6.12, soft lockups there on 5.10 and 6.1, with or
# without our programs' code on the stack (vmtest/README.md, Results).
export VM_TCG_THREAD=${VM_TCG_THREAD:-single}

# "capability|hook|status" lines of a start record
hooks_of() {
  grep -m1 '"event":"start"' "$1" 2>/dev/null |
    grep -oE '\{"name":"[^"]*","capability":"[^"]*"(,"functions":\[[^]]*\])?,"status":"[^"]*"' |
    sed -E 's/\{"name":"([^"]*)","capability":"([^"]*)"(,"functions":\[[^]]*\])?,"status":"([^"]*)"/\2|\1|\4/'
}

mkdir -p "$OUT"
# The host's own kernel, for the table (its tests are make test's)
HOST_REL=$(uname -r)
"$STAGE/ebpf-log-monitor" -f json > "$OUT/host.start" 2>/dev/null & mp=$!
for i in $(seq 60); do grep -q '"event":"start"' "$OUT/host.start" && break; sleep 0.5; done
kill -TERM $mp; wait $mp
kernels=("host $HOST_REL")
starts=("$OUT/host.start")

GODIR=$(dirname "$(readlink -f "$(command -v go)")")  # a benign-workload test runs go
rows=()
fail=0
for pkg in "$@"; do
  [ -n "$pkg" ] || { echo "vmtest: a default kernel package was not found (apt-get update?)"; fail=1; continue; }
  rel=${pkg#linux-image-}
  [ -d "$KDIRS/$rel/boot" ] || "$ROOT/vmtest/get-kernel.sh" "$pkg" "$KDIRS" >/dev/null || {
    rows+=("| $rel | - | - | cannot download $pkg |"); fail=1; continue; }
  log=$OUT/$rel.log dmesg=$OUT/$rel.dmesg
  # the design each kernel must give (--syscall-hooks auto): function hooks
  # from 5.15 (bpf_task_pt_regs); the suite fails if the monitor fell back
  expect=functions
  case $rel in 5.*) [ "$(echo "$rel" | cut -d. -f2)" -ge 15 ] || expect=tracepoints ;; esac
  rm -f "$log" "$dmesg"
  echo "vmtest: $rel ..."
  t0=$(date +%s)
  VM_CONSOLE=$OUT/$rel.console "$ROOT/vmtest/run-in-vm.sh" -w "$OUT" "$rel" "
    cd tests/e2e || exit 126
    ip link set lo up || exit 126
    export PATH=\$PATH:$GODIR
    dmesg -C
    # the start record: which hook serves each capability on this kernel
    $STAGE/ebpf-log-monitor -f json > $OUT/$rel.start 2>/dev/null & mp=\$!
    for i in \$(seq 60); do grep -q '\"event\":\"start\"' $OUT/$rel.start && break; sleep 0.5; done
    kill -TERM \$mp; wait \$mp
    E2E_FLOOD_OPENS=${E2E_FLOOD_OPENS:-5000} E2E_RACE_OPENS=${E2E_RACE_OPENS:-500} E2E_REQUIRED=1 E2E_EXPECT_SYSCALL_HOOKS=$expect MONITOR_BIN=$STAGE/ebpf-log-monitor E2E_HELPER=$STAGE/e2e-helper E2E_COMPAT32=$STAGE/e2e-compat32 E2E_URING=$STAGE/e2e-uring \
      $STAGE/e2e.test -test.v -test.count=1 -test.timeout=${VMTEST_TIMEOUT:-30m} -test.run '$RUN_FILTER' -test.skip '$SKIP_FILTER' > $log 2>&1
    rc=\$?
    dmesg > $dmesg
    exit \$rc"
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  pass=$(grep -c '^--- PASS' "$log" 2>/dev/null)
  failed=$(grep '^--- FAIL' "$log" 2>/dev/null | awk '{print $3}' | tr '\n' ' ')
  warn=$(cat "$dmesg" "$OUT/$rel.console" 2>/dev/null | grep -cE 'WARNING:|BUG:|Call Trace|Kernel panic')
  note="ok"
  if [ "$rc" != 0 ] || [ -n "$failed" ] || [ "${warn:-0}" != 0 ]; then
    fail=1
    note="rc=$rc${failed:+ failed: $failed}"
    [ "${warn:-0}" != 0 ] && note+=" dmesg: $warn kernel warnings"
  fi
  rows+=("| $rel | ${pass:-0} | ${secs}s | $note |")
  kernels+=("$rel")
  starts+=("$OUT/$rel.start")
done

echo
echo "| kernel | e2e tests passed | wall time | result |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"

# capability x kernel: the hook in use (superseded and missing ones say so)
echo
header="| capability |"; sep="|---|"
for k in "${kernels[@]}"; do header+=" $k |"; sep+="---|"; done
echo "$header"; echo "$sep"
caps=$(for f in "${starts[@]}"; do hooks_of "$f"; done | cut -d'|' -f1 | awk '!seen[$0]++')
for c in $caps; do
  line="| $c |"
  for f in "${starts[@]}"; do
    cell=$(hooks_of "$f" | awk -F'|' -v c="$c" '$1==c {
      if ($3=="attached") out = out (out?"<br>":"") "`" $2 "`";
      else out = out (out?"<br>":"") $3 }
      END { print out }')
    line+=" ${cell:--} |"
  done
  echo "$line"
done
exit $fail
