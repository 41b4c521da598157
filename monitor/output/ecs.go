package output

// ECS: each record as one Elastic Common Schema document, so Elastic's
// prebuilt Linux rules and dashboards read it without an ingest pipeline.
// Every value comes from the native record (the JSON schema): the ECS
// fields are a mapping of it, and what has no ECS home is under
// ebpf_log_monitor.*, named as in the native JSON.  README lists the map;
// TestECSFieldsAreInTheSchema checks each field and value against ECS's
// own reference.

import (
	"bytes"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/caps"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// ECSVersion is the ECS release the documents conform to.
const ECSVersion = "8.11.0"

// ecsHost is what every document says of the host, read once.
type ecsHost struct {
	name, id, kernel, arch string
}

func readECSHost() ecsHost {
	h := ecsHost{arch: runtime.GOARCH}
	h.name, _ = os.Hostname()
	if b, err := os.ReadFile("/etc/machine-id"); err == nil {
		h.id = strings.TrimSpace(string(b))
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		h.kernel = unix.ByteSliceToString(uts.Release[:])
		h.arch = unix.ByteSliceToString(uts.Machine[:])
	}
	return h
}

type ecsEncoder struct {
	buf  bytes.Buffer
	log  zerolog.Logger
	host ecsHost
}

func newECSEncoder() *ecsEncoder {
	e := &ecsEncoder{host: readECSHost()}
	e.log = zerolog.New(&e.buf)
	return e
}

// ecsSeverity is event.severity: Elastic Security's bands for low (21),
// medium (47) and critical (99).
func ecsSeverity(s record.Severity) int {
	switch s {
	case record.Critical:
		return 99
	case record.Warn:
		return 47
	}
	return 21
}

// ecsClass is a record's event.kind, category, type and action, in the
// values Elastic's rules match (Elastic Defend's actions where it has one).
type ecsClass struct {
	kind       string
	categories []string
	types      []string
	action     string
}

func classify(r *record.Record) ecsClass {
	c := ecsClass{kind: "event", action: r.Event}
	switch {
	case r.Exec != nil:
		c.categories, c.types = []string{"process"}, []string{"start"}
	case r.Exit != nil:
		c.categories, c.types, c.action = []string{"process"}, []string{"end"}, "end"
	case r.Fork != nil:
		c.categories, c.types = []string{"process"}, []string{"start"}
	case r.File != nil:
		c.categories = []string{"file"}
		switch r.Event {
		case "open":
			switch {
			case r.File.Created:
				c.types, c.action = []string{"creation"}, "creation"
			case r.File.Operation == "read":
				c.types = []string{"access"}
			default:
				c.types = []string{"change"}
			}
		case "unlink", "rmdir":
			c.types, c.action = []string{"deletion"}, "deletion"
		case "link", "symlink", "mkdir", "mknod":
			c.types = []string{"creation"}
		default: // rename, chmod, chown, truncate, utimes
			c.types = []string{"change"}
		}
	case r.Network != nil:
		c.categories = []string{"network"}
		switch r.Event {
		case "connect":
			c.types, c.action = []string{"start", "connection"}, "connection_attempted"
		case "accept":
			c.types, c.action = []string{"start", "connection"}, "connection_accepted"
		case "send":
			c.types = []string{"connection"}
		default: // listen, bind
			c.types = []string{"start"}
		}
	case r.Priv != nil:
		c.categories, c.types = []string{"process"}, []string{"change"}
	case r.Syscall != nil:
		c.categories, c.types = []string{"process"}, []string{"info"}
		switch r.Syscall.Name {
		case "init_module", "finit_module":
			c.categories, c.types = []string{"driver"}, []string{"start"}
		case "delete_module":
			c.categories, c.types = []string{"driver"}, []string{"end"}
		case "ptrace", "process_vm_readv", "process_vm_writev":
			c.types = []string{"access"}
		}
	case r.Event == "container_start":
		c.categories, c.types = []string{"host"}, []string{"start"}
	case r.Category == record.CatMonitor:
		switch r.Event {
		case "stats":
			c.kind = "metric"
		case "policy":
			c.categories, c.types = []string{"configuration"}, []string{"change"}
		default: // start, stop, loss
			c.kind = "state"
		}
	}
	if len(r.Rules) > 0 {
		c.kind = "alert"
	}
	return c
}

func outcome(r *record.Record) string {
	switch {
	case r.Category == record.CatMonitor || r.Event == "container_start":
		return ""
	case r.Error != "" || (r.Exec != nil && r.Exec.Ret < 0):
		return "failure"
	}
	return "success"
}

func (e *ecsEncoder) encode(r *record.Record) []byte {
	e.buf.Reset()
	c := classify(r)
	ev := zerolog.Dict().Str("kind", c.kind)
	if len(c.categories) > 0 {
		ev = ev.Strs("category", c.categories).Strs("type", c.types)
	}
	ev = ev.Str("action", c.action).Str("module", "ebpf_log_monitor").Str("dataset", "ebpf_log_monitor."+r.Category).
		Int("severity", ecsSeverity(r.Severity))
	if o := outcome(r); o != "" {
		ev = ev.Str("outcome", o)
	}
	doc := e.log.Log().
		Str("@timestamp", r.Time.UTC().Format(time.RFC3339Nano)).
		Str("message", r.Message).
		Dict("ecs", zerolog.Dict().Str("version", ECSVersion)).
		Dict("event", ev).
		Dict("log", zerolog.Dict().Str("level", r.Severity.String())).
		Dict("host", e.hostDict()).
		Dict("agent", zerolog.Dict().Str("type", "ebpf-log-monitor").Str("name", e.host.name))
	ours := zerolog.Dict().Str("event", r.Event).Str("category", r.Category).Str("severity", r.Severity.String())
	if p := r.Process; p != nil {
		doc = doc.Dict("process", ecsProcess(r, p))
		doc = doc.Dict("user", ecsUser(p.EUID, p.User))
		doc = doc.Dict("group", zerolog.Dict().Str("id", strconv.FormatUint(uint64(p.EGID), 10)))
		ours = ours.Dict("process", processExtras(p))
	}
	if ct := r.Container; ct != nil {
		doc = doc.Dict("container", ecsContainer(ct))
		if ct.Pod != "" {
			doc = doc.Dict("orchestrator", zerolog.Dict().Str("type", "kubernetes").Str("namespace", ct.Namespace).
				Dict("resource", zerolog.Dict().Str("type", "pod").Str("name", ct.Pod)))
		}
		ours = ours.Dict("container", containerDict(ct))
	}
	if x := r.File; x != nil {
		doc = doc.Dict("file", ecsFile(x))
		ours = ours.Dict("file", fileDict(r.Event, x))
	}
	if x := r.Network; x != nil {
		doc = ecsNetwork(doc, x)
		ours = ours.Dict("network", networkDict(r.Event, x))
	}
	if x := r.Exec; x != nil {
		ours = ours.Dict("exec", execDict(x))
	}
	if x := r.Exit; x != nil {
		ours = ours.Dict("exit", exitDict(x))
	}
	if x := r.Fork; x != nil {
		ours = ours.Dict("fork", zerolog.Dict().Uint32("child_pid", x.ChildPID))
	}
	if x := r.Syscall; x != nil {
		ours = ours.Dict("syscall", syscallDict(x))
	}
	if x := r.Priv; x != nil {
		ours = ours.Dict("privilege", privilegeDict(x))
	}
	if m := r.Monitor; m != nil {
		ours = ours.Dict("monitor", monitorDict(m))
	}
	if len(r.Rules) > 0 {
		doc = ecsRules(doc, r.Rules)
		ours = ours.Array("rules", rulesArray(r.Rules))
	}
	if r.Repeats > 0 {
		ours = ours.Uint64("repeats", r.Repeats)
	}
	if r.Degraded {
		ours = ours.Bool("degraded", true)
	}
	if r.Error != "" {
		doc = doc.Dict("error", zerolog.Dict().Str("code", r.Error))
		ours = ours.Str("error", r.Error)
	}
	doc.Dict("ebpf_log_monitor", ours).Send()
	return e.buf.Bytes()
}

func (e *ecsEncoder) hostDict() *zerolog.Event {
	d := zerolog.Dict().Str("name", e.host.name).Str("hostname", e.host.name).Str("architecture", e.host.arch).
		Dict("os", zerolog.Dict().Str("type", "linux").Str("kernel", e.host.kernel))
	if e.host.id != "" {
		d = d.Str("id", e.host.id)
	}
	return d
}

func ecsProcess(r *record.Record, p *record.Process) *zerolog.Event {
	thread := zerolog.Dict().Uint32("id", p.TID)
	if x := r.Priv; x != nil {
		thread = thread.Dict("capabilities", zerolog.Dict().Strs("effective", caps.Names(x.After.CapEffective)).
			Strs("permitted", caps.Names(x.After.CapPermitted)))
	}
	d := zerolog.Dict().Uint32("pid", p.PID).
		Dict("thread", thread).
		Bytes("name", p.Comm).
		Bytes("executable", p.Exe).
		Dict("user", ecsUser(p.EUID, p.User)).
		Dict("real_user", zerolog.Dict().Str("id", strconv.FormatUint(uint64(p.UID), 10))).
		Dict("group", zerolog.Dict().Str("id", strconv.FormatUint(uint64(p.EGID), 10))).
		Dict("real_group", zerolog.Dict().Str("id", strconv.FormatUint(uint64(p.GID), 10)))
	if p.Args != nil {
		d = d.Array("args", argsArray(p.Args)).Int("args_count", len(p.Args)).
			Bytes("command_line", bytes.Join(p.Args, []byte{' '}))
	}
	if p.Cwd != nil {
		d = d.Bytes("working_directory", p.Cwd)
	}
	if p.EntityID != "" {
		d = d.Str("entity_id", p.EntityID)
	}
	if !p.StartTime.IsZero() {
		d = d.Str("start", p.StartTime.UTC().Format(time.RFC3339Nano))
	}
	if p.PidNS != 0 {
		d = d.Uint32("vpid", p.VPID)
	}
	parent := zerolog.Dict().Uint32("pid", p.PPID)
	if p.ParentEntityID != "" {
		parent = parent.Str("entity_id", p.ParentEntityID)
	}
	if len(p.Ancestry) > 0 && p.Ancestry[0].PID == p.PPID && p.Ancestry[0].Exe != "" {
		parent = parent.Str("executable", p.Ancestry[0].Exe).Str("name", path.Base(p.Ancestry[0].Exe))
	}
	d = d.Dict("parent", parent)
	if x := r.Exit; x != nil {
		d = d.Int("exit_code", x.Code).Str("end", r.Time.UTC().Format(time.RFC3339Nano))
	}
	return d
}

func ecsUser(id uint32, name string) *zerolog.Event {
	d := zerolog.Dict().Str("id", strconv.FormatUint(uint64(id), 10))
	if name != "" {
		d = d.Str("name", name)
	}
	return d
}

// processExtras are the native process fields ECS has no home for.
func processExtras(p *record.Process) *zerolog.Event {
	d := zerolog.Dict().Uint32("ppid", p.PPID)
	if p.HasLoginUID {
		d = d.Uint32("loginuid", p.LoginUID)
	}
	if p.Compat {
		d = d.Bool("compat", true)
	}
	if len(p.Script) > 0 {
		d = bytesDict(d, "script", p.Script)
	}
	if p.ExeDeleted {
		d = d.Bool("exe_deleted", true)
	}
	for _, ns := range []struct {
		k string
		v uint32
	}{{"mnt_ns", p.MntNS}, {"pid_ns", p.PidNS}, {"net_ns", p.NetNS}, {"user_ns", p.UserNS}} {
		if ns.v != 0 {
			d = d.Uint32(ns.k, ns.v)
		}
	}
	if p.ParentOutsideNS {
		d = d.Bool("parent_outside_ns", true)
	}
	if len(p.Root) > 0 {
		d = bytesDict(d, "root", p.Root)
	}
	if !utf8.Valid(p.Exe) || !utf8.Valid(p.Comm) {
		d = bytesDict(d, "exe", p.Exe)
		d = bytesDict(d, "comm", p.Comm)
	}
	if p.Args != nil {
		if anyInvalid(p.Args) {
			d = d.Array("args_hex", argsHexArray(p.Args))
		}
		d = d.Bool("args_truncated", p.ArgsTruncated)
	}
	return d.Array("ancestry", ancestryArray(p.Ancestry))
}

func ecsContainer(c *record.Container) *zerolog.Event {
	d := zerolog.Dict().Str("id", c.ID)
	if c.Name != "" {
		d = d.Str("name", c.Name)
	}
	if c.Runtime != "" {
		d = d.Str("runtime", c.Runtime)
	}
	if c.Image != "" {
		name, tag := splitImage(c.Image)
		img := zerolog.Dict().Str("name", name)
		if tag != "" {
			img = img.Strs("tag", []string{tag})
		}
		if c.ImageID != "" {
			img = img.Dict("hash", zerolog.Dict().Strs("all", []string{c.ImageID}))
		}
		d = d.Dict("image", img)
	}
	if c.Privileged {
		d = d.Dict("security_context", zerolog.Dict().Bool("privileged", true))
	}
	return d
}

// splitImage splits "registry:5000/name:tag" at the tag's colon (after the
// last slash); a digest (@sha256:...) stays with the name.
func splitImage(image string) (name, tag string) {
	if strings.Contains(image, "@") {
		return image, ""
	}
	slash := strings.LastIndexByte(image, '/')
	if colon := strings.LastIndexByte(image, ':'); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, ""
}

func ecsFile(x *record.File) *zerolog.Event {
	d := zerolog.Dict().Bytes("path", x.Path).Bytes("name", []byte(path.Base(string(x.Path)))).
		Bytes("directory", []byte(path.Dir(string(x.Path))))
	if len(x.TargetPath) > 0 {
		d = d.Bytes("target_path", x.TargetPath)
	}
	if x.HasMode {
		d = d.Str("mode", Octal(x.Mode&0o7777))
	}
	if o := x.Owner; o != nil {
		if o.UID >= 0 {
			d = d.Str("uid", strconv.FormatInt(o.UID, 10))
		}
		if o.GID >= 0 {
			d = d.Str("gid", strconv.FormatInt(o.GID, 10))
		}
	}
	return d
}

func ecsNetwork(doc *zerolog.Event, x *record.Network) *zerolog.Event {
	n := zerolog.Dict()
	switch x.Protocol {
	case "tcp":
		n = n.Str("transport", "tcp").Str("iana_number", "6")
	case "udp":
		n = n.Str("transport", "udp").Str("iana_number", "17")
	}
	switch x.Family {
	case "inet":
		n = n.Str("type", "ipv4")
	case "inet6":
		n = n.Str("type", "ipv6")
	}
	switch x.Direction {
	case "outbound":
		n = n.Str("direction", "egress")
	case "inbound":
		n = n.Str("direction", "ingress")
	}
	doc = doc.Dict("network", n)
	if x.SrcIP.IsValid() {
		ip := x.SrcIP.Unmap().String()
		doc = doc.Dict("source", zerolog.Dict().Str("ip", ip).Str("address", ip).Uint16("port", x.SrcPort))
	}
	if x.DstIP.IsValid() {
		ip := x.DstIP.Unmap().String()
		doc = doc.Dict("destination", zerolog.Dict().Str("ip", ip).Str("address", ip).Uint16("port", x.DstPort))
	} else if len(x.UnixPath) > 0 {
		doc = doc.Dict("destination", zerolog.Dict().Bytes("address", x.UnixPath))
	}
	return doc
}

// ecsRules fills rule.* with the most severe rule that matched (ECS's rule
// is one rule; every one is in ebpf_log_monitor.rules) and threat.* with
// the ATT&CK techniques of all of them.
func ecsRules(doc *zerolog.Event, rules []record.Rule) *zerolog.Event {
	top := rules[0]
	for _, r := range rules[1:] {
		if r.Severity > top.Severity {
			top = r
		}
	}
	rd := zerolog.Dict().Str("name", top.Name).Str("id", top.Name).Str("ruleset", "ebpf-log-monitor")
	if top.Description != "" {
		rd = rd.Str("description", top.Description)
	}
	doc = doc.Dict("rule", rd)
	var tech, sub []string
	seen := map[string]bool{}
	for _, r := range rules {
		for _, id := range r.Mitre {
			if seen[id] {
				continue
			}
			seen[id] = true
			if i := strings.IndexByte(id, '.'); i > 0 {
				sub = append(sub, id)
				if !seen[id[:i]] {
					seen[id[:i]] = true
					tech = append(tech, id[:i])
				}
			} else {
				tech = append(tech, id)
			}
		}
	}
	if len(tech) == 0 {
		return doc
	}
	t := zerolog.Dict().Strs("id", tech)
	if len(sub) > 0 {
		t = t.Dict("subtechnique", zerolog.Dict().Strs("id", sub))
	}
	return doc.Dict("threat", zerolog.Dict().Str("framework", "MITRE ATT&CK").Dict("technique", t))
}
