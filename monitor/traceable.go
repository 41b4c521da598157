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

// Which of the plan's candidate functions the kernel can hook.  The
// kernel's BTF says which are functions, and is read for the cut anyway
// (kerneltypes.go): a kretprobe needs no more (a kprobe needs no ftrace
// record).  A trampoline (fexit) also needs its function among ftrace's
// records, which tracefs's available_filter_functions lists; but that
// list is slow to read: 40,000-60,000 names, and the kernel walks its
// records again from the first at each 4 KB read (0.38 s of a start in
// Debian's 6.12 under emulation, bench/README).  In Debian's 5.10, 6.1
// and 6.12 every candidate the BTF has as a function is in the list, so
// the BTF's answer is taken; a trampoline the kernel refuses all the same
// is planned around when attached (load, loader.go).  Where the BTF
// cannot be read, the list is read whole.
//
// The answer changes only with the boot and with modules.  So a start
// keeps it in /run (a tmpfs, empty at each boot), under a key made of the
// boot's id, the kernel, the loaded modules and the candidates asked for,
// and the next start with that key reads it instead.

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

	// which candidates the kernel's BTF has as functions; nil, or an
	// error: the list is read
	inBTF func(candidates map[string]bool) (map[string]bool, error)
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
// answer came from the cache.  Only an unreadable list where the BTF
// cannot answer is an error: a cache that cannot be read or written is
// passed over.
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
	fmt.Fprintf(h, "boot %s\nkernel %s\nmodules %s\ncandidates %s\n", strings.TrimSpace(string(boot)),
		f.kernel, strings.Join(names, " "), strings.Join(slices.Sorted(maps.Keys(candidates)), " "))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// scan answers the candidates the BTF has as functions, or, where it
// cannot say, those in the kernel's list.  A kernel without the list
// (no function tracer) has no trampolines: that is an error either way.
func (f traceableFiles) scan(candidates map[string]bool) (map[string]bool, error) {
	fh, err := os.Open(f.list)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if f.inBTF != nil {
		if found, err := f.inBTF(candidates); err == nil {
			return found, nil
		}
	}
	found := map[string]bool{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		// "name" or "name [module]"
		if name, _, _ := strings.Cut(sc.Text(), " "); candidates[name] {
			found[name] = true
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
