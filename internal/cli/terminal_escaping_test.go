package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"
)

// hostile is a name an attacker with a foothold could give a resource: it
// clears the screen, retitles the window and reverses the rest of the line.
const hostile = "x\x1b[2J\x1b]0;pwned\x07\u202eyz"

// requireInert fails when text could act on a terminal: no ESC, BEL or
// bidirectional override survives, and the hostile name is shown escaped.
func requireInert(t *testing.T, text string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\x9b"} {
		require.NotContains(t, text, bad)
	}
	require.Contains(t, text, `x\x1b[2J\x1b]0;pwned\x07\u202eyz`)
}

// seedHostile gives the sandbox's log group a metric filter, and its metric
// an alarm, with hostile names.
func seedHostile(t *testing.T) {
	t.Helper()
	cfg := safetySDKConfig(t)
	_, err := cloudwatchlogs.NewFromConfig(cfg).PutMetricFilter(context.Background(), &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(safetyGroup), FilterName: aws.String(hostile), FilterPattern: aws.String(`{ $.eventName = "` + hostile + `" }`),
		MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("M"), MetricNamespace: aws.String("NS"), MetricValue: aws.String("1")}}})
	require.NoError(t, err)
	_, err = cloudwatch.NewFromConfig(cfg).PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(hostile), Namespace: aws.String("NS"), MetricName: aws.String("M"), Statistic: cwtypes.StatisticSum,
		Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold})
	require.NoError(t, err)
}

// A metric filter named with escape sequences reaches the text report
// inert, and the JSON report exact.
func TestCheckTextEscapesWhatAWSReturns(t *testing.T) {
	startSandbox(t, "no-alarm")
	seedHostile(t)

	_, out, stderr := runCheckCmd(t)
	requireInert(t, out+stderr)

	_, rep := checkJSON(t)
	var names []string
	for _, r := range rep.Results {
		for _, tr := range r.Trails {
			for _, f := range tr.Filters {
				names = append(names, f.Name)
			}
		}
	}
	require.Contains(t, names, hostile, "JSON keeps the name byte for byte")
}

// A hostile name in a saved plan (here a --name-prefix an attacker wrote
// into the file's requests) is inert in plan, fix --dry-run and the fix
// report alike; the plan's JSON keeps it exact.
func TestPlanAndFixTextEscapeWhatTheyShow(t *testing.T) {
	startSandbox(t, "no-alarm")
	seedHostile(t)
	file := filepath.Join(t.TempDir(), "plan.json")
	code, out, stderr := runSafetyCmd(t, "plan", "--notify", "email:a@example.com", "--name-prefix", "p-", "--out", file)
	require.Equal(t, exitFindings, code, out+stderr)
	requireNoControl(t, out+stderr)

	// Rename the alarm consistently (request, after, target and its
	// fingerprint), as an attacker who can write the file could.
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	edited := strings.ReplaceAll(string(raw), "p-cloudtrail-changes", "p-"+jsonEscape(hostile))
	require.NotEqual(t, string(raw), edited)
	require.NoError(t, os.WriteFile(file, []byte(edited), 0o600))

	code, out, stderr = runSafetyCmd(t, "fix", "--dry-run", "--plan", file)
	require.Equal(t, exitFindings, code, "the edited plan is consistent, so it is shown: %s%s", out, stderr)
	require.Contains(t, out, "Dry run")
	requireInert(t, out+stderr)
}

// requireNoControl fails on any ESC, BEL or bidi override in text.
func requireNoControl(t *testing.T, text string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\x07", "\u202e"} {
		require.NotContains(t, text, bad)
	}
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// Log lines given to pattern --event are echoed inert in text and exact in
// JSON; so is a pattern quoting control bytes.
func TestPatternEventsEscapeControlBytes(t *testing.T) {
	// Raw control bytes make a line plain text (JSON would escape them).
	line := "StopLogging by " + hostile
	r := runPattern(t, line+"\n", "--event", "-", "StopLogging")
	require.Equal(t, exitOK, r.code, r.stderr)
	requireInert(t, r.stdout+r.stderr)

	r = runPattern(t, line+"\n", "--event", "-", "--output", "json", "StopLogging")
	require.Equal(t, exitOK, r.code, r.stderr)
	var out struct {
		Events []struct {
			Message string `json:"message"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Events, 1)
	require.Equal(t, line, out.Events[0].Message, "JSON keeps the event byte for byte")

	r = runPattern(t, "", `{ $.eventName = "`+hostile+`" }`)
	require.Equal(t, exitFindings, r.code, r.stderr)
	requireInert(t, r.stdout+r.stderr)

	// A pattern that does not parse is quoted in the error: inert too.
	r = runPattern(t, "", `{ $.eventName = "`+hostile+`" `)
	require.Equal(t, exitUsage, r.code)
	requireNoControl(t, r.stdout+r.stderr)
}
