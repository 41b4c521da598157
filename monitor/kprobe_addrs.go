package monitor

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/runfile"
)

// Kprobes by address, where the kernel's lookup by name is slow.
//
// A kprobe made by name has the kernel look the name up in kallsyms and,
// since the stable updates of late 2023, count the symbols of that name
// (an ambiguous one is refused).  Before 6.1 both walks expand every
// symbol's compressed name: in Debian's 5.10 under emulation a kprobe
// took 53-63 ms by name and 4-5 ms by address (bench/README).  6.1 and
// later search a sorted index, and take the same time either way.
//
// So on a kernel before 6.1, a start that made its kprobes by name reads
// /proc/kallsyms after its start record, off the start's path, and keeps
// the addresses in /run (a tmpfs, empty at each boot) under the boot's id
// and the kernel's release.  The next starts of that boot make their
// kprobes by address.  A name that kallsyms holds more than once, or not
// at all, is not kept: by name the kernel refuses it too.

// kprobeAddrsFile is the kept addresses: a "key" line, then "name address"
// lines (hexadecimal).
const kprobeAddrsFile = runDir + "/kprobe-addresses"

// kprobeAddrs is where the addresses and their key come from (tests give
// their own).
type kprobeAddrs struct {
	path     string // "": keep nothing
	bootID   string // /proc/sys/kernel/random/boot_id
	kallsyms string // /proc/kallsyms
	kernel   string // the release
}

func hostKprobeAddrs() kprobeAddrs {
	return kprobeAddrs{
		path:     kprobeAddrsFile,
		bootID:   "/proc/sys/kernel/random/boot_id",
		kallsyms: "/proc/kallsyms",
		kernel:   kernelRelease(),
	}
}

// kprobesByNameSlow says whether this kernel's lookups by name expand
// every symbol (before 6.1).
func kprobesByNameSlow() bool {
	_, recent := kernelAtLeast(6, 1)
	return !recent
}

func (k kprobeAddrs) key() (string, error) {
	boot, err := os.ReadFile(k.bootID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("boot %s kernel %s", strings.TrimSpace(string(boot)), k.kernel), nil
}

// kept returns the addresses kept in this boot, or nil: none, another
// boot's, or a file runfile.Read does not believe (a kprobe goes where it
// says).
func (k kprobeAddrs) kept() map[string]uint64 {
	if k.path == "" {
		return nil
	}
	key, err := k.key()
	if err != nil {
		return nil
	}
	b, err := runfile.Read(k.path, 1<<16)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "key "+key {
		return nil
	}
	addrs := map[string]uint64{}
	for _, line := range lines[1:] {
		name, hex, ok := strings.Cut(line, " ")
		addr, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil || addr == 0 {
			return nil // not what keep writes
		}
		addrs[name] = addr
	}
	return addrs
}

// keep finds names in kallsyms and keeps those found once; it returns
// them.
func (k kprobeAddrs) keep(names []string) (map[string]uint64, error) {
	key, err := k.key()
	if err != nil {
		return nil, err
	}
	addrs, err := symbolAddrs(k.kallsyms, names)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("key " + key + "\n")
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		fmt.Fprintf(&b, "%s %x\n", name, addrs[name])
	}
	if k.path != "" {
		if err := runfile.Write(k.path, []byte(b.String())); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// symbolAddrs reads a kallsyms file ("address type name [module]" lines)
// for the addresses of names, each found exactly once with a nonzero
// address (kptr_restrict shows zeros).
func symbolAddrs(path string, names []string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]int{}
	for _, n := range names {
		want[n] = 0
	}
	addrs := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		seen, ok := want[fields[2]]
		if !ok {
			continue
		}
		want[fields[2]] = seen + 1
		if addr, err := strconv.ParseUint(fields[0], 16, 64); err == nil && addr != 0 {
			addrs[fields[2]] = addr
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %v", path, err)
	}
	for n, seen := range want {
		if seen != 1 {
			delete(addrs, n)
		}
	}
	return addrs, nil
}
