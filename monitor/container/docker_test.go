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

// The classic builder's step containers (docker build on Docker 20.10 by
// default) are told from workloads: no log, no health check, the previous
// layer's id as image.  docker run --log-driver none of a named image is
// not one.
func TestInspectTellsABuildStep(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	step := `{"Id":"a","Config":{"Image":"sha256:ddd2","Healthcheck":{"Test":["NONE"]}},"HostConfig":{"LogConfig":{"Type":"none"}}}`
	run := `{"Id":"b","Config":{"Image":"busybox:1","Healthcheck":{"Test":["NONE"]}},"HostConfig":{"LogConfig":{"Type":"none"}}}`
	mux := http.NewServeMux()
	mux.HandleFunc("/containers/a/json", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(step)) })
	mux.HandleFunc("/containers/b/json", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(run)) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	api := container.NewDockerAPI(sock)
	for id, want := range map[string]bool{"a": true, "b": false} {
		m, err := api.Inspect(context.Background(), id)
		if err != nil || m.Build != want {
			t.Errorf("Inspect(%s).Build = %v, %v; want %v", id, m.Build, err, want)
		}
	}
}

// Created passes on the ids of the engine's create events, and nothing
// else of the stream; a broken stream is an error.
func TestCreatedStreamsTheEnginesCreateEvents(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Query().Get("filters"), `"create"`) {
			t.Errorf("filters = %q", r.URL.Query().Get("filters"))
		}
		w.Write([]byte(`{"Type":"container","Action":"create","Actor":{"ID":"` + id + `"}}` + "\n" +
			`{"Type":"network","Action":"create","Actor":{"ID":"net"}}` + "\n" +
			`{"Type":"container","Action":"create","Actor":{"ID":"second"}}` + "\n"))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	ids := make(chan string, 4)
	err = container.NewDockerAPI(sock).Created(context.Background(), ids)
	if err == nil {
		t.Error("the stream ended without an error")
	}
	close(ids)
	var got []string
	for x := range ids {
		got = append(got, x)
	}
	if !reflect.DeepEqual(got, []string{id, "second"}) {
		t.Errorf("ids = %q, want the two containers'", got)
	}
}
