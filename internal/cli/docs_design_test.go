package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// declared are the names a Go file (or every non-test file of a package
// directory) declares at top level: functions and methods, types,
// variables, constants, and Type.Method and Type.Field for its methods and
// struct fields.
func declared(t *testing.T, path string) map[string]bool {
	t.Helper()
	files := []string{path}
	if !strings.HasSuffix(path, ".go") {
		all, err := filepath.Glob(filepath.Join(path, "*.go"))
		require.NoError(t, err)
		files = files[:0]
		for _, f := range all {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				// A method is found by its name alone too, as a reader
				// searching the file for "func (… ) name(" would.
				names[d.Name.Name] = true
				if d.Recv != nil && len(d.Recv.List) > 0 {
					names[recvName(d.Recv.List[0].Type)+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								for _, n := range fl.Names {
									names[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	return names
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// designTable is the rows of docs/design.md's "Where each rule lives"
// table: its code column, cell by cell.
func designTable(t *testing.T, doc string) []string {
	t.Helper()
	i := strings.Index(doc, "### Where each rule lives")
	require.True(t, i >= 0, "docs/design.md has no \"Where each rule lives\" section")
	var cells []string
	for _, line := range strings.Split(doc[i:], "\n")[1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		cols := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| ") || len(cols) != 2 || strings.HasPrefix(line, "| rule |") {
			continue
		}
		cells = append(cells, strings.TrimSuffix(cols[1], " |"))
	}
	require.NotEmpty(t, cells, "the table has no rows")
	return cells
}

var backticked = regexp.MustCompile("`([^`]+)`")

// Every file and name docs/design.md's "Where each rule lives" table points
// a reader to exists: a `path/file.go` (or a package directory) names
// where to look, and each backticked name after it must be declared
// there — a function, a type, a variable or constant, Type.Method or
// Type.Field. A rename or a move leaves a stale name, which fails here.
func TestDesignDocNamesWhatExists(t *testing.T) {
	b, err := os.ReadFile(repoFile("docs/design.md"))
	require.NoError(t, err)
	files := 0
	var stale []string
	for _, cell := range designTable(t, string(b)) {
		where := ""
		var names map[string]bool
		for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
			tok := m[1]
			if strings.Contains(tok, "/") || strings.HasSuffix(tok, ".go") {
				path := repoFile(strings.TrimSuffix(tok, "/"))
				if _, err := os.Stat(path); err != nil {
					stale = append(stale, tok+" does not exist")
					where, names = tok, nil
					continue
				}
				where, names = tok, declared(t, path)
				files++
				continue
			}
			switch {
			case where == "":
				stale = append(stale, tok+" is named before its file: "+cell)
			case names != nil && !names[tok]:
				stale = append(stale, where+" declares no "+tok)
			}
		}
	}
	require.Empty(t, stale, "docs/design.md's table names what the code does not have")
	require.Greater(t, files, 20, "the table names too few files: is it parsed?")
}

// archEntry is a path in the architecture block: an unindented line's
// first word, or an indented file list under the directory above it.
var archEntry = regexp.MustCompile(`^(\s*)([A-Za-z0-9_./*-]+(?:, [A-Za-z0-9_./*-]+)*)`)

// Every directory and file the architecture block of docs/design.md lists
// exists (indented names are files of the directory above them; a name
// with * must match at least one file).
func TestDesignDocArchitectureExists(t *testing.T) {
	b, err := os.ReadFile(repoFile("docs/design.md"))
	require.NoError(t, err)
	doc := string(b)
	i := strings.Index(doc, "## Architecture")
	require.True(t, i >= 0)
	block := doc[i:]
	start := strings.Index(block, "```\n")
	end := strings.Index(block[start+4:], "```")
	require.True(t, start >= 0 && end > 0, "no code block under Architecture")
	dir, checked := "", 0
	for _, line := range strings.Split(block[start+4:start+4+end], "\n") {
		m := archEntry.FindStringSubmatch(line)
		if m == nil || len(m[1]) > 4 {
			continue // a wrapped description
		}
		for _, name := range strings.Split(m[2], ", ") {
			path := name
			if m[1] != "" {
				path = dir + name
			} else if strings.HasSuffix(name, "/") {
				dir = name
			}
			matches, err := filepath.Glob(repoFile(strings.TrimSuffix(path, "/")))
			require.NoError(t, err)
			require.NotEmpty(t, matches, "docs/design.md's architecture lists %s, which does not exist", path)
			checked++
		}
	}
	require.Greater(t, checked, 20, "the architecture block lists too few paths: is it parsed?")
}
