// The peers a user would otherwise run, as observers: auditd with
// equivalent rules, and BCC's libbpf-tools (execsnoop, opensnoop, tcpconnect).

package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

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

// libbpfTools runs execsnoop and opensnoop (and tcpconnect where kprobes
// exist) from Debian's libbpf-tools, output to /dev/null.
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
