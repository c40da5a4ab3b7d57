package plan

import (
	"slices"
	"strconv"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// FromCheck picks, from check's verdict on an account, the trail to fix and
// the links of its chain that already work and can be reused.
func FromCheck(r check.Result, strict bool) Finding {
	f := Finding{Account: r.Account, Profiles: r.Profiles, Region: r.Region, Status: r.Status, Reason: r.Reason, Message: r.Message,
		OtherAccount: r.OtherAccount, Remediation: r.Remediation, ErrorCode: r.ErrorCode}
	if c, ok := control.Lookup(r.ControlID); ok {
		f.Control = c
	}
	f.WorkingTopics = workingTopics(r)
	if r.Via != nil {
		f.ViaAccount, f.ViaARN = r.Via.Account, r.Via.ARN
	}
	if r.Status != check.Fail || r.Via != nil {
		return f
	}
	// The trail that got furthest failed at the account's reason; it is
	// multi-region unless the reason says no trail is.
	for _, ev := range r.Trails {
		if ev.Failed == r.Reason && (ev.MultiRegion || r.Reason == check.NoMultiRegionTrail) {
			f.Trail = trailOf(ev, r.Reason, strict, f.Control)
			break
		}
	}
	return f
}

func trailOf(ev check.TrailEvidence, reason check.Reason, strict bool, ctrl control.Control) *Trail {
	t := &Trail{Name: ev.Name, ARN: ev.ARN, HomeRegion: ev.HomeRegion, OwnerAccount: ev.Account,
		Organization: ev.OrganizationTrail,
		LogGroupARN:  ev.LogGroupARN, LogGroupName: ev.LogGroupName, LogGroupRegion: ev.LogGroupRegion, LogGroupAccount: ev.LogGroupAccount}
	switch reason {
	case check.NoMatchingFilter, check.NoCloudWatchLogs, check.LogGroupNotFound:
		t.ReadyMetric = readyMetric(ev, ev.Account, ctrl)
	}
	// Prefer the metric whose alarm got furthest, so the smallest change
	// closes the chain: an alarm needing a subscriber, then one whose topic
	// needs CloudWatch's statement, then one needing a topic, then a metric
	// with no usable alarm.
	best := 0
	for _, fe := range ev.Filters {
		if fe.Coverage != "match" || (strict && !fe.StrictCIS) {
			continue
		}
		for _, me := range fe.Metrics {
			if !reusableMetric(me) {
				continue
			}
			filter := &Filter{Namespace: me.Namespace, MetricName: me.Name, Reusable: true}
			if best < 1 {
				best, t.Filter, t.Alarm, t.TopicARN = 1, filter, nil, ""
			}
			for _, al := range me.Alarms {
				alarm := &Alarm{Name: al.Name, ARN: al.ARN, CanFire: true}
				switch {
				case reason == check.NoConfirmedSubscriber && al.CanFire && best < 4:
					for _, tp := range al.Topics {
						if tp.Confirmed == 0 && tp.Account == ev.Account && !tp.Missing {
							best, t.Filter, t.Alarm, t.TopicARN = 4, filter, alarm, tp.ARN
							break
						}
					}
				case reason == check.TopicCannotReceive && al.CanFire && best < 3:
					// Only a topic whose policy alone stops CloudWatch is mended;
					// otherwise (its key) a trailwatch alarm with a new topic goes
					// beside the user's, which is not rewritten.
					for _, tp := range al.Topics {
						if tp.PolicyFixable && tp.Account == ev.Account {
							best, t.Filter, t.Alarm, t.PolicyTopic = 3, filter, alarm, tp.ARN
							break
						}
					}
				case reason == check.NoAlarmTopic && al.CanFire && len(al.Topics) == 0 && best < 2:
					// An alarm with no topic at all gains one; one whose topics
					// were deleted gets a trailwatch alarm beside it instead.
					best, t.Filter, t.Alarm = 2, filter, alarm
				case reason == check.AlarmCannotFire && !al.CanFire && t.ReadyTopic == "":
					if tp := readyTopic(al, ev.Account); tp != "" {
						best, t.Filter, t.ReadyTopic = max(best, 1), filter, tp
					}
				}
			}
		}
	}
	return t
}

// readyTopic is a topic of the alarm's that CloudWatch can publish to, in
// this account, with a confirmed subscriber; "" when there is none.
func readyTopic(al check.AlarmEvidence, account string) string {
	for _, tp := range al.Topics {
		if tp.Account == account && !tp.Missing && tp.CanReceive != nil && *tp.CanReceive && tp.Confirmed > 0 {
			return tp.ARN
		}
	}
	return ""
}

// readyMetric finds, on the metrics of the log group's filters (which do
// not catch every event) or those a new filter would emit, an alarm that
// would complete the chain. A filter that catches none of ctrl's events is
// another control's (or nobody's): its alarm tells of something else, and
// a filter of ctrl's counting into its metric would fire it.
func readyMetric(ev check.TrailEvidence, account string, ctrl control.Control) *ReadyMetric {
	if ctrl.ID == "" {
		ctrl = control.Default()
	}
	var metrics []check.MetricEvidence
	for _, fe := range ev.Filters {
		if fe.Coverage == "no_match" && len(fe.Missed) >= len(ctrl.Events) {
			continue
		}
		metrics = append(metrics, fe.Metrics...)
	}
	for _, me := range append(metrics, ev.Candidates...) {
		if !reusableMetric(me) {
			continue
		}
		for _, al := range me.Alarms {
			if al.CanFire && readyTopic(al, account) != "" {
				return &ReadyMetric{Namespace: me.Namespace, MetricName: me.Name, Unit: me.Unit, DefaultValue: me.DefaultValue, Alarm: al.Name}
			}
		}
	}
	return nil
}

// reusableMetric is a metric a plain Sum ≥ 1 alarm can watch: no dimensions
// (the alarm would need their values) and a positive constant value.
func reusableMetric(me check.MetricEvidence) bool {
	v, err := strconv.ParseFloat(me.Value, 64)
	return len(me.Dimensions) == 0 && err == nil && v > 0
}

// workingTopics are the topics, in r's account, that r's working alarms
// notify, in the order check reported them.
func workingTopics(r check.Result) []string {
	var out []string
	for _, ev := range r.Trails {
		var metrics []check.MetricEvidence
		for _, fe := range ev.Filters {
			metrics = append(metrics, fe.Metrics...)
		}
		for _, me := range append(metrics, ev.Candidates...) {
			for _, al := range me.Alarms {
				if tp := readyTopic(al, r.Account); al.CanFire && tp != "" && !slices.Contains(out, tp) {
					out = append(out, tp)
				}
			}
		}
	}
	return out
}
