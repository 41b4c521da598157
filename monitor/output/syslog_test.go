package output

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func TestSyslogURLs(t *testing.T) {
	for _, c := range []struct{ url, network, addr, err string }{
		{"unix:///dev/log", "unixgram", "/dev/log", ""},
		{"udp://127.0.0.1:514", "udp", "127.0.0.1:514", ""},
		{"tcp://[::1]:6514", "tcp", "[::1]:6514", ""},
		{"tls://relay.example:6514", "tls", "relay.example:6514", ""},
		{"unix://dev/log", "", "", "three slashes"},
		{"tcp://127.0.0.1", "", "", "host and port"},
		{"tcp://127.0.0.1:99999", "", "", "bad port"},
		{"http://127.0.0.1:514", "", "", "scheme must be"},
		{"127.0.0.1:514", "", "", "a URL"},
	} {
		n, a, err := ParseSyslogURL(c.url)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.url, err, c.err)
			}
			continue
		}
		if err != nil || n != c.network || a != c.addr {
			t.Errorf("%s: %s %s %v, want %s %s", c.url, n, a, err, c.network, c.addr)
		}
	}
}

func TestSyslogMessageIsRFC5424WithTheJSONLine(t *testing.T) {
	s, err := NewSyslog("udp://127.0.0.1:514", SyslogOptions{Facility: SyslogFacilities["authpriv"], Hostname: "web 1", AppName: "ebpf-log-monitor"})
	if err != nil {
		t.Fatal(err)
	}
	r := &record.Record{Time: time.Date(2026, 12, 1, 3, 4, 5, 123456789, time.UTC), Severity: record.Critical, Event: "exec"}
	got := string(s.Format(r, []byte(`{"event":"exec"}`+"\n")))
	// authpriv (10) * 8 + critical (2) = 82; the space in the hostname goes
	want := fmt.Sprintf(`<82>1 2026-12-01T03:04:05.123456Z web1 ebpf-log-monitor %d exec - {"event":"exec"}`, os.Getpid())
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	r.Severity, r.Event = record.Info, ""
	if got := string(s.Format(r, []byte("{}"))); !strings.HasPrefix(got, "<86>1 ") || !strings.Contains(got, " - - {}") {
		t.Errorf("info with no event: %s", got)
	}
}

// frames reads octet-counted messages from c until it closes.
func frames(c net.Conn, out chan<- string) {
	br := bufio.NewReader(c)
	for {
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil {
			out <- "BAD FRAME " + n
			return
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(br, b); err != nil {
			return // cut by the close: never whole, never counted
		}
		out <- string(b)
	}
}

func TestSyslogTCPLosesNothingAcrossARelayRestart(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	got := make(chan string, 1000)
	accept := func(l net.Listener) net.Conn {
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		go frames(c, got)
		return c
	}
	s, err := NewSyslog("tcp://"+addr, SyslogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Close(time.Second)
	for i := 0; i < 10; i++ {
		s.Send([]byte(fmt.Sprintf("m%d", i)))
	}
	c := accept(l)
	for i := 0; i < 10; i++ {
		if m := <-got; m != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d: %q", i, m)
		}
	}
	// the relay goes away (its close is seen before the next batch), and
	// comes back on the same port
	c.Close()
	l.Close()
	for s.Err() == nil {
		s.Send([]byte("probe")) // the sender notices the close on its next batch
		time.Sleep(10 * time.Millisecond)
	}
	sentBefore := s.Sent()
	for i := 10; i < 20; i++ {
		s.Send([]byte(fmt.Sprintf("m%d", i)))
	}
	l, err = net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accept(l)
	want := 10
	for want < 20 {
		select {
		case m := <-got:
			if m == "probe" {
				continue
			}
			if m != fmt.Sprintf("m%d", want) {
				t.Fatalf("after the restart: %q, want m%d", m, want)
			}
			want++
		case <-time.After(10 * time.Second):
			t.Fatalf("after the restart: m%d never came (sent %d, dropped %d, err %v)", want, s.Sent()-sentBefore, s.Dropped(), s.Err())
		}
	}
	if s.Dropped() != 0 {
		t.Errorf("dropped %d", s.Dropped())
	}
}

func TestSyslogQueueIsBoundedAndCountsWhatItDrops(t *testing.T) {
	// nothing listens: every message waits, up to the bound
	l, _ := net.Listen("tcp4", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	s, err := NewSyslog("tcp://"+addr, SyslogOptions{QueueBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	msg := []byte(strings.Repeat("x", 100))
	for i := 0; i < 15; i++ {
		s.Send(msg)
	}
	if s.Queued() != 1000 || s.Dropped() != 5 {
		t.Errorf("queued %d bytes, dropped %d; want 1000 and 5", s.Queued(), s.Dropped())
	}
	s.Close(100 * time.Millisecond)
	if s.Dropped() != 15 || s.Queued() != 0 {
		t.Errorf("after close: dropped %d, queued %d; want 15 and 0 (what never left is counted)", s.Dropped(), s.Queued())
	}
}

func TestSyslogDatagramsOverUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := NewSyslog("udp://"+pc.LocalAddr().String(), SyslogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Close(time.Second)
	s.Send([]byte("one"))
	s.Send([]byte(strings.Repeat("y", maxDatagram+1))) // too big for a datagram
	s.Send([]byte("two"))
	buf := make([]byte, 70000)
	for _, want := range []string{"one", "two"} {
		pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("datagram %q %v, want %q", buf[:n], err, want)
		}
	}
	if s.Dropped() != 1 {
		t.Errorf("dropped %d, want 1 (the oversized message)", s.Dropped())
	}
}
