package e2e

import (
	"fmt"
	"testing"
	"time"
)

// A container's records wait for the runtime API's answer, so that they
// are judged with its name and kind: without it, a classic build step's
// copy into /usr/local/bin was judged a dropped binary (and every later
// run of it in a container of the image, dropped-binary-run).  The API is
// the test's, slow on purpose, for a docker-shaped cgroup made by hand:
// the guests run no Docker.  An id the API does not know waits for the
// 404 only, and no record is lost either way.
func TestAContainersRecordsWaitForTheAPIsAnswer(t *testing.T) {
	api := newFakeDockerAPI(t)
	api.mu.Lock()
	api.delay = 300 * time.Millisecond
	api.mu.Unlock()
	m := startMonitor(t, "--docker-socket", api.sock)

	check := func(t *testing.T, ct, id, name string, build bool) {
		t.Helper()
		pid := runIn(t, "/", "sh", "-c", inCgroup(ct, "cat /etc/shadow"))
		for _, what := range []struct {
			desc string
			pred func(rec) bool
		}{
			{"cat's exec", and(eventIs("exec"), pidIs(pid), func(r rec) bool { return r.str("process", "comm") == "cat" })},
			{"its read of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow"))},
		} {
			r := m.waitFor(t, 10*time.Second, what.desc, what.pred)
			if r.str("container", "id") != id || r.str("container", "name") != name ||
				(r.get("container", "build") == true) != build {
				t.Errorf("%s: container %v, want id %s, name %q, build %v", what.desc, r.get("container"), id, name, build)
			}
		}
	}
	t.Run("a slow answer: a build step", func(t *testing.T) {
		ct, _, id := handMadeCgroups(t)
		api.set(id, fmt.Sprintf(`{"Id":%q,"Name":"/e2e-slow","Image":"sha256:e2e","Config":{"Image":"sha256:e2e0","Healthcheck":{"Test":["NONE"]}},`+
			`"State":{"StartedAt":%q},"HostConfig":{"LogConfig":{"Type":"none"}}}`, id, time.Now().UTC().Format(time.RFC3339Nano)))
		check(t, ct, id, "e2e-slow", true)
	})
	t.Run("no answer", func(t *testing.T) {
		ct, _, id := handMadeCgroups(t)
		check(t, ct, id, "", false)
	})
}
