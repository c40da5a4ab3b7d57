package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

// A saved plan whose topic was created meanwhile: fix and fix --dry-run
// say "stale" once, in words what changed, and the next step; the dry run
// does not advise applying a plan fix would refuse, and the journal is not
// mentioned when nothing was written to it.
func TestStalePlanGolden(t *testing.T) {
	_, file := savedPlan(t, "no-alarm", "--notify", "email:a@example.com")
	_, err := sns.NewFromConfig(safetySDKConfig(t)).CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(safetyName)})
	require.NoError(t, err)
	journal := filepath.Join(t.TempDir(), "journal.jsonl")

	code, out, stderr := runFixAt80(t, journal, "--yes", "--plan", file)
	require.Equal(t, exitFailed, code, out+stderr)
	require.NotContains(t, stderr, "journal:", "nothing was written, so no journal to look at")
	require.Empty(t, safetyJournal(t, journal))
	applied := out[strings.Index(out, "Account 111111111111: not applied"):]

	code, out, stderr = runFixAt80(t, journal, "--dry-run", "--plan", file)
	require.Equal(t, exitFailed, code, out+stderr)
	require.NotContains(t, out, "Run fix without --dry-run", "applying would be refused")
	dry := out[strings.Index(out, "The plan is stale"):]

	got := "$ trailwatch fix --yes --plan plan.json\n…\n" + applied + "$ trailwatch fix --dry-run --plan plan.json\n…\n" + dry
	require.NotContains(t, got, "sha256:", "what changed is said in words")
	for _, text := range []string{applied, dry} {
		require.Equal(t, 1, strings.Count(strings.ToLower(text), "stale"), "stale said once:\n%s", text)
		require.Contains(t, text, "run trailwatch plan again")
	}
	for _, l := range strings.Split(got, "\n") {
		// At 80 columns only a single value too long for any row may be wider.
		if len([]rune(l)) > 80 {
			require.Len(t, strings.Fields(l), 1, "wider than 80 columns: %q", l)
		}
	}
	path := filepath.Join("testdata", "stale-plan.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestStalePlanGolden -update to create it")
	require.Equal(t, string(want), got)
}

// runFixAt80 runs `trailwatch fix --journal JOURNAL ARGS…` as a terminal 80
// columns wide shows it.
func runFixAt80(t *testing.T, journal string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	code = runApp(context.Background(), at80(e), append([]string{"trailwatch", "fix", "--journal", journal}, args...))
	return code, out.String(), errOut.String()
}
