// Measuring one phase: a workload run under an observer, timed, with the
// observer's CPU, peak memory and (in a phase of its own) BPF run time; and
// the zero-loss rate search built from such phases.

package main

import (
	"fmt"
	"os"
	"time"
)

// sample is one measured phase.
type sample struct {
	Workload  string  `json:"workload"`
	Rate      int     `json:"rate"`
	Observer  string  `json:"observer"`
	Ops       uint64  `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	CPUSec    float64 `json:"observer_cpu_s"`
	BPFns     uint64  `json:"bpf_run_time_ns"` // in a phase of its own (measureBPF)
	BPFOps    uint64  `json:"bpf_phase_ops"`
	Events    uint64  `json:"events"`
	Lost      uint64  `json:"lost"`
	PeakRSSkB uint64  `json:"peak_rss_kb"`
	// against the run with no observer in the same round: the VM's speed
	// drifts by tens of percent over minutes, so rounds are compared
	// within themselves and the median is reported
	SlowdownPct float64 `json:"slowdown_pct"`
}

// measure runs one phase of a workload under an observer.
func measure(o observer, w workload, rate int, d time.Duration) (sample, error) {
	s := sample{Workload: w.name, Rate: rate, Observer: o.name()}
	if err := o.start(); err != nil {
		return s, err
	}
	cpu0 := cpuOf(o.pids())
	t0 := time.Now()
	s.Ops = w.run(rate, d)
	el := time.Since(t0)
	s.OpsPerSec = float64(s.Ops) / el.Seconds()
	s.CPUSec = cpuOf(o.pids()) - cpu0
	s.PeakRSSkB = peakRSS(o.pids())
	ev, lost, err := o.stop()
	s.Events, s.Lost = ev, lost
	return s, err
}

// measureBPF runs the workload under a fresh start of the observer with
// kernel.bpf_stats_enabled=1 and returns its programs' run time and the
// operations done meanwhile.  Its own phase: the statistics cost two
// clock reads per program run (about +0.3 us per open+close pair here),
// which would otherwise count as the observer's slowdown.
func measureBPF(o observer, w workload, rate int, d time.Duration) (ns, ops uint64, err error) {
	if err := o.start(); err != nil {
		return 0, 0, err
	}
	setBPFStats(true)
	b0 := bpfTime(o.pids())
	ops = w.run(rate, d)
	ns = bpfTime(o.pids()) - b0
	setBPFStats(false)
	_, _, err = o.stop()
	return ns, ops, err
}

func setBPFStats(on bool) {
	v := []byte("0")
	if on {
		v = []byte("1")
	}
	os.WriteFile("/proc/sys/kernel/bpf_stats_enabled", v, 0o644)
}

// usesBPF: the observers whose kernel side is BPF programs.
func usesBPF(o observer) bool {
	switch o.(type) {
	case *ours, *libbpfTools:
		return true
	}
	return false
}

// lossStep is one step of the zero-loss rate search.
type lossStep struct {
	Rate      int     `json:"target_rate"`
	OpsPerSec float64 `json:"achieved_per_sec"`
	Events    uint64  `json:"events"`
	Lost      uint64  `json:"lost"`
	CPUSec    float64 `json:"monitor_cpu_s"`
}

// zeroLoss doubles the rate of watched-file opens (one event each) until
// the monitor loses one, and returns the steps; the last with none lost is
// the highest rate sustained.
func zeroLoss(o *ours, d time.Duration) []lossStep {
	var steps []lossStep
	for rate := 12500; rate <= 400000; rate *= 2 {
		s, err := measure(o, workload{"open-watched", openStorm("/etc/shadow")}, rate, d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: loss search:", err)
			break
		}
		steps = append(steps, lossStep{Rate: rate, OpsPerSec: s.OpsPerSec, Events: s.Events, Lost: s.Lost, CPUSec: s.CPUSec})
		fmt.Fprintf(os.Stderr, "  loss search   rate=%-6d achieved %8.0f/s events=%d lost=%d cpu=%.2fs\n",
			rate, s.OpsPerSec, s.Events, s.Lost, s.CPUSec)
		if s.Lost > 0 || s.OpsPerSec < 0.9*float64(rate) {
			break
		}
	}
	return steps
}
