package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types/ref"
	exprpb "google.golang.org/genproto/googleapis/api/expr/v1alpha1"
	"google.golang.org/protobuf/proto"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/runfile"
)

// Checked expressions kept between starts.  Parsing and checking a
// policy's expressions is most of compiling it (CEL's parser about half,
// its checker a quarter: bench/README), and the monitor compiles the same
// policy at every start.  So a start keeps the checked form of each
// expression (CEL's CheckedExpr) in a file, and the next start reads it
// back instead of parsing and checking again.
//
// A checked expression depends on its text and on what was declared when
// it was checked: the fields and functions (the binary), and the lists,
// the policy's settings and the macros declared so far (their names, types
// and, for the lists and settings, their values, which the checker puts
// in the expression).  Each kept expression is found by its text and a
// hash of those declarations (language.scope); the file is keyed on the
// binary, so a new build starts afresh.
//
// The first start of a boot has no file (/run is emptied), so the build
// makes one for the built-in policy (BuiltChecks, `make`), which the
// binary embeds and every start reads first.  Its head is the language
// it was checked in (languageID: the functions and their overloads): a
// binary whose language differs, as one built with `go build` after a
// change without `make`, passes it over.

// keptASTs is one file of kept checked expressions, and the build's.
type keptASTs struct {
	path   string
	binary string // what identifies the binary: only its own file is read
	// the build's checked expressions of the built-in policy
	// (BuiltChecks), until useBuild takes into built what of them this
	// language may read
	build     []byte
	built     map[string][]byte
	kept      map[string][]byte // from the file: scope and text -> CheckedExpr
	used      map[string][]byte // of the file's or made, what this compile used
	fromBuild int               // expressions read from the build's
	hits      int               // expressions read back from the file
	misses    int               // expressions parsed and checked
	failed    int               // of which did not check (not kept: a macro tried before one it uses)
}

// Kept says how many of the last compile's expressions were read from
// the build's, how many were read back from the kept file and how many
// were parsed and checked (CompileKeeping; 0, 0, 0 otherwise).
func (e *Engine) Kept() (fromBuild, read, parsed int) {
	if e.keep == nil {
		return 0, 0, 0
	}
	return e.keep.fromBuild, e.keep.hits, e.keep.misses
}

// load reads the kept expressions of this binary (only a file
// runfile.Read believes); anything else reads as none.
func (k *keptASTs) load() {
	k.kept, k.used, k.fromBuild, k.hits, k.misses, k.failed = map[string][]byte{}, map[string][]byte{}, 0, 0, 0, 0
	if k.path == "" {
		return
	}
	b, err := runfile.Read(k.path, 16<<20)
	if err != nil {
		return
	}
	k.kept, _ = readKept(b, k.binary)
}

// readKept reads a file of kept expressions whose head is head: as much
// as can be read (a cut file's whole entries), or nothing and false with
// another head.
func readKept(b []byte, head string) (map[string][]byte, bool) {
	kept := map[string][]byte{}
	r := bytes.NewReader(b)
	if h, err := readChunk(r); err != nil || string(h) != head {
		return kept, false
	}
	for {
		key, err := readChunk(r)
		if err != nil {
			return kept, true // io.EOF after the last, or a cut file: what was read stands
		}
		val, err := readChunk(r)
		if err != nil {
			return kept, true
		}
		kept[string(key)] = val
	}
}

// useBuild takes the build's expressions when they were checked in env's
// language.
func (k *keptASTs) useBuild(env *cel.Env) {
	if len(k.build) == 0 {
		return // none, or already taken
	}
	if built, ok := readKept(k.build, builtHead(env)); ok {
		k.built = built
	}
	k.build = nil
}

func builtHead(env *cel.Env) string { return "built " + languageID(env) }

// languageID hashes what a checked expression depends on beyond its text
// and its scope (scopeOf): the functions with their overloads.  (The
// checker's own version is not in it: a test binary does not know its
// modules' versions; make builds the file again when go.mod changes.)
func languageID(env *cel.Env) string {
	h := sha256.New()
	fns := env.Functions()
	for _, name := range slices.Sorted(maps.Keys(fns)) {
		for _, o := range fns[name].OverloadDecls() {
			fmt.Fprintf(h, "%s %s %v %v %v\n", name, o.ID(), o.IsMemberFunction(), o.ArgTypes(), o.ResultType())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BuiltChecks compiles p and returns its checked expressions as a file
// for CompileKeeping's build: what `make` embeds for the built-in policy.
func BuiltChecks(p *policy.Policy) ([]byte, error) {
	k := &keptASTs{}
	e, err := compile(p, k)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeChunk(&b, []byte(builtHead(e.lang.env)))
	writeEntries(&b, k.used)
	return b.Bytes(), nil
}

func readChunk(r *bytes.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(r.Len()) {
		return nil, io.ErrUnexpectedEOF
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

// check is l.env.Compile(text), from the kept form when there is one.
func (l *language) check(text string) (*cel.Ast, *cel.Issues) {
	k := l.keep
	if k == nil {
		return l.env.Compile(text)
	}
	key := l.scope + "\x00" + text
	if ast := l.fromKept(k.built[key]); ast != nil {
		k.fromBuild++
		return ast, nil
	}
	if b := k.kept[key]; b != nil {
		if ast := l.fromKept(b); ast != nil {
			k.used[key] = b
			k.hits++
			return ast, nil
		}
	}
	k.misses++
	ast, iss := l.env.Compile(text)
	if iss.Err() != nil {
		k.failed++
	} else if b, err := l.keepable(ast); err == nil {
		k.used[key] = b
	}
	return ast, iss
}

// fromKept is a kept checked expression, with this env's constants; nil
// when b is nil or not one.
func (l *language) fromKept(b []byte) *cel.Ast {
	var ce exprpb.CheckedExpr
	if b == nil || proto.Unmarshal(b, &ce) != nil {
		return nil
	}
	ast := cel.CheckedExprToAst(&ce)
	// the constants' values were not kept: this env's, by name
	for _, r := range ast.NativeRep().ReferenceMap() {
		if v, ok := l.consts[r.Name]; ok && r.Value == nil {
			r.Value = v
		}
	}
	return ast
}

// keepable is ast as kept: without the values of the env's constants,
// which a CheckedExpr cannot hold (a list) and check() puts back.
func (l *language) keepable(ast *cel.Ast) ([]byte, error) {
	nat := ast.NativeRep()
	refs := map[int64]*celast.ReferenceInfo{}
	for id, r := range nat.ReferenceMap() {
		if _, ok := l.consts[r.Name]; ok && r.Value != nil {
			c := *r
			c.Value = nil
			r = &c
		}
		refs[id] = r
	}
	ce, err := celast.ToProto(celast.NewCheckedAST(nat, nat.TypeMap(), refs))
	if err != nil {
		return nil, err
	}
	// the same bytes at every build (Dockerfile.build is checked against
	// make build): maps in their keys' order
	return proto.MarshalOptions{Deterministic: true}.Marshal(ce)
}

// save writes what this compile used, when it differs from what was
// read.
func (k *keptASTs) save() error {
	if k.path == "" || (k.misses == k.failed && len(k.used) == len(k.kept)) {
		return nil
	}
	var b bytes.Buffer
	writeChunk(&b, []byte(k.binary))
	writeEntries(&b, k.used)
	return runfile.Write(k.path, b.Bytes())
}

func writeEntries(b *bytes.Buffer, entries map[string][]byte) {
	for _, key := range slices.Sorted(maps.Keys(entries)) {
		writeChunk(b, []byte(key))
		writeChunk(b, entries[key])
	}
}

func writeChunk(b *bytes.Buffer, chunk []byte) {
	b.Write(binary.AppendUvarint(nil, uint64(len(chunk))))
	b.Write(chunk)
}

// scopeOf hashes what env declares beyond the binary's own fields and
// functions: every variable's name, type and value (a list's items are
// put in the checked expression); and its constants by name.
func scopeOf(env *cel.Env) (string, map[string]ref.Val) {
	vars := env.Variables()
	lines := make([]string, 0, len(vars))
	consts := map[string]ref.Val{}
	for _, v := range vars {
		val := ""
		if v.Value() != nil {
			val = fmt.Sprintf("%#v", v.Value().Value())
			consts[v.Name()] = v.Value()
		}
		lines = append(lines, fmt.Sprintf("%s %s %s", v.Name(), v.Type(), val))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, s := range lines {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), consts
}

// extendScope is the scope once the macro name is declared with type t.
func extendScope(scope, name string, t *cel.Type) string {
	h := sha256.Sum256([]byte(scope + "\x00" + name + " " + t.String()))
	return hex.EncodeToString(h[:])
}
