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

// keptASTs is one file of kept checked expressions.
type keptASTs struct {
	path   string
	binary string            // what identifies the binary: only its own file is read
	kept   map[string][]byte // from the file: scope and text -> CheckedExpr
	used   map[string][]byte // what this compile used or made
	hits   int               // expressions read back
	misses int               // expressions parsed and checked
	failed int               // of which did not check (not kept: a macro tried before one it uses)
}

// Kept says how many of the last compile's expressions were read back
// from the kept file and how many were parsed and checked (CompileKeeping;
// 0, 0 otherwise).
func (e *Engine) Kept() (read, parsed int) {
	if e.keep == nil {
		return 0, 0
	}
	return e.keep.hits, e.keep.misses
}

// load reads the kept expressions of this binary (only a file
// runfile.Read believes); anything else reads as none.
func (k *keptASTs) load() {
	k.kept, k.used, k.hits, k.misses, k.failed = map[string][]byte{}, map[string][]byte{}, 0, 0, 0
	b, err := runfile.Read(k.path, 16<<20)
	if err != nil {
		return
	}
	r := bytes.NewReader(b)
	if head, err := readChunk(r); err != nil || string(head) != k.binary {
		return
	}
	for {
		key, err := readChunk(r)
		if err != nil {
			return // io.EOF after the last, or a cut file: what was read stands
		}
		val, err := readChunk(r)
		if err != nil {
			return
		}
		k.kept[string(key)] = val
	}
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
	if b, ok := k.kept[key]; ok {
		var ce exprpb.CheckedExpr
		if proto.Unmarshal(b, &ce) == nil {
			ast := cel.CheckedExprToAst(&ce)
			// the constants' values were not kept: this env's, by name
			for _, r := range ast.NativeRep().ReferenceMap() {
				if v, ok := l.consts[r.Name]; ok && r.Value == nil {
					r.Value = v
				}
			}
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
	return proto.Marshal(ce)
}

// save writes what this compile used, when it differs from what was
// read.
func (k *keptASTs) save() error {
	if k.misses == k.failed && len(k.used) == len(k.kept) {
		return nil
	}
	var b bytes.Buffer
	writeChunk(&b, []byte(k.binary))
	for _, key := range slices.Sorted(maps.Keys(k.used)) {
		writeChunk(&b, []byte(key))
		writeChunk(&b, k.used[key])
	}
	return runfile.Write(k.path, b.Bytes())
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
