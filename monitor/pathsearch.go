// PATH searches.  execvp (env bash, a shell's command lookup) tries each
// directory of PATH until one holds the program, and every miss is a failed
// exec: one pyenv shim gave nine ENOENT lines.  The misses of one process
// for one name are held and folded into the exec that ends the search: the
// one that succeeded, or the last failure, which then says how many
// directories missed before it.  A lone failed exec is reported as it is.

package monitor

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// pathSearch is one process's search under way.
type pathSearch struct {
	last   *record.Record // the latest miss
	name   string         // the program looked for
	misses int
	since  time.Time
}

// searchTimeout: a miss that nothing followed (a shell's "command not
// found") is reported after this long.
const searchTimeout = time.Second

// isMiss says whether r is a failed exec of a path built by a search
// (dir/name) that missed: no such file, not a directory, not executable.
func isMiss(r *record.Record) bool {
	if r.Exec == nil || r.Exec.Ret >= 0 || r.Process == nil || bytes.IndexByte(r.Exec.Filename, '/') < 0 {
		return false
	}
	switch r.Error {
	case "ENOENT", "ENOTDIR", "EACCES":
		return true
	}
	return false
}

// searching holds r when it continues or starts a PATH search, and
// otherwise ends the search its process had under way: the exec that
// found the program carries the misses, anything else first releases the
// last miss.  It returns whether r was held.
func (p *processor) searching(r *record.Record, now time.Time) bool {
	if r.Process == nil {
		return false
	}
	pid := r.Process.PID
	s := p.searches[pid]
	if s != nil {
		name := filepath.Base(string(r.Process.Exe))
		if r.Exec != nil {
			name = filepath.Base(string(r.Exec.Filename))
		}
		switch {
		case isMiss(r) && name == s.name:
			s.misses++
			s.last = r
			return true
		case r.Exec != nil && r.Exec.Ret == 0 && name == s.name:
			r.Exec.PathMisses = s.misses // found: the misses are folded into it
			r.Message = fmt.Sprintf("%s (after %d other directories of PATH)", r.Message, s.misses)
			delete(p.searches, pid)
		default:
			delete(p.searches, pid)
			p.judge(s.release(), now)
		}
	}
	if isMiss(r) {
		if p.searches == nil {
			p.searches = map[uint32]*pathSearch{}
		}
		p.searches[pid] = &pathSearch{last: r, name: filepath.Base(string(r.Exec.Filename)), misses: 1, since: now}
		return true
	}
	return false
}

// release is the search's last miss, saying how many came before it.
func (s *pathSearch) release() *record.Record {
	r := s.last
	if s.misses > 1 {
		r.Exec.PathMisses = s.misses - 1
		r.Message = fmt.Sprintf("%s (and %d more directories of PATH)", r.Message, s.misses-1)
	}
	return r
}

// sweepSearches releases the searches older than timeout (all when 0).
func (p *processor) sweepSearches(now time.Time, timeout time.Duration) {
	for pid, s := range p.searches {
		if timeout > 0 && now.Sub(s.since) < timeout {
			continue
		}
		delete(p.searches, pid)
		p.judge(s.release(), now)
	}
}
