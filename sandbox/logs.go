package sandbox

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// CloudWatch Logs (JSON 1.1, target prefix Logs_20140328): the log groups a
// trail delivers to and the metric filters on them.

type logGroup struct {
	Name          string                   `json:"name"`
	Created       time.Time                `json:"created"`
	RetentionDays int64                    `json:"retentionDays,omitempty"` // 0: never expire
	KmsKeyID      string                   `json:"kmsKeyId,omitempty"`
	Class         string                   `json:"class,omitempty"`
	Tags          map[string]string        `json:"tags,omitempty"`
	Filters       map[string]*metricFilter `json:"filters,omitempty"` // by filter name
	Events        []logEvent               `json:"events,omitempty"`  // as delivered, oldest first
}

type metricFilter struct {
	Name    string    `json:"name"`
	Pattern string    `json:"pattern"`
	Created time.Time `json:"created"`
	// Exactly one, as AWS allows.
	Transformation         metricTransformation `json:"transformation"`
	ApplyOnTransformedLogs bool                 `json:"applyOnTransformedLogs,omitempty"`
	FieldSelectionCriteria string               `json:"fieldSelectionCriteria,omitempty"`
	EmitSystemDimensions   []string             `json:"emitSystemFieldDimensions,omitempty"`
}

type metricTransformation struct {
	MetricName      string            `json:"metricName"`
	MetricNamespace string            `json:"metricNamespace"`
	MetricValue     string            `json:"metricValue"`
	DefaultValue    *float64          `json:"defaultValue,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

// Limits and rules from the CloudWatch Logs API reference (API model shapes
// LogGroupName, FilterName, MetricName, MetricNamespace, FilterPattern,
// Days; quota "100 metric filters per log group").
const (
	logsMaxFiltersPerGroup = 100
	logsMaxPageSize        = 50
	logsMaxPatternLen      = 1024
)

var (
	logGroupNameRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	filterNameRE   = regexp.MustCompile(`^[^:*]{1,512}$`)
	metricNameRE   = regexp.MustCompile(`^[^:*$]{1,255}$`)
	metricNSRE     = regexp.MustCompile(`^[^:*$]{1,255}$`)
	// PutRetentionPolicy's documented set of retentionInDays values.
	logsRetentionDays = map[int64]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true,
		120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true,
		2192: true, 2557: true, 2922: true, 3288: true, 3653: true}
)

func init() {
	for action, h := range map[string]handlerFunc{
		"CreateLogGroup":        logsCreateLogGroup,
		"DeleteLogGroup":        logsDeleteLogGroup,
		"DescribeLogGroups":     logsDescribeLogGroups,
		"PutRetentionPolicy":    logsPutRetentionPolicy,
		"PutMetricFilter":       logsPutMetricFilter,
		"DescribeMetricFilters": logsDescribeMetricFilters,
		"DeleteMetricFilter":    logsDeleteMetricFilter,
		"ListTagsForResource":   logsListTagsForResource,
	} {
		register("logs", action, h)
	}
	onNewRegion(func(r *regionState) {
		if r.LogGroups == nil {
			r.LogGroups = map[string]*logGroup{}
		}
	})
}

func logsInvalid(format string, args ...any) *apiError {
	return badRequest("InvalidParameterException", format, args...)
}

// logsConstraint renders the generic Coral validation message AWS returns
// for model constraints (length, range, pattern).
func logsConstraint(value any, member, constraint string) *apiError {
	return logsInvalid("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func logGroupArn(account, region, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, name)
}

// logGroup finds a log group; the account may be unknown (a log group ARN
// naming another account).
func (st *state) logGroup(account, region, name string) *logGroup {
	a := st.account(account)
	if a == nil {
		return nil
	}
	g := a.region(region).LogGroups[name]
	if g != nil && g.Filters == nil {
		g.Filters = map[string]*metricFilter{}
	}
	return g
}

func checkLogGroupName(name string) *apiError {
	if !logGroupNameRE.MatchString(name) {
		return logsConstraint(name, "logGroupName", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

func logsCreateLogGroup(st *state, c *call) (map[string]any, error) {
	name := c.str("logGroupName")
	if err := checkLogGroupName(name); err != nil {
		return nil, err
	}
	groups := st.account(c.Account).region(c.Region).LogGroups
	if groups[name] != nil {
		return nil, badRequest("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	class := c.str("logGroupClass")
	if class == "" {
		class = "STANDARD"
	}
	g := &logGroup{Name: name, Created: st.clock(), KmsKeyID: c.str("kmsKeyId"), Class: class,
		Tags: map[string]string{}, Filters: map[string]*metricFilter{}}
	for k, v := range c.object("tags") {
		g.Tags[k] = fmt.Sprint(v)
	}
	groups[name] = g
	return map[string]any{}, nil
}

// logsDeleteLogGroup deletes the group with its metric filters, as AWS
// does. A trail that delivers to it keeps the ARN, as on AWS: nothing
// tells CloudTrail.
func logsDeleteLogGroup(st *state, c *call) (map[string]any, error) {
	name := c.str("logGroupName")
	if err := checkLogGroupName(name); err != nil {
		return nil, err
	}
	groups := st.account(c.Account).region(c.Region).LogGroups
	if groups[name] == nil {
		return nil, logsNoGroup()
	}
	delete(groups, name)
	return map[string]any{}, nil
}

// logsPage validates a "limit" input (1..50, default 50).
func logsPage(c *call) (int, *apiError) {
	n, ok, err := c.integer("limit")
	if err != nil {
		return 0, err
	}
	if !ok {
		return logsMaxPageSize, nil
	}
	if n < 1 {
		return 0, logsConstraint(n, "limit", "Member must have value greater than or equal to 1")
	}
	if n > logsMaxPageSize {
		return 0, logsConstraint(n, "limit", "Member must have value less than or equal to 50")
	}
	return int(n), nil
}

// page cuts a sorted list of keys at the token handed out by the previous
// page: the first key of the next page, base64-encoded so that it stays
// opaque (and free of the NUL separators some keys contain).
func page(keys []string, token string, size int) ([]string, string, bool) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		key := string(raw)
		start = sort.SearchStrings(keys, key)
		if err != nil || start == len(keys) || keys[start] != key {
			return nil, "", false
		}
	}
	end := min(start+size, len(keys))
	next := ""
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end]))
	}
	return keys[start:end], next, true
}

func logsDescribeLogGroups(st *state, c *call) (map[string]any, error) {
	size, err := logsPage(c)
	if err != nil {
		return nil, err
	}
	prefix := c.str("logGroupNamePrefix")
	all := st.account(c.Account).region(c.Region).LogGroups
	var names []string
	for name := range all {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	names, next, ok := page(names, c.str("nextToken"), size)
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	groups := []any{}
	for _, name := range names {
		g := all[name]
		arn := logGroupArn(c.Account, c.Region, name)
		out := map[string]any{
			"logGroupName":      name,
			"creationTime":      g.Created.UnixMilli(),
			"metricFilterCount": len(g.Filters),
			// arn ends with ":*" (what CloudTrail's CloudWatchLogsLogGroupArn
			// takes); logGroupArn is the bare resource ARN.
			"arn":           arn + ":*",
			"logGroupArn":   arn,
			"storedBytes":   0,
			"logGroupClass": g.Class,
		}
		if g.RetentionDays > 0 {
			out["retentionInDays"] = g.RetentionDays
		}
		if g.KmsKeyID != "" {
			out["kmsKeyId"] = g.KmsKeyID
		}
		groups = append(groups, out)
	}
	out := map[string]any{"logGroups": groups}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func logsNoGroup() *apiError {
	return badRequest("ResourceNotFoundException", "The specified log group does not exist.")
}

// logResourceARNRE is the resourceArn pattern of ListTagsForResource (API
// model shape AmazonResourceName): no ":*" suffix, unlike the ARN
// DescribeLogGroups returns as "arn".
var logResourceARNRE = regexp.MustCompile(`^[\w+=/:,.@-]*$`)

// logsListTagsForResource returns a log group's tags by its bare ARN
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME). Destinations, the other
// taggable resource, do not exist in the sandbox; a group of another
// account or region is not found, as the call is answered by the caller's
// regional endpoint.
func logsListTagsForResource(st *state, c *call) (map[string]any, error) {
	arn := c.str("resourceArn")
	switch {
	case arn == "":
		return nil, logsConstraint(arn, "resourceArn", "Member must have length greater than or equal to 1")
	case len(arn) > 1011:
		return nil, logsConstraint(arn, "resourceArn", "Member must have length less than or equal to 1011")
	case !logResourceARNRE.MatchString(arn):
		return nil, logsConstraint(arn, "resourceArn", `Member must satisfy regular expression pattern: [\w+=/:,.@-]*`)
	}
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "logs" {
		return nil, logsInvalid("Invalid resource ARN: %s", arn)
	}
	region, account, kind, name := parts[3], parts[4], parts[5], parts[6]
	if kind != "log-group" && kind != "destination" {
		return nil, logsInvalid("Invalid resource ARN: %s", arn)
	}
	var g *logGroup
	if kind == "log-group" && account == c.Account && region == c.Region {
		g = st.logGroup(account, region, name)
	}
	if g == nil {
		return nil, badRequest("ResourceNotFoundException", "The specified resource does not exist.")
	}
	tags := map[string]any{}
	for k, v := range g.Tags {
		tags[k] = v
	}
	return map[string]any{"tags": tags}, nil
}

func logsPutRetentionPolicy(st *state, c *call) (map[string]any, error) {
	g := st.logGroup(c.Account, c.Region, c.str("logGroupName"))
	days, _, err := c.integer("retentionInDays")
	if err != nil {
		return nil, err
	}
	if !logsRetentionDays[days] {
		return nil, logsConstraint(days, "retentionInDays", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	if g == nil {
		return nil, logsNoGroup()
	}
	g.RetentionDays = days
	return map[string]any{}, nil
}

func logsPutMetricFilter(st *state, c *call) (map[string]any, error) {
	name := c.str("filterName")
	if !filterNameRE.MatchString(name) {
		return nil, logsConstraint(name, "filterName", "Member must satisfy regular expression pattern: [^:*]*")
	}
	text := c.str("filterPattern")
	if err := checkPatternLength(text); err != nil {
		return nil, err
	}
	trs := c.list("metricTransformations")
	if len(trs) != 1 {
		return nil, logsConstraint(len(trs), "metricTransformations", "Member must have length between 1 and 1")
	}
	m, _ := trs[0].(map[string]any)
	tr, err := parseTransformation(c.sub(m))
	if err != nil {
		return nil, err
	}
	if err := checkFilterPattern(text, len(tr.Dimensions) > 0); err != nil {
		return nil, err
	}
	g := st.logGroup(c.Account, c.Region, c.str("logGroupName"))
	if g == nil {
		return nil, logsNoGroup()
	}
	applyOnTransformed, _, aerr := c.boolean("applyOnTransformedLogs")
	if aerr != nil {
		return nil, aerr
	}
	criteria := c.str("fieldSelectionCriteria")
	if len(criteria) > 2000 {
		return nil, logsConstraint(criteria, "fieldSelectionCriteria", "Member must have length less than or equal to 2000")
	}
	old := g.Filters[name]
	if old == nil && len(g.Filters) >= logsMaxFiltersPerGroup {
		return nil, badRequest("LimitExceededException", "Resource limit exceeded.")
	}
	f := &metricFilter{Name: name, Pattern: text, Created: st.clock(), Transformation: tr,
		ApplyOnTransformedLogs: applyOnTransformed, FieldSelectionCriteria: criteria,
		EmitSystemDimensions: c.strings("emitSystemFieldDimensions")}
	if old != nil {
		// A put replaces the filter whole but it keeps its identity.
		f.Created = old.Created
	}
	g.Filters[name] = f
	return map[string]any{}, nil
}

func checkPatternLength(text string) *apiError {
	if n := len([]rune(text)); n > logsMaxPatternLen {
		return logsConstraint(text, "filterPattern", "Member must have length less than or equal to 1024")
	}
	return nil
}

func parseTransformation(c *call) (metricTransformation, *apiError) {
	tr := metricTransformation{
		MetricName:      c.str("metricName"),
		MetricNamespace: c.str("metricNamespace"),
		MetricValue:     c.str("metricValue"),
		Unit:            c.str("unit"),
	}
	if !metricNameRE.MatchString(tr.MetricName) {
		return tr, logsConstraint(tr.MetricName, "metricTransformations.1.member.metricName", "Member must satisfy regular expression pattern: [^:*$]*")
	}
	if !metricNSRE.MatchString(tr.MetricNamespace) {
		return tr, logsConstraint(tr.MetricNamespace, "metricTransformations.1.member.metricNamespace", "Member must satisfy regular expression pattern: [^:*$]*")
	}
	if tr.MetricValue == "" || len(tr.MetricValue) > 100 {
		return tr, logsConstraint(tr.MetricValue, "metricTransformations.1.member.metricValue", "Member must have length between 1 and 100")
	}
	if tr.Unit != "" && !standardUnits[tr.Unit] {
		return tr, logsConstraint(tr.Unit, "metricTransformations.1.member.unit", "Member must satisfy enum value set")
	}
	if dv, ok, err := c.number("defaultValue"); err != nil {
		return tr, err
	} else if ok {
		tr.DefaultValue = &dv
	}
	if dims := c.object("dimensions"); len(dims) > 0 {
		if len(dims) > 3 {
			return tr, logsInvalid("A metric filter can have at most 3 dimensions.")
		}
		tr.Dimensions = map[string]string{}
		for k, v := range dims {
			tr.Dimensions[k] = fmt.Sprint(v)
		}
	}
	if tr.DefaultValue != nil && len(tr.Dimensions) > 0 {
		// CloudWatch Logs documents that a default value cannot be
		// combined with dimensions.
		return tr, logsInvalid("Dimensions and default value cannot be specified together.")
	}
	return tr, nil
}

func logsDescribeMetricFilters(st *state, c *call) (map[string]any, error) {
	size, err := logsPage(c)
	if err != nil {
		return nil, err
	}
	groupName, prefix := c.str("logGroupName"), c.str("filterNamePrefix")
	metricName, metricNS := c.str("metricName"), c.str("metricNamespace")
	if prefix != "" && groupName == "" {
		return nil, logsInvalid("If you specify filterNamePrefix, you must also specify logGroupName.")
	}
	if (metricName == "") != (metricNS == "") {
		return nil, logsInvalid("If you specify metricName or metricNamespace, you must specify both.")
	}
	all := st.account(c.Account).region(c.Region).LogGroups
	if groupName != "" && all[groupName] == nil {
		return nil, logsNoGroup()
	}
	// Keys sort by group, then filter name; NUL cannot occur in either.
	type hit struct {
		g *logGroup
		f *metricFilter
	}
	hits := map[string]hit{}
	var keys []string
	for _, g := range all {
		if groupName != "" && g.Name != groupName {
			continue
		}
		for _, f := range g.Filters {
			if !strings.HasPrefix(f.Name, prefix) {
				continue
			}
			if metricName != "" && (f.Transformation.MetricName != metricName || f.Transformation.MetricNamespace != metricNS) {
				continue
			}
			k := g.Name + "\x00" + f.Name
			hits[k] = hit{g, f}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	token := c.str("nextToken")
	keys, next, ok := page(keys, token, size)
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	filters := []any{}
	for _, k := range keys {
		filters = append(filters, metricFilterOut(hits[k].g, hits[k].f))
	}
	out := map[string]any{"metricFilters": filters}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func metricFilterOut(g *logGroup, f *metricFilter) map[string]any {
	tr := map[string]any{
		"metricName":      f.Transformation.MetricName,
		"metricNamespace": f.Transformation.MetricNamespace,
		"metricValue":     f.Transformation.MetricValue,
	}
	if f.Transformation.DefaultValue != nil {
		tr["defaultValue"] = *f.Transformation.DefaultValue
	}
	if len(f.Transformation.Dimensions) > 0 {
		tr["dimensions"] = f.Transformation.Dimensions
	}
	if f.Transformation.Unit != "" {
		tr["unit"] = f.Transformation.Unit
	}
	out := map[string]any{
		"filterName":             f.Name,
		"filterPattern":          f.Pattern,
		"metricTransformations":  []any{tr},
		"creationTime":           f.Created.UnixMilli(),
		"logGroupName":           g.Name,
		"applyOnTransformedLogs": f.ApplyOnTransformedLogs,
	}
	if f.FieldSelectionCriteria != "" {
		out["fieldSelectionCriteria"] = f.FieldSelectionCriteria
	}
	if len(f.EmitSystemDimensions) > 0 {
		out["emitSystemFieldDimensions"] = stringsOut(f.EmitSystemDimensions)
	}
	return out
}

func stringsOut(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

func logsDeleteMetricFilter(st *state, c *call) (map[string]any, error) {
	g := st.logGroup(c.Account, c.Region, c.str("logGroupName"))
	if g == nil {
		return nil, logsNoGroup()
	}
	name := c.str("filterName")
	if g.Filters[name] == nil {
		return nil, badRequest("ResourceNotFoundException", "The specified filter does not exist.")
	}
	delete(g.Filters, name)
	return map[string]any{}, nil
}

// standardUnits is CloudWatch's StandardUnit enum, shared by metric filter
// transformations and alarms.
var standardUnits = func() map[string]bool {
	m := map[string]bool{}
	for _, u := range strings.Fields(`Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes
		Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second
		Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second Megabits/Second
		Gigabits/Second Terabits/Second Count/Second None`) {
		m[u] = true
	}
	return m
}()
