// The script an interpreter runs: the identity of dpkg-preconfigure, which
// the kernel knows as /usr/bin/perl, and of every shell script.

package monitor

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// scriptLanguages are the interpreters whose first argument, when it is not
// an option, is a script file.
var scriptLanguages = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true,
	"mksh": true, "python": true, "perl": true, "ruby": true, "php": true, "node": true, "nodejs": true,
	"lua": true, "tclsh": true}

// maxScriptCache bounds scriptCache; it is emptied when full.
const maxScriptCache = 1024

// scriptOf names the script a successful exec of an interpreter runs, or
// "".  Two forms: a "#!" script executed by its path (the kernel's exe is
// the interpreter, the filename the caller passed is the script), and an
// interpreter given the script as its first argument (perl /usr/sbin/x).
// A filename that is only a link to the interpreter (/bin/sh -> dash,
// python3 -> python3.11) is not a script: that is decided once per name.
// A script is named by its resolved path, as allowlists name it.  root is
// where the process's files are seen from here: "" for the host's mount
// namespace, /proc/<pid>/root for another (a container's /bin/cat is a
// link to its busybox, not to the host's cat).
func (p *processor) scriptOf(exe, filename, cwd []byte, args [][]byte, root string) string {
	if len(exe) == 0 || !rules.IsInterpreterExe(string(exe)) {
		return ""
	}
	abs := func(name []byte) string {
		if len(name) > 0 && name[0] == '/' {
			return filepath.Clean(string(name))
		}
		return filepath.Join(string(cwd), string(name))
	}
	if len(filename) > 0 && !bytes.Equal(filename, exe) {
		name := abs(filename)
		r, ok := p.resolve(name, root)
		if !ok {
			return "" // not to be told from here
		}
		if r != string(exe) {
			return r // by its own name: /usr/bin/fakeroot is fakeroot-sysv
		} // else the interpreter itself, by another name
	}
	// the interpreter named itself: a shell or a language's first argument
	// may be the script (awk's is a program text, nc's a host)
	lang := strings.TrimRight(filepath.Base(string(exe)), "0123456789.")
	if scriptLanguages[lang] && len(args) > 1 && len(args[1]) > 0 && args[1][0] != '-' {
		return abs(args[1])
	}
	return ""
}

// rootOf is where a process's files are seen from here: "" in the host's
// mount namespace, its /proc/<pid>/root in another.
func (p *processor) rootOf(h *event.Header) string {
	if h.MntNS == 0 || p.hostIno.mnt == 0 || h.MntNS == p.hostIno.mnt {
		return ""
	}
	return "/proc/" + strconv.FormatUint(uint64(h.PID), 10) + "/root"
}

// resolve follows name's symlinks (cached per name); name when it cannot.
// Under another root (a container's, seen through /proc/<pid>/root) a link
// that leads out of it, or a process already gone, cannot be told: false.
func (p *processor) resolve(name, root string) (string, bool) {
	if root != "" {
		r, err := filepath.EvalSymlinks(root + name)
		if err != nil {
			return "", false
		}
		in, ok := strings.CutPrefix(r, root)
		if !ok || !strings.HasPrefix(in, "/") {
			return "", false // an absolute link, followed on the host's side
		}
		return in, true
	}
	if r, ok := p.scriptCache[name]; ok {
		return r, true
	}
	r, err := filepath.EvalSymlinks(name)
	if err != nil {
		r = name
	}
	if p.scriptCache == nil || len(p.scriptCache) >= maxScriptCache {
		p.scriptCache = map[string]string{}
	}
	p.scriptCache[name] = r
	return r, true
}
