package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
)

// Alarm evaluation on the pipeline's time scale, alarm history as
// DescribeAlarmHistory returns it, and SNS delivery of the notifications.

// alarmHistoryItem is one DescribeAlarmHistory item.
type alarmHistoryItem struct {
	Seq       int64     `json:"seq"`
	AlarmName string    `json:"alarmName"`
	Timestamp time.Time `json:"timestamp"`
	Type      string    `json:"historyItemType"` // StateUpdate, Action, ConfigurationUpdate
	Summary   string    `json:"historySummary"`
	Data      string    `json:"historyData"`
}

// Delivery is one notification SNS delivered to a confirmed subscription.
type Delivery struct {
	Time            time.Time `json:"time"`
	Account         string    `json:"account"`
	Region          string    `json:"region"`
	TopicArn        string    `json:"topicArn"`
	SubscriptionArn string    `json:"subscriptionArn"`
	Protocol        string    `json:"protocol"`
	Endpoint        string    `json:"endpoint"`
	Subject         string    `json:"subject"`
	Message         string    `json:"message"`
}

const (
	maxHistory    = 10000 // per region
	maxDeliveries = 100000
)

// Deliveries returns the notifications delivered so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery{}, s.deliveries...)
}

// watches reports whether the alarm reads the datapoint's metric. An alarm
// with a unit sees only datapoints of that unit; metric-math and
// percentile alarms are not evaluated.
func (a *metricAlarm) watches(dp datapoint) bool {
	return len(a.Metrics) == 0 && a.Statistic != "" && a.Namespace == dp.Namespace && a.MetricName == dp.MetricName &&
		sameDimensions(a.Dimensions, dp.Dimensions) && (a.Unit == "" || a.Unit == dp.Unit)
}

// period is the alarm's period in real time.
func (s *Server) period(a *metricAlarm) time.Duration {
	return time.Duration(float64(a.Period) * s.pipe.AlarmSecondMS * float64(time.Millisecond))
}

// periodIndex numbers the alarm's periods in real time since the Unix epoch.
func (s *Server) periodIndex(a *metricAlarm, t time.Time) int64 {
	return t.UnixNano() / max(int64(s.period(a)), 1)
}

// scheduleEvaluation evaluates the alarm when period idx closes, once
// however many datapoints arrive in it.
func (s *Server) scheduleEvaluation(account, region string, a *metricAlarm, idx int64) {
	key := account + "/" + region + "/" + a.Name
	if s.evalPending[key] {
		return
	}
	s.evalPending[key] = true
	end := time.Unix(0, (idx+1)*max(int64(s.period(a)), 1))
	name := a.Name
	s.after(time.Until(end), func() {
		delete(s.evalPending, key)
		s.evaluateAlarm(account, region, name, idx)
	})
}

// evaluateAlarm looks back EvaluationPeriods periods from now, decides the
// state as CloudWatch does (M of N breaching, TreatMissingData) and, on a
// change, records it and runs the new state's actions. While datapoints
// remain in the window it evaluates again a period later, so the alarm
// returns to OK (or INSUFFICIENT_DATA) as they age out.
func (s *Server) evaluateAlarm(account, region, name string, closed int64) {
	rs := s.st.account(account).region(region)
	a := rs.Alarms[name]
	if a == nil || a.Period <= 0 {
		return
	}
	n := max(int(a.EvaluationPeriods), 1)
	m := int(a.DatapointsToAlarm)
	if m == 0 {
		m = n
	}
	buckets := make([][]datapoint, n)
	for _, dp := range rs.Datapoints {
		if !a.watches(dp) {
			continue
		}
		if k := closed - s.periodIndex(a, dp.Arrived); k >= 0 && k < int64(n) {
			buckets[k] = append(buckets[k], dp)
		}
	}
	breaching, present, missing := 0, 0, 0
	var shown []string
	for _, b := range buckets {
		if len(b) == 0 {
			missing++
			if a.TreatMissingData == "breaching" {
				breaching++
			}
			continue
		}
		present++
		v := aggregate(a.Statistic, b)
		shown = append(shown, fmt.Sprintf("%s (%s)", formatValue(v), b[0].Timestamp.UTC().Format("02/01/06 15:04:05")))
		if compare(a.ComparisonOperator, v, a.threshold()) {
			breaching++
		}
	}
	newState, reason := a.StateValue, ""
	switch {
	case present == 0 && a.TreatMissingData == "breaching":
		newState = "ALARM"
		reason = fmt.Sprintf("Threshold Crossed: no datapoints were received for %d periods and %d missing datapoints were treated as [Breaching].", n, missing)
	case present == 0 && a.TreatMissingData == "notBreaching":
		newState = "OK"
		reason = fmt.Sprintf("Threshold Crossed: no datapoints were received for %d period and %d missing datapoint was treated as [NonBreaching].", n, missing)
	case present == 0 && a.TreatMissingData == "ignore":
	case present == 0:
		newState = "INSUFFICIENT_DATA"
		reason = fmt.Sprintf("Insufficient Data: %d datapoint was unknown.", missing)
	case breaching >= m:
		newState = "ALARM"
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] was %s the threshold (%s) (minimum %d datapoint for OK -> ALARM transition).",
			breaching, n, strings.Join(shown, ", "), comparisonWords[a.ComparisonOperator], formatValue(a.threshold()), m)
	default:
		newState = "OK"
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] was not %s the threshold (%s) (minimum %d datapoint for ALARM -> OK transition).",
			n-breaching, n, strings.Join(shown, ", "), comparisonWords[a.ComparisonOperator], formatValue(a.threshold()), 1)
	}
	if newState != a.StateValue {
		s.transition(account, region, a, newState, reason)
	}
	if present > 0 {
		s.scheduleEvaluation(account, region, a, closed+1)
	}
}

func (a *metricAlarm) threshold() float64 {
	if a.Threshold == nil {
		return 0
	}
	return *a.Threshold
}

var comparisonWords = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to", "GreaterThanThreshold": "greater than",
	"LessThanThreshold": "less than", "LessThanOrEqualToThreshold": "less than or equal to",
}

func compare(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false // anomaly-detection bands are not evaluated
}

// aggregate applies a statistic to one period's datapoints (never empty).
func aggregate(stat string, dps []datapoint) float64 {
	sum, lo, hi := 0.0, dps[0].Value, dps[0].Value
	for _, dp := range dps {
		sum += dp.Value
		lo, hi = min(lo, dp.Value), max(hi, dp.Value)
	}
	switch stat {
	case "SampleCount":
		return float64(len(dps))
	case "Average":
		return sum / float64(len(dps))
	case "Minimum":
		return lo
	case "Maximum":
		return hi
	}
	return sum
}

// formatValue renders a number as CloudWatch's reasons do: 1.0, 2.5.
func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprint(v)
}

// transition changes the alarm's state, records the StateUpdate item and
// runs the new state's actions when actions are enabled.
func (s *Server) transition(account, region string, a *metricAlarm, newState, reason string) {
	rs := s.st.account(account).region(region)
	now := s.st.clock()
	old, oldReason := a.StateValue, a.StateReason
	a.StateValue, a.StateReason, a.StateUpdated = newState, reason, now
	data, _ := json.Marshal(map[string]any{"version": "1.0",
		"oldState": map[string]any{"stateValue": old, "stateReason": oldReason},
		"newState": map[string]any{"stateValue": newState, "stateReason": reason}})
	s.addHistory(rs, a.Name, "StateUpdate", fmt.Sprintf("Alarm updated from %s to %s", old, newState), string(data))
	if !a.ActionsEnabled {
		return
	}
	actions := map[string][]string{"ALARM": a.AlarmActions, "OK": a.OKActions, "INSUFFICIENT_DATA": a.InsufficientDataActions}[newState]
	for _, arn := range actions {
		if arnField(arn, 2) != "sns" {
			continue // only SNS actions are emulated
		}
		msg := alarmMessage(account, region, a, old, now)
		errText := s.publishAlarm(account, region, a, arn, newState, msg, now)
		item := map[string]any{"actionState": "Succeeded", "notificationResource": arn, "stateUpdateTimestamp": now.UnixMilli(), "error": nil}
		summary := "Successfully executed action " + arn
		if errText != "" {
			item["actionState"], item["error"] = "Failed", errText
			summary = fmt.Sprintf("Failed to execute action %s. Received error: %q", arn, errText)
		} else {
			item["publishedMessage"] = msg
		}
		data, _ := json.Marshal(item)
		s.addHistory(rs, a.Name, "Action", summary, string(data))
	}
}

func (s *Server) addHistory(rs *regionState, alarm, typ, summary, data string) {
	if len(rs.AlarmHistory) == maxHistory {
		rs.AlarmHistory = append(rs.AlarmHistory[:0], rs.AlarmHistory[1:]...)
	}
	rs.AlarmHistory = append(rs.AlarmHistory, alarmHistoryItem{Seq: s.st.nextID(), AlarmName: alarm, Timestamp: s.st.clock(),
		Type: typ, Summary: summary, Data: data})
}

// publishAlarm publishes the notification as CloudWatch does, through the
// topic's access policy and key, and delivers it to each confirmed
// subscription. It returns the error CloudWatch records, or "".
func (s *Server) publishAlarm(account, region string, a *metricAlarm, topicARN, state, msg string, now time.Time) string {
	owner, topicRegion := arnField(topicARN, 4), arnField(topicARN, 3)
	o := s.st.account(owner)
	var t *snsTopic
	if o != nil {
		t = o.region(topicRegion).Topics[topicARN]
	}
	if t == nil {
		return "Topic does not exist"
	}
	alarmARN := alarmArn(account, region, a.Name)
	policy := t.Attributes["Policy"]
	if policy == "" {
		policy = defaultTopicPolicy(topicARN, owner)
	}
	ok, why := check.TopicPolicyAdmits(policy, topicARN, alarmARN, account)
	if !s.decided(ok) {
		how := "because no resource-based policy allows the SNS:Publish action"
		// check's evaluator names the statement that "denies" the publish.
		if strings.Contains(why, " denies ") {
			how = "with an explicit deny in a resource-based policy"
		}
		return fmt.Sprintf("Resource: %s is not authorized to perform: SNS:Publish on resource: %s %s", alarmARN, topicARN, how)
	}
	if keyID := t.Attributes["KmsMasterKeyId"]; keyID != "" {
		k := &check.Key{}
		key, kerr := s.st.resolveKey(&call{Account: owner, Region: topicRegion}, keyID, true)
		if kerr != nil {
			k.Err = kerr
		} else {
			k.ARN, k.Manager, k.State, k.Policy = kmsKeyARN(topicRegion, owner, key.ID), key.Manager, key.State, key.Policy
		}
		if ok, _ := check.KeyAdmitsCloudWatch(k, keyID, alarmARN, account); !s.decided(ok) {
			return "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."
		}
	}
	subject := fmt.Sprintf("%s: %q in %s", state, a.Name, regionName(region))
	for _, arn := range sortedKeys(o.region(topicRegion).Subscriptions) {
		sub := o.region(topicRegion).Subscriptions[arn]
		if sub.TopicARN != topicARN || sub.Pending {
			continue
		}
		if len(s.deliveries) == maxDeliveries {
			s.deliveries = append(s.deliveries[:0], s.deliveries[1:]...)
		}
		s.deliveries = append(s.deliveries, Delivery{Time: now, Account: owner, Region: topicRegion, TopicArn: topicARN,
			SubscriptionArn: arn, Protocol: sub.Protocol, Endpoint: sub.Endpoint, Subject: subject, Message: msg})
	}
	return ""
}

// decided turns a policy answer into allowed or not; an undecidable one
// follows the pipeline's UndecidedPolicies.
func (s *Server) decided(ok *bool) bool {
	if ok == nil {
		return s.pipe.UndecidedPolicies == "allow"
	}
	return *ok
}

// alarmMessage is the JSON notification CloudWatch publishes.
func alarmMessage(account, region string, a *metricAlarm, old string, now time.Time) string {
	var th any
	if a.Threshold != nil {
		th = *a.Threshold
	}
	unit := any(nil)
	if a.Unit != "" {
		unit = a.Unit
	}
	dims := []any{}
	for _, d := range a.Dimensions {
		dims = append(dims, map[string]any{"name": d.Name, "value": d.Value})
	}
	b, _ := json.Marshal(map[string]any{
		"AlarmName": a.Name, "AlarmDescription": a.Description, "AWSAccountId": account,
		"AlarmConfigurationUpdatedTimestamp": a.ConfigUpdated.UTC().Format("2006-01-02T15:04:05.000-0700"),
		"NewStateValue":                      a.StateValue, "NewStateReason": a.StateReason,
		"StateChangeTime": now.UTC().Format("2006-01-02T15:04:05.000-0700"),
		"Region":          regionName(region), "AlarmArn": alarmArn(account, region, a.Name), "OldStateValue": old,
		"OKActions": stringsOut(a.OKActions), "AlarmActions": stringsOut(a.AlarmActions), "InsufficientDataActions": stringsOut(a.InsufficientDataActions),
		"Trigger": map[string]any{"MetricName": a.MetricName, "Namespace": a.Namespace, "StatisticType": "Statistic",
			"Statistic": strings.ToUpper(a.Statistic), "Unit": unit, "Dimensions": dims, "Period": a.Period,
			"EvaluationPeriods": a.EvaluationPeriods, "ComparisonOperator": a.ComparisonOperator, "Threshold": th,
			"TreatMissingData": a.TreatMissingData, "EvaluateLowSampleCountPercentile": ""},
	})
	return string(b)
}

// regionNames are the long names CloudWatch puts in notifications.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ap-northeast-1": "Asia Pacific (Tokyo)",
}

func regionName(r string) string {
	if n := regionNames[r]; n != "" {
		return n
	}
	return r
}
