package watch_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// realTempDir is t.TempDir() with its own symlinks resolved (TMPDIR may sit
// behind one), so that paths built below it have none unless a test adds
// them.
func realTempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func findDefault(t *testing.T, path string) watch.Entry {
	t.Helper()
	for _, e := range watch.Defaults() {
		if e.Path == path {
			return e
		}
	}
	t.Fatalf("%s is not in the default watch list", path)
	return watch.Entry{}
}

func TestDefaultsWatchShadowForEveryAccess(t *testing.T) {
	e := findDefault(t, "/etc/shadow")
	want := watch.Entry{Path: "/etc/shadow", Prefix: false, Access: watch.All, Class: watch.ClassCredentials, Owner: -1}
	if e != want {
		t.Errorf("got %+v, want %+v", e, want)
	}
}

func TestDefaultsWatchOnlyChangesOfPasswdNotReads(t *testing.T) {
	e := findDefault(t, "/etc/passwd")
	// and each change wakes the reader: the accounts check reads the file back
	want := watch.Entry{Path: "/etc/passwd", Prefix: false, Access: watch.Modify | watch.Wake, Class: watch.ClassAccounts, Owner: -1}
	if e != want {
		t.Errorf("got %+v, want %+v", e, want)
	}
	if e.Access&watch.Read != 0 {
		t.Error("reads of /etc/passwd are watched: every login and ls -l would report")
	}
}

func TestDefaultsWatchEverythingBelowSudoersD(t *testing.T) {
	e := findDefault(t, "/etc/sudoers.d/")
	if !e.Prefix || e.Access != watch.All || e.Class != watch.ClassCredentials {
		t.Errorf("got %+v, want an all-access credentials prefix", e)
	}
}

func TestDefaultsWatchLogsForTruncationAndChangesOnly(t *testing.T) {
	e := findDefault(t, "/var/log/")
	if !e.Prefix {
		t.Error("/var/log/ is not a prefix")
	}
	if e.Access != watch.Trunc|watch.Change {
		t.Errorf("Access = %#x, want Trunc|Change (%#x): appending to a log is everyday", e.Access, watch.Trunc|watch.Change)
	}
	if e.Class != watch.ClassLogs {
		t.Errorf("Class = %q, want %q", e.Class, watch.ClassLogs)
	}
}

// namePrefixes are default prefixes that match file names, not directories.
var namePrefixes = map[string]bool{
	"/etc/ssh/ssh_host_": true, // ssh_host_rsa_key, ssh_host_ed25519_key, ...
	"/tmp/.":             true, // dot names: hidden files
	"/var/tmp/.":         true,
	"/dev/shm/.":         true,
}

func TestDefaultsAreAbsoluteAndPrefixesAreDirectories(t *testing.T) {
	classes := map[string]bool{
		watch.ClassCredentials: true, watch.ClassAccounts: true, watch.ClassAuthConfig: true,
		watch.ClassSSH: true, watch.ClassPersistence: true, watch.ClassPreload: true,
		watch.ClassKernel: true, watch.ClassLogs: true, watch.ClassHistory: true, watch.ClassProcMem: true,
		watch.ClassSystemBin: true, watch.ClassHidden: true,
	}
	seen := map[watch.Entry]bool{}
	for _, e := range watch.Defaults() {
		if !filepath.IsAbs(e.Path) && e.Path != watch.ReleaseAgentPattern { // a shape, matched in the kernel
			t.Errorf("%q is not absolute", e.Path)
		}
		if e.Prefix && !strings.HasSuffix(e.Path, "/") && !namePrefixes[e.Path] {
			t.Errorf("prefix %q does not end with /: it would also match %q", e.Path, e.Path+"-other")
		}
		if !e.Prefix && strings.HasSuffix(e.Path, "/") {
			t.Errorf("exact path %q ends with /: no file is named that", e.Path)
		}
		if e.Access&^watch.Wake == 0 || e.Access&^(watch.All|watch.Create|watch.Wake) != 0 {
			t.Errorf("%q: access %#x, want a non-empty subset of %#x", e.Path, e.Access, watch.All|watch.Create|watch.Wake)
		}
		if !classes[e.Class] {
			t.Errorf("%q: class %q is not a default class", e.Path, e.Class)
		}
		key := watch.Entry{Path: e.Path, Prefix: e.Prefix}
		if seen[key] {
			t.Errorf("%q listed twice: the second would be dropped", e.Path)
		}
		seen[key] = true
	}
}

func TestCustomRejectsRelativePaths(t *testing.T) {
	for _, p := range []string{"", "etc/shadow", "./secret", "~/.ssh/"} {
		e, err := watch.Custom(p)
		if err == nil {
			t.Errorf("Custom(%q) = %+v, want an error", p, e)
			continue
		}
		if !strings.Contains(err.Error(), "absolute") {
			t.Errorf("Custom(%q) error %q does not say the path must be absolute", p, err)
		}
	}
}

func TestCustom(t *testing.T) {
	dir := realTempDir(t)
	file := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     string
		path   string
		prefix bool
	}{
		{"trailing slash makes a prefix", "/x/y/", "/x/y/", true},
		{"existing directory without slash is a prefix", dir, dir + "/", true},
		{"existing directory with slash is a prefix", dir + "/", dir + "/", true},
		{"existing file is exact", file, file, false},
		{"missing path without slash is exact", "/x/y", "/x/y", false},
		{"root is a prefix of everything", "/", "/", true},
		{"path is cleaned", "/x//y/../z", "/x/z", false},
		{"cleaned prefix keeps one slash", "/x/./y//", "/x/y/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := watch.Custom(tt.in)
			if err != nil {
				t.Fatalf("Custom(%q): %v", tt.in, err)
			}
			want := watch.Entry{Path: tt.path, Prefix: tt.prefix, Access: watch.All, Class: watch.ClassCustom, Owner: -1}
			if e != want {
				t.Errorf("Custom(%q) = %+v, want %+v", tt.in, e, want)
			}
		})
	}
}

func TestHomeEntriesWatchSSHHistoryStartupAndCredentialsOfExistingHomes(t *testing.T) {
	dir := realTempDir(t)
	alice, carol := filepath.Join(dir, "alice"), filepath.Join(dir, "carol")
	mkdir(t, alice)
	mkdir(t, carol)
	notDir := filepath.Join(dir, "afile")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	passwd := filepath.Join(dir, "passwd")
	lines := []string{
		"root:x:0:0:root:/:/bin/bash",                          // "/" skipped
		"alice:x:1000:1000:Alice:" + alice + ":/bin/bash",      // watched
		"bob:x:1001:1001::" + dir + "/bob:/bin/sh",             // home missing
		"alice2:x:1002:1002::" + alice + "/:/bin/sh",           // same home again
		"short:x:1003:1003",                                    // too few fields
		"rel:x:1004:1004::relative/home:/bin/sh",               // not absolute
		"odd:x:1005:1005::" + notDir + ":/bin/sh",              // not a directory
		"carol:x:1006:1006::" + carol + ":/usr/sbin/nologin",   // watched
		"alice3:x:1007:1007::" + alice + "/../alice:/bin/bash", // same home, uncleaned
	}
	if err := os.WriteFile(passwd, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	entries := watch.HomeEntries(passwd)

	homes := []string{}
	perHome := map[string][]watch.Entry{}
	for _, e := range entries {
		var home string
		switch {
		case strings.HasPrefix(e.Path, alice+"/"):
			home = alice
		case strings.HasPrefix(e.Path, carol+"/"):
			home = carol
		default:
			t.Errorf("entry %+v is not below a watched home", e)
			continue
		}
		if len(perHome[home]) == 0 {
			homes = append(homes, home)
		}
		perHome[home] = append(perHome[home], e)
	}
	if strings.Join(homes, " ") != alice+" "+carol {
		t.Fatalf("homes watched = %q, want alice then carol once each", homes)
	}
	owners := map[string]int64{alice: 1000, carol: 1006} // the first passwd line of each home wins
	for _, home := range homes {
		es := perHome[home]
		ssh := watch.Entry{Path: home + "/.ssh/", Prefix: true, Access: watch.All, Class: watch.ClassSSH, Owner: owners[home]}
		if es[0] != ssh {
			t.Errorf("%s: first entry %+v, want %+v", home, es[0], ssh)
		}
		// each other file: its class and access, exact unless a directory
		want := map[string]watch.Entry{}
		for _, h := range []string{".bash_history", ".zsh_history", ".python_history"} {
			want[h] = watch.Entry{Path: home + "/" + h, Access: watch.Trunc | watch.Change, Class: watch.ClassHistory}
		}
		for _, s := range []string{".bashrc", ".profile", ".bash_profile", ".zshrc"} {
			want[s] = watch.Entry{Path: home + "/" + s, Access: watch.Modify, Class: watch.ClassPersistence}
		}
		for _, c := range []string{".aws/credentials", ".kube/config", ".docker/config.json", ".git-credentials", ".netrc"} {
			want[c] = watch.Entry{Path: home + "/" + c, Access: watch.All, Class: watch.ClassCloudCreds}
		}
		want[".config/gcloud/"] = watch.Entry{Path: home + "/.config/gcloud/", Prefix: true, Access: watch.All, Class: watch.ClassCloudCreds}
		seen := map[string]bool{}
		for _, e := range es[1:] {
			name := strings.TrimPrefix(e.Path, home+"/")
			if seen[name] {
				t.Errorf("%s: %s listed twice", home, name)
			}
			seen[name] = true
			if e.Owner != owners[home] {
				t.Errorf("%s: %+v: owner %d, want %d", home, e, e.Owner, owners[home])
			}
			if w, ok := want[name]; ok {
				w.Owner = e.Owner
				if e != w {
					t.Errorf("%s: %+v, want %+v", home, e, w)
				}
			}
		}
		for name := range want {
			if !seen[name] {
				t.Errorf("%s: %s not watched (have %v)", home, name, seen)
			}
		}
	}
	if len(perHome[alice]) != len(perHome[carol]) {
		t.Errorf("alice has %d entries, carol %d: a duplicate line added more", len(perHome[alice]), len(perHome[carol]))
	}
}

func TestHomeEntriesWithoutPasswdFileIsEmpty(t *testing.T) {
	if got := watch.HomeEntries(filepath.Join(t.TempDir(), "no-passwd")); len(got) != 0 {
		t.Errorf("got %d entries from a missing file", len(got))
	}
}

func TestCanonicalResolvesSymlinkedDirectories(t *testing.T) {
	dir := realTempDir(t)
	real := filepath.Join(dir, "real")
	mkdir(t, filepath.Join(real, "sub"))
	symlink(t, "real", filepath.Join(dir, "link")) // relative, like /lib -> usr/lib

	tests := []struct {
		name, in, want string
	}{
		{"missing tail below a symlinked directory is kept", dir + "/link/sub/file", real + "/sub/file"},
		{"missing directories are kept too", dir + "/link/new/deeper/file", real + "/new/deeper/file"},
		{"trailing slash is kept", dir + "/link/", real + "/"},
		{"trailing slash of a missing directory is kept", dir + "/link/sub/x/", real + "/sub/x/"},
		{"symlink itself resolves", dir + "/link", real},
		{"path without symlinks is unchanged", real + "/sub/file", real + "/sub/file"},
		{"prefix without symlinks keeps its slash", real + "/sub/", real + "/sub/"},
		{"name prefix is kept as is", dir + "/link/sub/ssh_host_", real + "/sub/ssh_host_"},
		{"root stays root", "/", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := watch.Canonical(tt.in); got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMapEntriesAddTheCanonicalPathUnderTheSameID(t *testing.T) {
	dir := realTempDir(t)
	real := filepath.Join(dir, "real")
	mkdir(t, real)
	symlink(t, real, filepath.Join(dir, "link"))

	entries := []watch.Entry{
		{Path: dir + "/plain", Access: watch.All, Class: watch.ClassCustom},
		{Path: dir + "/link/", Prefix: true, Access: watch.Modify, Class: watch.ClassCustom},
	}
	got, err := watch.MapEntries(entries)
	if err != nil {
		t.Fatal(err)
	}
	want := []watch.MapEntry{
		{Path: dir + "/plain", Access: watch.All, ID: 0},
		{Path: dir + "/link/", Prefix: true, Access: watch.Modify, ID: 1},
		{Path: real + "/", Prefix: true, Access: watch.Modify, ID: 1},
	}
	checkMapEntries(t, got, want)
}

// A name prefix keeps its name: "/tmp/." cleaned would be "/tmp", which
// matches every path below /tmp and /tmpfoo besides.
func TestMapEntriesKeepANamePrefixAsWritten(t *testing.T) {
	dir := realTempDir(t)
	real := filepath.Join(dir, "real")
	mkdir(t, real)
	symlink(t, real, filepath.Join(dir, "link"))

	entries := []watch.Entry{
		{Path: dir + "/link/.", Prefix: true, Access: watch.Create, Class: watch.ClassHidden},
		{Path: dir + "/real/ssh_host_", Prefix: true, Access: watch.Read, Class: watch.ClassCustom},
	}
	got, err := watch.MapEntries(entries)
	if err != nil {
		t.Fatal(err)
	}
	want := []watch.MapEntry{
		{Path: dir + "/link/.", Prefix: true, Access: watch.Create, ID: 0},
		{Path: real + "/.", Prefix: true, Access: watch.Create, ID: 0},
		{Path: real + "/ssh_host_", Prefix: true, Access: watch.Read, ID: 1},
	}
	checkMapEntries(t, got, want)
}

func TestMapEntriesDropDuplicatesKeepingTheFirst(t *testing.T) {
	dir := realTempDir(t)
	entries := []watch.Entry{
		{Path: dir + "/passwd", Access: watch.All, Class: watch.ClassCustom}, // --watch-path first
		{Path: dir + "/passwd", Access: watch.Modify, Class: watch.ClassAccounts},
		{Path: dir + "/passwd", Prefix: true, Access: watch.Read, Class: watch.ClassCustom}, // other map
	}
	got, err := watch.MapEntries(entries)
	if err != nil {
		t.Fatal(err)
	}
	want := []watch.MapEntry{
		{Path: dir + "/passwd", Access: watch.All, ID: 0},
		{Path: dir + "/passwd", Prefix: true, Access: watch.Read, ID: 1}, // ids go to entries in use
	}
	checkMapEntries(t, got, want)
}

// A policy reload keeps the id of every entry it keeps, so that a record
// made before the reload, read after it, names the entry that matched it;
// removed entries stay resolvable.  Before, ids were list positions, and a
// reload that shifted the list made in-flight records name another entry.
func TestIDsStayAcrossReloads(t *testing.T) {
	dir := realTempDir(t)
	a := watch.Entry{Path: dir + "/a", Access: watch.All, Class: watch.ClassCustom, Owner: -1}
	b := watch.Entry{Path: dir + "/b", Access: watch.Read, Class: watch.ClassAccounts, Owner: -1}
	c := watch.Entry{Path: dir + "/c", Prefix: true, Access: watch.Modify, Class: watch.ClassCustom, Owner: -1}
	var ids watch.IDs
	first, err := ids.MapEntries([]watch.Entry{a, b})
	if err != nil {
		t.Fatal(err)
	}
	second, err := ids.MapEntries([]watch.Entry{c, b}) // a removed, c added first
	if err != nil {
		t.Fatal(err)
	}
	if first[1].Path != b.Path || second[1].Path != b.Path || first[1].ID != second[1].ID {
		t.Errorf("b's id: %d before the reload, %d after", first[1].ID, second[1].ID)
	}
	if second[0].ID == first[0].ID {
		t.Errorf("c took a's id %d", first[0].ID)
	}
	for _, want := range []struct {
		id uint32
		e  watch.Entry
	}{{first[0].ID, a}, {first[1].ID, b}, {second[0].ID, c}} {
		if got, ok := ids.Lookup(want.id); !ok || got != want.e {
			t.Errorf("id %d names %+v (%v), want %+v", want.id, got, ok, want.e)
		}
	}
}

// A reload deletes only the keys the new list lacks, after adding the new
// ones: an entry kept across it is never missing from the kernel's map.
// Before, the maps were emptied and refilled.
func TestStaleKeysKeepWhatStays(t *testing.T) {
	key := func(path string) []byte {
		k := watch.MapEntry{Path: path}.Key()
		return k[:]
	}
	have := [][]byte{key("/etc/shadow"), key("/etc/sudoers"), key("/root/.ssh/")}
	want := []watch.MapEntry{{Path: "/etc/shadow"}, {Path: "/srv/secret"}, {Path: "/root/.ssh/", Prefix: true}}
	stale := watch.StaleKeys(have, want)
	if len(stale) != 1 || string(stale[0]) != string(key("/etc/sudoers")) {
		t.Errorf("stale keys %q, want only /etc/sudoers's", stale)
	}
}

func TestMapEntriesRefusePathsTheKernelCannotCompare(t *testing.T) {
	longest := "/" + strings.Repeat("a", event.WatchKeyLen-2) // 255 bytes and the NUL fit
	if _, err := watch.MapEntries([]watch.Entry{{Path: longest, Access: watch.All}}); err != nil {
		t.Errorf("%d-byte path refused: %v", len(longest), err)
	}
	for _, n := range []int{event.WatchKeyLen, event.WatchKeyLen + 1, 4096} {
		p := "/" + strings.Repeat("a", n-1)
		got, err := watch.MapEntries([]watch.Entry{
			{Path: "/etc/shadow", Access: watch.All},
			{Path: p, Access: watch.All},
		})
		if err == nil {
			t.Errorf("%d-byte path accepted: %d entries", n, len(got))
			continue
		}
		if got != nil {
			t.Errorf("%d-byte path: entries returned along with the error", n)
		}
		if !strings.Contains(err.Error(), "255") {
			t.Errorf("error %q does not give the limit", err)
		}
	}
}

func TestMapEntriesRefuseAShortPathWhoseRealPathIsTooLong(t *testing.T) {
	dir := realTempDir(t)
	long := filepath.Join(dir, strings.Repeat("d", 250))
	mkdir(t, long)
	link := filepath.Join(dir, "l")
	symlink(t, long, link)
	if len(link+"/") >= event.WatchKeyLen || len(long+"/") < event.WatchKeyLen {
		t.Skipf("temp dir %q makes the lengths unsuitable", dir)
	}
	if _, err := watch.MapEntries([]watch.Entry{{Path: link + "/", Prefix: true, Access: watch.All}}); err == nil {
		t.Error("accepted a watch whose real path the kernel cannot compare")
	}
}

func TestDefaultsFitTheWatchMaps(t *testing.T) {
	entries := watch.Defaults()
	got, err := watch.MapEntries(entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < len(watch.Defaults()) {
		t.Errorf("%d map entries for %d defaults", len(got), len(watch.Defaults()))
	}
	for _, m := range got {
		if int(m.ID) >= len(entries) {
			t.Errorf("%q: ID %d past the %d entries", m.Path, m.ID, len(entries))
		} else if e := entries[m.ID]; e.Prefix != m.Prefix || e.Access != m.Access {
			t.Errorf("%q: prefix/access %v/%#x, entry %d has %v/%#x", m.Path, m.Prefix, m.Access, m.ID, e.Prefix, e.Access)
		}
	}
}

func checkMapEntries(t *testing.T, got, want []watch.MapEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d map entries %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
