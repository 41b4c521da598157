package container_test

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

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
			`"Labels":{"io.kubernetes.pod.name":"web-7d9f","io.kubernetes.pod.namespace":"shop"}}}`))
	})
	mux.HandleFunc("/containers/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`[{"Id":"` + id + `"},{"Id":"` + strings.Repeat("f", 64) + `"}]`))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	api := container.NewDockerAPI(sock)
	m, err := api.Inspect(context.Background(), id)
	want := container.Meta{ID: id, Name: "web-1", Image: "nginx:1.25", ImageID: "sha256:feed", Pod: "web-7d9f", Namespace: "shop"}
	if err != nil || m != want {
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
