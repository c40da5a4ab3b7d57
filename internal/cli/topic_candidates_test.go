package cli

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// The no-alarm account has an alert topic with a confirmed subscriber and
// no alarm on it. plan names it as a --topic-arn suggestion (and in its
// JSON) but picks nothing; fix --topic-arn with it reaches PASS without
// --notify; --notify with it is told to use --topic-arn.
func TestPlanNamesAnExistingAlertTopic(t *testing.T) {
	code, out, stderr, counts := runPlanCmd(t, "no-alarm")
	require.Equal(t, exitFindings, code, stderr)
	requireOnlyReads(t, counts)
	require.Contains(t, out, "a new SNS topic needs someone to notify")
	m := regexp.MustCompile(`or notify a topic this account already has, with a confirmed subscriber: re-run with --topic-arn (arn:aws:sns:\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	topic := m[1]
	require.NotContains(t, topic, "trailwatch", "the user's topic, not one trailwatch would create")
	require.Positive(t, counts["sns:ListTopics"])

	_, js, stderr, _ := runPlanCmd(t, "no-alarm", "--output", "json")
	var p plan.Plan
	require.NoError(t, json.Unmarshal([]byte(js), &p), stderr)
	require.Len(t, p.Accounts, 1)
	require.Equal(t, []string{topic}, p.Accounts[0].TopicCandidates)
	require.Empty(t, p.Accounts[0].Changes, "nothing is chosen for the user")

	startFixSandbox(t, "no-alarm")
	code, fixOut, fixErr := runFixCmd(t, "--notify", topic)
	require.Equal(t, exitUsage, code, fixOut)
	require.Contains(t, fixErr, "--notify "+topic+": that is an SNS topic: use --topic-arn "+topic)

	code, fixOut, fixErr = runFixCmd(t, "--yes", "--topic-arn", topic)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", fixOut, fixErr)
	_, rep := checkJSON(t)
	require.Equal(t, check.Pass, rep.Results[0].Status)
}

// With a profile, the suggestion carries it, quoted for a shell where it
// needs to be, so it can be pasted as printed.
func TestTopicSuggestionCarriesTheProfile(t *testing.T) {
	startSandbox(t, "no-alarm")
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile my prod]\nregion = "+sandbox.DefaultRegion+"\n"), 0o600))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"),
		[]byte("[my prod]\naws_access_key_id = "+sandbox.DefaultAccessKey+"\naws_secret_access_key = s\n"), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	e, out, errOut := testEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "plan", "--profile", "my prod"})
	require.Equal(t, exitFindings, code, errOut.String())
	require.Regexp(t, `re-run with --profile 'my prod' --topic-arn arn:aws:sns:us-east-1:`+sandbox.DefaultAccount+`:\S+`, out.String())
}
