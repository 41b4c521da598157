// The observer interface, and its two base cases: no monitor at all, and
// ebpf-log-monitor itself, whose counts are read from its stop record.

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

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
	label    string // "" for the monitor under test; "baseline" for -baseline
	interval string // -i; "0" (no stats records) when empty
	cmd      *exec.Cmd
	out      string
	pages    string
	extra    []string // more flags (the outputs bench)
	// outputsDropped: what the sinks dropped, from the stop record
	outputsDropped uint64
}

func (o *ours) name() string {
	if o.label != "" {
		return o.label
	}
	return "ebpf-log-monitor"
}

func (o *ours) start() error {
	o.out = filepath.Join(o.dir, "monitor"+o.label+".json")
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
	args = append(args, o.extra...)
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
	mon, _ := last["monitor"].(map[string]any)
	if ecs, ok := last["ebpf_log_monitor"].(map[string]any); ok && mon == nil {
		mon, _ = ecs["monitor"].(map[string]any) // -f ecs: the native record is there
	}
	if mon == nil {
		return 0, 0, fmt.Errorf("a stop record without its counts")
	}
	o.outputsDropped = 0
	if outs, ok := mon["lost"].(map[string]any)["outputs"].(map[string]any); ok {
		for _, v := range outs {
			o.outputsDropped += uint64(num(v))
		}
	}
	total := uint64(mon["events_total"].(float64)) + uint64(num(mon["alerts_folded"])) + uint64(num(mon["syscalls_repeated"]))
	lost := uint64(mon["lost"].(map[string]any)["total"].(float64))
	return total, lost, nil
}

func num(v any) float64 { f, _ := v.(float64); return f }
