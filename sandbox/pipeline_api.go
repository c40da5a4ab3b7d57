package sandbox

import (
	"encoding/base64"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check/pattern"
)

// The read side of the pipeline: logs:FilterLogEvents,
// cloudwatch:GetMetricData and cloudwatch:DescribeAlarmHistory.

func init() {
	register("logs", "FilterLogEvents", logsFilterLogEvents)
	register("monitoring", "GetMetricData", cwGetMetricData)
	register("monitoring", "DescribeAlarmHistory", cwDescribeAlarmHistory)
}

const (
	logsMaxFilterEvents = 10000
	cwMaxQueries        = 500
	cwMaxHistoryRecords = 100
)

// seqToken and parseSeqToken make opaque page tokens of a position.
func seqToken(n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(n, 10)))
}

func parseSeqToken(tok string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil && n >= 0
}

func logsFilterLogEvents(st *state, c *call) (map[string]any, error) {
	name, ident := c.str("logGroupName"), c.str("logGroupIdentifier")
	switch {
	case name != "" && ident != "":
		return nil, logsInvalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name == "" && ident == "":
		return nil, logsInvalid("Either logGroupName or logGroupIdentifier must be specified.")
	case ident != "":
		if m := logGroupRE.FindStringSubmatch(ident); m != nil {
			name = m[3]
		} else {
			name = ident
		}
	}
	if err := checkLogGroupName(name); err != nil {
		return nil, err
	}
	limit, hasLimit, err := c.integer("limit")
	if err != nil {
		return nil, err
	}
	if !hasLimit {
		limit = logsMaxFilterEvents
	}
	if limit < 1 || limit > logsMaxFilterEvents {
		return nil, logsConstraint(limit, "limit", "Member must have value between 1 and 10000")
	}
	start, hasStart, err := c.integer("startTime")
	if err != nil {
		return nil, err
	}
	end, hasEnd, err := c.integer("endTime")
	if err != nil {
		return nil, err
	}
	if hasStart && start < 0 {
		return nil, logsConstraint(start, "startTime", "Member must have value greater than or equal to 0")
	}
	if hasEnd && end < 0 {
		return nil, logsConstraint(end, "endTime", "Member must have value greater than or equal to 0")
	}
	if hasStart && hasEnd && end < start {
		return nil, logsInvalid("The end time must be equal to or after the start time.")
	}
	text := c.str("filterPattern")
	if err := checkPatternLength(text); err != nil {
		return nil, err
	}
	var p *pattern.Pattern
	if strings.TrimSpace(text) != "" {
		var perr error
		if p, perr = pattern.Parse(text); perr != nil {
			return nil, logsInvalid("Invalid filter pattern")
		}
	}
	streams, prefix := c.strings("logStreamNames"), c.str("logStreamNamePrefix")
	if len(streams) > 0 && prefix != "" {
		return nil, logsInvalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	g := st.logGroup(c.Account, c.Region, name)
	if g == nil {
		return nil, logsNoGroup()
	}
	after := int64(-1)
	if tok := c.str("nextToken"); tok != "" {
		n, ok := parseSeqToken(tok)
		if !ok {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		after = n
	}
	events := []any{}
	next := ""
	for i, e := range sortedEvents(g) {
		if int64(i) <= after {
			continue
		}
		if (hasStart && e.Timestamp < start) || (hasEnd && e.Timestamp > end) ||
			(len(streams) > 0 && !contains(streams, e.Stream)) || (prefix != "" && !strings.HasPrefix(e.Stream, prefix)) ||
			(p != nil && p.Eval(e.Message) != pattern.Match) {
			continue
		}
		if int64(len(events)) == limit {
			next = seqToken(int64(i - 1))
			break
		}
		events = append(events, map[string]any{"logStreamName": e.Stream, "timestamp": e.Timestamp, "message": e.Message,
			"ingestionTime": e.Ingestion, "eventId": strconv.FormatInt(e.ID, 10)})
	}
	out := map[string]any{"events": events, "searchedLogStreams": []any{}}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// timestamp reads a timestamp input: CBOR gives a time, JSON epoch
// seconds, Query an ISO 8601 string.
func (c *call) timestamp(key string) (time.Time, bool, *apiError) {
	switch v := c.Input[key].(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v, true, nil
	case float64:
		whole, frac := math.Modf(v)
		return time.Unix(int64(whole), int64(frac*1e9)).UTC(), true, nil
	case int64:
		return time.Unix(v, 0).UTC(), true, nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), true, nil
			}
		}
		return time.Time{}, true, cwInvalidValue("The parameter %s must be a timestamp: %s", key, v)
	}
	return time.Time{}, true, cwInvalidValue("The parameter %s must be a timestamp.", key)
}

var metricQueryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func cwGetMetricData(st *state, c *call) (map[string]any, error) {
	queries := c.list("MetricDataQueries")
	if len(queries) == 0 {
		return nil, cwMissing("MetricDataQueries")
	}
	if len(queries) > cwMaxQueries {
		return nil, cwValidation("1 validation error detected: Value at 'metricDataQueries' failed to satisfy constraint: Member must have length less than or equal to 500")
	}
	start, ok, err := c.timestamp("StartTime")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, cwMissing("StartTime")
	}
	end, ok, err := c.timestamp("EndTime")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, cwMissing("EndTime")
	}
	if !start.Before(end) {
		return nil, cwInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	scan := c.str("ScanBy")
	if scan != "" && scan != "TimestampDescending" && scan != "TimestampAscending" {
		return nil, cwValidation("1 validation error detected: Value '%s' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]", scan)
	}
	if tok := c.str("NextToken"); tok != "" {
		// Every answer is complete, so no token was ever handed out.
		return nil, badRequest("InvalidNextToken", "The next token specified is invalid.")
	}
	seen := map[string]bool{}
	results := []any{}
	dps := st.account(c.Account).region(c.Region).Datapoints
	for i, it := range queries {
		m, _ := it.(map[string]any)
		q := c.sub(m)
		id := q.str("Id")
		if !metricQueryIDRE.MatchString(id) || len(id) > 255 {
			return nil, cwValidation("The value %s for parameter MetricDataQueries.member.%d.Id is invalid.", id, i+1)
		}
		if seen[id] {
			return nil, cwValidation("The value %s for parameter MetricDataQueries.member.%d.Id is duplicated.", id, i+1)
		}
		seen[id] = true
		if q.str("Expression") != "" {
			return nil, cwInvalidValue("The sandbox does not evaluate metric math: MetricDataQueries.member.%d.Expression", i+1)
		}
		msMap := q.object("MetricStat")
		if msMap == nil {
			return nil, cwValidation("The parameter MetricDataQueries.member.%d.MetricStat is required when Expression is not set.", i+1)
		}
		ms := c.sub(msMap)
		metric := c.sub(ms.object("Metric"))
		dims, derr := cwDimensions(metric, "Dimensions")
		if derr != nil {
			return nil, derr
		}
		period, _, perr := ms.integer("Period")
		if perr != nil {
			return nil, perr
		}
		if period != 1 && period != 5 && !validPeriod(period) {
			return nil, cwInvalidValue("The parameter MetricDataQueries.member.%d.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.", i+1)
		}
		stat := ms.str("Stat")
		if !contains(cwStatistics, stat) {
			return nil, cwInvalidValue("The parameter MetricDataQueries.member.%d.MetricStat.Stat must be a valid statistic: the sandbox computes %s.", i+1, strings.Join(cwStatistics, ", "))
		}
		unit := ms.str("Unit")
		ns, name := metric.str("Namespace"), metric.str("MetricName")
		buckets := map[int64][]datapoint{}
		for _, dp := range dps {
			if dp.Namespace != ns || dp.MetricName != name || !sameDimensions(dims, dp.Dimensions) || (unit != "" && unit != dp.Unit) {
				continue
			}
			if dp.Timestamp.Before(start) || !dp.Timestamp.Before(end) {
				continue
			}
			b := dp.Timestamp.Unix() / period * period
			buckets[b] = append(buckets[b], dp)
		}
		keys := make([]int64, 0, len(buckets))
		for k := range buckets {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			if scan == "TimestampAscending" {
				return keys[a] < keys[b]
			}
			return keys[a] > keys[b]
		})
		times, values := []any{}, []any{}
		for _, k := range keys {
			times = append(times, time.Unix(k, 0).UTC())
			values = append(values, aggregate(stat, buckets[k]))
		}
		label := q.str("Label")
		if label == "" {
			label = name
		}
		if rd, ok, _ := q.boolean("ReturnData"); ok && !rd {
			continue
		}
		results = append(results, map[string]any{"Id": id, "Label": label, "Timestamps": times, "Values": values,
			"StatusCode": "Complete", "Messages": []any{}})
	}
	return map[string]any{"MetricDataResults": results, "Messages": []any{}}, nil
}

var historyItemTypes = []string{"ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction"}

func cwDescribeAlarmHistory(st *state, c *call) (map[string]any, error) {
	typ := c.str("HistoryItemType")
	if typ != "" && !contains(historyItemTypes, typ) {
		return nil, cwValidation("1 validation error detected: Value '%s' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [%s]", typ, strings.Join(historyItemTypes, ", "))
	}
	scan := c.str("ScanBy")
	if scan != "" && scan != "TimestampDescending" && scan != "TimestampAscending" {
		return nil, cwValidation("1 validation error detected: Value '%s' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]", scan)
	}
	limit, ok, err := c.integer("MaxRecords")
	if err != nil {
		return nil, err
	}
	if !ok {
		limit = cwMaxHistoryRecords
	}
	if limit < 1 || limit > cwMaxHistoryRecords {
		return nil, cwValidation("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", limit)
	}
	start, hasStart, err := c.timestamp("StartDate")
	if err != nil {
		return nil, err
	}
	end, hasEnd, err := c.timestamp("EndDate")
	if err != nil {
		return nil, err
	}
	for _, t := range c.strings("AlarmTypes") {
		if t != "MetricAlarm" && t != "CompositeAlarm" {
			return nil, cwValidation("1 validation error detected: Value '[%s]' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]", t)
		}
	}
	wantMetric := len(c.strings("AlarmTypes")) == 0 || contains(c.strings("AlarmTypes"), "MetricAlarm")
	name := c.str("AlarmName")
	items := append([]alarmHistoryItem{}, st.account(c.Account).region(c.Region).AlarmHistory...)
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if !a.Timestamp.Equal(b.Timestamp) {
			return a.Timestamp.Before(b.Timestamp)
		}
		return a.Seq < b.Seq
	})
	if scan != "TimestampAscending" {
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	skip := 0
	if tok := c.str("NextToken"); tok != "" {
		n, ok := parseSeqToken(tok)
		if !ok {
			return nil, badRequest("InvalidNextToken", "The next token specified is invalid.")
		}
		skip = int(n)
	}
	out := []any{}
	matched := 0
	next := ""
	for _, h := range items {
		if !wantMetric || (name != "" && h.AlarmName != name) || (typ != "" && h.Type != typ) ||
			(hasStart && h.Timestamp.Before(start)) || (hasEnd && h.Timestamp.After(end)) {
			continue
		}
		matched++
		if matched <= skip {
			continue
		}
		if int64(len(out)) == limit {
			next = seqToken(int64(matched - 1))
			break
		}
		out = append(out, map[string]any{"AlarmName": h.AlarmName, "AlarmType": "MetricAlarm", "Timestamp": h.Timestamp,
			"HistoryItemType": h.Type, "HistorySummary": h.Summary, "HistoryData": h.Data})
	}
	res := map[string]any{"AlarmHistoryItems": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}
