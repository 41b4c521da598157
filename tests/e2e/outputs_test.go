package e2e

// The fleet outputs, each against the real component started by the test
// on loopback: Prometheus scraping /metrics, rsyslog receiving syslog; and
// the ECS documents checked against ECS's own field reference.

import (
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output/ecscheck"
)

// tool is the path of a program the test needs; deps.sh installs it, so a
// missing one fails the test rather than skipping it.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make deps installs it): %v", name, err)
	}
	return p
}

// loopbackAddr is a free TCP address on 127.0.0.1.
func loopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// prometheus is a real Prometheus server scraping one target every second.
type prometheus struct {
	addr string
	cmd  *exec.Cmd
	log  lockedBuffer
}

func startPrometheus(t *testing.T, target string) *prometheus {
	t.Helper()
	bin := tool(t, "prometheus")
	dir := t.TempDir()
	conf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ebpf-log-monitor
    static_configs:
      - targets: ['%s']
`, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &prometheus{addr: loopbackAddr(t)}
	p.cmd = exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+p.addr, "--log.level=warn")
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// query runs an instant query; ok is false while Prometheus has no sample.
func (p *prometheus) query(t *testing.T, q string) (v float64, ok bool) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false // not up yet
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %s %v", q, b, err)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("query %s: value %q", q, s)
	}
	return v, true
}

// await polls Prometheus until q has a value that ok accepts.  Polling
// Prometheus is the marker here: it answers from its last scrape.
func (p *prometheus) await(t *testing.T, q, what string, accept func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last, seen := 0.0, false
	for time.Now().Before(deadline) {
		if v, ok := p.query(t, q); ok {
			last, seen = v, true
			if accept(v) {
				return v
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Prometheus: %s: %s never came (last value %v, seen %v); prometheus log:\n%s", q, what, last, seen, p.log.String())
	return 0
}

func TestPrometheusScrapesTheMonitorsCounts(t *testing.T) {
	addr := loopbackAddr(t)
	m := startMonitor(t, "--metrics-addr", addr)
	prom := startPrometheus(t, addr)

	// the first scrape: every family the monitor owns from the start
	prom.await(t, `ebpf_log_monitor_build_info`, "build_info", func(v float64) bool { return v == 1 })
	attached := prom.await(t, `sum(ebpf_log_monitor_hooks{status="attached"})`, "attached hooks", func(v float64) bool { return v > 0 })
	start := m.waitFor(t, time.Second, "start record", eventIs("start"))
	want := 0
	for _, h := range start.get("monitor", "hooks").([]any) {
		if h.(map[string]any)["status"] == "attached" {
			want++
		}
	}
	if int(attached) != want {
		t.Errorf("hooks{status=attached} sums to %v, the start record says %d", attached, want)
	}
	m.drain(t) // at least one exec is counted: the series exists
	base := prom.await(t, `ebpf_log_monitor_events_total{event="exec"}`, "a first exec count", func(float64) bool { return true })

	const n = 40
	marker := fmt.Sprintf("e2e-metrics-%d", os.Getpid())
	for i := 0; i < n; i++ {
		if err := exec.Command("/bin/true", marker).Run(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if err := exec.Command("cat", "/etc/shadow").Run(); err != nil {
			t.Fatal(err)
		}
	}
	m.drain(t)
	marked := len(m.find(func(r rec) bool {
		args := r.strs("process", "args")
		return r.str("event") == "exec" && len(args) == 2 && args[1] == marker
	}))
	if marked != n {
		t.Fatalf("%d marker execs in the output, want %d", marked, n)
	}
	execs := prom.await(t, `ebpf_log_monitor_events_total{event="exec"}`, fmt.Sprintf("base %v + %d execs", base, n),
		func(v float64) bool { return v >= base+n })
	alerts := prom.await(t, `ebpf_log_monitor_alerts_total{rule="credential-read",severity="warn"}`, "3 credential-read alerts",
		func(v float64) bool { return v >= 3 })
	lost := prom.await(t, `sum(ebpf_log_monitor_lost_events_total)`, "the loss counters", func(float64) bool { return true })
	prom.await(t, `ebpf_log_monitor_process_table_entries`, "the process table", func(v float64) bool { return v > 0 })
	prom.await(t, `ebpf_log_monitor_output_dropped_total{sink="stdout"}`, "stdout's drops", func(v float64) bool { return v == 0 })
	prom.await(t, `process_resident_memory_bytes{job="ebpf-log-monitor"}`, "the process collector", func(v float64) bool { return v > 1<<20 })

	if code := m.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	// what Prometheus saw is never more than what the monitor wrote: every
	// counted record was printed (--events all, no severity filter)
	printed := len(m.find(eventIs("exec")))
	if execs > float64(printed) {
		t.Errorf("events_total{event=exec} = %v, more than the %d exec records printed", execs, printed)
	}
	fired := len(m.find(func(r rec) bool { return hasRule(r, "credential-read") }))
	if alerts > float64(fired) || fired < 3 {
		t.Errorf("alerts_total{rule=credential-read} = %v, %d records carry the rule", alerts, fired)
	}
	stop := m.waitFor(t, time.Second, "stop record", eventIs("stop"))
	if total := stop.num("monitor", "lost", "total"); lost > total {
		t.Errorf("lost_events_total sums to %v, the stop record counts %v", lost, total)
	}
}

// rsyslog is a real rsyslogd receiving on one input and writing each
// message's header fields and MSG to a file, one line each.
type rsyslog struct {
	dir, conf, out string
	cmd            *exec.Cmd
	done           chan error
	log            lockedBuffer
}

// syslogLine is one message as rsyslog parsed it.
type syslogLine struct {
	host, app, procid, msgid, facility, severity, time, msg string
}

const rsyslogFields = "%hostname%|%app-name%|%procid%|%msgid%|%syslogfacility%|%syslogseverity%|%timereported:::date-rfc3339%|%msg%"

// newRsyslog writes a config with input (rsyslog's config syntax) as its
// only input; start runs it.
func newRsyslog(t *testing.T, globals, input string) *rsyslog {
	t.Helper()
	tool(t, "rsyslogd")
	dir := t.TempDir()
	r := &rsyslog{dir: dir, conf: filepath.Join(dir, "rsyslog.conf"), out: filepath.Join(dir, "out.log")}
	cfg := fmt.Sprintf(`global(workDirectory=%q maxMessageSize="64k" %s)
%s
template(name="fields" type="string" string="%s\n")
*.* action(type="omfile" file=%q template="fields")
`, dir, globals, input, rsyslogFields, r.out)
	if err := os.WriteFile(r.conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.kill)
	return r
}

// newRsyslogConf runs a config of the caller's, whose output file is out.
func newRsyslogConf(t *testing.T, cfg, out string) *rsyslog {
	t.Helper()
	tool(t, "rsyslogd")
	dir := t.TempDir()
	r := &rsyslog{dir: dir, conf: filepath.Join(dir, "rsyslog.conf"), out: out}
	cfg = fmt.Sprintf("global(workDirectory=%q)\n", dir) + cfg
	if err := os.WriteFile(r.conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.kill)
	return r
}

func (r *rsyslog) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("rsyslogd", "-n", "-f", r.conf, "-i", filepath.Join(r.dir, "rsyslogd.pid"))
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(r.cmd, r.done)
}

// stop ends rsyslogd with SIGTERM, as a service restart does.
func (r *rsyslog) stop(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("rsyslogd did not stop; its log:\n%s", r.log.String())
	}
	r.cmd = nil
}

func (r *rsyslog) kill() {
	if r.cmd != nil {
		r.cmd.Process.Kill()
		<-r.done
		r.cmd = nil
	}
}

// lines reads what rsyslog wrote so far.
func (r *rsyslog) lines(t *testing.T) []syslogLine {
	t.Helper()
	b, err := os.ReadFile(r.out)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []syslogLine
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" {
			continue
		}
		f := strings.SplitN(l, "|", 8)
		if len(f) != 8 {
			t.Fatalf("rsyslog wrote %q", l)
		}
		out = append(out, syslogLine{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]})
	}
	return out
}

// waitLines polls rsyslog's file until accept is true of what it holds.
func (r *rsyslog) waitLines(t *testing.T, what string, accept func([]syslogLine) bool) []syslogLine {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := r.lines(t)
		if accept(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslog: no %s within 30 s (%d lines); its log:\n%s", what, len(got), r.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ready waits until rsyslogd takes a message sent by the test itself over
// network to addr: the marker that its input listens.
func (r *rsyslog) ready(t *testing.T, dial func() (net.Conn, error), frame func(string) string) {
	t.Helper()
	probe := fmt.Sprintf("e2e-rsyslog-ready-%d", time.Now().UnixNano())
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := dial(); err == nil {
			fmt.Fprint(c, frame("<14>1 - probe probe - probe - "+probe))
			c.Close()
		}
		has := false
		for _, l := range r.lines(t) {
			has = has || strings.Contains(l.msg, probe)
		}
		if has {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd never took a probe; its log:\n%s", r.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func octets(m string) string   { return fmt.Sprintf("%d %s", len(m), m) }
func datagram(m string) string { return m }

// syslogMessages are the monitor's messages among rsyslog's lines (not the
// test's probes), checked field by field against what the monitor printed.
func checkSyslog(t *testing.T, m *monitor, got []syslogLine) []string {
	t.Helper()
	host, _ := os.Hostname()
	pid := strconv.Itoa(m.cmd.Process.Pid)
	var msgs []string
	for _, l := range got {
		if l.app == "probe" {
			continue
		}
		var r rec
		if err := json.Unmarshal([]byte(l.msg), &r); err != nil {
			t.Fatalf("MSG is not one whole JSON record: %v: %q", err, l.msg)
		}
		sev := map[string]string{"info": "6", "warn": "4", "critical": "2"}[r.str("severity")]
		if l.host != host || l.app != "ebpf-log-monitor" || l.procid != pid || l.msgid != r.str("event") ||
			l.facility != "10" || l.severity != sev {
			t.Fatalf("header %+v for a %s %s record (want host %s, procid %s, facility 10 authpriv, severity %s)",
				l, r.str("severity"), r.str("event"), host, pid, sev)
		}
		if ts, err := time.Parse(time.RFC3339Nano, r.str("time")); err != nil || !strings.HasPrefix(l.time, ts.UTC().Format("2006-01-02T15:04:05")) {
			t.Fatalf("TIMESTAMP %s for a record of %s", l.time, r.str("time"))
		}
		msgs = append(msgs, l.msg)
	}
	return msgs
}

// inOrder checks that msgs are the monitor's own lines, whole and in its
// order, and returns how many of its lines (up to the last one received)
// never came.
func inOrder(t *testing.T, m *monitor, msgs []string) (missing int) {
	t.Helper()
	return len(missingLines(t, m, msgs))
}

// missingLines is inOrder's check, returning the indices of the monitor's
// lines that rsyslog lacks.
func missingLines(t *testing.T, m *monitor, msgs []string) (missing []int) {
	t.Helper()
	m.mu.Lock()
	lines := append([]string{}, m.lines...)
	m.mu.Unlock()
	i := 0
	for k, msg := range msgs {
		j := i
		for j < len(lines) && lines[j] != msg {
			j++
		}
		if j == len(lines) {
			t.Fatalf("syslog message %d is not the monitor's next line (after line %d): %q", k, i, msg)
		}
		for ; i < j; i++ {
			missing = append(missing, i)
		}
		i = j + 1
	}
	return missing
}

func markerExecs(t *testing.T, tag string, n int) string {
	t.Helper()
	marker := fmt.Sprintf("e2e-syslog-%s-%d", tag, os.Getpid())
	for i := 0; i < n; i++ {
		if err := exec.Command("/bin/true", marker, strconv.Itoa(i)).Run(); err != nil {
			t.Fatal(err)
		}
	}
	return marker
}

// awaitRecovery waits until a sink that was down takes new records again:
// its sender retries at its back-off's pace and sends its queue first, so
// until a fresh marker exec comes through (arrived), new records may still
// meet a full queue (and be dropped, counted).
func awaitRecovery(t *testing.T, m *monitor, sink string, arrived func(probe string) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for k := 0; ; k++ {
		probe := markerExecs(t, fmt.Sprintf("recovered-%d", k), 1)
		time.Sleep(200 * time.Millisecond)
		if arrived(probe) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing new reached %s within 30 s of its recovery; monitor stderr:\n%s", sink, m.stderr.String())
		}
	}
}

func countMarked(ls []syslogLine, marker string) int {
	n := 0
	for _, l := range ls {
		if strings.Contains(l.msg, `"`+marker+`"`) && strings.Contains(l.msg, `"event":"exec"`) {
			n++
		}
	}
	return n
}

func TestSyslogToARealRsyslog(t *testing.T) {
	const n = 30
	cases := []struct {
		name string
		// the rsyslog input and globals, the monitor's flags, how the test dials it
		setup func(t *testing.T, port string) (globals, input string, flags []string, dial func() (net.Conn, error), frame func(string) string)
	}{
		{"udp", func(t *testing.T, port string) (string, string, []string, func() (net.Conn, error), func(string) string) {
			return "", fmt.Sprintf(`module(load="imudp") input(type="imudp" address="127.0.0.1" port="%s")`, port),
				[]string{"--syslog", "udp://127.0.0.1:" + port},
				func() (net.Conn, error) { return net.Dial("udp4", "127.0.0.1:"+port) }, datagram
		}},
		{"tcp", func(t *testing.T, port string) (string, string, []string, func() (net.Conn, error), func(string) string) {
			return "", fmt.Sprintf(`module(load="imtcp") input(type="imtcp" address="127.0.0.1" port="%s")`, port),
				[]string{"--syslog", "tcp://127.0.0.1:" + port},
				func() (net.Conn, error) { return net.Dial("tcp4", "127.0.0.1:"+port) }, octets
		}},
		{"tls", func(t *testing.T, port string) (string, string, []string, func() (net.Conn, error), func(string) string) {
			ca, cert, key, pool := testPKI(t)
			return fmt.Sprintf(`defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile=%q defaultNetstreamDriverCertFile=%q defaultNetstreamDriverKeyFile=%q`, ca, cert, key),
				fmt.Sprintf(`module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon") input(type="imtcp" address="127.0.0.1" port="%s")`, port),
				[]string{"--syslog", "tls://127.0.0.1:" + port, "--syslog-ca", ca},
				func() (net.Conn, error) {
					return tls.Dial("tcp4", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
				}, octets
		}},
		{"tls with a client certificate", func(t *testing.T, port string) (string, string, []string, func() (net.Conn, error), func(string) string) {
			// the relay accepts only clients whose certificate its CA signed
			ca, cert, key, pool := testPKI(t)
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile=%q defaultNetstreamDriverCertFile=%q defaultNetstreamDriverKeyFile=%q`, ca, cert, key),
				fmt.Sprintf(`module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid") input(type="imtcp" address="127.0.0.1" port="%s")`, port),
				[]string{"--syslog", "tls://127.0.0.1:" + port, "--syslog-ca", ca, "--syslog-cert", cert, "--syslog-key", key},
				func() (net.Conn, error) {
					return tls.Dial("tcp4", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}})
				}, octets
		}},
		{"unix", func(t *testing.T, port string) (string, string, []string, func() (net.Conn, error), func(string) string) {
			sock := filepath.Join(t.TempDir(), "log")
			return "", fmt.Sprintf(`module(load="imuxsock" sysSock.use="off") input(type="imuxsock" socket=%q useSpecialParser="off" parseHostname="on" ignoreTimestamp="off" ratelimit.interval="0")`, sock),
				[]string{"--syslog", "unix://" + sock},
				func() (net.Conn, error) { return net.Dial("unixgram", sock) }, datagram
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port := strings.TrimPrefix(loopbackAddr(t), "127.0.0.1:")
			globals, input, flags, dial, frame := c.setup(t, port)
			rs := newRsyslog(t, globals, input)
			rs.start(t)
			rs.ready(t, dial, frame)
			m := startMonitor(t, flags...)
			marker := markerExecs(t, c.name, n)
			rs.waitLines(t, fmt.Sprintf("%d marker execs", n), func(ls []syslogLine) bool { return countMarked(ls, marker) == n })
			if code := m.stop(t); code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", code, m.stderr.String())
			}
			got := rs.waitLines(t, "the stop record", func(ls []syslogLine) bool {
				return len(ls) > 0 && ls[len(ls)-1].msgid == "stop"
			})
			msgs := checkSyslog(t, m, got)
			if missing := inOrder(t, m, msgs); missing != 0 {
				t.Errorf("%d of the monitor's lines never reached rsyslog", missing)
			}
			if len(msgs) != len(m.lines) {
				t.Errorf("rsyslog has %d of the monitor's %d lines", len(msgs), len(m.lines))
			}
		})
	}

	// A relay restart: records sent while rsyslog is down wait in the
	// queue; past its bound they are dropped, and every one dropped is
	// counted (the loss record, the stop record); nothing else is missing.
	t.Run("tcp restart, queue overflow counted", func(t *testing.T) {
		port := strings.TrimPrefix(loopbackAddr(t), "127.0.0.1:")
		url := "tcp://127.0.0.1:" + port
		rs := newRsyslog(t, "", fmt.Sprintf(`module(load="imtcp") input(type="imtcp" address="127.0.0.1" port="%s")`, port))
		rs.start(t)
		dial := func() (net.Conn, error) { return net.Dial("tcp4", "127.0.0.1:"+port) }
		rs.ready(t, dial, octets)
		m := startMonitor(t, "--syslog", url, "--syslog-queue-size", "1")
		before := markerExecs(t, "before", n)
		rs.waitLines(t, "the first markers", func(ls []syslogLine) bool { return countMarked(ls, before) == n })
		rs.stop(t)
		// ~1,500 execs and their exits: more than the 1 MiB queue holds
		m.drain(t)
		// what the monitor wrote before here may have been in the relay's
		// socket when it stopped: plain TCP syslog has no acknowledgement,
		// so that is lost unseen (README, "Fleet outputs")
		m.mu.Lock()
		beforeStop := len(m.lines)
		m.mu.Unlock()
		markerExecs(t, "down", 1500)
		m.waitFor(t, 15*time.Second, "a loss record for the syslog sink", func(r rec) bool {
			return r.str("event") == "loss" && strings.Contains(r.str("message"), url)
		})
		rs.start(t)
		awaitRecovery(t, m, "rsyslog", func(probe string) bool { return countMarked(rs.lines(t), probe) == 1 })
		after := markerExecs(t, "after", n)
		rs.waitLines(t, "the markers after the restart", func(ls []syslogLine) bool { return countMarked(ls, after) == n })
		if code := m.stop(t); code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", code, m.stderr.String())
		}
		got := rs.waitLines(t, "the stop record", func(ls []syslogLine) bool {
			return len(ls) > 0 && ls[len(ls)-1].msgid == "stop"
		})
		msgs := checkSyslog(t, m, got)
		lacking := missingLines(t, m, msgs)
		inFlight := 0 // lacking, and written before the relay stopped
		for _, i := range lacking {
			if i < beforeStop {
				inFlight++
			}
		}
		missing := len(lacking)
		stop := m.waitFor(t, time.Second, "stop record", eventIs("stop"))
		counted, _ := stop.get("monitor", "lost", "outputs", url).(float64)
		// every record dropped from the queue is counted; uncounted, only
		// what may have been in flight at the stop
		if counted == 0 || float64(missing) < counted || float64(missing)-counted > float64(inFlight) {
			t.Errorf("%d of the monitor's lines never reached rsyslog (%d of them from before the relay stopped); the stop record counts %v dropped for %s",
				missing, inFlight, counted, url)
		}
		t.Logf("rsyslog took %d records, %v dropped and counted, %v lost in flight at the relay's stop", len(msgs), counted, float64(missing)-counted)
	})
}

// testPKI makes a CA and a certificate for 127.0.0.1 signed by it, as PEM
// files; pool holds the CA.
func testPKI(t *testing.T) (ca, cert, key string, pool *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e syslog CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(srvKey)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, b := range map[string]*pem.Block{
		ca: {Type: "CERTIFICATE", Bytes: caDER}, cert: {Type: "CERTIFICATE", Bytes: srvDER}, key: {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return ca, cert, key, pool
}

// --format ecs: every document the monitor writes on real events is ECS,
// field by field (ecscheck, against ECS's own reference), and the events
// carry the values Elastic's rules match.
func TestECSOutputIsTheElasticCommonSchema(t *testing.T) {
	schema, err := ecscheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	ours := func(r rec) string { return r.str("ebpf_log_monitor", "event") }
	m := startMonitorRaw(t, func(r rec) bool { return ours(r) == "start" }, "-f", "ecs", "--events", "all", "-i", "0")

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	marker := fmt.Sprintf("e2e-ecs-%d", os.Getpid())
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	cat := exec.Command("cat", "/etc/shadow")
	if err := cat.Run(); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	done := fmt.Sprintf("e2e-ecs-done-%d", os.Getpid())
	if err := exec.Command("/bin/true", done).Run(); err != nil {
		t.Fatal(err)
	}
	hasArg := func(arg string) func(rec) bool {
		return func(r rec) bool {
			for _, a := range r.strs("process", "args") {
				if a == arg {
					return true
				}
			}
			return false
		}
	}
	m.waitFor(t, 10*time.Second, "the last marker's exec", func(r rec) bool { return ours(r) == "exec" && hasArg(done)(r) })
	if code := m.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	m.assertAllJSON(t)

	m.mu.Lock()
	lines := append([]string{}, m.lines...)
	m.mu.Unlock()
	used := map[string]bool{}
	for _, line := range lines {
		problems, fields := schema.Check([]byte(line))
		for _, p := range problems {
			t.Errorf("%s\n  in %.300s", p, line)
		}
		for _, f := range fields {
			used[f] = true
		}
	}
	t.Logf("%d documents, %d distinct ECS fields", len(lines), len(used))

	exe := m.waitFor(t, time.Second, "the marker's exec", func(r rec) bool { return ours(r) == "exec" && hasArg(marker)(r) })
	for k, want := range map[string]string{"event.kind": "event", "event.action": "exec", "event.outcome": "success",
		"process.executable": "/usr/bin/true", "process.command_line": "/bin/true " + marker} {
		if got := exe.str(strings.Split(k, ".")...); got != want {
			t.Errorf("exec: %s = %q, want %q", k, got, want)
		}
	}
	if cats := exe.strs("event", "category"); len(cats) != 1 || cats[0] != "process" {
		t.Errorf("exec: event.category = %v", cats)
	}
	if exe.str("process", "entity_id") == "" || exe.str("process", "parent", "entity_id") == "" {
		t.Errorf("exec: no process.entity_id or process.parent.entity_id: %v", exe.get("process"))
	}
	read := m.waitFor(t, time.Second, "cat's read of /etc/shadow", func(r rec) bool {
		return ours(r) == "open" && int(r.num("process", "pid")) == cat.Process.Pid
	})
	if read.str("event", "kind") != "alert" || read.str("rule", "name") != "credential-read" ||
		read.str("file", "path") != "/etc/shadow" || read.str("threat", "framework") != "MITRE ATT&CK" {
		t.Errorf("the shadow read: kind %q rule %q path %q threat %v", read.str("event", "kind"), read.str("rule", "name"),
			read.str("file", "path"), read.get("threat"))
	}
	if read.str("user", "name") != "root" || read.str("user", "id") != "0" {
		t.Errorf("the shadow read: user %v, want root (0)", read.get("user"))
	}
	if types := read.strs("event", "type"); len(types) != 1 || types[0] != "access" {
		t.Errorf("the shadow read: event.type = %v, want [access]", types)
	}
	conn := m.waitFor(t, time.Second, "the connect", func(r rec) bool {
		return ours(r) == "connect" && int(r.num("destination", "port")) == port
	})
	if conn.str("event", "action") != "connection_attempted" || conn.str("destination", "ip") != "127.0.0.1" ||
		conn.str("network", "transport") != "tcp" || conn.str("network", "direction") != "egress" {
		t.Errorf("the connect: %v %v %v", conn.get("event"), conn.get("destination"), conn.get("network"))
	}
}

// The README's fleet recipe, with the configs of deploy/rsyslog as they
// are: the monitor sends to the host's rsyslog on a socket of its own, which
// forwards over TLS to a central rsyslog, which writes one JSON record per
// line per host.  Every record arrives whole and in order.
func TestFleetRecipeEdgeToCentralRsyslog(t *testing.T) {
	ca, cert, key, _ := testPKI(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "edge.sock")
	logs := filepath.Join(dir, "central") + "/"
	port := strings.TrimPrefix(loopbackAddr(t), "127.0.0.1:")
	conf := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "rsyslog", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.NewReplacer(
			"/run/ebpf-log-monitor/syslog.sock", sock,
			"central.example.org", "127.0.0.1",
			`port="6514"`, `port="`+port+`"`,
			"/etc/ssl/ebpf-log-monitor/ca.pem", ca,
			"/etc/ssl/ebpf-log-monitor/central.pem", cert,
			"/etc/ssl/ebpf-log-monitor/central-key.pem", key,
			"/var/log/ebpf-log-monitor/", logs,
		).Replace(string(b))
	}
	host, _ := os.Hostname()
	central := newRsyslogConf(t, conf("central.conf"), filepath.Join(logs, host+".json"))
	central.start(t)
	// the edge's first connection must find the central one listening: a
	// refused one suspends the forwarding action for its resume interval
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp4", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the central rsyslogd does not listen; its log:\n%s", central.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	edge := newRsyslogConf(t, conf("edge.conf"), "")
	edge.start(t)
	deadline = time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edge rsyslogd made no socket; its log:\n%s", edge.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	m := startMonitor(t, "--syslog", "unix://"+sock)
	marker := markerExecs(t, "fleet", 20)
	m.drain(t)
	if code := m.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	var got []string
	deadline = time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(central.out)
		got = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(got) > 0 && strings.Contains(got[len(got)-1], `"event":"stop"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the central rsyslog has %d lines, not the stop record; edge log:\n%s\ncentral log:\n%s",
				len(got), edge.log.String(), central.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if missing := inOrder(t, m, got); missing != 0 || len(got) != len(m.lines) {
		t.Errorf("the central file has %d of the monitor's %d lines (%d missing between)", len(got), len(m.lines), missing)
	}
	n := 0
	for _, l := range got {
		if strings.Contains(l, `"`+marker+`"`) {
			n++
		}
	}
	if n < 20 {
		t.Errorf("%d records of the 20 marker execs reached the central file", n)
	}
}

// webhookServer takes NDJSON on loopback; while failing is set it answers
// 500 and keeps nothing.
type webhookServer struct {
	mu       sync.Mutex
	failing  bool
	lines    []string
	refused  int
	accepted int
	auth     map[string]bool
}

func (s *webhookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth[r.Header.Get("Authorization")] = true
	if s.failing {
		s.refused++
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	}
	s.accepted++
	for _, l := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		s.lines = append(s.lines, l)
	}
}

func (s *webhookServer) set(failing bool) {
	s.mu.Lock()
	s.failing = failing
	s.mu.Unlock()
}

func (s *webhookServer) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// --webhook against a server that answers 500 for a while, then recovers:
// what it refused is sent again, whole and in order; what did not fit the
// queue meanwhile is dropped and counted; nothing else is missing and
// nothing arrives twice.
func TestWebhookSurvivesAFailingServer(t *testing.T) {
	srv := &webhookServer{auth: map[string]bool{}}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(l)
	defer hs.Close()
	url := "http://" + l.Addr().String() + "/ingest"
	m := startMonitor(t, "--webhook", url, "--webhook-header", "Authorization: Bearer e2e-token",
		"--webhook-queue-size", "1", "--webhook-flush", "200ms")
	before := markerExecs(t, "webhook-before", 10)
	srv.set(true)
	m.drain(t)
	// ~1,500 execs and exits while the server fails: more than 1 MiB
	markerExecs(t, "webhook-down", 1500)
	m.waitFor(t, 15*time.Second, "a loss record for the webhook", func(r rec) bool {
		return r.str("event") == "loss" && strings.Contains(r.str("message"), url)
	})
	srv.set(false)
	awaitRecovery(t, m, "the server", func(probe string) bool {
		return strings.Contains(strings.Join(srv.got(), "\n"), `"`+probe+`"`)
	})
	after := markerExecs(t, "webhook-after", 10)
	m.drain(t)
	if code := m.stop(t); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, m.stderr.String())
	}
	got := srv.got()
	count := func(marker string) int {
		n := 0
		for _, l := range got {
			if strings.Contains(l, `"`+marker+`"`) && strings.Contains(l, `"event":"exec"`) {
				n++
			}
		}
		return n
	}
	if count(before) != 10 || count(after) != 10 {
		t.Errorf("markers received: %d before the failure, %d after it; want 10 and 10", count(before), count(after))
	}
	for i, l := range got {
		var r rec
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d is not one JSON record: %q", i, l)
		}
	}
	seen := map[string]bool{}
	for _, l := range got {
		if seen[l] {
			t.Fatalf("a record arrived twice: %.200s", l)
		}
		seen[l] = true
	}
	missing := inOrder(t, m, got)
	stop := m.waitFor(t, time.Second, "stop record", eventIs("stop"))
	counted, _ := stop.get("monitor", "lost", "outputs", url).(float64)
	if missing == 0 || float64(missing) != counted {
		t.Errorf("%d of the monitor's lines never reached the server; the stop record counts %v dropped", missing, counted)
	}
	if len(got)+missing != len(m.lines) {
		t.Errorf("received %d + missing %d != the monitor's %d lines (the tail after the stop record?)", len(got), missing, len(m.lines))
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.refused == 0 || len(srv.auth) != 1 || !srv.auth["Bearer e2e-token"] {
		t.Errorf("refused %d requests; Authorization headers seen %v", srv.refused, srv.auth)
	}
	t.Logf("server refused %d requests, accepted %d with %d records; %d dropped and counted", srv.refused, srv.accepted, len(got), missing)
}

// --log-max-size under an exec storm: the log file is rotated many times,
// and the rotated files (gzipped) and the current one, oldest first, hold
// exactly the lines the monitor printed: none lost, none cut, none twice.
func TestLogRotationLosesNoLineUnderAnExecStorm(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "monitor.json")
	m := startMonitor(t, "-l", path, "--log-max-size", "1", "--log-max-files", "100", "--log-compress")
	storm := exec.Command("sh", "-c", "i=0; while [ $i -lt 3000 ]; do /bin/true e2e-rotation-storm; i=$((i+1)); done")
	if out, err := storm.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m.drain(t)
	if code := m.stop(t); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, m.stderr.String())
	}
	var files []string
	for i := 100; i >= 1; i-- {
		name := fmt.Sprintf("%s.%d.gz", path, i)
		if _, err := os.Stat(name); err == nil {
			files = append(files, name)
		} else if _, err := os.Stat(strings.TrimSuffix(name, ".gz")); err == nil {
			t.Errorf("%s was left uncompressed", strings.TrimSuffix(name, ".gz"))
		}
	}
	files = append(files, path)
	if len(files) < 4 {
		t.Fatalf("%d files: the storm should have rotated the log several times", len(files))
	}
	var lines []string
	for _, name := range files {
		st, err := os.Lstat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || !st.Mode().IsRegular() {
			t.Errorf("%s: mode %v, want a regular file 0600", name, st.Mode())
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = f
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			r = zr
		}
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends in the middle of a line", name)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	m.mu.Lock()
	printed := append([]string(nil), m.lines...)
	m.mu.Unlock()
	if len(lines) != len(printed) {
		t.Fatalf("the %d files hold %d lines, the monitor printed %d", len(files), len(lines), len(printed))
	}
	for i := range lines {
		if lines[i] != printed[i] {
			t.Fatalf("line %d differs:\n  files:  %.200s\n  stdout: %.200s", i, lines[i], printed[i])
		}
	}
	t.Logf("%d lines in %d files", len(lines), len(files))
}
