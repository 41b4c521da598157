// Package corebtf cuts the kernel's BTF down to the types the BPF object's
// CO-RE relocations can match, for libbpf to relocate against instead of the
// whole kernel BTF.
//
// Why: libbpf finds the kernel's candidates for each local type the object
// relocates by walking every type of the kernel's BTF, once per local type.
// The object relocates about 40 types and a distribution kernel has about
// 130,000, so a start walks five million types: about a tenth of a start,
// more under emulation (bench/README.md, 2026-12-03 afternoon).  The cut BTF
// holds a few thousand.
//
// What libbpf decides from the target BTF does not change (minimal.go says
// why), and tests/e2e's TestCutKernelBTFRelocatesAsTheWholeOne compares the
// programs loaded each way.
package corebtf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The BTF format (Documentation/bpf/btf.rst): a header, then a section of
// type records, then a section of NUL-terminated strings that the records
// name by offset.  Type ids count the records from 1; id 0 is void.
const (
	btfMagic   = 0xeb9f
	headerSize = 24 // magic, version, flags, hdr_len, type_off/len, str_off/len
	typeSize   = 12 // struct btf_type: name_off, info, size or type
)

// Kinds (the kind bits of struct btf_type's info).
const (
	kindInt       = 1
	kindPtr       = 2
	kindArray     = 3
	kindStruct    = 4
	kindUnion     = 5
	kindEnum      = 6
	kindFwd       = 7
	kindTypedef   = 8
	kindVolatile  = 9
	kindConst     = 10
	kindRestrict  = 11
	kindFunc      = 12
	kindFuncProto = 13
	kindVar       = 14
	kindDatasec   = 15
	kindFloat     = 16
	kindDeclTag   = 17
	kindTypeTag   = 18
	kindEnum64    = 19
)

var le = binary.LittleEndian

// Spec is a parsed BTF blob: its records in place, found by id.
type Spec struct {
	types []byte   // the type section
	offs  []uint32 // offs[id-1]: where type id starts in types
	strs  []byte   // the string section
}

// Parse reads a raw BTF blob (what /sys/kernel/btf/vmlinux holds, or an
// object's .BTF section).  Only little-endian BTF is read.
func Parse(raw []byte) (*Spec, error) {
	if len(raw) < headerSize {
		return nil, errors.New("BTF shorter than its header")
	}
	if le.Uint16(raw) != btfMagic {
		return nil, fmt.Errorf("not little-endian BTF (magic %#04x)", le.Uint16(raw))
	}
	if raw[2] != 1 {
		return nil, fmt.Errorf("BTF version %d, not 1", raw[2])
	}
	hdrLen := le.Uint32(raw[4:])
	if hdrLen < headerSize || uint64(hdrLen) > uint64(len(raw)) {
		return nil, fmt.Errorf("BTF header length %d", hdrLen)
	}
	body := raw[hdrLen:]
	section := func(off, n uint32, what string) ([]byte, error) {
		if uint64(off)+uint64(n) > uint64(len(body)) {
			return nil, fmt.Errorf("BTF %s section [%d, +%d) beyond the blob's %d bytes", what, off, n, len(body))
		}
		return body[off : off+n], nil
	}
	types, err := section(le.Uint32(raw[8:]), le.Uint32(raw[12:]), "type")
	if err != nil {
		return nil, err
	}
	strs, err := section(le.Uint32(raw[16:]), le.Uint32(raw[20:]), "string")
	if err != nil {
		return nil, err
	}
	// records average some 30 bytes in a kernel's BTF
	s := &Spec{types: types, strs: strs, offs: make([]uint32, 0, len(types)/24)}
	for off := 0; off < len(types); {
		if len(types)-off < typeSize {
			return nil, fmt.Errorf("BTF type %d cut short", len(s.offs)+1)
		}
		info := le.Uint32(types[off+4:])
		n, err := recordSize(info)
		if err != nil {
			return nil, fmt.Errorf("BTF type %d: %w", len(s.offs)+1, err)
		}
		if len(types)-off < n {
			return nil, fmt.Errorf("BTF type %d cut short", len(s.offs)+1)
		}
		s.offs = append(s.offs, uint32(off))
		off += n
	}
	return s, nil
}

// recordSize is the size of a type record, struct btf_type and what
// follows it for its kind.
func recordSize(info uint32) (int, error) {
	vlen := int(info & 0xffff)
	switch kind := info >> 24 & 0x1f; kind {
	case kindPtr, kindFwd, kindTypedef, kindVolatile, kindConst, kindRestrict,
		kindFunc, kindFloat, kindTypeTag:
		return typeSize, nil
	case kindInt, kindVar, kindDeclTag:
		return typeSize + 4, nil
	case kindArray:
		return typeSize + 12, nil
	case kindStruct, kindUnion, kindDatasec, kindEnum64:
		return typeSize + 12*vlen, nil
	case kindEnum, kindFuncProto:
		return typeSize + 8*vlen, nil
	default:
		return 0, fmt.Errorf("unknown kind %d", kind)
	}
}

// Count is how many types the blob holds (the highest id).
func (s *Spec) Count() int { return len(s.offs) }

// Functions are the names in want that the BTF has as functions.
func (s *Spec) Functions(want map[string]bool) map[string]bool {
	out := map[string]bool{}
	set := newNameSet(want)
	s.eachNamed(1<<kindFunc, set.has, func(_ uint32, name []byte) { out[string(name)] = true })
	return out
}

// eachNamed calls found with each type of the kinds asked (a bit per
// kind) whose name match takes.
func (s *Spec) eachNamed(kinds uint32, match func(name []byte) bool, found func(id uint32, name []byte)) {
	for i, off := range s.offs {
		rec := s.types[off:]
		if kinds&(1<<kindOf(rec)) == 0 {
			continue
		}
		if name := s.str(le.Uint32(rec)); len(name) > 0 && match(name) {
			found(uint32(i+1), name)
		}
	}
}

// nameSet is a few names asked for, tested by first byte and length
// before they are hashed: most names of a kernel's BTF are none of them.
type nameSet struct {
	names map[string]bool
	first [256]uint64 // bit len%64 of the names that begin with each byte
}

func newNameSet(names map[string]bool) *nameSet {
	set := &nameSet{names: names}
	for n := range names {
		if n != "" {
			set.first[n[0]] |= 1 << (len(n) % 64)
		}
	}
	return set
}

func (set *nameSet) has(name []byte) bool {
	return len(name) > 0 && set.first[name[0]]&(1<<(len(name)%64)) != 0 && set.names[string(name)]
}

// record is type id's record (id in 1..Count).
func (s *Spec) record(id uint32) []byte {
	off := s.offs[id-1]
	n, _ := recordSize(le.Uint32(s.types[off+4:])) // checked by Parse
	return s.types[off : int(off)+n]
}

func kindOf(rec []byte) uint32 { return le.Uint32(rec[4:]) >> 24 & 0x1f }
func vlenOf(rec []byte) int    { return int(le.Uint32(rec[4:]) & 0xffff) }

// str is the string at off, without copying ("" when off is out of range).
func (s *Spec) str(off uint32) []byte {
	if uint64(off) >= uint64(len(s.strs)) {
		return nil
	}
	b := s.strs[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// name is type id's name.
func (s *Spec) name(id uint32) []byte { return s.str(le.Uint32(s.record(id))) }

// kindThrough is the kind of the type id names through typedefs and
// qualifiers; 0 for void, or for a chain that ends nowhere.
func (s *Spec) kindThrough(id uint32) uint32 {
	for hops := 0; id != 0 && int(id) <= s.Count() && hops < 64; hops++ {
		rec := s.record(id)
		switch k := kindOf(rec); k {
		case kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag:
			id = le.Uint32(rec[8:])
		default:
			return k
		}
	}
	return 0
}

// essentialName is name without a flavor's "___suffix" (task_struct___old
// relocates against task_struct): cut before the last "___" that has a
// character other than '_' on each side, as libbpf does.
func essentialName(name []byte) []byte {
	for i := len(name) - 5; i >= 0; i-- {
		if name[i] != '_' && name[i+1] == '_' && name[i+2] == '_' && name[i+3] == '_' && name[i+4] != '_' {
			return name[:i+1]
		}
	}
	return name
}
