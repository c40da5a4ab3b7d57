// Package report renders check's findings for pipelines and for people:
// CSV, JUnit XML, OCSF, ASFF and a self-contained HTML page. Every format is
// built from check.Report and check.Result alone, so a reason or field check
// gains later flows through without a change here.
package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// State is how far one link of the chain was proven.
type State string

const (
	Held       State = "ok"          // the link holds
	Broken     State = "broken"      // the link the verdict rests on
	Unsettled  State = "unknown"     // could not be decided here (MANUAL, ERROR)
	NotReached State = "not_reached" // after the broken link: not evaluated
)

// Link kinds, in chain order.
const (
	LinkTrail      = "trail"
	LinkLogGroup   = "log_group"
	LinkFilter     = "filter"
	LinkAlarm      = "alarm"
	LinkTopic      = "topic"
	LinkSubscriber = "subscriber"
)

var linkKinds = []string{LinkTrail, LinkLogGroup, LinkFilter, LinkAlarm, LinkTopic, LinkSubscriber}

var linkTitles = map[string]string{
	LinkTrail: "Trail", LinkLogGroup: "Log group", LinkFilter: "Metric filter",
	LinkAlarm: "Alarm", LinkTopic: "SNS topic", LinkSubscriber: "Subscriber",
}

// reasonLink is the link each FAIL reason breaks. A reason missing here (one
// added to check later) breaks the first link its trail has no evidence for,
// which is where check stopped.
var reasonLink = map[check.Reason]string{
	check.NoMultiRegionTrail:          LinkTrail,
	check.TrailNotLogging:             LinkTrail,
	check.ManagementEventsNotCaptured: LinkTrail,
	check.NoCloudWatchLogs:            LinkLogGroup,
	check.LogsDeliveryFailing:         LinkLogGroup,
	check.LogGroupNotFound:            LinkLogGroup,
	check.NoMatchingFilter:            LinkFilter,
	check.NoAlarm:                     LinkAlarm,
	check.AlarmCannotFire:             LinkAlarm,
	check.NoAlarmTopic:                LinkTopic,
	check.TopicCannotReceive:          LinkTopic,
	check.NoConfirmedSubscriber:       LinkSubscriber,
}

// Link is one step of trail → log group → filter → alarm → topic →
// subscriber as evidenced for one account.
type Link struct {
	Kind  string
	Title string
	// Name is the resource's name (or "" when the chain never found one);
	// ARN is set when the resource has one.
	Name     string
	ARN      string
	State    State
	Evidence []string
	// undecided marks a link whose evidence says it could not be decided
	// (a topic in another account, a pattern check cannot settle): where a
	// MANUAL or ERROR result stops.
	undecided bool
}

// Chain draws the result's chain along the trail its verdict rests on: the
// complete one for PASS, else the one that failed with the result's reason,
// else the first. Links after the broken (or undecided) one are NotReached.
func Chain(r check.Result) []Link {
	links := make([]Link, len(linkKinds))
	for i, k := range linkKinds {
		links[i] = Link{Kind: k, Title: linkTitles[k], State: NotReached}
	}
	tr, ok := verdictTrail(r)
	if ok {
		evidence(links, tr, r.Account)
	}
	stop := -1 // index of the link the verdict rests on
	switch r.Status {
	case check.Pass:
		for i := range links {
			links[i].State = Held
		}
		return links
	case check.Fail:
		if k, known := reasonLink[r.Reason]; known {
			stop = slices.Index(linkKinds, k)
		}
	}
	if stop < 0 {
		stop = firstUnproven(links)
	}
	for i := range links {
		switch {
		case i < stop:
			links[i].State = Held
		case i == stop && r.Status == check.Fail:
			links[i].State = Broken
			links[i].Evidence = append([]string{r.Message}, links[i].Evidence...)
		case i == stop:
			links[i].State = Unsettled
			if note := noteOf(r, tr, ok); note != "" {
				links[i].Evidence = append(links[i].Evidence, note)
			}
		}
	}
	return links
}

// BrokenLink names the link a FAIL rests on ("" otherwise).
func BrokenLink(links []Link) string {
	for _, l := range links {
		if l.State == Broken {
			return l.Kind
		}
	}
	return ""
}

func noteOf(r check.Result, tr check.TrailEvidence, ok bool) string {
	if ok && tr.Note != "" {
		return tr.Note
	}
	return r.Message
}

// firstUnproven is the first link left undecided or with no evidence:
// where check stopped.
func firstUnproven(links []Link) int {
	for i, l := range links {
		if l.undecided || (l.Name == "" && len(l.Evidence) == 0) {
			return i
		}
	}
	return len(links) - 1
}

func verdictTrail(r check.Result) (check.TrailEvidence, bool) {
	if len(r.Trails) == 0 {
		return check.TrailEvidence{}, false
	}
	for _, t := range r.Trails {
		if r.Status == check.Pass && t.Complete {
			return t, true
		}
		if r.Status == check.Fail && t.Failed == r.Reason {
			return t, true
		}
		if (r.Status == check.Manual || r.Status == check.Error) && t.Note != "" {
			return t, true
		}
	}
	return r.Trails[0], true
}

// evidence fills each link from the trail, following the filter, alarm and
// topic that got furthest.
func evidence(links []Link, t check.TrailEvidence, account string) {
	at := func(kind string) *Link { return &links[slices.Index(linkKinds, kind)] }

	trail := at(LinkTrail)
	trail.Name, trail.ARN = t.Name, t.ARN
	trail.Evidence = append(trail.Evidence, fmt.Sprintf("home region %s, account %s", t.HomeRegion, t.Account))
	trail.Evidence = append(trail.Evidence, "multi-region: "+yesNo(t.MultiRegion))
	if t.OrganizationTrail {
		trail.Evidence = append(trail.Evidence, "organization trail")
	}
	if t.Logging != nil {
		trail.Evidence = append(trail.Evidence, "logging: "+yesNo(*t.Logging))
	}
	if t.ManagementEvents != nil {
		e := "management events: " + yesNo(*t.ManagementEvents)
		if t.SelectorsNote != "" {
			e += " (" + t.SelectorsNote + ")"
		}
		trail.Evidence = append(trail.Evidence, e)
	}

	group := at(LinkLogGroup)
	if t.LogGroupARN != "" {
		group.Name, group.ARN = t.LogGroupName, t.LogGroupARN
		group.Evidence = append(group.Evidence, fmt.Sprintf("region %s, account %s", t.LogGroupRegion, t.LogGroupAccount))
	}
	if t.DeliveryError != "" {
		group.Evidence = append(group.Evidence, "delivery error: "+t.DeliveryError)
	}

	f, ok := bestFilter(t.Filters, account)
	if !ok {
		return
	}
	filter := at(LinkFilter)
	filter.Name = f.Name
	filter.Evidence = append(filter.Evidence, "pattern: "+f.Pattern)
	switch f.Coverage {
	case "match":
		// A result does not name its control yet: every result is the default's.
		filter.Evidence = append(filter.Evidence, "catches "+control.Default().EventList())
	case "no_match":
		filter.Evidence = append(filter.Evidence, "misses "+strings.Join(f.Missed, ", "))
	default:
		filter.Evidence = append(filter.Evidence, "coverage could not be decided")
		filter.undecided = true
	}
	filter.Evidence = append(filter.Evidence, f.Indeterminate...)
	filter.undecided = filter.undecided || len(f.Indeterminate) > 0
	if f.Rejected != "" {
		filter.Evidence = append(filter.Evidence, "does not count: "+f.Rejected)
	}
	if n := len(t.Filters); n > 1 {
		filter.Evidence = append(filter.Evidence, fmt.Sprintf("%d filters on the log group; this one got furthest", n))
	}

	m, a, ok := bestAlarm(f, account)
	if !ok {
		return
	}
	alarm := at(LinkAlarm)
	alarm.Name, alarm.ARN = a.Name, a.ARN
	alarm.Evidence = append(alarm.Evidence, fmt.Sprintf("metric %s/%s", m.Namespace, m.Name))
	if a.CanFire {
		alarm.Evidence = append(alarm.Evidence, "fires on one change")
	} else {
		alarm.Evidence = append(alarm.Evidence, "cannot fire: "+a.Why)
	}
	for _, o := range a.OtherActions {
		alarm.Evidence = append(alarm.Evidence, "other action "+o)
	}

	tp, ok := bestTopic(a, account)
	if !ok {
		return
	}
	topic := at(LinkTopic)
	topic.Name, topic.ARN = topicName(tp.ARN), tp.ARN
	topic.Evidence = append(topic.Evidence, "account "+tp.Account)
	if tp.Account != account {
		topic.Evidence = append(topic.Evidence, "in another account: not read")
		topic.undecided = true
		return
	}
	// A topic policy check cannot evaluate is where a MANUAL stops; the
	// verdict's note beside it says why.
	topic.undecided = tp.CanReceive == nil && !tp.Missing
	sub := at(LinkSubscriber)
	sub.Evidence = append(sub.Evidence, fmt.Sprintf("%d confirmed, %d pending confirmation", tp.Confirmed, tp.Pending))
	if tp.Confirmed > 0 {
		sub.Name = fmt.Sprintf("%d confirmed", tp.Confirmed)
	}
}

// The best* functions follow the path check's verdict rests on, ranked as
// check ranks outcomes: a complete path, then an undecided one (it may be
// the complete chain), then a failing one by how far it got. The first
// candidate wins a tie, so a single path is drawn as it was read.

// Ranks of a path: a failing one adds the index of the link it breaks.
const (
	rankFails     = 0
	rankUndecided = 10
	rankHolds     = 20
)

func bestFilter(fs []check.FilterEvidence, account string) (check.FilterEvidence, bool) {
	if len(fs) == 0 {
		return check.FilterEvidence{}, false
	}
	return fs[bestIndex(len(fs), func(i int) int { return filterRank(fs[i], account) })], true
}

func filterRank(f check.FilterEvidence, account string) int {
	switch {
	case f.Coverage == "match" && f.Rejected == "" && len(f.Indeterminate) == 0:
		if _, a, ok := bestAlarm(f, account); ok {
			return alarmRank(a, account)
		}
		return rankFails + linkIndex(LinkAlarm)
	case f.Coverage == "no_match" || f.Rejected != "":
		return rankFails + linkIndex(LinkFilter)
	}
	return rankUndecided
}

func bestAlarm(f check.FilterEvidence, account string) (check.MetricEvidence, check.AlarmEvidence, bool) {
	var metrics []check.MetricEvidence
	var alarms []check.AlarmEvidence
	for _, m := range f.Metrics {
		for _, a := range m.Alarms {
			metrics, alarms = append(metrics, m), append(alarms, a)
		}
	}
	if len(alarms) == 0 {
		return check.MetricEvidence{}, check.AlarmEvidence{}, false
	}
	i := bestIndex(len(alarms), func(i int) int { return alarmRank(alarms[i], account) })
	return metrics[i], alarms[i], true
}

func alarmRank(a check.AlarmEvidence, account string) int {
	if !a.CanFire {
		return rankFails + linkIndex(LinkAlarm)
	}
	if tp, ok := bestTopic(a, account); ok {
		return topicRank(tp, account)
	}
	return rankFails + linkIndex(LinkTopic)
}

func bestTopic(a check.AlarmEvidence, account string) (check.TopicEvidence, bool) {
	if len(a.Topics) == 0 {
		return check.TopicEvidence{}, false
	}
	return a.Topics[bestIndex(len(a.Topics), func(i int) int { return topicRank(a.Topics[i], account) })], true
}

func topicRank(t check.TopicEvidence, account string) int {
	switch {
	case t.Account != account || (!t.Missing && t.CanReceive == nil):
		return rankUndecided
	case t.Missing || !*t.CanReceive:
		return rankFails + linkIndex(LinkTopic)
	case t.Confirmed == 0:
		return rankFails + linkIndex(LinkSubscriber)
	}
	return rankHolds
}

func linkIndex(kind string) int { return slices.Index(linkKinds, kind) }

// bestIndex is the first of n candidates with the highest rank.
func bestIndex(n int, rank func(int) int) int {
	best, top := 0, rank(0)
	for i := 1; i < n; i++ {
		if r := rank(i); r > top {
			best, top = i, r
		}
	}
	return best
}

func topicName(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
