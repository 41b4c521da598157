package output_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output/ecscheck"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// alertingShadow is cat /etc/shadow as the rules judged it, by a process
// the table saw begin.
func alertingShadow() *record.Record {
	r := openShadow()
	r.Rules = []record.Rule{{Name: "credential-read", Severity: record.Warn, Mitre: []string{"T1003.008", "T1552.004"},
		Description: "a program that is not an authentication tool read a credential file"}}
	r.Process.EntityID, r.Process.ParentEntityID = "child-entity", "parent-entity"
	r.Process.User = "alice"
	return r
}

func allSamples() []*record.Record {
	return []*record.Record{alertingShadow(), openShadow(), deniedShadow(), chmodSetuid(), chownShadow(), renameIntoCron(),
		reverseShell(), refused(), sshdAccept(), ncListen(), dockerSocket(), firstDNSSend(), dnsFoldSummary(),
		simpleExec(), failedExec(), forkRecord(), hostileRecord(), tmpfsMount(), gdbAttach(), deniedModule(),
		sudoExec(), pythonSetuid(), touchStomp(), hiddenCreate(), auditDisable(), containerShadow(),
		exitRecord(record.Exit{Code: 0, Signal: 9, CoreDumped: true}), startRecord(), statsRecord(),
		{Event: "container_start", Category: record.CatContainer, Container: &record.Container{ID: strings.Repeat("ab", 32),
			Name: "web", Image: "registry:5000/team/web:1.2", ImageID: "sha256:" + strings.Repeat("c", 64), Runtime: "docker",
			Pod: "web-7d9", Namespace: "prod", Privileged: true, Risks: []string{"privileged"}}},
		{Event: "policy", Category: record.CatMonitor, Message: "policy reloaded"}}
}

// Every field of every kind of record is an ECS field of its type, and
// every categorisation value one ECS allows.
func TestECSFieldsAreInTheSchema(t *testing.T) {
	schema, err := ecscheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, r := range allSamples() {
		line := writeLines(t, output.FormatECS, false, r)
		if strings.Count(line, "\n") != 1 {
			t.Fatalf("%s: %d lines", r.Event, strings.Count(line, "\n"))
		}
		problems, fields := schema.Check([]byte(line))
		for _, p := range problems {
			t.Errorf("%s: %s", r.Event, p)
		}
		for _, f := range fields {
			used[f] = true
		}
	}
	for _, f := range []string{"@timestamp", "message", "ecs.version", "event.kind", "event.category", "event.type", "event.action",
		"event.outcome", "event.severity", "process.pid", "process.executable", "process.args", "process.parent.pid",
		"process.entity_id", "user.id", "file.path", "source.ip", "destination.ip", "destination.port", "network.transport",
		"rule.name", "threat.framework", "threat.technique.id", "host.name", "container.id", "container.image.name",
		"orchestrator.namespace", "process.exit_code", "user.name", "process.user.name"} {
		if !used[f] {
			t.Errorf("no sample record fills %s", f)
		}
	}
}

func ecsDoc(t *testing.T, r *record.Record) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(writeLines(t, output.FormatECS, false, r)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func field(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// The values Elastic's prebuilt rules match: an exec is process/start/exec,
// a read is file/access, a connect is network/start/connection_attempted,
// an alert names its rule and ATT&CK technique.
func TestECSUsesTheValuesElasticsRulesMatch(t *testing.T) {
	exec := simpleExec()
	exec.Process.EntityID, exec.Process.ParentEntityID = "child-entity", "parent-entity"
	for _, c := range []struct {
		r    *record.Record
		want map[string]any
	}{
		{exec, map[string]any{"event.kind": "event", "event.category": []any{"process"}, "event.type": []any{"start"},
			"event.action": "exec", "event.outcome": "success", "process.entity_id": "child-entity",
			"process.parent.entity_id": "parent-entity", "ebpf_log_monitor.event": "exec"}},
		{failedExec(), map[string]any{"event.outcome": "failure"}},
		{openShadow(), map[string]any{"event.category": []any{"file"}, "event.type": []any{"access"}, "file.path": "/etc/shadow",
			"file.name": "shadow", "file.directory": "/etc", "event.kind": "event"}},
		{alertingShadow(), map[string]any{"user.name": "alice", "process.user.name": "alice", "event.kind": "alert", "rule.name": "credential-read", "threat.framework": "MITRE ATT&CK",
			"threat.technique.id": []any{"T1003", "T1552"}, "threat.technique.subtechnique.id": []any{"T1003.008", "T1552.004"}}},
		{reverseShell(), map[string]any{"event.category": []any{"network"}, "event.action": "connection_attempted",
			"network.direction": "egress", "network.transport": "tcp"}},
		{exitRecord(record.Exit{Code: 3}), map[string]any{"event.type": []any{"end"}, "event.action": "end", "process.exit_code": 3.0}},
		{statsRecord(), map[string]any{"event.kind": "metric"}},
	} {
		m := ecsDoc(t, c.r)
		for k, want := range c.want {
			got := field(m, k)
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Errorf("%s: %s = %s, want %s", c.r.Event, k, gj, wj)
			}
		}
	}
}

func TestECSSplitsSubtechniquesFromTechniques(t *testing.T) {
	r := openShadow()
	r.Rules = []record.Rule{{Name: "a", Severity: record.Warn, Mitre: []string{"T1003.008", "T1552.004"}},
		{Name: "b", Severity: record.Critical, Mitre: []string{"T1003"}}}
	m := ecsDoc(t, r)
	if got, _ := json.Marshal(field(m, "threat.technique.id")); string(got) != `["T1003","T1552"]` {
		t.Errorf("technique.id = %s", got)
	}
	if got, _ := json.Marshal(field(m, "threat.technique.subtechnique.id")); string(got) != `["T1003.008","T1552.004"]` {
		t.Errorf("subtechnique.id = %s", got)
	}
	if field(m, "rule.name") != "b" {
		t.Errorf("rule.name = %v, want the most severe rule b", field(m, "rule.name"))
	}
}
