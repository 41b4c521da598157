package output

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// textEncoder writes one line per record, readable at a glance:
//
//	2026-11-25T18:52:00.123Z INFO  exec   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/id args="id -u" parent=bash
//
// Every value that is not plain printable ASCII is quoted and escaped
// (escape.go), so a record is always exactly one line and no terminal
// escape from the monitored system reaches the screen.
type textEncoder struct {
	buf   []byte
	color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiCyan   = "\x1b[36m"
)

var sevLabel = [...]string{record.Info: "INFO ", record.Warn: "WARN ", record.Critical: "CRIT "}
var sevColor = [...]string{record.Info: ansiGreen, record.Warn: ansiYellow, record.Critical: ansiRed}

func (t *textEncoder) encode(r *record.Record) []byte {
	b := t.buf[:0]
	if t.color {
		b = append(b, ansiDim...)
	}
	b = r.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	if t.color {
		b = append(b, ansiReset...)
	}
	b = append(b, ' ')
	sev := "?    "
	if int(r.Severity) < len(sevLabel) {
		sev = sevLabel[r.Severity]
		if t.color {
			b = append(b, sevColor[r.Severity]...)
		}
	}
	b = append(b, sev...)
	if t.color {
		b = append(b, ansiReset...)
	}
	b = append(b, ' ')
	if t.color {
		b = append(b, ansiBold...)
	}
	b = append(b, r.Event...)
	if t.color {
		b = append(b, ansiReset...)
	}
	for i := len(r.Event); i < 6; i++ {
		b = append(b, ' ')
	}

	switch {
	case r.Monitor != nil:
		b = t.monitor(b, r)
	case r.Process != nil:
		b = t.process(b, r)
	case r.Container != nil: // container_start
		b = containerKV(b, r.Container)
		if c := r.Container; len(c.Risks) > 0 {
			b = kvs(b, "risks", strings.Join(c.Risks, ", "))
		}
	}
	if len(r.Rules) > 0 {
		names := make([]string, len(r.Rules))
		for i, x := range r.Rules {
			names[i] = x.Name
		}
		b = kv(b, "rules", []byte(strings.Join(names, ",")))
	}
	// a fold summary must not read as a second copy of the alert, nor an
	// alert raised while events were lost as a complete picture
	if r.Repeats > 0 {
		b = kv(b, "repeats", strconv.AppendUint(nil, r.Repeats, 10))
	}
	if f := r.Folded; f != nil {
		if f.ObjectCount > 0 {
			b = kv(b, "objects", strconv.AppendInt(nil, int64(f.ObjectCount)+1, 10))
		}
		if f.PIDCount > 0 {
			b = kv(b, "processes", strconv.AppendInt(nil, int64(f.PIDCount)+1, 10))
		}
	}
	if r.Degraded {
		b = kv(b, "degraded", []byte("true"))
	}
	b = append(b, '\n')
	t.buf = b
	return b
}

// containerKV names the container a record came from.
func containerKV(b []byte, c *record.Container) []byte {
	if c == nil {
		return b
	}
	b = kvs(b, "container", c.ShortID())
	if c.Name != "" {
		b = kvs(b, "container_name", c.Name)
	}
	if c.Image != "" {
		b = kvs(b, "image", c.Image)
	}
	return b
}

func kv(b []byte, k string, v []byte) []byte {
	b = append(b, ' ')
	b = append(b, k...)
	b = append(b, '=')
	return appendValue(b, v)
}

func kvu(b []byte, k string, v uint64) []byte {
	b = append(b, ' ')
	b = append(b, k...)
	b = append(b, '=')
	return strconv.AppendUint(b, v, 10)
}

func kvs(b []byte, k, v string) []byte { return kv(b, k, []byte(v)) }

// appendArgs renders argv as one quoted value; an argument that needs
// quoting on its own (spaces, quotes, controls, empty) is quoted inside it
// with \" and escaped once, so strconv.Unquote of the value gives the
// arguments joined by spaces, inner quotes included.
func appendArgs(b []byte, args [][]byte, truncated bool) []byte {
	b = append(b, " args="...)
	if len(args) == 1 && !truncated && !needsQuote(args[0]) {
		return append(b, args[0]...)
	}
	b = append(b, '"')
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if needsArgQuote(a) {
			b = append(b, '\\', '"')
			b = appendEscaped(b, a)
			b = append(b, '\\', '"')
		} else {
			b = appendEscaped(b, a)
		}
	}
	if truncated {
		b = append(b, " ..."...)
	}
	return append(b, '"')
}

func (t *textEncoder) process(b []byte, r *record.Record) []byte {
	p := r.Process
	b = kvu(b, "pid", uint64(p.PID))
	if p.TID != p.PID {
		b = kvu(b, "tid", uint64(p.TID))
	}
	b = kvu(b, "ppid", uint64(p.PPID))
	b = kvu(b, "uid", uint64(p.UID))
	if p.EUID != p.UID {
		b = kvu(b, "euid", uint64(p.EUID))
	}
	if r.Fork != nil {
		b = kvu(b, "child", uint64(r.Fork.ChildPID))
	}
	if len(p.Exe) > 0 {
		b = kv(b, "exe", p.Exe)
	} else {
		b = kv(b, "comm", p.Comm)
	}
	if len(p.Script) > 0 {
		b = kv(b, "script", p.Script)
	}
	if p.ExeDeleted {
		b = kvs(b, "exe_deleted", "true")
	}
	if p.Compat {
		b = kvs(b, "abi", "i386")
	}
	if len(p.Root) > 0 {
		b = kv(b, "root", p.Root)
	}
	if p.MntNS != 0 {
		b = kvu(b, "mnt_ns", uint64(p.MntNS))
	}
	if p.PidNS != 0 {
		b = kvu(b, "vpid", uint64(p.VPID))
	}
	b = containerKV(b, r.Container)
	if x := r.Exec; x != nil {
		if x.Ret != 0 {
			b = kv(b, "filename", x.Filename)
		}
		if x.PathMisses > 0 {
			b = kvu(b, "path_misses", uint64(x.PathMisses))
		}
		b = appendArgs(b, p.Args, p.ArgsTruncated)
		// the other end of a pipe: "stdin_from=curl -s http://..."
		if x.StdinFrom != nil {
			b = kv(b, "stdin_from", bytes.Join(x.StdinFrom.Args, []byte(" ")))
		}
		if x.StdoutTo != nil {
			b = kv(b, "stdout_to", bytes.Join(x.StdoutTo.Args, []byte(" ")))
		}
	}
	if x := r.File; x != nil {
		b = kv(b, "path", x.Path)
		if len(x.HostPath) > 0 {
			b = kv(b, "host_path", x.HostPath)
		}
		b = kvs(b, "op", x.Operation)
		if len(x.AccountsAdded) > 0 {
			names := make([]string, len(x.AccountsAdded))
			for i, a := range x.AccountsAdded {
				names[i] = a.Name + "(uid " + strconv.FormatUint(uint64(a.UID), 10) + ")"
			}
			b = kvs(b, "accounts_added", strings.Join(names, ","))
		}
		if x.Via != "" {
			b = kvs(b, "via", x.Via)
		}
		if r.Event == "open" {
			b = kvs(b, "flags", strings.Join(OpenFlagNames(x.OpenFlags), "|"))
		} else if x.OpenFlags != 0 {
			b = kvs(b, "flags", strings.Join(AtFlagNames(r.Event, x.OpenFlags), "|"))
		}
		if x.HasMode {
			b = kvs(b, "mode", Octal(x.Mode&0o7777))
			if bits := ModeBits(x.Mode); len(bits) > 0 {
				b = kvs(b, "mode_bits", strings.Join(bits, "|"))
			}
		}
		if x.Owner != nil {
			b = kvs(b, "owner", strconv.FormatInt(x.Owner.UID, 10)+":"+strconv.FormatInt(x.Owner.GID, 10))
		}
		if x.Created {
			b = kvs(b, "created", "true")
		}
		if !x.MTimeSet.IsZero() {
			b = kvs(b, "mtime_set", x.MTimeSet.Format(time.RFC3339))
		}
		if !x.ATimeSet.IsZero() {
			b = kvs(b, "atime_set", x.ATimeSet.Format(time.RFC3339))
		}
		if x.FD >= 0 {
			b = kvu(b, "fd", uint64(x.FD))
		}
		if len(x.RequestedPath) > 0 && string(x.RequestedPath) != string(x.Path) {
			b = kv(b, "requested", x.RequestedPath)
		}
		if len(x.TargetPath) > 0 {
			b = kv(b, "target", x.TargetPath)
		}
	}
	if x := r.Network; x != nil {
		switch {
		case x.Audit != nil:
			b = kvs(b, "audit", x.Audit.Type+AuditSettings(x.Audit))
		case len(x.UnixPath) > 0:
			b = kv(b, "unix", x.UnixPath)
		case r.Event == "listen" || r.Event == "bind":
			b = kvs(b, "local", x.Protocol+"/"+endpoint(x.SrcIP, x.SrcPort))
		case r.Event == "accept":
			b = kvs(b, "peer", x.Protocol+"/"+endpoint(x.SrcIP, x.SrcPort))
			b = kvs(b, "local", endpoint(x.DstIP, x.DstPort))
		default:
			b = kvs(b, "dst", x.Protocol+"/"+endpoint(x.DstIP, x.DstPort))
			if x.SrcIP.IsValid() && (x.SrcPort != 0 || !x.SrcIP.IsUnspecified()) {
				b = kvs(b, "src", endpoint(x.SrcIP, x.SrcPort))
			}
		}
		if r.Event == "listen" {
			b = kvu(b, "backlog", uint64(x.Backlog))
		}
		if x.Count > 0 {
			b = kvu(b, "count", x.Count)
		}
		if len(x.Sources) > 0 {
			b = kvs(b, "seen", strings.Join(x.Sources, "+"))
		}
	}
	if x := r.Syscall; x != nil {
		for _, a := range x.Args {
			b = textArg(b, a)
		}
		if x.TargetPID != 0 {
			b = kvu(b, "target", uint64(x.TargetPID))
			b = kvs(b, "target_exe", x.TargetExe)
		}
		if r.Error == "" {
			b = append(b, " ret="...)
			b = strconv.AppendInt(b, x.Ret, 10)
		}
	}
	if x := r.Priv; x != nil {
		b = kvs(b, "means", x.Means)
		if x.Syscall != "" {
			b = kvs(b, "syscall", x.Syscall)
		}
		b = kvs(b, "gained", strings.Join(x.Gained, ","))
		b = kvs(b, "before", credsText(&x.Before))
		b = kvs(b, "after", credsText(&x.After))
		if x.Means == "exec" {
			b = kvs(b, "exe_owner", strconv.FormatInt(x.ExeUID, 10))
			b = kvs(b, "exe_mode", Octal(x.ExeMode&0o7777))
		}
		if x.SeenAt != "" {
			b = kvs(b, "seen_at", x.SeenAt)
		}
	}
	if x := r.Exit; x != nil {
		if x.Signal != 0 {
			b = kvs(b, "signal", SignalName(x.Signal))
			if x.CoreDumped {
				b = kvs(b, "core", "dumped")
			}
		} else {
			b = kvu(b, "code", uint64(x.Code))
		}
		b = kvs(b, "lifetime", x.Lifetime.Round(time.Millisecond).String())
	}
	if r.Error != "" {
		b = kvs(b, "error", r.Error)
	}
	if len(p.Ancestry) > 0 {
		parent := p.Ancestry[0].Exe
		if parent == "" {
			parent = strconv.FormatUint(uint64(p.Ancestry[0].PID), 10)
		} else {
			parent = filepath.Base(parent)
		}
		b = kvs(b, "parent", parent)
	}
	return b
}

func (t *textEncoder) monitor(b []byte, r *record.Record) []byte {
	m := r.Monitor
	if s := m.Start; s != nil {
		attached, unavailable, wanted := []string{}, []string{}, 0
		for _, h := range s.Hooks {
			switch {
			case h.Attached:
				attached = append(attached, h.Name)
			case h.Superseded:
				continue // not needed here: not a missing hook
			default:
				unavailable = append(unavailable, h.Name+" ("+h.Reason+")")
			}
			wanted++
		}
		b = kvs(b, "version", s.Version)
		b = kvs(b, "kernel", s.Kernel)
		b = kvs(b, "transport", s.Transport)
		b = kvs(b, "hooks", strconv.Itoa(len(attached))+"/"+strconv.Itoa(wanted))
		if s.SyscallHooks != "" {
			b = kvs(b, "syscalls", s.SyscallHooks)
		}
		if len(unavailable) > 0 {
			b = kvs(b, "unavailable", strings.Join(unavailable, ", "))
		}
		return b
	}
	if s := m.Stats; s != nil {
		if s.Final {
			b = kvs(b, "final", "true")
		}
		b = kvs(b, "events/s", strconv.FormatFloat(s.EventsPerSec, 'f', 1, 64))
		for _, k := range sortedKeys(s.Events) {
			b = kvu(b, k, s.Events[k])
		}
		b = kvu(b, "total", s.Total)
		b = kvu(b, "lost", s.Lost())
		if s.LostPerf > 0 {
			b = kvu(b, "lost_perf", s.LostPerf)
		}
		if s.LostQueue > 0 {
			b = kvu(b, "lost_queue", s.LostQueue)
		}
		for _, k := range sortedKeys(s.LostKernel) {
			if s.LostKernel[k] > 0 {
				b = kvu(b, "kernel_"+k, s.LostKernel[k])
			}
		}
		if s.DecodeErrors > 0 {
			b = kvu(b, "decode_errors", s.DecodeErrors)
		}
		b = kvu(b, "procs", uint64(s.ProcTableSize))
		if s.ProcEvictions > 0 {
			b = kvu(b, "proc_evictions", s.ProcEvictions)
		}
		if s.AlertsFolded > 0 {
			b = kvu(b, "alerts_folded", s.AlertsFolded)
		}
		// the ranking: one more line per suspect, so each stays greppable;
		// on the console only when it changed (JSON always has it)
		if s.TopUnchanged {
			b = kvs(b, "top", "unchanged")
			return b
		}
		for i, x := range s.Top {
			b = append(b, '\n')
			b = t.topLine(b, r, i+1, &x)
		}
		return b
	}
	if r.Message != "" {
		b = kvs(b, "msg", r.Message)
	}
	return b
}

func endpoint(ip netip.Addr, port uint16) string {
	if !ip.IsValid() {
		return ":" + strconv.Itoa(int(port))
	}
	return netip.AddrPortFrom(ip, port).String()
}

func textArg(b []byte, a record.Arg) []byte {
	switch v := a.Value.(type) {
	case string:
		return kvs(b, a.Key, v)
	case []byte:
		return kv(b, a.Key, v)
	case int64:
		return kvs(b, a.Key, strconv.FormatInt(v, 10))
	case uint64:
		return kvu(b, a.Key, v)
	case []string:
		return kvs(b, a.Key, strings.Join(v, "|"))
	case bool:
		return kvs(b, a.Key, strconv.FormatBool(v))
	}
	return b
}

func credsText(c *record.Creds) string {
	return "uid=" + strconv.FormatUint(uint64(c.UID), 10) + ",euid=" + strconv.FormatUint(uint64(c.EUID), 10) +
		",suid=" + strconv.FormatUint(uint64(c.SUID), 10) + ",caps=0x" + strconv.FormatUint(c.CapEffective, 16)
}

// topLine renders one suspect of the analytics' ranking.
func (t *textEncoder) topLine(b []byte, r *record.Record, rank int, x *record.Suspect) []byte {
	b = r.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, " INFO  top    #"...)
	b = strconv.AppendInt(b, int64(rank), 10)
	b = kvs(b, "score", strconv.FormatFloat(x.Score, 'f', 1, 64))
	b = kvu(b, "pid", uint64(x.PID))
	b = kvs(b, "exe", x.Exe)
	b = kvu(b, "uid", uint64(x.UID))
	if x.Container != "" {
		b = kvs(b, "container", x.Container)
		if x.ContainerName != "" {
			b = kvs(b, "container_name", x.ContainerName)
		}
	}
	rules := make([]string, len(x.Rules))
	for i, rc := range x.Rules {
		rules[i] = rc.Name + "x" + strconv.FormatUint(rc.Count, 10)
	}
	b = kvs(b, "rules", strings.Join(rules, ","))
	b = kvs(b, "first", x.First.UTC().Format("15:04:05"))
	b = kvs(b, "last", x.Last.UTC().Format("15:04:05"))
	if x.Alive {
		b = kvs(b, "alive", "yes")
	} else {
		b = kvs(b, "alive", "no")
	}
	return b
}
