package container

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
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
	PodUID    string

	StartedAt   time.Time
	Build       bool // a step of docker build (the classic builder's container)
	Privileged  bool
	Risks       []string // what lets it reach the host (Risks)
	Healthcheck []string // the argv the engine runs in it as its health check, nil when none
	RootFS      string   // its root on the host (overlay's merged directory), "" when unknown
	Mounts      []Mount  // what it mounts from the host, longest destination first
}

// Mount is a host path mounted into a container.
type Mount struct {
	Source, Destination string
	RW                  bool
}

// DefaultDockerSocket is where Docker Engine listens.
const DefaultDockerSocket = "/var/run/docker.sock"

// DockerAPI asks Docker Engine's API, over its unix socket, about
// containers.  Each call has its own deadline: a hung engine costs the
// lookup, never a record.
type DockerAPI struct {
	client *http.Client
	stream *http.Client // the events stream: no deadline
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
	return &DockerAPI{client: &http.Client{Transport: tr, Timeout: 2 * time.Second}, stream: &http.Client{Transport: tr}}
}

// dockerInspect is the part of GET /containers/{id}/json read here.
type dockerInspect struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Image  string `json:"Image"` // the image id
	Config struct {
		Image       string            `json:"Image"` // as given to docker run
		Labels      map[string]string `json:"Labels"`
		Healthcheck *struct {
			Test []string `json:"Test"`
		} `json:"Healthcheck"`
	} `json:"Config"`
	State struct {
		StartedAt time.Time `json:"StartedAt"`
	} `json:"State"`
	HostConfig struct {
		Privileged bool `json:"Privileged"`
		LogConfig  struct {
			Type string `json:"Type"`
		} `json:"LogConfig"`
		PidMode     string   `json:"PidMode"`
		CapAdd      []string `json:"CapAdd"`
		SecurityOpt []string `json:"SecurityOpt"`
	} `json:"HostConfig"`
	Mounts []struct {
		Type        string `json:"Type"`
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		RW          bool   `json:"RW"`
	} `json:"Mounts"`
	GraphDriver struct {
		Name string            `json:"Name"`
		Data map[string]string `json:"Data"`
	} `json:"GraphDriver"`
}

// Inspect returns the container's metadata.
func (d *DockerAPI) Inspect(ctx context.Context, id string) (Meta, error) {
	var in dockerInspect
	if err := d.get(ctx, "/containers/"+id+"/json", &in); err != nil {
		return Meta{}, err
	}
	m := Meta{
		ID: in.ID, Name: strings.TrimPrefix(in.Name, "/"), Image: in.Config.Image, ImageID: in.Image,
		Pod: in.Config.Labels["io.kubernetes.pod.name"], Namespace: in.Config.Labels["io.kubernetes.pod.namespace"],
		PodUID: in.Config.Labels["io.kubernetes.pod.uid"], StartedAt: in.State.StartedAt, Privileged: in.HostConfig.Privileged,
		RootFS: in.GraphDriver.Data["MergedDir"],
	}
	if hc := in.Config.Healthcheck; hc != nil {
		m.Healthcheck = healthcheckArgv(hc.Test)
		// the classic builder runs each RUN step in a container of the
		// previous layer's id, with no log and no health check
		m.Build = in.HostConfig.LogConfig.Type == "none" && len(hc.Test) == 1 && hc.Test[0] == "NONE" &&
			strings.HasPrefix(in.Config.Image, "sha256:")
	}
	for _, mt := range in.Mounts {
		if mt.Type == "bind" || mt.Type == "volume" {
			m.Mounts = append(m.Mounts, Mount{Source: mt.Source, Destination: mt.Destination, RW: mt.RW})
		}
	}
	sort.Slice(m.Mounts, func(i, j int) bool { return len(m.Mounts[i].Destination) > len(m.Mounts[j].Destination) })
	m.Risks = risks(m.Privileged, in.HostConfig.PidMode, in.HostConfig.CapAdd, in.HostConfig.SecurityOpt, m.Mounts)
	return m, nil
}

// healthcheckArgv is the command line Docker Engine execs for a health
// check's Test: ["CMD", argv...] as is, ["CMD-SHELL", cmd] through
// /bin/sh -c; nil for NONE or an inherited one.
func healthcheckArgv(test []string) []string {
	if len(test) < 2 {
		return nil
	}
	switch test[0] {
	case "CMD":
		return test[1:]
	case "CMD-SHELL":
		return []string{"/bin/sh", "-c", test[1]}
	}
	return nil
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

// Created streams the ids of containers as the engine creates them, until
// ctx ends or the stream breaks (the error says why): a container's
// metadata can be read before its first process runs.
func (d *DockerAPI) Created(ctx context.Context, ids chan<- string) error {
	filters := url.QueryEscape(`{"type":["container"],"event":["create"]}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/events?filters="+filters, nil)
	if err != nil {
		return err
	}
	resp, err := d.stream.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker /events: %s", resp.Status)
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct {
			Type   string `json:"Type"`
			Action string `json:"Action"`
			Actor  struct {
				ID string `json:"ID"`
			} `json:"Actor"`
		}
		if err := dec.Decode(&ev); err != nil {
			return err
		}
		if ev.Type == "container" && ev.Action == "create" && ev.Actor.ID != "" {
			select {
			case ids <- ev.Actor.ID:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
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
