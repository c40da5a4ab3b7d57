package sandbox

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check/pattern"
)

// The pipeline a CIS monitoring control rests on, emulated end to end: a
// write call made to the sandbox becomes a CloudTrail record; after the
// delivery delay it lands in the log group of every trail that logs it;
// metric filters turn it into datapoints; alarms on the metric are
// evaluated and notify their topics (pipeline_alarm.go). Every step is a
// timer (time.AfterFunc), never a goroutine waiting, so a thousand accounts
// cost a thousand timers.

// PipelineConfig sets the pipeline's timing and its answer to questions
// the policy evaluator cannot settle.
type PipelineConfig struct {
	// Enabled turns the pipeline on. It is off by default: its timers
	// change the world (log events, datapoints, alarm states) after a call
	// has been answered, which tests of other commands that compare the
	// state before and after must not see.
	Enabled bool `json:"enabled"`
	// DeliveryDelayMS is how long CloudTrail takes to deliver a record to
	// CloudWatch Logs (on AWS typically minutes).
	DeliveryDelayMS int `json:"deliveryDelayMs"`
	// AlarmSecondMS is how many real milliseconds one second of an alarm's
	// period lasts: with 1, a 300-second period is 300 ms.
	AlarmSecondMS float64 `json:"alarmSecondMs"`
	// UndecidedPolicies is "deny" (default) or "allow": what CloudWatch's
	// publish meets when a topic policy or key policy has a condition the
	// evaluator cannot decide (check reports MANUAL for it).
	UndecidedPolicies string `json:"undecidedPolicies"`
}

// DefaultPipeline is the pipeline a new server starts with: off, and
// once enabled fast enough for tests.
var DefaultPipeline = PipelineConfig{DeliveryDelayMS: 50, AlarmSecondMS: 1, UndecidedPolicies: "deny"}

func (p PipelineConfig) validate() error {
	switch {
	case p.DeliveryDelayMS < 0:
		return fmt.Errorf("pipeline: deliveryDelayMs %d is negative", p.DeliveryDelayMS)
	case p.AlarmSecondMS <= 0 || p.AlarmSecondMS > 60000:
		return fmt.Errorf("pipeline: alarmSecondMs %v: want more than 0 and at most 60000", p.AlarmSecondMS)
	case p.UndecidedPolicies != "deny" && p.UndecidedPolicies != "allow":
		return fmt.Errorf("pipeline: undecidedPolicies %q: want \"deny\" or \"allow\"", p.UndecidedPolicies)
	}
	return nil
}

// SetPipeline replaces the pipeline's configuration. It survives loading a
// scenario or state, as the clock does: it is the server's, not the world's.
func (s *Server) SetPipeline(p PipelineConfig) error {
	if err := p.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pipe = p
	return nil
}

// Pipeline returns the pipeline's configuration.
func (s *Server) Pipeline() PipelineConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pipe
}

// after runs f with the server locked once d has passed, unless the world
// was replaced (reset, scenario, state) in between.
func (s *Server) after(d time.Duration, f func()) {
	gen := s.gen
	time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.gen == gen {
			f()
		}
	})
}

// logEvent is one event of a log group, as CloudTrail delivered it.
type logEvent struct {
	ID        int64  `json:"id"`
	Stream    string `json:"stream"`
	Timestamp int64  `json:"timestamp"`     // epoch ms: the record's eventTime
	Ingestion int64  `json:"ingestionTime"` // epoch ms
	Message   string `json:"message"`
}

// datapoint is one value a metric filter emitted.
type datapoint struct {
	Namespace  string      `json:"namespace"`
	MetricName string      `json:"metricName"`
	Dimensions []dimension `json:"dimensions,omitempty"`
	Timestamp  time.Time   `json:"timestamp"` // the log event's time
	Value      float64     `json:"value"`
	Unit       string      `json:"unit,omitempty"`
	// Arrived is when it reached CloudWatch in real time: alarm periods,
	// scaled, are measured against it (the sandbox clock may be pinned).
	Arrived time.Time `json:"arrived"`
}

// Bounds that keep a long-running sandbox's footprint fixed.
const (
	maxGroupEvents = 10000
	maxDatapoints  = 10000
)

// deliveryTarget is a log group a trail delivers a record to.
type deliveryTarget struct {
	account, region, group, stream string
}

// trailEvent is what the pipeline needs to know about a call.
type trailEvent struct {
	source, name, region string
	readOnly, global     bool
	identityARN          string
}

// eventSources are the services' CloudTrail event sources; services not
// listed (sts) are not recorded.
var eventSources = map[string]string{
	"cloudtrail": "cloudtrail.amazonaws.com", "logs": "logs.amazonaws.com", "monitoring": "monitoring.amazonaws.com",
	"sns": "sns.amazonaws.com", "iam": "iam.amazonaws.com", "kms": "kms.amazonaws.com",
	"organizations": "organizations.amazonaws.com", "ec2": "ec2.amazonaws.com",
}

// globalServices record their events in us-east-1, seen by trails that
// include global service events.
var globalServices = map[string]bool{"iam": true, "organizations": true}

var readOnlyPrefixes = []string{"Describe", "Get", "List", "Test", "Filter", "Lookup", "Search", "Check"}

// newTrailEvent describes a call for the selectors; ok is false for calls
// the pipeline does not record (read calls, unrecorded services).
func newTrailEvent(st *state, c *call) (trailEvent, bool) {
	source := eventSources[c.Service]
	if source == "" {
		return trailEvent{}, false
	}
	ev := trailEvent{source: source, name: c.Action, region: c.Region, global: globalServices[c.Service], identityARN: callerARN(st, c)}
	if ev.global {
		ev.region = DefaultRegion
	}
	for _, p := range readOnlyPrefixes {
		if strings.HasPrefix(c.Action, p) {
			ev.readOnly = true
		}
	}
	return ev, !ev.readOnly
}

// deliveryTargets lists the log groups the trails visible from the call's
// account deliver its record to: trails that log, deliver to CloudWatch
// Logs without a failing delivery and whose selectors capture the event.
func (st *state) deliveryTargets(c *call, ev trailEvent) []deliveryTarget {
	var out []deliveryTarget
	for _, t := range st.trailsSeenFrom(c.Account, ev.region) {
		if !t.IsLogging || t.LogGroupArn == "" || t.LatestCloudWatchLogsDeliveryError != "" ||
			(ev.global && !t.IncludeGlobalServiceEvents) || !t.captures(ev) {
			continue
		}
		m := logGroupRE.FindStringSubmatch(t.LogGroupArn)
		if m == nil {
			continue
		}
		out = append(out, deliveryTarget{account: m[2], region: m[1], group: m[3],
			stream: fmt.Sprintf("%s_CloudTrail_%s", c.Account, ev.region)})
	}
	return out
}

// captures applies the trail's selectors to a management event.
func (t *trail) captures(ev trailEvent) bool {
	if len(t.AdvancedEventSelectors) > 0 {
		for _, sel := range t.AdvancedEventSelectors {
			if sel.matches(ev) {
				return true
			}
		}
		return false
	}
	for _, sel := range t.EventSelectors {
		rw := sel.ReadWriteType == "All" || sel.ReadWriteType == "" ||
			(sel.ReadWriteType == "WriteOnly" && !ev.readOnly) || (sel.ReadWriteType == "ReadOnly" && ev.readOnly)
		if sel.IncludeManagementEvents && rw && !contains(sel.ExcludeManagementEventSources, ev.source) {
			return true
		}
	}
	return false
}

// matches: every field selector holds. Fields a management event does not
// carry (resources.ARN, …) read as empty.
func (sel advancedSelector) matches(ev trailEvent) bool {
	fields := map[string]string{"eventCategory": "Management", "eventSource": ev.source, "eventName": ev.name,
		"readOnly": strconv.FormatBool(ev.readOnly), "eventType": "AwsApiCall", "userIdentity.arn": ev.identityARN}
	for _, f := range sel.FieldSelectors {
		v := fields[f.Field]
		any := func(vals []string, ok func(string) bool) bool {
			for _, x := range vals {
				if ok(x) {
					return true
				}
			}
			return false
		}
		eq := func(x string) bool { return v == x }
		pre := func(x string) bool { return strings.HasPrefix(v, x) }
		suf := func(x string) bool { return strings.HasSuffix(v, x) }
		if (len(f.Equals) > 0 && !any(f.Equals, eq)) || (len(f.StartsWith) > 0 && !any(f.StartsWith, pre)) ||
			(len(f.EndsWith) > 0 && !any(f.EndsWith, suf)) || any(f.NotEquals, eq) ||
			any(f.NotStartsWith, pre) || any(f.NotEndsWith, suf) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unionTargets merges the targets found before and after a call (stopping the trail
// is recorded by the trail it stops, StartLogging by the trail it starts).
func unionTargets(a, b []deliveryTarget) []deliveryTarget {
	out := append([]deliveryTarget{}, a...)
	for _, t := range b {
		if !containsTarget(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func containsTarget(ts []deliveryTarget, t deliveryTarget) bool {
	for _, x := range ts {
		if x.account == t.account && x.region == t.region && x.group == t.group {
			return true
		}
	}
	return false
}

// recordCall makes a successful call a CloudTrail record and schedules its
// delivery. It runs with the server locked.
func (s *Server) recordCall(r *http.Request, req *request, c *call, ev trailEvent, targets []deliveryTarget, out map[string]any) {
	if len(targets) == 0 {
		return
	}
	now := s.st.clock()
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	rec := map[string]any{
		"eventVersion":       "1.09",
		"userIdentity":       s.st.userIdentity(c),
		"eventTime":          now.Format(time.RFC3339),
		"eventSource":        ev.source,
		"eventName":          ev.name,
		"awsRegion":          ev.region,
		"sourceIPAddress":    ip,
		"userAgent":          r.UserAgent(),
		"requestParameters":  lowerKeys(c.Input),
		"responseElements":   lowerKeys(out),
		"requestID":          req.id,
		"eventID":            newRequestID(),
		"readOnly":           ev.readOnly,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": c.Account,
		"eventCategory":      "Management",
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	msg := string(b)
	s.after(time.Duration(s.pipe.DeliveryDelayMS)*time.Millisecond, func() {
		for _, t := range targets {
			s.deliverLogEvent(t, now, msg)
		}
	})
}

// userIdentity is the record's userIdentity for the caller: the account's
// IAM user, or the assumed role session.
func (st *state) userIdentity(c *call) map[string]any {
	if sess := st.Sessions[c.AccessKey]; sess != nil {
		owner := arnField(sess.RoleARN, 4)
		return map[string]any{
			"type": "AssumedRole", "principalId": sess.RoleID + ":" + sess.SessionName, "arn": assumedRoleARN(sess),
			"accountId": c.Account, "accessKeyId": c.AccessKey,
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{"type": "Role", "principalId": sess.RoleID, "arn": sess.RoleARN, "accountId": owner, "userName": roleNameOf(sess.RoleARN)},
				"attributes":    map[string]any{"mfaAuthenticated": "false"},
			},
		}
	}
	return map[string]any{
		"type": "IAMUser", "principalId": "AIDASANDBOX" + c.Account[3:], "arn": callerARN(st, c),
		"accountId": c.Account, "accessKeyId": c.AccessKey, "userName": "sandbox",
	}
}

// lowerKeys renders request or response values as CloudTrail does: member
// names in lowerCamelCase; an empty structure is null.
func lowerKeys(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return lowerValue(m)
}

func lowerValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[lowerFirst(k)] = lowerValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = lowerValue(x)
		}
		return out
	case time.Time:
		return v.UTC().Format("Jan 2, 2006, 3:04:05 PM")
	}
	return v
}

func lowerFirst(k string) string {
	if k == "" || k[0] < 'A' || k[0] > 'Z' {
		return k
	}
	return strings.ToLower(k[:1]) + k[1:]
}

// deliverLogEvent puts a record into a log group and runs its metric
// filters. A log group deleted since the call loses the record, as on AWS.
func (s *Server) deliverLogEvent(t deliveryTarget, eventTime time.Time, msg string) {
	g := s.st.logGroup(t.account, t.region, t.group)
	if g == nil {
		return
	}
	ev := logEvent{ID: s.st.nextID(), Stream: t.stream, Timestamp: eventTime.UnixMilli(), Ingestion: s.st.clock().UnixMilli(), Message: msg}
	if len(g.Events) == maxGroupEvents {
		g.Events = append(g.Events[:0], g.Events[1:]...)
	}
	g.Events = append(g.Events, ev)
	rs := s.st.account(t.account).region(t.region)
	var record map[string]any
	_ = json.Unmarshal([]byte(msg), &record)
	for _, name := range sortedKeys(g.Filters) {
		f := g.Filters[name]
		dp, ok := filterDatapoint(f, msg, record)
		if !ok {
			continue
		}
		dp.Timestamp, dp.Arrived = eventTime, time.Now()
		if len(rs.Datapoints) == maxDatapoints {
			rs.Datapoints = append(rs.Datapoints[:0], rs.Datapoints[1:]...)
		}
		rs.Datapoints = append(rs.Datapoints, dp)
		for _, an := range sortedAlarmNames(rs.Alarms) {
			if a := rs.Alarms[an]; a.watches(dp) {
				s.scheduleEvaluation(t.account, t.region, a, s.periodIndex(a, dp.Arrived))
			}
		}
	}
}

// filterDatapoint is the datapoint a metric filter emits for an event: its
// metric value on a match, the default value (if any) otherwise. An
// Unknown verdict of the pattern engine emits nothing but the default.
func filterDatapoint(f *metricFilter, msg string, record map[string]any) (datapoint, bool) {
	tr := f.Transformation
	dp := datapoint{Namespace: tr.MetricNamespace, MetricName: tr.MetricName, Unit: tr.Unit}
	p, err := pattern.Parse(f.Pattern)
	if err != nil || p.Eval(msg) != pattern.Match {
		if tr.DefaultValue == nil {
			return dp, false
		}
		dp.Value = *tr.DefaultValue
		return dp, true
	}
	v, ok := fieldValue(tr.MetricValue, record)
	if !ok {
		return dp, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return dp, false
	}
	dp.Value = n
	for _, name := range sortedKeys(tr.Dimensions) {
		dv, ok := fieldValue(tr.Dimensions[name], record)
		if !ok {
			// A dimension the event does not carry: CloudWatch Logs emits nothing.
			return dp, false
		}
		dp.Dimensions = append(dp.Dimensions, dimension{Name: name, Value: dv})
	}
	return dp, true
}

// fieldValue resolves a metric value or dimension: a literal, or "$.a.b"
// read from the JSON record.
func fieldValue(spec string, record map[string]any) (string, bool) {
	if !strings.HasPrefix(spec, "$.") {
		return spec, true
	}
	var cur any = record
	for _, part := range strings.Split(strings.TrimPrefix(spec, "$."), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// decodePipeline reads a partial configuration over the current one.
func decodePipeline(b []byte, cur PipelineConfig) (PipelineConfig, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cur); err != nil {
		return cur, fmt.Errorf("pipeline: %w", err)
	}
	return cur, cur.validate()
}

// sortedEvents is a log group's events in time order (then arrival).
func sortedEvents(g *logGroup) []logEvent {
	out := append([]logEvent{}, g.Events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	return out
}
