// Package funclen holds the test that keeps the engine's functions short
// enough to hold in one screen. The command layer, internal/cli, has the
// same rule in its own layout_test.go.
package funclen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// maxLines is the longest a function in the engine's packages may be,
// counted from its func line to its closing brace.
const maxLines = 80

// packages are the engine's packages, from the repository root: the
// audit, the planner, the fixer, the drill and the controls they decide.
var packages = []string{"check", "check/pattern", "plan", "fix", "internal/drill", "control"}

// allowed are the functions that may be longer, with why. A parser or a
// table reads best whole; anything else belongs here only until it is
// split, and the test fails once it is short enough to leave the list.
var allowed = map[string]string{
	// One grammar rule of the filter-pattern parser: a property
	// selector's segment forms (.name, .*, [n], [*], ['quoted']) scanned
	// in one loop, each beside the error AWS gives for it.
	"check/pattern.exprParser.parseSelector": "parser",
}

// TestFunctionLength fails on a function longer than maxLines that the
// allowlist does not name, and on an allowlist entry that is no longer
// needed.
func TestFunctionLength(t *testing.T) {
	long := map[string]int{}
	for _, pkg := range packages {
		for name, n := range longFunctions(t, filepath.Join("..", "..", pkg)) {
			long[pkg+"."+name] = n
		}
	}
	var over []string
	for name, n := range long {
		if _, ok := allowed[name]; !ok {
			over = append(over, fmt.Sprintf("%s is %d lines", name, n))
		}
	}
	sort.Strings(over)
	require.Empty(t, over, "functions longer than %d lines: split them, or name them in allowed with why", maxLines)
	for name := range allowed {
		require.Contains(t, long, name, "%s is no longer than %d lines: take it off the allowlist", name, maxLines)
	}
}

// longFunctions parses one package directory's non-test files and returns
// its functions longer than maxLines, named "Func" or "Type.Method".
func longFunctions(t *testing.T, dir string) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no Go files in %s", dir)
	out := map[string]int{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n > maxLines {
				out[funcName(fn)] = n
			}
		}
	}
	return out
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if g, ok := typ.(*ast.IndexExpr); ok {
		typ = g.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}
