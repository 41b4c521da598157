// Reading /proc: CPU time, peak memory and BPF program run time of the
// observer's processes, and a process found by its command name.

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuOf sums user+system CPU seconds of processes (threads included).
func cpuOf(pids []int) float64 {
	var ticks uint64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 12 {
			u, _ := strconv.ParseUint(f[11], 10, 64)
			k, _ := strconv.ParseUint(f[12], 10, 64)
			ticks += u + k
		}
	}
	return float64(ticks) / 100 // USER_HZ
}

func peakRSS(pids []int) uint64 {
	var max uint64
	for _, p := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseUint(strings.Fields(v)[0], 10, 64)
				if kb > max {
					max = kb
				}
			}
		}
		f.Close()
	}
	return max
}

// bpfTime sums run_time_ns of the BPF programs the processes hold.
func bpfTime(pids []int) uint64 {
	var total uint64
	seen := map[string]bool{}
	for _, p := range pids {
		dir := fmt.Sprintf("/proc/%d/fdinfo", p)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			var id, rt string
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "prog_id:"); ok {
					id = strings.TrimSpace(v)
				}
				if v, ok := strings.CutPrefix(l, "run_time_ns:"); ok {
					rt = strings.TrimSpace(v)
				}
			}
			if id == "" || rt == "" || seen[id] {
				continue
			}
			seen[id] = true
			n, _ := strconv.ParseUint(rt, 10, 64)
			total += n
		}
	}
	return total
}

func pidOfComm(comm string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		if strings.TrimSpace(string(b)) == comm {
			return pid
		}
	}
	return 0
}
