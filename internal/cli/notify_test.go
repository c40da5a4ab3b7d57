package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// The notification-path scenarios through check, the real SDK and wire
// protocols: each reaches its exact verdict.
func TestCheckCommandNotifyScenarios(t *testing.T) {
	for _, sc := range sandbox.NotifyScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			startSandbox(t, sc.Name)
			_, rep := checkJSON(t)
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Equal(t, sc.Status, string(r.Status), r.Message)
			require.Equal(t, sc.Reason, string(r.Reason), r.Message)
			require.NotEmpty(t, r.Remediation)
		})
	}
}

// notifyFixWrites is what fix --yes writes in each FAIL scenario, in order;
// every one ends PASS (the queue subscriber needs no confirmation).
var notifyFixWrites = map[string]string{
	// The key cannot be mended: the alarm gains a new topic.
	"topic-aws-managed-key":        "sns:CreateTopic sns:Subscribe monitoring:PutMetricAlarm",
	"topic-key-without-cloudwatch": "sns:CreateTopic sns:Subscribe monitoring:PutMetricAlarm",
	// A Deny is not overridden by adding an Allow: a new topic too.
	"topic-policy-denies-cloudwatch": "sns:CreateTopic sns:Subscribe monitoring:PutMetricAlarm",
	// CloudWatch's statement is added; nothing else is written.
	"topic-policy-without-cloudwatch": "sns:SetTopicAttributes",
	// An alarm beside the user's notifies the user's working topic.
	"alarm-unit-mismatch":     "monitoring:PutMetricAlarm",
	"alarm-missing-breaching": "monitoring:PutMetricAlarm",
	"alarm-missing-ignore":    "monitoring:PutMetricAlarm",
	"alarm-topic-deleted":     "sns:CreateTopic sns:Subscribe monitoring:PutMetricAlarm",
	"alarm-actions-full":      "sns:CreateTopic sns:Subscribe monitoring:PutMetricAlarm",
	// The group comes back under its name, then the filter on it; the alarm
	// on the metric it emits still works.
	"log-group-deleted":   "logs:CreateLogGroup logs:PutMetricFilter",
	"only-filter-missing": "logs:PutMetricFilter",
}

// fix --yes turns every machine-fixable notification failure into PASS,
// writing exactly the plan, and a second run writes nothing.
func TestFixCommandNotifyScenarios(t *testing.T) {
	for _, sc := range sandbox.NotifyScenarios() {
		if sc.Status != "FAIL" {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			want, ok := notifyFixWrites[sc.Name]
			require.True(t, ok, "a new FAIL scenario needs its expected writes")
			srv := startFixSandbox(t, sc.Name)
			usersAlarm := safetyDig(safetyRegionOf(safetyDump(t, srv)), "alarms", "cloudtrail-config-changes")
			require.NotNil(t, usersAlarm)
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr := runFixCmd(t, "--yes", "--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:alerts", "--journal", journal)
			require.Equal(t, exitOK, code, out+stderr)
			require.Equal(t, want, strings.Join(safetyWritesSince(srv, 0), " "), out)
			safetySameJSON(t, usersAlarm, safetyDig(safetyRegionOf(safetyDump(t, srv)), "alarms", "cloudtrail-config-changes"),
				"the user's alarm is never rewritten: what it lacks goes beside it")
			require.Contains(t, out, "check: FAIL "+sc.Reason+" → PASS")
			code, now := fixCheckStatus(t)
			require.Equal(t, exitOK, code)
			require.Equal(t, "PASS", now)

			n := len(srv.Requests())
			code, out, stderr = runFixCmd(t, "--yes", "--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:alerts", "--journal", journal)
			require.Equal(t, exitOK, code, out+stderr)
			require.Empty(t, safetyWritesSince(srv, n), "a second fix wrote")
		})
	}
}

// The user's topic policy keeps every statement it had, byte for byte, and
// gains CloudWatch's; nothing else in the account changes.
func TestFixCommandKeepsUserTopicPolicyStatements(t *testing.T) {
	srv := startFixSandbox(t, "topic-policy-without-cloudwatch")
	topic := "arn:aws:sns:us-east-1:" + sandbox.DefaultAccount + ":security-alerts"
	original := sandbox.UserTopicPolicy(topic)
	before := safetyDump(t, srv)
	code, out, stderr := runFixCmd(t, "--yes", "--journal", filepath.Join(t.TempDir(), "journal.jsonl"))
	require.Equal(t, exitOK, code, out+stderr)
	after := safetyDump(t, srv)

	policy := safetyDig(safetyRegionOf(after), "topics", topic, "attributes", "Policy").(string)
	var doc struct{ Statement []json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(original), &doc))
	require.Len(t, doc.Statement, 2)
	for _, s := range doc.Statement {
		require.Contains(t, policy, string(s), "a statement of the user's was rewritten")
	}
	i := strings.LastIndex(original, "]")
	require.Equal(t, original[:i], policy[:i], "everything before the added statement is as it was")
	require.Equal(t, original[i:], policy[len(policy)-len(original)+i:], "and everything after it")
	require.Contains(t, policy, `"Sid":"`+plan.CloudWatchStatementSid+`"`)

	// Only the policy attribute changed.
	safetyDig(safetyRegionOf(after), "topics", topic, "attributes").(map[string]any)["Policy"] = original
	delete(before, "seq")
	delete(after, "seq")
	safetySameJSON(t, before, after, "the account apart from the topic policy")
}

// The minimal plan: the filter is the only gap, so exactly one change and
// no --notify asked for.
func TestPlanCommandOnlyTheFilterIsMissing(t *testing.T) {
	code, out, stderr, counts := runPlanCmd(t, "only-filter-missing", "--output", "json")
	require.Equal(t, exitFindings, code, stderr)
	requireOnlyReads(t, counts)
	var p plan.Plan
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	a := p.Accounts[0]
	require.Empty(t, a.Blocked)
	require.False(t, a.NeedsNotify)
	require.Len(t, a.Changes, 1)
	require.Equal(t, "logs:PutMetricFilter", a.Changes[0].Operation)
	tr := a.Changes[0].After["MetricTransformations"].([]any)[0].(map[string]any)
	require.Equal(t, []any{"CISBenchmark", "CloudTrailConfigChanges"}, []any{tr["MetricNamespace"], tr["MetricName"]}, "the metric the working alarm watches")
}

// An alarm that cannot fire on a topic that works: one new trailwatch alarm
// on that topic, nothing else, and nobody to ask whom to notify.
func TestPlanCommandAlarmCannotFireNeedsNoNotify(t *testing.T) {
	code, out, stderr, counts := runPlanCmd(t, "ALARM_CANNOT_FIRE", "--output", "json")
	require.Equal(t, exitFindings, code, stderr)
	requireOnlyReads(t, counts)
	var p plan.Plan
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	a := p.Accounts[0]
	require.Empty(t, a.Blocked)
	require.False(t, a.NeedsNotify)
	require.Len(t, a.Changes, 1)
	require.Equal(t, "cloudwatch:PutMetricAlarm", a.Changes[0].Operation)
	require.Equal(t, []any{"arn:aws:sns:us-east-1:111111111111:security-alerts"}, a.Changes[0].After["AlarmActions"], "the topic the user's alarm notifies")
}

// check --verify-patterns against the sandbox: agreement on the CIS
// pattern, and a clear disagreement when the sandbox answers otherwise.
func TestCheckCommandVerifyPatterns(t *testing.T) {
	srv := startSandbox(t, "compliant")
	code, rep := checkJSON(t, "--verify-patterns")
	require.Equal(t, exitOK, code, rep.Results[0].Message)
	v := rep.Results[0].Trails[0].Filters[0].Verification
	require.NotNil(t, v)
	require.Equal(t, v.Records, v.Agree)
	require.Empty(t, v.Disagreements)
	require.Equal(t, 1, srv.Counts()["logs:TestMetricFilter"], "one call per filter")

	require.NoError(t, srv.SetTestMetricFilterAnswer("none"))
	code, out, stderr := runCheckCmd(t, "--verify-patterns")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Contains(t, out, "MANUAL")
	require.Contains(t, out, "logs:TestMetricFilter and trailwatch disagree on 20 records")
	require.Contains(t, out, "[--] logs:TestMetricFilter agrees on 3 of 33 records (0 settled by AWS)")
	require.Contains(t, out, "StopLogging from assumed-role caller (failed call): trailwatch match, AWS no_match")
	_, rep = checkJSON(t, "--verify-patterns")
	require.Equal(t, check.Manual, rep.Results[0].Status)
	d := rep.Results[0].Trails[0].Filters[0].Verification.Disagreements
	require.NotEmpty(t, d)
	require.Equal(t, "match", d[0].Local)
	require.Equal(t, "no_match", d[0].AWS)

	// Off by default: the sandbox is not asked.
	srv.Reset()
	before := srv.Counts()["logs:TestMetricFilter"]
	runCheckCmd(t)
	require.Equal(t, before, srv.Counts()["logs:TestMetricFilter"])
}

// --kms-key-id: the new topic is encrypted with a customer managed key whose
// policy admits CloudWatch, read before planning; a key that does not admit
// it blocks the account, and the AWS managed key is refused up front.
func TestFixCommandKMSKeyID(t *testing.T) {
	const sqs = "sqs:arn:aws:sqs:us-east-1:111111111111:alerts"
	createKey := func(t *testing.T, policy string) string {
		t.Helper()
		cfg, err := config.LoadDefaultConfig(context.Background())
		require.NoError(t, err)
		out, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{Policy: aws.String(policy)})
		require.NoError(t, err)
		return aws.ToString(out.KeyMetadata.KeyId)
	}
	t.Run("a key that admits CloudWatch", func(t *testing.T) {
		srv := startFixSandbox(t, "topic-aws-managed-key")
		id := createKey(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},`+
			`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`)
		code, out, stderr := runFixCmd(t, "--yes", "--notify", sqs, "--kms-key-id", id)
		require.Equal(t, exitOK, code, out+stderr)
		require.Contains(t, out, "check: FAIL TOPIC_CANNOT_RECEIVE → PASS")
		topic := "arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"
		require.Equal(t, id, safetyDig(safetyRegionOf(safetyDump(t, srv)), "topics", topic, "attributes", "KmsMasterKeyId"))
	})
	t.Run("a key that does not", func(t *testing.T) {
		srv := startFixSandbox(t, "topic-aws-managed-key")
		id := createKey(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`)
		n := len(srv.Requests())
		code, out, stderr := runFixCmd(t, "--yes", "--notify", sqs, "--kms-key-id", id)
		require.Equal(t, exitFindings, code, out+stderr)
		require.Contains(t, out, "--kms-key-id "+id+" cannot encrypt a topic CloudWatch alarms notify")
		require.Empty(t, safetyWritesSince(srv, n))
	})
	t.Run("the AWS managed key", func(t *testing.T) {
		srv := startFixSandbox(t, "topic-aws-managed-key")
		code, out, stderr := runFixCmd(t, "--yes", "--notify", sqs, "--kms-key-id", "alias/aws/sns")
		require.Equal(t, exitUsage, code, out+stderr)
		require.Contains(t, stderr, "CloudWatch cannot use the AWS managed key")
		require.Empty(t, srv.Requests(), "refused before anything is read")
	})
}

// A saved plan that adds CloudWatch's statement applies as planned; one
// whose recorded before was edited is refused (exit 2), and one whose topic
// policy changed since planning is stale (exit 3) — no write either way.
func TestFixSavedPlanAddsCloudWatchStatement(t *testing.T) {
	topic := "arn:aws:sns:us-east-1:" + sandbox.DefaultAccount + ":security-alerts"
	save := func(t *testing.T) (*sandbox.Server, string) {
		srv := startFixSandbox(t, "topic-policy-without-cloudwatch")
		file := filepath.Join(t.TempDir(), "plan.json")
		code, out, stderr := runSafetyCmd(t, "plan", "--out", file)
		require.Equal(t, exitFindings, code, out+stderr)
		return srv, file
	}
	edit := func(t *testing.T, file string, f func(c map[string]any)) {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(raw, &p))
		f(p["accounts"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any))
		raw, err = json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, raw, 0o600))
	}
	t.Run("as planned", func(t *testing.T) {
		srv, file := save(t)
		code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "j.jsonl"), "--yes", "--plan", file)
		require.Equal(t, exitOK, code, out+stderr)
		require.Equal(t, []string{"sns:SetTopicAttributes"}, safetyWritesSince(srv, 0))
		require.Contains(t, out, "check: FAIL TOPIC_CANNOT_RECEIVE → PASS")
	})
	t.Run("an edited before", func(t *testing.T) {
		srv, file := save(t)
		edit(t, file, func(c map[string]any) { c["before"].(map[string]any)["AttributeValue"] = `{"Statement":[]}` })
		code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "j.jsonl"), "--yes", "--plan", file)
		require.Equal(t, exitUsage, code, out+stderr)
		require.Contains(t, stderr+out, "before.AttributeValue")
		require.Empty(t, safetyWritesSince(srv, 0))
	})
	t.Run("a policy changed since planning", func(t *testing.T) {
		srv, file := save(t)
		dump := safetyDump(t, srv)
		safetyDig(safetyRegionOf(dump), "topics", topic, "attributes").(map[string]any)["Policy"] = `{"Version":"2012-10-17","Statement":[]}`
		raw, err := json.Marshal(dump)
		require.NoError(t, err)
		require.NoError(t, srv.LoadState(raw))
		code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "j.jsonl"), "--yes", "--plan", file)
		require.Equal(t, exitFailed, code, out+stderr)
		require.Contains(t, out, "stale")
		require.Empty(t, safetyWritesSince(srv, 0))
	})
}
