package ecscheck

import (
	"strings"
	"testing"
)

// The checker finds each kind of departure (a checker that passes
// everything would make the ECS test worthless).
func TestTheCheckerCatchesEachDeparture(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	good := `{"@timestamp":"2026-12-01T03:04:05.1Z","event":{"kind":"event","category":["process"],"type":["start"]},"process":{"pid":4,"args":["a"]},"source":{"ip":"::1"},"ebpf_log_monitor":{"anything":1}}`
	if p, _ := s.Check([]byte(good)); len(p) != 0 {
		t.Fatalf("a good document: %v", p)
	}
	for _, c := range []struct{ doc, want string }{
		{`{"process":{"pid_of_mine":4}}`, "process.pid_of_mine: not an ECS field"},
		{`{"process":{"pid":"4"}}`, "process.pid: \"4\" is not a number"},
		{`{"process":{"pid":[4]}}`, "process.pid: an array"},
		{`{"user":{"id":0}}`, `user.id: "0" is not a string`},
		{`{"@timestamp":"yesterday"}`, "not an RFC 3339 date"},
		{`{"source":{"ip":"localhost"}}`, "not an IP address"},
		{`{"event":{"kind":"incident"}}`, `event.kind: "incident" is not an allowed value`},
		{`{"event":{"category":["process"],"type":["deletion"]}}`, `event.type "deletion" is expected by none`},
		{`[1]`, "not a JSON object"},
	} {
		p, _ := s.Check([]byte(c.doc))
		if !strings.Contains(strings.Join(p, "\n"), c.want) {
			t.Errorf("%s: problems %v, want one saying %q", c.doc, p, c.want)
		}
	}
}
