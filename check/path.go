package check

import "slices"

// Path is the chain a result's verdict rests on, one piece of evidence per
// link: the complete path for PASS, else the one that failed with the
// result's reason, else the undecided one. A nil link was not reached.
// Renderers draw it; they do not rank paths themselves.
type Path struct {
	Trail  *TrailEvidence
	Filter *FilterEvidence
	Metric *MetricEvidence // the metric Alarm watches
	Alarm  *AlarmEvidence
	Topic  *TopicEvidence
}

// Path follows the result's evidence along the path its verdict rests on.
// It is read from the evidence alone, so a result read back from its JSON
// has the same path. Pointers point into r's evidence.
func (r Result) Path() Path {
	var p Path
	if p.Trail = verdictTrail(r); p.Trail == nil {
		return p
	}
	if p.Filter = bestFilter(p.Trail.Filters, r.Account); p.Filter == nil {
		return p
	}
	if p.Metric, p.Alarm = bestAlarm(p.Filter, r.Account); p.Alarm == nil {
		return p
	}
	p.Topic = bestTopic(p.Alarm, r.Account)
	return p
}

func verdictTrail(r Result) *TrailEvidence {
	if len(r.Trails) == 0 {
		return nil
	}
	for i := range r.Trails {
		t := &r.Trails[i]
		if r.Status == Pass && t.Complete {
			return t
		}
		if r.Status == Fail && t.Failed == r.Reason {
			return t
		}
		if (r.Status == Manual || r.Status == Error) && t.Note != "" {
			return t
		}
	}
	return &r.Trails[0]
}

// Below a trail, paths are ranked as better ranks outcomes: a complete
// path, then an undecided one (it may be the complete chain), then a
// failing one by how far it got. The first candidate wins a tie, so a
// single path is drawn as it was read.
const (
	rankFails     = 0 // plus the link it breaks: one of the at* below
	rankUndecided = 10
	rankHolds     = 20
)

// Links of the chain, by their place in Links, as a failing path's rank
// counts them.
var (
	atFilter     = slices.Index(Links, LinkFilter)
	atAlarm      = slices.Index(Links, LinkAlarm)
	atTopic      = slices.Index(Links, LinkTopic)
	atSubscriber = slices.Index(Links, LinkSubscriber)
)

func bestFilter(fs []FilterEvidence, account string) *FilterEvidence {
	if len(fs) == 0 {
		return nil
	}
	return &fs[bestIndex(len(fs), func(i int) int { return filterRank(&fs[i], account) })]
}

func filterRank(f *FilterEvidence, account string) int {
	switch {
	case f.Coverage == "match" && f.Rejected == "" && len(f.Indeterminate) == 0:
		if _, a := bestAlarm(f, account); a != nil {
			return alarmRank(a, account)
		}
		return rankFails + atAlarm
	case f.Coverage == "no_match" || f.Rejected != "":
		return rankFails + atFilter
	}
	return rankUndecided
}

func bestAlarm(f *FilterEvidence, account string) (*MetricEvidence, *AlarmEvidence) {
	var metrics []*MetricEvidence
	var alarms []*AlarmEvidence
	for i := range f.Metrics {
		m := &f.Metrics[i]
		for j := range m.Alarms {
			metrics, alarms = append(metrics, m), append(alarms, &m.Alarms[j])
		}
	}
	if len(alarms) == 0 {
		return nil, nil
	}
	i := bestIndex(len(alarms), func(i int) int { return alarmRank(alarms[i], account) })
	return metrics[i], alarms[i]
}

func alarmRank(a *AlarmEvidence, account string) int {
	if !a.CanFire {
		return rankFails + atAlarm
	}
	if tp := bestTopic(a, account); tp != nil {
		return topicRank(tp, account)
	}
	return rankFails + atTopic
}

func bestTopic(a *AlarmEvidence, account string) *TopicEvidence {
	if len(a.Topics) == 0 {
		return nil
	}
	return &a.Topics[bestIndex(len(a.Topics), func(i int) int { return topicRank(&a.Topics[i], account) })]
}

func topicRank(t *TopicEvidence, account string) int {
	switch {
	case t.Account != account || (!t.Missing && t.CanReceive == nil):
		return rankUndecided
	case t.Missing || !*t.CanReceive:
		return rankFails + atTopic
	case t.Confirmed == 0:
		return rankFails + atSubscriber
	}
	return rankHolds
}

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
