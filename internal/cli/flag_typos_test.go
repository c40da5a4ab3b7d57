package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A mistyped flag, scenario or command reads as the user typed it (two
// dashes), with the nearest name and where the names are listed; every
// line fits 80 columns.
func TestFlagTyposGolden(t *testing.T) {
	var transcript strings.Builder
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"check", "--profiel", "x"}, exitUsage},
		{[]string{"plan", "--dryrun"}, exitUsage},
		{[]string{"fix", "--dry-rn"}, exitUsage},
		{[]string{"fix", "--yse"}, exitUsage},
		{[]string{"pattern", "--outptu", "json", "x"}, exitUsage},
		{[]string{"check", "-q"}, exitUsage},
		{[]string{"--verison"}, exitUsage},
		{[]string{"check", "--profile"}, exitUsage},
		{[]string{"plan", "--wire-logs", "--retention-days", "ninety"}, exitUsage},
		{[]string{"sandbox", "--scenario", "no-alram"}, exitUsage},
		{[]string{"sandbox", "--scenario", "atlantis"}, exitUsage},
		{[]string{"version"}, exitOK},
		{[]string{"--version"}, exitOK},
	} {
		e, stdout, stderr := testEnv()
		code := runApp(context.Background(), e, append([]string{"trailwatch"}, tc.args...))
		require.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		transcript.WriteString("$ trailwatch " + strings.Join(tc.args, " ") + "\n" + stdout.String() + stderr.String())
	}
	got := transcript.String()
	for _, l := range strings.Split(got, "\n") {
		require.LessOrEqual(t, len([]rune(l)), 80, "wider than 80 columns: %q", l)
	}
	require.Contains(t, got, "trailwatch: --profiel: unknown flag; did you mean --profile?\n")
	require.Contains(t, got, "did you mean no-alarm?")
	require.NotContains(t, got, "no-cloudwatch-logs", "an unknown scenario does not list every scenario")

	path := filepath.Join("testdata", "flag-typos.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestFlagTyposGolden -update to create it")
	require.Equal(t, string(want), got)
}

func TestVersionCommandPrintsWhatVersionFlagPrints(t *testing.T) {
	run := func(args ...string) string {
		e, stdout, stderr := testEnv()
		require.Equal(t, exitOK, runApp(context.Background(), e, append([]string{"trailwatch"}, args...)), stderr.String())
		return stdout.String()
	}
	require.Equal(t, run("--version"), run("version"))
	require.Equal(t, "trailwatch version "+version+"\n", run("version"))
}

func TestListScenarios(t *testing.T) {
	e, stdout, stderr := testEnv()
	require.Equal(t, exitOK, runApp(context.Background(), e, []string{"trailwatch", "sandbox", "--list-scenarios"}), stderr.String())
	names := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Contains(t, names, "no-alarm")
	require.Contains(t, names, "compliant")
}

// Help is for reading: commands in the order they are used, no
// "(default: false)" on every switch, no spaces at line ends, and a
// default stated once.
func TestHelpText(t *testing.T) {
	help := func(args ...string) string {
		e, stdout, stderr := testEnv()
		require.Equal(t, exitOK, runApp(context.Background(), e, append([]string{"trailwatch"}, args...)), stderr.String())
		return stdout.String()
	}
	app := help("--help")
	var order []int
	for _, c := range []string{"check", "pattern", "plan", "fix", "demo", "sandbox"} {
		i := strings.Index(app, "\n   "+c+" ")
		require.GreaterOrEqual(t, i, 0, "%s is listed", c)
		order = append(order, i)
	}
	require.IsIncreasing(t, order, "commands in workflow order:\n%s", app)
	for _, cmd := range []string{"", "check", "pattern", "plan", "fix", "demo", "sandbox", "version"} {
		text := app
		if cmd != "" {
			text = help(cmd, "--help")
		}
		require.NotContains(t, text, "(default: false)", cmd)
		for _, l := range strings.Split(text, "\n") {
			require.Equal(t, strings.TrimRight(l, " \t"), l, "%s: trailing space", cmd)
		}
	}
	plan := help("plan", "--help")
	for _, l := range strings.Split(plan, "\n") {
		if strings.Contains(l, "--retention-days") {
			require.Equal(t, 1, strings.Count(l, "default"), l)
		}
	}
}
