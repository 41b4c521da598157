package output

import (
	"bytes"
	"encoding/hex"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/caps"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// JSON encoding of untrusted bytes (README, "Encoding"): a value that is
// valid UTF-8 is a JSON string (control characters escaped by zerolog, so
// each record stays on one line).  A value that is not valid UTF-8 is still
// written as a string, with invalid bytes shown as U+FFFD, and its exact
// bytes are given in a sibling field named "<key>_hex" (lower-case hex), so
// nothing is lost.  For args, "args_hex" is a parallel array, present only
// when some argument is not valid UTF-8.

func bytesField(e *zerolog.Event, key string, b []byte) *zerolog.Event {
	e = e.Bytes(key, b)
	if !utf8.Valid(b) {
		e = e.Hex(key+"_hex", b)
	}
	return e
}

func bytesDict(d *zerolog.Event, key string, b []byte) *zerolog.Event { return bytesField(d, key, b) }

type argsArray [][]byte

func (a argsArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, s := range a {
		arr.Bytes(s)
	}
}

type argsHexArray [][]byte

func (a argsHexArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, s := range a {
		arr.Str(hex.EncodeToString(s))
	}
}

type ancestryArray []record.Ancestor

func (a ancestryArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, x := range a {
		d := zerolog.Dict().Uint32("pid", x.PID).Str("exe", x.Exe)
		if !utf8.ValidString(x.Exe) { // an ancestor's path is untrusted too
			d = d.Hex("exe_hex", []byte(x.Exe))
		}
		if x.Script != "" {
			d = d.Str("script", x.Script)
			if !utf8.ValidString(x.Script) {
				d = d.Hex("script_hex", []byte(x.Script))
			}
		}
		arr.Dict(d)
	}
}

type accountsArray []record.Account

func (a accountsArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, x := range a {
		arr.Dict(zerolog.Dict().Str("name", x.Name).Uint32("uid", x.UID))
	}
}

type hooksArray []record.Hook

func (a hooksArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, h := range a {
		d := zerolog.Dict().Str("name", h.Name).Str("capability", h.Capability)
		if len(h.Functions) > 0 {
			d = d.Strs("functions", h.Functions)
		}
		switch {
		case h.Attached:
			d = d.Str("status", "attached")
		case h.Superseded:
			d = d.Str("status", "superseded").Str("reason", h.Reason)
		default:
			d = d.Str("status", "unavailable").Str("reason", h.Reason)
		}
		arr.Dict(d)
	}
}

type rulesArray []record.Rule

func (a rulesArray) MarshalZerologArray(arr *zerolog.Array) {
	for _, r := range a {
		d := zerolog.Dict().Str("name", r.Name).Str("severity", r.Severity.String()).
			Strs("mitre", r.Mitre).Str("description", r.Description)
		if r.Output != "" {
			d = d.Str("output", r.Output)
		}
		arr.Dict(d)
	}
}

// pipeEndDict is the program at the other end of a pipe (exec.stdin_from,
// exec.stdout_to): pid, exe, args (as process.args) and script.
func pipeEndDict(p record.PipeEnd) *zerolog.Event {
	d := zerolog.Dict().Uint32("pid", p.PID)
	d = bytesDict(d, "exe", []byte(p.Exe))
	d = d.Array("args", argsArray(p.Args))
	if anyInvalid(p.Args) {
		d = d.Array("args_hex", argsHexArray(p.Args))
	}
	if p.Script != "" {
		d = bytesDict(d, "script", []byte(p.Script))
	}
	return d
}

func anyInvalid(args [][]byte) bool {
	for _, a := range args {
		if !utf8.Valid(a) {
			return true
		}
	}
	return false
}

// jsonEncoder writes records as one JSON object per line with zerolog.
type jsonEncoder struct {
	buf bytes.Buffer
	log zerolog.Logger
}

func newJSONEncoder() *jsonEncoder {
	j := &jsonEncoder{}
	j.log = zerolog.New(&j.buf)
	return j
}

// encode returns the line for r; valid until the next call.
func (j *jsonEncoder) encode(r *record.Record) []byte {
	j.buf.Reset()
	e := j.log.Log().
		Str("time", r.Time.UTC().Format(time.RFC3339Nano)).
		Str("severity", r.Severity.String()).
		Str("event", r.Event).
		Str("category", r.Category)
	if p := r.Process; p != nil {
		e = e.Dict("process", processDict(p))
	}
	if c := r.Container; c != nil {
		e = e.Dict("container", containerDict(c))
	}
	if x := r.Exec; x != nil {
		e = e.Dict("exec", execDict(x))
	}
	if x := r.Exit; x != nil {
		e = e.Dict("exit", exitDict(x))
	}
	if x := r.File; x != nil {
		e = e.Dict("file", fileDict(r.Event, x))
	}
	if x := r.Network; x != nil {
		e = e.Dict("network", networkDict(r.Event, x))
	}
	if x := r.Syscall; x != nil {
		e = e.Dict("syscall", syscallDict(x))
	}
	if x := r.Priv; x != nil {
		e = e.Dict("privilege", privilegeDict(x))
	}
	if x := r.Fork; x != nil {
		e = e.Dict("fork", zerolog.Dict().Uint32("child_pid", x.ChildPID))
	}
	if m := r.Monitor; m != nil {
		e = e.Dict("monitor", monitorDict(m))
	}
	if len(r.Rules) > 0 {
		e = e.Array("rules", rulesArray(r.Rules))
	}
	if r.Repeats > 0 {
		e = e.Uint64("repeats", r.Repeats)
	}
	if f := r.Folded; f != nil {
		d := zerolog.Dict()
		if f.ObjectCount > 0 {
			d = d.Strs("objects", f.Objects).Int("object_count", f.ObjectCount)
		}
		if f.PIDCount > 0 {
			d = d.Uints32("pids", f.PIDs).Int("pid_count", f.PIDCount)
		}
		e = e.Dict("folded", d)
	}
	if r.Degraded {
		e = e.Bool("degraded", true)
	}
	if r.Error != "" {
		e = e.Str("error", r.Error)
	}
	e.Msg(r.Message)
	return j.buf.Bytes()
}

type suspectsArray []record.Suspect

func (a suspectsArray) MarshalZerologArray(arr *zerolog.Array) {
	for i, x := range a {
		rules := zerolog.Dict()
		for _, rc := range x.Rules {
			rules = rules.Uint64(rc.Name, rc.Count)
		}
		d := zerolog.Dict().Int("rank", i+1).Uint32("pid", x.PID).Str("exe", x.Exe).Uint32("uid", x.UID)
		if x.Container != "" {
			d = d.Str("container", x.Container)
			if x.ContainerName != "" {
				d = d.Str("container_name", x.ContainerName)
			}
		}
		arr.Dict(d.Float64("score", x.Score).Dict("rules", rules).
			Str("first_seen", x.First.UTC().Format(time.RFC3339Nano)).
			Str("last_seen", x.Last.UTC().Format(time.RFC3339Nano)).Bool("alive", x.Alive))
	}
}

// argsDict writes decoded syscall arguments; values are of a few known
// types (record.Arg), switched on without reflection.
func argsDict(args []record.Arg) *zerolog.Event {
	d := zerolog.Dict()
	for _, a := range args {
		switch v := a.Value.(type) {
		case string:
			d = d.Str(a.Key, v)
		case []byte:
			d = bytesDict(d, a.Key, v)
		case int64:
			d = d.Int64(a.Key, v)
		case uint64:
			d = d.Uint64(a.Key, v)
		case []string:
			d = d.Strs(a.Key, v)
		case bool:
			d = d.Bool(a.Key, v)
		}
	}
	return d
}

func processDict(p *record.Process) *zerolog.Event {
	d := zerolog.Dict().
		Uint32("pid", p.PID).Uint32("tid", p.TID).Uint32("ppid", p.PPID).
		Uint32("uid", p.UID).Uint32("gid", p.GID).Uint32("euid", p.EUID).Uint32("egid", p.EGID)
	if p.HasLoginUID {
		d = d.Uint32("loginuid", p.LoginUID)
	}
	d = bytesDict(d, "comm", p.Comm)
	if p.Compat {
		d = d.Bool("compat", true)
	}
	d = bytesDict(d, "exe", p.Exe)
	if len(p.Script) > 0 {
		d = bytesDict(d, "script", p.Script)
	}
	if p.ExeDeleted {
		d = d.Bool("exe_deleted", true)
	}
	if p.MntNS != 0 {
		d = d.Uint32("mnt_ns", p.MntNS)
	}
	if p.PidNS != 0 {
		d = d.Uint32("vpid", p.VPID).Uint32("pid_ns", p.PidNS)
		if p.ParentOutsideNS {
			d = d.Bool("parent_outside_ns", true)
		}
	}
	if p.NetNS != 0 {
		d = d.Uint32("net_ns", p.NetNS)
	}
	if p.UserNS != 0 {
		d = d.Uint32("user_ns", p.UserNS)
	}
	if len(p.Root) > 0 {
		d = bytesDict(d, "root", p.Root)
	}
	if p.Args != nil {
		d = d.Array("args", argsArray(p.Args))
		if anyInvalid(p.Args) {
			d = d.Array("args_hex", argsHexArray(p.Args))
		}
		d = d.Bool("args_truncated", p.ArgsTruncated)
	}
	if p.Cwd != nil {
		d = bytesDict(d, "cwd", p.Cwd)
	}
	d = d.Array("ancestry", ancestryArray(p.Ancestry))
	if p.User != "" {
		d = d.Str("user", p.User)
	}
	if p.EntityID != "" {
		d = d.Str("entity_id", p.EntityID)
	}
	if p.ParentEntityID != "" {
		d = d.Str("parent_entity_id", p.ParentEntityID)
	}
	if !p.StartTime.IsZero() {
		d = d.Str("start", p.StartTime.UTC().Format(time.RFC3339Nano))
	}
	return d
}

func containerDict(c *record.Container) *zerolog.Event {
	d := zerolog.Dict().Str("id", c.ID).Str("short_id", c.ShortID())
	for _, f := range []struct{ k, v string }{{"name", c.Name}, {"image", c.Image}, {"image_id", c.ImageID},
		{"runtime", c.Runtime}, {"pod", c.Pod}, {"namespace", c.Namespace}, {"pod_uid", c.PodUID}} {
		if f.v != "" {
			d = d.Str(f.k, f.v)
		}
	}
	if c.Build {
		d = d.Bool("build", true)
	}
	if c.Privileged {
		d = d.Bool("privileged", true)
	}
	if len(c.Risks) > 0 {
		d = d.Strs("risks", c.Risks)
	}
	return d
}

func execDict(x *record.Exec) *zerolog.Event {
	d := zerolog.Dict()
	d = bytesDict(d, "filename", x.Filename)
	d = d.Int32("ret", x.Ret).Bool("execveat", x.Execveat)
	if x.FilenameTruncated {
		d = d.Bool("filename_truncated", true)
	}
	if x.ExeTruncated {
		d = d.Bool("exe_truncated", true)
	}
	if x.CwdTruncated {
		d = d.Bool("cwd_truncated", true)
	}
	if x.ExeDeleted {
		d = d.Bool("exe_deleted", true)
	}
	if x.ExeUpperLayer {
		d = d.Bool("exe_upper_layer", true)
	}
	if x.ExeTmpfs {
		d = d.Bool("exe_tmpfs", true)
	}
	if x.Healthcheck {
		d = d.Bool("healthcheck", true)
	}
	if len(x.StdioSockets) > 0 {
		d = d.Strs("stdio_sockets", x.StdioSockets)
	}
	if x.LDPreload {
		d = d.Bool("ld_preload", true)
		if len(x.LDPreloadValue) > 0 {
			d = bytesDict(d, "ld_preload_value", x.LDPreloadValue)
		}
	}
	if x.PathMisses > 0 {
		d = d.Int("path_misses", x.PathMisses)
	}
	if x.DroppedBy != "" {
		d = bytesDict(d, "dropped_by", []byte(x.DroppedBy))
	}
	if x.StdinFrom != nil {
		d = d.Dict("stdin_from", pipeEndDict(*x.StdinFrom))
	}
	if x.StdoutTo != nil {
		d = d.Dict("stdout_to", pipeEndDict(*x.StdoutTo))
	}
	return d
}

func exitDict(x *record.Exit) *zerolog.Event {
	d := zerolog.Dict().Int("code", x.Code)
	if x.Signal != 0 {
		d = d.Int("signal", x.Signal).Str("signal_name", SignalName(x.Signal))
	}
	d = d.Bool("core_dumped", x.CoreDumped).Int64("lifetime_ns", x.Lifetime.Nanoseconds())
	return d
}

func fileDict(event string, x *record.File) *zerolog.Event {
	d := zerolog.Dict()
	d = bytesDict(d, "path", x.Path)
	if len(x.AccountsAdded) > 0 {
		d = d.Array("accounts_added", accountsArray(x.AccountsAdded))
	}
	if len(x.RequestedPath) > 0 && !bytes.Equal(x.RequestedPath, x.Path) {
		d = bytesDict(d, "requested_path", x.RequestedPath)
	}
	if len(x.HostPath) > 0 {
		d = bytesDict(d, "host_path", x.HostPath)
	}
	if len(x.TargetPath) > 0 {
		d = bytesDict(d, "target_path", x.TargetPath)
	}
	if len(x.TargetHost) > 0 {
		d = bytesDict(d, "target_host_path", x.TargetHost)
	}
	d = d.Str("operation", x.Operation)
	if event == "open" {
		d = d.Strs("flags", OpenFlagNames(x.OpenFlags))
	} else if x.OpenFlags != 0 {
		d = d.Strs("flags", AtFlagNames(event, x.OpenFlags))
	}
	if x.HasMode {
		d = d.Str("mode", Octal(x.Mode&0o7777))
		if bits := ModeBits(x.Mode); len(bits) > 0 {
			d = d.Strs("mode_bits", bits)
		}
	}
	if x.Owner != nil {
		d = d.Dict("owner", zerolog.Dict().Int64("uid", x.Owner.UID).Int64("gid", x.Owner.GID))
	}
	if x.Created {
		d = d.Bool("created", true)
	}
	if !x.MTimeSet.IsZero() {
		d = d.Str("mtime_set", x.MTimeSet.Format(time.RFC3339))
	}
	if !x.ATimeSet.IsZero() {
		d = d.Str("atime_set", x.ATimeSet.Format(time.RFC3339))
	}
	if x.FD >= 0 {
		d = d.Int32("fd", x.FD)
	}
	d = d.Bool("resolved", x.Resolved)
	if x.Via != "" {
		d = d.Str("via", x.Via)
	}
	if x.PathTruncated {
		d = d.Bool("path_truncated", true)
	}
	d = d.Str("class", x.Class).Str("watch", x.Watch)
	if x.WatchOwner >= 0 {
		d = d.Int64("watch_owner", x.WatchOwner)
	}
	return d
}

func networkDict(event string, x *record.Network) *zerolog.Event {
	d := zerolog.Dict().Str("family", x.Family)
	if x.Protocol != "" {
		d = d.Str("protocol", x.Protocol)
	}
	if x.SrcIP.IsValid() {
		d = d.Str("src_ip", x.SrcIP.String()).Uint16("src_port", x.SrcPort)
	}
	if x.DstIP.IsValid() {
		d = d.Str("dst_ip", x.DstIP.String()).Uint16("dst_port", x.DstPort)
		if x.DstScope != "" {
			d = d.Str("dst_scope", x.DstScope)
		}
		if x.Resolver {
			d = d.Bool("dst_resolver", true)
		}
		if x.PortsTried > 0 {
			d = d.Int("ports_tried", x.PortsTried).Int("hosts_tried", x.HostsTried)
		}
	}
	if len(x.UnixPath) > 0 {
		d = bytesDict(d, "unix_path", x.UnixPath)
	}
	if a := x.Audit; a != nil {
		ad := zerolog.Dict().Str("type", a.Type)
		for _, f := range auditFields(a) {
			if *f.v >= 0 {
				ad = ad.Int64(f.name, *f.v)
			}
		}
		d = d.Dict("audit", ad)
	}
	d = d.Str("direction", x.Direction).Strs("sources", x.Sources)
	if event == "listen" {
		d = d.Int("backlog", x.Backlog)
	}
	if x.Folded {
		d = d.Bool("folded", true)
	}
	if x.Count > 0 {
		d = d.Uint64("count", x.Count)
	}
	return d
}

func syscallDict(x *record.Syscall) *zerolog.Event {
	d := zerolog.Dict().Str("name", x.Name).Uint32("nr", x.Nr).Str("group", x.Group).Int64("ret", x.Ret).
		Dict("args", argsDict(x.Args))
	if x.TargetPID != 0 {
		d = d.Uint32("target_pid", x.TargetPID).Str("target_exe", x.TargetExe).
			Bool("target_is_descendant", x.TargetIsDescendant)
	}
	if x.TargetIsMonitor != nil {
		d = d.Bool("target_is_monitor", *x.TargetIsMonitor)
	}
	if x.EntersOtherNamespace != nil {
		d = d.Bool("enters_other_namespace", *x.EntersOtherNamespace)
	}
	if x.EntersHostNamespace != nil {
		d = d.Bool("enters_host_namespace", *x.EntersHostNamespace)
	}
	return d
}

func privilegeDict(x *record.Privilege) *zerolog.Event {
	d := zerolog.Dict().Str("means", x.Means)
	if x.Syscall != "" {
		d = d.Str("syscall", x.Syscall)
	}
	d = d.Strs("gained", x.Gained).Dict("before", credsDict(&x.Before)).Dict("after", credsDict(&x.After))
	if x.Means == "exec" {
		d = d.Int64("exe_uid", x.ExeUID).Str("exe_mode", Octal(x.ExeMode&0o7777))
	}
	if x.SeenAt != "" {
		d = d.Str("seen_at", x.SeenAt)
	}
	if x.SeenAt == "commit_creds" {
		d = d.Int64("syscall_nr", x.SyscallNr)
	}
	return d
}

// countsDict is a dictionary of counts in key order.
func countsDict(m map[string]uint64) *zerolog.Event {
	d := zerolog.Dict()
	for _, k := range sortedKeys(m) {
		d = d.Uint64(k, m[k])
	}
	return d
}

func credsDict(c *record.Creds) *zerolog.Event {
	return zerolog.Dict().Uint32("uid", c.UID).Uint32("euid", c.EUID).Uint32("suid", c.SUID).
		Uint32("fsuid", c.FSUID).Uint32("gid", c.GID).Uint32("egid", c.EGID).
		Strs("cap_effective", caps.Names(c.CapEffective))
}

func monitorDict(m *record.Monitor) *zerolog.Event {
	d := zerolog.Dict()
	if s := m.Start; s != nil {
		d = d.Str("version", s.Version).Str("kernel", s.Kernel).Str("transport", s.Transport).
			Int("perf_pages", s.PerfPages).Int("pid", s.PID).Int("processes_seeded", s.ProcsSeeded).
			Array("hooks", hooksArray(s.Hooks))
		if s.SyscallHooks != "" {
			d = d.Str("syscall_hooks", s.SyscallHooks)
		}
		if s.SyscallHooksReason != "" {
			d = d.Str("syscall_hooks_reason", s.SyscallHooksReason)
		}
		if s.BPFObject != "" {
			d = d.Str("bpf_object", s.BPFObject)
		}
	}
	if s := m.Stats; s != nil {
		ev := zerolog.Dict()
		for _, k := range sortedKeys(s.Events) {
			ev = ev.Uint64(k, s.Events[k])
		}
		kern := zerolog.Dict()
		for _, k := range sortedKeys(s.LostKernel) {
			kern = kern.Uint64(k, s.LostKernel[k])
		}
		if s.Final {
			d = d.Int64("detach_ms", s.DetachTime.Milliseconds()).Bool("detach_expedited", s.DetachExpedited)
		}
		d = d.Bool("final", s.Final).
			Float64("interval_s", s.Interval.Seconds()).
			Float64("uptime_s", s.Uptime.Seconds()).
			Dict("events", ev).
			Dict("severity", zerolog.Dict().Uint64("info", s.BySeverity[record.Info]).
				Uint64("warn", s.BySeverity[record.Warn]).Uint64("critical", s.BySeverity[record.Critical])).
			Float64("events_per_sec", s.EventsPerSec).
			Uint64("events_total", s.Total).
			Dict("lost", zerolog.Dict().
				Uint64("total", s.Lost()).
				Uint64("perf_buffer", s.LostPerf).
				Dict("kernel", kern).
				Uint64("queue", s.LostQueue).
				Uint64("decode_errors", s.DecodeErrors).
				Dict("outputs", countsDict(s.OutputDropped))).
			Dict("process_table", zerolog.Dict().Int("size", s.ProcTableSize).Uint64("evictions", s.ProcEvictions)).
			Dict("file_filter", zerolog.Dict().Uint64("checked", s.FileChecked).Uint64("sent", s.FileSent).Uint64("cached", s.FileCached)).
			Uint64("udp_sends_folded", s.NetFolded).
			Uint64("tcp_states_skipped", s.TCPStatesSkipped).
			Uint64("syscalls_repeated", s.SyscallsRepeated).
			Uint64("alerts_folded", s.AlertsFolded).
			Dict("analytics", zerolog.Dict().Int("tracked", s.Tracked).Uint64("evicted", s.TrackedEvicted)).
			Array("top", suspectsArray(s.Top))
	}
	return d
}
