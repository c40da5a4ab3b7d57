package fix_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/mocks"
	"github.com/trailwatch/trailwatch/plan"
)

const (
	account  = "111111111111"
	region   = "us-east-1"
	topicARN = "arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"
	trailARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
	roleARN  = "arn:aws:iam::111111111111:role/trailwatch-cloudtrail-logs"
	groupARN = "arn:aws:logs:us-east-1:111111111111:log-group:trailwatch-cloudtrail"
)

// world holds one account's mocked writers; a call nobody expected fails
// the test, which is how "never called" is asserted.
type world struct {
	topics *mocks.TopicWriter
	logs   *mocks.LogsWriter
	alarms *mocks.AlarmWriter
	roles  *mocks.RoleWriter
	trails *mocks.TrailWriter
	alarmR *mocks.AlarmReader
	order  []string
	mu     sync.Mutex
}

func newWorld(t *testing.T) *world {
	return &world{topics: mocks.NewTopicWriter(t), logs: mocks.NewLogsWriter(t), alarms: mocks.NewAlarmWriter(t),
		roles: mocks.NewRoleWriter(t), trails: mocks.NewTrailWriter(t), alarmR: mocks.NewAlarmReader(t)}
}

// saw records the order of calls across services.
func (w *world) saw(op string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.order = append(w.order, op)
}

func (w *world) job(changes []plan.Change, fps ...plan.Fingerprint) fix.Job {
	if fps == nil {
		fps = []plan.Fingerprint{}
	}
	return fix.Job{
		Plan:    plan.AccountPlan{Account: account, Region: region, Status: "FAIL", Changes: changes, Fingerprints: fps},
		Profile: "prod",
		Readers: plan.Readers{Alarms: func(string) plan.AlarmReader { return w.alarmR }},
		Writers: fix.Writers{
			Topics: func(string) fix.TopicWriter { return w.topics },
			Logs:   func(string) fix.LogsWriter { return w.logs },
			Alarms: func(string) fix.AlarmWriter { return w.alarms },
			Roles:  w.roles,
			Trails: func(string) fix.TrailWriter { return w.trails },
		},
	}
}

func change(t *testing.T, id, op string, action plan.Action, target string, request any) plan.Change {
	t.Helper()
	raw, err := json.Marshal(request)
	require.NoError(t, err)
	r := region
	if op[:4] == "iam:" {
		r = "global"
	}
	return plan.Change{ID: id, Action: action, Operation: op, Region: r, Target: target, Request: raw, Fixes: "NO_ALARM"}
}

func topicChange(t *testing.T) plan.Change {
	return change(t, "topic", "sns:CreateTopic", plan.Create, topicARN, sns.CreateTopicInput{Name: aws.String("trailwatch-cloudtrail-changes")})
}

func subscribeChange(t *testing.T, protocol, endpoint string) plan.Change {
	return change(t, "subscribe-1", "sns:Subscribe", plan.Create, topicARN+" ← "+protocol+":"+endpoint,
		sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint), ReturnSubscriptionArn: true})
}

func filterChange(t *testing.T) plan.Change {
	return change(t, "filter", "logs:PutMetricFilter", plan.Create, "trail-logs / trailwatch-cloudtrail-changes",
		map[string]any{"logGroupName": "trail-logs", "filterName": "trailwatch-cloudtrail-changes", "filterPattern": plan.CISPattern,
			"metricTransformations": []map[string]any{{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}}})
}

func alarmChange(t *testing.T, action plan.Action) plan.Change {
	return change(t, "alarm", "cloudwatch:PutMetricAlarm", action, "trailwatch-cloudtrail-changes",
		cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("trailwatch-cloudtrail-changes"), AlarmActions: []string{topicARN},
			Namespace: aws.String("N"), MetricName: aws.String("M"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(300),
			EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold})
}

// wireChanges is the --wire-logs part of a plan: group, role, policy, trail.
func wireChanges(t *testing.T) []plan.Change {
	return []plan.Change{
		change(t, "log-group", "logs:CreateLogGroup", plan.Create, groupARN, map[string]any{"logGroupName": "trailwatch-cloudtrail"}),
		change(t, "log-role", "iam:CreateRole", plan.Create, roleARN, iam.CreateRoleInput{RoleName: aws.String("trailwatch-cloudtrail-logs"), AssumeRolePolicyDocument: aws.String("{}")}),
		change(t, "log-role-policy", "iam:PutRolePolicy", plan.Create, roleARN, iam.PutRolePolicyInput{RoleName: aws.String("trailwatch-cloudtrail-logs"), PolicyName: aws.String("p"), PolicyDocument: aws.String("{}")}),
		change(t, "trail", "cloudtrail:UpdateTrail", plan.Update, trailARN, cloudtrail.UpdateTrailInput{Name: aws.String(trailARN),
			CloudWatchLogsLogGroupArn: aws.String(groupARN + ":*"), CloudWatchLogsRoleArn: aws.String(roleARN)}),
	}
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func (w *world) expectTopic() {
	w.topics.EXPECT().CreateTopic(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error) {
		w.saw("CreateTopic")
		return &sns.CreateTopicOutput{TopicArn: aws.String(topicARN)}, nil
	}).Once()
}

func (w *world) expectSubscribe(arn string) {
	w.topics.EXPECT().Subscribe(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error) {
		w.saw("Subscribe")
		return &sns.SubscribeOutput{SubscriptionArn: aws.String(arn)}, nil
	}).Once()
}

func (w *world) expectFilter() {
	w.logs.EXPECT().PutMetricFilter(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, in *cloudwatchlogs.PutMetricFilterInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error) {
		w.saw("PutMetricFilter")
		if aws.ToString(in.FilterPattern) != plan.CISPattern {
			return nil, apiErr("InvalidParameterException", "pattern not sent as planned")
		}
		return &cloudwatchlogs.PutMetricFilterOutput{}, nil
	}).Once()
}

func (w *world) expectAlarm(err error) {
	w.alarms.EXPECT().PutMetricAlarm(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudwatch.PutMetricAlarmInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error) {
		w.saw("PutMetricAlarm")
		return &cloudwatch.PutMetricAlarmOutput{}, err
	}).Once()
}

func (w *world) expectWiring() {
	w.logs.EXPECT().CreateLogGroup(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error) {
		w.saw("CreateLogGroup")
		return &cloudwatchlogs.CreateLogGroupOutput{}, nil
	}).Once()
	w.roles.EXPECT().CreateRole(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
		w.saw("CreateRole")
		return &iam.CreateRoleOutput{Role: &iamtypes.Role{Arn: aws.String(roleARN)}}, nil
	}).Once()
	w.roles.EXPECT().PutRolePolicy(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
		w.saw("PutRolePolicy")
		return &iam.PutRolePolicyOutput{}, nil
	}).Once()
	// The trail is re-read before the first write and again before its own.
	w.trails.EXPECT().DescribeTrails(mock.Anything, mock.Anything).Return(&cloudtrail.DescribeTrailsOutput{
		TrailList: []cttypes.Trail{{TrailARN: aws.String(trailARN), Name: aws.String("main")}}}, nil).Times(2)
}

func (w *world) expectUndo(ops ...string) {
	for _, op := range ops {
		switch op {
		case "DeleteTopic":
			w.topics.EXPECT().DeleteTopic(mock.Anything, mock.MatchedBy(func(in *sns.DeleteTopicInput) bool { return aws.ToString(in.TopicArn) == topicARN })).
				RunAndReturn(func(context.Context, *sns.DeleteTopicInput, ...func(*sns.Options)) (*sns.DeleteTopicOutput, error) {
					w.saw(op)
					return &sns.DeleteTopicOutput{}, nil
				}).Once()
		case "Unsubscribe":
			w.topics.EXPECT().Unsubscribe(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *sns.UnsubscribeInput, ...func(*sns.Options)) (*sns.UnsubscribeOutput, error) {
				w.saw(op)
				return &sns.UnsubscribeOutput{}, nil
			}).Once()
		case "DeleteMetricFilter":
			w.logs.EXPECT().DeleteMetricFilter(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudwatchlogs.DeleteMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteMetricFilterOutput, error) {
				w.saw(op)
				return &cloudwatchlogs.DeleteMetricFilterOutput{}, nil
			}).Once()
		case "DeleteLogGroup":
			w.logs.EXPECT().DeleteLogGroup(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudwatchlogs.DeleteLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error) {
				w.saw(op)
				return &cloudwatchlogs.DeleteLogGroupOutput{}, nil
			}).Once()
		case "DeleteRolePolicy":
			w.roles.EXPECT().DeleteRolePolicy(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
				w.saw(op)
				return &iam.DeleteRolePolicyOutput{}, nil
			}).Once()
		case "DeleteRole":
			w.roles.EXPECT().DeleteRole(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
				w.saw(op)
				return &iam.DeleteRoleOutput{}, nil
			}).Once()
		}
	}
}

func statuses(steps []fix.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Change.ID + " " + string(s.Status)
	}
	return out
}

func readJournal(t *testing.T, path string) []fix.Entry {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []fix.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e fix.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		out = append(out, e)
	}
	return out
}

func TestApplyInPlanOrderJournalsEveryWrite(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	w.expectSubscribe(topicARN + ":sub-1")
	w.expectFilter()
	w.expectAlarm(nil)
	path := filepath.Join(t.TempDir(), "state", "journal.jsonl")
	j, err := fix.OpenJournal(path)
	require.NoError(t, err)
	defer j.Close()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	res := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), subscribeChange(t, "email", "sec@example.com"), filterChange(t), alarmChange(t, plan.Create)})},
		fix.Options{Journal: j, Now: func() time.Time { return now }})

	require.Len(t, res, 1)
	r := res[0]
	require.Equal(t, fix.Done, r.Outcome, r.Error)
	require.Equal(t, []string{"CreateTopic", "Subscribe", "PutMetricFilter", "PutMetricAlarm"}, w.order)
	require.Equal(t, []string{"topic applied", "subscribe-1 applied", "filter applied", "alarm applied"}, statuses(r.Steps))
	require.Equal(t, 4, r.Applied())
	// An email subscription is pending even though SNS returned its ARN.
	require.Equal(t, []fix.Pending{{Topic: topicARN, Protocol: "email", Endpoint: "sec@example.com", Subscription: topicARN + ":sub-1"}}, r.Pending)

	entries := readJournal(t, path)
	require.Len(t, entries, 4)
	for i, op := range []string{"sns:CreateTopic", "sns:Subscribe", "logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"} {
		e := entries[i]
		require.Equal(t, op, e.Operation)
		require.Equal(t, account, e.Account)
		require.Equal(t, "prod", e.Profile)
		require.Equal(t, region, e.Region)
		require.Equal(t, "ok", e.Result)
		require.True(t, now.Equal(e.Time))
		require.NotNil(t, e.Request)
	}
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the journal names accounts and endpoints: private to the user")
}

func TestAFailedWriteStopsTheAccountAndSkipsTheRest(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	w.logs.EXPECT().PutMetricFilter(mock.Anything, mock.Anything).Return(nil, apiErr("AccessDeniedException", "not authorized to perform logs:PutMetricFilter")).Once()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := fix.OpenJournal(path)
	require.NoError(t, err)
	defer j.Close()

	// No PutMetricAlarm and no deletion is expected: without --rollback,
	// what was created stays, and re-running converges.
	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), filterChange(t), alarmChange(t, plan.Create)})}, fix.Options{Journal: j})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Contains(t, r.Error, "AccessDeniedException")
	require.Equal(t, []string{"topic applied", "filter failed", "alarm skipped"}, statuses(r.Steps))
	require.Empty(t, r.Rollback)
	entries := readJournal(t, path)
	require.Len(t, entries, 2)
	require.Equal(t, "error", entries[1].Result)
	require.Contains(t, entries[1].Error, "AccessDeniedException")
}

func TestRollbackDeletesOnlyWhatThisRunCreatedNewestFirst(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	w.expectSubscribe("arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes:sub-1")
	w.expectWiring()
	w.trails.EXPECT().UpdateTrail(mock.Anything, mock.MatchedBy(func(in *cloudtrail.UpdateTrailInput) bool {
		return aws.ToString(in.CloudWatchLogsLogGroupArn) != ""
	})).RunAndReturn(func(context.Context, *cloudtrail.UpdateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
		w.saw("UpdateTrail")
		return &cloudtrail.UpdateTrailOutput{}, nil
	}).Once()
	// Undoing the wiring empties both settings, as the trail was before.
	w.trails.EXPECT().UpdateTrail(mock.Anything, mock.MatchedBy(func(in *cloudtrail.UpdateTrailInput) bool {
		return in.CloudWatchLogsLogGroupArn != nil && *in.CloudWatchLogsLogGroupArn == "" && in.CloudWatchLogsRoleArn != nil && *in.CloudWatchLogsRoleArn == ""
	})).RunAndReturn(func(context.Context, *cloudtrail.UpdateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
		w.saw("UpdateTrail (clear)")
		return &cloudtrail.UpdateTrailOutput{}, nil
	}).Once()
	w.expectFilter()
	// The user's alarm is updated, and the update fails: it must never be
	// deleted (no DeleteAlarms expectation exists).
	w.expectAlarm(apiErr("LimitExceeded", "too many alarms"))
	w.expectUndo("DeleteMetricFilter", "DeleteRolePolicy", "DeleteRole", "DeleteLogGroup", "Unsubscribe", "DeleteTopic")
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := fix.OpenJournal(path)
	require.NoError(t, err)
	defer j.Close()

	changes := append([]plan.Change{topicChange(t), subscribeChange(t, "sqs", "arn:aws:sqs:us-east-1:111111111111:q")}, wireChanges(t)...)
	changes = append(changes, filterChange(t), alarmChange(t, plan.Update))
	r := fix.Apply(context.Background(), []fix.Job{w.job(changes)}, fix.Options{Journal: j, Rollback: true})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Equal(t, []string{"CreateTopic", "Subscribe", "CreateLogGroup", "CreateRole", "PutRolePolicy", "UpdateTrail", "PutMetricFilter", "PutMetricAlarm",
		"DeleteMetricFilter", "UpdateTrail (clear)", "DeleteRolePolicy", "DeleteRole", "DeleteLogGroup", "Unsubscribe", "DeleteTopic"}, w.order)
	require.Equal(t, []string{"filter rolled back", "trail rolled back", "log-role-policy rolled back", "log-role rolled back",
		"log-group rolled back", "subscribe-1 rolled back", "topic rolled back"}, statuses(r.Rollback))
	require.Equal(t, 0, r.Applied(), "everything applied was rolled back")
	entries := readJournal(t, path)
	require.Len(t, entries, 8+7, "every write and every undo is journaled")
	require.Equal(t, "sns:DeleteTopic", entries[len(entries)-1].Operation)
}

func TestRollbackKeepsWhatItCannotDelete(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	w.expectFilter()
	w.expectAlarm(apiErr("AccessDenied", "denied"))
	w.logs.EXPECT().DeleteMetricFilter(mock.Anything, mock.Anything).Return(nil, apiErr("ServiceUnavailableException", "try later")).Once()
	w.expectUndo("DeleteTopic")

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), filterChange(t), alarmChange(t, plan.Create)})}, fix.Options{Rollback: true})[0]

	require.Equal(t, []string{"filter kept", "topic rolled back"}, statuses(r.Rollback))
	require.Contains(t, r.Rollback[0].Detail, "ServiceUnavailableException")
	require.Equal(t, 1, r.Applied(), "the filter is still there")
}

func TestTrailUpdateWaitsForANewRole(t *testing.T) {
	notReady := apiErr("InvalidCloudWatchLogsRoleArnException", "Access denied. Verify in IAM that the role has adequate permissions.")
	for name, tc := range map[string]struct {
		failures  int
		newRole   bool
		outcome   fix.Outcome
		waits     []time.Duration
		callsMade int
	}{
		"propagates after two waits":    {failures: 2, newRole: true, outcome: fix.Done, waits: []time.Duration{time.Second, 2 * time.Second}, callsMade: 3},
		"never propagates":              {failures: 10, newRole: true, outcome: fix.Broken, waits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, callsMade: 4},
		"an old role is not waited for": {failures: 1, newRole: false, outcome: fix.Broken, waits: nil, callsMade: 1},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			changes := wireChanges(t)
			if tc.newRole {
				w.expectWiring()
			} else {
				changes = changes[3:]
				w.trails.EXPECT().DescribeTrails(mock.Anything, mock.Anything).Return(&cloudtrail.DescribeTrailsOutput{
					TrailList: []cttypes.Trail{{TrailARN: aws.String(trailARN)}}}, nil).Once()
			}
			calls := 0
			w.trails.EXPECT().UpdateTrail(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudtrail.UpdateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
				calls++
				if calls <= tc.failures {
					return nil, notReady
				}
				return &cloudtrail.UpdateTrailOutput{}, nil
			})
			var slept []time.Duration
			r := fix.Apply(context.Background(), []fix.Job{w.job(changes)}, fix.Options{
				RoleWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
				Sleep:     func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})[0]
			require.Equal(t, tc.outcome, r.Outcome, r.Error)
			require.Equal(t, tc.waits, slept)
			require.Equal(t, tc.callsMade, calls)
		})
	}
}

// CallTimeout bounds each attempt of a trail update, not the attempts and
// the waits between them together: waits longer than the timeout still end
// in an attempt that may succeed.
func TestTrailUpdateAttemptsEachGetTheCallTimeout(t *testing.T) {
	w := newWorld(t)
	w.expectWiring()
	notReady := apiErr("InvalidCloudWatchLogsRoleArnException", "Access denied. Verify in IAM that the role has adequate permissions.")
	calls := 0
	w.trails.EXPECT().UpdateTrail(mock.Anything, mock.Anything).RunAndReturn(func(ctx context.Context, _ *cloudtrail.UpdateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
		calls++
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if calls <= 2 {
			return nil, notReady
		}
		return &cloudtrail.UpdateTrailOutput{}, nil
	})
	r := fix.Apply(context.Background(), []fix.Job{w.job(wireChanges(t))}, fix.Options{
		CallTimeout: 100 * time.Millisecond,
		RoleWaits:   []time.Duration{80 * time.Millisecond, 80 * time.Millisecond},
		Sleep: func(ctx context.Context, d time.Duration) error {
			time.Sleep(d)
			return ctx.Err()
		}})[0]
	require.Equal(t, fix.Done, r.Outcome, r.Error)
	require.Equal(t, 3, calls)
}

// A re-run reuses the delivery role an earlier run created: its policy is
// rewritten (an update), the trail update waits for it as for a new role,
// and a rollback leaves it, since it may have been there before the run.
func TestAReusedRolesPolicyIsWaitedForAndKept(t *testing.T) {
	w := newWorld(t)
	changes := wireChanges(t)[2:]
	require.Equal(t, "log-role-policy", changes[0].ID)
	changes[0].Action = plan.Update
	w.roles.EXPECT().PutRolePolicy(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
		w.saw("PutRolePolicy")
		return &iam.PutRolePolicyOutput{}, nil
	}).Once()
	w.trails.EXPECT().DescribeTrails(mock.Anything, mock.Anything).Return(&cloudtrail.DescribeTrailsOutput{
		TrailList: []cttypes.Trail{{TrailARN: aws.String(trailARN)}}}, nil).Times(2)
	notReady := apiErr("InvalidCloudWatchLogsRoleArnException", "Access denied. Verify in IAM that the role has adequate permissions.")
	w.trails.EXPECT().UpdateTrail(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudtrail.UpdateTrailInput, ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
		w.saw("UpdateTrail")
		if len(w.order) == 2 {
			return nil, notReady
		}
		return nil, apiErr("AccessDeniedException", "not authorized to perform cloudtrail:UpdateTrail")
	}).Times(2)
	var slept []time.Duration
	// No DeleteRolePolicy is expected: the mock fails the test if called.
	r := fix.Apply(context.Background(), []fix.Job{w.job(changes)}, fix.Options{Rollback: true, RoleWaits: []time.Duration{time.Second, time.Second},
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Equal(t, []string{"PutRolePolicy", "UpdateTrail", "UpdateTrail"}, w.order)
	require.Equal(t, []time.Duration{time.Second}, slept, "waited once for the rewritten policy, then gave up on another error")
	require.Equal(t, []string{"log-role-policy applied", "trail failed"}, statuses(r.Steps))
	require.Empty(t, r.Rollback)
}

func TestAChangedTargetStopsTheAccountBeforeWriting(t *testing.T) {
	w := newWorld(t)
	// Planned: no alarm of that name. Now one exists, made by someone else.
	fp := plan.Fingerprint{Kind: "cloudwatch:Alarm", Region: region, Key: "trailwatch-cloudtrail-changes", Hash: plan.Absent}
	someone := &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{{AlarmName: aws.String("trailwatch-cloudtrail-changes"), MetricName: aws.String("Other")}}}
	reads := 0
	w.alarmR.EXPECT().DescribeAlarms(mock.Anything, mock.Anything).RunAndReturn(func(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
		reads++
		if reads == 1 {
			return &cloudwatch.DescribeAlarmsOutput{}, nil // as planned when the run starts
		}
		return someone, nil // created between the first writes and the alarm
	})
	w.expectTopic()
	w.expectFilter()

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), filterChange(t), alarmChange(t, plan.Create)}, fp)}, fix.Options{})[0]

	require.Equal(t, fix.Stale, r.Outcome)
	require.Equal(t, []string{"topic applied", "filter applied", "alarm skipped"}, statuses(r.Steps))
	require.Len(t, r.Stale, 1)
	require.Equal(t, "trailwatch-cloudtrail-changes", r.Stale[0].Key)
	require.Contains(t, r.Error, "plan is stale")
}

func TestAStalePlanWritesNothing(t *testing.T) {
	w := newWorld(t)
	fp := plan.Fingerprint{Kind: "cloudwatch:Alarm", Region: region, Key: "trailwatch-cloudtrail-changes", Hash: plan.Absent}
	w.alarmR.EXPECT().DescribeAlarms(mock.Anything, mock.Anything).Return(&cloudwatch.DescribeAlarmsOutput{
		MetricAlarms: []cwtypes.MetricAlarm{{AlarmName: aws.String("trailwatch-cloudtrail-changes"), MetricName: aws.String("Other")}}}, nil)

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)}, fp)}, fix.Options{})[0]

	require.Equal(t, fix.Stale, r.Outcome)
	require.Equal(t, []string{"topic skipped", "alarm skipped"}, statuses(r.Steps))
}

func TestATrailWiredSinceThePlanIsNeverRepointed(t *testing.T) {
	w := newWorld(t)
	w.trails.EXPECT().DescribeTrails(mock.Anything, mock.Anything).Return(&cloudtrail.DescribeTrailsOutput{
		TrailList: []cttypes.Trail{{TrailARN: aws.String(trailARN), CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:theirs:*")}}}, nil)

	r := fix.Apply(context.Background(), []fix.Job{w.job(wireChanges(t)[3:])}, fix.Options{})[0]

	require.Equal(t, fix.Stale, r.Outcome)
	require.Contains(t, r.Error, "log-group:theirs")
}

func TestCreateTopicReturningAnotherARNFails(t *testing.T) {
	w := newWorld(t)
	w.topics.EXPECT().CreateTopic(mock.Anything, mock.Anything).Return(&sns.CreateTopicOutput{TopicArn: aws.String(topicARN + "-elsewhere")}, nil)

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)})}, fix.Options{})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Contains(t, r.Error, "the plan expected")
	require.Equal(t, []string{"topic failed", "alarm skipped"}, statuses(r.Steps))
}

func TestOneAccountsFailureNeverStopsTheOthers(t *testing.T) {
	bad, good := newWorld(t), newWorld(t)
	bad.topics.EXPECT().CreateTopic(mock.Anything, mock.Anything).Return(nil, apiErr("AuthorizationError", "denied"))
	good.expectTopic()
	good.expectAlarm(nil)
	jobs := []fix.Job{bad.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)}), good.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)})}
	var progress []int
	var mu sync.Mutex

	res := fix.Apply(context.Background(), jobs, fix.Options{Parallel: 2, Progress: func(done, total int, _ fix.Result) {
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, 2, total)
		progress = append(progress, done)
	}})

	require.Equal(t, fix.Broken, res[0].Outcome)
	require.Equal(t, fix.Done, res[1].Outcome)
	require.ElementsMatch(t, []int{1, 2}, progress)
}

func TestAnInterruptedRunWritesNothingMore(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := fix.Apply(ctx, []fix.Job{w.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)})}, fix.Options{})[0]
	require.Equal(t, fix.NoneStarted, r.Outcome)
	require.Equal(t, "interrupted before the first of 2 changes: nothing was changed", r.Error)
	require.Equal(t, []string{"topic not started", "alarm not started"}, statuses(r.Steps))
}

// An interrupt during a write lets it finish with a context the interrupt
// does not cancel: the journal holds AWS's real answer, and the changes after
// it are not started.
func TestAnInterruptDuringAWriteLetsItFinish(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	w.topics.EXPECT().CreateTopic(mock.Anything, mock.Anything).RunAndReturn(func(wctx context.Context, _ *sns.CreateTopicInput, _ ...func(*sns.Options)) (*sns.CreateTopicOutput, error) {
		cancel() // SIGINT arrives while AWS applies the write
		if wctx.Err() != nil {
			return nil, wctx.Err()
		}
		return &sns.CreateTopicOutput{TopicArn: aws.String(topicARN)}, nil
	}).Once()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := fix.OpenJournal(path)
	require.NoError(t, err)
	defer j.Close()

	r := fix.Apply(ctx, []fix.Job{w.job([]plan.Change{topicChange(t), filterChange(t), alarmChange(t, plan.Create)})}, fix.Options{Journal: j})[0]

	require.Equal(t, fix.Interrupted, r.Outcome)
	require.Equal(t, "interrupted after 1 of 3 changes: filter and later were not started", r.Error)
	require.Equal(t, []string{"topic applied", "filter not started", "alarm not started"}, statuses(r.Steps))
	entries := readJournal(t, path)
	require.Len(t, entries, 1)
	require.Equal(t, "sns:CreateTopic", entries[0].Operation)
	require.Equal(t, "ok", entries[0].Result, entries[0].Error)
}

// --rollback never deletes what a change that stays depends on: an alarm of
// the user's, updated to notify the new topic, keeps its topic.
func TestRollbackKeepsWhatAStayingChangeNeeds(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	w.expectAlarm(nil)
	w.expectFilter()
	filter := filterChange(t)
	filter.ID = "filter-2"
	topic, alarm := topicChange(t), alarmChange(t, plan.Update)
	alarm.DependsOn = []string{"topic"}
	fail := change(t, "alarm-2", "cloudwatch:PutMetricAlarm", plan.Create, "other", cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("other")})
	w.alarms.EXPECT().PutMetricAlarm(mock.Anything, mock.MatchedBy(func(in *cloudwatch.PutMetricAlarmInput) bool { return aws.ToString(in.AlarmName) == "other" })).
		Return(nil, apiErr("LimitExceeded", "too many alarms")).Once()
	w.expectUndo("DeleteMetricFilter")
	w.alarmR.EXPECT().DescribeAlarms(mock.Anything, mock.Anything).Return(&cloudwatch.DescribeAlarmsOutput{}, nil).Maybe()

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topic, alarm, filter, fail})}, fix.Options{Rollback: true})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Equal(t, []string{"filter-2 rolled back", "topic kept"}, statuses(r.Rollback))
	require.Equal(t, "alarm stays and needs it", r.Rollback[1].Detail)
}

func TestAnUnwritableJournalStopsTheAccount(t *testing.T) {
	w := newWorld(t)
	w.expectTopic()
	j, err := fix.OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"))
	require.NoError(t, err)
	require.NoError(t, j.Close()) // every Record now fails

	r := fix.Apply(context.Background(), []fix.Job{w.job([]plan.Change{topicChange(t), alarmChange(t, plan.Create)})}, fix.Options{Journal: j})[0]

	require.Equal(t, fix.Broken, r.Outcome)
	require.Contains(t, r.Error, "journal")
	require.Equal(t, []string{"topic applied", "alarm skipped"}, statuses(r.Steps), "no write goes unrecorded")
}

func TestDefaultJournalPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, err := fix.DefaultJournalPath(env(map[string]string{"XDG_STATE_HOME": "/state", "HOME": "/home/u"}))
	require.NoError(t, err)
	require.Equal(t, "/state/trailwatch/journal.jsonl", p)
	p, err = fix.DefaultJournalPath(env(map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}))
	require.NoError(t, err)
	require.Equal(t, "/home/u/.local/state/trailwatch/journal.jsonl", p, "a relative XDG_STATE_HOME is ignored, as the spec says")
}

func TestConcurrentJournalLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := fix.OpenJournal(path)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, j.Record(fix.Entry{Account: account, Operation: "sns:Subscribe", Request: map[string]int{"n": i}, Result: "ok"}))
		}()
	}
	wg.Wait()
	require.NoError(t, j.Close())
	require.Len(t, readJournal(t, path), 50)
}
