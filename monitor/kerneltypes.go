package monitor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/corebtf"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/runfile"
)

// What an object needs of the kernel's BTF besides what libbpf reads
// itself: the BTF cut down to the types its CO-RE relocations name
// (monitor/corebtf), for libbpf to search instead of the whole; and, for
// the 6.4 object, the type ids of the structs it casts to.
//
// Reading the kernel's BTF is slow too: sysfs hands it out 4 KB a read
// (1,350 reads, 20 ms on this host).  It cannot change before the next
// boot, so a start keeps what it made of it in /run, under a key made of
// the boot's id, the monitor's binary (which holds the objects) and the
// object; the next start with that key reads that instead.

// castStructs are the structs the 6.4 object casts to (bpf_rdonly_cast):
// the loader sets each one's kernel type id in btf_id_<name>
// (bpf/common.h, KCAST).
var castStructs = []string{"task_struct", "files_struct", "file"}

// Values of --core-btf: what libbpf relocates the object against.
const (
	CoreBTFCut   = "cut"   // the kernel types the object names (corebtf)
	CoreBTFWhole = "whole" // the whole kernel BTF, as libbpf does by itself
)

// keptKernelTypes is the kept answer: a "key" line, an "ids" line (the
// cast ids, name=id), then the cut, raw BTF, to the end.
const keptKernelTypes = runDir + "/kernel-btf"

// errNoCastIDs: the kernel's BTF gave no type ids to cast with.
var errNoCastIDs = errors.New("the kernel's type ids to cast with are not known")

// objectTypes is what one object needs of the kernel's BTF.
type objectTypes struct {
	cut     []byte            // nil: libbpf searches the whole BTF
	castIDs map[string]uint32 // the casting object's; nil for the others
}

// kernelTypes prepares objectTypes for the objects a start opens (one, or
// more when a load is tried again), reading the BTF at most once.
type kernelTypes struct {
	path   string        // the BTF: the kernel's, or --btf-file
	spec   *corebtf.Spec // nil when it could not be read
	err    error         // why not
	read   bool
	byName map[string]*objectTypes
	cuts   []*os.File // memfds handed to libbpf, closed by Close
	log    zerolog.Logger
}

func newKernelTypes(cfg *Config, log zerolog.Logger) *kernelTypes {
	path := cfg.BTFFile
	if path == "" {
		path = DefaultBTFFile
	}
	return &kernelTypes{path: path, byName: map[string]*objectTypes{}, log: log}
}

// forObject is what object name (obj, which casts or not) needs;
// errNoCastIDs when it casts and the ids cannot be had.
func (kt *kernelTypes) forObject(name string, obj []byte, casts bool) (*objectTypes, error) {
	ot, ok := kt.byName[name]
	if !ok {
		ot = kt.prepare(name, obj, casts)
		kt.byName[name] = ot
	}
	if casts {
		for _, n := range castStructs {
			if ot.castIDs[n] == 0 {
				return nil, errNoCastIDs
			}
		}
	}
	return ot, nil
}

func (kt *kernelTypes) prepare(name string, obj []byte, casts bool) *objectTypes {
	start := time.Now()
	key, kerr := kt.key(name)
	if kerr == nil {
		if ot, ok := readKeptTypes(keptKernelTypes, key); ok {
			kt.log.Debug().Dur("took", time.Since(start)).Str("object", name).Int("bytes", len(ot.cut)).
				Msg("kernel BTF: the cut and the cast ids read back")
			return ot
		}
	}
	if kt.load() != nil {
		return &objectTypes{}
	}
	ot := &objectTypes{}
	if casts {
		ids, err := kt.spec.StructIDs(castStructs...)
		if err != nil {
			kt.log.Info().Err(err).Str("object", name).Msg("no type ids to cast with: another object stands in")
		}
		ot.castIDs = ids
	}
	roots, err := corebtf.ObjectRoots(obj)
	if err == nil {
		ot.cut, err = corebtf.Cut(kt.spec, roots)
	}
	if err != nil {
		kt.log.Info().Err(err).Str("object", name).Msg("kernel BTF not cut: libbpf searches the whole of it")
	}
	if kerr == nil {
		writeKeptTypes(keptKernelTypes, key, ot) // best effort
	}
	kt.log.Debug().Dur("took", time.Since(start)).Str("object", name).Int("types", kt.spec.Count()).
		Int("names", len(roots)).Int("bytes", len(ot.cut)).Msg("kernel BTF read and cut to the types the object relocates")
	return ot
}

// load reads and parses the BTF once; the error is kept for every caller
// and logged once.
func (kt *kernelTypes) load() error {
	if !kt.read {
		kt.read = true
		var raw []byte
		if raw, kt.err = os.ReadFile(kt.path); kt.err == nil {
			kt.spec, kt.err = corebtf.Parse(raw)
		}
		if kt.err != nil {
			kt.log.Info().Err(kt.err).Str("file", kt.path).Msg("kernel BTF not readable by the monitor: libbpf searches the whole of it")
		}
	}
	return kt.err
}

// functions are the names of want that the running kernel's BTF has as
// functions, what the function hooks' plan starts from (traceable.go).
// A --btf-file is not asked: fexit attaches by the kernel's own.
func (kt *kernelTypes) functions(want map[string]bool) (map[string]bool, error) {
	if kt.path != DefaultBTFFile {
		raw, err := os.ReadFile(DefaultBTFFile)
		if err != nil {
			return nil, err
		}
		spec, err := corebtf.Parse(raw)
		if err != nil {
			return nil, err
		}
		return spec.Functions(want), nil
	}
	if err := kt.load(); err != nil {
		return nil, err
	}
	return kt.spec.Functions(want), nil
}

// cutPath is a path to ot's cut for libbpf's btf_custom_path, or "" when
// libbpf is to search the whole BTF.
func (kt *kernelTypes) cutPath(cfg *Config, ot *objectTypes) (string, error) {
	if ot.cut == nil || cfg.CoreBTF == CoreBTFWhole {
		return "", nil
	}
	f, err := memfdWith("kernel-btf-cut", ot.cut)
	if err != nil {
		return "", err
	}
	kt.cuts = append(kt.cuts, f)
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), nil
}

// Close releases the cuts handed to libbpf (read by the end of a load).
func (kt *kernelTypes) Close() {
	for _, f := range kt.cuts {
		f.Close()
	}
	kt.cuts = nil
}

// key is what the answer for object name depends on: the BTF (the boot's,
// or a --btf-file's identity) and the binary, which holds the object.
func (kt *kernelTypes) key(name string) (string, error) {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", err
	}
	bin, err := binaryID()
	if err != nil {
		return "", err
	}
	src := kt.path
	if kt.path != DefaultBTFFile {
		var st syscall.Stat_t
		if err := syscall.Stat(kt.path, &st); err != nil {
			return "", err
		}
		src = fmt.Sprintf("%s %d:%d %d %d.%d", kt.path, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	}
	h := sha256.New()
	fmt.Fprintf(h, "boot %s\nbinary %s\nbtf %s\nobject %s\n", bytes.TrimSpace(boot), bin, src, name)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// binaryID names this build of the monitor: a rebuilt or replaced binary
// has another inode, size or time.
func binaryID() (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("ebpf-log-monitor %d:%d %d %d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec), nil
}

// readKeptTypes returns the kept answer if its key is key (only a file
// runfile.Read believes: libbpf relocates against it).
func readKeptTypes(path, key string) (*objectTypes, bool) {
	b, err := runfile.Read(path, 64<<20)
	if err != nil {
		return nil, false
	}
	keyLine, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(keyLine) != "key "+key {
		return nil, false
	}
	idsLine, cut, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || !bytes.HasPrefix(idsLine, []byte("ids")) {
		return nil, false
	}
	ot := &objectTypes{}
	if fields := strings.Fields(string(idsLine[3:])); len(fields) > 0 {
		ot.castIDs = map[string]uint32{}
		for _, f := range fields {
			n, v, _ := strings.Cut(f, "=")
			id, err := strconv.ParseUint(v, 10, 32)
			if err != nil || id == 0 {
				return nil, false
			}
			ot.castIDs[n] = uint32(id)
		}
	}
	if len(cut) > 0 {
		if _, err := corebtf.Parse(cut); err != nil {
			return nil, false
		}
		ot.cut = cut
	}
	return ot, true
}

// writeKeptTypes keeps ot under key.
func writeKeptTypes(path, key string, ot *objectTypes) error {
	var b bytes.Buffer
	b.WriteString("key " + key + "\nids")
	for _, name := range castStructs {
		if id, ok := ot.castIDs[name]; ok {
			fmt.Fprintf(&b, " %s=%d", name, id)
		}
	}
	b.WriteString("\n")
	b.Write(ot.cut)
	return runfile.Write(path, b.Bytes())
}

// memfdWith is an anonymous file holding data.
func memfdWith(name string, data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return f, nil
}
