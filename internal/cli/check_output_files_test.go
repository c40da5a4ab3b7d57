package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/report"
)

// runCheckAt runs check with the report clock fixed.
func runCheckAt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	e.now = func() time.Time { return time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC) }
	code = runApp(context.Background(), e, append([]string{"trailwatch", "check"}, args...))
	return code, out.String(), errOut.String()
}

// One run writes every format to its file, each the same report the format
// gives on stdout; stdout keeps the text report by default.
func TestCheckOutputFiles(t *testing.T) {
	startSandbox(t, "NO_ALARM")
	dir := t.TempDir()
	args := []string{}
	for _, f := range report.Formats {
		args = append(args, "--output-file", string(f)+"="+filepath.Join(dir, "out,"+string(f)))
	}
	args = append(args, "--report", filepath.Join(dir, "report.html"))
	code, stdout, stderr := runCheckAt(t, args...)
	require.Equal(t, exitFindings, code, stderr)
	require.Contains(t, stdout, "FAIL NO_ALARM", "text stays on stdout")
	for _, f := range report.Formats {
		got, err := os.ReadFile(filepath.Join(dir, "out,"+string(f)))
		require.NoError(t, err)
		_, want, _ := runCheckAt(t, "--output", string(f))
		require.Equal(t, want, string(got), f)
	}
	var rep check.Report
	js, err := os.ReadFile(filepath.Join(dir, "out,json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, &rep))
	require.Equal(t, "trailwatch", rep.Tool.Name)
	require.Equal(t, "CloudWatch.5", rep.Control.SecurityHub)
	require.Equal(t, "2026-12-01T09:30:00Z", rep.CheckedAt.Format(time.RFC3339))
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	require.Contains(t, string(html), "NO_ALARM")
	fi, err := os.Stat(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, len(report.Formats)+1, "no temporary file left behind")
}

// Bad --output-file and --report values stop before AWS is read and write
// nothing.
func TestCheckOutputFileUsageErrors(t *testing.T) {
	srv := startSandbox(t, "compliant")
	dir := t.TempDir()
	existing := filepath.Join(dir, "keep.csv")
	require.NoError(t, os.WriteFile(existing, []byte("old"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no equals", []string{"--output-file", "results.csv"}, "FORMAT=PATH"},
		{"unknown format", []string{"--output-file", "yaml=x.yaml"}, `unknown format "yaml"`},
		{"html is --report", []string{"--output-file", "html=x.html"}, `unknown format "html"`},
		{"empty path", []string{"--output-file", "csv="}, "FORMAT=PATH"},
		{"missing directory", []string{"--output-file", "csv=" + filepath.Join(dir, "nope", "x.csv")},
			"trailwatch: --output-file csv=" + filepath.Join(dir, "nope", "x.csv") + ": directory " + filepath.Join(dir, "nope") + " does not exist\n"},
		{"report in a missing directory", []string{"--report", filepath.Join(dir, "nope", "r.html")},
			"trailwatch: --report " + filepath.Join(dir, "nope", "r.html") + ": directory " + filepath.Join(dir, "nope") + " does not exist\n"},
		{"a directory", []string{"--report", dir}, "is a directory"},
		{"same file twice", []string{"--output-file", "csv=" + existing, "--output-file", "json=" + existing}, "named twice"},
		{"empty report", []string{"--report", ""}, "--report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Counts()
			code, out, stderr := runCheckCmd(t, tc.args...)
			require.Equal(t, exitUsage, code, stderr)
			require.Contains(t, stderr, tc.want)
			require.Empty(t, out)
			require.Equal(t, before, srv.Counts(), "no AWS request before the outputs are known to be writable")
			old, err := os.ReadFile(existing)
			require.NoError(t, err)
			require.Equal(t, "old", string(old))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no file created")
		})
	}
}

// ASFF cannot carry an account that was never identified: the run says so
// on stderr and the findings it writes still import.
func TestCheckASFFSaysWhatItLeftOut(t *testing.T) {
	startSandbox(t, "compliant")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASANDBOXUNKNOWN00")
	code, out, stderr := runCheckAt(t, "--output", "asff")
	require.Equal(t, exitFailed, code)
	require.JSONEq(t, "[]", out)
	require.Contains(t, stderr, "asff: 1 result(s) left out")
}

// An interrupted check writes no report file, not even an empty one, and
// leaves an earlier report at the path as it was.
func TestCheckInterruptedWritesNoReport(t *testing.T) {
	startSandbox(t, "compliant")
	dir := t.TempDir()
	old := filepath.Join(dir, "old.csv")
	require.NoError(t, os.WriteFile(old, []byte("earlier run"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e, _, errOut := testEnv()
	code := runApp(ctx, e, []string{"trailwatch", "check", "--output-file", "csv=" + old, "--report", filepath.Join(dir, "new.html")})
	require.Equal(t, exitCancelled, code, errOut.String())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	b, err := os.ReadFile(old)
	require.NoError(t, err)
	require.Equal(t, "earlier run", string(b))
}

// Report files get the mode a file the shell creates would (0666 less the
// umask), so a user who keeps files private keeps reports private; a plan
// file names endpoints and ARNs and is the user's alone whatever the umask.
func TestOutputFilesFollowTheUmask(t *testing.T) {
	startSandbox(t, "NO_ALARM")
	for _, tc := range []struct {
		umask      int
		report     os.FileMode
		planIsOnly os.FileMode
	}{
		{0o022, 0o644, 0o600},
		{0o077, 0o600, 0o600},
	} {
		old := unix.Umask(tc.umask)
		dir := t.TempDir()
		html, csv, planFile := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "plan.json")
		code, _, stderr := runCheckAt(t, "--report", html, "--output-file", "csv="+csv)
		require.Equal(t, exitFindings, code, stderr)
		code, _, stderr = runSafetyCmd(t, "plan", "--notify", "email:a@example.com", "--out", planFile)
		unix.Umask(old)
		require.Equal(t, exitFindings, code, stderr)
		for path, want := range map[string]os.FileMode{html: tc.report, csv: tc.report, planFile: tc.planIsOnly} {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, want, fi.Mode().Perm(), "%s with umask %#o", filepath.Base(path), tc.umask)
		}
	}
}
