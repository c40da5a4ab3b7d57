package plan

import (
	"strconv"

	"github.com/trailwatch/trailwatch/check"
)

// FromCheck picks, from check's verdict on an account, the trail to fix and
// the links of its chain that already work and can be reused.
func FromCheck(r check.Result, strict bool) Finding {
	f := Finding{Account: r.Account, Profiles: r.Profiles, Status: string(r.Status), Reason: string(r.Reason), Message: r.Message, Remediation: r.Remediation, ErrorCode: r.ErrorCode}
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
			f.Trail = trailOf(ev, r.Reason, strict)
			break
		}
	}
	return f
}

func trailOf(ev check.TrailEvidence, reason check.Reason, strict bool) *Trail {
	t := &Trail{Name: ev.Name, ARN: ev.ARN, HomeRegion: ev.HomeRegion, OwnerAccount: ev.Account,
		Organization: ev.OrganizationTrail,
		LogGroupARN:  ev.LogGroupARN, LogGroupName: ev.LogGroupName, LogGroupRegion: ev.LogGroupRegion, LogGroupAccount: ev.LogGroupAccount}
	// Prefer the metric whose alarm got furthest, so the smallest change
	// closes the chain: an alarm needing a subscriber, then one needing a
	// topic, then a metric with no usable alarm.
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
				switch {
				case reason == check.NoConfirmedSubscriber && al.CanFire && best < 3:
					for _, tp := range al.Topics {
						if tp.Confirmed == 0 && tp.Account == ev.Account {
							best, t.Filter, t.Alarm, t.TopicARN = 3, filter, &Alarm{Name: al.Name, CanFire: true}, tp.ARN
							break
						}
					}
				case reason == check.NoAlarmTopic && al.CanFire && len(al.Topics) == 0 && best < 2:
					best, t.Filter, t.Alarm = 2, filter, &Alarm{Name: al.Name, CanFire: true}
				}
			}
		}
	}
	return t
}

// reusableMetric is a metric a plain Sum ≥ 1 alarm can watch: no dimensions
// (the alarm would need their values) and a positive constant value.
func reusableMetric(me check.MetricEvidence) bool {
	v, err := strconv.ParseFloat(me.Value, 64)
	return len(me.Dimensions) == 0 && err == nil && v > 0
}
