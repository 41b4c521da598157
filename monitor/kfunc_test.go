package monitor

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// rawBTF builds a header-plus-strings BTF blob (no types) for btfHasString.
func rawBTF(strs string) []byte {
	var b bytes.Buffer
	hdr := []any{uint16(0xeb9f), uint8(1), uint8(0), uint32(24),
		uint32(0), uint32(0), uint32(0), uint32(len(strs))}
	for _, v := range hdr {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString(strs)
	return b.Bytes()
}

func TestBTFHasString(t *testing.T) {
	// a name placed across the 64 KiB chunk boundary of the scan, and one
	// that exists only as a prefix of a longer name
	pad := strings.Repeat("x", 64<<10-10)
	blob := rawBTF("\x00" + pad + "\x00bpf_rdonly_cast\x00bpf_cast_to_kern_ctx_long\x00")
	for name, want := range map[string]bool{
		"bpf_rdonly_cast":      true,
		"bpf_cast_to_kern_ctx": false, // only a prefix of a longer string
		"rdonly_cast":          false, // only a suffix
		"absent":               false,
	} {
		got, err := btfHasString(bytes.NewReader(blob), name)
		if err != nil || got != want {
			t.Errorf("btfHasString(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := btfHasString(bytes.NewReader([]byte("not BTF at all, not at all")), "x"); err == nil {
		t.Errorf("btfHasString accepted a blob without the BTF magic")
	}
}

// The running kernel's BTF: a function every kernel has is found, a made-up
// one is not (the monitor needs this BTF to run at all).
func TestKernelHasFunc(t *testing.T) {
	for name, want := range map[string]bool{"do_sys_openat2": true, "lm_no_such_function": false} {
		got, err := kernelHasFunc(name)
		if err != nil || got != want {
			t.Errorf("kernelHasFunc(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}
