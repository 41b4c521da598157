package proc

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The host's namespaces come from a kernel thread where init's cannot be
// read; the monitor itself is never taken for one.
func TestHostNamespacesFromInitOrAKernelThread(t *testing.T) {
	if isKernelThread(os.Getpid()) {
		t.Fatal("the test process is taken for a kernel thread")
	}
	if b, err := os.ReadFile("/proc/2/comm"); err == nil && strings.TrimSpace(string(b)) == "kthreadd" && !isKernelThread(2) {
		t.Fatal("kthreadd (pid 2) is not seen as a kernel thread")
	}
	ns := HostNamespaces(false)
	for _, kind := range []string{"mnt", "pid", "net", "user"} {
		if ns[kind] == 0 {
			t.Errorf("no host %s namespace in %v", kind, ns)
		}
	}
	// where init's cannot be read and kthreadd's can, the host's are kthreadd's
	if _, err := os.Readlink("/proc/1/ns/mnt"); err != nil && isKernelThread(2) {
		if l, err := os.Readlink("/proc/2/ns/mnt"); err == nil && !strings.HasSuffix(l, ":["+strconv.FormatUint(ns["mnt"], 10)+"]") {
			t.Errorf("host mnt namespace %d, kthreadd's %s", ns["mnt"], l)
		}
	}
}

// With own, the monitor's own namespaces are the host's, whatever init's.
func TestHostNamespacesOwn(t *testing.T) {
	l, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	if ns := HostNamespaces(true); !strings.HasSuffix(l, ":["+strconv.FormatUint(ns["mnt"], 10)+"]") {
		t.Errorf("own: host mnt namespace %d, the monitor's %s", ns["mnt"], l)
	}
}
