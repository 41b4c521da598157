package corebtf

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
)

// CO-RE relocation kinds (enum bpf_core_relo_kind).
const (
	reloFieldByteOffset = iota
	reloFieldByteSize
	reloFieldExists
	reloFieldSigned
	reloFieldLShiftU64
	reloFieldRShiftU64
	reloTypeIDLocal
	reloTypeIDTarget
	reloTypeExists
	reloTypeSize
	reloEnumvalExists
	reloEnumvalValue
	reloTypeMatches
)

// Roots are the essential names of the object's relocated types: the
// kernel's types of those names are libbpf's candidates.
type Roots map[string]bool

// ObjectRoots reads the CO-RE relocations of a BPF object (its .BTF.ext
// section) and names the types they relocate (its .BTF section).  An
// object whose relocations a cut BTF cannot serve is refused:
//   - a kernel type id (bpf_core_type_id_kernel) would be the cut BTF's id,
//     not the kernel's;
//   - a type match (bpf_core_type_matches) compares what pointers point to,
//     which the cut drops;
//   - a type's existence or size asked of anything but a struct, union,
//     enum, integer or float would compare what the cut drops too.
func ObjectRoots(obj []byte) (Roots, error) {
	secs, err := elfSections(obj, ".BTF", ".BTF.ext")
	if err != nil {
		return nil, err
	}
	local, err := Parse(secs[0])
	if err != nil {
		return nil, fmt.Errorf(".BTF: %w", err)
	}
	relos, err := coreRelos(secs[1])
	if err != nil {
		return nil, fmt.Errorf(".BTF.ext: %w", err)
	}
	roots := Roots{}
	for _, r := range relos {
		name, err := rootOf(local, r)
		if err != nil {
			return nil, err
		}
		if name != "" {
			roots[name] = true
		}
	}
	return roots, nil
}

// rootOf is the essential name of the type relocation r relocates in the
// object's BTF local, "" for a relocation the kernel's BTF plays no part
// in, or why a cut cannot serve it.
func rootOf(local *Spec, r coreRelo) (string, error) {
	if r.typeID == 0 || int(r.typeID) > local.Count() {
		return "", fmt.Errorf("relocation of type %d, beyond the object's %d types", r.typeID, local.Count())
	}
	name := local.name(r.typeID)
	switch r.kind {
	case reloTypeIDLocal:
		return "", nil // answered from the object's own BTF
	case reloTypeIDTarget:
		return "", fmt.Errorf("type %s: the kernel's type id is asked for", name)
	case reloTypeMatches:
		return "", fmt.Errorf("type %s: a type match is asked for", name)
	case reloTypeExists, reloTypeSize:
		switch local.kindThrough(r.typeID) {
		case kindStruct, kindUnion, kindEnum, kindEnum64, kindInt, kindFloat:
		default:
			return "", fmt.Errorf("type %s: existence or size asked of a type that is not a struct, union, enum, integer or float", name)
		}
	}
	if r.kind > reloTypeMatches {
		return "", fmt.Errorf("type %s: relocation kind %d unknown", name, r.kind)
	}
	if len(name) == 0 {
		return "", fmt.Errorf("relocation of type %d, which has no name", r.typeID)
	}
	return string(essentialName(name)), nil
}

// elfSections are the contents of the sections names of the ELF object
// obj, in that order.
func elfSections(obj []byte, names ...string) ([][]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(obj))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make([][]byte, len(names))
	for i, name := range names {
		sec := f.Section(name)
		if sec == nil {
			return nil, fmt.Errorf("no %s section", name)
		}
		if out[i], err = sec.Data(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return out, nil
}

// coreRelo is one struct bpf_core_relo (the instruction offset and the
// access string are libbpf's business).
type coreRelo struct{ typeID, kind uint32 }

// coreRelos reads the CO-RE relocation records of a .BTF.ext section: a
// header (magic, version, flags, hdr_len, then offset and length pairs of
// the func, line and CO-RE info), then, in the CO-RE info, a record size
// and per program section its name's offset, a count and the records.
func coreRelos(ext []byte) ([]coreRelo, error) {
	if len(ext) < 8 || le.Uint16(ext) != btfMagic {
		return nil, errors.New("not little-endian BTF.ext")
	}
	hdrLen := le.Uint32(ext[4:])
	if hdrLen < 32 || uint64(hdrLen) > uint64(len(ext)) {
		return nil, errors.New("no CO-RE relocations in the header")
	}
	off, n := le.Uint32(ext[24:]), le.Uint32(ext[28:])
	body := ext[hdrLen:]
	if uint64(off)+uint64(n) > uint64(len(body)) {
		return nil, fmt.Errorf("CO-RE relocations [%d, +%d) beyond the section", off, n)
	}
	info := body[off : off+n]
	if len(info) == 0 {
		return nil, nil
	}
	if len(info) < 4 {
		return nil, errors.New("CO-RE relocations cut short")
	}
	recSize := int(le.Uint32(info))
	if recSize < 16 {
		return nil, fmt.Errorf("CO-RE relocation record of %d bytes", recSize)
	}
	var out []coreRelo
	for p := info[4:]; len(p) > 0; {
		if len(p) < 8 {
			return nil, errors.New("CO-RE relocations cut short")
		}
		count := int(le.Uint32(p[4:]))
		p = p[8:]
		if count > len(p)/recSize {
			return nil, errors.New("CO-RE relocations cut short")
		}
		for i := 0; i < count; i++ {
			r := p[i*recSize:]
			out = append(out, coreRelo{typeID: le.Uint32(r[4:]), kind: le.Uint32(r[12:])})
		}
		p = p[count*recSize:]
	}
	return out, nil
}
