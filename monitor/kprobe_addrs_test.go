package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// kprobeAddrsFixture is a kernel's kallsyms and boot id in a directory,
// with the kept file beside them.
func kprobeAddrsFixture(t *testing.T) kprobeAddrs {
	t.Helper()
	dir := t.TempDir()
	k := kprobeAddrs{
		path:     filepath.Join(dir, "run", "kprobe-addresses"),
		bootID:   filepath.Join(dir, "boot_id"),
		kallsyms: filepath.Join(dir, "kallsyms"),
		kernel:   "5.10.0-test",
	}
	writeFixture(t, k.bootID, "0b0e5c5e-1111-2222-3333-444455556666\n")
	writeFixture(t, k.kallsyms, `ffffffff81000000 T startup_64
ffffffff8109a2b0 T commit_creds
ffffffff81234560 T security_file_open
ffffffff81300000 t cleanup_module_like
ffffffff81300010 t cleanup_module_like
ffffffffc0a01000 t cleanup_module_like	[some_mod]
ffffffffc0a02000 T only_in_a_module	[other_mod]
`)
	return k
}

func TestKprobeAddressesAreKeptAndReadBack(t *testing.T) {
	k := kprobeAddrsFixture(t)
	if got := k.kept(); got != nil {
		t.Fatalf("before any start: %v, want nothing kept", got)
	}
	want := map[string]uint64{"commit_creds": 0xffffffff8109a2b0, "security_file_open": 0xffffffff81234560}
	got, err := k.keep([]string{"security_file_open", "commit_creds"})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("keep: %v, %v; want %v", got, err, want)
	}
	if fi, err := os.Stat(k.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kept file: %v, %v; want a file of mode 0600", fi, err)
	}
	// the next start does not read kallsyms: an empty one shows it
	writeFixture(t, k.kallsyms, "")
	if got := k.kept(); !reflect.DeepEqual(got, want) {
		t.Fatalf("read back: %v, want %v", got, want)
	}
}

func TestKprobeAddressesOfNamesHeldTwiceOrNotAtAllAreNotKept(t *testing.T) {
	k := kprobeAddrsFixture(t)
	got, err := k.keep([]string{"commit_creds", "cleanup_module_like", "no_such_function", "only_in_a_module"})
	// a module's symbol is one symbol: the kernel resolves it by name too
	want := map[string]uint64{"commit_creds": 0xffffffff8109a2b0, "only_in_a_module": 0xffffffffc0a02000}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("keep: %v, %v; want %v (a name held three times and a missing one left out)", got, err, want)
	}
}

func TestKprobeAddressesHiddenByTheKernelAreNotKept(t *testing.T) {
	k := kprobeAddrsFixture(t)
	// kptr_restrict: kallsyms shows every address as zero
	writeFixture(t, k.kallsyms, "0000000000000000 T commit_creds\n0000000000000000 T security_file_open\n")
	got, err := k.keep([]string{"commit_creds", "security_file_open"})
	if err != nil || len(got) != 0 {
		t.Fatalf("keep: %v, %v; want nothing kept", got, err)
	}
	if kept := k.kept(); len(kept) != 0 {
		t.Fatalf("read back: %v, want nothing", kept)
	}
}

func TestKprobeAddressesOfAnotherBootOrKernelAreNotBelieved(t *testing.T) {
	for name, change := range map[string]func(k *kprobeAddrs, t *testing.T){
		"another boot": func(k *kprobeAddrs, t *testing.T) {
			writeFixture(t, k.bootID, "ffffffff-0000-0000-0000-000000000000\n")
		},
		"another kernel": func(k *kprobeAddrs, t *testing.T) { k.kernel = "5.10.0-other" },
		"a damaged line": func(k *kprobeAddrs, t *testing.T) {
			b, _ := os.ReadFile(k.path)
			writeFixture(t, k.path, string(b)+"commit_creds zz\n")
		},
		"a file others may write": func(k *kprobeAddrs, t *testing.T) { os.Chmod(k.path, 0o666) },
		"no boot id":              func(k *kprobeAddrs, t *testing.T) { os.Remove(k.bootID) },
	} {
		t.Run(name, func(t *testing.T) {
			k := kprobeAddrsFixture(t)
			if _, err := k.keep([]string{"commit_creds"}); err != nil {
				t.Fatal(err)
			}
			change(&k, t)
			if got := k.kept(); got != nil {
				t.Fatalf("read back: %v, want nothing believed", got)
			}
		})
	}
}

func TestKprobeAddressesNeedAKallsyms(t *testing.T) {
	k := kprobeAddrsFixture(t)
	os.Remove(k.kallsyms)
	if got, err := k.keep([]string{"commit_creds"}); err == nil {
		t.Fatalf("keep without kallsyms: %v, want an error", got)
	}
	if _, err := os.Stat(k.path); !os.IsNotExist(err) {
		t.Fatalf("kept file: %v, want none written", err)
	}
}
