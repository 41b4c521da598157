// Pipes: the two ends of one pipe, joined from the execs on either side.
// The kernel notes the pipe on each new program's stdin and stdout (its
// inode number); the second exec of a pair names the first
// (exec.stdin_from, exec.stdout_to), so that "curl ... | sh" is one record
// about both programs (rules: pipe-to-shell).  Either exec can come first:
// the shell starts both sides at once.

package monitor

import (
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

const (
	pipeTTL   = time.Minute // an end nobody joined is forgotten after this
	pipeLimit = 4096        // ends remembered at once
)

// pipeEnd is a program at one end of a pipe.
type pipeEnd struct {
	at  time.Time
	end record.PipeEnd
}

// pipes holds the ends seen so far whose other end has not exec'd.
type pipes struct {
	writers map[uint64]pipeEnd // by pipe inode: a program writing its stdout there
	readers map[uint64]pipeEnd // a program reading its stdin there
}

// join notes r's pipes (stdin, stdout inode numbers; 0 for none) and,
// when the other end of one is already known, names it in r.Exec.
func (ps *pipes) join(r *record.Record, stdin, stdout uint64) {
	if stdin == 0 && stdout == 0 {
		return
	}
	if ps.writers == nil {
		ps.writers, ps.readers = map[uint64]pipeEnd{}, map[uint64]pipeEnd{}
	}
	me := pipeEnd{at: r.Time, end: record.PipeEnd{PID: r.Process.PID, Exe: string(r.Process.Exe),
		Args: r.Process.Args, Script: string(r.Process.Script)}}
	r.Exec.StdinFrom = ps.link(stdin, ps.writers, ps.readers, me)
	r.Exec.StdoutTo = ps.link(stdout, ps.readers, ps.writers, me)
}

// link returns the program waiting at the other end of pipe ino (in
// other), or leaves me waiting at this end (in mine) and returns nil.
func (ps *pipes) link(ino uint64, other, mine map[uint64]pipeEnd, me pipeEnd) *record.PipeEnd {
	if ino == 0 {
		return nil
	}
	if o, ok := other[ino]; ok && me.at.Sub(o.at) < pipeTTL {
		delete(other, ino)
		return &o.end
	}
	ps.put(mine, ino, me)
	return nil
}

func (ps *pipes) put(m map[uint64]pipeEnd, ino uint64, e pipeEnd) {
	if len(m) >= pipeLimit {
		for k, v := range m { // the stale first, else an arbitrary one
			if e.at.Sub(v.at) >= pipeTTL {
				delete(m, k)
			}
		}
		for k := range m {
			if len(m) < pipeLimit {
				break
			}
			delete(m, k)
		}
	}
	m[ino] = e
}
