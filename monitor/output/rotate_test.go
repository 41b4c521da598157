package output

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRotationShiftsKeepsNAndCompresses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "monitor.log")
	r := Rotation{MaxBytes: 1, MaxFiles: 3, Compress: true}
	for i, content := range []string{"a\n", "b\n", "c\n", "d\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Rotate(path, r); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		if err := Compress(path); err != nil {
			t.Fatalf("compress %d: %v", i, err)
		}
	}
	for i, want := range map[int]string{1: "d\n", 2: "c\n", 3: "b\n"} {
		name := path + "." + string(rune('0'+i)) + ".gz"
		f, err := os.Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		f.Close()
		if string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
		if st, _ := os.Stat(name); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(path + ".4.gz"); err == nil {
		t.Error("a fourth rotated file was kept")
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the log file itself is still there after the rotation (the writer opens it again)")
	}
}
