package output

// Syslog: each record as one RFC 5424 message, its MSG the record's JSON
// line, sent to a relay over a unix datagram socket, UDP, TCP or TLS (TCP
// and TLS framed by octet counting, RFC 6587 3.4.1).
//
// The writer goroutine formats and queues (never blocks); one goroutine
// per destination connects, sends and reconnects with back-off.  While the
// relay is down the queue holds up to its bound; past it new messages are
// dropped and counted (metrics, the stats record, a loss record).  Before
// each batch a stream connection is checked for the relay's close (a relay
// never speaks on it), so a relay that restarts loses nothing of what was
// queued; what a relay that vanished without closing had not read is lost
// without a count, as with any plain TCP sender (RELP is not spoken).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// SyslogOptions are the settings shared by every --syslog destination.
type SyslogOptions struct {
	Facility   int    // 0-23; authpriv (10) by default
	Hostname   string // "" is os.Hostname()
	AppName    string // "" is ebpf-log-monitor
	QueueBytes int64  // per destination; 0 is 8 MiB
	CAFile     string // tls: the relay's CA (PEM); "" is the system's
	CertFile   string // tls: a client certificate (PEM), with KeyFile
	KeyFile    string
	ServerName string // tls: the name the relay's certificate must carry; "" is the URL's host
	Insecure   bool   // tls: accept any certificate (tests, never production)
}

// SyslogFacilities are the names --syslog-facility accepts.
var SyslogFacilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// syslogSeverity maps ours to RFC 5424's: info is informational (6), warn
// is warning (4), critical is critical (2).
func syslogSeverity(s record.Severity) int {
	switch s {
	case record.Critical:
		return 2
	case record.Warn:
		return 4
	}
	return 6
}

// maxDatagram is the largest message sent over UDP or a unix datagram
// socket; larger ones are dropped and counted (TCP and TLS have no limit).
const maxDatagram = 65507

// Syslog is one --syslog destination.
type Syslog struct {
	Name    string // the URL as given: names the sink in metrics and records
	network string // unixgram, udp, tcp, tls
	addr    string
	tls     *tls.Config
	header  string // " HOSTNAME APP-NAME PROCID " between timestamp and MSGID
	fac     int
	q       *spool
	state   atomic.Pointer[string] // the last connection error, or nil while connected
	done    chan struct{}
}

// ParseSyslogURL checks a --syslog URL: unix:///path, udp://host:port,
// tcp://host:port or tls://host:port.
func ParseSyslogURL(raw string) (network, addr string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", "", fmt.Errorf("--syslog %q: a URL: unix:///dev/log, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", raw)
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" || u.Host != "" {
			return "", "", fmt.Errorf("--syslog %q: a unix socket is unix:///path (three slashes), e.g. unix:///dev/log", raw)
		}
		return "unixgram", u.Path, nil
	case "udp", "tcp", "tls":
		if u.Port() == "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
			return "", "", fmt.Errorf("--syslog %q: give host and port, e.g. %s://127.0.0.1:514", raw, u.Scheme)
		}
		if _, err := strconv.ParseUint(u.Port(), 10, 16); err != nil {
			return "", "", fmt.Errorf("--syslog %q: bad port %q", raw, u.Port())
		}
		return u.Scheme, u.Host, nil
	}
	return "", "", fmt.Errorf("--syslog %q: scheme must be unix, udp, tcp or tls", raw)
}

// NewSyslog checks the URL and the TLS files; nothing is dialled until
// Start.
func NewSyslog(raw string, o SyslogOptions) (*Syslog, error) {
	network, addr, err := ParseSyslogURL(raw)
	if err != nil {
		return nil, err
	}
	if o.Facility < 0 || o.Facility > 23 {
		return nil, fmt.Errorf("syslog facility %d: must be 0-23", o.Facility)
	}
	host := o.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	app := o.AppName
	if app == "" {
		app = "ebpf-log-monitor"
	}
	s := &Syslog{
		Name: raw, network: network, addr: addr, fac: o.Facility, q: newSpool(o.QueueBytes),
		header: " " + headerField(host, 255) + " " + headerField(app, 48) + " " + strconv.Itoa(os.Getpid()) + " ",
		done:   make(chan struct{}),
	}
	if network == "tls" {
		s.tls, err = syslogTLS(addr, o)
		if err != nil {
			return nil, err
		}
	} else if o.CAFile != "" || o.CertFile != "" {
		return nil, fmt.Errorf("--syslog %q: TLS files are for tls:// destinations", raw)
	}
	return s, nil
}

func syslogTLS(addr string, o SyslogOptions) (*tls.Config, error) {
	c, err := clientTLS("syslog", o.CAFile, o.CertFile, o.KeyFile)
	if err != nil {
		return nil, err
	}
	c.ServerName, _, _ = net.SplitHostPort(addr)
	if o.ServerName != "" {
		c.ServerName = o.ServerName
	}
	c.InsecureSkipVerify = o.Insecure
	return c, nil
}

// headerField is an RFC 5424 header field: printable US-ASCII, no space,
// at most max characters, "-" when empty.
func headerField(s string, max int) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < max; i++ {
		if c := s[i]; c > 32 && c < 127 {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// Format builds the RFC 5424 message of r with msg (one JSON line, its
// newline dropped) as MSG: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG.
func (s *Syslog) Format(r *record.Record, msg []byte) []byte {
	msg = trimNewline(msg)
	b := make([]byte, 0, len(msg)+128)
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(s.fac*8+syslogSeverity(r.Severity)), 10)
	b = append(b, ">1 "...)
	b = r.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, s.header...)
	b = append(b, headerField(r.Event, 32)...)
	b = append(b, " - "...)
	return append(b, msg...)
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// Send queues a formatted message; it never blocks.  Past the queue's
// bound (or, on a datagram transport, past the largest datagram) the
// message is dropped and counted.
func (s *Syslog) Send(msg []byte) {
	if s.network != "tcp" && s.network != "tls" && len(msg) > maxDatagram {
		s.q.dropped.Add(1)
		return
	}
	s.q.push(msg)
}

// Dropped, Queued and Sent are safe from any goroutine.
func (s *Syslog) Dropped() uint64 { return s.q.dropped.Load() }
func (s *Syslog) Queued() int64   { return s.q.queued.Load() }
func (s *Syslog) Sent() uint64    { return s.q.sent.Load() }

// Err is why the destination is not connected now, or nil.
func (s *Syslog) Err() error {
	if p := s.state.Load(); p != nil {
		return errors.New(*p)
	}
	return nil
}

// Start runs the sender; Close stops it.
func (s *Syslog) Start() { go s.run() }

// Close sends what is queued for up to wait, then stops; what is left is
// counted as dropped.
func (s *Syslog) Close(wait time.Duration) { s.q.close(wait, s.done) }

const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 10 * time.Second
	batchBytes = 256 << 10
	dialWait   = 5 * time.Second
	writeWait  = 10 * time.Second
)

func (s *Syslog) dial() (net.Conn, error) {
	d := net.Dialer{Timeout: dialWait}
	if s.network == "tls" {
		return tls.DialWithDialer(&d, "tcp", s.addr, s.tls)
	}
	return d.Dial(s.network, s.addr)
}

// closedByPeer says whether a stream's relay has closed it: a relay never
// writes to a syslog connection, so anything readable (EOF, a reset, a
// TLS alert) means it is gone.  The check does not wait.
func closedByPeer(c net.Conn) bool {
	raw := c
	if t, ok := c.(*tls.Conn); ok {
		raw = t.NetConn()
	}
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	rc.Control(func(fd uintptr) {
		// POLLRDHUP: the peer shut its side, even with bytes unread (a TLS
		// relay's close_notify, or its session tickets, may sit before it)
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		n, err := unix.Poll(pfd, 0)
		gone = err == nil && n > 0 && pfd[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0
	})
	return gone
}

func (s *Syslog) setState(err error) {
	if err == nil {
		s.state.Store(nil)
		return
	}
	msg := err.Error()
	s.state.Store(&msg)
}

func (s *Syslog) run() {
	defer close(s.done)
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	backoff := backoffMin
	stream := s.network == "tcp" || s.network == "tls"
	var frame []byte
	for {
		n, closing := s.q.state()
		if n == 0 {
			if closing {
				return
			}
			<-s.q.wake
			continue
		}
		if conn != nil && stream && closedByPeer(conn) {
			conn.Close()
			conn = nil
			s.setState(errors.New("the relay closed the connection"))
		}
		if conn == nil {
			c, err := s.dial()
			if err != nil {
				s.setState(err)
				s.q.pause(backoff)
				backoff = min(backoff*2, backoffMax)
				continue
			}
			conn, backoff = c, backoffMin
			s.setState(nil)
		}
		batch := s.q.peek(batchBytes) // left queued until written
		written := 0                  // messages the relay has whole
		var err error
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		if stream {
			frame = frame[:0]
			ends := make([]int, 0, len(batch))
			for _, m := range batch {
				frame = strconv.AppendInt(frame, int64(len(m)), 10)
				frame = append(frame, ' ')
				frame = append(frame, m...)
				ends = append(ends, len(frame))
			}
			var k int
			k, err = conn.Write(frame)
			for written < len(ends) && ends[written] <= k {
				written++
			}
		} else {
			for _, m := range batch {
				if _, err = conn.Write(m); err != nil {
					break
				}
				written++
			}
		}
		s.q.pop(written)
		if err != nil {
			// the rest of the batch is sent again on a new connection; a
			// message cut in the middle was never whole at the relay
			s.setState(err)
			conn.Close()
			conn = nil
			if !stream && isMessageTooLong(err) {
				s.q.drop(1, true)
			}
		}
	}
}

func isMessageTooLong(err error) bool { return errors.Is(err, syscall.EMSGSIZE) }
