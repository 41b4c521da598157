package corebtf

import (
	"fmt"
	"sort"
)

// Cut is the part of the kernel's BTF (target) that libbpf can consult when
// it relocates an object whose relocated types are roots, as a raw BTF
// blob.  What libbpf consults, and what the cut keeps of it:
//   - the candidates for a local type: every kernel type of its essential
//     name and a kind it can match.  Every named struct, union, enum, fwd,
//     typedef, integer and float of a root's name is kept.
//   - an access walks a candidate's members, and the members of the
//     structs, unions and arrays held in it, to its field, whose type
//     libbpf compares by kind (and by name for enums, by size for
//     integers).  Everything a kept type holds is kept, through typedefs
//     and qualifiers.
//   - a pointer is compatible with any pointer whatever it points to, and
//     an access never goes through one (each dereference is a relocation
//     of its own, with a root of its own).  So pointers are not followed:
//     every pointer becomes one pointer to void.
//
// ObjectRoots refuses the relocations for which this is not enough.
func Cut(target *Spec, roots Roots) ([]byte, error) {
	n := target.Count()
	keep := make([]bool, n+1)
	var queue []uint32
	visit := func(id uint32) error {
		if int(id) > n {
			return fmt.Errorf("type %d beyond the BTF's %d", id, n)
		}
		if id != 0 && !keep[id] {
			keep[id] = true
			queue = append(queue, id)
		}
		return nil
	}
	set := newNameSet(roots)
	candidates := uint32(1<<kindStruct | 1<<kindUnion | 1<<kindEnum | 1<<kindEnum64 | 1<<kindFwd | 1<<kindTypedef |
		1<<kindInt | 1<<kindFloat)
	target.eachNamed(candidates, func(name []byte) bool { return set.has(essentialName(name)) },
		func(id uint32, _ []byte) { visit(id) })
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		rec := target.record(id)
		var err error
		switch kindOf(rec) {
		case kindInt, kindEnum, kindEnum64, kindFwd, kindFloat, kindPtr:
		case kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag:
			err = visit(le.Uint32(rec[8:]))
		case kindArray:
			if err = visit(le.Uint32(rec[12:])); err == nil {
				err = visit(le.Uint32(rec[16:]))
			}
		case kindStruct, kindUnion:
			for i := 0; i < vlenOf(rec) && err == nil; i++ {
				err = visit(le.Uint32(rec[typeSize+12*i+4:]))
			}
		case kindFuncProto:
			err = visit(le.Uint32(rec[8:]))
			for i := 0; i < vlenOf(rec) && err == nil; i++ {
				err = visit(le.Uint32(rec[typeSize+8*i+4:]))
			}
		default:
			err = fmt.Errorf("type %d (%s) of kind %d held in a kept type", id, target.name(id), kindOf(rec))
		}
		if err != nil {
			return nil, err
		}
	}
	return target.write(keep)
}

// write is the BTF of the kept types, renumbered in their order, with every
// pointer made the first type: a pointer to void.
func (s *Spec) write(keep []bool) ([]byte, error) {
	const voidPtr = 1
	newID := make([]uint32, len(keep))
	next := uint32(voidPtr + 1)
	for id := 1; id < len(keep); id++ {
		switch {
		case !keep[id]:
		case kindOf(s.record(uint32(id))) == kindPtr:
			newID[id] = voidPtr
		default:
			newID[id] = next
			next++
		}
	}
	remap := func(id uint32) (uint32, error) {
		if id == 0 {
			return 0, nil
		}
		if int(id) >= len(newID) || newID[id] == 0 {
			return 0, fmt.Errorf("type %d is not kept", id)
		}
		return newID[id], nil
	}

	strs := stringTable{index: map[string]uint32{}}
	strs.add(nil) // offset 0: ""
	types := make([]byte, typeSize, typeSize*int(next))
	le.PutUint32(types[4:], kindPtr<<24) // the pointer to void: no name, type 0
	var err error
	put := func(b []byte, at int, id uint32) {
		if err == nil {
			var v uint32
			v, err = remap(id)
			le.PutUint32(b[at:], v)
		}
	}
	for id := uint32(1); int(id) < len(keep); id++ {
		if !keep[id] || newID[id] == voidPtr {
			continue
		}
		rec := append([]byte(nil), s.record(id)...)
		le.PutUint32(rec, strs.add(s.str(le.Uint32(rec))))
		switch kindOf(rec) {
		case kindTypedef, kindVolatile, kindConst, kindRestrict, kindTypeTag:
			put(rec, 8, le.Uint32(rec[8:]))
		case kindArray:
			put(rec, 12, le.Uint32(rec[12:]))
			put(rec, 16, le.Uint32(rec[16:]))
		case kindStruct, kindUnion:
			for i := 0; i < vlenOf(rec); i++ {
				m := rec[typeSize+12*i:]
				le.PutUint32(m, strs.add(s.str(le.Uint32(m))))
				put(m, 4, le.Uint32(m[4:]))
			}
		case kindEnum, kindEnum64:
			size := 8
			if kindOf(rec) == kindEnum64 {
				size = 12
			}
			for i := 0; i < vlenOf(rec); i++ {
				v := rec[typeSize+size*i:]
				le.PutUint32(v, strs.add(s.str(le.Uint32(v))))
			}
		case kindFuncProto:
			put(rec, 8, le.Uint32(rec[8:]))
			for i := 0; i < vlenOf(rec); i++ {
				p := rec[typeSize+8*i:]
				le.PutUint32(p, strs.add(s.str(le.Uint32(p))))
				put(p, 4, le.Uint32(p[4:]))
			}
		}
		if err != nil {
			return nil, fmt.Errorf("type %d (%s): %w", id, s.name(id), err)
		}
		types = append(types, rec...)
	}

	out := make([]byte, headerSize, headerSize+len(types)+len(strs.data))
	le.PutUint16(out, btfMagic)
	out[2] = 1 // version
	le.PutUint32(out[4:], headerSize)
	le.PutUint32(out[8:], 0)
	le.PutUint32(out[12:], uint32(len(types)))
	le.PutUint32(out[16:], uint32(len(types)))
	le.PutUint32(out[20:], uint32(len(strs.data)))
	out = append(out, types...)
	return append(out, strs.data...), nil
}

// stringTable is a string section being written, each string once.
type stringTable struct {
	data  []byte
	index map[string]uint32
}

func (t *stringTable) add(s []byte) uint32 {
	if off, ok := t.index[string(s)]; ok {
		return off
	}
	off := uint32(len(t.data))
	t.index[string(s)] = off
	t.data = append(append(t.data, s...), 0)
	return off
}

// StructIDs are the ids of the structs named names: what bpf_rdonly_cast
// takes.  Each must be one struct.
func (s *Spec) StructIDs(names ...string) (map[string]uint32, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	ids := map[string]uint32{}
	var dup error
	s.eachNamed(1<<kindStruct, newNameSet(want).has, func(id uint32, name []byte) {
		if _, seen := ids[string(name)]; seen && dup == nil {
			dup = fmt.Errorf("struct %s: more than one in the kernel's BTF", name)
		}
		ids[string(name)] = id
	})
	if dup != nil {
		return nil, dup
	}
	var missing []string
	for n := range want {
		if ids[n] == 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("no struct %v in the kernel's BTF", missing)
	}
	return ids, nil
}
