package event

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// testNet is what the tests put in a struct net_event after its header.
type testNet struct {
	ret                        int32
	op, flags, backlog         uint32
	family, protocol, sockType uint16
	sport, dport               uint16
	saddr, daddr               [16]byte
	unixPath                   string
	unixPathLen                int // -1: len(unixPath)
	padFill                    byte
}

// netRecord builds a struct net_event of exactly NetSize bytes, the way
// the BPF program fills its per-CPU scratch slot: the unix path in a
// 108-byte array, unix_path_len saying how much of it is used.
func netRecord(h testHeader, n testNet) []byte {
	b := make([]byte, NetSize)
	h.typ = TypeNet
	putHeader(b, h)
	le := binary.LittleEndian
	le.PutUint32(b[offNetRet:], uint32(n.ret))
	le.PutUint32(b[offNetOp:], n.op)
	le.PutUint32(b[offNetFlags:], n.flags)
	le.PutUint32(b[offNetBacklog:], n.backlog)
	le.PutUint16(b[offNetFamily:], n.family)
	le.PutUint16(b[offNetProtocol:], n.protocol)
	le.PutUint16(b[offNetSockType:], n.sockType)
	le.PutUint16(b[offNetSport:], n.sport)
	le.PutUint16(b[offNetDport:], n.dport)
	pathLen := n.unixPathLen
	if pathLen < 0 {
		pathLen = len(n.unixPath)
	}
	le.PutUint16(b[offNetUnixPathLen:], uint16(pathLen))
	le.PutUint32(b[offNetPad:], 0)
	copy(b[offNetSaddr:offNetSaddr+16], n.saddr[:])
	copy(b[offNetDaddr:offNetDaddr+16], n.daddr[:])
	copy(b[offNetUnixPath:offNetUnixPath+UnixPathLen], n.unixPath)
	for i := offNetPad2; i < NetSize; i++ {
		b[i] = n.padFill
	}
	return b
}

// Kernel values spelled out, as in file_decode_test.go.
const (
	afUnix       = 1
	afInet       = 2
	afInet6      = 10
	ipprotoTCP   = 6
	ipprotoUDP   = 17
	sockStream   = 1
	eCONNREFUSED = 111
)

var (
	// bash running `exec 3<>/dev/tcp/127.0.0.1/4444`, refused
	refusedConnect = testNet{
		ret: -eCONNREFUSED, op: NetOpConnect, flags: NetFlagSyscall | NetFlagKernel,
		family: afInet, protocol: ipprotoTCP, sockType: sockStream,
		sport: 52392, dport: 4444,
		saddr:       [16]byte{127, 0, 0, 1},
		daddr:       [16]byte{127, 0, 0, 2},
		unixPathLen: -1,
	}
	// curl --unix-socket /run/docker.sock
	dockerConnect = testNet{
		op: NetOpConnect, flags: NetFlagSyscall,
		family: afUnix, sockType: sockStream,
		unixPath: "/run/docker.sock", unixPathLen: -1,
	}
	// a listener on [::1]:5001
	ipv6Listen = testNet{
		op: NetOpListen, flags: NetFlagSyscall, backlog: 5,
		family: afInet6, protocol: ipprotoTCP, sockType: sockStream, sport: 5001,
		saddr:       [16]byte{15: 1},
		unixPathLen: -1,
	}
)

func decodeNet(t *testing.T, b []byte) *Net {
	t.Helper()
	var d Decoder
	ev, err := d.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	e, ok := ev.(*Net)
	if !ok {
		t.Fatalf("Decode returned %T, want *Net", ev)
	}
	return e
}

// checkNet compares every field after the header with what was built.
func checkNet(t *testing.T, e *Net, want testNet) {
	t.Helper()
	type fields struct {
		Ret                        int32
		Op, Flags, Backlog         uint32
		Family, Protocol, SockType uint16
		Sport, Dport               uint16
		Saddr, Daddr               [16]byte
		UnixPath                   string
	}
	got := fields{e.Ret, e.Op, e.Flags, e.Backlog, e.Family, e.Protocol, e.SockType, e.Sport, e.Dport,
		e.Saddr, e.Daddr, string(e.UnixPath)}
	exp := fields{want.ret, want.op, want.flags, want.backlog, want.family, want.protocol, want.sockType,
		want.sport, want.dport, want.saddr, want.daddr, want.unixPath}
	if got != exp {
		t.Errorf("net fields:\n got %+v\nwant %+v", got, exp)
	}
}

func TestDecodeRefusedTCPConnectReadsEveryField(t *testing.T) {
	b := netRecord(shellHeader, refusedConnect)
	e := decodeNet(t, b)
	checkHeader(t, e.Header, wantHeader(TypeNet, NetSize, "bash"))
	checkNet(t, e, refusedConnect)
	if e.Ret != -111 {
		t.Errorf("Ret = %d, want -111 (ECONNREFUSED)", e.Ret)
	}
	if e.UnixPath == nil || len(e.UnixPath) != 0 {
		t.Errorf("UnixPath of an inet socket = %q, want empty", e.UnixPath)
	}
}

func TestDecodeUnixConnectToDockerSocketKeepsThePath(t *testing.T) {
	b := netRecord(shellHeader, dockerConnect)
	if got := binary.LittleEndian.Uint16(b[offNetUnixPathLen:]); got != 16 {
		t.Fatalf("unix_path_len = %d, want 16", got)
	}
	e := decodeNet(t, b)
	checkHeader(t, e.Header, wantHeader(TypeNet, NetSize, "bash"))
	checkNet(t, e, dockerConnect)
	if e.Saddr != ([16]byte{}) || e.Daddr != ([16]byte{}) {
		t.Errorf("addresses of a unix socket are not zero: % x, % x", e.Saddr, e.Daddr)
	}
	if !overlaps(b, e.UnixPath) {
		t.Error("UnixPath is a copy, want it to alias the record")
	}
}

func TestDecodeIPv6ListenKeepsBacklogAndAddress(t *testing.T) {
	e := decodeNet(t, netRecord(shellHeader, ipv6Listen))
	checkNet(t, e, ipv6Listen)
}

func TestDecodeUnixPathFillingAll108BytesIsKeptWhole(t *testing.T) {
	n := dockerConnect
	full := make([]byte, UnixPathLen)
	for i := range full {
		full[i] = 'a' + byte(i%26)
	}
	full[0] = '/'
	n.unixPath = string(full)
	e := decodeNet(t, netRecord(shellHeader, n))
	if string(e.UnixPath) != n.unixPath {
		t.Errorf("UnixPath = %q (%d bytes), want all %d", e.UnixPath, len(e.UnixPath), UnixPathLen)
	}
}

func TestDecodeAbstractUnixSocketKeepsItsLeadingNUL(t *testing.T) {
	n := dockerConnect
	n.unixPath = "\x00/tmp/.X11-unix/X0"
	e := decodeNet(t, netRecord(shellHeader, n))
	if string(e.UnixPath) != n.unixPath {
		t.Errorf("UnixPath = %q, want %q", e.UnixPath, n.unixPath)
	}
}

func TestDecodeNetIgnoresPerfPaddingAndPad2(t *testing.T) {
	n := refusedConnect
	n.padFill = 0xaa
	b := append(netRecord(shellHeader, n), 0xff, 0xff, 0xff, 0xff)
	checkNet(t, decodeNet(t, b), refusedConnect)
}

func TestDecoderReuseDoesNotLeakPreviousNet(t *testing.T) {
	var d Decoder
	if _, err := d.Decode(netRecord(shellHeader, dockerConnect)); err != nil {
		t.Fatal(err)
	}
	ev, err := d.Decode(netRecord(shellHeader, refusedConnect))
	if err != nil {
		t.Fatal(err)
	}
	checkNet(t, ev.(*Net), refusedConnect)
}

func TestDecodeRejectsMalformedNetRecords(t *testing.T) {
	valid := netRecord(shellHeader, dockerConnect)
	withPathLen := func(n uint16) []byte {
		b := append([]byte{}, valid...)
		binary.LittleEndian.PutUint16(b[offNetUnixPathLen:], n)
		return b
	}
	short := func(n int) []byte {
		b := make([]byte, n)
		putHeader(b, testHeader{typ: TypeNet})
		return b
	}

	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"header only", short(HeaderSize), ErrShort},
		{"one byte short of NetSize", short(NetSize - 1), ErrShort},
		{"record cut by the header size", func() []byte {
			b := append([]byte{}, valid...)
			binary.LittleEndian.PutUint32(b[offHdrSize:], NetSize-1)
			return b
		}(), ErrShort},
		{"unix path length 109", withPathLen(UnixPathLen + 1), ErrMalformed},
		{"unix path length 0xffff", withPathLen(0xffff), ErrMalformed},
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
			if de.Type != TypeNet {
				t.Errorf("DecodeError.Type = %v, want net", de.Type)
			}
			if de.Len > len(tt.b) {
				t.Errorf("DecodeError.Len = %d for a %d-byte buffer", de.Len, len(tt.b))
			}
		})
	}
}

func TestNetTypeIsNamedNet(t *testing.T) {
	if got := TypeNet.String(); got != "net" {
		t.Errorf("TypeNet.String() = %q, want net", got)
	}
	typ, err := PeekType(netRecord(shellHeader, refusedConnect))
	if err != nil || typ != TypeNet {
		t.Errorf("PeekType(net) = %v, %v", typ, err)
	}
}

// foldEntry builds a struct fold_key and struct fold_value as the kernel
// keeps them in the fold map.
func foldEntry(f Fold) (key, val []byte) {
	le := binary.LittleEndian
	key = make([]byte, FoldKeySize)
	le.PutUint32(key[offFoldKeyPid:], f.PID)
	le.PutUint16(key[offFoldKeyFamily:], f.Family)
	le.PutUint16(key[offFoldKeyPort:], f.Port)
	copy(key[offFoldKeyAddr:], f.Addr[:])
	val = make([]byte, FoldValueSize)
	le.PutUint64(val[offFoldFirst:], f.FirstNs)
	le.PutUint64(val[offFoldLast:], f.LastNs)
	le.PutUint64(val[offFoldCount:], f.Count)
	le.PutUint32(val[offFoldUID:], f.UID)
	le.PutUint16(val[offFoldOp:], f.Op)
	le.PutUint16(val[offFoldProtocol:], f.Protocol)
	return key, val
}

// a thousand UDP sends to 10.0.0.53:53 in 1.5 s
var dnsFlood = Fold{
	PID: 4242, Family: afInet, Port: 53, Addr: [16]byte{10, 0, 0, 53},
	FirstNs: 123456789012, LastNs: 123456789012 + 1_500_000_000, Count: 1000,
	UID: 1000, Op: NetOpSend, Protocol: ipprotoUDP,
}

func TestDecodeFoldReadsEveryField(t *testing.T) {
	key, val := foldEntry(dnsFlood)
	got, err := DecodeFold(key, val)
	if err != nil {
		t.Fatalf("DecodeFold: %v", err)
	}
	if !reflect.DeepEqual(got, dnsFlood) {
		t.Errorf("DecodeFold:\n got %+v\nwant %+v", got, dnsFlood)
	}
}

func TestDecodeFoldOfIPv6Destination(t *testing.T) {
	f := dnsFlood
	f.Family, f.Addr = afInet6, [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 0x53}
	got, err := DecodeFold(foldEntry(f))
	if err != nil {
		t.Fatalf("DecodeFold: %v", err)
	}
	if got != f {
		t.Errorf("DecodeFold:\n got %+v\nwant %+v", got, f)
	}
}

func TestDecodeFoldRejectsShortKeyOrValue(t *testing.T) {
	key, val := foldEntry(dnsFlood)
	tests := []struct {
		name     string
		key, val []byte
	}{
		{"short key", key[:FoldKeySize-1], val},
		{"short value", key, val[:FoldValueSize-1]},
		{"nil key", nil, val},
		{"nil value", key, nil},
		{"both empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFold(tt.key, tt.val)
			if !errors.Is(err, ErrShort) {
				t.Fatalf("DecodeFold error = %v, want ErrShort", err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
		})
	}
}
