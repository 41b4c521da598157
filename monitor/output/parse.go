// Reading the JSON output back into records (replay): the inverse of
// json.go, for everything rules read.  Untrusted bytes come back exactly
// from their "_hex" siblings.  What the JSON does not carry (raw syscall
// arguments, the monitor's pid) reads as empty.

package output

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/caps"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

type jsonRecord struct {
	Time     string `json:"time"`
	Severity string `json:"severity"`
	Event    string `json:"event"`
	Category string `json:"category"`
	Message  string `json:"message"`
	Error    string `json:"error"`
	Repeats  uint64 `json:"repeats"`
	Folded   *struct {
		Objects     []string `json:"objects"`
		ObjectCount int      `json:"object_count"`
		PIDs        []uint32 `json:"pids"`
		PIDCount    int      `json:"pid_count"`
	} `json:"folded"`
	Process   *jsonProcess `json:"process"`
	Container *struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Image      string   `json:"image"`
		ImageID    string   `json:"image_id"`
		Runtime    string   `json:"runtime"`
		Pod        string   `json:"pod"`
		Namespace  string   `json:"namespace"`
		PodUID     string   `json:"pod_uid"`
		Build      bool     `json:"build"`
		Privileged bool     `json:"privileged"`
		Risks      []string `json:"risks"`
	} `json:"container"`
	Exec *jsonExec `json:"exec"`
	Exit *jsonExit `json:"exit"`
	Fork *struct {
		ChildPID uint32 `json:"child_pid"`
	} `json:"fork"`
	File     *jsonFile       `json:"file"`
	Network  *jsonNetwork    `json:"network"`
	Syscall  *jsonSyscall    `json:"syscall"`
	Priv     *jsonPriv       `json:"privilege"`
	Monitor  json.RawMessage `json:"monitor"`
	Rules    []jsonRule      `json:"rules"`
	Degraded bool            `json:"degraded"`
}

type jsonRule struct {
	Name        string   `json:"name"`
	Severity    string   `json:"severity"`
	Mitre       []string `json:"mitre"`
	Description string   `json:"description"`
	Output      string   `json:"output"`
}

type jsonProcess struct {
	PID, TID, PPID, UID, GID, EUID, EGID uint32
	LoginUID                             *uint32  `json:"loginuid"`
	Comm                                 string   `json:"comm"`
	CommHex                              string   `json:"comm_hex"`
	Compat                               bool     `json:"compat"`
	Exe                                  string   `json:"exe"`
	ExeHex                               string   `json:"exe_hex"`
	Script                               string   `json:"script"`
	ScriptHex                            string   `json:"script_hex"`
	ExeDeleted                           bool     `json:"exe_deleted"`
	MntNS                                uint32   `json:"mnt_ns"`
	VPID                                 uint32   `json:"vpid"`
	PidNS                                uint32   `json:"pid_ns"`
	NetNS                                uint32   `json:"net_ns"`
	UserNS                               uint32   `json:"user_ns"`
	ParentOutsideNS                      bool     `json:"parent_outside_ns"`
	Root                                 string   `json:"root"`
	RootHex                              string   `json:"root_hex"`
	Args                                 []string `json:"args"`
	ArgsHex                              []string `json:"args_hex"`
	ArgsTruncated                        bool     `json:"args_truncated"`
	Cwd                                  *string  `json:"cwd"`
	CwdHex                               string   `json:"cwd_hex"`
	EntityID                             string   `json:"entity_id"`
	User                                 string   `json:"user"`
	ParentEntityID                       string   `json:"parent_entity_id"`
	Start                                string   `json:"start"`
	Ancestry                             []struct {
		PID       uint32 `json:"pid"`
		Exe       string `json:"exe"`
		ExeHex    string `json:"exe_hex"`
		Script    string `json:"script"`
		ScriptHex string `json:"script_hex"`
	} `json:"ancestry"`
}

type jsonExec struct {
	Filename          string       `json:"filename"`
	FilenameHex       string       `json:"filename_hex"`
	Ret               int32        `json:"ret"`
	Execveat          bool         `json:"execveat"`
	FilenameTruncated bool         `json:"filename_truncated"`
	ExeTruncated      bool         `json:"exe_truncated"`
	CwdTruncated      bool         `json:"cwd_truncated"`
	ExeDeleted        bool         `json:"exe_deleted"`
	ExeUpperLayer     bool         `json:"exe_upper_layer"`
	ExeTmpfs          bool         `json:"exe_tmpfs"`
	Healthcheck       bool         `json:"healthcheck"`
	StdioSockets      []string     `json:"stdio_sockets"`
	LDPreload         bool         `json:"ld_preload"`
	PathMisses        int          `json:"path_misses"`
	LDPreloadValue    string       `json:"ld_preload_value"`
	LDPreloadValueHex string       `json:"ld_preload_value_hex"`
	DroppedBy         string       `json:"dropped_by"`
	DroppedByHex      string       `json:"dropped_by_hex"`
	StdinFrom         *jsonPipeEnd `json:"stdin_from"`
	StdoutTo          *jsonPipeEnd `json:"stdout_to"`
}

type jsonPipeEnd struct {
	PID       uint32   `json:"pid"`
	Exe       string   `json:"exe"`
	ExeHex    string   `json:"exe_hex"`
	Args      []string `json:"args"`
	ArgsHex   []string `json:"args_hex"`
	Script    string   `json:"script"`
	ScriptHex string   `json:"script_hex"`
}

// pipeEnd is the record form of j; bad hex is kept as err.
func (j jsonPipeEnd) pipeEnd() (record.PipeEnd, error) {
	var errs []error
	exe, err := untrusted(j.Exe, j.ExeHex)
	errs = append(errs, err)
	script, err := untrusted(j.Script, j.ScriptHex)
	errs = append(errs, err)
	p := record.PipeEnd{PID: j.PID, Exe: string(exe), Script: string(script), Args: make([][]byte, len(j.Args))}
	for i, a := range j.Args {
		h := ""
		if i < len(j.ArgsHex) {
			h = j.ArgsHex[i]
		}
		p.Args[i], err = untrusted(a, h)
		errs = append(errs, err)
	}
	return p, errors.Join(errs...)
}

type jsonExit struct {
	Code       int   `json:"code"`
	Signal     int   `json:"signal"`
	CoreDumped bool  `json:"core_dumped"`
	LifetimeNs int64 `json:"lifetime_ns"`
}

type jsonFile struct {
	AccountsAdded []struct {
		Name string `json:"name"`
		UID  uint32 `json:"uid"`
	} `json:"accounts_added"`
	Path              string   `json:"path"`
	PathHex           string   `json:"path_hex"`
	RequestedPath     string   `json:"requested_path"`
	RequestedPathHex  string   `json:"requested_path_hex"`
	HostPath          string   `json:"host_path"`
	HostPathHex       string   `json:"host_path_hex"`
	TargetHostPath    string   `json:"target_host_path"`
	TargetHostPathHex string   `json:"target_host_path_hex"`
	TargetPath        string   `json:"target_path"`
	TargetPathHex     string   `json:"target_path_hex"`
	Operation         string   `json:"operation"`
	Flags             []string `json:"flags"`
	Mode              *string  `json:"mode"`
	ModeBits          []string `json:"mode_bits"`
	Owner             *struct {
		UID int64 `json:"uid"`
		GID int64 `json:"gid"`
	} `json:"owner"`
	Created       bool   `json:"created"`
	MTimeSet      string `json:"mtime_set"`
	ATimeSet      string `json:"atime_set"`
	FD            *int32 `json:"fd"`
	Resolved      bool   `json:"resolved"`
	Via           string `json:"via"`
	PathTruncated bool   `json:"path_truncated"`
	Class         string `json:"class"`
	Watch         string `json:"watch"`
	WatchOwner    *int64 `json:"watch_owner"`
}

type jsonNetwork struct {
	Family      string   `json:"family"`
	Protocol    string   `json:"protocol"`
	SrcIP       string   `json:"src_ip"`
	SrcPort     uint16   `json:"src_port"`
	DstIP       string   `json:"dst_ip"`
	DstPort     uint16   `json:"dst_port"`
	DstScope    string   `json:"dst_scope"`
	PortsTried  int      `json:"ports_tried"`
	HostsTried  int      `json:"hosts_tried"`
	Resolver    bool     `json:"dst_resolver"`
	UnixPath    string   `json:"unix_path"`
	UnixPathHex string   `json:"unix_path_hex"`
	Direction   string   `json:"direction"`
	Sources     []string `json:"sources"`
	Backlog     int      `json:"backlog"`
	Folded      bool     `json:"folded"`
	Count       uint64   `json:"count"`
	Audit       *struct {
		Type      string `json:"type"`
		Enabled   *int64 `json:"enabled"`
		Failure   *int64 `json:"failure"`
		PID       *int64 `json:"pid"`
		RateLimit *int64 `json:"rate_limit"`
	} `json:"audit"`
}

type jsonSyscall struct {
	Name                 string          `json:"name"`
	Nr                   uint32          `json:"nr"`
	Group                string          `json:"group"`
	Ret                  int64           `json:"ret"`
	Args                 json.RawMessage `json:"args"`
	TargetPID            uint32          `json:"target_pid"`
	TargetExe            string          `json:"target_exe"`
	TargetIsDescendant   bool            `json:"target_is_descendant"`
	TargetIsMonitor      *bool           `json:"target_is_monitor"`
	EntersOtherNamespace *bool           `json:"enters_other_namespace"`
	EntersHostNamespace  *bool           `json:"enters_host_namespace"`
}

type jsonCreds struct {
	UID, EUID, SUID, FSUID, GID, EGID uint32
	CapEffective                      []string `json:"cap_effective"`
}

type jsonPriv struct {
	Means     string    `json:"means"`
	Syscall   string    `json:"syscall"`
	Gained    []string  `json:"gained"`
	Before    jsonCreds `json:"before"`
	After     jsonCreds `json:"after"`
	ExeUID    *int64    `json:"exe_uid"`
	ExeMode   string    `json:"exe_mode"`
	SeenAt    string    `json:"seen_at"`
	SyscallNr int64     `json:"syscall_nr"`
}

// untrusted returns a value's exact bytes: from its _hex sibling when the
// value was not valid UTF-8.
func untrusted(s, hexed string) ([]byte, error) {
	if hexed != "" {
		b, err := hex.DecodeString(hexed)
		if err != nil {
			return nil, fmt.Errorf("bad _hex value: %w", err)
		}
		return b, nil
	}
	return []byte(s), nil
}

// ParseJSON reads one line of the JSON output back into a record.  The
// record's rules and severity are those it was written with; replay
// judges it again.
func ParseJSON(line []byte) (*record.Record, error) {
	var j jsonRecord
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&j); err != nil {
		return nil, err
	}
	if j.Event == "" || j.Time == "" {
		return nil, errors.New("not a record of ours: no time or event")
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	sev, err := record.ParseSeverity(j.Severity)
	if err != nil {
		return nil, err
	}
	r := &record.Record{Time: t, Severity: sev, Event: j.Event, Category: j.Category, Message: j.Message,
		Error: j.Error, Repeats: j.Repeats, Degraded: j.Degraded}
	if f := j.Folded; f != nil {
		r.Folded = &record.Folded{Objects: f.Objects, ObjectCount: f.ObjectCount, PIDs: f.PIDs, PIDCount: f.PIDCount}
	}
	for _, x := range j.Rules {
		s, err := record.ParseSeverity(x.Severity)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		r.Rules = append(r.Rules, record.Rule{Name: x.Name, Severity: s, Mitre: x.Mitre, Description: x.Description, Output: x.Output})
	}
	if len(j.Monitor) > 0 {
		r.Monitor = &record.Monitor{} // the monitor's own records are not judged
	}
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if p := j.Process; p != nil {
		rp := &record.Process{PID: p.PID, TID: p.TID, PPID: p.PPID, UID: p.UID, GID: p.GID, EUID: p.EUID,
			EGID: p.EGID, Compat: p.Compat, ExeDeleted: p.ExeDeleted, ArgsTruncated: p.ArgsTruncated,
			MntNS: p.MntNS, VPID: p.VPID, PidNS: p.PidNS, NetNS: p.NetNS, UserNS: p.UserNS,
			ParentOutsideNS: p.ParentOutsideNS}
		if p.LoginUID != nil {
			rp.LoginUID, rp.HasLoginUID = *p.LoginUID, true
		}
		rp.Comm, err = untrusted(p.Comm, p.CommHex)
		keep(err)
		rp.Exe, err = untrusted(p.Exe, p.ExeHex)
		keep(err)
		rp.Script, err = untrusted(p.Script, p.ScriptHex)
		keep(err)
		if len(rp.Script) == 0 {
			rp.Script = nil
		}
		rp.Root, err = untrusted(p.Root, p.RootHex)
		keep(err)
		if len(rp.Root) == 0 {
			rp.Root = nil
		}
		if p.Cwd != nil {
			rp.Cwd, err = untrusted(*p.Cwd, p.CwdHex)
			keep(err)
		}
		rp.EntityID, rp.ParentEntityID, rp.User = p.EntityID, p.ParentEntityID, p.User
		if p.Start != "" {
			rp.StartTime, err = time.Parse(time.RFC3339Nano, p.Start)
			keep(err)
		}
		if p.Args != nil {
			rp.Args = make([][]byte, len(p.Args))
			for i, a := range p.Args {
				h := ""
				if i < len(p.ArgsHex) {
					h = p.ArgsHex[i]
				}
				rp.Args[i], err = untrusted(a, h)
				keep(err)
			}
		}
		for _, a := range p.Ancestry {
			exe, err := untrusted(a.Exe, a.ExeHex)
			keep(err)
			script, err := untrusted(a.Script, a.ScriptHex)
			keep(err)
			rp.Ancestry = append(rp.Ancestry, record.Ancestor{PID: a.PID, Exe: string(exe), Script: string(script)})
		}
		r.Process = rp
	}
	if c := j.Container; c != nil {
		r.Container = &record.Container{ID: c.ID, Runtime: c.Runtime, PodUID: c.PodUID, Name: c.Name, Image: c.Image,
			ImageID: c.ImageID, Pod: c.Pod, Namespace: c.Namespace, Build: c.Build, Privileged: c.Privileged, Risks: c.Risks}
	}
	if x := j.Exec; x != nil {
		e := &record.Exec{Ret: x.Ret, Execveat: x.Execveat, FilenameTruncated: x.FilenameTruncated,
			ExeTruncated: x.ExeTruncated, CwdTruncated: x.CwdTruncated,
			ExeDeleted: x.ExeDeleted, ExeUpperLayer: x.ExeUpperLayer, ExeTmpfs: x.ExeTmpfs, Healthcheck: x.Healthcheck, StdioSockets: x.StdioSockets, LDPreload: x.LDPreload,
			PathMisses: x.PathMisses}
		e.Filename, err = untrusted(x.Filename, x.FilenameHex)
		keep(err)
		e.LDPreloadValue, err = untrusted(x.LDPreloadValue, x.LDPreloadValueHex)
		keep(err)
		if len(e.LDPreloadValue) == 0 {
			e.LDPreloadValue = nil
		}
		dropper, err := untrusted(x.DroppedBy, x.DroppedByHex)
		keep(err)
		e.DroppedBy = string(dropper)
		for _, end := range []struct {
			from *jsonPipeEnd
			to   **record.PipeEnd
		}{{x.StdinFrom, &e.StdinFrom}, {x.StdoutTo, &e.StdoutTo}} {
			if end.from != nil {
				pe, err := end.from.pipeEnd()
				keep(err)
				*end.to = &pe
			}
		}
		r.Exec = e
	}
	if x := j.Exit; x != nil {
		r.Exit = &record.Exit{Code: x.Code, Signal: x.Signal, CoreDumped: x.CoreDumped, Lifetime: time.Duration(x.LifetimeNs)}
	}
	if x := j.Fork; x != nil {
		r.Fork = &record.Fork{ChildPID: x.ChildPID}
	}
	if x := j.File; x != nil {
		f, err := parseFile(x, j.Event)
		keep(err)
		for _, a := range x.AccountsAdded {
			f.AccountsAdded = append(f.AccountsAdded, record.Account{Name: a.Name, UID: a.UID})
		}
		r.File = f
	}
	if x := j.Network; x != nil {
		n := &record.Network{Family: x.Family, Protocol: x.Protocol, SrcPort: x.SrcPort, DstPort: x.DstPort,
			Direction: x.Direction, Sources: x.Sources, Backlog: x.Backlog, Folded: x.Folded, Count: x.Count,
			DstScope: x.DstScope, Resolver: x.Resolver, PortsTried: x.PortsTried, HostsTried: x.HostsTried}
		if x.SrcIP != "" {
			n.SrcIP, err = netip.ParseAddr(x.SrcIP)
			keep(err)
		}
		if x.DstIP != "" {
			n.DstIP, err = netip.ParseAddr(x.DstIP)
			keep(err)
		}
		n.UnixPath, err = untrusted(x.UnixPath, x.UnixPathHex)
		keep(err)
		if len(n.UnixPath) == 0 {
			n.UnixPath = nil
		}
		if a := x.Audit; a != nil {
			n.Audit = &record.AuditMessage{Type: a.Type}
			for _, f := range []struct {
				from *int64
				to   *int64
			}{{a.Enabled, &n.Audit.Enabled}, {a.Failure, &n.Audit.Failure}, {a.PID, &n.Audit.PID}, {a.RateLimit, &n.Audit.RateLim}} {
				*f.to = -1
				if f.from != nil {
					*f.to = *f.from
				}
			}
		}
		r.Network = n
	}
	if x := j.Syscall; x != nil {
		s := &record.Syscall{Name: x.Name, Nr: x.Nr, Group: x.Group, Ret: x.Ret, TargetPID: x.TargetPID, TargetExe: x.TargetExe}
		s.TargetIsDescendant = x.TargetIsDescendant
		s.TargetIsMonitor = x.TargetIsMonitor
		s.EntersOtherNamespace = x.EntersOtherNamespace
		s.EntersHostNamespace = x.EntersHostNamespace
		s.Args, err = parseArgs(x.Args)
		keep(err)
		r.Syscall = s
	}
	if x := j.Priv; x != nil {
		p := &record.Privilege{Means: x.Means, Syscall: x.Syscall, Gained: x.Gained, SeenAt: x.SeenAt,
			SyscallNr: x.SyscallNr, ExeUID: -1, Before: creds(&x.Before), After: creds(&x.After)}
		if x.ExeUID != nil {
			p.ExeUID = *x.ExeUID
		}
		if x.ExeMode != "" {
			m, err := strconv.ParseUint(x.ExeMode, 8, 32)
			keep(err)
			p.ExeMode = uint32(m)
		}
		r.Priv = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func creds(c *jsonCreds) record.Creds {
	out := record.Creds{UID: c.UID, EUID: c.EUID, SUID: c.SUID, FSUID: c.FSUID, GID: c.GID, EGID: c.EGID}
	for _, name := range c.CapEffective {
		for i := 0; i < 64; i++ {
			if caps.Name(i) == name {
				out.CapEffective |= 1 << i
			}
		}
	}
	return out
}

func parseFile(x *jsonFile, event string) (*record.File, error) {
	f := &record.File{Operation: x.Operation, Resolved: x.Resolved, Via: x.Via, PathTruncated: x.PathTruncated,
		Class: x.Class, Watch: x.Watch, FD: -1, WatchOwner: -1, Created: x.Created}
	var errs []error
	var err error
	for _, t := range []struct {
		s  string
		to *time.Time
	}{{x.MTimeSet, &f.MTimeSet}, {x.ATimeSet, &f.ATimeSet}} {
		if t.s != "" {
			*t.to, err = time.Parse(time.RFC3339, t.s)
			errs = append(errs, err)
		}
	}
	f.Path, err = untrusted(x.Path, x.PathHex)
	errs = append(errs, err)
	f.RequestedPath, err = untrusted(x.RequestedPath, x.RequestedPathHex)
	errs = append(errs, err)
	if len(f.RequestedPath) == 0 {
		f.RequestedPath = f.Path // written only when it differs
	}
	f.TargetPath, err = untrusted(x.TargetPath, x.TargetPathHex)
	errs = append(errs, err)
	if len(f.TargetPath) == 0 {
		f.TargetPath = nil
	}
	f.HostPath, err = untrusted(x.HostPath, x.HostPathHex)
	errs = append(errs, err)
	f.TargetHost, err = untrusted(x.TargetHostPath, x.TargetHostPathHex)
	errs = append(errs, err)
	if len(f.HostPath) == 0 {
		f.HostPath = nil
	}
	if len(f.TargetHost) == 0 {
		f.TargetHost = nil
	}
	f.OpenFlags, err = flagBits(event, x.Flags)
	errs = append(errs, err)
	if x.Mode != nil {
		m, err := strconv.ParseUint(*x.Mode, 8, 32)
		errs = append(errs, err)
		f.Mode, f.HasMode = uint32(m), true
		for _, b := range x.ModeBits {
			switch b {
			case "S_IFCHR":
				f.Mode |= unix.S_IFCHR
			case "S_IFBLK":
				f.Mode |= unix.S_IFBLK
			case "S_IFIFO":
				f.Mode |= unix.S_IFIFO
			case "S_IFSOCK":
				f.Mode |= unix.S_IFSOCK
			case "S_IFREG":
				f.Mode |= unix.S_IFREG
			}
		}
	}
	if x.Owner != nil {
		f.Owner = &record.Owner{UID: x.Owner.UID, GID: x.Owner.GID}
	}
	if x.FD != nil {
		f.FD = *x.FD
	}
	if x.WatchOwner != nil {
		f.WatchOwner = *x.WatchOwner
	}
	return f, errors.Join(errs...)
}

// flagBits is the inverse of OpenFlagNames and AtFlagNames.
func flagBits(event string, names []string) (uint32, error) {
	var out uint32
	tables := [][]flagName{openFlagNames, {{unix.O_TMPFILE, "O_TMPFILE"}, {unix.O_SYNC, "O_SYNC"},
		{unix.O_WRONLY, "O_WRONLY"}, {unix.O_RDWR, "O_RDWR"}, {0, "O_RDONLY"}, {unix.O_ACCMODE, "O_ACCMODE"}}}
	if event != "open" {
		tables = [][]flagName{atFlagNames}
		if event == "rename" {
			tables = [][]flagName{renameFlagNames}
		}
	}
next:
	for _, n := range names {
		if h, ok := strings.CutPrefix(n, "0x"); ok {
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				return 0, fmt.Errorf("file.flags: %q", n)
			}
			out |= uint32(v)
			continue
		}
		for _, t := range tables {
			for _, f := range t {
				if f.name == n {
					out |= f.bit
					continue next
				}
			}
		}
		return 0, fmt.Errorf("file.flags: unknown flag %q", n)
	}
	return out, nil
}

// parseArgs reads the syscall's arguments in their order.
func parseArgs(raw json.RawMessage) ([]record.Arg, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("syscall.args: want an object")
	}
	var out []record.Arg
	hexed := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if base, ok := strings.CutSuffix(key, "_hex"); ok {
			if s, ok := v.(string); ok {
				hexed[base] = s
				continue
			}
		}
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				v = i
			} else if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
				v = u
			} else {
				return nil, fmt.Errorf("syscall.args.%s: %v", key, x)
			}
		case []any:
			ss := make([]string, len(x))
			for i, e := range x {
				ss[i], _ = e.(string)
			}
			v = ss
		}
		out = append(out, record.Arg{Key: key, Value: v})
	}
	for i, a := range out {
		if h, ok := hexed[a.Key]; ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				return nil, fmt.Errorf("syscall.args.%s_hex: %w", a.Key, err)
			}
			out[i].Value = b
		}
	}
	return out, nil
}
