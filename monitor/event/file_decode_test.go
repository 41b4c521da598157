package event

import (
	"encoding/binary"
	"errors"
	"testing"
)

// testFile is what the tests put in a struct file_event after its header.
type testFile struct {
	ret                       int32
	op, opFlags, mode, access uint32
	flags, watchID            uint32
	ownerUID, ownerGID        uint32
	pathRoot, targetRoot      uint16
	path, requested, target   string
}

// fileRecord builds a struct file_event carrying exactly the data bytes
// used: path, requested and target back to back, without NULs.
func fileRecord(h testHeader, f testFile) []byte {
	b := make([]byte, FileFixedSize+len(f.path)+len(f.requested)+len(f.target))
	h.typ = TypeFile
	putHeader(b, h)
	le := binary.LittleEndian
	le.PutUint32(b[offFileRet:], uint32(f.ret))
	le.PutUint32(b[offFileOp:], f.op)
	le.PutUint32(b[offFileOpFlags:], f.opFlags)
	le.PutUint32(b[offFileMode:], f.mode)
	le.PutUint32(b[offFileAccess:], f.access)
	le.PutUint32(b[offFileFlags:], f.flags)
	le.PutUint32(b[offFileWatchID:], f.watchID)
	le.PutUint32(b[offFileOwnerUID:], f.ownerUID)
	le.PutUint32(b[offFileOwnerGID:], f.ownerGID)
	le.PutUint16(b[offFilePathRootLen:], f.pathRoot)
	le.PutUint16(b[offFileTgtRootLen:], f.targetRoot)
	le.PutUint16(b[offFilePathLen:], uint16(len(f.path)))
	le.PutUint16(b[offFileRequestedLen:], uint16(len(f.requested)))
	le.PutUint16(b[offFileTargetLen:], uint16(len(f.target)))
	copy(b[offFileData:], f.path+f.requested+f.target)
	return b
}

// Values of the kernel ABI, spelled out so that the package still tests
// where x/sys/unix lacks them.
const (
	oRDONLY         = 0
	eACCES          = 13
	renameNoReplace = 1
	unchanged       = 0xffffffff // chown's (u32)-1: leave this owner alone
)

var (
	catShadow = testFile{
		ret: 3, op: FileOpOpen, opFlags: oRDONLY, access: AccRead,
		flags: FileFlagResolved, watchID: 7,
		ownerUID: unchanged, ownerGID: unchanged,
		path: "/etc/shadow", requested: "shadow",
	}
	deniedShadow = testFile{
		ret: -eACCES, op: FileOpOpen, opFlags: oRDONLY, access: AccRead,
		watchID: 7, ownerUID: unchanged, ownerGID: unchanged,
		path: "/etc/shadow", requested: "/etc/shadow",
	}
	renameIntoCron = testFile{
		op: FileOpRename, opFlags: renameNoReplace, access: AccChange,
		watchID: 19, ownerUID: unchanged, ownerGID: unchanged,
		path: "/tmp/job", requested: "job", target: "/etc/cron.d/job",
	}
	chownShadow = testFile{
		op: FileOpChown, access: AccChange, watchID: 0,
		ownerUID: 1000, ownerGID: unchanged,
		path: "/etc/shadow", requested: "/etc/shadow",
	}
)

func decodeFile(t *testing.T, b []byte) *File {
	t.Helper()
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*File)
	if !ok {
		t.Fatalf("Decode returned %T, want *File", ev)
	}
	return e
}

// checkFile compares every field after the header with what was built.
func checkFile(t *testing.T, e *File, want testFile) {
	t.Helper()
	type fields struct {
		Ret                                   int32
		Op, OpFlags, Mode, Access, Flags, WID uint32
		OwnerUID, OwnerGID                    uint32
		Path, Requested, Target               string
	}
	got := fields{e.Ret, e.Op, e.OpFlags, e.Mode, e.Access, e.Flags, e.WatchID,
		e.OwnerUID, e.OwnerGID, string(e.Path), string(e.Requested), string(e.Target)}
	exp := fields{want.ret, want.op, want.opFlags, want.mode, want.access, want.flags, want.watchID,
		want.ownerUID, want.ownerGID, want.path, want.requested, want.target}
	if got != exp {
		t.Errorf("file fields:\n got %+v\nwant %+v", got, exp)
	}
}

func TestDecodeSuccessfulOpenOfShadowReadsEveryField(t *testing.T) {
	b := fileRecord(shellHeader, catShadow)
	e := decodeFile(t, b)

	checkHeader(t, e.Header, wantHeader(TypeFile, len(b), "bash"))
	checkFile(t, e, catShadow)
	if e.Ret != 3 {
		t.Errorf("Ret = %d, want the new fd 3", e.Ret)
	}
	if e.Flags&FileFlagResolved == 0 {
		t.Error("resolved flag lost")
	}
	if string(e.Path) != "/etc/shadow" || string(e.Requested) != "shadow" || len(e.Target) != 0 {
		t.Errorf("Path, Requested, Target = %q, %q, %q", e.Path, e.Requested, e.Target)
	}
}

func TestDecodeFailedOpenKeepsNegativeErrno(t *testing.T) {
	b := fileRecord(shellHeader, deniedShadow)
	e := decodeFile(t, b)

	checkHeader(t, e.Header, wantHeader(TypeFile, len(b), "bash"))
	checkFile(t, e, deniedShadow)
	if e.Ret != -13 {
		t.Errorf("Ret = %d, want -13 (EACCES)", e.Ret)
	}
	if e.Flags&FileFlagResolved != 0 {
		t.Error("a failed open claims a resolved path")
	}
}

func TestDecodeRenameCarriesItsTarget(t *testing.T) {
	b := fileRecord(shellHeader, renameIntoCron)
	e := decodeFile(t, b)

	checkHeader(t, e.Header, wantHeader(TypeFile, len(b), "bash"))
	checkFile(t, e, renameIntoCron)
	if string(e.Target) != "/etc/cron.d/job" {
		t.Errorf("Target = %q, want /etc/cron.d/job", e.Target)
	}
}

func TestDecodeChownKeepsUnchangedOwnerAsAllOnes(t *testing.T) {
	b := fileRecord(shellHeader, chownShadow)
	e := decodeFile(t, b)

	checkHeader(t, e.Header, wantHeader(TypeFile, len(b), "bash"))
	checkFile(t, e, chownShadow)
	if e.OwnerUID != 1000 || e.OwnerGID != 0xffffffff {
		t.Errorf("owner = %d:%#x, want 1000 and gid unchanged (0xffffffff)", e.OwnerUID, e.OwnerGID)
	}
}

func TestDecodeFileIgnoresPerfPadding(t *testing.T) {
	rec := fileRecord(shellHeader, renameIntoCron)
	padded := append(append([]byte{}, rec...), 'x', 'x', 'x', 'x')
	e := decodeFile(t, padded)
	if e.Size != uint32(len(rec)) || string(e.Target) != "/etc/cron.d/job" {
		t.Errorf("Size %d Target %q: padding leaked in", e.Size, e.Target)
	}
}

func TestDecodeFileWithEmptyStrings(t *testing.T) {
	f := chownShadow
	f.path, f.requested, f.target = "", "", ""
	e := decodeFile(t, fileRecord(shellHeader, f))
	if len(e.Path) != 0 || len(e.Requested) != 0 || len(e.Target) != 0 {
		t.Errorf("Path, Requested, Target = %q, %q, %q, want all empty", e.Path, e.Requested, e.Target)
	}
}

func TestDecoderReuseDoesNotLeakPreviousFile(t *testing.T) {
	var d Decoder
	if _, err := d.Decode(fileRecord(shellHeader, renameIntoCron)); err != nil {
		t.Fatal(err)
	}
	ev, err := d.Decode(fileRecord(shellHeader, catShadow))
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, ev.(*File), catShadow)
}

func TestDecodeRejectsMalformedFileRecords(t *testing.T) {
	valid := fileRecord(shellHeader, renameIntoCron)
	withU16 := func(b []byte, off int, v uint16) []byte {
		b = append([]byte{}, b...)
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	short := func(n int) []byte {
		b := make([]byte, n)
		putHeader(b, testHeader{typ: TypeFile})
		return b
	}
	data := len(valid) - FileFixedSize

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"header only", short(HeaderSize), ErrShort},
		{"one byte short of the fixed part", short(FileFixedSize - 1), ErrShort},
		{"fixed part cut by the header size", func() []byte {
			b := append([]byte{}, valid...)
			binary.LittleEndian.PutUint32(b[offHdrSize:], FileFixedSize-1)
			return b
		}(), ErrShort},
		{"path length past the data", withU16(valid, offFilePathLen, uint16(data+1)), ErrMalformed},
		{"requested length past the data", withU16(valid, offFileRequestedLen, 0xffff), ErrMalformed},
		{"target length one byte too long", withU16(valid, offFileTargetLen, uint16(len("/etc/cron.d/job")+1)), ErrMalformed},
		{"lengths reaching into perf padding", append(withU16(valid, offFileTargetLen, uint16(len("/etc/cron.d/job")+2)), 0, 0), ErrMalformed},
		{"all three lengths at most", withU16(withU16(withU16(valid, offFilePathLen, 0xffff), offFileRequestedLen, 0xffff), offFileTargetLen, 0xffff), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			ev, err := d.Decode(tt.b)
			if err == nil {
				t.Fatalf("Decode returned %T and no error", ev)
			}
			if ev != nil {
				t.Errorf("Decode returned %T (%v) along with an error, want a nil interface", ev, ev)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %q", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Type != TypeFile {
				t.Errorf("DecodeError.Type = %v, want file", de.Type)
			}
		})
	}
}

func TestFileTypeIsNamedFile(t *testing.T) {
	if got := TypeFile.String(); got != "file" {
		t.Errorf("TypeFile.String() = %q, want file", got)
	}
	typ, err := PeekType(fileRecord(shellHeader, catShadow))
	if err != nil || typ != TypeFile {
		t.Errorf("PeekType(file) = %v, %v", typ, err)
	}
}

// A chrooted task's walked path starts with its root; the record says how
// many bytes that is, and SplitRoot gives both views.
func TestDecodeChrootedPathSplitsAtItsRoot(t *testing.T) {
	h := shellHeader
	h.flags |= HdrFlagChroot
	h.mntns = 4026531841
	f := renameIntoCron
	f.path, f.pathRoot = "/srv/build/etc/cron.d/.job", uint16(len("/srv/build"))
	f.target, f.targetRoot = "/srv/build/etc/cron.d/job", uint16(len("/srv/build"))
	e := decodeFile(t, fileRecord(h, f))
	if e.MntNS != 4026531841 || !e.Chrooted() {
		t.Fatalf("MntNS, Chrooted = %d, %v", e.MntNS, e.Chrooted())
	}
	cases := []struct {
		path     string
		rootLen  uint16
		chrooted bool
		root     string
		view     string
		ok       bool
	}{
		{string(e.Path), e.PathRootLen, true, "/srv/build", "/etc/cron.d/.job", true},
		{string(e.Target), e.TargetRootLen, true, "/srv/build", "/etc/cron.d/job", true},
		{"/srv/build", 10, true, "/srv/build", "/", true},      // the root itself
		{"/etc/passwd", 0, true, "", "/etc/passwd", false},     // outside the root
		{"/etc/passwd", 5, false, "", "/etc/passwd", false},    // not chrooted: ignored
		{"/srv/build/x", 200, true, "", "/srv/build/x", false}, // inconsistent: no split
	}
	for _, c := range cases {
		hh := Header{}
		if c.chrooted {
			hh.Flags = HdrFlagChroot
		}
		root, view, ok := hh.SplitRoot([]byte(c.path), c.rootLen)
		if string(root) != c.root || string(view) != c.view || ok != c.ok {
			t.Errorf("SplitRoot(%q, %d) = %q, %q, %v; want %q, %q, %v", c.path, c.rootLen, root, view, ok, c.root, c.view, c.ok)
		}
	}
}
