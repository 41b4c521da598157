// The script an interpreter runs: the identity of dpkg-preconfigure, which
// the kernel knows as /usr/bin/perl, and of every shell script.

package monitor

import (
	"bytes"
	"path/filepath"
	"strings"

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
// A script is named by its resolved path, as allowlists name it.
func (p *processor) scriptOf(exe, filename, cwd []byte, args [][]byte) string {
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
		if r := p.resolve(name); r != string(exe) {
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

// resolve follows name's symlinks (cached per name); name when it cannot.
func (p *processor) resolve(name string) string {
	if r, ok := p.scriptCache[name]; ok {
		return r
	}
	r, err := filepath.EvalSymlinks(name)
	if err != nil {
		r = name
	}
	if p.scriptCache == nil || len(p.scriptCache) >= maxScriptCache {
		p.scriptCache = map[string]string{}
	}
	p.scriptCache[name] = r
	return r
}
