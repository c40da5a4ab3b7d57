package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
)

// Options tune a drill run. The command layer fills them from flags.
type Options struct {
	// Parallel is how many accounts fire their triggers at once. The wait
	// that follows is not bounded by it: every account waits at once.
	Parallel int
	// Timeout is the one deadline for every account's change to be seen
	// at its last stage, counted from when the triggers were fired.
	Timeout time.Duration
	// PollMin and PollMax bound the interval between two reads of a stage
	// not reached yet: it starts at PollMin and doubles up to PollMax.
	PollMin, PollMax time.Duration
	// Record is told every write, before the next one is made (the journal).
	Record func(Call)
	// Progress is told each time an account's change reaches a stage, or
	// its drill ends (stage "" and the outcome).
	Progress func(p Plan, stage StageName, o Outcome)
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Defaults for AWS: CloudTrail delivers to CloudWatch Logs in minutes, and
// an alarm period is a minute or more.
const (
	DefaultTimeout = 15 * time.Minute
	DefaultPollMin = 5 * time.Second
	DefaultPollMax = 30 * time.Second
)

// Result is one account's drill for one control.
type Result struct {
	Account     string `json:"account"`
	Profile     string `json:"profile,omitempty"`
	Region      string `json:"region"`
	ControlID   string `json:"control_id"`
	SecurityHub string `json:"security_hub,omitempty"`
	// CheckText is check's verdict, as check prints it.
	CheckText string  `json:"check"`
	Outcome   Outcome `json:"outcome"`
	// NotDrilled and Reason say why nothing was done, or why the drill
	// failed.
	NotDrilled Skip   `json:"not_drilled,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Trigger is what was called; Calls every write made, clean-up
	// included.
	Trigger     string       `json:"trigger,omitempty"`
	Calls       []Call       `json:"calls,omitempty"`
	RequestID   string       `json:"request_id,omitempty"`
	FiredAt     *time.Time   `json:"fired_at,omitempty"`
	Path        PathNames    `json:"path"`
	Stages      []Stage      `json:"stages,omitempty"`
	Topic       string       `json:"topic,omitempty"`
	Subscribers []Subscriber `json:"subscribers,omitempty"`
	// Settles is set for a MANUAL verdict: what the drill showed about it.
	Settles *Settlement `json:"settles,omitempty"`
}

// PathNames names the path followed.
type PathNames struct {
	Trail    string `json:"trail,omitempty"`
	LogGroup string `json:"log_group,omitempty"`
	Filter   string `json:"filter,omitempty"`
	Metric   string `json:"metric,omitempty"`
	Alarm    string `json:"alarm,omitempty"`
	Topic    string `json:"topic,omitempty"`
}

// Settlement is what a drill proved about a MANUAL verdict.
type Settlement struct {
	// Question is check's note: what it could not decide.
	Question string `json:"question"`
	// Delivers is true when CloudWatch's publish to the topic succeeded,
	// false when AWS refused it, nil when the drill stopped before.
	Delivers *bool  `json:"delivers,omitempty"`
	Answer   string `json:"answer"`
}

func (p Plan) key() string { return p.Account + "\x00" + p.Control.ID }

type runner struct {
	o     Options
	mu    sync.Mutex
	calls map[string][]Call
}

func (r *runner) now() time.Time {
	if r.o.Now != nil {
		return r.o.Now()
	}
	return time.Now()
}

// Run drills every plan: the triggers side by side (Parallel at a time),
// then every account's change followed at once until its last stage or
// the one deadline. Results keep the plans' order. An interrupt (ctx)
// stops new triggers and the waiting; a trigger already started is made
// whole, its resource deleted.
func Run(ctx context.Context, plans []Plan, o Options) []Result {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PollMin <= 0 {
		o.PollMin = DefaultPollMin
	}
	if o.PollMax < o.PollMin {
		o.PollMax = max(o.PollMin, DefaultPollMax)
	}
	r := &runner{o: o, calls: map[string][]Call{}}
	results := make([]Result, len(plans))
	fires := make([]*fired, len(plans))
	for i, p := range plans {
		results[i] = newResult(p)
	}
	parallel.ForEach(ctx, len(plans), o.Parallel, func(ctx context.Context, i int) {
		p := plans[i]
		if !p.Drills() {
			r.progress(p, "", NotDrilled)
			return
		}
		if ctx.Err() != nil {
			results[i].Outcome, results[i].Reason = Interrupted, "interrupted before the trigger was made"
			r.progress(p, "", Interrupted)
			return
		}
		f, err := r.fire(ctx, p)
		results[i].Calls = r.callsOf(p)
		if err != nil {
			results[i].Outcome, results[i].Reason = Failed, "trigger: "+describe(err, p.Profile)
			r.progress(p, "", Failed)
			return
		}
		at := f.at.UTC()
		results[i].RequestID, results[i].FiredAt = f.requestID, &at
		fires[i] = &f
	})
	deadline := r.now().Add(o.Timeout)
	var wg sync.WaitGroup
	for i := range plans {
		if fires[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.follow(ctx, plans[i], *fires[i], deadline, &results[i])
			r.progress(plans[i], "", results[i].Outcome)
		}()
	}
	wg.Wait()
	return results
}

func describe(err error, profile string) string {
	if errors.Is(err, errCleanup) {
		return err.Error()
	}
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return awserr.Describe(err, profile).Message
	}
	return err.Error()
}

func (r *runner) progress(p Plan, s StageName, o Outcome) {
	if r.o.Progress != nil {
		r.o.Progress(p, s, o)
	}
}

func (r *runner) callsOf(p Plan) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[p.key()]
}

func newResult(p Plan) Result {
	res := Result{Account: p.Account, Profile: p.Profile, Region: p.Region, ControlID: p.Control.ID, SecurityHub: p.Control.SecurityHub,
		CheckText: p.Check.String(), Topic: p.Topic, Subscribers: p.Subscribers}
	if tr := p.Path.Trail; tr != nil {
		res.Path.Trail, res.Path.LogGroup = tr.ARN, tr.LogGroupName
	}
	if p.Path.Filter != nil {
		res.Path.Filter = p.Path.Filter.Name
	}
	if m := p.Path.Metric; m != nil {
		res.Path.Metric = m.Namespace + "/" + m.Name
	}
	if p.Path.Alarm != nil {
		res.Path.Alarm = p.Path.Alarm.ARN
	}
	res.Path.Topic = p.Topic
	if p.Drills() {
		res.Trigger = p.Control.Drill.Description
	} else {
		res.Outcome, res.NotDrilled, res.Reason = NotDrilled, p.NotDrilled, p.Why
	}
	return res
}

// errNotYet is a stage's read that did not find the change (yet).
var errNotYet = errors.New("not yet")

// brokenErr is AWS saying the change stopped at a stage.
type brokenErr struct{ detail, aws string }

func (b *brokenErr) Error() string { return b.detail }

// follow reads each stage in turn until it shows the change, polling with
// a doubling interval, until the deadline.
func (r *runner) follow(ctx context.Context, p Plan, f fired, deadline time.Time, res *Result) {
	st := &stageState{p: p, f: f, explained: map[StageName]bool{}, why: map[StageName]string{}}
	polls := []func(context.Context, *stageState) (Stage, error){pollLogGroup, pollFilter, pollAlarm, pollAction, pollSubscribers}
	for i, poll := range polls {
		s, ended := r.await(ctx, st, Stages[i], poll, deadline)
		res.Stages = append(res.Stages, s)
		if ended != "" {
			res.Outcome = ended
			r.settle(p, res, false, s.AWSMessage)
			return
		}
		r.progress(p, s.Name, "")
	}
	res.Outcome = Delivered
	orderTimes(res.Stages)
	r.settle(p, res, true, "")
}

// orderTimes keeps the stages' times in the change's order. A stage's time
// is when the drill saw it, except where AWS stamps it (the alarm's
// history): CloudWatch does not say when a datapoint arrived, so a filter
// seen after the alarm it fired is given the alarm's time, by which it had
// counted the change.
func orderTimes(stages []Stage) {
	for i := len(stages) - 2; i >= 0; i-- {
		next := stages[i+1].At
		if at := stages[i].At; at != nil && next != nil && at.After(*next) {
			t := *next
			stages[i].At = &t
		}
	}
}

// await reads one stage until it shows the change, AWS says it never
// will, the deadline passes or the run is interrupted; ended is the
// drill's outcome when it ends here.
func (r *runner) await(ctx context.Context, st *stageState, name StageName, poll func(context.Context, *stageState) (Stage, error), deadline time.Time) (_ Stage, ended Outcome) {
	interrupted := Stage{Name: name, Status: StageInterrupted, Detail: "interrupted while waiting here"}
	for wait := r.o.PollMin; ; wait = min(wait*2, r.o.PollMax) {
		if ctx.Err() != nil {
			return interrupted, Interrupted
		}
		s, err := poll(ctx, st)
		s.Name = name
		var b *brokenErr
		switch {
		case err == nil:
			s.Status = StageOK
			return s, ""
		case errors.As(err, &b):
			return Stage{Name: name, Status: StageBroken, At: s.At, Detail: b.detail, AWSMessage: b.aws}, NotDelivered
		case ctx.Err() != nil:
			return interrupted, Interrupted
		case !errors.Is(err, errNotYet):
			return Stage{Name: name, Status: StageError, Detail: describe(err, st.p.Profile)}, Failed
		}
		if explain := explainers[name]; explain != nil && !st.explained[name] {
			// Asked once: AWS's own answer to why the change is not here
			// yet, which may already settle that it never will.
			st.explained[name] = true
			msg, broken := explain(ctx, st)
			if broken {
				return Stage{Name: name, Status: StageBroken, Detail: s.Detail, AWSMessage: msg}, NotDelivered
			}
			st.why[name] = msg
		}
		now := r.now()
		if !now.Before(deadline) {
			s.Status, s.AWSMessage = StageTimedOut, st.why[name]
			if explain := lateExplainers[name]; explain != nil {
				if msg := explain(context.WithoutCancel(ctx), st); msg != "" {
					s.AWSMessage = msg
				}
			}
			return s, NotDelivered
		}
		select {
		case <-ctx.Done():
			return interrupted, Interrupted
		case <-time.After(min(wait, deadline.Sub(now))):
		}
	}
}

func (r *runner) settle(p Plan, res *Result, delivers bool, aws string) {
	if p.Check.Status != check.Manual {
		return
	}
	s := &Settlement{Question: p.Manual}
	reached := false
	for _, st := range res.Stages {
		if st.Name == StageAction && (st.Status == StageOK || st.Status == StageBroken) {
			reached = true
		}
	}
	switch {
	case !reached:
		s.Answer = "not settled: the drill stopped before CloudWatch published to the topic"
	case delivers || res.stageOK(StageAction):
		t := true
		s.Delivers, s.Answer = &t, "settled: CloudWatch published the alarm to "+p.Topic+": the topic admits it"
	default:
		f := false
		s.Delivers, s.Answer = &f, "settled: CloudWatch could not publish to "+p.Topic+": "+aws
	}
	res.Settles = s
}

func (res *Result) stageOK(n StageName) bool {
	for _, s := range res.Stages {
		if s.Name == n {
			return s.Status == StageOK
		}
	}
	return false
}

// stageState carries what one stage found to the next.
type stageState struct {
	p        Plan
	f        fired
	alarmAt  time.Time
	actionAt time.Time
	// record is the trigger's record as the log group holds it.
	record    string
	explained map[StageName]bool
	why       map[StageName]string
}

// explainers ask AWS, once, why a stage has not seen the change: broken is
// true when AWS's answer settles that it never will.
var explainers = map[StageName]func(context.Context, *stageState) (msg string, broken bool){
	StageFilter: explainFilter,
}

// lateExplainers ask AWS, at the deadline, for its words on a stage the
// change did not reach.
var lateExplainers = map[StageName]func(context.Context, *stageState) string{
	StageLogGroup: explainLogGroup,
	StageAlarm:    explainAlarm,
}

// explainFilter asks CloudWatch Logs' engine (logs:TestMetricFilter)
// whether the filter's pattern matches the trigger's record. A refusal or
// an error leaves the question to the datapoints.
func explainFilter(ctx context.Context, st *stageState) (string, bool) {
	f := st.p.Path.Filter
	if st.record == "" || f.Pattern == "" {
		return "", false
	}
	out, err := st.p.clients.Logs(logRegion(st)).TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{
		FilterPattern: aws.String(f.Pattern), LogEventMessages: []string{st.record}})
	if err != nil || len(out.Matches) > 0 {
		return "", false
	}
	return fmt.Sprintf("logs:TestMetricFilter: filter %s's pattern matches no event in the trigger's record", f.Name), true
}

// explainLogGroup reads CloudTrail's own status of the trail: whether it
// logs, and its last delivery error to CloudWatch Logs.
func explainLogGroup(ctx context.Context, st *stageState) string {
	tr := st.p.Path.Trail
	out, err := st.p.clients.Trail(tr.HomeRegion).GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(tr.ARN)})
	switch {
	case err != nil:
		return ""
	case !aws.ToBool(out.IsLogging):
		return "cloudtrail:GetTrailStatus: the trail is not logging"
	case aws.ToString(out.LatestCloudWatchLogsDeliveryError) != "":
		return "cloudtrail:GetTrailStatus: LatestCloudWatchLogsDeliveryError " + aws.ToString(out.LatestCloudWatchLogsDeliveryError)
	}
	return ""
}

// explainAlarm reads the alarm's state and CloudWatch's reason for it.
func explainAlarm(ctx context.Context, st *stageState) string {
	m, a := st.p.Path.Metric, st.p.Path.Alarm
	in := &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.Name)}
	for k, v := range m.Dimensions {
		in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	out, err := st.p.clients.Metrics(alarmRegion(st)).DescribeAlarmsForMetric(ctx, in)
	if err != nil {
		return ""
	}
	for _, al := range out.MetricAlarms {
		if aws.ToString(al.AlarmName) == a.Name {
			return fmt.Sprintf("alarm state %s: %s", al.StateValue, aws.ToString(al.StateReason))
		}
	}
	return ""
}

func logRegion(st *stageState) string {
	tr := st.p.Path.Trail
	if tr.LogGroupRegion != "" {
		return tr.LogGroupRegion
	}
	return arnRegion(tr.LogGroupARN, st.p.Region)
}

// lookBack widens every search before the trigger: clocks differ.
const lookBack = 5 * time.Minute

func pollLogGroup(ctx context.Context, st *stageState) (Stage, error) {
	tr := st.p.Path.Trail
	region := logRegion(st)
	s := Stage{Detail: fmt.Sprintf("the record of request %s has not reached log group %s", st.f.requestID, tr.LogGroupName)}
	if tr.DeliveryError != "" {
		s.AWSMessage = "CloudTrail's last delivery error: " + tr.DeliveryError
	}
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(tr.LogGroupName),
		FilterPattern: aws.String(fmt.Sprintf(`{ $.requestID = "%s" }`, st.f.requestID)),
		StartTime:     aws.Int64(st.f.at.Add(-lookBack).UnixMilli())}
	for {
		out, err := st.p.clients.Logs(region).FilterLogEvents(ctx, in)
		if err != nil {
			return s, err
		}
		for _, e := range out.Events {
			st.record = aws.ToString(e.Message)
			at := time.UnixMilli(aws.ToInt64(e.IngestionTime)).UTC()
			return Stage{At: &at, Detail: fmt.Sprintf("the record of request %s reached log group %s (stream %s)", st.f.requestID, tr.LogGroupName, aws.ToString(e.LogStreamName))}, nil
		}
		if out.NextToken == nil {
			return s, errNotYet
		}
		in.NextToken = out.NextToken
	}
}

func pollFilter(ctx context.Context, st *stageState) (Stage, error) {
	m, f := st.p.Path.Metric, st.p.Path.Filter
	s := Stage{Detail: fmt.Sprintf("filter %s has not counted the record in metric %s/%s", f.Name, m.Namespace, m.Name)}
	metric := cwtypes.Metric{Namespace: aws.String(m.Namespace), MetricName: aws.String(m.Name)}
	for k, v := range m.Dimensions {
		metric.Dimensions = append(metric.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	now := time.Now()
	start := st.f.at.Add(-time.Minute).Truncate(time.Minute)
	// The filter emits its metric in the log group's region, which need
	// not be the region trails were discovered from (--region).
	out, err := st.p.clients.Metrics(logRegion(st)).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(now.Add(time.Minute).Truncate(time.Minute).Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("drill"),
			MetricStat: &cwtypes.MetricStat{Metric: &metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}},
	})
	if err != nil {
		return s, err
	}
	for _, r := range out.MetricDataResults {
		for i, v := range r.Values {
			if v > 0 && i < len(r.Timestamps) {
				at := now.UTC()
				return Stage{At: &at, Detail: fmt.Sprintf("filter %s counted it: %s/%s is %g in the minute from %s", f.Name, m.Namespace, m.Name, v, r.Timestamps[i].UTC().Format("15:04"))}, nil
			}
		}
	}
	return s, errNotYet
}

// historyData is the part of an alarm history item's HistoryData read.
type historyData struct {
	NewState struct {
		StateValue string `json:"stateValue"`
	} `json:"newState"`
}

func alarmRegion(st *stageState) string { return arnRegion(st.p.Path.Alarm.ARN, st.p.Region) }

func pollAlarm(ctx context.Context, st *stageState) (Stage, error) {
	a := st.p.Path.Alarm
	s := Stage{Detail: fmt.Sprintf("alarm %s has not gone to ALARM since the trigger", a.Name)}
	if !a.CanFire && a.Why != "" {
		s.Detail += " (check: " + a.Why + ")"
	}
	items, err := history(ctx, st, cwtypes.HistoryItemTypeStateUpdate, st.f.at.Add(-time.Second))
	if err != nil {
		return s, err
	}
	for _, it := range items {
		var d historyData
		if json.Unmarshal([]byte(aws.ToString(it.HistoryData)), &d) == nil && d.NewState.StateValue == "ALARM" {
			at := aws.ToTime(it.Timestamp).UTC()
			st.alarmAt = at
			return Stage{At: &at, Detail: fmt.Sprintf("alarm %s: %s", a.Name, aws.ToString(it.HistorySummary))}, nil
		}
	}
	return s, errNotYet
}

func history(ctx context.Context, st *stageState, kind cwtypes.HistoryItemType, since time.Time) ([]cwtypes.AlarmHistoryItem, error) {
	in := &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(st.p.Path.Alarm.Name), HistoryItemType: kind,
		StartDate: aws.Time(since), EndDate: aws.Time(time.Now().Add(time.Hour)), ScanBy: cwtypes.ScanByTimestampAscending}
	var items []cwtypes.AlarmHistoryItem
	for {
		out, err := st.p.clients.Metrics(alarmRegion(st)).DescribeAlarmHistory(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.AlarmHistoryItems...)
		if out.NextToken == nil {
			return items, nil
		}
		in.NextToken = out.NextToken
	}
}

func pollAction(ctx context.Context, st *stageState) (Stage, error) {
	a, topic := st.p.Path.Alarm, st.p.Topic
	if topic == "" {
		return Stage{}, &brokenErr{detail: fmt.Sprintf("alarm %s went to ALARM but notifies no SNS topic", a.Name)}
	}
	s := Stage{Detail: fmt.Sprintf("CloudWatch has not reported the SNS action for %s", topic)}
	items, err := history(ctx, st, cwtypes.HistoryItemTypeAction, st.alarmAt.Add(-time.Second))
	if err != nil {
		return s, err
	}
	for _, it := range items {
		sum := aws.ToString(it.HistorySummary)
		if !strings.Contains(sum, topic) {
			continue
		}
		at := aws.ToTime(it.Timestamp).UTC()
		if strings.HasPrefix(sum, "Successfully executed action") {
			st.actionAt = at
			return Stage{At: &at, Detail: "CloudWatch published the alarm to " + topic}, nil
		}
		return Stage{At: &at}, &brokenErr{detail: "CloudWatch could not publish the alarm to " + topic, aws: sum}
	}
	return s, errNotYet
}

func pollSubscribers(_ context.Context, st *stageState) (Stage, error) {
	p := st.p
	at := st.actionAt
	switch {
	case p.Path.Topic != nil && p.Path.Topic.Account != p.Account:
		return Stage{At: &at, Detail: fmt.Sprintf("the topic is account %s's: its subscribers were not read", p.Path.Topic.Account)}, nil
	case len(p.Subscribers) == 0:
		return Stage{}, &brokenErr{detail: fmt.Sprintf("SNS accepted the alarm but the topic has no confirmed subscriber (%d pending confirmation): nobody is told", p.Pending)}
	}
	var who []string
	for _, s := range p.Subscribers {
		who = append(who, s.Protocol+" "+s.Endpoint)
	}
	return Stage{At: &at, Detail: fmt.Sprintf("SNS delivers to %d confirmed %s: %s", len(who), plural(len(who), "subscriber", "subscribers"), strings.Join(who, ", "))}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
