// Package deploy holds the Kubernetes manifests and the Helm chart, and this
// test, which renders the chart with Helm's own engine and decodes every
// object strictly into the Kubernetes API types (an unknown or misspelt field
// fails), then checks what a node monitor must have.  A module of its own so
// that the monitor's go.mod does not carry Helm and the Kubernetes API.
//
//	go test ./...            check
//	go test ./... -update    rewrite kubernetes/ebpf-log-monitor.yaml from the chart
package deploy

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite "+manifestFile+" from the chart")

const (
	chartDir     = "helm/ebpf-log-monitor"
	manifestFile = "kubernetes/ebpf-log-monitor.yaml"
	namespace    = "ebpf-log-monitor"
)

// render runs `helm template ebpf-log-monitor chartDir --namespace ...` in
// process, with extra values over values.yaml, and returns the documents in
// template-name order.
func render(t *testing.T, extra map[string]any) []string {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatalf("chart: %v", err)
	}
	vals, err := chartutil.ToRenderValues(ch, extra,
		chartutil.ReleaseOptions{Name: "ebpf-log-monitor", Namespace: namespace, IsInstall: true},
		chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var names []string
	for name := range out {
		if strings.HasSuffix(name, ".yaml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var docs []string
	for _, name := range names {
		for _, d := range splitDocs(out[name]) {
			docs = append(docs, "# Source: "+name+"\n"+d)
		}
	}
	return docs
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

// splitDocs returns the non-empty YAML documents of s.
func splitDocs(s string) []string {
	var docs []string
	for _, d := range docSep.Split(s, -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, strings.TrimSpace(d)+"\n")
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// plainManifest is what `kubectl apply -f` takes: the namespace, then the
// chart rendered with its defaults.
func plainManifest(t *testing.T) []byte {
	var b bytes.Buffer
	b.WriteString("# ebpf-log-monitor for kubectl apply -f: generated from deploy/helm/ebpf-log-monitor\n")
	b.WriteString("# with its default values by `cd deploy && go test ./... -update`; do not edit.\n")
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", namespace)
	for _, d := range render(t, nil) {
		b.WriteString("---\n" + d)
	}
	return b.Bytes()
}

// objects decodes each document strictly into its API type.
func objects(t *testing.T, docs []string) []any {
	t.Helper()
	var objs []any
	for _, d := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(d), &tm); err != nil {
			t.Fatalf("%v in:\n%s", err, d)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 Namespace":
			obj = &corev1.Namespace{}
		case "v1 ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "v1 ConfigMap":
			obj = &corev1.ConfigMap{}
		case "apps/v1 DaemonSet":
			obj = &appsv1.DaemonSet{}
		default:
			t.Fatalf("unexpected object %s %s (add its type here):\n%s", tm.APIVersion, tm.Kind, d)
		}
		// strict: an unknown or duplicated field is an error, as with
		// kubectl apply --validate=strict
		if err := yaml.UnmarshalStrict([]byte(d), obj); err != nil {
			t.Fatalf("%s: %v in:\n%s", tm.Kind, err, d)
		}
		objs = append(objs, obj)
	}
	return objs
}

func daemonSet(t *testing.T, objs []any) *appsv1.DaemonSet {
	t.Helper()
	for _, o := range objs {
		if ds, ok := o.(*appsv1.DaemonSet); ok {
			return ds
		}
	}
	t.Fatal("no DaemonSet")
	return nil
}

// readmeCaps are the --cap-add values of README's docker run line, the set
// make test-install runs the image with.
func readmeCaps(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("docker run -d --name ebpf-log-monitor"))
	if i < 0 {
		t.Fatal("README has no `docker run -d --name ebpf-log-monitor` line")
	}
	end := bytes.Index(b[i:], []byte("```"))
	var caps []string
	for _, m := range regexp.MustCompile(`--cap-add (\w+)`).FindAllSubmatch(b[i:i+end], -1) {
		caps = append(caps, string(m[1]))
	}
	return caps
}

func TestManifestIsTheRenderedChart(t *testing.T) {
	want := plainManifest(t)
	if *update {
		if err := os.WriteFile(manifestFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the chart rendered with its defaults: run `cd deploy && go test ./... -update`", manifestFile)
	}
}

func TestDaemonSetIsWhatANodeMonitorNeeds(t *testing.T) {
	b, err := os.ReadFile(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, splitDocs(string(b)))
	kinds := []string{}
	for _, o := range objs {
		kinds = append(kinds, fmt.Sprintf("%T", o))
	}
	if want := []string{"*v1.Namespace", "*v1.DaemonSet", "*v1.ServiceAccount"}; !slices.Equal(kinds, want) {
		t.Errorf("objects %v, want %v", kinds, want)
	}
	ds := daemonSet(t, objs)
	if ds.Namespace != namespace {
		t.Errorf("namespace %q", ds.Namespace)
	}
	pod := ds.Spec.Template.Spec
	for k, v := range ds.Spec.Selector.MatchLabels {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod's labels %v", k, v, ds.Spec.Template.Labels)
		}
	}
	if !pod.HostPID {
		t.Error("hostPID is off: the monitor could not name the node's processes")
	}
	if pod.HostNetwork {
		t.Error("hostNetwork is on: not needed")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted: the monitor needs no API access")
	}
	tolerateAll := false
	for _, tol := range pod.Tolerations {
		tolerateAll = tolerateAll || (tol.Key == "" && tol.Operator == corev1.TolerationOpExists && tol.Effect == "")
	}
	if !tolerateAll {
		t.Errorf("tolerations %v: a tainted node would go unwatched", pod.Tolerations)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]

	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("no securityContext.capabilities")
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Error("privileged (or not said): capabilities one by one instead")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the root file system is writable")
	}
	if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities dropped: %v, want ALL", sc.Capabilities.Drop)
	}
	var added []string
	for _, c := range sc.Capabilities.Add {
		added = append(added, string(c))
	}
	if want := readmeCaps(t); !slices.Equal(added, want) {
		t.Errorf("capabilities added %v; README's docker run line, which make test-install runs, adds %v", added, want)
	}

	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
	}
	hostPaths := map[string]string{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	for path, readOnly := range map[string]bool{"/sys/kernel": true, "/sys/fs/bpf": false} {
		m, ok := mounts[path]
		if !ok || hostPaths[m.Name] != path {
			t.Errorf("the host's %s is not mounted at %s", path, path)
		} else if m.ReadOnly != readOnly {
			t.Errorf("%s mounted readOnly=%v", path, m.ReadOnly)
		}
	}

	// requests and limits of both CPU and memory; the memory request covers
	// the measured footprint on a small node (values.yaml: 49 MiB RSS + 25.5 MB
	// of BPF maps with 2 possible CPUs, about 74 MiB)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() || lim.Cmp(req) < 0 {
			t.Errorf("%s: request %s, limit %s", r, req.String(), lim.String())
		}
	}
	if req := c.Resources.Requests[corev1.ResourceMemory]; req.Cmp(resource.MustParse("74Mi")) < 0 {
		t.Errorf("memory request %s is below the measured 74 MiB", req.String())
	}

	// the liveness probe asks the port --metrics-addr serves /healthz on
	p := c.LivenessProbe
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Fatalf("liveness probe %v: want GET /healthz", p)
	}
	port := int32(0)
	for _, cp := range c.Ports {
		if cp.Name == p.HTTPGet.Port.String() || fmt.Sprint(cp.ContainerPort) == p.HTTPGet.Port.String() {
			port = cp.ContainerPort
		}
	}
	i := slices.Index(c.Args, "--metrics-addr")
	if port == 0 || i < 0 || i+1 >= len(c.Args) || !strings.HasSuffix(c.Args[i+1], fmt.Sprintf(":%d", port)) {
		t.Errorf("the probe's port %v (%d) is not the one --metrics-addr serves: args %v", p.HTTPGet.Port.String(), port, c.Args)
	}
	// and Prometheus is told to scrape /metrics there
	ann := ds.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != fmt.Sprint(port) {
		t.Errorf("pod annotations %v: want prometheus.io/scrape true, path /metrics, port %d", ann, port)
	}
}

// A policy given as a value becomes a ConfigMap mounted over the image's
// /etc/ebpf-log-monitor; pods roll when it changes.
func TestChartWithAPolicyMountsIt(t *testing.T) {
	const pol = "rules:\n  credential-read:\n    severity: critical\n"
	objs := objects(t, render(t, map[string]any{"policy": pol, "priorityClassName": "system-node-critical"}))
	var cm *corev1.ConfigMap
	for _, o := range objs {
		if c, ok := o.(*corev1.ConfigMap); ok {
			cm = c
		}
	}
	if cm == nil || cm.Data["policy.yaml"] != pol {
		t.Fatalf("ConfigMap %v, want policy.yaml = %q", cm, pol)
	}
	ds := daemonSet(t, objs)
	pod := ds.Spec.Template.Spec
	if pod.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q", pod.PriorityClassName)
	}
	if ds.Spec.Template.Annotations["checksum/policy"] == "" {
		t.Error("no checksum/policy annotation: pods would keep the old policy")
	}
	found := false
	for _, m := range pod.Containers[0].VolumeMounts {
		found = found || (m.MountPath == "/etc/ebpf-log-monitor" && m.ReadOnly)
	}
	if !found {
		t.Error("the policy is not mounted read-only at /etc/ebpf-log-monitor")
	}
}
