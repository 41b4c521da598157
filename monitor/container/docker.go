package container

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Meta is what a runtime's API says of a container: what no cgroup path
// carries.
type Meta struct {
	ID        string
	Name      string // without docker's leading "/"
	Image     string // as the container was created from: name:tag, or an id
	ImageID   string // sha256:...
	Pod       string // Kubernetes labels, when kubelet made it
	Namespace string
}

// DefaultDockerSocket is where Docker Engine listens.
const DefaultDockerSocket = "/var/run/docker.sock"

// DockerAPI asks Docker Engine's API, over its unix socket, about
// containers.  Each call has its own deadline: a hung engine costs the
// lookup, never a record.
type DockerAPI struct {
	client *http.Client
}

// NewDockerAPI returns a client of the engine at socket.
func NewDockerAPI(socket string) *DockerAPI {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns: 2,
	}
	return &DockerAPI{client: &http.Client{Transport: tr, Timeout: 2 * time.Second}}
}

// dockerInspect is the part of GET /containers/{id}/json read here.
type dockerInspect struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Image  string `json:"Image"` // the image id
	Config struct {
		Image  string            `json:"Image"` // as given to docker run
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// Inspect returns the container's metadata.
func (d *DockerAPI) Inspect(ctx context.Context, id string) (Meta, error) {
	var in dockerInspect
	if err := d.get(ctx, "/containers/"+id+"/json", &in); err != nil {
		return Meta{}, err
	}
	return Meta{
		ID: in.ID, Name: strings.TrimPrefix(in.Name, "/"), Image: in.Config.Image, ImageID: in.Image,
		Pod: in.Config.Labels["io.kubernetes.pod.name"], Namespace: in.Config.Labels["io.kubernetes.pod.namespace"],
	}, nil
}

// Running lists the ids of the running containers: those that started
// before the monitor are known from its start.
func (d *DockerAPI) Running(ctx context.Context) ([]string, error) {
	var list []struct {
		ID string `json:"Id"`
	}
	if err := d.get(ctx, "/containers/json", &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}

func (d *DockerAPI) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
