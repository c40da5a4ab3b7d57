package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// trail follows one trail along the chain, in its home region, then for a
// trail whose filter is missing follows the candidate metrics' alarms.
func (a *auditor) trail(ctx context.Context, t cttypes.Trail) (TrailEvidence, outcome) {
	ev, o := a.chain(ctx, t)
	if o.kind == failed && len(a.opts.Candidates) > 0 {
		switch Reasons[o.stage] {
		case NoCloudWatchLogs, LogGroupNotFound, NoMatchingFilter:
			ev.Candidates = a.candidates(ctx, &ev)
		}
	}
	return ev, o
}

// candidates follows the alarms on the metrics a new filter would emit, in
// the region the filter would go to, skipping metrics already followed.
func (a *auditor) candidates(ctx context.Context, ev *TrailEvidence) []MetricEvidence {
	region := ev.LogGroupRegion
	if ev.LogGroupARN == "" {
		region = ev.HomeRegion
	}
	seen := map[Metric]bool{}
	for _, fe := range ev.Filters {
		for _, me := range fe.Metrics {
			if len(me.Dimensions) == 0 {
				seen[Metric{me.Namespace, me.Name}] = true
			}
		}
	}
	var out []MetricEvidence
	for _, m := range a.opts.Candidates {
		if seen[m] {
			continue
		}
		seen[m] = true
		me, _ := a.metric(ctx, region, logstypes.MetricTransformation{MetricNamespace: aws.String(m.Namespace), MetricName: aws.String(m.Name), MetricValue: aws.String("1")})
		out = append(out, me)
	}
	return out
}

// chain follows one trail along the chain, in its home region.
func (a *auditor) chain(ctx context.Context, t cttypes.Trail) (TrailEvidence, outcome) {
	arn := aws.ToString(t.TrailARN)
	ev := TrailEvidence{
		ARN: arn, Name: aws.ToString(t.Name), HomeRegion: aws.ToString(t.HomeRegion), Account: arnField(arn, 4),
		MultiRegion: aws.ToBool(t.IsMultiRegionTrail), OrganizationTrail: aws.ToBool(t.IsOrganizationTrail),
	}
	if ev.Account != a.account {
		return ev, outcome{kind: manual, account: ev.Account, why: fmt.Sprintf(
			"trail %s belongs to account %s (an organization trail): its log group, filter, alarm and topic live there", arn, ev.Account)}
	}
	if !ev.MultiRegion {
		return ev, failAt(NoMultiRegionTrail, "trail %s records only %s", ev.Name, ev.HomeRegion)
	}
	if a.opts.Control.Trail.GlobalServiceEvents && t.IncludeGlobalServiceEvents != nil && !*t.IncludeGlobalServiceEvents {
		return ev, failAt(ManagementEventsNotCaptured, "trail %s excludes global service events (IncludeGlobalServiceEvents false), where %s are logged", ev.Name, a.opts.Control.EventList())
	}
	groupARN := strings.TrimSuffix(aws.ToString(t.CloudWatchLogsLogGroupArn), ":*")
	groupRegion, groupAccount := arnField(groupARN, 3), arnField(groupARN, 4)
	groupName := strings.TrimPrefix(arnResource(groupARN), "log-group:")
	rd := a.readTrail(ctx, ev.HomeRegion, arn, groupARN, groupRegion, groupName)
	status, sel, filters := rd.status, rd.sel, rd.filters
	statusErr, selErr, filtersErr := rd.statusErr, rd.selErr, rd.filtersErr

	if statusErr != nil {
		return ev, erred(awserr.Classify("cloudtrail:GetTrailStatus", statusErr))
	}
	ev.Logging = aws.Bool(aws.ToBool(status.IsLogging))
	if !*ev.Logging {
		return ev, failAt(TrailNotLogging, "trail %s is not logging", ev.Name)
	}

	if selErr != nil {
		return ev, erred(awserr.Classify("cloudtrail:GetEventSelectors", selErr))
	}
	ok, note := managementEvents(sel, a.opts.Control)
	ev.ManagementEvents, ev.SelectorsNote = aws.Bool(ok), note
	if !ok {
		return ev, failAt(ManagementEventsNotCaptured, "trail %s does not capture all management events: %s", ev.Name, note)
	}

	ev.LogGroupARN = groupARN
	if ev.LogGroupARN == "" {
		return ev, failAt(NoCloudWatchLogs, "trail %s does not deliver to CloudWatch Logs", ev.Name)
	}
	ev.LogGroupRegion, ev.LogGroupAccount, ev.LogGroupName = groupRegion, groupAccount, groupName
	if ev.LogGroupAccount == a.account {
		// A deleted group is what a delivery error then reports: the
		// finding that names the cause goes first.
		if filtersErr != nil {
			return ev, erred(filtersErr)
		}
		if filters.gone {
			return ev, failAt(LogGroupNotFound, "trail %s delivers to log group %s, which does not exist", ev.Name, ev.LogGroupName)
		}
	}
	// Delivery is the trail's own status, read here whoever owns the group,
	// so a group in another account is judged on its chain alone.
	if e := aws.ToString(status.LatestCloudWatchLogsDeliveryError); e != "" {
		ev.DeliveryError = e
		return ev, failAt(LogsDeliveryFailing, "trail %s fails to deliver to log group %s: %s", ev.Name, ev.LogGroupName, e)
	}
	if ev.LogGroupAccount != a.account {
		return ev, outcome{kind: manual, account: ev.LogGroupAccount, why: fmt.Sprintf(
			"trail %s delivers to log group %s in account %s", ev.Name, ev.LogGroupARN, ev.LogGroupAccount)}
	}
	if len(filters.filters) == 0 {
		return ev, failAt(NoMatchingFilter, "log group %s has no metric filter", ev.LogGroupName)
	}
	return ev, a.judgeFilters(ctx, &ev, filters.filters)
}

// trailReads are the reads of one trail's chain that need only what
// DescribeTrails returned.
type trailReads struct {
	status                        *cloudtrail.GetTrailStatusOutput
	sel                           *cloudtrail.GetEventSelectorsOutput
	filters                       filterRead
	statusErr, selErr, filtersErr error
}

// readTrail reads the trail's status, its selectors and its log group's
// filters (when the group is this account's) side by side; chain judges
// them in chain order afterwards. A chain broken at logging or selectors
// thus costs up to two reads it did not need.
func (a *auditor) readTrail(ctx context.Context, home, arn, groupARN, groupRegion, groupName string) trailReads {
	rd, _ := a.trails.get(arn, func() (trailReads, error) {
		return a.readTrailOnce(ctx, home, arn, groupARN, groupRegion, groupName), nil
	})
	return rd
}

// readTrailOnce makes readTrail's reads; every control of the account
// shares them.
func (a *auditor) readTrailOnce(ctx context.Context, home, arn, groupARN, groupRegion, groupName string) trailReads {
	ct := a.clients.CloudTrail(home)
	var rd trailReads
	together(ctx,
		func(ctx context.Context) {
			cctx, cancel := a.call(ctx)
			defer cancel()
			rd.status, rd.statusErr = ct.GetTrailStatus(cctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)})
		},
		func(ctx context.Context) {
			cctx, cancel := a.call(ctx)
			defer cancel()
			rd.sel, rd.selErr = ct.GetEventSelectors(cctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
		},
		func(ctx context.Context) {
			if groupARN != "" && arnField(groupARN, 4) == a.account {
				rd.filters, rd.filtersErr = a.metricFilters(ctx, groupRegion, groupName)
			}
		},
	)
	return rd
}

// judgeFilters judges every metric filter on the trail's log group, all at
// once, and keeps the best path.
func (a *auditor) judgeFilters(ctx context.Context, ev *TrailEvidence, filters []logstypes.MetricFilter) outcome {
	ev.Filters = make([]FilterEvidence, len(filters))
	outcomes := make([]outcome, len(filters))
	misses := a.coveringFilter(filters)
	fanOut(ctx, len(filters), func(ctx context.Context, i int) {
		ev.Filters[i], outcomes[i] = a.filter(ctx, ev.LogGroupRegion, filters[i], misses)
	})
	best := bestOf(failAt(NoMatchingFilter, "log group %s has no metric filter", ev.LogGroupName), outcomes)
	if best.kind == complete {
		best.why = fmt.Sprintf("trail %s: every link holds; %s", ev.Name, best.why)
	}
	return best
}

// coveringFilter reports, in a run of several controls, whether some
// filter on the log group may catch the control's events (its coverage is
// not no_match): then a filter that misses them is judged on its pattern
// alone, its metrics not followed. On a log group carrying the whole
// family that keeps each control to its own alarm lookup (the others'
// filters are other controls' chains). Without such a filter every
// filter's alarms are followed, so plan can tell when a filter is all that
// is missing. A run of one control, and --verify-patterns (AWS may settle
// coverage otherwise), follow every filter as before.
func (a *auditor) coveringFilter(filters []logstypes.MetricFilter) bool {
	if !a.opts.several || a.opts.VerifyPatterns {
		return false
	}
	for _, f := range filters {
		cov, err := a.opts.analyses.of(a.opts.Control, aws.ToString(f.FilterPattern))
		if err != nil || cov.Covers != pattern.NoMatch {
			return true
		}
	}
	return false
}

// bestOf is the best of outcomes, or none when there are none.
func bestOf(none outcome, outcomes []outcome) outcome {
	if len(outcomes) == 0 {
		return none
	}
	best := outcome{kind: failed, stage: -1}
	for _, o := range outcomes {
		best = better(best, o)
	}
	return best
}

// arnResource is everything after the account field of an ARN.
func arnResource(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}

// managementEvents decides whether the selectors capture every management
// event, read and write, including those of the event sources ctrl needs.
func managementEvents(out *cloudtrail.GetEventSelectorsOutput, ctrl control.Control) (bool, string) {
	for _, s := range out.EventSelectors {
		rw := s.ReadWriteType
		if aws.ToBool(s.IncludeManagementEvents) && (rw == cttypes.ReadWriteTypeAll || rw == "") &&
			excludedSource(s.ExcludeManagementEventSources, ctrl) == "" {
			return true, "classic selector: management events, ReadWriteType All"
		}
	}
	for _, s := range out.AdvancedEventSelectors {
		if ok, _ := advancedCapturesManagement(s, ctrl); ok {
			return true, fmt.Sprintf("advanced selector %q: all management events", aws.ToString(s.Name))
		}
	}
	// Say why the closest selector falls short.
	for _, s := range out.EventSelectors {
		if !aws.ToBool(s.IncludeManagementEvents) {
			continue
		}
		if s.ReadWriteType != cttypes.ReadWriteTypeAll {
			return false, fmt.Sprintf("classic selector records only %s management events", s.ReadWriteType)
		}
		return false, "classic selector excludes management events from " + excludedSource(s.ExcludeManagementEventSources, ctrl)
	}
	for _, s := range out.AdvancedEventSelectors {
		if _, why := advancedCapturesManagement(s, ctrl); why != "" {
			return false, fmt.Sprintf("advanced selector %q %s", aws.ToString(s.Name), why)
		}
	}
	return false, "selectors record data events only"
}

// excludedSource is the first event source ctrl needs that excluded lists.
func excludedSource(excluded []string, ctrl control.Control) string {
	for _, src := range ctrl.Trail.EventSources {
		if slices.Contains(excluded, src) {
			return src
		}
	}
	return ""
}

// advancedCapturesManagement: eventCategory = Management, no readOnly
// field, and every other field admits the control's events and event sources.
// A non-empty why means the selector is for management events but falls short.
func advancedCapturesManagement(s cttypes.AdvancedEventSelector, ctrl control.Control) (bool, string) {
	management := false
	var why string
	for _, f := range s.FieldSelectors {
		switch field := aws.ToString(f.Field); field {
		case "eventCategory":
			management = slices.Equal(f.Equals, []string{"Management"}) && len(f.NotEquals)+len(f.StartsWith)+len(f.EndsWith)+len(f.NotStartsWith)+len(f.NotEndsWith) == 0
		case "readOnly":
			why = "filters on readOnly (records only reads or only writes)"
		case "eventSource":
			for _, src := range ctrl.Trail.EventSources {
				if !admits(f, src) {
					why = "excludes events from " + src
					break
				}
			}
		case "eventName":
			for _, e := range ctrl.Events {
				if !admits(f, e) {
					why = "excludes " + e
					break
				}
			}
		default:
			why = "filters on " + field + ", so some management events are not recorded"
		}
	}
	if !management {
		return false, ""
	}
	return why == "", why
}

// admits reports whether a value passes an advanced field selector: each
// operator present must hold (positive ones for some value, negative for none).
func admits(f cttypes.AdvancedFieldSelector, v string) bool {
	some := func(xs []string, match func(string, string) bool) bool {
		return slices.ContainsFunc(xs, func(x string) bool { return match(v, x) })
	}
	eq := func(a, b string) bool { return a == b }
	switch {
	case len(f.Equals) > 0 && !some(f.Equals, eq),
		len(f.StartsWith) > 0 && !some(f.StartsWith, strings.HasPrefix),
		len(f.EndsWith) > 0 && !some(f.EndsWith, strings.HasSuffix),
		some(f.NotEquals, eq), some(f.NotStartsWith, strings.HasPrefix), some(f.NotEndsWith, strings.HasSuffix):
		return false
	}
	return true
}

// filterRead is one log group's filters; gone when the group does not exist.
type filterRead struct {
	filters []logstypes.MetricFilter
	gone    bool
}

// metricFilters reads the filters of one log group only (never every log
// group), once per run.
func (a *auditor) metricFilters(ctx context.Context, region, group string) (filterRead, error) {
	return a.filters.get(region+"\x00"+group, func() (filterRead, error) {
		var r filterRead
		p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(a.clients.Logs(region), &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group)})
		for p.HasMorePages() {
			cctx, cancel := a.call(ctx)
			out, err := p.NextPage(cctx)
			cancel()
			if err != nil {
				err = awserr.Classify("logs:DescribeMetricFilters", err)
				if errors.Is(err, awserr.ErrNotFound) {
					return filterRead{gone: true}, nil // a finding, not an error
				}
				return filterRead{}, err
			}
			r.filters = append(r.filters, out.MetricFilters...)
		}
		return r, nil
	})
}

// filter judges one metric filter's pattern, then follows its metrics.
func (a *auditor) filter(ctx context.Context, region string, f logstypes.MetricFilter, skipMisses bool) (FilterEvidence, outcome) {
	fe := FilterEvidence{Name: aws.ToString(f.FilterName), Pattern: aws.ToString(f.FilterPattern)}
	noMatch := func(why string) outcome {
		return failAt(NoMatchingFilter, "metric filter %s on log group %s %s", fe.Name, aws.ToString(f.LogGroupName), why)
	}
	cov, err := a.opts.analyses.of(a.opts.Control, fe.Pattern)
	covers := pattern.Unknown
	var indeterminate []string
	if err != nil {
		// CloudWatch Logs accepted the pattern, so a parse failure is ours.
		fe.Coverage = "unknown"
		indeterminate = append(indeterminate, fmt.Sprintf("trailwatch cannot evaluate the pattern: %v", err))
	} else {
		covers = cov.Covers
		fe.Coverage, fe.StrictCIS, fe.Exact = verdictName(cov.Covers), cov.StrictCIS, cov.Exact
		fe.Background, fe.Noise = cov.Background, cov.Noise
		indeterminate = append(indeterminate, cov.Indeterminate...)
		for _, e := range cov.Events {
			if e.Verdict != pattern.Match {
				fe.Missed = append(fe.Missed, string(e.Event))
			}
		}
	}
	// The alarms on its metrics are followed even for a filter that misses
	// events: when they work, the filter is all that is missing, and plan
	// adds only that. Only a filter --strict rejects goes unfollowed.
	rejected := a.opts.Strict && (err != nil || !cov.Exact)
	var outcomes []outcome
	followed := false
	follow := func(ctx context.Context) {
		if n := len(f.MetricTransformations); n > 0 {
			fe.Metrics, outcomes = make([]MetricEvidence, n), make([]outcome, n)
			fanOut(ctx, n, func(ctx context.Context, i int) {
				fe.Metrics[i], outcomes[i] = a.metric(ctx, region, f.MetricTransformations[i])
			})
		}
		followed = true
	}
	if a.opts.VerifyPatterns {
		var p *pattern.Pattern
		if err == nil {
			p, _ = pattern.Parse(fe.Pattern)
		}
		var v *verified
		var verr error
		verify := func(ctx context.Context) { v, verr = a.verifyPattern(ctx, region, fe.Pattern, p) }
		if rejected {
			verify(ctx) // its metrics are followed only if AWS says it misses
		} else {
			together(ctx, verify, follow) // the alarms do not wait for AWS's verdict
		}
		if verr != nil {
			return fe, erred(verr)
		}
		// AWS's answers settle what the local engine left open; only a
		// disagreement on a deciding record keeps the coverage open.
		fe.Verification, covers = v.ev, v.covers
		fe.Coverage, fe.Missed, indeterminate = verdictName(v.covers), v.missed, nil
		if v.disagree != "" {
			indeterminate = append(indeterminate, v.disagree)
		}
	}
	fe.Indeterminate = append(indeterminate, selectionNotes(f)...)
	if !followed && (covers == pattern.NoMatch && !skipMisses || covers != pattern.NoMatch && !rejected) {
		follow(ctx)
	}
	return fe, a.filterVerdict(&fe, aws.ToString(f.LogGroupName), covers, rejected, outcomes, noMatch)
}

// filterVerdict is filterOutcome with what the control's texts add: a
// miss by Security Hub's older text names what the recommended one adds,
// and a pass by a text that is not prescribed says who will reject it.
func (a *auditor) filterVerdict(fe *FilterEvidence, group string, covers pattern.Verdict, rejected bool, outcomes []outcome, noMatch func(string) outcome) outcome {
	if covers == pattern.NoMatch && fe.Exact && !pattern.SameText(fe.Pattern, a.opts.Control.Pattern) {
		// Security Hub's older text, which the recommended one extends.
		noMatch = func(why string) outcome {
			return failAt(NoMatchingFilter, "metric filter %s on log group %s %s: its text is Security Hub's, which the recommended text (CIS v5.0) extends with %s",
				fe.Name, group, why, control.JoinAnd(fe.Missed))
		}
	}
	o := filterOutcome(fe, covers, rejected, outcomes, noMatch)
	if o.kind == complete && !fe.Exact {
		if a.opts.Control.SecurityHub != "" {
			o.why += fmt.Sprintf("; Security Hub will reject filter %s: its text is not the prescribed one", fe.Name)
		} else {
			o.why += fmt.Sprintf("; filter %s's text is not CIS's recommended one (--strict rejects it)", fe.Name)
		}
	}
	return o
}

// selectionNotes are the filter's settings that keep its pattern from
// deciding alone which events it counts.
func selectionNotes(f logstypes.MetricFilter) []string {
	var notes []string
	if f.ApplyOnTransformedLogs {
		notes = append(notes, "applyOnTransformedLogs: the pattern runs on transformed events")
	}
	if c := aws.ToString(f.FieldSelectionCriteria); c != "" {
		notes = append(notes, "fieldSelectionCriteria "+strconv.Quote(c)+" limits which events are evaluated")
	}
	return notes
}

// filterOutcome is the filter's verdict from its coverage and the best of
// its metrics' chains (outcomes); coverage left open turns a complete chain
// into MANUAL.
func filterOutcome(fe *FilterEvidence, covers pattern.Verdict, rejected bool, outcomes []outcome, noMatch func(string) outcome) outcome {
	switch {
	case covers == pattern.NoMatch:
		return noMatch("misses " + strings.Join(fe.Missed, ", "))
	case rejected:
		fe.Rejected = "not exactly the prescribed pattern (--strict)"
		return noMatch("is " + fe.Rejected)
	case len(fe.Background) > 0:
		// Its metric never rests, so its alarm never transitions again.
		o := noMatch("")
		return failAt(FilterTooBroad, "%smatches background activity every account makes (%s): its alarm would never stop firing, so a change tells nobody",
			o.why, pattern.FewOf(fe.Background, 3))
	}
	indeterminate := fe.Indeterminate
	best := bestOf(noMatch("emits no metric"), outcomes)
	if best.kind == complete {
		if len(fe.Noise) > 0 {
			best.why += fmt.Sprintf("; filter %s also counts %s (noise, not a gap)", fe.Name, strings.Join(fe.Noise, ", "))
		}
	}
	if best.kind == complete && len(indeterminate) > 0 {
		return outcome{kind: manual, why: fmt.Sprintf("metric filter %s has a complete alarm chain but its coverage is indeterminate: %s",
			fe.Name, strings.Join(indeterminate, "; "))}
	}
	if best.kind == failed && len(indeterminate) > 0 {
		best.why += fmt.Sprintf(" (and filter %s's coverage is indeterminate: %s)", fe.Name, strings.Join(indeterminate, "; "))
	}
	return best
}

func verdictName(v pattern.Verdict) string {
	switch v {
	case pattern.Match:
		return "match"
	case pattern.NoMatch:
		return "no_match"
	}
	return "unknown"
}

// metric finds the alarms on one metric a filter emits, in the log group's
// region, and follows the ones that watch exactly that metric.
func (a *auditor) metric(ctx context.Context, region string, mt logstypes.MetricTransformation) (MetricEvidence, outcome) {
	me := MetricEvidence{
		Name: aws.ToString(mt.MetricName), Namespace: aws.ToString(mt.MetricNamespace),
		Value: aws.ToString(mt.MetricValue), Dimensions: mt.Dimensions, Unit: string(mt.Unit), DefaultValue: mt.DefaultValue,
	}
	alarms, err := a.alarmsFor(ctx, region, me)
	if err != nil {
		return me, erred(err)
	}
	value, valueErr := positiveConstant(me.Value)
	var watching []cwtypes.MetricAlarm
	var stats []string
	for _, al := range alarms {
		if stat, ok := watches(al, me); ok {
			watching, stats = append(watching, al), append(stats, stat)
		}
	}
	var outcomes []outcome
	if n := len(watching); n > 0 {
		me.Alarms, outcomes = make([]AlarmEvidence, n), make([]outcome, n)
		fanOut(ctx, n, func(ctx context.Context, i int) {
			me.Alarms[i], outcomes[i] = a.alarm(ctx, watching[i], stats[i], me, value, valueErr)
		})
	}
	return me, bestOf(failAt(NoAlarm, "no alarm watches metric %s/%s%s", me.Namespace, me.Name, dimsText(me.Dimensions)), outcomes)
}

// alarm judges one alarm watching the metric, then follows its actions.
func (a *auditor) alarm(ctx context.Context, al cwtypes.MetricAlarm, stat string, me MetricEvidence, value float64, valueErr error) (AlarmEvidence, outcome) {
	ae := AlarmEvidence{Name: aws.ToString(al.AlarmName), ARN: aws.ToString(al.AlarmArn)}
	why := ""
	if valueErr != nil {
		why = valueErr.Error()
	} else {
		why = cannotFire(al, stat, value, me.DefaultValue != nil)
	}
	if why == "" && al.Unit != "" && string(al.Unit) != unitOrNone(me.Unit) {
		// CloudWatch only gives an alarm datapoints in its own unit.
		why = fmt.Sprintf("it watches unit %s but the filter emits %s, so it gets no datapoint and stays INSUFFICIENT_DATA", al.Unit, unitOrNone(me.Unit))
	}
	if why != "" {
		ae.Why = why
		// Its topics are followed for plan: a working topic is reused by
		// the alarm planned beside this one.
		_ = a.notify(ctx, &ae, al.AlarmActions)
		return ae, failAt(AlarmCannotFire, "alarm %s cannot fire on a change: %s", ae.Name, why)
	}
	ae.CanFire = true
	o := a.notify(ctx, &ae, al.AlarmActions)
	return ae, o
}

// alarmsFor asks for the alarms of one metric (name, namespace and
// dimensions), never for every alarm.
func (a *auditor) alarmsFor(ctx context.Context, region string, me MetricEvidence) ([]cwtypes.MetricAlarm, error) {
	dims := dimensions(me.Dimensions)
	key := region + "\x00" + me.Namespace + "\x00" + me.Name + dimsText(me.Dimensions)
	return a.alarms.get(key, func() ([]cwtypes.MetricAlarm, error) {
		cctx, cancel := a.call(ctx)
		defer cancel()
		out, err := a.clients.CloudWatch(region).DescribeAlarmsForMetric(cctx, &cloudwatch.DescribeAlarmsForMetricInput{
			MetricName: aws.String(me.Name), Namespace: aws.String(me.Namespace), Dimensions: dims,
		})
		if err != nil {
			return nil, awserr.Classify("cloudwatch:DescribeAlarmsForMetric", err)
		}
		return out.MetricAlarms, nil
	})
}

func dimensions(m map[string]string) []cwtypes.Dimension {
	var ds []cwtypes.Dimension
	for k, v := range m {
		ds = append(ds, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	sort.Slice(ds, func(i, j int) bool { return *ds[i].Name < *ds[j].Name })
	return ds
}

func dimsText(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, d := range dimensions(m) {
		parts = append(parts, *d.Name+"="+*d.Value)
	}
	return " {" + strings.Join(parts, ", ") + "}"
}

func unitOrNone(u string) string {
	if u == "" {
		return string(cwtypes.StandardUnitNone)
	}
	return u
}

// positiveConstant: the filter must add a fixed positive amount per event;
// "$.field" values depend on the event and may be zero or absent.
func positiveConstant(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, fmt.Errorf("the filter's metric value %q is not a constant", v)
	}
	if f <= 0 {
		return 0, fmt.Errorf("the filter's metric value %s is not positive", v)
	}
	return f, nil
}

// watches reports whether an alarm DescribeAlarmsForMetric returned watches
// exactly this metric (same dimensions), and with which statistic. A
// metric-math alarm counts only when it is one plain metric query; any other
// expression is one trailwatch cannot verify, so it is no alarm for this link.
func watches(al cwtypes.MetricAlarm, me MetricEvidence) (stat string, ok bool) {
	if len(al.Metrics) > 0 {
		ms, simple := simpleMetricMath(al.Metrics)
		if !simple || !sameMetric(ms.Metric, me) {
			return "", false
		}
		return aws.ToString(ms.Stat), true
	}
	if aws.ToString(al.Namespace) != me.Namespace || aws.ToString(al.MetricName) != me.Name ||
		dimsText(dimMap(al.Dimensions)) != dimsText(me.Dimensions) {
		return "", false
	}
	if ext := aws.ToString(al.ExtendedStatistic); ext != "" {
		return ext, true
	}
	return string(al.Statistic), true
}

// cannotFire says why one event adding v to the metric cannot put the alarm
// into ALARM with actions — this change or a later one — or "" when it
// can. One event's datapoint is v for Sum, Minimum, Maximum, Average and
// percentiles, and 1 for SampleCount. hasDefault: the filter emits a
// default value for the events it does not match.
func cannotFire(al cwtypes.MetricAlarm, stat string, v float64, hasDefault bool) string {
	if !aws.ToBool(al.ActionsEnabled) {
		return "actions are disabled"
	}
	datapoint := v
	switch stat {
	case string(cwtypes.StatisticSampleCount):
		datapoint = 1
	case "":
		return "no statistic to evaluate"
	}
	if al.Threshold == nil {
		return "no static threshold (anomaly-detection band)"
	}
	t := *al.Threshold
	switch al.ComparisonOperator {
	case cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold:
		if datapoint < t {
			return fmt.Sprintf("one change gives %s %g, below the threshold >= %g", stat, datapoint, t)
		}
	case cwtypes.ComparisonOperatorGreaterThanThreshold:
		if datapoint <= t {
			return fmt.Sprintf("one change gives %s %g, not above the threshold > %g", stat, datapoint, t)
		}
	case cwtypes.ComparisonOperatorLessThanThreshold, cwtypes.ComparisonOperatorLessThanOrEqualToThreshold:
		return fmt.Sprintf("%s fires when the metric is low; a change raises it", al.ComparisonOperator)
	default:
		return fmt.Sprintf("comparison %s is not a static threshold", al.ComparisonOperator)
	}
	// Between changes the filter emits nothing (or its default value for
	// every other event), so what the alarm does with missing data decides
	// whether a change is a state transition, which is what notifies.
	switch aws.ToString(al.TreatMissingData) {
	case "breaching":
		return "TreatMissingData is breaching: with no change every period breaches, so the alarm sits in ALARM and a change causes no state transition; nobody is told"
	case "ignore":
		if !hasDefault {
			return "TreatMissingData is ignore and the filter has no default value: the first change puts the alarm in ALARM and no datapoint ever returns it to OK, so every later change is silent"
		}
	}
	m := aws.ToInt32(al.DatapointsToAlarm)
	if m == 0 {
		m = aws.ToInt32(al.EvaluationPeriods)
	}
	if m > 1 {
		return fmt.Sprintf("it needs %d breaching datapoints and one change makes one", m)
	}
	return ""
}

// simpleMetricMath accepts a Metrics list that is one plain metric query
// returning data; anything else is an expression trailwatch cannot verify.
func simpleMetricMath(qs []cwtypes.MetricDataQuery) (*cwtypes.MetricStat, bool) {
	if len(qs) != 1 || qs[0].MetricStat == nil || qs[0].MetricStat.Metric == nil || qs[0].Expression != nil {
		return nil, false
	}
	if qs[0].ReturnData != nil && !*qs[0].ReturnData {
		return nil, false
	}
	return qs[0].MetricStat, true
}

func sameMetric(m *cwtypes.Metric, me MetricEvidence) bool {
	return aws.ToString(m.Namespace) == me.Namespace && aws.ToString(m.MetricName) == me.Name &&
		dimsText(dimMap(m.Dimensions)) == dimsText(me.Dimensions)
}

func dimMap(ds []cwtypes.Dimension) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return m
}

// notify follows an alarm's ALARM actions to SNS topics CloudWatch can
// publish to, with a confirmed subscriber. Other actions (Lambda, Auto
// Scaling, EC2) notify nobody.
func (a *auditor) notify(ctx context.Context, ae *AlarmEvidence, actions []string) outcome {
	var topics []string
	for _, action := range actions {
		if !strings.HasPrefix(action, "arn:") || arnField(action, 2) != "sns" {
			ae.OtherActions = append(ae.OtherActions, action)
			continue
		}
		topics = append(topics, action)
	}
	found := make([]*TopicEvidence, len(topics))
	outcomes := make([]outcome, len(topics))
	fanOut(ctx, len(topics), func(ctx context.Context, i int) {
		arn := topics[i]
		tr, err := a.topic(ctx, arn)
		if err != nil {
			outcomes[i] = erred(err)
			return
		}
		te := tr.ev // this alarm's copy: whether it may publish depends on the alarm
		found[i] = &te
		switch {
		case te.Account != a.account:
			outcomes[i] = outcome{kind: manual, account: te.Account, why: fmt.Sprintf("alarm %s notifies topic %s in account %s", ae.Name, arn, te.Account)}
			return
		case te.Missing:
			outcomes[i] = failAt(NoAlarmTopic, "alarm %s notifies topic %s, which no longer exists", ae.Name, arn)
			return
		}
		v := tr.receives(ae.ARN, a.account)
		te.Why, te.PolicyFixable = v.why, v.fixable && v.allowed == no
		switch {
		case v.allowed == no:
			te.CanReceive = aws.Bool(false)
			outcomes[i] = failAt(TopicCannotReceive, "CloudWatch cannot publish alarm %s's notifications to topic %s: %s", ae.Name, arn, v.why)
		case v.allowed == unknown:
			outcomes[i] = outcome{kind: manual, why: fmt.Sprintf("whether CloudWatch can publish alarm %s's notifications to topic %s is undecided: %s", ae.Name, arn, v.why),
				hint: "confirm by hand that the topic's access policy and KMS key let cloudwatch.amazonaws.com publish (SNS:Publish, kms:Decrypt, kms:GenerateDataKey*)"}
		case te.Confirmed == 0:
			te.CanReceive = aws.Bool(true)
			outcomes[i] = failAt(NoConfirmedSubscriber, "topic %s has no confirmed subscription (%d pending confirmation)", arn, te.Pending)
		default:
			te.CanReceive = aws.Bool(true)
			outcomes[i] = outcome{kind: complete, why: fmt.Sprintf("alarm %s notifies topic %s (%s)", ae.Name, arn, plural(te.Confirmed, "confirmed subscription"))}
		}
	})
	for _, te := range found {
		if te != nil {
			ae.Topics = append(ae.Topics, *te)
		}
	}
	return bestOf(failAt(NoAlarmTopic, "alarm %s notifies no SNS topic", ae.Name), outcomes)
}

// topicRead is what was read of one topic, once per run.
type topicRead struct {
	ev     TopicEvidence
	policy string
	key    *Key // nil when the topic is not encrypted
	// verdicts are receives' answers by alarm: every control whose alarm
	// notifies the topic asks, and the policies are parsed once.
	verdicts memo[policyVerdict]
}

// topic reads a topic's attributes (key, access policy) and counts its
// subscriptions side by side, then reads its KMS key, once per run. A
// topic in another account is not read: it is the MANUAL case.
func (a *auditor) topic(ctx context.Context, arn string) (*topicRead, error) {
	return a.topics.get(arn, func() (*topicRead, error) {
		tr := &topicRead{ev: TopicEvidence{ARN: arn, Account: arnField(arn, 4)}}
		if tr.ev.Account != a.account {
			return tr, nil
		}
		c := a.clients.SNS(arnField(arn, 3))
		var attrs map[string]string
		var found bool
		var attrsErr, subsErr error
		together(ctx,
			func(ctx context.Context) { attrs, found, attrsErr = a.topicAttributes(ctx, c, arn) },
			func(ctx context.Context) { subsErr = a.subscriptions(ctx, c, &tr.ev) },
		)
		switch {
		case attrsErr != nil:
			return nil, attrsErr
		case !found:
			// Gone settles it, whatever the subscriptions read said.
			tr.ev.Missing, tr.ev.Confirmed, tr.ev.Pending = true, 0, 0
			return tr, nil
		case subsErr != nil:
			return nil, subsErr
		}
		tr.policy, tr.ev.KMSKey = attrs["Policy"], attrs["KmsMasterKeyId"]
		if tr.ev.KMSKey != "" {
			tr.key = a.readKey(ctx, arnField(arn, 3), tr.ev.KMSKey)
			tr.ev.KeyManager = tr.key.Manager
		}
		return tr, nil
	})
}

// subscriptions counts a topic's confirmed and pending subscriptions.
func (a *auditor) subscriptions(ctx context.Context, c awsapi.SNSAPI, te *TopicEvidence) error {
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(te.ARN)})
	for p.HasMorePages() {
		cctx, cancel := a.call(ctx)
		out, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			err = awserr.Classify("sns:ListSubscriptionsByTopic", err)
			if errors.Is(err, awserr.ErrNotFound) {
				te.Missing = true // deleted, or deleted since its attributes were read
				return nil
			}
			return err
		}
		for _, s := range out.Subscriptions {
			switch sa := aws.ToString(s.SubscriptionArn); {
			case sa == "PendingConfirmation":
				te.Pending++
			case strings.HasPrefix(sa, "arn:"):
				te.Confirmed++
			}
		}
	}
	return nil
}

// receives decides whether CloudWatch may publish one alarm's
// notifications to the topic: its KMS key first, then its access policy.
// fixable is set only when the policy alone stands in the way.
func (tr *topicRead) receives(alarmARN, account string) policyVerdict {
	v, _ := tr.verdicts.get(alarmARN+"\x00"+account, func() (policyVerdict, error) { return tr.decide(alarmARN, account), nil })
	return v
}

// decide is receives' answer, worked out.
func (tr *topicRead) decide(alarmARN, account string) policyVerdict {
	kv := policyVerdict{allowed: yes}
	if tr.key != nil {
		kv = keyVerdict(tr.key, tr.ev.KMSKey, alarmARN, account)
	}
	if kv.allowed == no {
		return policyVerdict{allowed: no, why: kv.why}
	}
	pv := topicPolicyAdmits(tr.policy, tr.ev.ARN, alarmARN, account)
	pv.fixable = pv.fixable && kv.allowed == yes
	switch {
	case pv.allowed == no:
		return pv
	case kv.allowed == unknown && pv.allowed == unknown:
		return policyVerdict{allowed: unknown, why: kv.why + "; and its access policy: " + pv.why}
	case kv.allowed == unknown:
		return kv
	case pv.allowed == unknown:
		pv.why = "its access policy: " + pv.why
		return pv
	}
	return policyVerdict{allowed: yes}
}
