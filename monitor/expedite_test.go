package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fakeRCU is a /sys/kernel with the two knobs, and a marks directory.
func fakeRCU(t *testing.T, expedited, normal string) rcuKnobs {
	t.Helper()
	k := rcuKnobs{sysKernel: t.TempDir(), marks: filepath.Join(t.TempDir(), "rcu_expedited")}
	for name, v := range map[string]string{"rcu_expedited": expedited, "rcu_normal": normal} {
		if err := os.WriteFile(filepath.Join(k.sysKernel, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func (k rcuKnobs) mustRead(t *testing.T) string {
	t.Helper()
	v, err := k.read("rcu_expedited")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func marks(t *testing.T, k rcuKnobs) []string {
	t.Helper()
	ents, err := os.ReadDir(k.marks)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestExpediteSetsTheKnobWithAMarkAndPutsItBack(t *testing.T) {
	k := fakeRCU(t, "0", "0")
	restore, expedited, why := k.expedite(7, 42)
	if !expedited || why != "" {
		t.Fatalf("expedited = %v (%q), want true", expedited, why)
	}
	if got := k.mustRead(t); got != "1" {
		t.Errorf("rcu_expedited during the detach = %q, want 1", got)
	}
	if got := marks(t, k); !reflect.DeepEqual(got, []string{"7_42"}) {
		t.Errorf("marks during the detach = %q, want [7_42]", got)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if got := k.mustRead(t); got != "0" {
		t.Errorf("rcu_expedited after = %q, want 0", got)
	}
	if got := marks(t, k); len(got) != 0 {
		t.Errorf("marks after = %q, want none", got)
	}
}

func TestExpediteLeavesTheAdministratorsSettingAlone(t *testing.T) {
	for _, c := range []struct {
		name, expedited, normal string
		want                    bool
	}{
		{"already expedited", "1", "0", true},
		{"rcu_normal forbids it", "0", "1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := fakeRCU(t, c.expedited, c.normal)
			restore, expedited, _ := k.expedite(7, 42)
			if expedited != c.want {
				t.Errorf("expedited = %v, want %v", expedited, c.want)
			}
			if err := restore(); err != nil {
				t.Fatal(err)
			}
			if got := k.mustRead(t); got != c.expedited {
				t.Errorf("rcu_expedited = %q, want it left at %q", got, c.expedited)
			}
			if got := marks(t, k); len(got) != 0 {
				t.Errorf("marks = %q, want none", got)
			}
		})
	}
}

func TestExpediteNeedsItsMark(t *testing.T) {
	k := fakeRCU(t, "0", "0")
	// a file where the marks' directory should be: no mark, no setting
	if err := os.WriteFile(k.marks, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	restore, expedited, why := k.expedite(7, 42)
	if expedited || why == "" {
		t.Errorf("expedited = %v (%q), want false with a reason", expedited, why)
	}
	restore()
	if got := k.mustRead(t); got != "0" {
		t.Errorf("rcu_expedited = %q, want 0", got)
	}
}

func TestRestoreStalePutsBackWhatAKilledMonitorSet(t *testing.T) {
	k := fakeRCU(t, "0", "0")
	// monitor 42 killed during its stop; 43 alive in its stop; 42 of
	// another pid namespace
	if err := os.MkdirAll(k.marks, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"7_42", "7_43", "8_42"} {
		if err := os.WriteFile(filepath.Join(k.marks, m), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k.setExpedited("1")
	restored, err := k.restoreStale(7, func(pid int) bool { return pid == 43 })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(restored, []int{42}) {
		t.Errorf("restored for %v, want [42]", restored)
	}
	if got := k.mustRead(t); got != "0" {
		t.Errorf("rcu_expedited = %q, want 0", got)
	}
	if got := marks(t, k); !reflect.DeepEqual(got, []string{"7_43", "8_42"}) {
		t.Errorf("marks left = %q, want [7_43 8_42]", got)
	}
}

func TestRestoreStaleWithoutMarks(t *testing.T) {
	k := fakeRCU(t, "1", "0")
	restored, err := k.restoreStale(7, func(int) bool { return false })
	if err != nil || len(restored) != 0 {
		t.Errorf("restoreStale = %v, %v, want nothing", restored, err)
	}
	if got := k.mustRead(t); got != "1" {
		t.Errorf("rcu_expedited = %q, want the administrator's 1", got)
	}
}
