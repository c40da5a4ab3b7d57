// Package report renders check's findings for pipelines and for people:
// text, JSON, CSV, JUnit XML, OCSF, ASFF and a self-contained HTML page.
// Every output format lives here and is built from check.Report and
// check.Result alone: a result flows one way, check → report, and a reason
// or field check gains later flows through without a change here.
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

// Link kinds, in chain order: check's links (check.Links).
const (
	LinkTrail      = string(check.LinkTrail)
	LinkLogGroup   = string(check.LinkLogGroup)
	LinkFilter     = string(check.LinkFilter)
	LinkAlarm      = string(check.LinkAlarm)
	LinkTopic      = string(check.LinkTopic)
	LinkSubscriber = string(check.LinkSubscriber)
)

var linkKinds = []string{LinkTrail, LinkLogGroup, LinkFilter, LinkAlarm, LinkTopic, LinkSubscriber}

var linkTitles = map[string]string{
	LinkTrail: "Trail", LinkLogGroup: "Log group", LinkFilter: "Metric filter",
	LinkAlarm: "Alarm", LinkTopic: "SNS topic", LinkSubscriber: "Subscriber",
}

// reasonLink is the link each FAIL reason breaks, as check gives it
// (check.Reason.Link). A reason missing here (one added to check later)
// breaks the first link its trail has no evidence for, which is where check
// stopped.
var reasonLink = func() map[check.Reason]string {
	m := map[check.Reason]string{}
	for _, r := range check.Reasons {
		if l, ok := r.Link(); ok {
			m[r] = string(l)
		}
	}
	return m
}()

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

// Chain draws the result's chain along the path its verdict rests on
// (check.Result.Path). Links after the broken (or undecided) one are
// NotReached.
func Chain(r check.Result) []Link {
	links := make([]Link, len(linkKinds))
	for i, k := range linkKinds {
		links[i] = Link{Kind: k, Title: linkTitles[k], State: NotReached}
	}
	path := r.Path()
	if path.Trail != nil {
		evidence(links, path, r.Account)
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
			if note := noteOf(r, path.Trail); note != "" {
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

func noteOf(r check.Result, tr *check.TrailEvidence) string {
	if tr != nil && tr.Note != "" {
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

// evidence fills each link from the path's evidence.
func evidence(links []Link, path check.Path, account string) {
	t := *path.Trail
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

	if path.Filter == nil {
		return
	}
	f := *path.Filter
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

	if path.Alarm == nil {
		return
	}
	m, a := *path.Metric, *path.Alarm
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

	if path.Topic == nil {
		return
	}
	tp := *path.Topic
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
