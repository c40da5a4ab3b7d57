package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fix --report writes the page after the run: the account before (FAIL
// NO_ALARM) and after the re-check, what was applied, and both chains.
func TestFixReport(t *testing.T) {
	startFixSandbox(t, "NO_ALARM")
	page := filepath.Join(t.TempDir(), "fix.html")
	code, out, stderr := runFixCmd(t, "--yes", "--notify", fleetNotify, "--report", page)
	require.Equal(t, exitOK, code, "%s%s", out, stderr)
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(b)
	require.Contains(t, html, `data-before="FAIL NO_ALARM"`)
	require.Contains(t, html, `data-status="PASS"`)
	require.Regexp(t, regexp.MustCompile(`data-outcome="applied: \d+ of \d+ changes in place"`), html)
	require.Contains(t, html, "before the fix")
}

// --report needs a run that applies and a file it can write; either mistake
// stops fix before anything is read or written.
func TestFixReportUsageErrors(t *testing.T) {
	srv := startFixSandbox(t, "NO_ALARM")
	for _, args := range [][]string{
		{"--dry-run", "--report", filepath.Join(t.TempDir(), "x.html")},
		{"--yes", "--report", ""},
		{"--yes", "--report", filepath.Join(t.TempDir(), "missing", "x.html")},
	} {
		before := srv.Counts()
		code, _, stderr := runFixCmd(t, args...)
		require.Equal(t, exitUsage, code, stderr)
		require.Contains(t, stderr, "--report")
		require.Equal(t, before, srv.Counts())
	}
}

// fix --report of several controls shows every control of the account,
// before → after: the one fixed and the fourteen that already passed.
func TestFixReportOfSeveralControls(t *testing.T) {
	startFixSandbox(t, "family-missing-alarm")
	page := filepath.Join(t.TempDir(), "fix.html")
	code, out, stderr := runFixCmd(t, "--control", "all", "--yes", "--report", page)
	require.Equal(t, exitOK, code, "%s%s", out, stderr)
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	html := string(b)
	require.Contains(t, html, "1 account × 15 controls")
	require.Equal(t, 15, strings.Count(html, `<td class="cell" data-before=`))
	require.Equal(t, 1, strings.Count(html, `<td class="cell" data-before="FAIL NO_ALARM" data-after="PASS">`))
	require.Equal(t, 14, strings.Count(html, `<td class="cell" data-before="PASS" data-after="PASS">`))
}
