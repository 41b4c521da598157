// The report: per-round samples folded into one row per workload, rate and
// observer, printed as a table with CPU ratios against the peers, and
// written as JSON to --out.

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// report prints the comparison and writes the JSON results.
func report(all []sample, zl []lossStep) {
	type key struct {
		w    string
		rate int
		obs  string
	}
	agg := map[key]*sample{}
	slowdowns := map[key][]float64{}
	var order []key
	for _, s := range all {
		k := key{s.Workload, s.Rate, s.Observer}
		a := agg[k]
		if a == nil {
			a = &sample{Workload: s.Workload, Rate: s.Rate, Observer: s.Observer}
			agg[k] = a
			order = append(order, k)
		}
		slowdowns[k] = append(slowdowns[k], s.SlowdownPct)
		a.Ops += s.Ops
		a.OpsPerSec += s.OpsPerSec / float64(*rounds)
		a.CPUSec += s.CPUSec
		a.BPFns += s.BPFns
		a.BPFOps += s.BPFOps
		a.Events += s.Events
		a.Lost += s.Lost
		if s.PeakRSSkB > a.PeakRSSkB {
			a.PeakRSSkB = s.PeakRSSkB
		}
	}
	measured := float64(*rounds) * phase.Seconds()
	fmt.Printf("\n%-14s %-6s %-17s %10s %9s %9s %11s %11s %9s %8s\n", "workload", "rate", "observer",
		"ops/s", "slowdown", "cpu%core", "cpu/event", "bpf/op", "rss MiB", "lost")
	var rows []map[string]any
	for _, k := range order {
		a := agg[k]
		slow := median(slowdowns[k])
		events := a.Events
		if events == 0 { // peers do not report a count: per workload operation
			events = a.Ops
		}
		perEv, bpfEv := "-", "-"
		if k.obs != "none" && k.obs != floorName && events > 0 {
			perEv = fmt.Sprintf("%.1fus", a.CPUSec/float64(events)*1e6)
			if a.BPFOps > 0 {
				bpfEv = fmt.Sprintf("%.0fns", float64(a.BPFns)/float64(a.BPFOps))
			}
		}
		fmt.Printf("%-14s %-6s %-17s %10.0f %8.1f%% %8.2f%% %11s %11s %9.1f %8d\n", k.w, rateName(k.rate), k.obs,
			a.OpsPerSec, slow, a.CPUSec/measured*100, perEv, bpfEv, float64(a.PeakRSSkB)/1024, a.Lost)
		rows = append(rows, map[string]any{"workload": k.w, "rate": k.rate, "observer": k.obs,
			"ops_per_sec": a.OpsPerSec, "slowdown_pct": slow, "cpu_pct_of_core": a.CPUSec / measured * 100,
			"cpu_s": a.CPUSec, "events": events, "bpf_run_time_ns": a.BPFns, "bpf_phase_ops": a.BPFOps, "peak_rss_kb": a.PeakRSSkB, "lost": a.Lost})
	}
	// ratios ours vs each peer on CPU per event, same workload
	fmt.Println("\nCPU per workload operation, ebpf-log-monitor vs the baseline build and the peers (same workload, same run; <1 is better):")
	sort.SliceStable(order, func(i, j int) bool { return order[i].w < order[j].w })
	for _, k := range order {
		if k.obs != "ebpf-log-monitor" {
			continue
		}
		a := agg[k]
		for _, peer := range []string{"baseline", "auditd", "libbpf-tools"} {
			p := agg[key{k.w, k.rate, peer}]
			if p == nil || p.Ops == 0 || a.Ops == 0 || p.CPUSec == 0 {
				continue
			}
			if peer == "libbpf-tools" {
				missing := ""
				for _, t := range libbpfToolFor(k.w) {
					if !libbpfAlive[t] {
						missing += " " + t
					}
				}
				if missing != "" {
					fmt.Printf("  %-14s %-6s vs %-13s none:%s did not run\n", k.w, rateName(k.rate), peer, missing)
					continue
				}
			}
			ours := a.CPUSec / float64(a.Ops)
			theirs := p.CPUSec / float64(p.Ops)
			fmt.Printf("  %-14s %-6s vs %-13s %.2fx\n", k.w, rateName(k.rate), peer, ours/theirs)
		}
	}
	best := 0
	for _, s := range zl {
		if s.Lost == 0 && s.OpsPerSec >= 0.9*float64(s.Rate) {
			best = s.Rate
		}
	}
	fmt.Printf("\nhighest event rate with zero loss (%v steps): %d events/s\n", *lossPhase, best)
	b, _ := json.MarshalIndent(map[string]any{"phase_s": phase.Seconds(), "rounds": *rounds,
		"results": rows, "zero_loss_search": zl, "zero_loss_rate": best, "time": time.Now().UTC()}, "", "  ")
	os.MkdirAll(filepath.Dir(*outPath), 0o755)
	if err := os.WriteFile(*outPath, b, 0o644); err != nil {
		fail(err)
	}
	fmt.Println("results written to", *outPath)
}

// median of xs (the mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := append([]float64(nil), xs...)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func rateName(r int) string {
	if r == 0 {
		return "max"
	}
	return strconv.Itoa(r)
}
