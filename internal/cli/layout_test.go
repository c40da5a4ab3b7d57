package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// maxFuncLines is how long a function of the command layer may be: one
// screen, so a reader holds a step whole.
const maxFuncLines = 80

// longFuncs are the functions allowed to be longer, each a table or a
// parser that reads best whole.
var longFuncs = map[string]string{}

// TestFunctionsFitOnAScreen keeps every function of this package's non-test
// files within maxFuncLines, but the named exceptions.
func TestFunctionsFitOnAScreen(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var long []string
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			seen[funcName(fn)] = n > maxFuncLines
			if _, allowed := longFuncs[funcName(fn)]; n > maxFuncLines && !allowed {
				long = append(long, name+": "+funcName(fn)+" has "+strconv.Itoa(n)+" lines")
			}
		}
	}
	require.Empty(t, long, "functions longer than %d lines: split them, or name them in longFuncs with why", maxFuncLines)
	for name := range longFuncs {
		require.True(t, seen[name], "longFuncs names %s, which is gone or fits on a screen now: drop it", name)
	}
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// terminalImports are the libraries of the terminal and the command line:
// only the command layer may use them, so the engine stays testable through
// plain option structs and a change of library touches one package.
var terminalImports = []string{
	"github.com/urfave/cli",
	"github.com/AlecAivazis/survey",
	"github.com/fatih/color",
	"golang.org/x/term",
}

// TestOnlyTheCommandLayerImportsTerminalLibraries parses the imports of
// every non-test Go file of the module.
func TestOnlyTheCommandLayerImportsTerminalLibraries(t *testing.T) {
	root, err := filepath.Abs(repoFile("."))
	require.NoError(t, err)
	here, err := os.Getwd()
	require.NoError(t, err)
	fset := token.NewFileSet()
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.Dir(path) == here {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if slices.ContainsFunc(terminalImports, func(lib string) bool { return p == lib || strings.HasPrefix(p, lib+"/") }) {
				rel, _ := filepath.Rel(root, path)
				found = append(found, rel+" imports "+p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, found, "only internal/cli may import %v", terminalImports)
}
