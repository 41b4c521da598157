package output

// Webhook: records POSTed as NDJSON (one JSON or ECS line per record) in
// batches bounded in size and time.  A batch the server answers 2xx is
// sent; 5xx, 429, 408 and connection errors are retried with back-off,
// the batch kept whole and in order; any other answer (400, 401, 413...)
// will never succeed, so its records are dropped and counted.  Each batch
// carries an Idempotency-Key (the monitor's run id and the batch's
// sequence number): a batch retried after its answer was lost has the same
// key, so a receiver can keep one copy.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// WebhookOptions are the settings of --webhook.
type WebhookOptions struct {
	Headers    http.Header   // added to every request (an auth token)
	CAFile     string        // https: the server's CA (PEM); "" is the system's
	CertFile   string        // https: a client certificate, with KeyFile
	KeyFile    string        //
	BatchBytes int           // 0 is 1 MiB
	BatchWait  time.Duration // the longest a record waits for its batch; 0 is 1 s
	QueueBytes int64         // 0 is 8 MiB
	Timeout    time.Duration // per request; 0 is 10 s
}

// Webhook is the --webhook destination.
type Webhook struct {
	Name    string // the URL with any password hidden
	url     string
	opts    WebhookOptions
	client  *http.Client
	q       *spool
	run     string
	seq     uint64
	retries atomic.Uint64
	state   atomic.Pointer[string]
	done    chan struct{}
	stop    context.CancelFunc
	ctx     context.Context
}

// NewWebhook checks the URL and the TLS files; nothing is sent until Start.
func NewWebhook(raw string, o WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--webhook %q: an http:// or https:// URL", raw)
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 1 << 20
	}
	if o.BatchWait <= 0 {
		o.BatchWait = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile != "" || o.CertFile != "" {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("--webhook %q: TLS files are for an https:// URL", raw)
		}
		c, err := clientTLS("webhook", o.CAFile, o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = c
	}
	var id [8]byte
	rand.Read(id[:])
	ctx, cancel := context.WithCancel(context.Background())
	return &Webhook{
		Name: u.Redacted(), url: raw, opts: o, q: newSpool(o.QueueBytes),
		client: &http.Client{Transport: tr, Timeout: o.Timeout},
		run:    hex.EncodeToString(id[:]), done: make(chan struct{}), ctx: ctx, stop: cancel,
	}, nil
}

// ParseHeader reads "Name: value" (--webhook-header).
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return "", "", fmt.Errorf("--webhook-header %q: give \"Name: value\", e.g. \"Authorization: Bearer TOKEN\"", s)
	}
	return name, value, nil
}

// Send queues a copy of one line (its newline kept); it never blocks.
func (w *Webhook) Send(line []byte) { w.q.push(append([]byte(nil), line...)) }

// Dropped, Queued, Sent and Retries are safe from any goroutine.
func (w *Webhook) Dropped() uint64 { return w.q.dropped.Load() }
func (w *Webhook) Queued() int64   { return w.q.queued.Load() }
func (w *Webhook) Sent() uint64    { return w.q.sent.Load() }

// Retries counts batches sent again after a failure.
func (w *Webhook) Retries() uint64 { return w.retries.Load() }

// Err is why the last request failed, or nil after a success.
func (w *Webhook) Err() error {
	if p := w.state.Load(); p != nil {
		return errors.New(*p)
	}
	return nil
}

// Start runs the sender.
func (w *Webhook) Start() { go w.loop() }

// Close sends what is queued for up to wait; the rest is counted as dropped.
func (w *Webhook) Close(wait time.Duration) {
	go func() {
		// a request in flight when the time is up is abandoned
		select {
		case <-w.done:
		case <-time.After(wait):
			w.stop()
		}
	}()
	w.q.close(wait, w.done)
	w.stop()
}

func (w *Webhook) setState(err error) {
	if err == nil {
		w.state.Store(nil)
		return
	}
	msg := err.Error()
	w.state.Store(&msg)
}

// errPermanent marks an answer that no retry will change.
var errPermanent = errors.New("refused")

func (w *Webhook) loop() {
	defer close(w.done)
	backoff := backoffMin
	var body bytes.Buffer
	for {
		n, closing := w.q.state()
		if n == 0 {
			if closing {
				return
			}
			<-w.q.wake
			continue
		}
		// wait for a full batch, or the oldest record's deadline
		if !closing && int(w.q.queued.Load()) < w.opts.BatchBytes {
			w.q.gather(w.opts.BatchWait, int64(w.opts.BatchBytes))
		}
		batch := w.q.peek(w.opts.BatchBytes)
		body.Reset()
		for _, l := range batch {
			body.Write(l)
		}
		w.seq++
		key := w.run + "-" + strconv.FormatUint(w.seq, 10)
		for attempt := 0; ; attempt++ {
			if attempt > 0 {
				w.retries.Add(1)
			}
			err := w.post(body.Bytes(), key)
			if err == nil {
				w.setState(nil)
				w.q.pop(len(batch))
				backoff = backoffMin
				break
			}
			w.setState(err)
			if errors.Is(err, errPermanent) {
				w.q.drop(len(batch), true)
				break
			}
			w.q.pause(backoff) // cut short by Close: what is left has two seconds
			if w.ctx.Err() != nil {
				return // closing, and out of time: Close counts what is left
			}
			if _, closing := w.q.state(); closing {
				backoff = backoffMin
			} else {
				backoff = min(backoff*2, backoffMax)
			}
		}
	}
}

func (w *Webhook) post(body []byte, key string) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	for k, vs := range w.opts.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Idempotency-Key", key)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 500, c == http.StatusTooManyRequests, c == http.StatusRequestTimeout:
		return fmt.Errorf("%s answered %s", w.Name, resp.Status)
	default:
		return fmt.Errorf("%w: %s answered %s", errPermanent, w.Name, resp.Status)
	}
}
