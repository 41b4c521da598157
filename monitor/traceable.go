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

// Which of the plan's candidate functions the kernel can trace: those in
// tracefs's available_filter_functions.  Reading that list is slow.  It has
// some 60,000 names, and the kernel walks its records again from the first
// at each 4 KB read: 0.3 s of a start with function hooks in Debian's 6.12
// under emulation (bench/README).  The list changes only with the boot and
// with modules.  So a start keeps what it found in /run (a tmpfs, empty at
// each boot), under a key made of the boot's id, the kernel, the loaded
// modules and the candidates asked for, and the next start with that key
// reads it instead.

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
	found, err := scanTraceable(f.list, candidates)
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

// scanTraceable reads the kernel's list, keeping the candidates.
func scanTraceable(list string, candidates map[string]bool) (map[string]bool, error) {
	f, err := os.Open(list)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	found := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "name" or "name [module]"
		name, _, _ := strings.Cut(sc.Text(), " ")
		if candidates[name] {
			found[name] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %v", list, err)
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
