package monitor

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// traceableFixture is a kernel's list, boot id and modules in a
// directory, with the cache beside them.
func traceableFixture(t *testing.T) traceableFiles {
	t.Helper()
	dir := t.TempDir()
	f := traceableFiles{
		list:    filepath.Join(dir, "available_filter_functions"),
		cache:   filepath.Join(dir, "run", "traceable"),
		bootID:  filepath.Join(dir, "boot_id"),
		modules: filepath.Join(dir, "modules"),
		kernel:  "6.12.0-test",
	}
	writeFixture(t, f.list, "do_one_initcall\n__x64_sys_openat\n__x64_sys_open\nsecurity_file_open\nnf_hook [nf_tables]\n")
	writeFixture(t, f.bootID, "0b0e5c5e-1111-2222-3333-444455556666\n")
	writeFixture(t, f.modules, "nf_tables 352256 0 - Live 0x0000000000000000\nloop 40960 0 - Live 0x0000000000000000\n")
	return f
}

func writeFixture(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

var traceableCandidates = map[string]bool{"__x64_sys_openat": true, "__x64_sys_creat": true,
	"security_file_open": true, "nf_hook": true}

func TestTraceableIsReadOnceAndThenKept(t *testing.T) {
	f := traceableFixture(t)
	want := map[string]bool{"__x64_sys_openat": true, "security_file_open": true, "nf_hook": true}
	got, cached, err := f.traceable(traceableCandidates)
	if err != nil || cached || !reflect.DeepEqual(got, want) {
		t.Fatalf("first start: %v cached=%v err=%v, want %v from the list", got, cached, err, want)
	}
	if fi, err := os.Stat(f.cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache: %v, %v; want a file of mode 0600", fi, err)
	}
	// the next start does not read the list: an empty one shows it
	writeFixture(t, f.list, "")
	got, cached, err = f.traceable(traceableCandidates)
	if err != nil || !cached || !reflect.DeepEqual(got, want) {
		t.Fatalf("second start: %v cached=%v err=%v, want %v from the cache", got, cached, err, want)
	}
}

func TestTraceableIsReadAgainWhenItsKeyChanges(t *testing.T) {
	for name, change := range map[string]func(f *traceableFiles, t *testing.T){
		"a new boot":       func(f *traceableFiles, t *testing.T) { writeFixture(t, f.bootID, "another boot\n") },
		"other modules":    func(f *traceableFiles, t *testing.T) { writeFixture(t, f.modules, "loop 40960 0 - Live 0x0\n") },
		"another kernel":   func(f *traceableFiles, t *testing.T) { f.kernel = "6.13.0-test" },
		"other candidates": func(f *traceableFiles, t *testing.T) {},
	} {
		t.Run(name, func(t *testing.T) {
			f := traceableFixture(t)
			if _, _, err := f.traceable(traceableCandidates); err != nil {
				t.Fatal(err)
			}
			writeFixture(t, f.list, "__x64_sys_creat\n")
			change(&f, t)
			candidates := traceableCandidates
			if name == "other candidates" {
				candidates = map[string]bool{"__x64_sys_creat": true, "__x64_sys_openat": true}
			}
			got, cached, err := f.traceable(candidates)
			if want := map[string]bool{"__x64_sys_creat": true}; err != nil || cached || !reflect.DeepEqual(got, want) {
				t.Errorf("%v cached=%v err=%v, want %v read again", got, cached, err, want)
			}
		})
	}
}

func TestTraceableCacheOthersCouldWriteIsPassedOver(t *testing.T) {
	f := traceableFixture(t)
	if _, _, err := f.traceable(traceableCandidates); err != nil {
		t.Fatal(err)
	}
	writeFixture(t, f.list, "__x64_sys_creat\n")
	if err := os.Chmod(f.cache, 0o666); err != nil {
		t.Fatal(err)
	}
	got, cached, err := f.traceable(traceableCandidates)
	if want := map[string]bool{"__x64_sys_creat": true}; err != nil || cached || !reflect.DeepEqual(got, want) {
		t.Errorf("%v cached=%v err=%v, want %v read from the list", got, cached, err, want)
	}
}

func TestTraceableWithoutTheListIsAnError(t *testing.T) {
	f := traceableFixture(t)
	os.Remove(f.list)
	if _, _, err := f.traceable(traceableCandidates); err == nil {
		t.Error("no error without the list")
	}
	if _, err := os.Stat(f.cache); err == nil {
		t.Error("a cache was written without the list")
	}
}

func TestTraceableWithoutACacheStillAnswers(t *testing.T) {
	f := traceableFixture(t)
	f.cache = "/proc/self/cannot-be-written/traceable"
	got, cached, err := f.traceable(traceableCandidates)
	if err != nil || cached || len(got) != 3 {
		t.Errorf("%v cached=%v err=%v", got, cached, err)
	}
}

// withBTF gives f the kernel's BTF functions btf (or btfErr).
func withBTF(f traceableFiles, btf []string, btfErr error) traceableFiles {
	f.inBTF = func(candidates map[string]bool) (map[string]bool, error) {
		if btfErr != nil {
			return nil, btfErr
		}
		out := map[string]bool{}
		for _, fn := range btf {
			if candidates[fn] {
				out[fn] = true
			}
		}
		return out, nil
	}
	return f
}

// With the kernel's BTF, the list is not read: a line too long for the
// scanner would fail a read.  The BTF's answer is kept like the list's.
func TestTraceableIsTheBTFsWithoutReadingTheList(t *testing.T) {
	f := withBTF(traceableFixture(t), []string{"__x64_sys_openat", "__x64_sys_creat", "security_file_open"}, nil)
	writeFixture(t, f.list, strings.Repeat("x", 70000)+"\n__x64_sys_openat\n")
	want := map[string]bool{"__x64_sys_openat": true, "__x64_sys_creat": true, "security_file_open": true}
	got, cached, err := f.traceable(traceableCandidates)
	if err != nil || cached || !maps.Equal(got, want) {
		t.Fatalf("%v cached=%v err=%v, want the BTF's %v, the list unread", got, cached, err, want)
	}
	f.inBTF = nil
	if got, cached, err = f.traceable(traceableCandidates); err != nil || !cached || !maps.Equal(got, want) {
		t.Errorf("next start: %v cached=%v err=%v, want %v kept", got, cached, err, want)
	}
}

// Without the BTF the list is read whole; without the list (a kernel with
// no function tracer has no trampolines) there is no answer.
func TestTraceableIsTheListsWhereTheBTFCannotAnswer(t *testing.T) {
	f := withBTF(traceableFixture(t), nil, errors.New("no BTF"))
	f.cache = ""
	writeFixture(t, f.list, "__x64_sys_openat\nnf_hook [nf_tables]\n")
	want := map[string]bool{"__x64_sys_openat": true, "nf_hook": true}
	if got, _, err := f.traceable(traceableCandidates); err != nil || !maps.Equal(got, want) {
		t.Errorf("no BTF: %v err=%v, want the whole list's %v", got, err, want)
	}
	f = withBTF(traceableFixture(t), []string{"__x64_sys_openat"}, nil)
	os.Remove(f.list)
	if got, _, err := f.traceable(traceableCandidates); err == nil {
		t.Errorf("no list: %v, want an error", got)
	}
}
