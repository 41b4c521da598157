package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

var le = binary.LittleEndian

// ErrShort is returned (wrapped in *DecodeError) for a record shorter than
// its fixed part or than its header claims.
var ErrShort = errors.New("record too short")

// ErrMalformed is returned (wrapped) for lengths that do not fit the record.
var ErrMalformed = errors.New("malformed record")

// ErrUnknownType is returned (wrapped) for a type this decoder does not know.
var ErrUnknownType = errors.New("unknown record type")

// DecodeError says which record failed and why.
type DecodeError struct {
	Type Type
	Len  int
	Err  error
	Info string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decode %s record (%d bytes): %v: %s", e.Type, e.Len, e.Err, e.Info)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decoder turns raw records into typed events.  It reuses its structs: a
// returned event (and its byte slices, which alias the input) is valid only
// until the next call and until the input buffer is reused.  No reflection,
// no allocation on the hot path except the argv slice growing once.
type Decoder struct {
	exec Exec
	exit Exit
	fork Fork
	file File
	net  Net
	sys  Syscall
	priv Priv
}

// PeekType returns the record type, or an error if there is no header.
func PeekType(b []byte) (Type, error) {
	if len(b) < HeaderSize {
		return 0, &DecodeError{Len: len(b), Err: ErrShort, Info: "no header"}
	}
	return Type(le.Uint32(b[offHdrType:])), nil
}

func decodeHeader(h *Header, b []byte) {
	h.TimeNs = le.Uint64(b[offHdrTs:])
	h.CgroupID = le.Uint64(b[offHdrCgroupID:])
	h.Type = Type(le.Uint32(b[offHdrType:]))
	h.Size = le.Uint32(b[offHdrSize:])
	h.PID = le.Uint32(b[offHdrPid:])
	h.TID = le.Uint32(b[offHdrTid:])
	h.PPID = le.Uint32(b[offHdrPpid:])
	h.UID = le.Uint32(b[offHdrUID:])
	h.GID = le.Uint32(b[offHdrGID:])
	h.EUID = le.Uint32(b[offHdrEUID:])
	h.EGID = le.Uint32(b[offHdrEGID:])
	h.LoginUID = le.Uint32(b[offHdrLoginUID:])
	h.Flags = le.Uint32(b[offHdrFlags:])
	h.MntNS = le.Uint32(b[offHdrMntNS:])
	h.VPID = le.Uint32(b[offHdrVPID:])
	h.PidNS = le.Uint32(b[offHdrPidNS:])
	h.NetNS = le.Uint32(b[offHdrNetNS:])
	h.UserNS = le.Uint32(b[offHdrUserNS:])
	h.Comm = cstring(b[offHdrComm : offHdrComm+TaskCommLen])
}

// cstring cuts b at its first NUL.
func cstring(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// Decode decodes one record.  The result is *Exec, *Exit or *Fork.
func (d *Decoder) Decode(b []byte) (any, error) {
	t, err := PeekType(b)
	if err != nil {
		return nil, err
	}
	size := int(le.Uint32(b[offHdrSize:]))
	// perf pads samples to 8 bytes: the buffer may be longer than the record
	if size < HeaderSize || size > len(b) {
		return nil, &DecodeError{Type: t, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("header says %d bytes", size)}
	}
	b = b[:size]
	switch t {
	case TypeExec:
		e, err := d.decodeExec(b)
		if err != nil {
			return nil, err // not a typed nil *Exec in the interface
		}
		return e, nil
	case TypeExit:
		if len(b) < ExitSize {
			return nil, &DecodeError{Type: t, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", ExitSize)}
		}
		e := &d.exit
		decodeHeader(&e.Header, b)
		e.LifetimeNs = le.Uint64(b[offExitLifetime:])
		e.ExitCode = le.Uint32(b[offExitCode:])
		return e, nil
	case TypeFork:
		if len(b) < ForkSize {
			return nil, &DecodeError{Type: t, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", ForkSize)}
		}
		e := &d.fork
		decodeHeader(&e.Header, b)
		e.ChildPID = le.Uint32(b[offForkChildPid:])
		e.ChildTID = le.Uint32(b[offForkChildTid:])
		return e, nil
	case TypeSyscall:
		e, err := d.decodeSyscall(b)
		if err != nil {
			return nil, err
		}
		return e, nil
	case TypePriv:
		if len(b) < PrivSize {
			return nil, &DecodeError{Type: t, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", PrivSize)}
		}
		e := &d.priv
		decodeHeader(&e.Header, b)
		decodeCreds(&e.Before, b[offPrivBefore:])
		decodeCreds(&e.After, b[offPrivAfter:])
		e.Means = le.Uint32(b[offPrivMeans:])
		e.Nr = le.Uint32(b[offPrivNr:])
		e.Ret = int64(le.Uint64(b[offPrivRet:]))
		e.ExeUID = le.Uint32(b[offPrivExeUID:])
		e.ExeMode = le.Uint32(b[offPrivExeMode:])
		return e, nil
	case TypeNet:
		if len(b) < NetSize {
			return nil, &DecodeError{Type: t, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", NetSize)}
		}
		e := &d.net
		decodeHeader(&e.Header, b)
		e.Ret = int32(le.Uint32(b[offNetRet:]))
		e.Op = le.Uint32(b[offNetOp:])
		e.Flags = le.Uint32(b[offNetFlags:])
		e.Backlog = le.Uint32(b[offNetBacklog:])
		e.Family = le.Uint16(b[offNetFamily:])
		e.Protocol = le.Uint16(b[offNetProtocol:])
		e.SockType = le.Uint16(b[offNetSockType:])
		e.Sport = le.Uint16(b[offNetSport:])
		e.Dport = le.Uint16(b[offNetDport:])
		copy(e.Saddr[:], b[offNetSaddr:offNetSaddr+16])
		copy(e.Daddr[:], b[offNetDaddr:offNetDaddr+16])
		n := int(le.Uint16(b[offNetUnixPathLen:]))
		if n > UnixPathLen {
			return nil, &DecodeError{Type: t, Len: len(b), Err: ErrMalformed, Info: fmt.Sprintf("unix path length %d", n)}
		}
		e.UnixPath = b[offNetUnixPath : offNetUnixPath+n]
		e.AuditType = le.Uint32(b[offNetAuditType:])
		for i := range e.AuditStatus {
			e.AuditStatus[i] = le.Uint32(b[offNetAuditStatus+4*i:])
		}
		return e, nil
	case TypeFile:
		e, err := d.decodeFile(b)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	return nil, &DecodeError{Type: t, Len: len(b), Err: ErrUnknownType, Info: fmt.Sprintf("type %d", uint32(t))}
}

func (d *Decoder) decodeExec(b []byte) (*Exec, error) {
	if len(b) < ExecFixedSize {
		return nil, &DecodeError{Type: TypeExec, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", ExecFixedSize)}
	}
	e := &d.exec
	decodeHeader(&e.Header, b)
	e.Ret = int32(le.Uint32(b[offExecRet:]))
	e.Flags = le.Uint32(b[offExecFlags:])
	argsLen := int(le.Uint16(b[offExecArgsLen:]))
	exeLen := int(le.Uint16(b[offExecExeLen:]))
	cwdLen := int(le.Uint16(b[offExecCwdLen:]))
	fnLen := int(le.Uint16(b[offExecFilenameLen:]))
	preLen := int(le.Uint16(b[offExecPreloadLen:]))
	e.ExeRootLen = le.Uint16(b[offExecExeRootLen:])
	e.CwdRootLen = le.Uint16(b[offExecCwdRootLen:])
	e.StdinPipe = le.Uint64(b[offExecStdinPipe:])
	e.StdoutPipe = le.Uint64(b[offExecStdoutPipe:])
	data := b[offExecData:]
	if argsLen+exeLen+cwdLen+fnLen+preLen > len(data) {
		return nil, &DecodeError{Type: TypeExec, Len: len(b), Err: ErrMalformed,
			Info: fmt.Sprintf("lengths %d+%d+%d+%d+%d exceed %d data bytes", argsLen, exeLen, cwdLen, fnLen, preLen, len(data))}
	}
	args := data[:argsLen]
	data = data[argsLen:]
	e.Exe, data = data[:exeLen], data[exeLen:]
	e.Cwd, data = data[:cwdLen], data[cwdLen:]
	e.Filename, data = data[:fnLen], data[fnLen:]
	e.Preload = data[:preLen]
	e.Args = splitArgs(e.Args[:0], args, &e.Flags)
	return e, nil
}

func (d *Decoder) decodeFile(b []byte) (*File, error) {
	if len(b) < FileFixedSize {
		return nil, &DecodeError{Type: TypeFile, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", FileFixedSize)}
	}
	e := &d.file
	decodeHeader(&e.Header, b)
	e.Ret = int32(le.Uint32(b[offFileRet:]))
	e.Op = le.Uint32(b[offFileOp:])
	e.OpFlags = le.Uint32(b[offFileOpFlags:])
	e.Mode = le.Uint32(b[offFileMode:])
	e.Access = le.Uint32(b[offFileAccess:])
	e.Flags = le.Uint32(b[offFileFlags:])
	e.WatchID = le.Uint32(b[offFileWatchID:])
	e.OwnerUID = le.Uint32(b[offFileOwnerUID:])
	e.OwnerGID = le.Uint32(b[offFileOwnerGID:])
	e.PathRootLen = le.Uint16(b[offFilePathRootLen:])
	e.TargetRootLen = le.Uint16(b[offFileTgtRootLen:])
	e.ATime = int64(le.Uint64(b[offFileATime:]))
	e.MTime = int64(le.Uint64(b[offFileMTime:]))
	pathLen := int(le.Uint16(b[offFilePathLen:]))
	reqLen := int(le.Uint16(b[offFileRequestedLen:]))
	tgtLen := int(le.Uint16(b[offFileTargetLen:]))
	data := b[offFileData:]
	if pathLen+reqLen+tgtLen > len(data) {
		return nil, &DecodeError{Type: TypeFile, Len: len(b), Err: ErrMalformed,
			Info: fmt.Sprintf("lengths %d+%d+%d exceed %d data bytes", pathLen, reqLen, tgtLen, len(data))}
	}
	e.Path, data = data[:pathLen], data[pathLen:]
	e.Requested, data = data[:reqLen], data[reqLen:]
	e.Target = data[:tgtLen]
	return e, nil
}

func decodeCreds(c *Creds, b []byte) {
	c.UID = le.Uint32(b[offCredUID:])
	c.EUID = le.Uint32(b[offCredEUID:])
	c.SUID = le.Uint32(b[offCredSUID:])
	c.FSUID = le.Uint32(b[offCredFSUID:])
	c.GID = le.Uint32(b[offCredGID:])
	c.EGID = le.Uint32(b[offCredEGID:])
	c.SGID = le.Uint32(b[offCredSGID:])
	c.FSGID = le.Uint32(b[offCredFSGID:])
	c.CapEffective = le.Uint64(b[offCredCapEff:])
	c.CapPermitted = le.Uint64(b[offCredCapPermitt:])
}

func (d *Decoder) decodeSyscall(b []byte) (*Syscall, error) {
	if len(b) < SyscallFixedSize {
		return nil, &DecodeError{Type: TypeSyscall, Len: len(b), Err: ErrShort, Info: fmt.Sprintf("need %d bytes", SyscallFixedSize)}
	}
	e := &d.sys
	decodeHeader(&e.Header, b)
	e.Ret = int64(le.Uint64(b[offSysRet:]))
	for i := range e.Args {
		e.Args[i] = le.Uint64(b[offSysArgs+8*i:])
	}
	e.Deref = le.Uint64(b[offSysDeref:])
	e.Nr = le.Uint32(b[offSysNr:])
	e.Flags = le.Uint32(b[offSysFlags:])
	data := b[offSysData:]
	var lens [3]int
	total := 0
	for i := range lens {
		lens[i] = int(le.Uint16(b[offSysStrLen+2*i:]))
		total += lens[i]
	}
	pathLen := int(le.Uint16(b[offSysPathLen:]))
	if total+pathLen > len(data) {
		return nil, &DecodeError{Type: TypeSyscall, Len: len(b), Err: ErrMalformed,
			Info: fmt.Sprintf("lengths %v+%d exceed %d data bytes", lens, pathLen, len(data))}
	}
	for i, n := range lens {
		e.Strs[i], data = data[:n], data[n:]
	}
	e.Path = data[:pathLen]
	return e, nil
}

// splitArgs splits NUL-separated argv, keeping at most MaxArgs entries and
// flagging truncation when more were present.
func splitArgs(dst [][]byte, b []byte, flags *uint32) [][]byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		var a []byte
		if i < 0 {
			a, b = b, nil // cut by the size cap: no NUL
		} else {
			a, b = b[:i], b[i+1:]
		}
		if len(dst) == MaxArgs {
			*flags |= ExecFlagArgsTruncated
			break
		}
		dst = append(dst, a)
	}
	return dst
}
