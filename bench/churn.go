package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// churnSample is the monitor's resident memory at one point of the churn run.
type churnSample struct {
	At     float64 `json:"at_s"`
	RSSkB  uint64  `json:"rss_kb"`
	Ops    uint64  `json:"ops_so_far"`
	Procs  float64 `json:"procs_tracked"`
	Events float64 `json:"events_total"`
}

// vmRSS is a process's current resident set (VmRSS, not the peak).
func vmRSS(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
			return kb
		}
	}
	return 0
}

// statsTail follows the monitor's output and keeps its newest stats
// record; each call reads only what was written since the last one (the
// file grows by hundreds of MiB over a churn run).
type statsTail struct {
	path          string
	off           int64
	procs, events float64
}

func (s *statsTail) update() (procs, events float64) {
	f, err := os.Open(s.path)
	if err != nil {
		return s.procs, s.events
	}
	defer f.Close()
	if _, err := f.Seek(s.off, 0); err != nil {
		return s.procs, s.events
	}
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			break // EOF, or a line still being written: read it next time
		}
		s.off += int64(len(line))
		if !strings.Contains(string(line), `"event":"stats"`) {
			continue
		}
		var last map[string]any
		if json.Unmarshal(line, &last) != nil {
			continue
		}
		if m, ok := last["monitor"].(map[string]any); ok {
			pt, _ := m["process_table"].(map[string]any)
			s.procs, s.events = num(pt["size"]), num(m["events_total"])
		}
	}
	return s.procs, s.events
}

// churn runs the mixed workload (execs: new pids all the time, opens,
// connects) for d under the monitor and samples its RSS every step: the
// claim is no growth, i.e. the last samples are no higher than those
// after the first minute (caches full, steady state).
func churn(bin, dir string, rate int, d, step time.Duration, ordinary string) {
	o := &ours{bin: bin, dir: dir, interval: "10"}
	if err := o.start(); err != nil {
		fail(err)
	}
	pid := o.cmd.Process.Pid
	var samples []churnSample
	var ops uint64
	tail := &statsTail{path: o.out}
	t0 := time.Now()
	for time.Since(t0) < d {
		ops += mixed(ordinary)(rate, step)
		procs, events := tail.update()
		s := churnSample{At: time.Since(t0).Seconds(), RSSkB: vmRSS(pid), Ops: ops, Procs: procs, Events: events}
		samples = append(samples, s)
		fmt.Fprintf(os.Stderr, "  churn t=%4.0fs rss=%6.1f MiB ops=%d procs=%.0f events=%.0f\n",
			s.At, float64(s.RSSkB)/1024, s.Ops, s.Procs, s.Events)
	}
	total, lost, err := o.stop()
	if err != nil {
		fail(err)
	}
	// steady state: the largest RSS in the minute after the first one;
	// end: the largest in the last minute
	var steady, end uint64
	for _, s := range samples {
		if s.At > 60 && s.At <= 120 && s.RSSkB > steady {
			steady = s.RSSkB
		}
		if s.At > d.Seconds()-60 && s.RSSkB > end {
			end = s.RSSkB
		}
	}
	growth := 0.0
	if steady > 0 {
		growth = float64(end) / float64(steady)
	}
	fmt.Printf("\nchurn: %s of mixed load at %d ops/s (%d ops, %d events, %d lost)\n", d, rate, ops, total, lost)
	fmt.Printf("RSS after the first minute (max of 60-120 s): %.1f MiB; in the last minute: %.1f MiB; ratio %.3f\n",
		float64(steady)/1024, float64(end)/1024, growth)
	out := map[string]any{"time": time.Now().UTC().Format(time.RFC3339), "duration_s": d.Seconds(), "rate": rate,
		"ops": ops, "events": total, "lost": lost, "steady_rss_kb": steady, "end_rss_kb": end,
		"end_over_steady": growth, "samples": samples}
	b, _ := json.MarshalIndent(out, "", " ")
	if err := os.WriteFile(*churnOut, b, 0o644); err != nil {
		fail(err)
	}
	fmt.Println("results written to", *churnOut)
}
