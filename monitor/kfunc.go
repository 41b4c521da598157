package monitor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// kernelHasFunc says whether the running kernel's BTF names the function
// name: how the loader learns which kfuncs the BPF programs may call (a
// kfunc the kernel lacks must stay on a dead branch).  It streams the BTF
// string section through a small buffer: loading the whole BTF (libbpf's
// btf__load_vmlinux_btf) cost up to 10 MiB of peak RSS when the C
// allocator did not reuse it for libbpf's own load a moment later.  A
// kernel symbol name is present in the strings only if the kernel has it.
func kernelHasFunc(name string) (bool, error) {
	// the running kernel's own BTF, whatever --btf-file says: a kernel
	// without it has no kfuncs
	f, err := os.Open(DefaultBTFFile)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return btfHasString(f, name)
}

// btfHasString scans the string section of the raw BTF in r for s.
func btfHasString(r io.ReaderAt, s string) (bool, error) {
	var h struct {
		Magic            uint16
		Version, Flags   uint8
		HdrLen           uint32
		TypeOff, TypeLen uint32
		StrOff, StrLen   uint32
	}
	if err := binary.Read(io.NewSectionReader(r, 0, 24), binary.LittleEndian, &h); err != nil {
		return false, fmt.Errorf("BTF header: %w", err)
	}
	if h.Magic != 0xeb9f {
		return false, fmt.Errorf("not little-endian BTF (magic %#x)", h.Magic)
	}
	want := []byte("\x00" + s + "\x00")
	sec := io.NewSectionReader(r, int64(h.HdrLen)+int64(h.StrOff), int64(h.StrLen))
	buf := make([]byte, 64<<10)
	keep := 0 // bytes carried over from the previous chunk
	for {
		n, err := sec.Read(buf[keep:])
		if bytes.Contains(buf[:keep+n], want) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		// a match may straddle chunks: keep the tail
		end := keep + n
		keep = min(len(want)-1, end)
		copy(buf, buf[end-keep:end])
	}
}
