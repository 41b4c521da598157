package event

import (
	"encoding/binary"
	"errors"
	"testing"
)

// testSyscall is what the tests put in a struct syscall_event after its
// header.
type testSyscall struct {
	ret         int64
	args        [6]uint64
	deref       uint64
	nr, flags   uint32
	strs        [3]string
	path        string
	strLenExtra uint16 // added to str_len[2], to forge a bad length
}

// syscallRecord builds a struct syscall_event carrying exactly the data
// bytes used: str0, str1, str2 and path back to back, without NULs.
func syscallRecord(h testHeader, s testSyscall) []byte {
	data := s.strs[0] + s.strs[1] + s.strs[2] + s.path
	b := make([]byte, SyscallFixedSize+len(data))
	h.typ = TypeSyscall
	putHeader(b, h)
	le := binary.LittleEndian
	le.PutUint64(b[offSysRet:], uint64(s.ret))
	for i, a := range s.args {
		le.PutUint64(b[offSysArgs+8*i:], a)
	}
	le.PutUint64(b[offSysDeref:], s.deref)
	le.PutUint32(b[offSysNr:], s.nr)
	le.PutUint32(b[offSysFlags:], s.flags)
	for i, str := range s.strs {
		le.PutUint16(b[offSysStrLen+2*i:], uint16(len(str)))
	}
	le.PutUint16(b[offSysStrLen+4:], uint16(len(s.strs[2]))+s.strLenExtra)
	le.PutUint16(b[offSysPathLen:], uint16(len(s.path)))
	copy(b[offSysData:], data)
	return b
}

// Values of the x86-64 ABI, spelled out so that the package still tests
// where x/sys/unix lacks them.
const (
	sysMount       = 165
	sysFinitModule = 313
	sysSetresuid   = 117
	msBind         = 4096
	msRec          = 16384
	ePERM          = 1
	modeSetuid0755 = 0o104755
	capSysAdminBit = 1 << 21
	capSetuidBit   = 1 << 7
)

// mountBind is mount("/home/user", "/mnt/x", "none", MS_BIND|MS_REC, NULL).
var mountBind = testSyscall{
	ret:   0,
	args:  [6]uint64{0x7ffd_0000_1000, 0x7ffd_0000_2000, 0x7ffd_0000_3000, msBind | msRec, 0, 0xdead_beef_cafe_f00d},
	deref: 0x0102_0304_0506_0708,
	nr:    sysMount, flags: 0,
	strs: [3]string{"/home/user", "/mnt/x", "none"},
}

// finitRootkit is finit_module(3, "debug=1", 0) of /tmp/rootkit.ko, refused.
var finitRootkit = testSyscall{
	ret:  -ePERM,
	args: [6]uint64{3, 0x7ffd_0000_1000, 0},
	nr:   sysFinitModule, flags: ScFlagPathTruncated,
	strs: [3]string{"debug=1"},
	path: "/tmp/rootkit.ko",
}

func decodeSyscall(t *testing.T, b []byte) *Syscall {
	t.Helper()
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*Syscall)
	if !ok {
		t.Fatalf("Decode returned %T, want *Syscall", ev)
	}
	return e
}

// checkSyscall compares every field after the header with what was built.
func checkSyscall(t *testing.T, e *Syscall, want testSyscall) {
	t.Helper()
	if e.Ret != want.ret {
		t.Errorf("Ret = %d, want %d", e.Ret, want.ret)
	}
	if e.Args != want.args {
		t.Errorf("Args = %#x, want %#x", e.Args, want.args)
	}
	if e.Deref != want.deref {
		t.Errorf("Deref = %#x, want %#x", e.Deref, want.deref)
	}
	if e.Nr != want.nr || e.Flags != want.flags {
		t.Errorf("Nr, Flags = %d, %#x, want %d, %#x", e.Nr, e.Flags, want.nr, want.flags)
	}
	for i := range want.strs {
		if string(e.Strs[i]) != want.strs[i] {
			t.Errorf("Strs[%d] = %q, want %q", i, e.Strs[i], want.strs[i])
		}
	}
	if string(e.Path) != want.path {
		t.Errorf("Path = %q, want %q", e.Path, want.path)
	}
}

func TestSyscallFixedPartIsEightyBytesAfterTheHeader(t *testing.T) {
	// ret 8, args 48, deref 8, nr 4, flags 4, str_len 6, path_len 2
	if SyscallFixedSize != HeaderSize+80 {
		t.Errorf("SyscallFixedSize = %d, want %d", SyscallFixedSize, HeaderSize+80)
	}
	if got := len(syscallRecord(shellHeader, testSyscall{})); got != HeaderSize+80 {
		t.Errorf("record without strings is %d bytes, want %d", got, HeaderSize+80)
	}
}

func TestDecodeMountReadsEveryField(t *testing.T) {
	b := syscallRecord(shellHeader, mountBind)
	e := decodeSyscall(t, b)
	checkHeader(t, e.Header, wantHeader(TypeSyscall, len(b), "bash"))
	checkSyscall(t, e, mountBind)
}

func TestDecodeFailedFinitModuleKeepsErrnoAndPath(t *testing.T) {
	b := syscallRecord(shellHeader, finitRootkit)
	e := decodeSyscall(t, b)
	checkSyscall(t, e, finitRootkit)
	if e.Ret != -1 {
		t.Errorf("Ret = %d, want -EPERM", e.Ret)
	}
	if e.Flags&ScFlagPathTruncated == 0 {
		t.Error("path-truncated flag lost")
	}
	if len(e.Strs[1]) != 0 || len(e.Strs[2]) != 0 {
		t.Errorf("unused string slots = %q, %q, want empty", e.Strs[1], e.Strs[2])
	}
}

// A negative return needs all 64 bits: a long from the kernel.
func TestDecodeSyscallKeepsA64BitReturn(t *testing.T) {
	s := mountBind
	s.ret = -1 << 40
	e := decodeSyscall(t, syscallRecord(shellHeader, s))
	if e.Ret != -1<<40 {
		t.Errorf("Ret = %d, want %d", e.Ret, int64(-1<<40))
	}
}

func TestDecodeSyscallWithEmptyStringsAndPath(t *testing.T) {
	s := testSyscall{nr: sysSetresuid, args: [6]uint64{0xffffffff, 0, 0xffffffff}}
	e := decodeSyscall(t, syscallRecord(shellHeader, s))
	checkSyscall(t, e, s)
}

// A string in the middle may be empty (a NULL or "" argument): the others
// keep their place.
func TestDecodeSyscallWithAnEmptyMiddleString(t *testing.T) {
	s := mountBind
	s.strs[1] = ""
	e := decodeSyscall(t, syscallRecord(shellHeader, s))
	checkSyscall(t, e, s)
}

func TestDecodeSyscallIgnoresPerfPadding(t *testing.T) {
	b := append(syscallRecord(shellHeader, finitRootkit), 0xff, 0xff, 0xff, 0xff)
	binary.LittleEndian.PutUint32(b[offHdrSize:], uint32(len(b)-4))
	e := decodeSyscall(t, b)
	checkSyscall(t, e, finitRootkit)
}

func TestDecoderReuseDoesNotLeakPreviousSyscall(t *testing.T) {
	var d Decoder
	if _, err := d.Decode(syscallRecord(shellHeader, finitRootkit)); err != nil {
		t.Fatal(err)
	}
	empty := testSyscall{nr: sysSetresuid}
	ev, err := d.Decode(syscallRecord(shellHeader, empty))
	if err != nil {
		t.Fatal(err)
	}
	checkSyscall(t, ev.(*Syscall), empty)
}

func TestDecodeRejectsMalformedSyscallRecords(t *testing.T) {
	valid := syscallRecord(shellHeader, finitRootkit)
	withU16 := func(b []byte, off int, v uint16) []byte {
		b = append([]byte{}, b...)
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	short := func(n int) []byte {
		b := make([]byte, n)
		putHeader(b, testHeader{typ: TypeSyscall})
		return b
	}
	data := len(valid) - SyscallFixedSize

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"header only", short(HeaderSize), ErrShort},
		{"one byte short of the fixed part", short(SyscallFixedSize - 1), ErrShort},
		{"fixed part cut by the header size", func() []byte {
			b := append([]byte{}, valid...)
			binary.LittleEndian.PutUint32(b[offHdrSize:], SyscallFixedSize-1)
			return b
		}(), ErrShort},
		{"first string past the data", withU16(valid, offSysStrLen, uint16(data+1)), ErrMalformed},
		{"third string one byte too long", syscallRecord(shellHeader, testSyscall{strs: [3]string{"a", "b", "c"}, strLenExtra: 1}), ErrMalformed},
		{"path one byte too long", withU16(valid, offSysPathLen, uint16(len("/tmp/rootkit.ko")+1)), ErrMalformed},
		{"lengths reaching into perf padding", append(withU16(valid, offSysPathLen, uint16(len("/tmp/rootkit.ko")+2)), 0, 0), ErrMalformed},
		{"every length at most", withU16(withU16(withU16(withU16(valid, offSysStrLen, 0xffff), offSysStrLen+2, 0xffff), offSysStrLen+4, 0xffff), offSysPathLen, 0xffff), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRejected(t, tt.b, TypeSyscall, tt.want)
		})
	}
}

// checkRejected decodes b and expects err, wrapped in a *DecodeError of
// type typ, and a nil interface (not a typed nil pointer).
func checkRejected(t *testing.T, b []byte, typ Type, want error) {
	t.Helper()
	var d Decoder
	ev, err := d.Decode(b)
	if err == nil {
		t.Fatalf("Decode returned %T and no error", ev)
	}
	if ev != nil {
		t.Errorf("Decode returned %T (%v) along with an error, want a nil interface", ev, ev)
	}
	if !errors.Is(err, want) {
		t.Errorf("error %q is not %q", err, want)
	}
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *DecodeError", err)
	}
	if de.Type != typ {
		t.Errorf("DecodeError.Type = %v, want %v", de.Type, typ)
	}
}

// testPriv is what the tests put in a struct priv_event after its header.
type testPriv struct {
	before, after   Creds
	means, nr       uint32
	ret             int64
	exeUID, exeMode uint32
}

// putCreds writes struct cred_snap field by field, in the order of the C
// header: uid, euid, suid, fsuid, gid, egid, sgid, fsgid, then the two
// 64-bit capability sets.
func putCreds(b []byte, c Creds) {
	le := binary.LittleEndian
	for i, v := range []uint32{c.UID, c.EUID, c.SUID, c.FSUID, c.GID, c.EGID, c.SGID, c.FSGID} {
		le.PutUint32(b[4*i:], v)
	}
	le.PutUint64(b[32:], c.CapEffective)
	le.PutUint64(b[40:], c.CapPermitted)
}

func privRecord(h testHeader, p testPriv) []byte {
	b := make([]byte, PrivSize)
	h.typ = TypePriv
	putHeader(b, h)
	le := binary.LittleEndian
	putCreds(b[offPrivBefore:], p.before)
	putCreds(b[offPrivAfter:], p.after)
	le.PutUint32(b[offPrivMeans:], p.means)
	le.PutUint32(b[offPrivNr:], p.nr)
	le.PutUint64(b[offPrivRet:], uint64(p.ret))
	le.PutUint32(b[offPrivExeUID:], p.exeUID)
	le.PutUint32(b[offPrivExeMode:], p.exeMode)
	return b
}

// Every field distinct, so a swapped pair cannot go unnoticed.
var (
	userBefore = Creds{UID: 1000, EUID: 1001, SUID: 1002, FSUID: 1003, GID: 2000, EGID: 2001, SGID: 2002, FSGID: 2003,
		CapEffective: 0, CapPermitted: capSetuidBit}
	rootAfter = Creds{UID: 1000, EUID: 0, SUID: 3, FSUID: 4, GID: 2000, EGID: 5, SGID: 6, FSGID: 7,
		CapEffective: capSysAdminBit | 1<<40, CapPermitted: 1<<41 - 1}
)

func TestDecodePrivReadsEveryField(t *testing.T) {
	want := testPriv{before: userBefore, after: rootAfter, means: PrivSyscall, nr: sysSetresuid,
		ret: -ePERM, exeUID: 0xffffffff, exeMode: 0}
	b := privRecord(shellHeader, want)
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*Priv)
	if !ok {
		t.Fatalf("Decode returned %T, want *Priv", ev)
	}
	checkHeader(t, e.Header, wantHeader(TypePriv, len(b), "bash"))
	if e.Before != want.before {
		t.Errorf("Before:\n got %+v\nwant %+v", e.Before, want.before)
	}
	if e.After != want.after {
		t.Errorf("After:\n got %+v\nwant %+v", e.After, want.after)
	}
	got := testPriv{e.Before, e.After, e.Means, e.Nr, e.Ret, e.ExeUID, e.ExeMode}
	if got != want {
		t.Errorf("priv fields:\n got %+v\nwant %+v", got, want)
	}
	if e.Ret != -1 {
		t.Errorf("Ret = %d, want -EPERM (a failed set*id that still changed creds)", e.Ret)
	}
}

func TestDecodePrivExecKeepsTheExecutableOwnerAndMode(t *testing.T) {
	want := testPriv{before: userBefore, after: rootAfter, means: PrivExec, exeUID: 0, exeMode: modeSetuid0755}
	var d Decoder
	ev, err := d.Decode(privRecord(shellHeader, want))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e := ev.(*Priv)
	if e.Means != PrivExec || e.ExeUID != 0 || e.ExeMode != modeSetuid0755 {
		t.Errorf("Means, ExeUID, ExeMode = %d, %d, %o, want exec, 0, %o", e.Means, e.ExeUID, e.ExeMode, modeSetuid0755)
	}
}

func TestDecodePrivIgnoresPerfPadding(t *testing.T) {
	want := testPriv{before: userBefore, after: rootAfter, means: PrivUnexplained}
	b := append(privRecord(shellHeader, want), 0xff, 0xff, 0xff, 0xff)
	binary.LittleEndian.PutUint32(b[offHdrSize:], PrivSize)
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if e := ev.(*Priv); e.Means != PrivUnexplained || e.ExeMode != 0 {
		t.Errorf("Means, ExeMode = %d, %o, want unexplained, 0", e.Means, e.ExeMode)
	}
}

func TestDecodeRejectsShortPrivRecords(t *testing.T) {
	valid := privRecord(shellHeader, testPriv{before: userBefore, after: rootAfter, means: PrivExec})
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"header only", valid[:HeaderSize]},
		{"without exe_mode", valid[:PrivSize-4]},
		{"cut by the header size", func() []byte {
			b := append([]byte{}, valid...)
			binary.LittleEndian.PutUint32(b[offHdrSize:], PrivSize-1)
			return b
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte{}, tt.b...)
			if len(b) < len(valid) {
				binary.LittleEndian.PutUint32(b[offHdrSize:], uint32(len(b)))
			}
			checkRejected(t, b, TypePriv, ErrShort)
		})
	}
}

func TestSyscallAndPrivTypesAreNamed(t *testing.T) {
	if TypeSyscall.String() != "syscall" || TypePriv.String() != "priv" {
		t.Errorf("names = %q, %q, want syscall, priv", TypeSyscall.String(), TypePriv.String())
	}
}
