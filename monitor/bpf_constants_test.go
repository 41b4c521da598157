package monitor

import (
	"bytes"
	"debug/elf"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// The constants the kernel side filters on, checked where they cross into
// user space or come from the kernel: each is in the BPF object's BTF (an
// enum named in btf_anchor) or in btf_anchor's bytes, and is compared here
// with the kernel's own values and with the Go code that depends on it.

func objectEnum(t *testing.T, spec *btf.Spec, name string) map[string]uint64 {
	t.Helper()
	var e *btf.Enum
	if err := spec.TypeByName(name, &e); err != nil {
		t.Fatalf("enum %s in the embedded BPF object: %v", name, err)
	}
	out := map[string]uint64{}
	for _, v := range e.Values {
		out[v.Name] = v.Value
	}
	return out
}

// objectELF opens the object the binary embeds (embed.go) as ELF.
func objectELF(t *testing.T) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bpfObject))
	if err != nil {
		t.Fatalf("the embedded BPF object: %v", err)
	}
	return f
}

func objectSpec(t *testing.T) *btf.Spec {
	t.Helper()
	// the object the binary embeds (embed.go), as it will be loaded
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(bpfObject))
	if err != nil {
		t.Fatalf("BTF of the embedded BPF object: %v", err)
	}
	return spec
}

// The ptrace requests and prctl options the kernel side reports are the
// kernel's numbers, and every request the process-injection rule looks
// for is among those reported (one the kernel dropped would never fire).
func TestKernelFiltersMatchTheRules(t *testing.T) {
	spec := objectSpec(t)
	kernel := map[string]uint64{
		"PTRACE_TRACEME": unix.PTRACE_TRACEME, "PTRACE_POKETEXT": unix.PTRACE_POKETEXT,
		"PTRACE_POKEDATA": unix.PTRACE_POKEDATA, "PTRACE_POKEUSR": unix.PTRACE_POKEUSR,
		"PTRACE_SETREGS": unix.PTRACE_SETREGS, "PTRACE_ATTACH": unix.PTRACE_ATTACH,
		"PTRACE_SETREGSET": unix.PTRACE_SETREGSET, "PTRACE_SEIZE": unix.PTRACE_SEIZE,
		"PR_SET_DUMPABLE": unix.PR_SET_DUMPABLE, "PR_SET_NAME": unix.PR_SET_NAME,
		"PR_SET_SECCOMP": unix.PR_SET_SECCOMP, "PR_CAP_AMBIENT": unix.PR_CAP_AMBIENT,
		"PR_SET_PTRACER":           unix.PR_SET_PTRACER,
		"SYSLOG_ACTION_READ_CLEAR": unix.SYSLOG_ACTION_READ_CLEAR, "SYSLOG_ACTION_CLEAR": unix.SYSLOG_ACTION_CLEAR,
		"AUDIT_SET": unix.AUDIT_SET, "AUDIT_ADD_RULE": unix.AUDIT_ADD_RULE, "AUDIT_DEL_RULE": unix.AUDIT_DEL_RULE,
		"AUDIT_TRIM": unix.AUDIT_TRIM, "AUDIT_MAKE_EQUIV": unix.AUDIT_MAKE_EQUIV, "AUDIT_SET_FEATURE": unix.AUDIT_SET_FEATURE,
	}
	var reported []uint64
	var syslogReported []string
	for _, enum := range []string{"ptrace_reported", "prctl_reported", "syslog_reported", "audit_reported"} {
		for name, v := range objectEnum(t, spec, enum) {
			name = strings.TrimPrefix(name, "REPORT_")
			if k, ok := kernel[name]; !ok || k != v {
				t.Errorf("%s: %s = %#x, the kernel's is %#x (known %v)", enum, name, v, k, ok)
			}
			if enum == "ptrace_reported" {
				reported = append(reported, v)
			}
			if enum == "audit_reported" && netinfo.AuditTypes[uint32(v)] != name {
				t.Errorf("the kernel side reports audit message %s (%d), which the decoder names %q", name, v, netinfo.AuditTypes[uint32(v)])
			}
			if enum == "syslog_reported" {
				if !syscalls.SyslogClears(v) {
					t.Errorf("the kernel side reports syslog action %#x, which the decoder does not count as a clear", v)
				}
				syslogReported = append(syslogReported, syslogAction(t, v))
			}
		}
	}
	// log-tampering's actions are exactly those the kernel reports
	clears := policy.Builtin().Lists["log_clear_actions"].Items
	slices.Sort(clears)
	slices.Sort(syslogReported)
	if !slices.Equal(clears, syslogReported) {
		t.Errorf("log-tampering looks for syslog actions %v, the kernel side reports %v", clears, syslogReported)
	}
	for _, r := range rules.InjectionPtraceRequests {
		if !slices.Contains(reported, r) {
			t.Errorf("process-injection looks for ptrace request %#x, which the kernel side does not report", r)
		}
	}
	mask := objectEnum(t, spec, "syscall_filters")["CLONE_NS_MASK"]
	want := uint64(unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
		unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWTIME)
	if mask != want {
		t.Errorf("CLONE_NS_MASK %#x, every namespace flag is %#x", mask, want)
	}
}

// The path patterns the kernel writes into watch keys are the ones the
// default watch list holds (watch.ProcMemPattern, watch.ReleaseAgentPattern).
func TestKernelPatternsAreTheWatchLists(t *testing.T) {
	spec := objectSpec(t)
	var anchor *btf.Struct
	if err := spec.TypeByName("btf_anchor", &anchor); err != nil {
		t.Fatal(err)
	}
	f := objectELF(t)
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, s := range syms {
		if s.Name == "btf_anchor" {
			sec := f.Sections[s.Section]
			b, err := sec.Data()
			if err != nil {
				t.Fatal(err)
			}
			data = b[s.Value : s.Value+s.Size]
		}
	}
	if data == nil {
		t.Fatal("no btf_anchor symbol in the embedded BPF object")
	}
	want := map[string]string{
		"proc_mem_pattern":      watch.ProcMemPattern,
		"release_agent_pattern": watch.ReleaseAgentPattern,
	}
	for _, m := range anchor.Members {
		w, ok := want[m.Name]
		if !ok {
			continue
		}
		delete(want, m.Name)
		size, _ := btf.Sizeof(m.Type)
		b := data[m.Offset.Bytes() : int(m.Offset.Bytes())+size]
		if got := string(bytes.TrimRight(b, "\x00")); got != w {
			t.Errorf("%s: the kernel writes %q, the watch list holds %q", m.Name, got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("btf_anchor lacks %v", want)
	}
}

// syslogAction is the decoder's name of a syslog(2) action.
func syslogAction(t *testing.T, v uint64) string {
	t.Helper()
	args := syscalls.Lookup(unix.SYS_SYSLOG).Decode(&syscalls.Call{Args: [6]uint64{v}})
	name, _ := args[0].Value.(string)
	return name
}
