package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// controlsTable is docs/controls.md's table as the registry says it should
// read: one row per control, in registry order.
func controlsTable() string {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	code := func(s string) string { return "`" + cell(s) + "`" }
	var b strings.Builder
	b.WriteString("| trailwatch | Security Hub | CIS v1.2 | CIS v1.3–v5.0 | CIS v6.0+ | events of the records it is judged on | recommended text (what `plan` writes) | what Security Hub requires |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range control.All() {
		or := func(s string) string {
			if s == "" {
				return "—"
			}
			return s
		}
		requires := "no Security Hub control: CIS's text is the reference"
		switch {
		case c.SecurityHub != "" && c.ExactText() == c.Pattern:
			requires = "the recommended text"
		case c.SecurityHub != "":
			requires = code(c.ExactText()) + " (either text is exact; meaning needs the recommended one's extra calls)"
		}
		events := make([]string, len(c.Events))
		for i, e := range c.Events {
			events[i] = code(e)
		}
		b.WriteString("| " + strings.Join([]string{
			code(c.ID), or(c.SecurityHub), or(c.NumberIn("1.2.0")), or(c.NumberIn("5.0.0")), or(c.NumberIn("6.0.0")),
			strings.Join(events, ", "), code(c.Pattern), requires,
		}, " | ") + " |\n")
	}
	return b.String()
}

// docs/controls.md's table is the registry's: a control added, renumbered
// or given another text fails here until the page says so (go test -run
// TestControlsDocIsTheRegistry -update rewrites the table).
func TestControlsDocIsTheRegistry(t *testing.T) {
	path := repoFile("docs/controls.md")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(b)
	const begin, end = "<!-- table: generated from the registry -->\n", "<!-- end of table -->\n"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/controls.md lacks the table markers")
	want := controlsTable()
	if *updateGolden {
		doc = doc[:i+len(begin)] + want + doc[j:]
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	}
	require.Equal(t, want, doc[i+len(begin):j])
}
