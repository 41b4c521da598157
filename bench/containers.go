// The containers bench (make bench-containers): what container identity
// costs per record, whether a start storm leaves any record without its
// container, and the monitor's memory with many containers known.  It
// needs a Docker engine (scripts/docker-env.sh starts Debian's).

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// containerResults is bench/containers.json.
type containerResults struct {
	Date           string    `json:"date"`
	Execs          int       `json:"execs_per_phase"`
	HostUsPerExec  []float64 `json:"host_us_per_exec"`
	CtUsPerExec    []float64 `json:"container_us_per_exec"`
	Ratio          float64   `json:"container_over_host"`
	Storm          int       `json:"storm_containers"`
	StormSeen      int       `json:"storm_execs_seen"`
	StormNoID      int       `json:"storm_execs_without_container"`
	StormWrongID   int       `json:"storm_execs_with_another_container"`
	StormNoName    int       `json:"storm_execs_without_name"`
	StormSeconds   float64   `json:"storm_seconds"`
	RSSBeforekB    uint64    `json:"rss_before_kb"`
	RSSWithkB      uint64    `json:"rss_with_containers_kb"`
	PeakRSSkB      uint64    `json:"peak_rss_kb"`
	KnownContainer int       `json:"containers_known"`
}

// benchContainers runs it: n containers in the storm, 2n known at the end.
func benchContainers(bin, dir string, n int, out string) {
	env, err := exec.Command("bash", "-c", `. scripts/docker-env.sh; ensure_docker >&2; busybox_image >&2; echo "$DOCKER $BUSYBOX_IMAGE"`).Output()
	if err != nil {
		fail(fmt.Errorf("no Docker engine or image (scripts/docker-env.sh): %v", err))
	}
	f := strings.Fields(string(env))
	client, image := f[len(f)-2], f[len(f)-1]
	docker := func(args ...string) (string, error) {
		b, err := exec.Command(client, args...).CombinedOutput()
		return strings.TrimSpace(string(b)), err
	}
	prefix := fmt.Sprintf("bench-ct-%d-", os.Getpid())
	defer func() {
		ids, _ := docker("ps", "-aq", "--filter", "name="+prefix)
		if ids != "" {
			exec.Command(client, append([]string{"rm", "-f"}, strings.Fields(ids)...)...).Run()
		}
	}()

	o := &ours{bin: bin, dir: dir}
	if err := o.start(); err != nil {
		fail(err)
	}
	pid := o.cmd.Process.Pid
	res := containerResults{Date: time.Now().UTC().Format(time.RFC3339), Execs: 10000, Storm: n}

	// 1. the storm: n containers started at once, 10 at a time; each
	// runs a marker exec first
	res.RSSBeforekB = vmRSS(pid)
	ids := make([]string, 2*n)
	start := func(from, to int) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 10)
		for i := from; i < to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				id, err := docker("run", "-d", "--name", fmt.Sprintf("%s%d", prefix, i), image,
					"sh", "-c", fmt.Sprintf("busybox true storm-%d; exec sleep 3600", i))
				if err != nil {
					fail(fmt.Errorf("docker run: %v: %s", err, id))
				}
				ids[i] = id
			}(i)
		}
		wg.Wait()
	}
	t0 := time.Now()
	start(0, n)
	res.StormSeconds = time.Since(t0).Seconds()
	seen := map[int]map[string]any{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		seen = stormExecs(o.out, n)
	}
	res.StormSeen = len(seen)
	for i, r := range seen {
		ct, _ := r["container"].(map[string]any)
		switch {
		case ct == nil:
			res.StormNoID++
		case ct["id"] != ids[i]:
			res.StormWrongID++
		case ct["name"] != fmt.Sprintf("%s%d", prefix, i):
			res.StormNoName++
		}
	}

	// 2. memory: n more, 2n known
	start(n, 2*n)
	time.Sleep(2 * time.Second)
	res.KnownContainer = 2 * n
	res.RSSWithkB = vmRSS(pid)
	res.PeakRSSkB = peakRSS([]int{pid})
	// 3. CPU per exec: the same busybox loop on the host and in a
	// container, alternating, 3 rounds (after the memory figures: 60,000
	// short processes grow the heap on their own)
	if _, err := docker("run", "-d", "--name", prefix+"warm", image, "sleep", "3600"); err != nil {
		fail(err)
	}
	loop := fmt.Sprintf("i=0; while [ $i -lt %d ]; do /bin/busybox true; i=$((i+1)); done", res.Execs)
	phase := func(cmd *exec.Cmd) float64 {
		c0 := cpuOf([]int{pid})
		if b, err := cmd.CombinedOutput(); err != nil {
			fail(fmt.Errorf("%v: %v: %s", cmd.Args, err, b))
		}
		time.Sleep(time.Second) // the monitor drains what the loop left in the ring
		return (cpuOf([]int{pid}) - c0) * 1e6 / float64(res.Execs)
	}
	for r := 0; r < 3; r++ {
		res.HostUsPerExec = append(res.HostUsPerExec, phase(exec.Command("/bin/busybox", "sh", "-c", loop)))
		res.CtUsPerExec = append(res.CtUsPerExec, phase(exec.Command(client, "exec", prefix+"warm", "sh", "-c", loop)))
	}
	res.Ratio = median(res.CtUsPerExec) / median(res.HostUsPerExec)

	o.stop()

	fmt.Printf("container identity, %d execs of busybox true per phase, monitor CPU per exec (median of 3):\n", res.Execs)
	fmt.Printf("  host %.1f us, in a container %.1f us: %.2fx\n", median(res.HostUsPerExec), median(res.CtUsPerExec), res.Ratio)
	fmt.Printf("start storm: %d containers in %.1f s; marker execs seen %d, without container %d, with another's %d, without name %d\n",
		n, res.StormSeconds, res.StormSeen, res.StormNoID, res.StormWrongID, res.StormNoName)
	fmt.Printf("RSS: %d MiB before the storm, %d MiB with %d containers known (peak %d MiB)\n",
		res.RSSBeforekB/1024, res.RSSWithkB/1024, res.KnownContainer, res.PeakRSSkB/1024)
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		fail(err)
	}
	if res.StormSeen < n || res.StormNoID+res.StormWrongID > 0 {
		fail(fmt.Errorf("the storm left records without their container"))
	}
}

// stormExecs reads the monitor's output for the storm's marker execs:
// busybox true storm-I, by I.
func stormExecs(path string, n int) map[int]map[string]any {
	out := map[int]map[string]any{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `"storm-`) || !strings.Contains(sc.Text(), `"event":"exec"`) {
			continue
		}
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		p, _ := r["process"].(map[string]any)
		args, _ := p["args"].([]any)
		var i int
		if len(args) == 3 && args[0] == "busybox" {
			if _, err := fmt.Sscanf(fmt.Sprint(args[2]), "storm-%d", &i); err == nil && i < n {
				out[i] = r
			}
		}
	}
	return out
}
