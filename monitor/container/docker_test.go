package container_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
)

// Inspect and Running read Docker Engine's answers as the engine writes
// them; an error status is an error, not an empty container.
func TestDockerAPIReadsInspectAndList(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/containers/"+id+"/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"Id":"` + id + `","Name":"/web-1","Image":"sha256:feed","Config":{"Image":"nginx:1.25",` +
			`"Labels":{"io.kubernetes.pod.name":"web-7d9f","io.kubernetes.pod.namespace":"shop"},` +
			`"Healthcheck":{"Test":["CMD-SHELL","wget -q -O- localhost"]}},` +
			`"State":{"StartedAt":"2026-11-30T10:00:00.5Z"},` +
			`"HostConfig":{"Privileged":false,"PidMode":"host","CapAdd":["CAP_SYS_ADMIN","NET_ADMIN"]},` +
			`"Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Destination":"/var/run/docker.sock","RW":true},` +
			`{"Type":"volume","Source":"/var/lib/docker/volumes/d/_data","Destination":"/data","RW":true},` +
			`{"Type":"bind","Source":"/srv/www","Destination":"/data/www","RW":false}],` +
			`"GraphDriver":{"Name":"overlay2","Data":{"MergedDir":"/var/lib/docker/overlay2/abc/merged"}}}`))
	})
	mux.HandleFunc("/containers/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`[{"Id":"` + id + `"},{"Id":"` + strings.Repeat("f", 64) + `"}]`))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	api := container.NewDockerAPI(sock)
	m, err := api.Inspect(context.Background(), id)
	want := container.Meta{ID: id, Name: "web-1", Image: "nginx:1.25", ImageID: "sha256:feed", Pod: "web-7d9f", Namespace: "shop",
		StartedAt:   time.Date(2026, 11, 30, 10, 0, 0, 5e8, time.UTC),
		Risks:       []string{"host pid namespace", "capability SYS_ADMIN", "runtime socket /var/run/docker.sock mounted"},
		Healthcheck: []string{"/bin/sh", "-c", "wget -q -O- localhost"},
		RootFS:      "/var/lib/docker/overlay2/abc/merged",
		Mounts: []container.Mount{{Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock", RW: true},
			{Source: "/srv/www", Destination: "/data/www"}, {Source: "/var/lib/docker/volumes/d/_data", Destination: "/data", RW: true}},
	}
	if err != nil || !reflect.DeepEqual(m, want) {
		t.Errorf("Inspect = %+v, %v; want %+v", m, err, want)
	}
	ids, err := api.Running(context.Background())
	if err != nil || len(ids) != 2 || ids[0] != id {
		t.Errorf("Running = %v, %v", ids, err)
	}
	if _, err := api.Inspect(context.Background(), strings.Repeat("0", 64)); err == nil {
		t.Error("Inspect of an unknown container: no error")
	}
	if _, err := container.NewDockerAPI(filepath.Join(t.TempDir(), "none.sock")).Running(context.Background()); err == nil {
		t.Error("Running with no engine: no error")
	}
}

// A path in a container is on the host below the mount that holds it, the
// longest first, else below the container's root; /proc and friends are
// no host path.
func TestHostPathFollowsMountsThenTheRoot(t *testing.T) {
	m := container.Meta{RootFS: "/var/lib/docker/overlay2/abc/merged", Mounts: []container.Mount{
		{Source: "/srv/www", Destination: "/data/www"}, {Source: "/vol/d", Destination: "/data"}}}
	for in, want := range map[string]string{
		"/etc/shadow":      "/var/lib/docker/overlay2/abc/merged/etc/shadow",
		"/data/www/a.html": "/srv/www/a.html",
		"/data/x":          "/vol/d/x",
		"/data":            "/vol/d",
		"/database":        "/var/lib/docker/overlay2/abc/merged/database",
		"/proc/1/root":     "",
		"relative":         "",
	} {
		if got := m.HostPath(in); got != want {
			t.Errorf("HostPath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (&container.Meta{}).HostPath("/etc/shadow"); got != "" {
		t.Errorf("HostPath without a root = %q", got)
	}
}
