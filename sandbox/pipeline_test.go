package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

// The compliant chain's names (scenario.go's compliantChain).
const (
	chainTrail = "management-events"
	chainGroup = "aws-cloudtrail-logs-" + DefaultAccount
	chainAlarm = "cloudtrail-config-changes"
	chainTopic = "arn:aws:sns:us-east-1:111111111111:security-alerts"
)

// fastPipeline delivers in 10 ms and runs a 300-second period in 15 ms.
var fastPipeline = PipelineConfig{Enabled: true, DeliveryDelayMS: 10, AlarmSecondMS: 0.05, UndecidedPolicies: "deny"}

// settle is long enough for every stage of fastPipeline to have happened.
const settle = 300 * time.Millisecond

// drillEnv is a sandbox with a scenario loaded and the SDK clients a drill uses.
type drillEnv struct {
	srv  *Server
	url  string
	ct   *cloudtrail.Client
	logs *cloudwatchlogs.Client
	cw   *cloudwatch.Client
	sns  *sns.Client
}

func startDrill(t *testing.T, scenario string, p PipelineConfig) *drillEnv {
	t.Helper()
	srv, url := startSandbox(t, scenario)
	require.NoError(t, srv.SetPipeline(p))
	cfg := sdkConfig(url, DefaultAccessKey)
	return &drillEnv{srv: srv, url: url, ct: cloudtrail.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg),
		cw: cloudwatch.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg)}
}

// startDrillLogs is a CloudWatch Logs client of the default account.
func startDrillLogs(url string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(sdkConfig(url, DefaultAccessKey))
}

// startLogging is the drill's trigger; it returns the request ID the SDK got.
func (d *drillEnv) startLogging(t *testing.T) string {
	t.Helper()
	out, err := d.ct.StartLogging(ctx(t), &cloudtrail.StartLoggingInput{Name: aws.String(chainTrail)})
	require.NoError(t, err)
	id, ok := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok, "no request ID")
	return id
}

// records returns the log group's events whose requestID is id.
func (d *drillEnv) records(t *testing.T, id string) []logstypes.FilteredLogEvent {
	t.Helper()
	out, err := d.logs.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(chainGroup),
		FilterPattern: aws.String(fmt.Sprintf(`{ $.requestID = "%s" }`, id))})
	require.NoError(t, err)
	return out.Events
}

// datapoints sums the chain's metric over the hour around the pinned clock.
func (d *drillEnv) datapoints(t *testing.T) []float64 {
	t.Helper()
	out, err := d.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(testNow.Add(-time.Hour)), EndTime: aws.Time(testNow.Add(time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("CISBenchmark"), MetricName: aws.String("CloudTrailConfigChanges")},
			Period: aws.Int32(300), Stat: aws.String("Sum")}}},
	})
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 1)
	return out.MetricDataResults[0].Values
}

// history returns the alarm's history summaries of one type, oldest first.
func (d *drillEnv) history(t *testing.T, typ cwtypes.HistoryItemType) []string {
	t.Helper()
	out, err := d.cw.DescribeAlarmHistory(ctx(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(chainAlarm),
		HistoryItemType: typ, ScanBy: cwtypes.ScanByTimestampAscending})
	require.NoError(t, err)
	var s []string
	for _, h := range out.AlarmHistoryItems {
		s = append(s, aws.ToString(h.HistorySummary))
	}
	return s
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !f(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestPipelineDeliversAStartLoggingToTheSubscriber(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	id := d.startLogging(t)

	var events []logstypes.FilteredLogEvent
	eventually(t, "the record in the log group", func() bool { events = d.records(t, id); return len(events) == 1 })
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(events[0].Message)), &rec))
	require.Equal(t, "StartLogging", rec["eventName"])
	require.Equal(t, "cloudtrail.amazonaws.com", rec["eventSource"])
	require.Equal(t, id, rec["requestID"])
	require.Equal(t, "AwsApiCall", rec["eventType"])
	require.Equal(t, "Management", rec["eventCategory"])
	require.Equal(t, false, rec["readOnly"])
	require.Equal(t, true, rec["managementEvent"])
	require.Equal(t, DefaultAccount, rec["recipientAccountId"])
	require.Equal(t, "us-east-1", rec["awsRegion"])
	require.Equal(t, testNow.Format(time.RFC3339), rec["eventTime"])
	require.Equal(t, map[string]any{"name": chainTrail}, rec["requestParameters"])
	require.Nil(t, rec["responseElements"])
	require.Equal(t, "IAMUser", rec["userIdentity"].(map[string]any)["type"])
	require.Equal(t, "arn:aws:iam::111111111111:user/sandbox", rec["userIdentity"].(map[string]any)["arn"])
	require.Equal(t, "127.0.0.1", rec["sourceIPAddress"])
	require.NotEmpty(t, rec["userAgent"])
	require.Equal(t, "111111111111_CloudTrail_us-east-1", aws.ToString(events[0].LogStreamName))

	eventually(t, "the datapoint", func() bool { v := d.datapoints(t); return len(v) == 1 && v[0] == 1 })
	eventually(t, "the action", func() bool { return len(d.history(t, cwtypes.HistoryItemTypeAction)) == 1 })
	require.Equal(t, []string{"Alarm updated from OK to ALARM"}, d.history(t, cwtypes.HistoryItemTypeStateUpdate)[:1])
	require.Equal(t, []string{"Successfully executed action " + chainTopic}, d.history(t, cwtypes.HistoryItemTypeAction))
	got := d.srv.Deliveries()
	require.Len(t, got, 1)
	require.Equal(t, "security@example.com", got[0].Endpoint)
	require.Equal(t, `ALARM: "cloudtrail-config-changes" in US East (N. Virginia)`, got[0].Subject)
	require.Contains(t, got[0].Message, `"NewStateValue":"ALARM"`)

	// With no further datapoint the alarm goes back to OK (notBreaching),
	// so the next drill sees a fresh OK → ALARM.
	eventually(t, "the return to OK", func() bool { return len(d.history(t, cwtypes.HistoryItemTypeStateUpdate)) == 2 })
	require.Equal(t, "Alarm updated from ALARM to OK", d.history(t, cwtypes.HistoryItemTypeStateUpdate)[1])
}

// A write the CIS filter does not name, to see whether a record arrives at all.
func (d *drillEnv) createTopic(t *testing.T) string {
	t.Helper()
	out, err := d.sns.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("drill-probe")})
	require.NoError(t, err)
	id, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	return id
}

// Each broken link stops the drill at its stage, with AWS's words where
// AWS gives some.
func TestPipelineStopsAtTheBrokenLink(t *testing.T) {
	cases := []struct {
		scenario string
		setup    func(t *testing.T, d *drillEnv)
		record   bool   // the StartLogging record reaches the log group
		point    bool   // the filter emits a datapoint
		alarm    bool   // the alarm goes to ALARM
		action   string // the Action history summary ("" none)
		delivers bool
	}{
		{scenario: "compliant", record: true, point: true, alarm: true, action: "Successfully executed action " + chainTopic, delivers: true},
		{scenario: "only-filter-missing", record: true, setup: func(t *testing.T, d *drillEnv) {
			_, err := d.logs.PutMetricFilter(ctx(t), &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(chainGroup),
				FilterName: aws.String("cloudtrail-config-changes"), FilterPattern: aws.String(`{ $.eventName = StopLogging }`),
				MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("CloudTrailConfigChanges"),
					MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}}})
			require.NoError(t, err)
		}},
		{scenario: "alarm-cannot-fire", record: true, point: true},
		{scenario: "alarm-unit-mismatch", record: true, point: true},
		{scenario: "no-alarm-topic", record: true, point: true, alarm: true},
		{scenario: "topic-key-without-cloudwatch", record: true, point: true, alarm: true,
			action: `Failed to execute action ` + chainTopic + `. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`},
		{scenario: "topic-aws-managed-key", record: true, point: true, alarm: true,
			action: `Failed to execute action ` + chainTopic + `. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`},
		{scenario: "topic-key-with-cloudwatch", record: true, point: true, alarm: true, action: "Successfully executed action " + chainTopic, delivers: true},
		{scenario: "topic-policy-without-cloudwatch", record: true, point: true, alarm: true,
			action: `Failed to execute action ` + chainTopic + `. Received error: "Resource: arn:aws:cloudwatch:us-east-1:111111111111:alarm:cloudtrail-config-changes is not authorized to perform: SNS:Publish on resource: ` + chainTopic + ` because no resource-based policy allows the SNS:Publish action"`},
		{scenario: "topic-policy-denies-cloudwatch", record: true, point: true, alarm: true,
			action: `Failed to execute action ` + chainTopic + `. Received error: "Resource: arn:aws:cloudwatch:us-east-1:111111111111:alarm:cloudtrail-config-changes is not authorized to perform: SNS:Publish on resource: ` + chainTopic + ` with an explicit deny in a resource-based policy"`},
		{scenario: "topic-policy-custom", record: true, point: true, alarm: true, action: "Successfully executed action " + chainTopic, delivers: true},
		{scenario: "alarm-topic-deleted", record: true, point: true, alarm: true,
			action: `Failed to execute action ` + chainTopic + `. Received error: "Topic does not exist"`},
		{scenario: "no-confirmed-subscriber", record: true, point: true, alarm: true, action: "Successfully executed action " + chainTopic},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			d := startDrill(t, tc.scenario, fastPipeline)
			if tc.setup != nil {
				tc.setup(t, d)
			}
			id := d.startLogging(t)
			time.Sleep(settle)
			require.Equal(t, tc.record, len(d.records(t, id)) == 1, "record")
			require.Equal(t, tc.point, len(d.datapoints(t)) == 1, "datapoint")
			states := d.history(t, cwtypes.HistoryItemTypeStateUpdate)
			require.Equal(t, tc.alarm, len(states) > 0 && states[0] == "Alarm updated from OK to ALARM", "alarm: %v", states)
			actions := d.history(t, cwtypes.HistoryItemTypeAction)
			if tc.action == "" {
				require.Empty(t, actions)
			} else {
				require.Equal(t, tc.action, actions[0])
			}
			require.Equal(t, tc.delivers, len(d.srv.Deliveries()) > 0, "deliveries")
		})
	}
}

// A trail that does not log, does not deliver or does not capture
// management events leaves the log group empty; the compliant trail, with
// the same call, does not.
func TestPipelineRecordsOnlyThroughADeliveringTrail(t *testing.T) {
	for scenario, want := range map[string]int{"compliant": 1, "trail-not-logging": 0, "logs-delivery-failing": 0,
		"no-cloudwatch-logs": 0, "management-events-not-captured": 0} {
		t.Run(scenario, func(t *testing.T) {
			d := startDrill(t, scenario, fastPipeline)
			id := d.createTopic(t)
			time.Sleep(settle)
			require.Len(t, d.records(t, id), want)
		})
	}
}

// A selector that excludes the event source (advanced selectors) keeps the
// record out.
func TestPipelineHonoursAdvancedSelectors(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	_, err := d.ct.PutEventSelectors(ctx(t), &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(chainTrail),
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("no sns"), FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
			{Field: aws.String("eventSource"), NotEquals: []string{"sns.amazonaws.com"}}}}}})
	require.NoError(t, err)
	topicID := d.createTopic(t)
	trailID := d.startLogging(t)
	eventually(t, "the StartLogging record", func() bool { return len(d.records(t, trailID)) == 1 })
	time.Sleep(settle)
	require.Empty(t, d.records(t, topicID))
}

// Only confirmed subscriptions receive the notification.
func TestPipelineSkipsPendingSubscriptions(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	_, err := d.sns.Subscribe(ctx(t), &sns.SubscribeInput{TopicArn: aws.String(chainTopic), Protocol: aws.String("email"),
		Endpoint: aws.String("pending@example.com")})
	require.NoError(t, err)
	d.startLogging(t)
	eventually(t, "a delivery", func() bool { return len(d.srv.Deliveries()) > 0 })
	time.Sleep(settle)
	var endpoints []string
	for _, dl := range d.srv.Deliveries() {
		endpoints = append(endpoints, dl.Endpoint)
	}
	require.Equal(t, []string{"security@example.com"}, endpoints)
}

// A topic policy condition no evaluator settles (check says MANUAL) is
// decided by the pipeline's UndecidedPolicies, both ways.
func TestPipelineUndecidedPolicy(t *testing.T) {
	for answer, delivers := range map[string]bool{"deny": false, "allow": true} {
		t.Run(answer, func(t *testing.T) {
			p := fastPipeline
			p.UndecidedPolicies = answer
			d := startDrill(t, "topic-policy-unknown-condition", p)
			d.startLogging(t)
			eventually(t, "the action", func() bool { return len(d.history(t, cwtypes.HistoryItemTypeAction)) == 1 })
			require.Equal(t, delivers, strings.HasPrefix(d.history(t, cwtypes.HistoryItemTypeAction)[0], "Successfully"))
			require.Equal(t, delivers, len(d.srv.Deliveries()) == 1)
		})
	}
}

// A world replaced while a record is on its way never sees it.
func TestPipelineResetDropsRecordsInFlight(t *testing.T) {
	p := fastPipeline
	p.DeliveryDelayMS = 100
	d := startDrill(t, "compliant", p)
	d.startLogging(t)
	require.NoError(t, d.srv.LoadScenario("compliant", ScenarioParams{}))
	time.Sleep(settle)
	require.Empty(t, d.datapoints(t))
	require.Empty(t, d.srv.Deliveries())
}

func TestPipelineReadCallsRejectBadInput(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	_, err := d.logs.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	require.Equal(t, "ResourceNotFoundException", apiCode(err))
	_, err = d.logs.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(chainGroup), FilterPattern: aws.String(`{ $.x = `)})
	require.Equal(t, "InvalidParameterException", apiCode(err))
	_, err = d.logs.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(chainGroup), StartTime: aws.Int64(10), EndTime: aws.Int64(5)})
	require.Equal(t, "InvalidParameterException", apiCode(err))
	_, err = d.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(testNow), EndTime: aws.Time(testNow.Add(-time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("N"), MetricName: aws.String("M")}, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
	require.Equal(t, "InvalidParameterValue", apiCode(err))
	_, err = d.cw.GetMetricData(ctx(t), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(testNow), EndTime: aws.Time(testNow.Add(time.Hour)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("Bad"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("N"), MetricName: aws.String("M")}, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
	require.Equal(t, "ValidationError", apiCode(err))
	_, err = d.cw.DescribeAlarmHistory(ctx(t), &cloudwatch.DescribeAlarmHistoryInput{NextToken: aws.String("!!")})
	require.Equal(t, "InvalidNextToken", apiCode(err))
	_, err = d.cw.DescribeAlarmHistory(ctx(t), &cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: "Nonsense"})
	require.Equal(t, "ValidationError", apiCode(err))
}

// Paging: FilterLogEvents and DescribeAlarmHistory hand out every item once.
func TestPipelinePaging(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	var ids []string
	for range 3 {
		ids = append(ids, d.startLogging(t))
	}
	eventually(t, "three records", func() bool {
		out, err := d.logs.FilterLogEvents(ctx(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(chainGroup)})
		require.NoError(t, err)
		return len(out.Events) == 3
	})
	var got []string
	p := cloudwatchlogs.NewFilterLogEventsPaginator(d.logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(chainGroup), Limit: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		require.NoError(t, err)
		for _, e := range out.Events {
			var rec map[string]any
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(e.Message)), &rec))
			got = append(got, rec["requestID"].(string))
		}
	}
	require.ElementsMatch(t, ids, got)

	eventually(t, "the return to OK", func() bool { return len(d.history(t, cwtypes.HistoryItemTypeStateUpdate)) >= 2 })
	all := d.history(t, "")
	var paged []string
	hp := cloudwatch.NewDescribeAlarmHistoryPaginator(d.cw, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(chainAlarm),
		ScanBy: cwtypes.ScanByTimestampAscending, MaxRecords: aws.Int32(1)})
	for hp.HasMorePages() {
		out, err := hp.NextPage(ctx(t))
		require.NoError(t, err)
		for _, h := range out.AlarmHistoryItems {
			paged = append(paged, aws.ToString(h.HistorySummary))
		}
	}
	require.Equal(t, all, paged)
}

// The control API sets the pipeline and shows the deliveries.
func TestPipelineControlAPI(t *testing.T) {
	srv, url := startSandbox(t, "compliant")
	post := func(body string) (int, string) {
		return controlRequest(t, "POST", url+"/_sandbox/pipeline", body)
	}
	require.False(t, srv.Pipeline().Enabled, "off until turned on")
	status, body := post(`{"enabled": true, "deliveryDelayMs": 5}`)
	require.Equal(t, 200, status, body)
	require.Equal(t, PipelineConfig{Enabled: true, DeliveryDelayMS: 5, AlarmSecondMS: 1, UndecidedPolicies: "deny"}, srv.Pipeline())
	status, body = post(`{"alarmSecondMs": 0}`)
	require.Equal(t, 400, status)
	require.Contains(t, body, "alarmSecondMs")
	status, _ = post(`{"delay": 5}`)
	require.Equal(t, 400, status)
	status, body = controlRequest(t, "GET", url+"/_sandbox/deliveries", "")
	require.Equal(t, 200, status)
	require.JSONEq(t, `[]`, body)
}

func controlRequest(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// BenchmarkPipelineFleet drills 1,000 compliant accounts at once (200 ms
// delivery delay, 30 ms alarm period): the last notification must follow
// the last StartLogging by about the delay plus one period, not by their
// sum over accounts.
func BenchmarkPipelineFleet(b *testing.B) {
	const accounts = 1000
	s, err := New(Options{})
	require.NoError(b, err)
	require.NoError(b, s.SetPipeline(PipelineConfig{Enabled: true, DeliveryDelayMS: 200, AlarmSecondMS: 0.1, UndecidedPolicies: "deny"}))
	r, err := s.Start("127.0.0.1:0")
	require.NoError(b, err)
	defer r.Close()
	bld := &builder{st: newState(), now: time.Now().UTC()}
	var keys []string
	for i := 1; i <= accounts; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i)
		ab := bld.account(id, AccessKeyFor(id))
		compliantChain(ab, DefaultRegion)
		keys = append(keys, AccessKeyFor(id))
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st := *bld.st
		raw, err := json.Marshal(&st)
		require.NoError(b, err)
		require.NoError(b, s.LoadState(raw))
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for _, key := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := cloudtrail.NewFromConfig(sdkConfig(r.URL, key))
				_, err := c.StartLogging(b.Context(), &cloudtrail.StartLoggingInput{Name: aws.String(chainTrail)})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		sent := time.Since(start)
		for len(s.Deliveries()) < accounts {
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(float64(sent.Milliseconds()), "ms-sending")
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-last-delivery")
	}
}

// Off (the default), calls leave no record.
func TestPipelineOffRecordsNothing(t *testing.T) {
	p := fastPipeline
	p.Enabled = false
	d := startDrill(t, "compliant", p)
	id := d.startLogging(t)
	time.Sleep(settle)
	require.Empty(t, d.records(t, id))
}

// GetMetricData and DescribeAlarmHistory answer alike over CBOR (the Go
// SDK), JSON 1.0 and Query (the AWS CLI).
func TestPipelineReadsOverEveryCloudWatchProtocol(t *testing.T) {
	d := startDrill(t, "compliant", fastPipeline)
	d.startLogging(t)
	eventually(t, "the action", func() bool { return len(d.history(t, cwtypes.HistoryItemTypeAction)) == 1 })
	for _, p := range cwProtocols {
		t.Run(p.name, func(t *testing.T) {
			cw := cloudwatch.NewFromConfig(sdkConfig(d.url, DefaultAccessKey), p.set)
			pd := &drillEnv{srv: d.srv, cw: cw}
			require.Equal(t, []float64{1}, pd.datapoints(t))
			require.Equal(t, []string{"Successfully executed action " + chainTopic}, pd.history(t, cwtypes.HistoryItemTypeAction))
			out, err := cw.DescribeAlarmHistory(ctx(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(chainAlarm),
				HistoryItemType: cwtypes.HistoryItemTypeStateUpdate, StartDate: aws.Time(testNow.Add(-time.Minute)), EndDate: aws.Time(testNow.Add(time.Minute))})
			require.NoError(t, err)
			require.NotEmpty(t, out.AlarmHistoryItems)
			require.True(t, testNow.Equal(aws.ToTime(out.AlarmHistoryItems[0].Timestamp)))
			require.Contains(t, aws.ToString(out.AlarmHistoryItems[0].HistoryData), `"newState"`)
			out, err = cw.DescribeAlarmHistory(ctx(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(chainAlarm),
				EndDate: aws.Time(testNow.Add(-time.Minute))})
			require.NoError(t, err)
			require.Empty(t, out.AlarmHistoryItems, "nothing before EndDate")
		})
	}
}

// A multi-region trail records calls made in every region; a
// single-region one only those of its home region.
func TestPipelineMultiRegionTrail(t *testing.T) {
	for scenario, want := range map[string]int{"compliant": 1, "no-multi-region-trail": 0} {
		t.Run(scenario, func(t *testing.T) {
			d := startDrill(t, scenario, fastPipeline)
			cfg := sdkConfig(d.url, DefaultAccessKey)
			cfg.Region = "eu-west-1"
			out, err := sns.NewFromConfig(cfg).CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("elsewhere")})
			require.NoError(t, err)
			id, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
			home := d.createTopic(t)
			eventually(t, "the home region's record", func() bool { return len(d.records(t, home)) == 1 })
			time.Sleep(settle)
			events := d.records(t, id)
			require.Len(t, events, want)
			if want == 1 {
				require.Contains(t, aws.ToString(events[0].Message), `"awsRegion":"eu-west-1"`)
				require.Equal(t, "111111111111_CloudTrail_eu-west-1", aws.ToString(events[0].LogStreamName))
			}
		})
	}
}
