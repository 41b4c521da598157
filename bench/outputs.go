// The outputs bench (make bench-outputs): what each output costs the
// monitor, at 100,000 events/s and at a fifth of that.  On a small machine
// the full rate saturates the monitor whatever the output (its CPU per
// event is then flat, and the cost shows as loss), so the CPU per event
// is read at the lower rate.  One event per operation: opens of a file
// under --watch-path (a record each, no rule fires, so nothing is folded
// away before the sinks).  Every configuration writes JSON to stdout (a
// file) as the base; each row adds one output, measured in the same round
// as the base, alternating, and is reported as the monitor's CPU per event
// and what it lost or dropped.  The receivers run in this process on
// loopback and read everything they are sent; their CPU is not counted.

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// outputRow is one configuration's result in one round.
type outputRow struct {
	Output     string  `json:"output"`
	Round      int     `json:"round"`
	Rate       int     `json:"rate"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	Events     uint64  `json:"events"`
	Lost       uint64  `json:"lost"`
	Dropped    uint64  `json:"sink_dropped"`
	Received   uint64  `json:"sink_received"`
	CPUSec     float64 `json:"monitor_cpu_s"`
	UsPerEvent float64 `json:"monitor_cpu_us_per_event"`
	PeakRSSkB  uint64  `json:"peak_rss_kb"`
}

// sinks are the loopback receivers: a syslog TCP reader, a UDP one, a
// webhook, each counting what it got.
type sinks struct {
	tcp, udp, http string
	got            atomic.Uint64 // messages or lines, all receivers
}

func startSinks() (*sinks, error) {
	s := &sinks{}
	tl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.tcp = tl.Addr().String()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() {
				// octet-counted frames: count them, discard the bytes
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					n, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, _ := strconv.Atoi(strings.TrimSpace(n))
					if _, err := br.Discard(size); err != nil {
						return
					}
					s.got.Add(1)
				}
			}()
		}
	}()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if u, ok := pc.(*net.UDPConn); ok {
		u.SetReadBuffer(8 << 20)
	}
	s.udp = pc.LocalAddr().String()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			s.got.Add(1)
		}
	}()
	hl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.http = "http://" + hl.Addr().String() + "/ingest"
	go http.Serve(hl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.got.Add(uint64(strings.Count(string(b), "\n")))
	}))
	return s, nil
}

// scrape reads /metrics once a second while the phase runs, as Prometheus would.
func scrape(addr string, stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

func benchOutputs(bin, dir string, rate, rounds int, phase time.Duration, out string) {
	watched := filepath.Join(dir, "watched")
	if err := os.WriteFile(watched, []byte("x"), 0o644); err != nil {
		fail(err)
	}
	s, err := startSinks()
	if err != nil {
		fail(err)
	}
	metricsAddr := func() string {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			fail(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	configs := []struct {
		name string
		args func() []string
	}{
		{"json to stdout (base)", func() []string { return nil }},
		{"+ --log-file", func() []string { return []string{"-l", filepath.Join(dir, "log.json")} }},
		{"-f ecs", func() []string { return []string{"-f", "ecs"} }},
		{"+ --metrics-addr, scraped every 1 s", func() []string { return []string{"--metrics-addr", metricsAddr()} }},
		{"+ --syslog tcp://", func() []string { return []string{"--syslog", "tcp://" + s.tcp} }},
		{"+ --syslog udp://", func() []string { return []string{"--syslog", "udp://" + s.udp} }},
		{"+ --webhook", func() []string { return []string{"--webhook", s.http} }},
	}
	w := workload{"open-watched", openStorm(watched)}
	var rows []outputRow
	for _, rate := range []int{rate / 5, rate} {
		for r := 0; r < rounds; r++ {
			for _, c := range configs {
				extra := append([]string{"--watch-path", watched, "--events", "all"}, c.args()...)
				o := &ours{bin: bin, dir: dir, extra: extra}
				os.Remove(filepath.Join(dir, "log.json"))
				got0 := s.got.Load()
				stop := make(chan struct{})
				for i, a := range extra {
					if a == "--metrics-addr" {
						go scrape(extra[i+1], stop)
					}
				}
				smp, err := measure(o, w, rate, phase)
				close(stop)
				if err != nil {
					fmt.Fprintf(os.Stderr, "bench: outputs %s: %v\n", c.name, err)
					continue
				}
				// a sink's last records arrive while the monitor stops
				time.Sleep(500 * time.Millisecond)
				row := outputRow{Output: c.name, Round: r, Rate: rate, OpsPerSec: smp.OpsPerSec, Events: smp.Events,
					Lost: smp.Lost, Dropped: o.outputsDropped, CPUSec: smp.CPUSec, PeakRSSkB: smp.PeakRSSkB,
					Received: s.got.Load() - got0}
				if smp.Events > 0 {
					row.UsPerEvent = smp.CPUSec / float64(smp.Events) * 1e6
				}
				rows = append(rows, row)
				fmt.Fprintf(os.Stderr, "  %-38s round %d %8.0f ops/s events=%d lost=%d dropped=%d received=%d cpu=%.2fs %.2f us/event rss=%.1fMiB\n",
					c.name, r, row.OpsPerSec, row.Events, row.Lost, row.Dropped, row.Received, row.CPUSec, row.UsPerEvent,
					float64(row.PeakRSSkB)/1024)
			}
		}
	}
	// per rate, the median of each configuration's cost per event over the
	// base's in the same round, and the share of events lost or dropped
	for _, rate := range []int{rate / 5, rate} {
		base := map[int]float64{}
		for _, r := range rows {
			if r.Output == configs[0].name && r.Rate == rate {
				base[r.Round] = r.UsPerEvent
			}
		}
		fmt.Fprintf(os.Stderr, "\nat %d events/s\n%-38s %10s %14s %14s\n", rate, "output", "us/event", "over the base", "lost+dropped")
		for _, c := range configs {
			var us, ratio []float64
			var lost, events uint64
			for _, r := range rows {
				if r.Output == c.name && r.Rate == rate {
					us = append(us, r.UsPerEvent)
					if base[r.Round] > 0 {
						ratio = append(ratio, r.UsPerEvent/base[r.Round])
					}
					lost += r.Lost + r.Dropped
					events += r.Events
				}
			}
			share := 0.0
			if events > 0 {
				share = float64(lost) / float64(events) * 100
			}
			fmt.Fprintf(os.Stderr, "%-38s %10.2f %13.2fx %13.2f%%\n", c.name, median(us), median(ratio), share)
		}
	}
	b, _ := json.MarshalIndent(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "rate": rate,
		"phase_s": phase.Seconds(), "rows": rows}, "", "  ")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		fail(err)
	}
}
