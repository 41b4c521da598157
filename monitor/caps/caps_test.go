package caps_test

import (
	"reflect"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/caps"
)

func TestNoCapabilitiesNameNothing(t *testing.T) {
	if got := caps.Names(0); len(got) != 0 {
		t.Errorf("Names(0) = %v, want none", got)
	}
}

func TestBit21IsCapSysAdmin(t *testing.T) {
	if got := caps.Names(1 << 21); !reflect.DeepEqual(got, []string{"CAP_SYS_ADMIN"}) {
		t.Errorf("Names(1<<21) = %v, want [CAP_SYS_ADMIN]", got)
	}
}

func TestBit40IsTheLastKnownCapability(t *testing.T) {
	if got := caps.Names(1 << 40); !reflect.DeepEqual(got, []string{"CAP_CHECKPOINT_RESTORE"}) {
		t.Errorf("Names(1<<40) = %v, want [CAP_CHECKPOINT_RESTORE]", got)
	}
}

func TestCapabilitiesNewerThanTheListAreNumbered(t *testing.T) {
	if got := caps.Names(1 << 50); !reflect.DeepEqual(got, []string{"CAP_50"}) {
		t.Errorf("Names(1<<50) = %v, want [CAP_50]", got)
	}
	if got := caps.Names(1 << 63); !reflect.DeepEqual(got, []string{"CAP_63"}) {
		t.Errorf("Names(1<<63) = %v, want [CAP_63]", got)
	}
}

func TestNamesComeInBitOrder(t *testing.T) {
	got := caps.Names(1<<50 | 1<<39 | 1<<21 | 1<<7 | 1<<0)
	want := []string{"CAP_CHOWN", "CAP_SETUID", "CAP_SYS_ADMIN", "CAP_BPF", "CAP_50"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
}

func TestFullSetNamesAllSixtyFour(t *testing.T) {
	got := caps.Names(^uint64(0))
	if len(got) != 64 {
		t.Fatalf("Names(all ones) has %d names, want 64", len(got))
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("%s named twice", n)
		}
		seen[n] = true
	}
}

func TestNameAgreesWithNames(t *testing.T) {
	for i := 0; i < 64; i++ {
		if got, want := caps.Name(i), caps.Names(1 << uint(i))[0]; got != want {
			t.Errorf("Name(%d) = %q, Names(1<<%d) = %q", i, got, i, want)
		}
	}
}
