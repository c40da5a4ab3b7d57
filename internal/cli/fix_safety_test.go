package cli

// End-to-end safety tests of `trailwatch fix` (docs/design.md: fix and never-clobber rules) through
// runApp, the real SDK and the in-process sandbox: never clobber what the
// tool did not create, carry a user's alarm forward whole, refuse a stale
// plan without writing, stop and report on a failure, converge on a re-run,
// and roll back only what the run created.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

const (
	// safetySQS is confirmed as soon as it subscribes, so a fix can end PASS.
	safetySQS     = "sqs:arn:aws:sqs:us-east-1:111111111111:q"
	safetyAccount = sandbox.DefaultAccount
	safetyRegion  = sandbox.DefaultRegion
	// safetyName is the name plan gives the topic, filter and alarm it creates.
	safetyName  = "trailwatch-cloudtrail-changes"
	safetyTopic = "arn:aws:sns:us-east-1:111111111111:" + safetyName
	// safetyGroup is the log group the sandbox's trails deliver to.
	safetyGroup = "aws-cloudtrail-logs-111111111111"
	// Deny the alarm write, the last change of every plan. The sandbox names
	// CloudWatch by its endpoint prefix, "monitoring".
	denyAlarmWrite = "monitoring:PutMetricAlarm"
)

// runSafetyCmd runs `trailwatch ARGS…` with no terminal against whatever
// startSandbox pointed the environment at.
func runSafetyCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	code = runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
	return code, out.String(), errOut.String()
}

// runFixSafety runs `trailwatch fix --journal JOURNAL ARGS…`.
func runFixSafety(t *testing.T, journal string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runSafetyCmd(t, append([]string{"fix", "--journal", journal}, args...)...)
}

// safetyDump is the sandbox state, parsed.
func safetyDump(t *testing.T, srv *sandbox.Server) map[string]any {
	t.Helper()
	b, err := srv.DumpState()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// safetyResources is the dump without what is not a resource: seq numbers
// generated IDs and moves with every subscription, created or not.
func safetyResources(t *testing.T, srv *sandbox.Server) map[string]any {
	t.Helper()
	m := safetyDump(t, srv)
	require.Contains(t, m, "seq", "the dump format changed: revisit what is not a resource")
	delete(m, "seq")
	return m
}

// safetyDig walks nested JSON objects; nil when a key is missing.
func safetyDig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// safetyRegionOf is the default account's us-east-1 safetySection of a dump.
func safetyRegionOf(dump map[string]any) map[string]any {
	r, _ := safetyDig(dump, "accounts", safetyAccount, "regions", safetyRegion).(map[string]any)
	return r
}

// safetySection returns a region's map of one resource type, creating it.
func safetySection(region map[string]any, name string) map[string]any {
	m, ok := region[name].(map[string]any)
	if !ok {
		m = map[string]any{}
		region[name] = m
	}
	return m
}

// seedSafety edits the default account's us-east-1 state through a dump and
// LoadState, so tests add users' resources without new sandbox API.
func seedSafety(t *testing.T, srv *sandbox.Server, edit func(region map[string]any)) {
	t.Helper()
	dump := safetyDump(t, srv)
	r := safetyRegionOf(dump)
	require.NotNil(t, r)
	edit(r)
	b, err := json.Marshal(dump)
	require.NoError(t, err)
	require.NoError(t, srv.LoadState(b))
}

// safetySameJSON compares two parts of dumps exactly.
func safetySameJSON(t *testing.T, want, got any, what string) {
	t.Helper()
	require.NotNil(t, want, "%s: nothing to compare", what)
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g), what)
}

// safetyWritesSince lists the non-read API calls after the first n requests.
func safetyWritesSince(srv *sandbox.Server, n int) []string {
	var out []string
	for _, r := range srv.Requests()[n:] {
		if !strings.HasPrefix(r.Action, "Describe") && !strings.HasPrefix(r.Action, "Get") && !strings.HasPrefix(r.Action, "List") {
			out = append(out, r.Service+":"+r.Action)
		}
	}
	return out
}

func safetyJournal(t *testing.T, path string) []fix.Entry {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []fix.Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e fix.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

// stepLines are the per-step lines of fix's report: a mark, the change ID.
// A step reads "✓ ID + OPERATION TARGET STATUS" (~ for an update); a
// rollback step has no action mark.
var safetyStepLine = regexp.MustCompile(`(?m)^  ([✓✗\-↺!]) (\S+)\s+(?:[+~] )?(\S+)\s+(.*)$`)

type safetyStep struct{ mark, id, op, rest string }

// safetySteps parses the per-step report of fix's stdout (not the rollback).
func safetySteps(stdout string) (steps, rollback []safetyStep) {
	inRollback := false
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "  rollback ("):
			inRollback = true
			continue
		case !strings.HasPrefix(line, "  "):
			inRollback = false
			continue
		}
		m := safetyStepLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := safetyStep{m[1], m[2], m[3], strings.TrimSpace(m[4])}
		if inRollback {
			rollback = append(rollback, s)
		} else if strings.Contains(m[3], ":") {
			steps = append(steps, s)
		}
	}
	return steps, rollback
}

func safetySDKConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	require.NoError(t, err)
	return cfg
}

// safetyKeptAll requires every resource of before to be in after unchanged
// (fix may add resources, never alter one), except those skip names as
// "section/key" (e.g. "alarms/NAME").
func safetyKeptAll(t *testing.T, before, after map[string]any, skip ...string) {
	t.Helper()
	for id, acct := range safetyDig(before, "accounts").(map[string]any) {
		for name, role := range safetyMap(safetyDig(acct, "roles")) {
			safetySameJSON(t, role, safetyDig(after, "accounts", id, "roles", name), "role "+name)
		}
		for reg, rs := range safetyMap(safetyDig(acct, "regions")) {
			now := safetyDig(after, "accounts", id, "regions", reg)
			for _, sec := range []string{"topics", "subscriptions", "alarms", "trails", "logGroups"} {
				for key, v := range safetyMap(safetyDig(rs, sec)) {
					if slices.Contains(skip, sec+"/"+key) {
						continue
					}
					got := safetyDig(now, sec, key)
					if sec == "logGroups" {
						for fname, f := range safetyMap(safetyDig(v, "filters")) {
							safetySameJSON(t, f, safetyDig(got, "filters", fname), "filter "+key+" / "+fname)
						}
						v, got = safetyWithout(v, "filters"), safetyWithout(got, "filters")
					}
					safetySameJSON(t, v, got, sec+" "+key)
				}
			}
		}
	}
}

func safetyMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func safetyWithout(v any, key string) map[string]any {
	out := map[string]any{}
	for k, x := range safetyMap(v) {
		if k != key {
			out[k] = x
		}
	}
	return out
}

func safetyTagged(v any) bool {
	tags, _ := v.([]any)
	for _, tg := range tags {
		if safetyDig(tg, "key") == plan.ManagedByKey && safetyDig(tg, "value") == plan.ManagedByValue {
			return true
		}
	}
	return false
}

// 1. A same-named filter, alarm and topic trailwatch did not create survive
// fix byte for byte; fix takes the next free names and still ends PASS.
func TestFixSafetyNeverClobbersSameNamedResources(t *testing.T) {
	srv := startSandbox(t, "no-matching-filter")
	socTopic := "arn:aws:sns:us-east-1:111111111111:soc-pager"
	socSub := safetyTopic + ":00000099-0000-4000-8000-000000000099"
	seedSafety(t, srv, func(r map[string]any) {
		// The scenario's own alarm is switched off, so the filter is not all
		// that is missing: fix needs a topic, a filter and an alarm.
		safetyDig(r, "alarms", "cloudtrail-config-changes").(map[string]any)["actionsEnabled"] = false
		group := safetyDig(r, "logGroups", safetyGroup).(map[string]any)
		safetySection(group, "filters")[safetyName] = map[string]any{
			"name": safetyName, "pattern": `{ $.eventName = ConsoleLogin }`, "created": "2024-01-02T03:04:05Z",
			"transformation": map[string]any{"metricName": "ConsoleLogins", "metricNamespace": "SOC", "metricValue": "1"},
		}
		safetySection(r, "alarms")[safetyName] = map[string]any{
			"name": safetyName, "description": "SOC: console sign-ins", "actionsEnabled": true,
			"alarmActions": []string{socTopic}, "okActions": []string{socTopic},
			"metricName": "ConsoleLogins", "namespace": "SOC", "statistic": "Sum", "period": 60,
			"evaluationPeriods": 3, "datapointsToAlarm": 2, "threshold": 5, "comparisonOperator": "GreaterThanThreshold",
			"treatMissingData": "ignore", "stateValue": "OK", "stateReason": "quiet", "stateUpdated": "2024-01-02T03:04:05Z",
			"configUpdated": "2024-01-02T03:04:05Z", "tags": []map[string]string{{"key": "team", "value": "soc"}},
		}
		safetySection(r, "topics")[safetyTopic] = map[string]any{
			"arn": safetyTopic, "tags": []map[string]string{{"key": "team", "value": "soc"}},
			"attributes": map[string]string{"DisplayName": "SOC pager",
				"Policy": `{"Version":"2012-10-17","Statement":[{"Sid":"soc-only","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"SNS:Publish","Resource":"` + safetyTopic + `"}]}`},
		}
		safetySection(r, "subscriptions")[socSub] = map[string]any{
			"arn": socSub, "topicArn": safetyTopic, "protocol": "email", "endpoint": "soc@example.com", "owner": safetyAccount,
		}
	})
	whole := safetyDump(t, srv)
	before := safetyRegionOf(whole)
	users := map[string]any{
		"filter":       safetyDig(before, "logGroups", safetyGroup, "filters", safetyName),
		"alarm":        safetyDig(before, "alarms", safetyName),
		"topic":        safetyDig(before, "topics", safetyTopic),
		"subscription": safetyDig(before, "subscriptions", socSub),
	}

	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	code, out, stderr := runFixSafety(t, journal, "--yes", "--notify", safetySQS)
	require.Equal(t, exitOK, code, out+stderr)
	require.Contains(t, out, "check: FAIL NO_MATCHING_FILTER → PASS")

	safetyKeptAll(t, whole, safetyDump(t, srv))
	after := safetyRegionOf(safetyDump(t, srv))
	safetySameJSON(t, users["filter"], safetyDig(after, "logGroups", safetyGroup, "filters", safetyName), "the user's filter")
	safetySameJSON(t, users["alarm"], safetyDig(after, "alarms", safetyName), "the user's alarm")
	safetySameJSON(t, users["topic"], safetyDig(after, "topics", safetyTopic), "the user's topic")
	safetySameJSON(t, users["subscription"], safetyDig(after, "subscriptions", socSub), "the user's subscription")
	for _, sub := range safetyDig(after, "subscriptions").(map[string]any) {
		if safetyDig(sub, "topicArn") == safetyTopic {
			require.Equal(t, socSub, safetyDig(sub, "arn"), "nobody was subscribed to the user's topic")
		}
	}

	// What fix made instead, under the next free names.
	name2, topic2 := safetyName+"-2", safetyTopic+"-2"
	require.True(t, safetyTagged(safetyDig(after, "topics", topic2, "tags")), "the new topic is safetyTagged at creation")
	require.Equal(t, plan.CISPattern, safetyDig(after, "logGroups", safetyGroup, "filters", name2, "pattern"))
	require.True(t, safetyTagged(safetyDig(after, "alarms", name2, "tags")), "the new alarm is safetyTagged at creation")
	require.Equal(t, []any{topic2}, safetyDig(after, "alarms", name2, "alarmActions"))
	for _, e := range safetyJournal(t, journal) {
		require.NotContains(t, []string{safetyTopic, safetyName, safetyGroup + " / " + safetyName}, strings.SplitN(e.Target, " ← ", 2)[0],
			"fix wrote to a name it does not own: %+v", e)
	}

	// Run again: nothing left to do, nothing written, the user's still intact.
	n := len(srv.Requests())
	code, out, stderr = runFixSafety(t, journal, "--yes", "--notify", safetySQS)
	require.Equal(t, exitOK, code, out+stderr)
	require.Empty(t, safetyWritesSince(srv, n))
	again := safetyRegionOf(safetyDump(t, srv))
	safetySameJSON(t, users["alarm"], safetyDig(again, "alarms", safetyName), "the user's alarm, second run")
	safetySameJSON(t, users["topic"], safetyDig(again, "topics", safetyTopic), "the user's topic, second run")
}

// 1b. When every name it may use is taken by someone else's topic, fix
// writes nothing and says what to do.
func TestFixSafetyAllNamesTakenWritesNothing(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	seedSafety(t, srv, func(r map[string]any) {
		for i := 1; i <= 9; i++ {
			arn := safetyTopic
			if i > 1 {
				arn = fmt.Sprintf("%s-%d", safetyTopic, i)
			}
			safetySection(r, "topics")[arn] = map[string]any{"arn": arn, "attributes": map[string]string{"DisplayName": "someone else's"}}
		}
	})
	before := safetyResources(t, srv)
	code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--notify", safetySQS)
	require.Equal(t, exitFindings, code, out+stderr)
	require.Contains(t, out, "are all taken by topics trailwatch did not create; pass --topic-arn")
	require.Empty(t, safetyWritesSince(srv, 0))
	require.Equal(t, before, safetyResources(t, srv))
}

// 2. An alarm that only lacked its SNS action keeps every setting; only
// AlarmActions gains the topic, after what it already had.
func TestFixSafetyAddsTopicToUsersAlarmKeepingEverything(t *testing.T) {
	srv := startSandbox(t, "no-alarm-topic")
	const alarmName = "cloudtrail-config-changes"
	opsItem := "arn:aws:ssm:us-east-1:111111111111:opsitem:3"
	seedSafety(t, srv, func(r map[string]any) {
		filter := safetyDig(r, "logGroups", safetyGroup, "filters", alarmName).(map[string]any)
		filter["transformation"].(map[string]any)["unit"] = "Count"
		a := safetyDig(r, "alarms", alarmName).(map[string]any)
		a["description"] = "Page the SOC on any trail change (runbook RB-12)"
		a["alarmActions"] = []string{opsItem}
		a["okActions"] = []string{"arn:aws:sns:us-east-1:111111111111:ops-recovered"}
		a["insufficientDataActions"] = []string{"arn:aws:sns:us-east-1:111111111111:ops-nodata"}
		a["datapointsToAlarm"] = 1
		a["treatMissingData"] = "missing"
		a["unit"] = "Count"
		a["period"] = 60
		a["tags"] = []map[string]string{{"key": "owner", "value": "soc"}}
	})
	whole := safetyDump(t, srv)
	before := safetyDig(whole, "accounts", safetyAccount, "regions", safetyRegion, "alarms", alarmName).(map[string]any)

	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	code, out, stderr := runFixSafety(t, journal, "--yes", "--notify", safetySQS)
	require.Equal(t, exitOK, code, out+stderr)
	require.Contains(t, out, "~ cloudwatch:PutMetricAlarm "+alarmName)
	require.Contains(t, out, "check: FAIL NO_ALARM_TOPIC → PASS")

	safetyKeptAll(t, whole, safetyDump(t, srv), "alarms/"+alarmName)
	after := safetyDig(safetyDump(t, srv), "accounts", safetyAccount, "regions", safetyRegion, "alarms", alarmName).(map[string]any)
	require.Equal(t, []any{opsItem, safetyTopic}, after["alarmActions"], "the topic is added after the actions the alarm had")
	for _, k := range []string{"alarmActions", "configUpdated"} {
		delete(before, k)
		delete(after, k)
	}
	for k, v := range before {
		require.Equalf(t, v, after[k], "alarm field %s", k)
	}
	for k := range after {
		require.Containsf(t, before, k, "alarm field %s appeared", k)
	}
	var writes []string
	for _, e := range safetyJournal(t, journal) {
		writes = append(writes, e.Operation+" "+e.Target)
	}
	require.Equal(t, []string{"sns:CreateTopic " + safetyTopic, "sns:Subscribe " + safetyTopic + " ← " + safetySQS,
		"cloudwatch:PutMetricAlarm " + alarmName}, writes, "one update to the user's alarm, no new alarm")
}

// 2b. An alarm whose action list is full cannot gain the topic: fix puts a
// trailwatch alarm beside it rather than drop one of the user's actions,
// and the user's alarm is not touched.
func TestFixSafetyFullActionListGetsAlarmBeside(t *testing.T) {
	srv := startSandbox(t, "alarm-actions-full")
	const alarmName = "cloudtrail-config-changes"
	whole := safetyDump(t, srv)
	before := safetyDig(whole, "accounts", safetyAccount, "regions", safetyRegion, "alarms", alarmName)
	code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--notify", safetySQS)
	require.Equal(t, exitOK, code, out+stderr)
	require.Contains(t, out, "check: FAIL NO_ALARM_TOPIC → PASS")
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, safetyWritesSince(srv, 0))
	after := safetyDump(t, srv)
	safetySameJSON(t, before, safetyDig(after, "accounts", safetyAccount, "regions", safetyRegion, "alarms", alarmName), "the user's alarm")
	require.Equal(t, []any{safetyTopic}, safetyDig(safetyRegionOf(after), "alarms", safetyName, "alarmActions"))
}

// 3. A saved plan is refused when the account moved on, without a single
// write; an untouched one applies; its shape cannot be changed by flags.
func TestFixSafetySavedPlan(t *testing.T) {
	const notify = "email:a@example.com"
	savePlan := func(t *testing.T) (*sandbox.Server, string) { return savedPlan(t, "no-alarm", "--notify", notify) }
	requireStale := func(t *testing.T, srv *sandbox.Server, file, changed string) {
		t.Helper()
		n, before := len(srv.Requests()), safetyResources(t, srv)
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		code, out, stderr := runFixSafety(t, journal, "--yes", "--plan", file)
		require.Equal(t, exitFailed, code, out+stderr)
		require.Contains(t, out, "plan is stale")
		require.Contains(t, out, changed, "the report names what changed")
		require.Empty(t, safetyWritesSince(srv, n), "a stale plan writes nothing")
		require.Equal(t, before, safetyResources(t, srv))
		require.Empty(t, safetyJournal(t, journal))
		steps, _ := safetySteps(out)
		require.NotEmpty(t, steps)
		for _, s := range steps {
			require.Equal(t, "-", s.mark, "%+v", s)
			require.Contains(t, s.rest, "skipped")
		}
	}

	t.Run("topic created since planning", func(t *testing.T) {
		srv, file := savePlan(t)
		_, err := sns.NewFromConfig(safetySDKConfig(t)).CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(safetyName)})
		require.NoError(t, err)
		requireStale(t, srv, file, "sns:Topic in us-east-1 now exists:\n    "+safetyTopic+"\n")
	})

	t.Run("alarm created since planning", func(t *testing.T) {
		srv, file := savePlan(t)
		_, err := cloudwatch.NewFromConfig(safetySDKConfig(t)).PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(safetyName), Namespace: aws.String("SOC"), MetricName: aws.String("ConsoleLogins"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(3),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
		require.NoError(t, err)
		requireStale(t, srv, file, "cloudwatch:Alarm in us-east-1 now exists:\n    "+safetyName+"\n")
	})

	t.Run("untouched plan applies, then is stale", func(t *testing.T) {
		srv, file := savePlan(t)
		n := len(srv.Requests())
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		code, out, stderr := runFixSafety(t, journal, "--yes", "--plan", file)
		require.Equal(t, exitFindings, code, "an email subscriber is pending: %s%s", out, stderr)
		require.Contains(t, out, "check: FAIL NO_ALARM → FAIL NO_CONFIRMED_SUBSCRIBER")
		require.Contains(t, out, "waiting for a person:")
		require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, safetyWritesSince(srv, n))
		require.Len(t, srv.ConfirmPendingSubscriptions(), 1)
		code, out, stderr = runSafetyCmd(t, "check")
		require.Equal(t, exitOK, code, out+stderr)

		// The same file again: what it would create now exists.
		requireStale(t, srv, file, "sns:Topic in us-east-1 now exists:\n    "+safetyTopic)
	})

	t.Run("user's alarm edited since planning", func(t *testing.T) {
		srv, file := savedPlan(t, "no-alarm-topic", "--notify", safetySQS)
		// Someone documents the alarm meanwhile: applying the update planned
		// from the old copy would erase the description.
		documentUserAlarm(t)
		requireStale(t, srv, file, "cloudwatch:Alarm in us-east-1 was changed:\n    cloudtrail-config-changes\n")
	})

	t.Run("trail wired since a --wire-logs plan", func(t *testing.T) {
		srv := startSandbox(t, "no-cloudwatch-logs")
		file := filepath.Join(t.TempDir(), "plan.json")
		code, out, stderr := runSafetyCmd(t, "plan", "--wire-logs", "--notify", safetySQS, "--out", file)
		require.Equal(t, exitFindings, code, out+stderr)
		// Someone wires the trail to their own group meanwhile: the whole
		// plan (a group, a role, the trail update) is moot.
		_, err := cloudtrail.NewFromConfig(safetySDKConfig(t)).UpdateTrail(context.Background(), &cloudtrail.UpdateTrailInput{
			Name:                      aws.String("arn:aws:cloudtrail:us-east-1:111111111111:trail/management-events"),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:" + safetyGroup + ":*"),
			CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::111111111111:role/CloudTrail_CloudWatchLogs_Role")})
		require.NoError(t, err)
		requireStale(t, srv, file, "now delivers to arn:aws:logs:us-east-1:111111111111:log-group:"+safetyGroup)
	})

	t.Run("edited to write what it never read", func(t *testing.T) {
		srv, file := savePlan(t)
		// The user's own alarm, which the plan never looked at…
		_, err := cloudwatch.NewFromConfig(safetySDKConfig(t)).PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("soc-alarm"), Namespace: aws.String("SOC"), MetricName: aws.String("ConsoleLogins"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(3),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
		require.NoError(t, err)
		// …and a plan file hand-edited to name it: applying it would be a
		// blind put over the user's alarm.
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(raw, &p))
		edits := 0
		for _, c := range safetyDig(p, "accounts").([]any)[0].(map[string]any)["changes"].([]any) {
			if c := c.(map[string]any); c["operation"] == "cloudwatch:PutMetricAlarm" {
				c["target"] = "soc-alarm"
				c["request"].(map[string]any)["AlarmName"] = "soc-alarm"
				edits++
			}
		}
		require.Equal(t, 1, edits)
		raw, err = json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, raw, 0o600))
		before := safetyResources(t, srv)
		n := len(srv.Requests())
		code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--plan", file)
		require.Equal(t, exitUsage, code, out+stderr)
		require.Contains(t, stderr, "soc-alarm")
		require.Contains(t, stderr, "never read")
		require.Empty(t, safetyWritesSince(srv, n))
		require.Equal(t, before, safetyResources(t, srv))
	})

	t.Run("edited to update another trail", func(t *testing.T) {
		srv := startSandbox(t, "no-cloudwatch-logs")
		// Another trail of the account, wired to its own log group.
		seedSafety(t, srv, func(r map[string]any) {
			trails := safetySection(r, "trails")
			audit := map[string]any{}
			for k, v := range trails["management-events"].(map[string]any) {
				audit[k] = v
			}
			audit["name"], audit["isMultiRegionTrail"] = "audit", false
			audit["cloudWatchLogsLogGroupArn"] = "arn:aws:logs:us-east-1:111111111111:log-group:audit-logs:*"
			audit["cloudWatchLogsRoleArn"] = "arn:aws:iam::111111111111:role/CloudTrail_CloudWatchLogs_Role"
			trails["audit"] = audit
			safetySection(r, "logGroups")["audit-logs"] = map[string]any{"name": "audit-logs", "created": "2024-01-02T03:04:05Z"}
		})
		file := filepath.Join(t.TempDir(), "plan.json")
		code, out, stderr := runSafetyCmd(t, "plan", "--wire-logs", "--notify", safetySQS, "--out", file)
		require.Equal(t, exitFindings, code, out+stderr)
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(raw, &p))
		edits := 0
		for _, c := range safetyDig(p, "accounts").([]any)[0].(map[string]any)["changes"].([]any) {
			if c := c.(map[string]any); c["operation"] == "cloudtrail:UpdateTrail" {
				c["request"].(map[string]any)["Name"] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/audit"
				edits++
			}
		}
		require.Equal(t, 1, edits)
		raw, err = json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, raw, 0o600))
		before, n := safetyResources(t, srv), len(srv.Requests())
		code, out, stderr = runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--plan", file)
		require.Equal(t, exitUsage, code, out+stderr)
		require.Contains(t, stderr, "updates trail arn:aws:cloudtrail:us-east-1:111111111111:trail/audit but targets")
		require.Empty(t, safetyWritesSince(srv, n))
		require.Equal(t, before, safetyResources(t, srv))
	})

	t.Run("plan-shaping flags are refused", func(t *testing.T) {
		srv, file := savePlan(t)
		n := len(srv.Requests())
		for _, args := range [][]string{{"--notify", "email:x@example.com"}, {"--wire-logs"}, {"--name-prefix", "x-"}} {
			code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), append([]string{"--yes", "--plan", file}, args...)...)
			require.Equal(t, exitUsage, code, out+stderr)
			require.Contains(t, stderr, "cannot change a saved plan")
			require.Len(t, srv.Requests(), n, "nothing is read or written")
		}
	})
}

// 4. A write that fails stops the account with a per-step report and exit
// 3; a re-run converges, reusing what the failed run created.
func TestFixSafetyMidApplyFailureThenConverges(t *testing.T) {
	for _, tc := range []struct {
		scenario, deny, failed, code, action string
		wantSteps                            []string // mark id, in plan order
		rerunWrites                          []string
	}{
		{"no-alarm", denyAlarmWrite, "alarm", "AccessDenied", "cloudwatch:PutMetricAlarm", []string{"✓ topic", "✓ subscribe-1", "✗ alarm"},
			[]string{"monitoring:PutMetricAlarm"}},
		// Nothing but the trail and its log group work: topic, filter, alarm.
		{"demo", "logs:PutMetricFilter", "filter", "AccessDeniedException", "logs:PutMetricFilter", []string{"✓ topic", "✓ subscribe-1", "✗ filter", "- alarm"},
			[]string{"logs:PutMetricFilter", "monitoring:PutMetricAlarm"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startSandbox(t, tc.scenario)
			srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: tc.deny}}})
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr := runFixSafety(t, journal, "--yes", "--notify", safetySQS)
			require.Equal(t, exitFailed, code, out+stderr)

			steps, rollback := safetySteps(out)
			require.Empty(t, rollback, "no rollback unless asked")
			var got []string
			for _, s := range steps {
				got = append(got, s.mark+" "+s.id)
				switch s.mark {
				case "✓":
					require.Regexp(t, `\sapplied(: |$)`, s.rest)
				case "✗":
					// The AWS code, and the IAM action the caller lacks.
					require.True(t, strings.HasSuffix(s.rest, "failed: "+tc.code+" on "+tc.action+" — missing permission "+tc.action), "%+v", s)
				case "-":
					require.True(t, strings.HasSuffix(s.rest, "skipped"), "%+v", s)
				}
			}
			require.Equal(t, tc.wantSteps, got, out)
			applied := slices.IndexFunc(got, func(s string) bool { return strings.HasPrefix(s, "✗") })
			require.Contains(t, out, fmt.Sprintf("failed after %d of %d changes", applied, len(tc.wantSteps)))
			require.Contains(t, out, "apply failed")

			entries := safetyJournal(t, journal)
			require.Len(t, entries, applied+1, "every write tried is journaled, nothing after the failure")
			require.Equal(t, tc.failed, entries[applied].Change)
			require.Equal(t, "error", entries[applied].Result)
			require.Contains(t, entries[applied].Error, tc.code)

			// Access restored: the re-run reuses the safetyTagged topic and the
			// confirmed subscription and writes only what is missing.
			srv.SetFaults(sandbox.Faults{})
			n := len(srv.Requests())
			code, out, stderr = runFixSafety(t, journal, "--yes", "--notify", safetySQS)
			require.Equal(t, exitOK, code, out+stderr)
			require.Equal(t, tc.rerunWrites, safetyWritesSince(srv, n))
			require.Contains(t, out, "→ PASS")
			subs := 0
			for _, s := range safetyDig(safetyDump(t, srv), "accounts", safetyAccount, "regions", safetyRegion, "subscriptions").(map[string]any) {
				if safetyDig(s, "topicArn") == safetyTopic {
					subs++
				}
			}
			require.Equal(t, 1, subs, "no duplicate subscription")
		})
	}
}

// 5. --rollback after a failed write deletes everything this run created and
// nothing else: the state ends as it began.
func TestFixSafetyRollback(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		args     []string
		undone   []string // the journal's rollback operations, in order
		// noAlarm deletes the scenario's alarm, so the whole chain is planned.
		noAlarm bool
	}{
		{"no-cloudwatch-logs", []string{"--wire-logs", "--retention-days", "90"}, []string{
			"logs:DeleteMetricFilter", "cloudtrail:UpdateTrail", "iam:DeleteRolePolicy", "iam:DeleteRole",
			"logs:DeleteLogGroup", "sns:Unsubscribe", "sns:DeleteTopic"}, true},
		{"no-alarm", nil, []string{"sns:Unsubscribe", "sns:DeleteTopic"}, false},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			srv := startSandbox(t, tc.scenario)
			if tc.noAlarm {
				seedSafety(t, srv, func(r map[string]any) { delete(r["alarms"].(map[string]any), "cloudtrail-config-changes") })
			}
			srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: denyAlarmWrite}}})
			before := safetyResources(t, srv)
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr := runFixSafety(t, journal, append([]string{"--yes", "--rollback", "--notify", safetySQS}, tc.args...)...)
			require.Equal(t, exitFailed, code, out+stderr)
			safetySameJSON(t, before, safetyResources(t, srv), "state after rollback")

			var undone []string
			for _, e := range safetyJournal(t, journal) {
				if strings.HasPrefix(e.Detail, "rollback of ") {
					require.Equal(t, "ok", e.Result, "%+v", e)
					undone = append(undone, e.Operation)
				}
			}
			require.Equal(t, tc.undone, undone)
			_, rollback := safetySteps(out)
			require.Len(t, rollback, len(tc.undone), out)
			for _, s := range rollback {
				require.Equal(t, "↺", s.mark, "%+v", s)
			}
			require.Regexp(t, `(?m)^`+safetyAccount+`\s+\(default\)\s+0/\d+\s+FAIL `, out, "the summary counts nothing as still applied")
		})
	}

	// A subscription that existed before the run (pending, as the user left
	// it) is re-subscribed by the plan to resend its confirmation; SNS answers
	// with the same subscription, which the rollback must leave alone.
	t.Run("pending subscription that existed before", func(t *testing.T) {
		srv := startSandbox(t, "no-alarm")
		const usersTopic = "arn:aws:sns:us-east-1:111111111111:security-alerts"
		seedSafety(t, srv, func(r map[string]any) {
			for _, s := range r["subscriptions"].(map[string]any) {
				s.(map[string]any)["pending"] = true
				s.(map[string]any)["token"] = strings.Repeat("ab", 32)
			}
		})
		srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: denyAlarmWrite}}})
		before := safetyResources(t, srv)
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		code, out, stderr := runFixSafety(t, journal, "--yes", "--rollback", "--topic-arn", usersTopic, "--notify", "email:security@example.com")
		require.Equal(t, exitFailed, code, out+stderr)
		require.Contains(t, out, "sns:Subscribe", "the plan re-subscribes the pending endpoint")
		safetySameJSON(t, before, safetyResources(t, srv), "state after rollback")
	})

	// A topic an earlier run created is reused, not created, by this one:
	// rolling this run back leaves it.
	t.Run("topic from an earlier run", func(t *testing.T) {
		srv := startSandbox(t, "no-alarm")
		srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: denyAlarmWrite}}})
		journal := filepath.Join(t.TempDir(), "journal.jsonl")
		code, out, stderr := runFixSafety(t, journal, "--yes", "--notify", safetySQS)
		require.Equal(t, exitFailed, code, out+stderr)
		before := safetyResources(t, srv)
		require.NotNil(t, safetyDig(safetyRegionOf(safetyDump(t, srv)), "topics", safetyTopic))

		n := len(safetyJournal(t, journal))
		code, out, stderr = runFixSafety(t, journal, "--yes", "--rollback", "--notify", safetySQS)
		require.Equal(t, exitFailed, code, out+stderr)
		safetySameJSON(t, before, safetyResources(t, srv), "state after the second run's rollback")
		for _, e := range safetyJournal(t, journal)[n:] {
			require.NotEqual(t, "sns:DeleteTopic", e.Operation, "%+v", e)
		}
	})
}
