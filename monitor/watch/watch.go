// Package watch holds the list of sensitive paths whose access leaves the
// kernel: the embedded defaults, every user's SSH directory and shell
// history, and the user's own --watch-path entries.  The list is turned
// into the BPF watch maps at start; the kernel reports which entry matched
// by its index, so the entry's class travels with every file event.
package watch

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

// Access bits (the kernel's enum file_access).
const (
	Read   = event.AccRead
	Write  = event.AccWrite
	Trunc  = event.AccTrunc
	Change = event.AccChange
	Create = event.AccCreate // a new name only: not its later opens or changes
	// Wake is no access: an entry with it wakes the reader for each of its
	// records instead of leaving them for the next batch (up to 100 ms),
	// for a change whose judgement reads the file (accounts.go).
	Wake = event.AccWake

	Modify = Write | Trunc | Change
	All    = Read | Modify
)

// Classes of watched paths; the first severity assignment and later the
// rules are based on them.
const (
	ClassCredentials = "credentials"       // password hashes, sudoers, SSH private keys
	ClassAccounts    = "accounts"          // passwd, group
	ClassAuthConfig  = "auth-config"       // PAM, sshd, security limits
	ClassSSH         = "ssh"               // users' .ssh directories
	ClassPersistence = "persistence"       // cron, systemd units, init scripts, profiles
	ClassPreload     = "preload"           // the dynamic loader's preload and paths
	ClassKernel      = "kernel"            // /boot, modules, core_pattern, LSM policy
	ClassLogs        = "logs"              // /var/log (truncation and changes only)
	ClassHistory     = "history"           // shell history (truncation and changes only)
	ClassCustom      = "custom"            // --watch-path
	ClassProcMem     = "process-memory"    // /proc/<pid>/mem
	ClassCloudCreds  = "cloud-credentials" // cloud, cluster, registry and git tokens in homes
	ClassSystemBin   = "system-binaries"   // the system's program and library directories
	ClassHidden      = "hidden-files"      // dot names created in /tmp, /var/tmp, /dev/shm
)

// Entry is one watched path.  A Prefix entry matches every path that starts
// with it: usually a directory ending in "/", or a file-name prefix such as
// /etc/ssh/ssh_host_ (the host keys).
type Entry struct {
	Path   string
	Prefix bool
	Access uint32
	Class  string
	Owner  int64 // uid owning a home directory entry, -1 otherwise
}

func exact(p string, acc uint32, class string) Entry {
	return Entry{Path: p, Access: acc, Class: class, Owner: -1}
}

func dir(p string, acc uint32, class string) Entry {
	return Entry{Path: p, Prefix: true, Access: acc, Class: class, Owner: -1}
}

// Defaults is the embedded watch list.  Reads of passwd and group are
// everyday events: only their changes are watched.
func Defaults() []Entry {
	return []Entry{
		exact("/etc/shadow", All, ClassCredentials),
		exact("/etc/shadow-", All, ClassCredentials),
		exact("/etc/gshadow", All, ClassCredentials),
		exact("/etc/gshadow-", All, ClassCredentials),
		exact("/etc/sudoers", All, ClassCredentials),
		dir("/etc/sudoers.d/", All, ClassCredentials),
		dir("/etc/ssh/ssh_host_", All, ClassCredentials), // host keys
		exact("/etc/passwd", Modify|Wake, ClassAccounts), // read back at each change
		exact("/etc/group", Modify, ClassAccounts),
		dir("/etc/pam.d/", Modify, ClassAuthConfig),
		dir("/etc/security/", Modify, ClassAuthConfig),
		dir("/etc/ssh/", Modify, ClassAuthConfig),
		{Path: "/root/.ssh/", Prefix: true, Access: All, Class: ClassSSH, Owner: 0},
		exact("/etc/ld.so.preload", Modify, ClassPreload),
		exact("/etc/ld.so.conf", Modify, ClassPreload),
		dir("/etc/ld.so.conf.d/", Modify, ClassPreload),
		exact("/etc/crontab", Modify, ClassPersistence),
		dir("/etc/cron.d/", Modify, ClassPersistence),
		dir("/etc/cron.hourly/", Modify, ClassPersistence),
		dir("/etc/cron.daily/", Modify, ClassPersistence),
		dir("/etc/cron.weekly/", Modify, ClassPersistence),
		dir("/etc/cron.monthly/", Modify, ClassPersistence),
		dir("/var/spool/cron/", Modify, ClassPersistence),
		dir("/etc/systemd/system/", Modify, ClassPersistence),
		dir("/etc/init.d/", Modify, ClassPersistence),
		exact("/etc/rc.local", Modify, ClassPersistence),
		exact("/etc/profile", Modify, ClassPersistence),
		dir("/etc/profile.d/", Modify, ClassPersistence),
		exact("/etc/bash.bashrc", Modify, ClassPersistence),
		exact("/root/.bashrc", Modify, ClassPersistence),
		exact("/root/.profile", Modify, ClassPersistence),
		dir("/boot/", Modify, ClassKernel),
		dir("/lib/modules/", Modify, ClassKernel),
		exact("/proc/sys/kernel/core_pattern", Write|Trunc, ClassKernel),
		dir("/sys/kernel/security/", Modify, ClassKernel),
		dir("/var/log/", Trunc|Change, ClassLogs),
		// programs and libraries: only the package manager puts files
		// there (the longer /lib/modules/ above keeps its class)
		dir("/usr/bin/", Modify, ClassSystemBin),
		dir("/usr/sbin/", Modify, ClassSystemBin),
		dir("/bin/", Modify, ClassSystemBin),
		dir("/sbin/", Modify, ClassSystemBin),
		dir("/usr/local/bin/", Modify, ClassSystemBin),
		dir("/usr/local/sbin/", Modify, ClassSystemBin),
		dir("/usr/lib/", Modify, ClassSystemBin),
		dir("/lib/", Modify, ClassSystemBin),
		dir("/usr/libexec/", Modify, ClassSystemBin),
		// a name starting with a dot, and what is made below it: only
		// creations (the longest prefix wins, so a --watch-path of /tmp/
		// does not see these names)
		dir("/tmp/.", Create, ClassHidden),
		dir("/var/tmp/.", Create, ClassHidden),
		dir("/dev/shm/.", Create, ClassHidden),
		// matched by shape in the kernel (bpf/file.h, match_proc_mem and
		// match_release_agent)
		exact(ProcMemPattern, Read|Write, ClassProcMem),
		exact(ReleaseAgentPattern, Modify, ClassKernel),
	}
}

// ProcMemPattern is the key the kernel looks up for any /proc/<pid>/mem
// or /proc/<pid>/task/<tid>/mem.
const ProcMemPattern = "/proc/*/mem"

// ReleaseAgentPattern is the key the kernel looks up for any path ending
// in /release_agent (cgroup v1: the classic container escape).
const ReleaseAgentPattern = "*/release_agent"

// historyFiles are the shell and tool histories watched in every home.
var historyFiles = []string{".bash_history", ".zsh_history", ".sh_history", ".ash_history",
	".history", ".python_history", ".mysql_history", ".psql_history"}

// shellStartup are the files a login or interactive shell runs from a home:
// a line added there runs at the user's next login.
var shellStartup = []string{".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile",
	".zshrc", ".zshenv", ".zprofile", ".zlogin"}

// cloudCredentials are the token files of the usual cloud, cluster,
// registry and git tools, in a home (all access: reading them is the
// point).  A name ending in "/" is a directory, watched below.
var cloudCredentials = []string{".aws/credentials", ".kube/config", ".docker/config.json",
	".git-credentials", ".netrc", ".pgpass", ".config/gcloud/", ".azure/"}

// HomeEntries watches each account's .ssh directory and cloud credentials
// (all access), shell startup files (changes) and history files
// (truncation and changes), for the homes listed in the passwd file that
// exist.  Accounts created later need a restart.
func HomeEntries(passwdPath string) []Entry {
	f, err := os.Open(passwdPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 7 {
			continue
		}
		home := filepath.Clean(fields[5])
		if home == "/" || !filepath.IsAbs(home) || seen[home] {
			continue
		}
		if st, err := os.Stat(home); err != nil || !st.IsDir() {
			continue
		}
		seen[home] = true
		if len(home) > event.WatchKeyLen-64 {
			continue // its longest entry would not fit a watch key
		}
		owner := int64(-1)
		if uid, err := strconv.ParseUint(fields[2], 10, 32); err == nil {
			owner = int64(uid)
		}
		ssh := dir(home+"/.ssh/", All, ClassSSH)
		ssh.Owner = owner
		out = append(out, ssh)
		for _, h := range historyFiles {
			e := exact(home+"/"+h, Trunc|Change, ClassHistory)
			e.Owner = owner
			out = append(out, e)
		}
		for _, s := range shellStartup {
			e := exact(home+"/"+s, Modify, ClassPersistence)
			e.Owner = owner
			out = append(out, e)
		}
		for _, c := range cloudCredentials {
			e := exact(home+"/"+c, All, ClassCloudCreds)
			if strings.HasSuffix(c, "/") {
				e = dir(home+"/"+c, All, ClassCloudCreds)
			}
			e.Owner = owner
			out = append(out, e)
		}
	}
	return out
}

// Custom turns a --watch-path value into an entry: a path ending in "/" or
// naming an existing directory watches everything below it; all access.
func Custom(p string) (Entry, error) {
	if p == "" || !filepath.IsAbs(p) {
		return Entry{}, fmt.Errorf("--watch-path %q: must be an absolute path", p)
	}
	isDir := strings.HasSuffix(p, "/")
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		isDir = true
	}
	clean := filepath.Clean(p)
	if isDir {
		if clean != "/" {
			clean += "/"
		}
		return dir(clean, All, ClassCustom), nil
	}
	return exact(clean, All, ClassCustom), nil
}

// MapEntry is one key of the BPF watch maps; ID names its Entry (IDs).
type MapEntry struct {
	Path   string
	Prefix bool
	Access uint32
	ID     uint32
}

// Key is the MapEntry's key in the kernel's watch maps (struct watch_key:
// the prefix length in bits, then the path).
func (m MapEntry) Key() [event.WatchKeySize]byte {
	var k [event.WatchKeySize]byte
	binary.LittleEndian.PutUint32(k[event.WatchKeyOffPrefixLen:], uint32(len(m.Path)*8))
	copy(k[event.WatchKeyOffPath:], m.Path)
	return k
}

// StaleKeys returns the keys of have that want no longer holds: what a
// reload deletes once want is in place, so that an entry kept across the
// reload is never missing from the map.
func StaleKeys(have [][]byte, want []MapEntry) [][]byte {
	keep := map[[event.WatchKeySize]byte]bool{}
	for _, m := range want {
		keep[m.Key()] = true
	}
	var stale [][]byte
	for _, k := range have {
		var a [event.WatchKeySize]byte
		copy(a[:], k)
		if len(k) != len(a) || !keep[a] {
			stale = append(stale, k)
		}
	}
	return stale
}

// IDs names watch entries by the number the kernel reports with a match.
// The number is stable across policy reloads: an entry kept keeps its id, a
// new one takes a fresh one, and every id given still names its entry, so a
// record made before a reload and read after it is judged by the entry that
// matched it.  Ids are never reused; a reload adds only the entries it adds.
type IDs struct {
	byEntry map[Entry]uint32
	entries []Entry // by id
}

// Lookup returns the entry id names.
func (ids *IDs) Lookup(id uint32) (Entry, bool) {
	if ids == nil || int(id) >= len(ids.entries) {
		return Entry{}, false
	}
	return ids.entries[id], true
}

func (ids *IDs) id(e Entry) uint32 {
	if ids.byEntry == nil {
		ids.byEntry = map[Entry]uint32{}
	}
	if id, ok := ids.byEntry[e]; ok {
		return id
	}
	id := uint32(len(ids.entries))
	ids.byEntry[e] = id
	ids.entries = append(ids.entries, e)
	return id
}

// MapEntries turns entries into the watch maps' keys, each path also in
// its canonical form (symlinks of its ancestors resolved), with stable ids.
// The first entry for a key wins.
func (ids *IDs) MapEntries(entries []Entry) ([]MapEntry, error) {
	var out []MapEntry
	seen := map[string]bool{}
	for _, e := range entries {
		canon := Canonical(e.Path)
		if i := strings.LastIndexByte(e.Path, '/'); e.Prefix && i < len(e.Path)-1 {
			// a name prefix (/etc/ssh/ssh_host_, /tmp/.): its directory
			// resolved, the name kept as written ("/tmp/." is no "/tmp")
			canon = Canonical(e.Path[:i+1]) + e.Path[i+1:]
		}
		for _, p := range []string{e.Path, canon} {
			if len(p) >= event.WatchKeyLen {
				return nil, fmt.Errorf("watch path %q: longer than %d bytes", p, event.WatchKeyLen-1)
			}
			key := fmt.Sprintf("%t:%s", e.Prefix, p)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, MapEntry{Path: p, Prefix: e.Prefix, Access: e.Access, ID: ids.id(e)})
		}
	}
	return out, nil
}

// Canonical resolves the symlinks of the longest existing ancestor of p, so
// that "/lib/modules/" becomes "/usr/lib/modules/" on a merged-/usr system:
// the kernel reports opened files by their real path.
func Canonical(p string) string {
	trail := strings.HasSuffix(p, "/")
	clean := filepath.Clean(p)
	rest := ""
	cur := clean
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			out := filepath.Join(r, rest)
			if trail && out != "/" {
				out += "/"
			}
			return out
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// MapEntries is (&IDs{}).MapEntries: ids numbered from 0 in entries' order.
func MapEntries(entries []Entry) ([]MapEntry, error) {
	return new(IDs).MapEntries(entries)
}
