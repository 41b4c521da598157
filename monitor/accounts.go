// Accounts: what a change of /etc/passwd added.  A record that modifies the
// host's /etc/passwd is held until its process exits (or a second passes:
// an append is written after its open), then the file is compared with
// what it held before and the record names the accounts it added
// (file.accounts_added; rules: account-created, root-account-created),
// whichever tool made the change.  A rename or link onto the file (how
// shadow-utils and vipw write it) is judged at once: the content is whole
// when it takes the name.
//
// The file is read when the record is judged, which is later than the
// change: a `useradd X; userdel X` can be over by then, and X never seen
// (20 add-change-remove rounds as fast as a shell runs them: 7 seen).  So
// the backup that shadow-utils rewrites at each change (/etc/passwd-, the
// file as it was just before) is read too.  When it is not the one read
// last time, it was written after that read, so it holds a version of the
// file at least as new as the one known: what it has beyond the known
// accounts was added since, even when the file itself no longer has it.
// Who added it is then a guess: the change judged first (more than a
// second behind, a write in place still held may be judged before the
// rename that added it).

package monitor

import (
	"bufio"
	"bytes"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// accountsHold is how long a change of /etc/passwd waits for its process
// to exit before it is compared anyway.
const accountsHold = time.Second

type accounts struct {
	path  string            // the host's passwd file
	known map[string]uint32 // its accounts (name -> uid) when last read; nil: not read
	names map[uint32]string // uid -> the first name the file gives it, when last read
	// backup is the content of path+"-" as read just after the file (nil:
	// none).  Read after, never before: a change between the two reads
	// leaves a backup that is the file as read, not an older one.
	backup []byte
	held   map[uint32][]heldChange
}

// nameOf is the host account name of uid, as the passwd file last read
// gives it ("" when it has none).
func (a *accounts) nameOf(uid uint32) string { return a.names[uid] }

type heldChange struct {
	r     *record.Record
	since time.Time
}

// load reads the accounts the file holds now (the monitor's start).
func (a *accounts) load(path string) {
	a.path = path
	a.known, a.names, _ = readPasswd(path)
	a.backup, _ = os.ReadFile(path + "-")
}

// changes says whether r modifies the host's passwd file.
func (a *accounts) changes(r *record.Record) bool {
	f := r.File
	if a.known == nil || f == nil || r.Error != "" || f.Class != "accounts" || f.Operation == "read" ||
		r.Process.MntNS != 0 || len(f.HostPath) > 0 {
		return false
	}
	return string(f.Path) == a.path || string(f.TargetPath) == a.path
}

// whole says whether r, a change, gave the file its final content: a
// rename or link onto it.  It is judged at once, not at its process's exit.
func (a *accounts) whole(r *record.Record) bool {
	return (r.Event == "rename" || r.Event == "link") && string(r.File.TargetPath) == a.path
}

// hold keeps r, a change of the passwd file, until its process exits.
func (a *accounts) hold(r *record.Record, now time.Time) {
	if a.held == nil {
		a.held = map[uint32][]heldChange{}
	}
	a.held[r.Process.PID] = append(a.held[r.Process.PID], heldChange{r: r, since: now})
}

// release returns the changes held for pid (all of them when pid is 0 and
// timeout 0; else those older than timeout), each naming the accounts the
// file gained since it was last read.
func (a *accounts) release(pid uint32, now time.Time, timeout time.Duration) []*record.Record {
	var out []*record.Record
	for p, hs := range a.held {
		if pid != 0 && p != pid {
			continue
		}
		keep := hs[:0]
		for _, h := range hs {
			if pid == 0 && timeout > 0 && now.Sub(h.since) < timeout {
				keep = append(keep, h)
				continue
			}
			out = append(out, h.r)
		}
		if len(keep) == 0 {
			delete(a.held, p)
		} else {
			a.held[p] = keep
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	now2, names, err := readPasswd(a.path)
	if err != nil {
		return out
	}
	gained := map[string]uint32{}
	gain := func(m map[string]uint32) {
		for name, uid := range m {
			if old, ok := a.known[name]; !ok || (uid == 0 && old != 0) {
				gained[name] = uid
			}
		}
	}
	gain(now2)
	if b, err := os.ReadFile(a.path + "-"); err == nil {
		if !bytes.Equal(b, a.backup) {
			gain(parsePasswd(b))
		}
		a.backup = b
	}
	var added []record.Account
	for name, uid := range gained {
		added = append(added, record.Account{Name: name, UID: uid})
	}
	sort.Slice(added, func(i, j int) bool { return added[i].Name < added[j].Name })
	a.known, a.names = now2, names
	// the accounts go to the last change: the one that completed them
	out[len(out)-1].File.AccountsAdded = added
	return out
}

// readPasswd reads name -> uid from a passwd file, and uid -> the first
// name given it (root before a later uid-0 account).
func readPasswd(path string) (map[string]uint32, map[uint32]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, names := map[string]uint32{}, map[uint32]string{}
	forEachAccount(b, func(name string, uid uint32) {
		m[name] = uid
		if _, ok := names[uid]; !ok {
			names[uid] = name
		}
	})
	return m, names, nil
}

// parsePasswd is name -> uid of a passwd file's content.  A line cut short
// (a file read while it is written) counts only with its uid whole: four
// fields at least.
func parsePasswd(b []byte) map[string]uint32 {
	m := map[string]uint32{}
	forEachAccount(b, func(name string, uid uint32) { m[name] = uid })
	return m
}

func forEachAccount(b []byte, fn func(name string, uid uint32)) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.SplitN(sc.Bytes(), []byte(":"), 4)
		if len(f) < 4 || len(f[0]) == 0 {
			continue
		}
		uid, err := strconv.ParseUint(string(f[2]), 10, 32)
		if err != nil {
			continue
		}
		fn(string(f[0]), uint32(uid))
	}
}

// sweepAccounts judges the changes of /etc/passwd held longer than timeout
// (all of them with 0: the monitor stops).
func (p *processor) sweepAccounts(now time.Time, timeout time.Duration) {
	for _, r := range p.accts.release(0, now, timeout) {
		p.judge(r, now)
	}
}
