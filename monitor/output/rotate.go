package output

// Rotation of the log file for hosts without logrotate (--log-max-size,
// --log-max-files, --log-compress).  The writer rotates between two
// flushes, so every line is whole in exactly one file: the full file is
// renamed to FILE.1 (older ones shift to FILE.2 ... FILE.N, the oldest
// beyond N is removed) and FILE is opened again, O_APPEND, 0600, never
// through a symlink.  With compression FILE.1 becomes FILE.1.gz in the
// background; the next rotation waits for it.

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
)

// Rotation says when and how the log file is rotated; MaxBytes 0 is never.
type Rotation struct {
	MaxBytes int64
	MaxFiles int // rotated files kept, 1 or more
	Compress bool
}

// rotatedName is FILE.i, or FILE.i.gz when that is the one on disk.
func rotatedName(path string, i int) string {
	n := path + "." + strconv.Itoa(i)
	if _, err := os.Lstat(n + ".gz"); err == nil {
		return n + ".gz"
	}
	return n
}

// Rotate shifts FILE.1 ... FILE.N-1 up by one (removing FILE.N) and renames
// FILE to FILE.1.  The caller opens FILE again.
func Rotate(path string, r Rotation) error {
	if r.MaxFiles < 1 {
		return errors.New("rotation keeps at least one file")
	}
	for _, old := range []string{path + "." + strconv.Itoa(r.MaxFiles), path + "." + strconv.Itoa(r.MaxFiles) + ".gz"} {
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	for i := r.MaxFiles - 1; i >= 1; i-- {
		from := rotatedName(path, i)
		to := path + "." + strconv.Itoa(i+1)
		if len(from) > 3 && from[len(from)-3:] == ".gz" {
			to += ".gz"
		}
		if err := os.Rename(from, to); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	if err := os.Rename(path, path+".1"); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	return nil
}

// Compress gzips FILE.1 into FILE.1.gz (0600, written aside and renamed,
// so a reader never sees half of it) and removes FILE.1.
func Compress(path string) error {
	src := path + ".1"
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("compress %s: %w", src, err)
	}
	defer in.Close()
	tmp := src + ".gz.tmp"
	os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("compress %s: %w", src, err)
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, src+".gz")
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compress %s: %w", src, err)
	}
	return os.Remove(src)
}
