package plan

import (
	"context"
	"encoding/json"
	"github.com/trailwatch/trailwatch/check"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"
)

var email = "email:security@example.com"

func build(t *testing.T, w *world, f Finding, o Options) AccountPlan {
	t.Helper()
	if o.Notify == nil {
		o.Notify = mustNotify(t, email)
	}
	a, err := Build(context.Background(), w.readers(t), f, o)
	require.NoError(t, err)
	return a
}

func change(t *testing.T, a AccountPlan, id string) Change {
	t.Helper()
	for _, c := range a.Changes {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no change %q in %s", id, changeIDs(a))
	return Change{}
}

func request(t *testing.T, c Change) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(c.Request, &m))
	return m
}

// TestReadersCannotWrite proves plan cannot call a write API: every method
// of every interface it reads through is a Describe, Get or List.
func TestReadersCannotWrite(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[LogsReader](), reflect.TypeFor[AlarmReader](),
		reflect.TypeFor[TopicReader](), reflect.TypeFor[RoleReader](), reflect.TypeFor[KeyReader](),
	} {
		require.Positive(t, typ.NumMethod())
		for i := range typ.NumMethod() {
			name := typ.Method(i).Name
			require.Truef(t, strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List"),
				"%s.%s is not a read", typ.Name(), name)
		}
	}
	r := reflect.TypeFor[Readers]()
	for i := range r.NumField() {
		f := r.Field(i).Type
		if f.Kind() == reflect.Func {
			f = f.Out(0)
		}
		require.Contains(t, []string{"LogsReader", "AlarmReader", "TopicReader", "RoleReader", "KeyReader"}, f.Name(), "Readers.%s", r.Field(i).Name)
	}
}

// TestReadBudget holds plan to a few reads per account on top of check's:
// one per name it needs free, plus tags or subscriptions of what it reuses.
func TestReadBudget(t *testing.T) {
	cases := map[string]struct {
		reason check.Reason
		wire   bool
		max    int
	}{
		"filter, alarm and topic": {check.NoMatchingFilter, false, 3},
		"log wiring too":          {check.NoCloudWatchLogs, true, 5},
		"alarm lacks its action":  {check.NoAlarmTopic, false, 2},
		"subscriber only":         {check.NoConfirmedSubscriber, false, 2},
		"compliant":               {"PASS", false, 0},
		"blocked":                 {check.TrailNotLogging, false, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			w.addAlarm(userAlarm(), false)
			w.addTopic(userTopic, false)
			build(t, w, finding(tc.reason), Options{WireLogs: tc.wire})
			require.LessOrEqual(t, w.total(), tc.max, w.calls)
			for r := range w.regions {
				require.Equal(t, testRegion, r, "reads go to the log group's region only")
			}
		})
	}
}

func TestNewResourcesAreTagged(t *testing.T) {
	a := build(t, newWorld(), finding(check.NoCloudWatchLogs), Options{WireLogs: true, RetentionDays: 30})
	require.Equal(t, "create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 create:logs:CreateLogGroup:log-group "+
		"create:logs:PutRetentionPolicy:log-retention create:iam:CreateRole:log-role create:iam:PutRolePolicy:log-role-policy "+
		"update:cloudtrail:UpdateTrail:trail create:logs:PutMetricFilter:filter create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
	tag := []any{map[string]any{"Key": "managed-by", "Value": "trailwatch"}}
	require.Equal(t, tag, request(t, change(t, a, "topic"))["Tags"])
	require.Equal(t, tag, request(t, change(t, a, "log-role"))["Tags"])
	require.Equal(t, tag, request(t, change(t, a, "alarm"))["Tags"])
	require.Equal(t, map[string]any{"managed-by": "trailwatch"}, request(t, change(t, a, "log-group"))["tags"])
}

func TestLogWiringIsScoped(t *testing.T) {
	a := build(t, newWorld(), finding(check.NoCloudWatchLogs), Options{WireLogs: true})
	require.NotContains(t, changeIDs(a), "PutRetentionPolicy", "no retention asked for: keep events forever")

	var trust struct {
		Statement []struct {
			Principal map[string]string
			Action    string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(request(t, change(t, a, "log-role"))["AssumeRolePolicyDocument"].(string)), &trust))
	require.Equal(t, "cloudtrail.amazonaws.com", trust.Statement[0].Principal["Service"])
	require.Equal(t, testTrail, trust.Statement[0].Condition["StringEquals"]["aws:SourceArn"])

	perms := request(t, change(t, a, "log-role-policy"))["PolicyDocument"].(string)
	require.Contains(t, perms, `"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:trailwatch-cloudtrail:log-stream:*"`)
	require.Contains(t, perms, `["logs:CreateLogStream","logs:PutLogEvents"]`)

	trail := change(t, a, "trail")
	require.Equal(t, testRegion, trail.Region)
	req := request(t, trail)
	require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:trailwatch-cloudtrail:*", req["CloudWatchLogsLogGroupArn"])
	require.Equal(t, "arn:aws:iam::111111111111:role/trailwatch-cloudtrail-logs", req["CloudWatchLogsRoleArn"])
}

func TestFilterAndAlarmAreCIS(t *testing.T) {
	a := build(t, newWorld(), finding(check.NoMatchingFilter), Options{Namespace: "Sec", MetricName: "Trail", NamePrefix: "acme-"})
	f := request(t, change(t, a, "filter"))
	require.Equal(t, CISPattern, f["filterPattern"])
	require.Equal(t, "acme-cloudtrail-changes", f["filterName"])
	require.Equal(t, []any{map[string]any{"metricName": "Trail", "metricNamespace": "Sec", "metricValue": "1"}}, f["metricTransformations"])
	al := request(t, change(t, a, "alarm"))
	for k, v := range map[string]any{"Statistic": "Sum", "Period": 300.0, "EvaluationPeriods": 1.0, "Threshold": 1.0,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching", "ActionsEnabled": true,
		"Namespace": "Sec", "MetricName": "Trail", "AlarmActions": []any{"arn:aws:sns:us-east-1:111111111111:acme-cloudtrail-changes"}} {
		require.Equal(t, v, al[k], k)
	}
	require.Equal(t, []string{"topic", "filter"}, change(t, a, "alarm").DependsOn)
	require.Equal(t, "alarm", a.Changes[len(a.Changes)-1].ID, "the alarm is the last write")
}

func TestCollisions(t *testing.T) {
	userFilter := logstypes.MetricFilter{FilterName: aws.String("trailwatch-cloudtrail-changes"), LogGroupName: aws.String(testGroup),
		FilterPattern: aws.String(`{ $.eventName = CreateTrail }`), MetricTransformations: []logstypes.MetricTransformation{
			{MetricName: aws.String("Mine"), MetricNamespace: aws.String("Team"), MetricValue: aws.String("1")}}}
	ourFilter := userFilter
	ourFilter.FilterPattern = aws.String(CISPattern)
	ourFilter.MetricTransformations = []logstypes.MetricTransformation{{MetricName: aws.String(DefaultMetricName),
		MetricNamespace: aws.String(DefaultNamespace), MetricValue: aws.String("1")}}
	ourTopic := "arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"

	t.Run("user's filter of the same name: next free name", func(t *testing.T) {
		w := newWorld()
		w.filters[filterKey(testGroup, "trailwatch-cloudtrail-changes")] = userFilter
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		require.Equal(t, "trailwatch-cloudtrail-changes-2", request(t, change(t, a, "filter"))["filterName"])
		require.Contains(t, a.Fingerprints, Fingerprint{Kind: kindMetricFilter, Region: testRegion, Key: filterKey(testGroup, "trailwatch-cloudtrail-changes-2"), Hash: Absent})
	})
	t.Run("our own filter, exactly as we write it: reused", func(t *testing.T) {
		w := newWorld()
		w.filters[filterKey(testGroup, "trailwatch-cloudtrail-changes")] = ourFilter
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		require.NotContains(t, changeIDs(a), "PutMetricFilter")
		require.Equal(t, []string{"topic"}, change(t, a, "alarm").DependsOn)
	})
	t.Run("user's alarm of the same name: next free name", func(t *testing.T) {
		w := newWorld()
		w.addAlarm(cwtypes.MetricAlarm{AlarmName: aws.String("trailwatch-cloudtrail-changes"), MetricName: aws.String("CPU")}, false)
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		c := change(t, a, "alarm")
		require.Equal(t, Create, c.Action)
		require.Equal(t, "trailwatch-cloudtrail-changes-2", c.Target)
	})
	t.Run("our own alarm of the same name: updated in place", func(t *testing.T) {
		w := newWorld()
		w.addAlarm(cwtypes.MetricAlarm{AlarmName: aws.String("trailwatch-cloudtrail-changes"), MetricName: aws.String("Old"),
			Namespace: aws.String("X"), ActionsEnabled: aws.Bool(false)}, true)
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		c := change(t, a, "alarm")
		require.Equal(t, Update, c.Action)
		require.Equal(t, "trailwatch-cloudtrail-changes", c.Target)
		require.Equal(t, false, c.Before["ActionsEnabled"])
	})
	t.Run("user's topic of the same name: next free name", func(t *testing.T) {
		w := newWorld()
		w.addTopic(ourTopic, false)
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		require.Equal(t, "trailwatch-cloudtrail-changes-2", request(t, change(t, a, "topic"))["Name"])
	})
	t.Run("our own topic: reused, only missing subscriptions", func(t *testing.T) {
		w := newWorld()
		w.addTopic(ourTopic, true)
		w.subs[ourTopic] = []snstypes.Subscription{
			{Protocol: aws.String("email"), Endpoint: aws.String("security@example.com"), SubscriptionArn: aws.String(ourTopic + ":5f2c")},
			{Protocol: aws.String("sms"), Endpoint: aws.String("+14155550100"), SubscriptionArn: aws.String("PendingConfirmation")}}
		a := build(t, w, finding(check.NoMatchingFilter), Options{Notify: mustNotify(t, email, "sms:+14155550100")})
		require.Equal(t, "create:sns:Subscribe:subscribe-2 create:logs:PutMetricFilter:filter create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a),
			"the confirmed email is kept; the pending sms is subscribed again, which re-sends its confirmation")
		require.Equal(t, []string{"filter"}, change(t, a, "alarm").DependsOn)
	})
	t.Run("every name taken: blocked, nothing planned", func(t *testing.T) {
		w := newWorld()
		w.addTopic(ourTopic, false)
		for i := 2; i <= 9; i++ {
			w.addTopic(ourTopic+"-"+string(rune('0'+i)), false)
		}
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		require.Empty(t, a.Changes)
		require.Contains(t, a.Blocked, "all taken")
	})
	t.Run("log group and role names taken: next free names", func(t *testing.T) {
		w := newWorld()
		w.addGroup("trailwatch-cloudtrail", false)
		w.roles["trailwatch-cloudtrail-logs"] = iamtypes.Role{RoleName: aws.String("trailwatch-cloudtrail-logs")}
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
		require.Equal(t, "trailwatch-cloudtrail-2", request(t, change(t, a, "log-group"))["logGroupName"])
		require.Equal(t, "trailwatch-cloudtrail-logs-2", request(t, change(t, a, "log-role"))["RoleName"])
	})
}

func TestAlarmUpdateCarriesEverythingForward(t *testing.T) {
	w := newWorld()
	existing := userAlarm("arn:aws:lambda:us-east-1:111111111111:function:page")
	w.addAlarm(existing, false)
	a := build(t, w, finding(check.NoAlarmTopic), Options{TopicARN: userTopic})
	w.addTopic(userTopic, false) // added after: --topic-arn must exist
	require.Contains(t, a.Blocked, "does not exist")

	a = build(t, w, finding(check.NoAlarmTopic), Options{TopicARN: userTopic, Notify: []Endpoint{}})
	require.Equal(t, "update:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
	in, err := change(t, a, "alarm").Input()
	require.NoError(t, err)
	got := in.(*cloudwatch.PutMetricAlarmInput)
	require.Equal(t, []string{"arn:aws:lambda:us-east-1:111111111111:function:page", userTopic}, got.AlarmActions)
	// Every configurable field of the alarm as read, except the action added.
	want := existing
	require.Equal(t, want.AlarmDescription, got.AlarmDescription)
	require.Equal(t, want.OKActions, got.OKActions)
	require.Equal(t, want.InsufficientDataActions, got.InsufficientDataActions)
	require.Equal(t, want.ActionsEnabled, got.ActionsEnabled)
	require.Equal(t, want.DatapointsToAlarm, got.DatapointsToAlarm)
	require.Equal(t, want.TreatMissingData, got.TreatMissingData)
	require.Equal(t, want.Unit, got.Unit)
	require.Equal(t, want.EvaluateLowSampleCountPercentile, got.EvaluateLowSampleCountPercentile)
	require.Equal(t, want.Threshold, got.Threshold)
	require.Equal(t, want.Period, got.Period)
	require.Equal(t, want.EvaluationPeriods, got.EvaluationPeriods)
	require.Equal(t, want.Statistic, got.Statistic)
	require.Equal(t, want.ComparisonOperator, got.ComparisonOperator)
	require.Equal(t, want.Namespace, got.Namespace)
	require.Equal(t, want.MetricName, got.MetricName)
	require.Empty(t, got.Tags, "tags are ignored on update and the alarm is not ours")
}

func TestAlarmUpdateRefusals(t *testing.T) {
	for name, mutate := range map[string]func(*cwtypes.MetricAlarm){
		"metric math":  func(a *cwtypes.MetricAlarm) { a.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("m1")}} },
		"anomaly band": func(a *cwtypes.MetricAlarm) { a.ThresholdMetricId = aws.String("ad1") },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			al := userAlarm()
			mutate(&al)
			w.addAlarm(al, false)
			a := build(t, w, finding(check.NoAlarmTopic), Options{})
			require.Empty(t, a.Changes)
			require.NotEmpty(t, a.Blocked)
		})
	}
}

func TestBlockedAccountsExplain(t *testing.T) {
	org := finding(check.NoMatchingFilter)
	org.Trail.OwnerAccount, org.Trail.Organization = "999999999999", true
	unwired := finding(check.NoCloudWatchLogs)
	noNotify := finding(check.NoMatchingFilter)
	unconfirmed := finding(check.NoConfirmedSubscriber)
	unconfirmed.Trail.TopicARN = "arn:aws:sns:us-east-1:" + testAccount + ":alerts"
	elsewhere := finding(check.NoMatchingFilter)
	elsewhere.Trail.LogGroupAccount = "999999999999"
	cases := map[string]struct {
		f    Finding
		o    Options
		want string
		// needsNotify: only an endpoint to notify is missing.
		needsNotify bool
	}{
		"no multi-region trail":  {finding(check.NoMultiRegionTrail), Options{}, "create-trail", false},
		"not logging":            {finding(check.TrailNotLogging), Options{}, "start-logging", false},
		"management events":      {finding(check.ManagementEventsNotCaptured), Options{}, "management-events selector", false},
		"delivery failing":       {finding(check.LogsDeliveryFailing), Options{}, "never re-points", false},
		"organization trail":     {org, Options{}, "run plan there", false},
		"log group elsewhere":    {elsewhere, Options{}, "belongs to account 999999999999", false},
		"no --wire-logs":         {unwired, Options{}, "--wire-logs", false},
		"no one to notify":       {noNotify, Options{Notify: []Endpoint{}}, "--notify", true},
		"nobody confirmed":       {unconfirmed, Options{Notify: []Endpoint{}}, "no confirmed subscriber", true},
		"check errored":          {Finding{Account: testAccount, Status: "ERROR", Message: "AccessDenied"}, Options{}, "could not evaluate", false},
		"manual":                 {Finding{Account: testAccount, Status: "MANUAL", Message: "topic owned by 999999999999", OtherAccount: "999999999999"}, Options{}, "another account", false},
		"manual in this account": {Finding{Account: testAccount, Status: "MANUAL", Message: "statement \"OrgOnly\" cannot be evaluated"}, Options{}, "confirm that link by hand", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			a := build(t, w, tc.f, tc.o)
			require.Empty(t, a.Changes)
			require.Contains(t, a.Blocked, tc.want)
			require.Equal(t, tc.needsNotify, a.NeedsNotify)
		})
	}
}

// fix re-reads what each change writes before writing it: every change but
// the trail update (which fix re-reads itself) names a resource the plan
// fingerprinted.
func TestEveryChangeIsGuardedByAFingerprint(t *testing.T) {
	w := newWorld()
	a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true, RetentionDays: 7,
		Notify: []Endpoint{{Protocol: "email", Endpoint: "sec@example.com"}}})
	ops := map[string]bool{}
	for _, c := range a.Changes {
		ops[c.Operation] = true
		r, err := c.Resource()
		require.NoError(t, err, c.ID)
		if c.Operation == "cloudtrail:UpdateTrail" {
			require.Empty(t, r.Key, c.ID)
			continue
		}
		require.NotEmpty(t, r.Key, c.ID)
		guards := a.Guards(r)
		require.NotEmpty(t, guards, "%s writes %+v, which no fingerprint covers", c.ID, r)
		for _, g := range guards {
			require.Equal(t, Absent, g.Hash, "%s: wire-logs creates only what was absent", c.ID)
		}
	}
	require.Len(t, ops, 9, "the plan exercises every operation fix applies: %v", ops)
}

func TestEveryRequestDecodesIntoItsSDKInput(t *testing.T) {
	w := newWorld()
	w.addAlarm(userAlarm(), false)
	for _, reason := range []check.Reason{check.NoCloudWatchLogs, check.NoAlarmTopic} {
		a := build(t, w, finding(reason), Options{WireLogs: true, RetentionDays: 7})
		for _, c := range a.Changes {
			_, err := c.Input()
			require.NoError(t, err, c.ID)
		}
	}
	bad := Change{ID: "x", Operation: "sns:CreateTopic", Request: json.RawMessage(`{"Name":"t","Policy":"{}"}`)}
	_, err := bad.Input()
	require.ErrorContains(t, err, "unknown field", "a hand-edited plan cannot smuggle fields in")
}

func TestWriteReadVerify(t *testing.T) {
	w := newWorld()
	w.addAlarm(userAlarm(), false)
	a := build(t, w, finding(check.NoAlarmTopic), Options{})
	p := New("1.2.3", planTime, Options{}, []AccountPlan{a})
	path := filepath.Join(t.TempDir(), "plan.json")
	writeFile(t, path, p)
	got, err := Read(path)
	require.NoError(t, err)
	require.Equal(t, a.Fingerprints, got.Accounts[0].Fingerprints)

	r := w.readers(t)
	stale, err := Verify(context.Background(), r, got.Accounts[0])
	require.NoError(t, err)
	require.Empty(t, stale, "nothing changed")

	// The alarm firing is not a change to its configuration.
	al := w.alarms["trail-changes"]
	al.StateValue = cwtypes.StateValueAlarm
	w.alarms["trail-changes"] = al
	stale, err = Verify(context.Background(), r, got.Accounts[0])
	require.NoError(t, err)
	require.Empty(t, stale)

	// Someone edits the alarm, and creates the topic the plan would create.
	al.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:other"}
	w.alarms["trail-changes"] = al
	w.addTopic("arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes", false)
	stale, err = Verify(context.Background(), r, got.Accounts[0])
	require.NoError(t, err)
	require.Len(t, stale, 2)
	require.Equal(t, kindAlarm, stale[0].Kind)
	require.Equal(t, Absent, stale[1].Hash)
	require.NotEqual(t, Absent, stale[1].Now)
}

func TestReadRefusesOtherFormats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	p := New("1.2.3", planTime, Options{}, nil)
	p.FormatVersion = 99
	writeFile(t, path, p)
	_, err := Read(path)
	require.ErrorIs(t, err, ErrInvalidInput)
}

// writeFile saves p as plan --out does.
func writeFile(t *testing.T, path string, p Plan) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, Encode(f, p))
	require.NoError(t, f.Close())
}
