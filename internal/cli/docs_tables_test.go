package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// repoFile is a file of the repository named from its root (docs/...): the
// tests run in this package's directory, two levels below it.
func repoFile(name string) string {
	return filepath.Join("..", "..", filepath.FromSlash(name))
}

// tableCodes is the first column of every table row of a docs page whose
// first cell is one upper-case code in backquotes, in order.
func tableCodes(t *testing.T, path string, codes *regexp.Regexp) []string {
	t.Helper()
	b, err := os.ReadFile(repoFile(path))
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(string(b), -1) {
		if codes.MatchString(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// The reason table of docs/check.md and the error-code table of
// docs/check-json.md are the code's lists, in the code's order: a reason or
// error code added to one and not the other fails here.
func TestDocsListTheCodesTheCodeHas(t *testing.T) {
	var reasons []string
	for _, r := range check.Reasons {
		reasons = append(reasons, string(r))
	}
	statuses := regexp.MustCompile(`^(PASS|FAIL|ERROR|MANUAL)$`)
	anyCode := regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	var documentedReasons []string
	for _, c := range tableCodes(t, "docs/check.md", anyCode) {
		if !statuses.MatchString(c) {
			documentedReasons = append(documentedReasons, c)
		}
	}
	require.Equal(t, reasons, documentedReasons, "docs/check.md's reason table")
	require.Equal(t, []string{"PASS", "FAIL", "ERROR", "MANUAL"}, tableCodes(t, "docs/check.md", statuses), "docs/check.md's status table")

	var codes []string
	for _, c := range awserr.Codes {
		codes = append(codes, string(c))
	}
	var documented []string
	for _, c := range tableCodes(t, "docs/check-json.md", anyCode) {
		if !statuses.MatchString(c) && !slices.Contains(reasons, c) {
			documented = append(documented, c)
		}
	}
	require.Equal(t, codes, documented, "docs/check-json.md's error_code table")
}
