package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every command follows one table (docs/exit-codes.md): mistakes in what
// was typed are 2, with a suggestion when one is near.
func TestUnknownCommandsAndHelpTopics(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"chekc"}, exitUsage, `unknown command "chekc": did you mean "check"?`},
		{[]string{"plna"}, exitUsage, `did you mean "plan"?`},
		{[]string{"xyzzy"}, exitUsage, `unknown command "xyzzy": see trailwatch --help`},
		{[]string{"help", "chekc"}, exitUsage, `unknown help topic "chekc": did you mean "check"?`},
		{[]string{"help", "check", "plan"}, exitUsage, "at most one command"},
	} {
		t.Run(tc.args[0]+" "+tc.want, func(t *testing.T) {
			code, out, stderr := runSafetyCmd(t, tc.args...)
			require.Equal(t, tc.code, code, out+stderr)
			require.Contains(t, stderr, tc.want)
			require.Empty(t, out)
		})
	}
	for _, args := range [][]string{{"help"}, {"help", "check"}, {}, {"--help"}, {"-h"}, {"check", "--help"}, {"fix", "-h"}} {
		code, out, stderr := runSafetyCmd(t, args...)
		require.Equal(t, exitOK, code, stderr)
		require.Contains(t, out, "USAGE:", args)
		require.Empty(t, stderr, args)
	}
	_, out, _ := runSafetyCmd(t, "help", "fix")
	require.Contains(t, out, "--dry-run", "help TOPIC is that command's help")
}

// A profile no shared file defines is a typo: exit 2 naming the files read,
// before any AWS call, with the nearest profile that is there.
func TestUnknownProfileIsAUsageError(t *testing.T) {
	srv := startSandbox(t, "compliant")
	config := os.Getenv("AWS_CONFIG_FILE")
	require.NoError(t, os.WriteFile(config, []byte("[profile prod]\nregion = us-east-1\n"), 0o600))
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	for _, cmd := range []string{"check", "plan", "fix"} {
		n := len(srv.Requests())
		args := []string{cmd, "--profile", "prdo"}
		if cmd == "fix" {
			args = append(args, "--dry-run")
		}
		code, out, stderr := runSafetyCmd(t, args...)
		require.Equal(t, exitUsage, code, out+stderr)
		require.Contains(t, stderr, "--profile prdo: no such profile in "+config+" or "+creds)
		require.Contains(t, stderr, `did you mean "prod"?`)
		require.Len(t, srv.Requests(), n, "no AWS call")
	}
	t.Setenv("AWS_PROFILE", "nope")
	code, _, stderr := runSafetyCmd(t, "check")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "AWS_PROFILE nope: no such profile in "+config)
}

// fix --dry-run exits as plan does with the same selection: a CI gate on
// the dry run is never greener than plan.
func TestFixDryRunExitsAsPlanDoes(t *testing.T) {
	for _, tc := range []struct {
		name, scenario string
		accessKey      string // "" keeps the sandbox's
		want           int
	}{
		{"compliant", "compliant", "", exitOK},
		{"changes to make", "no-alarm", "", exitFindings},
		{"a person must act", "trail-not-logging", "", exitFindings},
		{"credentials refused", "compliant", "AKIAUNKNOWN000000000", exitFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startSandbox(t, tc.scenario)
			if tc.accessKey != "" {
				t.Setenv("AWS_ACCESS_KEY_ID", tc.accessKey)
			}
			planCode, out, stderr := runSafetyCmd(t, "plan", "--notify", "email:a@example.com")
			require.Equal(t, tc.want, planCode, out+stderr)
			code, out, stderr := runSafetyCmd(t, "fix", "--dry-run", "--notify", "email:a@example.com")
			require.Equal(t, planCode, code, out+stderr)

			// A saved plan's dry run too.
			file := filepath.Join(t.TempDir(), "plan.json")
			_, _, _ = runSafetyCmd(t, "plan", "--notify", "email:a@example.com", "--out", file)
			code, out, stderr = runSafetyCmd(t, "fix", "--dry-run", "--plan", file)
			require.Equal(t, planCode, code, out+stderr)
		})
	}
}
