package rules_test

// Cost of judging one record.  bench/rules.sh runs these benchmarks on
// this tree and on the Go rules of an earlier commit, alternating, and
// prints the ratio: this file compiles against both (it uses only
// NewEngine, policy.Default and record).

import (
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// benchRecords are a day's mix: mostly execs and exits of ordinary
// programs, some watched-file opens and connects, a rare syscall record.
func benchRecords() []record.Record {
	p := func(pid uint32, uid uint32, exe string, args ...string) *record.Process {
		pr := &record.Process{PID: pid, TID: pid, PPID: 4000, UID: uid, GID: uid, EUID: uid, EGID: uid,
			Exe: []byte(exe), Comm: []byte("x"), Cwd: []byte("/home/alice/src"),
			Ancestry: []record.Ancestor{{PID: 4000, Exe: "/usr/bin/bash"}, {PID: 3000, Exe: "/usr/sbin/sshd"}}}
		for _, a := range args {
			pr.Args = append(pr.Args, []byte(a))
		}
		return pr
	}
	exec := func(pr *record.Process) record.Record {
		return record.Record{Event: "exec", Category: record.CatProcess, Process: pr, Exec: &record.Exec{Filename: pr.Exe}}
	}
	return []record.Record{
		exec(p(100, 1000, "/usr/bin/git", "git", "status", "--short")),
		exec(p(101, 1000, "/usr/bin/ls", "ls", "-la", "/home/alice/src")),
		exec(p(102, 1000, "/usr/lib/go-1.23/bin/go", "go", "build", "./...")),
		exec(p(103, 0, "/usr/bin/apt-get", "apt-get", "install", "-y", "curl")),
		{Event: "exit", Category: record.CatProcess, Process: p(100, 1000, "/usr/bin/git"), Exit: &record.Exit{}},
		{Event: "exit", Category: record.CatProcess, Process: p(101, 1000, "/usr/bin/ls"), Exit: &record.Exit{}},
		{Event: "open", Category: record.CatFile, Process: p(104, 0, "/usr/bin/sudo"),
			File: &record.File{Path: []byte("/etc/shadow"), Operation: "read", FD: 3, Class: "credentials", Watch: "/etc/shadow", WatchOwner: -1}},
		{Event: "open", Category: record.CatFile, Process: p(105, 1000, "/usr/bin/vim"),
			File: &record.File{Path: []byte("/home/alice/.bashrc"), Operation: "write", OpenFlags: 0o1101, FD: 3, Class: "persistence", Watch: "/home/alice/.bashrc", WatchOwner: 1000}},
		{Event: "connect", Category: record.CatNetwork, Process: p(106, 1000, "/usr/bin/curl", "curl", "https://deb.debian.org/"),
			Network: &record.Network{Family: "inet", Protocol: "tcp", DstIP: netip.MustParseAddr("192.0.2.10"), DstPort: 443, Direction: "outbound"}},
		{Event: "bpf", Category: record.CatSyscall, Process: p(107, 0, "/usr/sbin/bpftool", "bpftool", "prog", "list"),
			Syscall: &record.Syscall{Name: "bpf", Nr: 321, Group: "kernel", Args: []record.Arg{{Key: "cmd", Value: "BPF_PROG_GET_NEXT_ID"}}, Raw: [6]uint64{11}}},
	}
}

func benchEvaluate(b *testing.B, e *rules.Engine) {
	recs := benchRecords()
	work := make([]record.Record, len(recs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(work, recs)
		for j := range work {
			work[j].Rules = nil
			e.Evaluate(&work[j])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// BenchmarkEvaluateDefault: the default policy's rules.
func BenchmarkEvaluateDefault(b *testing.B) {
	benchEvaluate(b, rules.NewEngine(policy.Default(rules.Names())))
}

// BenchmarkEvaluate100UserRules: the default rules and 100 more, spread
// over exec, open and connect, each a typical team rule (names, prefixes,
// a list).  Skipped where the rules are Go (no user rules there).
func BenchmarkEvaluate100UserRules(b *testing.B) {
	y := "lists:\n  team_hosts: [\"10.0.0.0/8\", \"192.168.0.0/16\"]\nrules:\n"
	for i := 0; i < 100; i++ {
		switch i % 3 {
		case 0:
			y += fmt.Sprintf("  team-exec-%d:\n    events: [exec]\n    condition: process.exe == \"/opt/app%d/bin/run\" && process.uid != 0\n", i, i)
		case 1:
			y += fmt.Sprintf("  team-open-%d:\n    events: [open]\n    condition: file.path.startsWith(\"/srv/app%d/\") && file.operation != \"read\"\n", i, i)
		case 2:
			y += fmt.Sprintf("  team-connect-%d:\n    events: [connect]\n    condition: network.dst_port == %d && !network.dst_ip.in_cidr(team_hosts)\n", i, 10000+i)
		}
	}
	p, err := policy.Parse("bench.yaml", []byte(y), nil)
	if err != nil {
		if os.Getenv("BENCH_OLD_RULES") != "" {
			b.Skip("rules in Go: no user rules")
		}
		b.Fatal(err)
	}
	benchEvaluate(b, rules.NewEngine(p))
}

// BenchmarkEvaluateWatchedOpen: a read of /etc/shadow by a program not on
// the allowlist, judged by every file rule and matching one (the bench's
// open-watched workload).
func BenchmarkEvaluateWatchedOpen(b *testing.B) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	pr := &record.Process{PID: 7, TID: 7, PPID: 1, Exe: []byte("/tmp/go-build/bench"),
		Ancestry: []record.Ancestor{{PID: 1, Exe: "/usr/bin/make"}}}
	f := record.File{Path: []byte("/etc/shadow"), Operation: "read", FD: 3, Class: "credentials", Watch: "/etc/shadow", WatchOwner: -1}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		file := f
		r := record.Record{Event: "open", Category: record.CatFile, Process: pr, File: &file}
		e.Evaluate(&r)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}
