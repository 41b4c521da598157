package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// An account that is added and removed at once is still reported as
// added (account-created), by the useradd that added it.  The passwd file
// is read when the change is judged, after the change: the monitor is
// woken for a change of a watched file and judges a rename onto passwd at
// once, and it reads the backup shadow-utils leaves (/etc/passwd-, the file
// before the last change) for what was removed before it could look.
func TestAccountsAddedAndRemovedAtOnceAreReported(t *testing.T) {
	m := startMonitor(t)
	base := fmt.Sprintf("e2eacct%d", os.Getpid()%100000)
	addedBy := func(name string) func(rec) bool {
		return func(r rec) bool {
			return r.str("event") == "rename" && r.str("process", "comm") == "useradd" &&
				strings.Contains(fmt.Sprint(r.get("file", "accounts_added")), `name:`+name+` `)
		}
	}
	// a round: add, change, remove, as fast as a shell runs them
	round := func(name string) string {
		t.Cleanup(func() { exec.Command("userdel", name).Run() }) // if the round failed halfway
		return "useradd -M -s /usr/sbin/nologin " + name + " && usermod -c e2e " + name + " && userdel " + name
	}
	sh := func(t *testing.T, script string) {
		t.Helper()
		if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", script, err, out)
		}
	}
	check := func(t *testing.T, names []string) {
		t.Helper()
		m.drain(t)
		for _, name := range names {
			got := m.find(addedBy(name))
			if len(got) != 1 {
				t.Errorf("%s: %d records of useradd naming it added, want 1", name, len(got))
				continue
			}
			assertFired(t, got[0], "account-created")
		}
	}

	// The monitor running: each round is over in a few milliseconds,
	// where the reader's poll waits up to 100 ms for a batch.  Judged at
	// the process's exit, or polled, most of these were missed (7 of 20
	// in a loop of rounds).
	t.Run("running", func(t *testing.T) {
		var names, rounds []string
		for i := 0; i < 5; i++ {
			names = append(names, fmt.Sprintf("%sr%d", base, i))
			rounds = append(rounds, round(names[i]))
		}
		sh(t, strings.Join(rounds, " && "))
		check(t, names)
	})

	// A process that renames a new passwd file into place and lives on:
	// its change is judged at the rename, not at its exit (nor a second
	// later, when a held change is judged anyway).
	t.Run("rename by a process that lives on", func(t *testing.T) {
		name := base + "l"
		orig, err := os.ReadFile("/etc/passwd")
		if err != nil {
			t.Fatal(err)
		}
		// restored by a rename, judged at once: a write in place would be
		// held while this process lives, and judged a second later, in the
		// middle of the next subtest
		defer func() {
			if err := os.WriteFile("/etc/passwd.e2e-orig", orig, 0o644); err != nil {
				t.Errorf("/etc/passwd not restored: %v", err)
			} else if err := os.Rename("/etc/passwd.e2e-orig", "/etc/passwd"); err != nil {
				t.Errorf("/etc/passwd not restored: %v", err)
			}
		}()
		script := `import os, sys
new = open("/etc/passwd").read() + "` + name + `:x:4242:4242:e2e, removed at once:/nonexistent:/usr/sbin/nologin\n"
with open("/etc/passwd.e2e", "w") as f:
    f.write(new)
os.rename("/etc/passwd.e2e", "/etc/passwd")
print("renamed", flush=True)
sys.stdin.read()
`
		cmd := exec.Command("python3", "-c", script)
		stdin, stdout := startPiped(t, cmd)
		defer cmd.Wait()
		defer stdin.Close()
		if !stdout.Scan() || stdout.Text() != "renamed" {
			t.Fatalf("python: %q, %v", stdout.Text(), stdout.Err())
		}
		m.drain(t) // python still runs
		got := m.find(func(r rec) bool {
			return r.str("event") == "rename" && r.num("process", "pid") == float64(cmd.Process.Pid) &&
				strings.Contains(fmt.Sprint(r.get("file", "accounts_added")), `name:`+name+` `)
		})
		if len(got) != 1 {
			t.Fatalf("%d records of the rename naming %s added while its process runs, want 1", len(got), name)
		}
		assertFired(t, got[0], "account-created")
	})

	// The monitor stopped while the whole round runs: when it judges
	// useradd's rename, the account is gone from /etc/passwd and only the
	// backup has it.
	t.Run("stopped", func(t *testing.T) {
		name := base + "s"
		// every earlier change of the file judged first: judged after the
		// round, it would be named as the one that added the account
		m.drain(t)
		if err := m.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		sh(t, round(name))
		if err := m.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		check(t, []string{name})
	})
}
