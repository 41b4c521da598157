package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dockerImage makes sure a Docker engine answers (installing and starting
// Debian's docker.io if none does: scripts/docker-env.sh) and that the
// busybox test image exists; returns the client and the image.  In the
// fresh-machine container the engine is the host's, through its socket.
func dockerImage(t *testing.T) (string, string) {
	t.Helper()
	out, err := exec.Command("bash", "-c", `. ../../scripts/docker-env.sh; ensure_docker; busybox_image; echo "$DOCKER $BUSYBOX_IMAGE"`).CombinedOutput()
	if err != nil {
		t.Fatalf("no Docker engine or image: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) != 2 {
		t.Fatalf("docker-env said %q", out)
	}
	return f[0], f[1]
}

func docker(t *testing.T, client string, args ...string) string {
	t.Helper()
	out, err := exec.Command(client, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func containerIs(id string) func(rec) bool {
	return func(r rec) bool { return r.str("container", "id") == id }
}

// Records from a real container, run and exec'd into, carry its id and
// runtime, from the kernel at the event (a cat lives a millisecond); the
// host's own records carry no container.
func TestContainerIdentityFromARealDockerd(t *testing.T) {
	client, image := dockerImage(t)
	m := startMonitor(t)
	suffix := strconv.Itoa(int(time.Now().UnixNano() % 1000000))

	// docker create prints the full id; start -a runs the container to its end
	name := "e2e-ct-run-" + suffix
	id := docker(t, client, "create", "--name", name, image, "cat", "/etc/shadow")
	t.Cleanup(func() { exec.Command(client, "rm", "-f", name).Run() })
	docker(t, client, "start", "-a", name)
	r := m.waitFor(t, 20*time.Second, "the container's open of /etc/shadow",
		and(eventIs("open"), pathIs("/etc/shadow"), containerIs(id)))
	if r.str("container", "short_id") != id[:12] || r.str("container", "runtime") != "docker" {
		t.Errorf("container = %v, want short_id %s, runtime docker", r.get("container"), id[:12])
	}
	if exe := r.str("process", "exe"); exe != "/bin/busybox" {
		t.Errorf("exe = %q, want the image's /bin/busybox", exe)
	}
	// its /bin/cat is a link to its busybox, not the host's cat: no script
	if s := r.str("process", "script"); s != "" {
		t.Errorf("busybox's cat in the container has script %q, want none", s)
	}

	// docker exec: a process the runtime moves into the running container
	name2 := "e2e-ct-exec-" + suffix
	id2 := docker(t, client, "run", "-d", "--name", name2, image, "sleep", "60")
	t.Cleanup(func() { exec.Command(client, "rm", "-f", name2).Run() })
	docker(t, client, "exec", name2, "cat", "/etc/passwd")
	r = m.waitFor(t, 20*time.Second, "the exec'd cat in the running container",
		and(eventIs("exec"), containerIs(id2), func(r rec) bool {
			return strings.Contains(strings.Join(r.strs("process", "args"), " "), "cat /etc/passwd")
		}))
	if r.str("container", "runtime") != "docker" {
		t.Errorf("container = %v, want runtime docker", r.get("container"))
	}
	// its name and image come from the engine's API in the background: a
	// record after the answer has them (each exec is a new record; the
	// first may precede the answer)
	named := and(containerIs(id2), func(r rec) bool { return r.str("container", "name") == name2 })
	for i := 0; i < 5 && len(m.find(named)) == 0; i++ {
		docker(t, client, "exec", name2, "true")
		m.drain(t)
	}
	if got := m.find(named); len(got) == 0 {
		t.Errorf("no record of %s carries its name from the engine", name2)
	} else if c := got[len(got)-1]; c.str("container", "image") != image || !strings.HasPrefix(c.str("container", "image_id"), "sha256:") {
		t.Errorf("container = %v, want image %s and its sha256 id", c.get("container"), image)
	}

	// the twin: the same read by the test's own cat carries the test's own
	// container: none on the host; the fresh-machine container's where
	// make test-fresh runs it
	own := ownContainer(t)
	pid := runIn(t, "/", "cat", "/etc/shadow")
	r = m.waitFor(t, 10*time.Second, "the test's own open of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	if got := r.str("container", "id"); got != own {
		t.Errorf("the test's own cat carries container %v, want %q (\"\": the host)", r.get("container"), own)
	}
	m.stop(t)
	// the ranking names the container of the container's reader (by id: its
	// one alert came in the container's first milliseconds, which the
	// engine's answer with the name may not precede)
	var ranked bool
	for _, st := range m.find(eventIs("stop")) {
		top, _ := st.get("monitor", "top").([]any)
		for _, x := range top {
			if e, _ := x.(map[string]any); e != nil && e["container"] == id[:12] {
				ranked = true
			}
		}
	}
	if !ranked {
		t.Errorf("the final ranking names no suspect in container %s: %v", id[:12], m.find(eventIs("stop")))
	}
}

// ownContainer is the id of the container this test runs in, read from
// its cgroup v2 path as a person would (docker's /docker/<id>), or "" on
// the host.
func ownContainer(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	hex64 := regexp.MustCompile(`[0-9a-f]{64}`)
	for _, l := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(l, "0::"); ok {
			if ids := hex64.FindAllString(path, -1); len(ids) > 0 {
				return ids[len(ids)-1]
			}
		}
	}
	return ""
}

// cgroup2Mount is a writable mount of the cgroup v2 hierarchy: the one
// mounted (v2 alone, or the hybrid's unified mount), or, where there is
// none or it is read-only (a container's /sys/fs/cgroup), one mounted for
// the test.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[2] == "cgroup2" && unix.Access(f[1], unix.W_OK) == nil &&
			!strings.Contains(","+f[3]+",", ",ro,") {
			return f[1]
		}
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "cgroup2", "none", dir).CombinedOutput(); err != nil {
		t.Fatalf("no cgroup2 mounted, and mounting one failed: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// The kernel half of container identity on any kernel, Docker or not (the
// kernel matrix's guests have none): a cgroup laid out as docker's cgroupfs
// driver lays it out, made by hand, names its processes' container; the
// cgroup next to it, which names none, gives no container.
func TestContainerIdentityFromTheCgroupAtTheEvent(t *testing.T) {
	ct, plain, id := handMadeCgroups(t)
	m := startMonitor(t)
	// the shell moves itself into the cgroup, then becomes cat: a process
	// that lives a millisecond in a cgroup it is the first to use
	inside := func(cg string) int { return runIn(t, "/", "sh", "-c", inCgroup(cg, "cat /etc/shadow")) }
	pid := inside(ct)
	r := m.waitFor(t, 10*time.Second, "cat's open of /etc/shadow in the docker-shaped cgroup",
		and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	if r.str("container", "id") != id || r.str("container", "runtime") != "docker" || r.str("container", "short_id") != id[:12] {
		t.Errorf("container = %v, want id %s, runtime docker", r.get("container"), id)
	}
	pid = inside(plain)
	r = m.waitFor(t, 10*time.Second, "cat's open of /etc/shadow in a plain cgroup",
		and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	if c := r.get("container"); c != nil {
		t.Errorf("a plain cgroup's process carries container %v", c)
	}
	m.stop(t)
}

// --container keeps one container's records and nothing else: the test's
// own read of the same file (on the host, or in the fresh-machine
// container) is not written.
func TestContainerFilterKeepsOneContainer(t *testing.T) {
	client, image := dockerImage(t)
	name := "e2e-ct-filter-" + strconv.Itoa(int(time.Now().UnixNano()%1000000))
	id := docker(t, client, "run", "-d", "--name", name, image, "sleep", "60")
	t.Cleanup(func() { exec.Command(client, "rm", "-f", name).Run() })
	m := startMonitor(t, "--container", id[:12])

	docker(t, client, "exec", name, "cat", "/etc/shadow")
	r := m.waitFor(t, 20*time.Second, "the container's read", and(eventIs("open"), pathIs("/etc/shadow"), containerIs(id)))
	if r.str("container", "short_id") != id[:12] {
		t.Errorf("container = %v", r.get("container"))
	}
	own := runIn(t, "/", "cat", "/etc/shadow")
	// the container's next record is the marker: the test's read came before it
	docker(t, client, "exec", name, "cat", "/etc/passwd")
	m.waitFor(t, 20*time.Second, "the marker exec in the container",
		and(eventIs("exec"), containerIs(id), func(r rec) bool { return strings.Contains(strings.Join(r.strs("process", "args"), " "), "/etc/passwd") }))
	for _, r := range m.find(func(r rec) bool { return r.str("event") != "start" && r.str("event") != "stats" }) {
		if r.get("container") == nil || r.str("container", "id") != id {
			t.Errorf("a record outside the container was written: %v", r)
			break
		}
	}
	if got := m.find(pidIs(own)); len(got) != 0 {
		t.Errorf("the test's own cat was written: %v", got)
	}
	m.stop(t)
}

// handMadeCgroups makes two cgroup v2 directories for a test: one laid out
// as docker's cgroupfs driver lays a container's out (docker/<64 hex>,
// the id returned), and a plain one that names no container.  Removed at
// the test's end (a cgroup goes once its processes have).
func handMadeCgroups(t *testing.T) (ct, plain, id string) {
	t.Helper()
	root := cgroup2Mount(t)
	id = fmt.Sprintf("%016x", time.Now().UnixNano()) + strings.Repeat("e2e0", 12)
	parent := filepath.Join(root, "docker")
	_, err := os.Stat(parent)
	made := os.IsNotExist(err)
	ct = filepath.Join(parent, id)
	plain = filepath.Join(root, fmt.Sprintf("e2e-plain-%d-%d", os.Getpid(), time.Now().UnixNano()%1000000))
	for _, d := range []string{ct, plain} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		os.Remove(ct)
		os.Remove(plain)
		if made {
			os.Remove(parent)
		}
	})
	return ct, plain, id
}

// inCgroup is a shell command line that moves the shell into cgroup cg,
// then runs command in its place.
func inCgroup(cg, command string) string {
	return "echo $$ > " + filepath.Join(cg, "cgroup.procs") + " && exec " + command
}
