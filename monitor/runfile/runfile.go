// Package runfile reads and writes what the monitor keeps between starts
// under /run (a tmpfs, empty at each boot): the traceable functions
// (monitor/traceable.go) and the rules' checked expressions
// (monitor/rules/kept.go).  What is kept steers the monitor, so only a
// regular file of its own user that nobody else may write is read; and a
// file is written aside, then renamed, so a reader sees the old one whole
// or the new one.
package runfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Read returns the file at path, at most limit bytes, if it may be
// believed; an error otherwise (a missing file included).
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%s: not a regular file only its owner writes", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid != uint32(os.Geteuid()) {
		return nil, fmt.Errorf("%s: not our own", path)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}

// Write replaces the file at path with data: written aside in its
// directory (made 0700 if missing), then renamed.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
