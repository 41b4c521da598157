// Command bench measures ebpf-log-monitor against no monitor and against
// the peers a user would otherwise run (auditd, BCC's libbpf-tools), on the
// same workloads in the same run, alternating, and prints ratios.  It is
// `make bench`; it needs root.  See bench/README.md for the method.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

var (
	monitorBin = flag.String("monitor", "bin/ebpf-log-monitor", "the monitor binary")
	baseline   = flag.String("baseline", "", "also measure this monitor `BINARY` (an earlier build), alternating, for ratios in one run")
	phase      = flag.Duration("phase", 5*time.Second, "length of one measured phase")
	rounds     = flag.Int("rounds", 3, "alternating rounds per workload and observer (slowdown: median of per-round ratios)")
	lossPhase  = flag.Duration("loss-phase", 10*time.Second, "length of one step of the zero-loss rate search")
	outPath    = flag.String("out", "bench/results.json", "JSON results")
	peers      = flag.Bool("peers", true, "also measure auditd and libbpf-tools")
	floor      = flag.Bool("floor", true, "on the flat-out workloads, also measure one empty sys_exit program: the floor of a tracepoint monitor")
	only       = flag.String("only", "", "measure only the workloads whose name contains this")
	noLoss     = flag.Bool("no-loss-search", false, "skip the zero-loss rate search")
	churnFor   = flag.Duration("churn", 0, "instead: run the mixed load this long under the monitor and sample its RSS (memory growth)")
	churnRate  = flag.Int("churn-rate", 600, "ops/s of the churn run")
	churnOut   = flag.String("churn-out", "bench/churn.json", "JSON results of the churn run")
	ctStorm    = flag.Int("containers", 0, "instead: the containers bench, a start storm of this many (twice as many known at the end)")
	ctOut      = flag.String("containers-out", "bench/containers.json", "JSON results of the containers bench")
	outputsAt  = flag.Int("outputs", 0, "instead: the outputs bench, each output's cost at this many events/s")
	outputsOut = flag.String("outputs-out", "bench/outputs.json", "JSON results of the outputs bench")
)

func main() {
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: run as root (it loads BPF programs and starts auditd)")
		os.Exit(2)
	}
	defer setBPFStats(false)

	dir, err := os.MkdirTemp("", "ebpf-log-monitor-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	ordinary := ordinaryFile(dir)
	if *ctStorm > 0 {
		benchContainers(*monitorBin, dir, *ctStorm, *ctOut)
		return
	}
	if *outputsAt > 0 {
		benchOutputs(*monitorBin, dir, *outputsAt, *rounds, *phase, *outputsOut)
		return
	}
	if *churnFor > 0 {
		churn(*monitorBin, dir, *churnRate, *churnFor, 10*time.Second, ordinary)
		return
	}

	observers := []observer{none{}, &ours{bin: *monitorBin, dir: dir}}
	if *baseline != "" {
		observers = append(observers, &ours{bin: *baseline, dir: dir, label: "baseline"})
	}
	var flat []observer // on the flat-out workloads only
	if *floor {
		if f, err := newFloor(dir); err == nil {
			flat = append(flat, f)
		} else {
			fmt.Fprintln(os.Stderr, "bench: the empty-program floor not measured:", err)
		}
	}
	if *peers {
		if a, err := newAuditd(); err == nil {
			observers = append(observers, a)
		} else {
			fmt.Fprintln(os.Stderr, "bench: auditd not measured:", err)
		}
		if l, err := newLibbpfTools(); err == nil {
			observers = append(observers, l)
		} else {
			fmt.Fprintln(os.Stderr, "bench: libbpf-tools not measured:", err)
		}
	}

	type job struct {
		w    workload
		rate int
	}
	jobs := []job{
		{workload{"exec", execStorm}, 100},
		{workload{"exec", execStorm}, 400},
		{workload{"exec", execStorm}, 1600},
		{workload{"exec", execStorm}, 0},
		{workload{"open-ordinary", openStorm(ordinary)}, 0},
		{workload{"create", createStorm(dir)}, 0},
		{workload{"pwrite", pwriteStorm(ordinary)}, 0},
		{workload{"open-watched", openStorm("/etc/shadow")}, 20000},
		{workload{"connect", connectStorm}, 2000},
		{workload{"udp-send", udpStorm}, 0},
		{workload{"mixed", mixed(ordinary)}, 3000},
	}
	var all []sample
	for _, j := range jobs {
		if *only != "" && !strings.Contains(j.w.name, *only) {
			continue
		}
		for r := 0; r < *rounds; r++ {
			base := 0.0 // this round's ops/s with no observer
			obs := observers
			if j.rate == 0 {
				obs = append(obs[:len(obs):len(obs)], flat...)
			}
			for _, o := range obs {
				s, err := measure(o, j.w, j.rate, *phase)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: %s %s: %v\n", j.w.name, o.name(), err)
					continue
				}
				if o.name() == "none" {
					base = s.OpsPerSec
				} else if base > 0 {
					s.SlowdownPct = (1 - s.OpsPerSec/base) * 100
				}
				if r == 0 && usesBPF(o) {
					if s.BPFns, s.BPFOps, err = measureBPF(o, j.w, j.rate, *phase/2); err != nil {
						fmt.Fprintf(os.Stderr, "bench: %s %s: BPF run time: %v\n", j.w.name, o.name(), err)
					}
				}
				all = append(all, s)
				fmt.Fprintf(os.Stderr, "  %-14s rate=%-6s %-13s %9.0f ops/s slowdown=%5.1f%% cpu=%.2fs events=%d lost=%d rss=%.1fMiB\n",
					s.Workload, rateName(s.Rate), s.Observer, s.OpsPerSec, s.SlowdownPct, s.CPUSec, s.Events, s.Lost,
					float64(s.PeakRSSkB)/1024)
			}
		}
	}
	var zl []lossStep
	if !*noLoss {
		zl = zeroLoss(&ours{bin: *monitorBin, dir: dir}, *lossPhase)
	}
	report(all, zl)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
