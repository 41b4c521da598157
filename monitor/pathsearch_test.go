package monitor

import (
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func TestAPathSearchIsOneExec(t *testing.T) {
	outq := make(chan *record.Record, 64)
	p := newTestProcessor(outq)
	now := time.Now()
	exec := func(pid uint32, filename string, errno string) *record.Record {
		r := &record.Record{Event: "exec", Message: "exec of " + filename, Error: errno,
			Process: &record.Process{PID: pid, Exe: []byte("/usr/bin/env")}, Exec: &record.Exec{Filename: []byte(filename)}}
		if errno != "" {
			r.Exec.Ret = -2
		} else {
			r.Process.Exe = []byte(filename)
		}
		return r
	}
	drain := func() (out []*record.Record) {
		for len(outq) > 0 {
			out = append(out, <-outq)
		}
		return out
	}

	// env bash: three directories miss, the fourth holds it
	for _, dir := range []string{"/root/.pyenv/shims", "/usr/local/sbin", "/usr/local/bin"} {
		p.emitAt(exec(10, dir+"/bash", "ENOENT"), now)
	}
	if got := drain(); len(got) != 0 {
		t.Fatalf("misses were printed before the search ended: %v", got)
	}
	p.emitAt(exec(10, "/usr/bin/bash", ""), now)
	got := drain()
	if len(got) != 1 || got[0].Exec.Ret != 0 || got[0].Exec.PathMisses != 3 {
		t.Fatalf("search that found bash: %+v, want one successful exec with 3 misses", got)
	}

	// a command that is nowhere: the last miss, when the process goes on
	for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
		p.emitAt(exec(20, dir+"/nosuch", "ENOENT"), now)
	}
	p.emitAt(&record.Record{Event: "exit", Process: &record.Process{PID: 20}, Exit: &record.Exit{}}, now)
	got = drain()
	if len(got) != 2 || got[0].Event != "exec" || got[0].Exec.PathMisses != 2 || string(got[0].Exec.Filename) != "/bin/nosuch" ||
		got[1].Event != "exit" {
		t.Fatalf("search that found nothing, then exit: %+v", got)
	}

	// a lone failed exec stays as it is; a search nothing follows is
	// released by the sweep
	p.emitAt(exec(30, "/opt/tool", "EACCES"), now)
	p.emitAt(exec(30, "/opt/other", "ENOENT"), now) // another name: a new search
	p.sweepSearches(now.Add(2*searchTimeout), searchTimeout)
	got = drain()
	if len(got) != 2 || got[0].Exec.PathMisses != 0 || string(got[0].Exec.Filename) != "/opt/tool" ||
		string(got[1].Exec.Filename) != "/opt/other" {
		t.Fatalf("two lone failures: %+v", got)
	}
	if len(p.searches) != 0 {
		t.Errorf("%d searches left after the sweep", len(p.searches))
	}
}
