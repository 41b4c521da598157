// Command bench measures ebpf-log-monitor against no monitor and against
// the peers a user would otherwise run (auditd, BCC's libbpf-tools), on the
// same workloads in the same run, alternating, and prints ratios.  It is
// `make bench`; it needs root.  See bench/README.md for the method.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	monitorBin = flag.String("monitor", "bin/ebpf-log-monitor", "the monitor binary")
	phase      = flag.Duration("phase", 5*time.Second, "length of one measured phase")
	rounds     = flag.Int("rounds", 3, "alternating rounds per workload and observer (slowdown: median of per-round ratios)")
	lossPhase  = flag.Duration("loss-phase", 10*time.Second, "length of one step of the zero-loss rate search")
	outPath    = flag.String("out", "bench/results.json", "JSON results")
	peers      = flag.Bool("peers", true, "also measure auditd and libbpf-tools")
	only       = flag.String("only", "", "measure only the workloads whose name contains this")
	noLoss     = flag.Bool("no-loss-search", false, "skip the zero-loss rate search")
	churnFor   = flag.Duration("churn", 0, "instead: run the mixed load this long under the monitor and sample its RSS (memory growth)")
	churnRate  = flag.Int("churn-rate", 600, "ops/s of the churn run")
	churnOut   = flag.String("churn-out", "bench/churn.json", "JSON results of the churn run")
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
	if *churnFor > 0 {
		churn(*monitorBin, dir, *churnRate, *churnFor, 10*time.Second, ordinary)
		return
	}

	observers := []observer{none{}, &ours{bin: *monitorBin, dir: dir}}
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
		{workload{"open-watched", openStorm("/etc/shadow")}, 20000},
		{workload{"connect", connectStorm}, 2000},
		{workload{"mixed", mixed(ordinary)}, 3000},
	}
	var all []sample
	for _, j := range jobs {
		if *only != "" && !strings.Contains(j.w.name, *only) {
			continue
		}
		for r := 0; r < *rounds; r++ {
			base := 0.0 // this round's ops/s with no observer
			for _, o := range observers {
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

func rateName(r int) string {
	if r == 0 {
		return "max"
	}
	return strconv.Itoa(r)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
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

// cpuOf sums user+system CPU seconds of processes (threads included).
func cpuOf(pids []int) float64 {
	var ticks uint64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 12 {
			u, _ := strconv.ParseUint(f[11], 10, 64)
			k, _ := strconv.ParseUint(f[12], 10, 64)
			ticks += u + k
		}
	}
	return float64(ticks) / 100 // USER_HZ
}

func peakRSS(pids []int) uint64 {
	var max uint64
	for _, p := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
				if kb > max {
					max = kb
				}
			}
		}
		f.Close()
	}
	return max
}

// bpfTime sums run_time_ns of the BPF programs the processes hold.
func bpfTime(pids []int) uint64 {
	var total uint64
	seen := map[string]bool{}
	for _, p := range pids {
		dir := fmt.Sprintf("/proc/%d/fdinfo", p)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			var id, rt string
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "prog_id:"); ok {
					id = strings.TrimSpace(v)
				}
				if v, ok := strings.CutPrefix(l, "run_time_ns:"); ok {
					rt = strings.TrimSpace(v)
				}
			}
			if id == "" || rt == "" || seen[id] {
				continue
			}
			seen[id] = true
			n, _ := strconv.ParseUint(rt, 10, 64)
			total += n
		}
	}
	return total
}

// observer is a monitor (or none) watching a workload.
type observer interface {
	name() string
	start() error
	pids() []int
	stop() (events, lost uint64, err error)
}

type none struct{}

func (none) name() string                  { return "none" }
func (none) start() error                  { return nil }
func (none) pids() []int                   { return nil }
func (none) stop() (uint64, uint64, error) { return 0, 0, nil }

// ours runs ebpf-log-monitor with JSON output to a file.
type ours struct {
	bin, dir string
	interval string // -i; "0" (no stats records) when empty
	cmd      *exec.Cmd
	out      string
	pages    string
}

func (o *ours) name() string { return "ebpf-log-monitor" }

func (o *ours) start() error {
	o.out = filepath.Join(o.dir, "monitor.json")
	f, err := os.Create(o.out)
	if err != nil {
		return err
	}
	iv := o.interval
	if iv == "" {
		iv = "0"
	}
	args := []string{"-f", "json", "-i", iv}
	if o.pages != "" {
		args = append(args, "--perf-pages", o.pages)
	}
	o.cmd = exec.Command(o.bin, args...)
	o.cmd.Stdout = f
	if err := o.cmd.Start(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(o.out)
		if strings.Contains(string(b), `"event":"start"`) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("monitor did not start")
}

func (o *ours) pids() []int { return []int{o.cmd.Process.Pid} }

func (o *ours) stop() (uint64, uint64, error) {
	o.cmd.Process.Signal(syscall.SIGTERM)
	o.cmd.Wait()
	f, err := os.Open(o.out)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var last map[string]any
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"event":"stop"`) {
			json.Unmarshal(sc.Bytes(), &last)
		}
	}
	if last == nil {
		return 0, 0, fmt.Errorf("no stop record")
	}
	mon := last["monitor"].(map[string]any)
	total := uint64(mon["events_total"].(float64)) + uint64(num(mon["alerts_folded"])) + uint64(num(mon["syscalls_repeated"]))
	lost := uint64(mon["lost"].(map[string]any)["total"].(float64))
	return total, lost, nil
}

func num(v any) float64 { f, _ := v.(float64); return f }

// auditd with rules equivalent to ours for these workloads: execve,
// reads and writes of the watched file, connect.
type auditd struct {
	cmd *exec.Cmd
}

func newAuditd() (*auditd, error) {
	for _, b := range []string{"auditd", "auditctl"} {
		if _, err := exec.LookPath(b); err != nil {
			return nil, fmt.Errorf("%s not installed (apt-get install auditd)", b)
		}
	}
	return &auditd{}, nil
}

func (a *auditd) name() string { return "auditd" }

func (a *auditd) start() error {
	exec.Command("pkill", "-x", "auditd").Run()
	time.Sleep(200 * time.Millisecond)
	a.cmd = exec.Command("auditd", "-f")
	if err := a.cmd.Start(); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	for _, r := range [][]string{
		{"-D"}, {"-e", "1"},
		{"-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-S", "execveat", "-k", "exec"},
		{"-a", "always,exit", "-F", "arch=b64", "-S", "connect", "-k", "net"},
		{"-w", "/etc/shadow", "-p", "rwa", "-k", "cred"},
	} {
		if out, err := exec.Command("auditctl", r...).CombinedOutput(); err != nil {
			return fmt.Errorf("auditctl %v: %v: %s", r, err, out)
		}
	}
	return nil
}

func (a *auditd) pids() []int {
	p := []int{a.cmd.Process.Pid}
	if k := pidOfComm("kauditd"); k > 0 {
		p = append(p, k) // the kernel thread that feeds it
	}
	return p
}

func (a *auditd) stop() (uint64, uint64, error) {
	st, _ := exec.Command("auditctl", "-s").Output()
	exec.Command("auditctl", "-D").Run()
	exec.Command("auditctl", "-e", "0").Run()
	a.cmd.Process.Signal(syscall.SIGTERM)
	a.cmd.Wait()
	var lost uint64
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "lost "); ok {
			lost, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, lost, nil
}

func pidOfComm(comm string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		if strings.TrimSpace(string(b)) == comm {
			return pid
		}
	}
	return 0
}

// libbpfTools runs execsnoop and opensnoop (and tcpconnect where kprobes
// exist) from Debian's libbpf-tools, output to /dev/null.
// libbpfAlive: the libbpf-tools that started at least once (tcpconnect
// needs kprobes); a workload whose tool never ran gets no CPU ratio.
var libbpfAlive = map[string]bool{}

// libbpfToolFor names the libbpf-tools program that observes a workload.
func libbpfToolFor(workload string) []string {
	switch {
	case strings.HasPrefix(workload, "exec"):
		return []string{"execsnoop"}
	case strings.HasPrefix(workload, "open"):
		return []string{"opensnoop"}
	case workload == "connect":
		return []string{"tcpconnect"}
	}
	return []string{"execsnoop", "opensnoop", "tcpconnect"}
}

type libbpfTools struct {
	tools []string
	cmds  []*exec.Cmd
}

func newLibbpfTools() (*libbpfTools, error) {
	var tools []string
	for _, t := range []string{"execsnoop", "opensnoop", "tcpconnect"} {
		if p, err := exec.LookPath(t); err == nil {
			tools = append(tools, p)
		}
	}
	if len(tools) == 0 {
		return nil, fmt.Errorf("not installed (apt-get install libbpf-tools)")
	}
	return &libbpfTools{tools: tools}, nil
}

func (l *libbpfTools) name() string { return "libbpf-tools" }

func (l *libbpfTools) start() error {
	l.cmds = nil
	for _, t := range l.tools {
		c := exec.Command(t)
		if err := c.Start(); err != nil {
			continue
		}
		l.cmds = append(l.cmds, c)
	}
	time.Sleep(1500 * time.Millisecond)
	var alive []*exec.Cmd
	for _, c := range l.cmds {
		if c.Process.Signal(syscall.Signal(0)) == nil && c.ProcessState == nil {
			alive = append(alive, c)
		}
	}
	l.cmds = alive
	for _, c := range alive {
		libbpfAlive[filepath.Base(c.Path)] = true
	}
	if len(alive) == 0 {
		return fmt.Errorf("no tool could start")
	}
	return nil
}

func (l *libbpfTools) pids() []int {
	var p []int
	for _, c := range l.cmds {
		p = append(p, c.Process.Pid)
	}
	return p
}

func (l *libbpfTools) stop() (uint64, uint64, error) {
	for _, c := range l.cmds {
		c.Process.Signal(syscall.SIGINT)
	}
	for _, c := range l.cmds {
		c.Wait()
	}
	return 0, 0, nil
}

// zeroLoss doubles the rate of watched-file opens (one event each) until
// the monitor loses one, and returns the highest rate sustained with none.
type lossStep struct {
	Rate      int     `json:"target_rate"`
	OpsPerSec float64 `json:"achieved_per_sec"`
	Events    uint64  `json:"events"`
	Lost      uint64  `json:"lost"`
	CPUSec    float64 `json:"monitor_cpu_s"`
}

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
		if k.obs != "none" && events > 0 {
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
	fmt.Println("\nCPU per event, ebpf-log-monitor vs peers (same workload, same run; <1 is better):")
	sort.SliceStable(order, func(i, j int) bool { return order[i].w < order[j].w })
	for _, k := range order {
		if k.obs != "ebpf-log-monitor" {
			continue
		}
		a := agg[k]
		for _, peer := range []string{"auditd", "libbpf-tools"} {
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
