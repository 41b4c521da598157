package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// testHeader is what the tests put in struct event_header.  size 0 means
// "the length of the record being built".
type testHeader struct {
	ts, cgroup                                   uint64
	typ                                          Type
	size                                         uint32
	pid, tid, ppid, uid, gid, euid, egid, loginu uint32
	flags, mntns                                 uint32
	comm                                         string
}

// putHeader writes h at the offsets of event.go, little-endian, the way
// the BPF program lays it out.
func putHeader(b []byte, h testHeader) {
	le := binary.LittleEndian
	size := h.size
	if size == 0 {
		size = uint32(len(b))
	}
	le.PutUint64(b[offHdrTs:], h.ts)
	le.PutUint64(b[offHdrCgroupID:], h.cgroup)
	le.PutUint32(b[offHdrType:], uint32(h.typ))
	le.PutUint32(b[offHdrSize:], size)
	le.PutUint32(b[offHdrPid:], h.pid)
	le.PutUint32(b[offHdrTid:], h.tid)
	le.PutUint32(b[offHdrPpid:], h.ppid)
	le.PutUint32(b[offHdrUID:], h.uid)
	le.PutUint32(b[offHdrGID:], h.gid)
	le.PutUint32(b[offHdrEUID:], h.euid)
	le.PutUint32(b[offHdrEGID:], h.egid)
	le.PutUint32(b[offHdrLoginUID:], h.loginu)
	le.PutUint32(b[offHdrFlags:], h.flags)
	le.PutUint32(b[offHdrMntNS:], h.mntns)
	copy(b[offHdrComm:offHdrComm+TaskCommLen], h.comm)
}

// execRecord builds a struct exec_event carrying exactly the data bytes used.
func execRecord(h testHeader, ret int32, flags uint32, args, exe, cwd, filename string) []byte {
	b := make([]byte, ExecFixedSize+len(args)+len(exe)+len(cwd)+len(filename))
	h.typ = TypeExec
	putHeader(b, h)
	le := binary.LittleEndian
	le.PutUint32(b[offExecRet:], uint32(ret))
	le.PutUint32(b[offExecFlags:], flags)
	le.PutUint16(b[offExecArgsLen:], uint16(len(args)))
	le.PutUint16(b[offExecExeLen:], uint16(len(exe)))
	le.PutUint16(b[offExecCwdLen:], uint16(len(cwd)))
	le.PutUint16(b[offExecFilenameLen:], uint16(len(filename)))
	copy(b[offExecData:], args+exe+cwd+filename)
	return b
}

func exitRecord(h testHeader, lifetime uint64, status uint32) []byte {
	b := make([]byte, ExitSize)
	h.typ = TypeExit
	putHeader(b, h)
	binary.LittleEndian.PutUint64(b[offExitLifetime:], lifetime)
	binary.LittleEndian.PutUint32(b[offExitCode:], status)
	return b
}

func forkRecord(h testHeader, childPID, childTID uint32) []byte {
	b := make([]byte, ForkSize)
	h.typ = TypeFork
	putHeader(b, h)
	binary.LittleEndian.PutUint32(b[offForkChildPid:], childPID)
	binary.LittleEndian.PutUint32(b[offForkChildTid:], childTID)
	return b
}

var shellHeader = testHeader{
	ts: 123456789012, cgroup: 0x1234_5678_9abc,
	pid: 4242, tid: 4243, ppid: 4100,
	uid: 1000, gid: 1001, euid: 0, egid: 1002, loginu: 1000,
	flags: HdrFlagLoginUID, comm: "bash",
}

func wantHeader(typ Type, size int, comm string) Header {
	return Header{
		TimeNs: 123456789012, CgroupID: 0x1234_5678_9abc, Type: typ, Size: uint32(size),
		PID: 4242, TID: 4243, PPID: 4100,
		UID: 1000, GID: 1001, EUID: 0, EGID: 1002, LoginUID: 1000,
		Flags: HdrFlagLoginUID, Comm: []byte(comm),
	}
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func decodeExec(t *testing.T, b []byte) *Exec {
	t.Helper()
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*Exec)
	if !ok {
		t.Fatalf("Decode returned %T, want *Exec", ev)
	}
	return e
}

func checkHeader(t *testing.T, got, want Header) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("header:\n got %+v\nwant %+v", got, want)
	}
}

func TestDecodeSuccessfulExecReadsEveryField(t *testing.T) {
	b := execRecord(shellHeader, 0, ExecFlagExecveat,
		"/bin/true\x00a\x00b\x00c\x00", "/usr/bin/true", "/home/user", "/bin/true")
	e := decodeExec(t, b)

	checkHeader(t, e.Header, wantHeader(TypeExec, len(b), "bash"))
	if !e.HasLoginUID() {
		t.Error("HasLoginUID() = false, want true")
	}
	if e.Ret != 0 {
		t.Errorf("Ret = %d, want 0", e.Ret)
	}
	if e.Flags != ExecFlagExecveat {
		t.Errorf("Flags = %#x, want %#x", e.Flags, ExecFlagExecveat)
	}
	if e.ArgsTruncated() {
		t.Error("ArgsTruncated() = true, want false")
	}
	if got, want := strs(e.Args), []string{"/bin/true", "a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %q, want %q", got, want)
	}
	if string(e.Exe) != "/usr/bin/true" {
		t.Errorf("Exe = %q", e.Exe)
	}
	if string(e.Cwd) != "/home/user" {
		t.Errorf("Cwd = %q", e.Cwd)
	}
	if string(e.Filename) != "/bin/true" {
		t.Errorf("Filename = %q", e.Filename)
	}
}

func TestDecodeFailedExecKeepsNegativeErrno(t *testing.T) {
	h := shellHeader
	h.flags = 0
	b := execRecord(h, -2, 0, "nope\x00--x\x00", "/usr/bin/bash", "/tmp", "./nope")
	e := decodeExec(t, b)

	want := wantHeader(TypeExec, len(b), "bash")
	want.Flags = 0
	checkHeader(t, e.Header, want)
	if e.HasLoginUID() {
		t.Error("HasLoginUID() = true without the header flag")
	}
	if e.Ret != -2 {
		t.Errorf("Ret = %d, want -2", e.Ret)
	}
	if got, want := strs(e.Args), []string{"nope", "--x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %q, want %q", got, want)
	}
	if string(e.Exe) != "/usr/bin/bash" || string(e.Cwd) != "/tmp" || string(e.Filename) != "./nope" {
		t.Errorf("Exe, Cwd, Filename = %q, %q, %q", e.Exe, e.Cwd, e.Filename)
	}
}

func TestDecodeExitSplitsWaitStatus(t *testing.T) {
	tests := []struct {
		name     string
		status   uint32
		code     int
		signal   int
		core     bool
		lifetime uint64
	}{
		{"exit code 3", 3 << 8, 3, 0, false, 1_500_000_000},
		{"exit code 0", 0, 0, 0, false, 1},
		{"killed by SIGKILL", 9, 0, 9, false, 42},
		{"SIGSEGV with core", 0x80 | 11, 0, 11, true, 7},
		{"exit code 255", 255 << 8, 255, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := exitRecord(shellHeader, tt.lifetime, tt.status)
			var d Decoder
			ev, err := d.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			e, ok := ev.(*Exit)
			if !ok {
				t.Fatalf("Decode returned %T, want *Exit", ev)
			}
			checkHeader(t, e.Header, wantHeader(TypeExit, ExitSize, "bash"))
			if e.ExitCode != tt.status {
				t.Errorf("ExitCode = %#x, want %#x", e.ExitCode, tt.status)
			}
			if e.Code() != tt.code || e.Signal() != tt.signal || e.CoreDumped() != tt.core {
				t.Errorf("Code, Signal, CoreDumped = %d, %d, %v; want %d, %d, %v",
					e.Code(), e.Signal(), e.CoreDumped(), tt.code, tt.signal, tt.core)
			}
			if e.LifetimeNs != tt.lifetime {
				t.Errorf("LifetimeNs = %d, want %d", e.LifetimeNs, tt.lifetime)
			}
		})
	}
}

func TestDecodeForkReportsParentAndChild(t *testing.T) {
	b := forkRecord(shellHeader, 5000, 5001)
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*Fork)
	if !ok {
		t.Fatalf("Decode returned %T, want *Fork", ev)
	}
	checkHeader(t, e.Header, wantHeader(TypeFork, ForkSize, "bash"))
	if e.ChildPID != 5000 || e.ChildTID != 5001 {
		t.Errorf("child = %d/%d, want 5000/5001", e.ChildPID, e.ChildTID)
	}
}

func TestDecodeCommFillingAllSixteenBytesIsKeptWhole(t *testing.T) {
	h := shellHeader
	h.comm = "0123456789abcdef" // no NUL: the kernel's comm is at most 15 + NUL, but never trust it
	b := forkRecord(h, 1, 1)
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got := string(ev.(*Fork).Comm); got != "0123456789abcdef" {
		t.Errorf("Comm = %q", got)
	}
}

func TestDecodeIgnoresPerfPadding(t *testing.T) {
	exec := execRecord(shellHeader, 0, 0, "ls\x00", "/bin/ls", "/", "ls")
	exit := exitRecord(shellHeader, 10, 3<<8)
	fork := forkRecord(shellHeader, 77, 77)
	for _, rec := range [][]byte{exec, exit, fork} {
		padded := append(append([]byte{}, rec...), 0xff, 0xff, 0xff, 0xff)
		var d Decoder
		ev, err := d.Decode(padded)
		if err != nil {
			t.Fatalf("padded %d-byte record: %v", len(rec), err)
		}
		switch e := ev.(type) {
		case *Exec:
			if e.Size != uint32(len(rec)) || string(e.Filename) != "ls" {
				t.Errorf("exec: Size %d Filename %q: padding leaked in", e.Size, e.Filename)
			}
		case *Exit:
			if e.Code() != 3 {
				t.Errorf("exit: Code %d", e.Code())
			}
		case *Fork:
			if e.ChildPID != 77 {
				t.Errorf("fork: ChildPID %d", e.ChildPID)
			}
		}
	}
}

func TestDecodeArgs(t *testing.T) {
	many := strings.Repeat("x\x00", MaxArgs+8)
	exactly := strings.Repeat("x\x00", MaxArgs)
	tests := []struct {
		name      string
		args      string
		flags     uint32
		want      []string
		truncated bool
	}{
		{"empty argv", "", 0, []string{}, false},
		{"one arg", "ls\x00", 0, []string{"ls"}, false},
		{"empty args are kept", "a\x00\x00b\x00", 0, []string{"a", "", "b"}, false},
		{"missing trailing NUL keeps the partial last arg", "ls\x00-l\x00/ho", 0, []string{"ls", "-l", "/ho"}, false},
		{"more than MaxArgs keeps MaxArgs and flags truncation", many, 0, strings.Split(strings.Repeat("x", MaxArgs), ""), true},
		{"exactly MaxArgs is not truncated", exactly, 0, strings.Split(strings.Repeat("x", MaxArgs), ""), false},
		{"kernel truncation flag is kept", "a\x00", ExecFlagArgsTruncated, []string{"a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeExec(t, execRecord(shellHeader, 0, tt.flags, tt.args, "/e", "/c", "f"))
			if got := strs(e.Args); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Args = %q (%d), want %q (%d)", got, len(got), tt.want, len(tt.want))
			}
			if e.ArgsTruncated() != tt.truncated {
				t.Errorf("ArgsTruncated() = %v, want %v", e.ArgsTruncated(), tt.truncated)
			}
			if string(e.Exe) != "/e" || string(e.Cwd) != "/c" || string(e.Filename) != "f" {
				t.Errorf("strings after argv shifted: %q %q %q", e.Exe, e.Cwd, e.Filename)
			}
		})
	}
}

func TestDecoderReuseDoesNotLeakPreviousArgs(t *testing.T) {
	var d Decoder
	if _, err := d.Decode(execRecord(shellHeader, 0, 0, strings.Repeat("x\x00", 40), "/e", "/c", "f")); err != nil {
		t.Fatal(err)
	}
	ev, err := d.Decode(execRecord(shellHeader, 0, 0, "a\x00", "/e", "/c", "f"))
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*Exec)
	if got := strs(e.Args); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("Args = %q, want [a]", got)
	}
	if e.ArgsTruncated() {
		t.Error("truncation flag of the previous record carried over")
	}
}

func TestDecodeRejectsMalformedRecords(t *testing.T) {
	validExec := execRecord(shellHeader, 0, 0, "ls\x00", "/bin/ls", "/", "ls")

	withSize := func(b []byte, size uint32) []byte {
		b = append([]byte{}, b...)
		binary.LittleEndian.PutUint32(b[offHdrSize:], size)
		return b
	}
	withU16 := func(b []byte, off int, v uint16) []byte {
		b = append([]byte{}, b...)
		binary.LittleEndian.PutUint16(b[off:], v)
		return b
	}
	headerOnly := func(typ Type) []byte {
		b := make([]byte, HeaderSize)
		putHeader(b, testHeader{typ: typ})
		return b
	}
	unknown := make([]byte, ForkSize)
	putHeader(unknown, testHeader{typ: 99})

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"nil buffer", nil, ErrShort},
		{"empty buffer", []byte{}, ErrShort},
		{"79 bytes", make([]byte, HeaderSize-1), ErrShort},
		{"header size larger than the buffer", withSize(validExec, uint32(len(validExec)+1)), ErrShort},
		{"header size below the header", withSize(validExec, HeaderSize-1), ErrShort},
		{"header size zero", withSize(validExec, 0), ErrShort},
		{"exec without its fixed part", headerOnly(TypeExec), ErrShort},
		{"exit without its payload", headerOnly(TypeExit), ErrShort},
		{"fork without its payload", headerOnly(TypeFork), ErrShort},
		{"exec lengths summing past the data", withU16(validExec, offExecFilenameLen, 3), ErrMalformed},
		{"exec args length past the data", withU16(validExec, offExecArgsLen, 0xffff), ErrMalformed},
		{"exec lengths reaching into perf padding", append(withU16(validExec, offExecFilenameLen, 4), 0, 0), ErrMalformed},
		{"unknown type 99", unknown, ErrUnknownType},
		{"type 0", headerOnly(0), ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			ev, err := d.Decode(tt.b)
			if err == nil {
				t.Fatalf("Decode returned %T and no error", ev)
			}
			if ev != nil {
				t.Errorf("Decode returned %T along with an error", ev)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %q", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Len > len(tt.b) {
				t.Errorf("DecodeError.Len = %d for a %d-byte buffer", de.Len, len(tt.b))
			}
			if de.Error() == "" {
				t.Error("empty error text")
			}
		})
	}
}

func TestPeekType(t *testing.T) {
	typ, err := PeekType(forkRecord(shellHeader, 1, 1))
	if err != nil || typ != TypeFork {
		t.Errorf("PeekType(fork) = %v, %v", typ, err)
	}
	if _, err := PeekType(make([]byte, HeaderSize-1)); !errors.Is(err, ErrShort) {
		t.Errorf("PeekType(79 bytes) error = %v, want ErrShort", err)
	}
}

func TestTypeString(t *testing.T) {
	for typ, want := range map[Type]string{TypeExec: "exec", TypeExit: "exit", TypeFork: "fork", 0: "unknown", 99: "unknown"} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q, want %q", uint32(typ), got, want)
		}
	}
}

// FuzzDecode: whatever the buffer holds, Decode neither panics nor returns
// an error that is not a *DecodeError, and a decoded record's byte slices
// stay inside the buffer.
func FuzzDecode(f *testing.F) {
	f.Add(execRecord(shellHeader, 0, 0, "/bin/true\x00a\x00b\x00c\x00", "/usr/bin/true", "/home/user", "/bin/true"))
	f.Add(execRecord(shellHeader, -2, 0, "nope\x00", "/usr/bin/bash", "/tmp", "./nope"))
	f.Add(execRecord(shellHeader, 0, 0, strings.Repeat("x\x00", 40), "/e", "/c", "f"))
	f.Add(execRecord(shellHeader, 0, 0, "a\x00\x00b", "", "", ""))
	f.Add(exitRecord(shellHeader, 1, 3<<8))
	f.Add(exitRecord(shellHeader, 1, 0x80|11))
	f.Add(forkRecord(shellHeader, 5000, 5001))
	f.Add(fileRecord(shellHeader, catShadow))
	f.Add(fileRecord(shellHeader, deniedShadow))
	f.Add(fileRecord(shellHeader, renameIntoCron))
	f.Add(fileRecord(shellHeader, chownShadow))
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize-1))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		ev, err := d.Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T (%v) is not a *DecodeError", err, err)
			}
			if ev != nil {
				t.Fatalf("Decode returned %T along with an error", ev)
			}
			return
		}
		inside := func(name string, s []byte) {
			if len(s) > 0 && !overlaps(b, s) {
				t.Fatalf("%s (%d bytes) does not alias the input", name, len(s))
			}
		}
		switch e := ev.(type) {
		case *Exec:
			if len(e.Args) > MaxArgs {
				t.Fatalf("%d args kept, max %d", len(e.Args), MaxArgs)
			}
			for _, a := range e.Args {
				inside("arg", a)
				if bytes.IndexByte(a, 0) >= 0 {
					t.Fatalf("arg %q holds a NUL", a)
				}
			}
			inside("exe", e.Exe)
			inside("cwd", e.Cwd)
			inside("filename", e.Filename)
			inside("comm", e.Comm)
		case *Exit:
			inside("comm", e.Comm)
		case *Fork:
			inside("comm", e.Comm)
		case *File:
			inside("path", e.Path)
			inside("requested", e.Requested)
			inside("target", e.Target)
			inside("comm", e.Comm)
		case *Net:
			inside("unix path", e.UnixPath)
			inside("comm", e.Comm)
		case *Syscall:
			for _, str := range e.Strs {
				inside("string argument", str)
			}
			inside("path", e.Path)
			inside("comm", e.Comm)
		case *Priv:
			inside("comm", e.Comm)
		default:
			t.Fatalf("Decode returned %T and no error", ev)
		}
	})
}

// overlaps says whether s lies within b's first header.size bytes, i.e. it
// aliases the record and not the padding after it.  A slice of b ends
// where b's backing array ends, so cap tells where it starts.
func overlaps(b, s []byte) bool {
	size := int(binary.LittleEndian.Uint32(b[offHdrSize:]))
	off := cap(b) - cap(s)
	return off >= 0 && off+len(s) <= size && &b[:cap(b)][off] == &s[0]
}

// The LD_PRELOAD value follows the filename; a length past the data is
// refused, not read.
func TestDecodeExecCarriesThePreloadValue(t *testing.T) {
	b := execRecord(testHeader{pid: 7, comm: "ls"}, 0, ExecFlagLDPreload, "ls\x00", "/usr/bin/ls", "/", "/usr/bin/ls")
	b = append(b, "libfakeroot-sysv.so"...)
	binary.LittleEndian.PutUint16(b[offExecPreloadLen:], uint16(len("libfakeroot-sysv.so")))
	binary.LittleEndian.PutUint32(b[offHdrSize:], uint32(len(b)))
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*Exec)
	if string(e.Preload) != "libfakeroot-sysv.so" || string(e.Filename) != "/usr/bin/ls" {
		t.Errorf("Preload %q, Filename %q", e.Preload, e.Filename)
	}
	binary.LittleEndian.PutUint16(b[offExecPreloadLen:], 500)
	if _, err := d.Decode(b); err == nil {
		t.Error("a preload length past the record decoded")
	}
}
