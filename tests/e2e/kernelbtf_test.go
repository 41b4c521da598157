package e2e

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// keptKernelBTF is where a start keeps the kernel BTF cut for its object
// and the type ids it casts to (monitor/kerneltypes.go).
const keptKernelBTF = "/run/ebpf-log-monitor/kernel-btf"

// progTags are the tags of the BPF programs monitor pid holds, sorted.  A
// program's tag is a hash of its instructions as libbpf handed them to the
// kernel, map references left out: after CO-RE relocation, so two loads
// relocated alike have the same tags.
func progTags(t *testing.T, pid int) []string {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, e := range ents {
		if link, _ := os.Readlink(filepath.Join(dir, e.Name())); link != "anon_inode:bpf-prog" {
			continue
		}
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if tag, ok := strings.CutPrefix(sc.Text(), "prog_tag:"); ok {
				tags = append(tags, strings.TrimSpace(tag))
			}
		}
		f.Close()
	}
	slices.Sort(tags)
	return tags
}

// startedTags starts the monitor with args, and returns its start record,
// its programs' tags and its diagnostics (--debug is added).
func startedTags(t *testing.T, args ...string) (rec, []string, string) {
	t.Helper()
	m := startMonitor(t, append([]string{"--debug"}, args...)...)
	start := m.waitFor(t, 5*time.Second, "start record", eventIs("start"))
	tags := progTags(t, m.cmd.Process.Pid)
	m.stop(t)
	return start, tags, m.stderr.String()
}

// libbpf relocates the object against the kernel's BTF cut down to the
// types the object names (monitor/corebtf): the programs it loads must be
// the very ones it loads when it searches the whole BTF, whichever object
// this kernel takes, and with a --btf-file too.  The cut is kept for the
// next start, which reads it back; a damaged kept cut is passed over.
func TestCutKernelBTFRelocatesAsTheWholeOne(t *testing.T) {
	os.Remove(keptKernelBTF)
	t.Cleanup(func() { os.Remove(keptKernelBTF) }) // a damaged file must not outlive the test

	start, whole, _ := startedTags(t, "--core-btf", "whole")
	object := start.str("monitor", "bpf_object")
	if len(whole) < 5 {
		t.Fatalf("%d programs loaded with the whole BTF (%s): too few to compare", len(whole), object)
	}
	os.Remove(keptKernelBTF)
	_, cut, diag := startedTags(t)
	if !strings.Contains(diag, "kernel BTF read and cut to the types the object relocates") {
		t.Fatalf("the first start did not cut the kernel BTF (%s); diagnostics:\n%s", object, grepLines(diag, "kernel BTF"))
	}
	if !slices.Equal(cut, whole) {
		t.Errorf("%s relocated against the cut loads other programs than against the whole BTF:\ncut   %v\nwhole %v", object, cut, whole)
	}
	_, back, diag := startedTags(t)
	if !strings.Contains(diag, "kernel BTF: the cut and the cast ids read back") {
		t.Errorf("the next start did not read the kept cut back; diagnostics:\n%s", grepLines(diag, "kernel BTF"))
	}
	if !slices.Equal(back, whole) {
		t.Errorf("%s relocated against the kept cut loads other programs than against the whole BTF:\nkept  %v\nwhole %v", object, back, whole)
	}

	// the kept cut, damaged: read over, made again, kept whole
	b, err := os.ReadFile(keptKernelBTF)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keptKernelBTF, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	_, again, diag := startedTags(t)
	if !strings.Contains(diag, "kernel BTF read and cut to the types the object relocates") {
		t.Errorf("a start with a damaged kept cut did not cut again; diagnostics:\n%s", grepLines(diag, "kernel BTF"))
	}
	if !slices.Equal(again, whole) {
		t.Errorf("%s after a damaged kept cut loads other programs than against the whole BTF:\nagain %v\nwhole %v", object, again, whole)
	}
	if now, err := os.ReadFile(keptKernelBTF); err != nil || !bytes.Equal(now, b) {
		t.Errorf("the damaged kept cut was not replaced by the whole one (%d bytes, want %d; %v)", len(now), len(b), err)
	}

	// a --btf-file (here a copy of the kernel's) is cut too, for the
	// object that serves any kernel
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		t.Fatal(err)
	}
	btfFile := filepath.Join(t.TempDir(), "vmlinux.btf")
	if err := os.WriteFile(btfFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	start, fileWhole, _ := startedTags(t, "--btf-file", btfFile, "--core-btf", "whole")
	_, fileCut, diag := startedTags(t, "--btf-file", btfFile)
	if !strings.Contains(diag, "kernel BTF read and cut") && !strings.Contains(diag, "kernel BTF: the cut and the cast ids read back") {
		t.Errorf("the --btf-file was not cut; diagnostics:\n%s", grepLines(diag, "kernel BTF"))
	}
	if !slices.Equal(fileCut, fileWhole) {
		t.Errorf("%s with a --btf-file, cut, loads other programs than with the whole file:\ncut   %v\nwhole %v",
			start.str("monitor", "bpf_object"), fileCut, fileWhole)
	}
}

// grepLines are the lines of s that hold sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
