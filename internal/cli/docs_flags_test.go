package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// flagsSection is the part of a command's docs page that describes its
// flags: from "## Flags" (else from its flag table) to the next heading of
// that level.
func flagsSection(page string) string {
	start := strings.Index(page, "\n## Flags\n")
	if start < 0 {
		loc := flagTableHeader.FindStringIndex(page)
		if loc == nil {
			return ""
		}
		start = loc[0] - 1
	}
	rest := page[start+1:]
	if end := strings.Index(rest[1:], "\n## "); end >= 0 {
		return rest[:end+1]
	}
	return rest
}

// flagTableHeader starts a flag table: "| flag |", in any case.
var flagTableHeader = regexp.MustCompile(`(?mi)^\| *flag *\|`)

// backquotedFlag is a flag as a docs page writes it: in backquotes, alone
// or with its value (`--profile NAME`, `-y`).
var backquotedFlag = regexp.MustCompile("`(--?[a-z][a-z0-9-]*)[ =`]")

// tableFlags are the flags the first cells of a page's flag tables name.
func tableFlags(page string) []string {
	var out []string
	inTable := false
	for _, line := range strings.Split(page, "\n") {
		switch {
		case flagTableHeader.MatchString(line):
			inTable = true
			continue
		case !strings.HasPrefix(line, "|"):
			inTable = false
		}
		if !inTable {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 2 {
			continue
		}
		for _, m := range backquotedFlag.FindAllStringSubmatch(cells[1], -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// Every flag a command has is described on its page (docs/COMMAND.md), in
// its Flags section, and every flag that page's flag table names is one
// the command has: a flag added, renamed or removed fails here until the
// page says so.
func TestDocsDescribeEveryFlag(t *testing.T) {
	e, _, _ := testEnv()
	for _, cmd := range newApp(e).Commands {
		path := "docs/" + cmd.Name + ".md"
		b, err := os.ReadFile(repoFile(path))
		if os.IsNotExist(err) {
			// help and version: their --help says all there is.
			require.Empty(t, slices.DeleteFunc(slices.Clone(cmd.Flags), func(f cli.Flag) bool { return f == cli.HelpFlag }), "%s has flags and no page %s", cmd.Name, path)
			continue
		}
		require.NoError(t, err)
		page := string(b)
		section := flagsSection(page)
		var have []string
		for _, f := range cmd.Flags {
			for _, name := range f.Names() {
				have = append(have, dashed(name))
			}
			name := dashed(f.Names()[0])
			if name == "--help" {
				continue
			}
			if !regexp.MustCompile("`" + regexp.QuoteMeta(name) + "[ =`]").MatchString(section) {
				t.Errorf("%s: flag %s is not described in its Flags section", path, name)
			}
		}
		named := tableFlags(page)
		require.NotEmpty(t, named, "%s has no flag table", path)
		for _, name := range named {
			if !slices.Contains(have, name) {
				t.Errorf("%s's flag table names %s, which trailwatch %s does not have", path, name, cmd.Name)
			}
		}
	}
}
