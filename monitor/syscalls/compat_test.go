package syscalls

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

// unistd reads "#define __NR_name nr" lines of a kernel uapi header.
func unistd(t *testing.T, path string) map[string]uint32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the kernel's syscall numbers: %v", err)
	}
	defer f.Close()
	m := map[string]uint32{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) == 3 && fs[0] == "#define" && strings.HasPrefix(fs[1], "__NR_") {
			if n, err := strconv.ParseUint(fs[2], 10, 32); err == nil {
				m[strings.TrimPrefix(fs[1], "__NR_")] = uint32(n)
			}
		}
	}
	return m
}

// Every pair is checked against the kernel's own tables: the i386 number
// is that name (or name32, the 32-bit-uid variant) in unistd_32.h, the
// x86-64 one is that name in unistd_64.h.
func TestCompatNumbersMatchTheKernelHeaders(t *testing.T) {
	// copies of Linux 6.12's headers (testdata/README.md): the host's
	// linux-libc-dev may be older than a call in the table
	n32 := unistd(t, "testdata/unistd_32.h")
	n64 := unistd(t, "testdata/unistd_64.h")
	seen32 := map[uint32]bool{}
	for _, c := range Compat {
		if c.KernelValue()&^event.CompatID16 != c.Nr || (c.KernelValue()&event.CompatID16 != 0) != c.ID16 {
			t.Errorf("%s: kernel value %#x", c.Name, c.KernelValue())
		}
		if seen32[c.Nr32] {
			t.Errorf("i386 %d listed twice", c.Nr32)
		}
		seen32[c.Nr32] = true
		got32, ok := n32[c.Name+"32"]
		if !ok || c.ID16 {
			got32, ok = n32[c.Name]
		}
		if !ok || got32 != c.Nr32 {
			t.Errorf("%s: i386 number %d, unistd_32.h says %d (found %v)", c.Name, c.Nr32, got32, ok)
		}
		if c.Nr == CompatSocketcall {
			continue
		}
		// an i386 call with 64-bit times is the x86-64 call of the plain name
		if got, ok := n64[strings.TrimSuffix(c.Name, "_time64")]; !ok || got != c.Nr {
			t.Errorf("%s: x86-64 number %d, unistd_64.h says %d (found %v)", c.Name, c.Nr, got, ok)
		}
	}
}

// Each call of the security-sensitive table has its i386 twin here, but
// those the comment on Compat leaves out.
func TestCompatCoversTheSyscallTable(t *testing.T) {
	have := map[uint32]bool{}
	for _, c := range Compat {
		have[c.Nr] = true
	}
	for _, s := range Table {
		if !have[s.Nr] && s.Name != "kexec_file_load" { // no i386 kexec_file_load
			t.Errorf("%s (%d) has no i386 number in Compat", s.Name, s.Nr)
		}
	}
}

// The kernel side's first test lets through exactly the numbers of the
// two tables: a number left out would be a call never reported.
func TestBitsHoldEveryNumberOfTheTables(t *testing.T) {
	tb, cb := TableBits(), CompatBits()
	want := map[uint32]bool{}
	for i := range Table {
		want[Table[i].Nr] = true
	}
	wantCompat := map[uint32]bool{}
	for _, c := range Compat {
		wantCompat[c.Nr32] = true
	}
	for nr := uint32(0); nr < event.SyscallTableLen+8; nr++ {
		if tb.Has(nr) != want[nr] {
			t.Errorf("table bit %d: %v, table has it: %v", nr, tb.Has(nr), want[nr])
		}
		if cb.Has(nr) != wantCompat[nr] {
			t.Errorf("compat bit %d: %v, compat table has it: %v", nr, cb.Has(nr), wantCompat[nr])
		}
	}
}
