package monitor

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/runfile"
)

// Which of the plan's candidate functions the kernel can hook.  A
// trampoline (fexit) needs its function in tracefs's
// available_filter_functions, which is slow to read.  It has 40,000-60,000
// names, and the kernel walks its records again from the first at each
// 4 KB read: 0.38 s of a start with function hooks in Debian's 6.12 under
// emulation (bench/README).  So:
//   - the list is read only until every function the plan puts on a
//     trampoline is found: the opens' (fs/open.c) are in its first third
//     in Debian's 6.1 and 6.12, and the walks grow with the square of how
//     far the reading goes.  The kernel's BTF, read for the cut
//     anyway (kerneltypes.go), says which candidates are functions at all:
//     the calls on kretprobes need no more (a kprobe needs no ftrace
//     record), and fexit needs the BTF.  Where the BTF cannot be read, or
//     a trampoline's function is not in the list, the list is read whole,
//     and its answer is the one kept.
//   - the answer changes only with the boot and with modules.  So a start
//     keeps it in /run (a tmpfs, empty at each boot), under a key made of
//     the boot's id, the kernel, the loaded modules, the candidates asked
//     for and what the plan puts on trampolines, and the next start with
//     that key reads it instead.

// traceableCache is the kept answer: a "key" line, then one name a line.
const traceableCache = runDir + "/traceable"

// traceableFiles are where the answer and its key come from (tests give
// their own).
type traceableFiles struct {
	list    string // available_filter_functions
	cache   string // "": keep nothing
	bootID  string // /proc/sys/kernel/random/boot_id
	modules string // /proc/modules
	kernel  string // the release

	// The list may be read in part when both are set: inBTF is which
	// candidates the kernel's BTF has as functions, onTrampolines which
	// of those a plan would put on trampolines, and plan what
	// onTrampolines depends on (in the key).
	inBTF         func(candidates map[string]bool) (map[string]bool, error)
	onTrampolines func(has func(string) bool) []string
	plan          string
}

func hostTraceable(tracefs string) traceableFiles {
	return traceableFiles{
		list:    tracefs + "/available_filter_functions",
		cache:   traceableCache,
		bootID:  "/proc/sys/kernel/random/boot_id",
		modules: "/proc/modules",
		kernel:  kernelRelease(),
	}
}

// traceable returns the candidates the kernel can trace, and whether the
// answer came from the cache.  Only an unreadable list is an error: a cache
// that cannot be read or written is passed over.
func (f traceableFiles) traceable(candidates map[string]bool) (map[string]bool, bool, error) {
	key, kerr := f.key(candidates)
	if kerr == nil && f.cache != "" {
		if found, ok := readTraceableCache(f.cache, key); ok {
			return found, true, nil
		}
	}
	found, err := f.scan(candidates)
	if err != nil {
		return nil, false, err
	}
	if kerr == nil && f.cache != "" {
		writeTraceableCache(f.cache, key, found) // best effort
	}
	return found, false, nil
}

// key is what the answer depends on.  A module's functions are in the
// list, so the loaded modules' names are in the key.
func (f traceableFiles) key(candidates map[string]bool) (string, error) {
	boot, err := os.ReadFile(f.bootID)
	if err != nil {
		return "", err
	}
	mods, err := os.ReadFile(f.modules)
	if err != nil {
		return "", err
	}
	var names []string
	for _, line := range strings.Split(string(mods), "\n") {
		if name, _, _ := strings.Cut(line, " "); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "boot %s\nkernel %s\nmodules %s\ncandidates %s\nplan %s\n", strings.TrimSpace(string(boot)),
		f.kernel, strings.Join(names, " "), strings.Join(slices.Sorted(maps.Keys(candidates)), " "), f.plan)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// scan reads the kernel's list: up to the last function the plan puts on a
// trampoline, answering the candidates the BTF has, where it can; else
// whole, answering the candidates in the list.
func (f traceableFiles) scan(candidates map[string]bool) (map[string]bool, error) {
	fh, err := os.Open(f.list)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var inBTF map[string]bool
	need := map[string]bool{}
	if f.inBTF != nil && f.onTrampolines != nil {
		if inBTF, err = f.inBTF(candidates); err == nil {
			for _, fn := range f.onTrampolines(func(fn string) bool { return inBTF[fn] }) {
				need[fn] = true
			}
		}
	}
	found := map[string]bool{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		// "name" or "name [module]"
		name, _, _ := strings.Cut(sc.Text(), " ")
		if !candidates[name] {
			continue
		}
		found[name] = true
		if need[name] {
			if delete(need, name); len(need) == 0 {
				return inBTF, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %v", f.list, err)
	}
	return found, nil
}

// readTraceableCache returns the kept answer if its key is key (only a
// file runfile.Read believes: the plan follows it).
func readTraceableCache(path, key string) (map[string]bool, bool) {
	b, err := runfile.Read(path, 1<<20)
	if err != nil {
		return nil, false
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "key "+key {
		return nil, false
	}
	found := map[string]bool{}
	for _, name := range lines[1:] {
		if name != "" {
			found[name] = true
		}
	}
	return found, true
}

// writeTraceableCache keeps found under key.
func writeTraceableCache(path, key string, found map[string]bool) error {
	var b strings.Builder
	b.WriteString("key " + key + "\n")
	for _, name := range slices.Sorted(maps.Keys(found)) {
		b.WriteString(name + "\n")
	}
	return runfile.Write(path, []byte(b.String()))
}
