package monitor

import (
	"os"
	"path/filepath"
	"testing"
)

func TestScriptOfNamesWhatAnInterpreterRuns(t *testing.T) {
	dir := t.TempDir()
	bash := filepath.Join(dir, "bash")
	if err := os.WriteFile(bash, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(dir, "sh")
	if err := os.Symlink("bash", sh); err != nil { // /bin/sh -> bash: the interpreter, not a script
		t.Fatal(err)
	}
	b := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i, x := range s {
			out[i] = []byte(x)
		}
		return out
	}
	mawk, awk := filepath.Join(dir, "mawk"), filepath.Join(dir, "awk")
	if err := os.WriteFile(mawk, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("mawk", awk); err != nil {
		t.Fatal(err)
	}
	p := &processor{}
	for _, c := range []struct {
		name               string
		exe, filename, cwd string
		args               [][]byte
		want               string
	}{
		{"a #! script by its path", "/usr/bin/perl", "/usr/sbin/dpkg-preconfigure", "/",
			b("/usr/bin/perl", "-w", "/usr/sbin/dpkg-preconfigure", "--apt"), "/usr/sbin/dpkg-preconfigure"},
		{"a #! script by a relative path", bash, "./build.sh", "/src", b(bash, "./build.sh"), "/src/build.sh"},
		{"an interpreter given its script", "/usr/bin/python3.11", "/usr/bin/python3.11", "/srv",
			b("python3", "manage.py", "runserver"), "/srv/manage.py"},
		{"a link to the interpreter is not a script", bash, sh, "/", b("sh", "-c", "true"), ""},
		{"a link, then the script as argument", bash, sh, "/etc", b("sh", "rc.local"), "/etc/rc.local"},
		{"an option is not a script", bash, bash, "/", b("bash", "-c", "id"), ""},
		{"awk's program is not a script", mawk, awk, "/",
			b("awk", "{print}"), ""},
		{"not an interpreter", "/usr/bin/cat", "/usr/bin/cat", "/", b("cat", "x"), ""},
	} {
		got := p.scriptOf([]byte(c.exe), []byte(c.filename), []byte(c.cwd), c.args, "")
		if got != c.want {
			t.Errorf("%s: scriptOf = %q, want %q", c.name, got, c.want)
		}
	}
}

// A container's files are resolved in its root: its /bin/cat is a link to
// its busybox (no script), whatever the host's /bin/cat is; a link that
// leads out of the root cannot be told from here.
func TestScriptOfResolvesInTheProcessRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin/busybox"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"bin/cat": "busybox", "bin/escape": "/usr/bin/env"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	p := &processor{}
	if got := p.scriptOf([]byte("/bin/busybox"), []byte("/bin/cat"), []byte("/"), [][]byte{[]byte("cat"), []byte("/etc/shadow")}, root); got != "" {
		t.Errorf("busybox's cat in a container: script %q, want none", got)
	}
	if got := p.scriptOf([]byte("/bin/busybox"), []byte("/bin/escape"), []byte("/"), [][]byte{[]byte("escape")}, root); got != "" {
		t.Errorf("a link out of the root: script %q, want none", got)
	}
}
