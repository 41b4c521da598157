package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// argsHave matches a record whose command line contains s.
func argsHave(s string) func(rec) bool {
	return func(r rec) bool { return strings.Contains(strings.Join(r.strs("process", "args"), " "), s) }
}

func ruleNames(r rec) []string {
	var out []string
	rules, _ := r.get("rules").([]any)
	for _, x := range rules {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m["name"].(string))
		}
	}
	return out
}

// The container rules on a real Docker engine, each beside its benign twin:
// a shell exec'd into a running container (not its entrypoint, not what
// it starts itself), a program that is not in the image (not the image's
// own), a container started with the docker socket or the host's root
// mounted (not an ordinary one), and a process of a container entering the
// host's mount namespace (not its own).  A read of the container's
// /etc/shadow is the container's, with its place on the host.
func TestContainerRulesOnARealDockerd(t *testing.T) {
	client, image := dockerImage(t)
	m := startMonitor(t)
	suffix := strconv.Itoa(int(time.Now().UnixNano() % 1000000))
	run := func(name string, args ...string) string {
		id := docker(t, client, append([]string{"run", "-d", "--name", name}, args...)...)
		t.Cleanup(func() { exec.Command(client, "rm", "-f", name).Run() })
		return id
	}
	// the entrypoint is a shell: pid 1 in its namespace, no alert
	name := "e2e-ctr-" + suffix
	id := run(name, image, "sh", "-c", "sleep 120")
	in := containerIs(id)
	entry := m.waitFor(t, 20*time.Second, "the entrypoint's exec", and(eventIs("exec"), in, argsHave("sleep 120")))
	if entry.num("process", "vpid") != 1 {
		t.Errorf("the entrypoint's vpid = %v, want 1", entry.get("process", "vpid"))
	}
	if entry.num("process", "pid_ns") == 0 || entry.num("process", "net_ns") == 0 {
		t.Errorf("the entrypoint carries no pid or net namespace: %v", entry.get("process"))
	}
	if hasRule(entry, "shell-in-container") {
		t.Errorf("the entrypoint shell raised shell-in-container: %v", entry)
	}

	t.Run("shell-in-container", func(t *testing.T) {
		docker(t, client, "exec", name, "sh", "-c", "true marker-exec-sh")
		r := m.waitFor(t, 20*time.Second, "the exec'd sh", and(eventIs("exec"), in, argsHave("marker-exec-sh")))
		if !hasRule(r, "shell-in-container") || r.str("severity") != "warn" {
			t.Errorf("docker exec sh: rules %v severity %s, want shell-in-container at warn", ruleNames(r), r.str("severity"))
		}
		if v := r.num("process", "vpid"); v <= 1 || r.get("process", "parent_outside_ns") != true {
			t.Errorf("the exec'd sh: vpid %v parent_outside_ns %v, want > 1 and true", v, r.get("process", "parent_outside_ns"))
		}
		// twins: a program that is no shell, and a shell a shell started
		docker(t, client, "exec", name, "busybox", "true", "marker-exec-true")
		docker(t, client, "exec", name, "sh", "-c", "sh -c 'true marker-inner-sh'; true")
		for _, marker := range []string{"marker-exec-true", "marker-inner-sh"} {
			r := m.waitFor(t, 20*time.Second, marker, and(eventIs("exec"), in, argsHave(marker), func(r rec) bool {
				return !strings.Contains(strings.Join(r.strs("process", "args"), " "), "; true")
			}))
			if hasRule(r, "shell-in-container") {
				t.Errorf("%s raised shell-in-container: %v", marker, r)
			}
		}
	})

	// the engine's health check is docker exec's shape (sh -c from outside,
	// every interval): it is told by its command line, the check's
	t.Run("a health check is no shell-in-container", func(t *testing.T) {
		hc := run(name+"-hc", "--health-cmd", "true hc-marker", "--health-interval", "1s", image, "sleep", "60")
		r := m.waitFor(t, 30*time.Second, "the health check's sh -c", and(eventIs("exec"), containerIs(hc), argsAre("/bin/sh", "-c", "true hc-marker")))
		if r.get("exec", "healthcheck") != true || hasRule(r, "shell-in-container") {
			t.Errorf("the health check: exec %v rules %v, want healthcheck and no shell-in-container", r.get("exec"), ruleNames(r))
		}
	})

	t.Run("container-drift", func(t *testing.T) {
		// busybox runs as busybox only by that name: the copies keep it
		docker(t, client, "exec", name, "sh", "-c", "busybox mkdir -p /tmp/d /usr/local/x && "+
			"cp /bin/busybox /tmp/d/busybox && /tmp/d/busybox true drift-tmp && "+
			"cp /bin/busybox /bb2 && busybox mv /bb2 /usr/local/x/busybox && /usr/local/x/busybox true drift-renamed && "+
			"/bin/busybox true drift-twin")
		for _, c := range []struct {
			marker string
			drift  bool
		}{{"drift-tmp", true}, {"drift-renamed", true}, {"drift-twin", false}} {
			r := m.waitFor(t, 20*time.Second, c.marker, and(eventIs("exec"), in, func(r rec) bool {
				args := r.strs("process", "args")
				return len(args) == 3 && args[2] == c.marker
			}))
			if hasRule(r, "container-drift") != c.drift || (r.get("exec", "exe_upper_layer") == true) != c.drift {
				t.Errorf("%s: rules %v exe_upper_layer %v, want drift %v", c.marker, ruleNames(r), r.get("exec", "exe_upper_layer"), c.drift)
			}
		}
	})

	// tmpfs holds nothing of the image either (docker's /dev/shm is
	// noexec: a tmpfs mounted exec is what a payload would need)
	t.Run("container-drift from tmpfs", func(t *testing.T) {
		tm := run(name+"-tmpfs", "--tmpfs", "/scratch:exec", image, "sleep", "60")
		docker(t, client, "exec", name+"-tmpfs", "sh", "-c", "cp /bin/busybox /scratch/busybox && /scratch/busybox true drift-tmpfs")
		r := m.waitFor(t, 20*time.Second, "the tmpfs program", and(eventIs("exec"), containerIs(tm), argsAre("/scratch/busybox", "true", "drift-tmpfs")))
		if !hasRule(r, "container-drift") || r.get("exec", "exe_tmpfs") != true {
			t.Errorf("a program run from a tmpfs in a container: rules %v exec %v", ruleNames(r), r.get("exec"))
		}
	})

	// an image unpacked by the engine (docker import: what a pull does
	// to each layer, offline) writes the image's files below
	// /var/lib/docker: no alert about them
	t.Run("an image import raises nothing", func(t *testing.T) {
		tag := "e2e-import-" + suffix + ":test"
		t.Cleanup(func() { exec.Command(client, "rmi", "-f", tag).Run() })
		imp := exec.Command("sh", "-c", client+" export "+name+" | "+client+" import - "+tag)
		if out, err := imp.CombinedOutput(); err != nil {
			t.Fatalf("docker export | docker import: %v: %s", err, out)
		}
		// the marker: an exec after the import
		pid := runIn(t, "/", "true", "import-done")
		m.waitFor(t, 20*time.Second, "the marker after the import", and(eventIs("exec"), pidIs(pid)))
		// dockerd unpacks in a mount namespace of its own, rooted at the
		// new layer: the image's /bin/busybox is written as /bin/busybox
		engine := func(r rec) bool {
			return strings.HasSuffix(r.str("process", "exe"), "/dockerd") || strings.HasPrefix(r.str("file", "path"), "/var/lib/docker/")
		}
		if len(m.find(and(engine, pathIs("/bin/busybox")))) == 0 {
			t.Errorf("no record of the engine writing the image's /bin/busybox: the import went unseen")
		}
		for _, r := range m.find(and(engine, func(r rec) bool { s := r.str("severity"); return s == "warn" || s == "critical" })) {
			t.Errorf("the import raised %s %v: %v", r.str("severity"), ruleNames(r), r)
		}
	})

	t.Run("both paths", func(t *testing.T) {
		merged := docker(t, client, "inspect", "-f", "{{.GraphDriver.Data.MergedDir}}", name)
		docker(t, client, "exec", name, "cat", "/etc/shadow")
		r := m.waitFor(t, 20*time.Second, "the container's read of /etc/shadow", and(eventIs("open"), in, pathIs("/etc/shadow")))
		if got := r.str("file", "host_path"); got != merged+"/etc/shadow" {
			t.Errorf("host_path = %q, want %q", got, merged+"/etc/shadow")
		}
		if !hasRule(r, "credential-read") {
			t.Errorf("the container's read of its /etc/shadow: rules %v, want credential-read", ruleNames(r))
		}
	})

	t.Run("dangerous-container", func(t *testing.T) {
		sock := run(name+"-sock", "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", "/:/host:ro", image, "sleep", "60")
		r := m.waitFor(t, 20*time.Second, "the socket container's start", and(eventIs("container_start"), containerIs(sock)))
		risks := strings.Join(r.strs("container", "risks"), "; ")
		if !hasRule(r, "dangerous-container") || !strings.Contains(risks, "runtime socket /var/run/docker.sock mounted") ||
			!strings.Contains(risks, "host / mounted read-only") {
			t.Errorf("socket and root mounted: rules %v risks %q", ruleNames(r), risks)
		}
		// the twin: the ordinary container started first
		r = m.waitFor(t, 20*time.Second, "the ordinary container's start", and(eventIs("container_start"), in))
		if hasRule(r, "dangerous-container") || r.get("container", "risks") != nil {
			t.Errorf("an ordinary container's start: rules %v risks %v", ruleNames(r), r.get("container", "risks"))
		}
		if r.str("container", "name") != name || r.str("container", "image") != image {
			t.Errorf("container_start = %v, want name %s image %s", r.get("container"), name, image)
		}
	})

	// Kubernetes' labels, as kubelet's Docker shim (cri-dockerd) sets
	// them: the pod and its namespace
	t.Run("pod labels", func(t *testing.T) {
		pod := run(name+"-pod", "--label", "io.kubernetes.pod.name=web-7d9f", "--label", "io.kubernetes.pod.namespace=shop",
			"--label", "io.kubernetes.pod.uid=4b1c2f5e-0d7a-4c3e-9a51-6f2d8e9b0c11", image, "sleep", "60")
		r := m.waitFor(t, 20*time.Second, "the pod container's start", and(eventIs("container_start"), containerIs(pod)))
		if r.str("container", "pod") != "web-7d9f" || r.str("container", "namespace") != "shop" ||
			r.str("container", "pod_uid") != "4b1c2f5e-0d7a-4c3e-9a51-6f2d8e9b0c11" {
			t.Errorf("container = %v, want pod web-7d9f in namespace shop, its uid", r.get("container"))
		}
	})

	// docker build's steps install and run what they just wrote: that is
	// how images are made, not drift (the classic builder, Docker 20.10's
	// default, runs each step in a container; BuildKit's carry none)
	t.Run("a build step is no drift", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+image+"\n"+
			"RUN busybox mkdir -p /usr/local/x && cp /bin/busybox /usr/local/x/busybox && /usr/local/x/busybox true build-marker\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tag := "e2e-build-" + suffix + ":test"
		build := exec.Command(client, "build", "--no-cache", "-t", tag, dir)
		build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command(client, "rmi", "-f", tag).Run() })
		r := m.waitFor(t, 20*time.Second, "the build step's run of its copy", and(eventIs("exec"), func(r rec) bool {
			args := r.strs("process", "args")
			return len(args) == 3 && args[2] == "build-marker"
		}))
		if r.get("container", "build") != true || hasRule(r, "container-drift") {
			t.Errorf("a build step: container %v rules %v, want build and no container-drift", r.get("container"), ruleNames(r))
		}
		for _, a := range m.find(func(x rec) bool { return x.get("container", "build") == true }) {
			if s := a.str("severity"); s != "info" {
				t.Errorf("the build raised %s %v: %v", s, ruleNames(a), a)
			}
		}
	})

	// nsenter into the test's own mount namespace (the host's; in the
	// fresh-machine container, the one the monitor calls the host's) from
	// a container that shares the host's pid namespace; the twin enters
	// its own container's
	t.Run("nsenter into the host", func(t *testing.T) {
		caps := []string{"--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--cap-add", "SYS_CHROOT",
			"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"}
		self := strconv.Itoa(os.Getpid())
		esc := docker(t, client, append(append([]string{"create", "--name", name + "-esc", "--pid=host"}, caps...),
			image, "busybox", "nsenter", "-t", self, "-m", "--", "/bin/true")...)
		t.Cleanup(func() { exec.Command(client, "rm", "-f", name+"-esc").Run() })
		docker(t, client, "start", "-a", name+"-esc")
		r := m.waitFor(t, 20*time.Second, "the escape's setns", and(eventIs("setns"), containerIs(esc)))
		if !hasRule(r, "container-escape") || r.str("severity") != "critical" {
			t.Errorf("nsenter into the host from a container: rules %v severity %s: %v", ruleNames(r), r.str("severity"), r)
		}
		start := m.waitFor(t, 20*time.Second, "the escape container's start", and(eventIs("container_start"), containerIs(esc)))
		if !hasRule(start, "dangerous-container") || !strings.Contains(strings.Join(start.strs("container", "risks"), ";"), "host pid namespace") {
			t.Errorf("a container in the host's pid namespace with SYS_ADMIN: rules %v risks %v", ruleNames(start), start.get("container", "risks"))
		}
		// the host's files through a host process's /proc/PID/root
		rd := docker(t, client, "create", "--name", name+"-root", "--pid=host", "--cap-add", "SYS_PTRACE", image,
			"cat", "/proc/"+self+"/root/etc/shadow")
		t.Cleanup(func() { exec.Command(client, "rm", "-f", name+"-root").Run() })
		docker(t, client, "start", "-a", name+"-root")
		r = m.waitFor(t, 20*time.Second, "the read through /proc/PID/root", and(eventIs("open"), containerIs(rd), pathIs("/etc/shadow")))
		if !hasRule(r, "container-escape") || r.str("file", "requested_path") != "/proc/"+self+"/root/etc/shadow" || r.get("file", "host_path") != nil {
			t.Errorf("a container reading the host's shadow through /proc/%s/root: rules %v file %v", self, ruleNames(r), r.get("file"))
		}
		own := docker(t, client, append(append([]string{"create", "--name", name + "-own"}, caps...),
			image, "busybox", "nsenter", "-t", "1", "-m", "--", "/bin/true")...)
		t.Cleanup(func() { exec.Command(client, "rm", "-f", name+"-own").Run() })
		docker(t, client, "start", "-a", name+"-own")
		r = m.waitFor(t, 20*time.Second, "the twin's setns", and(eventIs("setns"), containerIs(own)))
		if hasRule(r, "container-escape") {
			t.Errorf("nsenter into the container's own namespace raised container-escape: %v", r)
		}
	})
	m.stop(t)
}

// The kernel's half, on any kernel (the matrix's guests run no Docker): a
// pid namespace made with unshare numbers its first process 1 and says
// its parent is outside; what that process starts has its parent inside.
// An overlay mounted by hand tells a file of its lower layer from one
// copied into the upper.
func TestNamespacesAndTheOverlayUpperLayer(t *testing.T) {
	merged := handMadeOverlay(t)
	m := startMonitor(t)

	pid := runIn(t, "/", "unshare", "--pid", "--fork", "sh", "-c", "/bin/true ns-child; exec /bin/true ns-first")
	first := m.waitFor(t, 10*time.Second, "the namespace's first process", and(eventIs("exec"), argsAre("/bin/true", "ns-first")))
	child := m.waitFor(t, 10*time.Second, "what it started", and(eventIs("exec"), argsAre("/bin/true", "ns-child")))
	if first.num("process", "vpid") != 1 || first.get("process", "parent_outside_ns") != true || first.num("process", "pid_ns") == 0 {
		t.Errorf("the first process (unshare's child %d): %v, want vpid 1, parent_outside_ns, a pid_ns", pid, first.get("process"))
	}
	if child.num("process", "vpid") != 2 || child.get("process", "parent_outside_ns") != nil ||
		child.num("process", "pid_ns") != first.num("process", "pid_ns") {
		t.Errorf("its child: %v, want vpid 2 in the same pid_ns, parent inside", child.get("process"))
	}
	host := runIn(t, "/", "true", "ns-host")
	r := m.waitFor(t, 10*time.Second, "a host process", and(eventIs("exec"), pidIs(host)))
	if r.get("process", "vpid") != nil || r.get("process", "pid_ns") != nil {
		t.Errorf("a process of the host's pid namespace: %v, want no vpid or pid_ns", r.get("process"))
	}

	lowerPid := runIn(t, "/", filepath.Join(merged, "lower-true"))
	copyFile(t, "/bin/true", filepath.Join(merged, "upper-true"), 0o755)
	upperPid := runIn(t, "/", filepath.Join(merged, "upper-true"))
	r = m.waitFor(t, 10*time.Second, "the lower layer's program", and(eventIs("exec"), pidIs(lowerPid)))
	if r.get("exec", "exe_upper_layer") != nil {
		t.Errorf("a program of the lower layer: exec %v, want no exe_upper_layer", r.get("exec"))
	}
	r = m.waitFor(t, 10*time.Second, "the upper layer's program", and(eventIs("exec"), pidIs(upperPid)))
	if r.get("exec", "exe_upper_layer") != true {
		t.Errorf("a program copied into the overlay: exec %v, want exe_upper_layer", r.get("exec"))
	}
	m.stop(t)
}

// handMadeOverlay mounts an overlay as docker's overlay2 driver does (a
// lower layer, an empty upper one) and returns its merged directory, where
// lower-true is the lower layer's copy of true.
func handMadeOverlay(t *testing.T) string {
	t.Helper()
	// on a tmpfs of its own: the upper layer needs a filesystem with
	// trusted xattrs (the QEMU guests' /tmp is 9p, which has none)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "e2e-overlay", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	lower, upper, work, merged := filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")
	for _, d := range []string{lower, upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, "/bin/true", filepath.Join(lower, "lower-true"), 0o755)
	if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o",
		"lowerdir="+lower+",upperdir="+upper+",workdir="+work, merged).CombinedOutput(); err != nil {
		t.Fatalf("mount overlay: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", merged).Run() })
	return merged
}

// fakeDockerAPI answers Docker Engine's inspect over a unix socket for the
// containers a test sets, 404 for any other: for the QEMU guests, which
// run no Docker (the real engine's answers are TestContainerRulesOnARealDockerd's).
type fakeDockerAPI struct {
	sock  string
	mu    sync.Mutex
	byID  map[string]string
	delay time.Duration // before each inspect's answer
}

func newFakeDockerAPI(t *testing.T) *fakeDockerAPI {
	t.Helper()
	api := &fakeDockerAPI{sock: filepath.Join(t.TempDir(), "docker.sock"), byID: map[string]string{}}
	l, err := net.Listen("unix", api.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/containers/json" {
			w.Write([]byte("[]"))
			return
		}
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/containers/"), "/json")
		api.mu.Lock()
		body, ok := api.byID[id]
		delay := api.delay
		api.mu.Unlock()
		time.Sleep(delay) // an engine slow to answer (the test's own server, not a wait for an outcome)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return api
}

func (a *fakeDockerAPI) set(id, inspect string) {
	a.mu.Lock()
	a.byID[id] = inspect
	a.mu.Unlock()
}
