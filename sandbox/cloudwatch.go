package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// CloudWatch (service "monitoring"): metric alarms. One set of handlers
// serves rpc-v2-cbor (the Go SDK's default), JSON 1.0 and Query (the AWS
// CLI); error codes are the Query codes (awsQueryError), which the codecs
// translate for the other protocols.

type metricAlarm struct {
	Name                    string        `json:"name"`
	Description             string        `json:"description,omitempty"`
	ActionsEnabled          bool          `json:"actionsEnabled"`
	OKActions               []string      `json:"okActions,omitempty"`
	AlarmActions            []string      `json:"alarmActions,omitempty"`
	InsufficientDataActions []string      `json:"insufficientDataActions,omitempty"`
	MetricName              string        `json:"metricName,omitempty"`
	Namespace               string        `json:"namespace,omitempty"`
	Statistic               string        `json:"statistic,omitempty"`
	ExtendedStatistic       string        `json:"extendedStatistic,omitempty"`
	Dimensions              []dimension   `json:"dimensions,omitempty"`
	Period                  int64         `json:"period,omitempty"`
	Unit                    string        `json:"unit,omitempty"`
	EvaluationPeriods       int64         `json:"evaluationPeriods"`
	DatapointsToAlarm       int64         `json:"datapointsToAlarm,omitempty"` // 0: not set
	Threshold               *float64      `json:"threshold,omitempty"`
	ThresholdMetricID       string        `json:"thresholdMetricId,omitempty"`
	ComparisonOperator      string        `json:"comparisonOperator"`
	TreatMissingData        string        `json:"treatMissingData,omitempty"`
	EvaluateLowSampleCount  string        `json:"evaluateLowSampleCountPercentile,omitempty"`
	Metrics                 []metricQuery `json:"metrics,omitempty"`
	StateValue              string        `json:"stateValue"`
	StateReason             string        `json:"stateReason"`
	StateUpdated            time.Time     `json:"stateUpdated"`
	ConfigUpdated           time.Time     `json:"configUpdated"`
	Tags                    []tag         `json:"tags,omitempty"`
}

type dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// metricQuery is one MetricDataQuery of a metric-math alarm, normalised so
// that a Query-protocol request (all strings) reads back typed over CBOR.
type metricQuery struct {
	ID         string      `json:"id"`
	Expression string      `json:"expression,omitempty"`
	Label      string      `json:"label,omitempty"`
	ReturnData *bool       `json:"returnData,omitempty"`
	Period     int64       `json:"period,omitempty"`
	AccountID  string      `json:"accountId,omitempty"`
	Stat       *metricStat `json:"metricStat,omitempty"`
}

type metricStat struct {
	Namespace  string      `json:"namespace"`
	MetricName string      `json:"metricName"`
	Dimensions []dimension `json:"dimensions,omitempty"`
	Period     int64       `json:"period"`
	Stat       string      `json:"stat"`
	Unit       string      `json:"unit,omitempty"`
}

const (
	cwMaxActions    = 5
	cwMaxDimensions = 30
	cwMaxPage       = 100
	cwMaxDelete     = 100
)

var (
	cwStatistics  = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	cwComparisons = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
		"LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
		"GreaterThanUpperThreshold"}
	cwTreatMissing = []string{"breaching", "notBreaching", "ignore", "missing"}
	cwStates       = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}
	// Alarm actions CloudWatch accepts: SNS topics, EC2 and Auto Scaling
	// actions, Systems Manager OpsItems/incidents and Lambda functions.
	cwActionRE = regexp.MustCompile(`^arn:aws[a-z-]*:(sns|automate|autoscaling|ssm|ssm-incidents|lambda|swf):[a-z0-9-]*:\d{0,12}:\S+$`)
)

func init() {
	for action, h := range map[string]handlerFunc{
		"PutMetricAlarm":          cwPutMetricAlarm,
		"DescribeAlarms":          cwDescribeAlarms,
		"DescribeAlarmsForMetric": cwDescribeAlarmsForMetric,
		"DeleteAlarms":            cwDeleteAlarms,
		"ListTagsForResource":     cwListTagsForResource,
	} {
		register("monitoring", action, h)
	}
	onNewRegion(func(r *regionState) {
		if r.Alarms == nil {
			r.Alarms = map[string]*metricAlarm{}
		}
	})
}

func alarmArn(account, region, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, name)
}

// cwValidation is the generic constraint error (Query code ValidationError).
func cwValidation(format string, args ...any) *apiError {
	return badRequest("ValidationError", format, args...)
}

func cwInvalidValue(format string, args ...any) *apiError {
	return badRequest("InvalidParameterValue", format, args...)
}

func cwCombination(format string, args ...any) *apiError {
	return badRequest("InvalidParameterCombination", format, args...)
}

func cwMissing(name string) *apiError {
	return badRequest("MissingParameter", "The parameter %s is required.", name)
}

func cwDimensions(c *call, key string) ([]dimension, *apiError) {
	items := c.list(key)
	if len(items) > cwMaxDimensions {
		return nil, cwValidation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to 30", strings.ToLower(key[:1])+key[1:])
	}
	var dims []dimension
	for _, it := range items {
		m, _ := it.(map[string]any)
		d := c.sub(m)
		dim := dimension{Name: d.str("Name"), Value: d.str("Value")}
		if dim.Name == "" || len(dim.Name) > 255 || dim.Value == "" || len(dim.Value) > 1024 {
			return nil, cwInvalidValue("The dimension %q=%q is invalid: names are 1-255 and values 1-1024 characters.", dim.Name, dim.Value)
		}
		dims = append(dims, dim)
	}
	return dims, nil
}

// validPeriod: "Valid values are 10, 20, 30, and any multiple of 60"
// (PutMetricAlarm API reference, Period).
func validPeriod(p int64) bool {
	return p == 10 || p == 20 || p == 30 || (p >= 60 && p%60 == 0)
}

func cwActions(c *call, key string) ([]string, *apiError) {
	acts := c.strings(key)
	if len(acts) > cwMaxActions {
		return nil, cwValidation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have length less than or equal to 5", acts, strings.ToLower(key[:1])+key[1:])
	}
	for _, a := range acts {
		if !cwActionRE.MatchString(a) {
			return nil, cwInvalidValue("Invalid arn syntax: %s", a)
		}
	}
	return acts, nil
}

func cwPutMetricAlarm(st *state, c *call) (map[string]any, error) {
	name := c.str("AlarmName")
	if name == "" {
		return nil, cwMissing("AlarmName")
	}
	if len([]rune(name)) > 255 {
		return nil, cwValidation("1 validation error detected: Value '%s' at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255", name)
	}
	a := &metricAlarm{
		Name:                   name,
		Description:            c.str("AlarmDescription"),
		ActionsEnabled:         true,
		MetricName:             c.str("MetricName"),
		Namespace:              c.str("Namespace"),
		Statistic:              c.str("Statistic"),
		ExtendedStatistic:      c.str("ExtendedStatistic"),
		Unit:                   c.str("Unit"),
		ThresholdMetricID:      c.str("ThresholdMetricId"),
		ComparisonOperator:     c.str("ComparisonOperator"),
		TreatMissingData:       c.str("TreatMissingData"),
		EvaluateLowSampleCount: c.str("EvaluateLowSampleCountPercentile"),
	}
	if len(a.Description) > 1024 {
		return nil, cwValidation("1 validation error detected: Value at 'alarmDescription' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	var err *apiError
	if v, ok, e := c.boolean("ActionsEnabled"); e != nil {
		return nil, e
	} else if ok {
		a.ActionsEnabled = v
	}
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"OKActions", &a.OKActions}, {"AlarmActions", &a.AlarmActions}, {"InsufficientDataActions", &a.InsufficientDataActions}} {
		if *l.dst, err = cwActions(c, l.key); err != nil {
			return nil, err
		}
	}
	if a.Dimensions, err = cwDimensions(c, "Dimensions"); err != nil {
		return nil, err
	}
	if err = a.readNumbers(c); err != nil {
		return nil, err
	}
	if err = a.readMetrics(c); err != nil {
		return nil, err
	}
	if err = a.validate(); err != nil {
		return nil, err
	}

	alarms := st.account(c.Account).region(c.Region).Alarms
	now := st.clock()
	a.ConfigUpdated = now
	if old := alarms[name]; old != nil {
		// An update overwrites the configuration whole but leaves the state
		// and the tags alone ("any tags you specify … are ignored").
		a.StateValue, a.StateReason, a.StateUpdated, a.Tags = old.StateValue, old.StateReason, old.StateUpdated, old.Tags
	} else {
		a.StateValue, a.StateReason, a.StateUpdated = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", now
		for _, it := range c.list("Tags") {
			m, _ := it.(map[string]any)
			t := c.sub(m)
			a.Tags = append(a.Tags, tag{Key: t.str("Key"), Value: t.str("Value")})
		}
	}
	alarms[name] = a
	return map[string]any{}, nil
}

func (a *metricAlarm) readNumbers(c *call) *apiError {
	if v, ok, err := c.integer("Period"); err != nil {
		return err
	} else if ok {
		a.Period = v
	}
	if v, ok, err := c.integer("EvaluationPeriods"); err != nil {
		return err
	} else if !ok {
		return cwMissing("EvaluationPeriods")
	} else {
		a.EvaluationPeriods = v
	}
	if v, ok, err := c.integer("DatapointsToAlarm"); err != nil {
		return err
	} else if ok {
		if v < 1 {
			return cwValidation("1 validation error detected: Value '%d' at 'datapointsToAlarm' failed to satisfy constraint: Member must have value greater than or equal to 1", v)
		}
		a.DatapointsToAlarm = v
	}
	if v, ok, err := c.number("Threshold"); err != nil {
		return err
	} else if ok {
		a.Threshold = &v
	}
	return nil
}

func (a *metricAlarm) readMetrics(c *call) *apiError {
	for _, it := range c.list("Metrics") {
		m, _ := it.(map[string]any)
		q := c.sub(m)
		mq := metricQuery{ID: q.str("Id"), Expression: q.str("Expression"), Label: q.str("Label"), AccountID: q.str("AccountId")}
		if mq.ID == "" {
			return cwMissing("Metrics.member.Id")
		}
		if v, ok, err := q.boolean("ReturnData"); err != nil {
			return err
		} else if ok {
			mq.ReturnData = &v
		}
		if v, ok, err := q.integer("Period"); err != nil {
			return err
		} else if ok {
			mq.Period = v
		}
		if ms := q.object("MetricStat"); ms != nil {
			s := c.sub(ms)
			metric := s.sub(s.object("Metric"))
			stat := &metricStat{Namespace: metric.str("Namespace"), MetricName: metric.str("MetricName"), Stat: s.str("Stat"), Unit: s.str("Unit")}
			var err *apiError
			if stat.Dimensions, err = cwDimensions(metric, "Dimensions"); err != nil {
				return err
			}
			p, _, err := s.integer("Period")
			if err != nil {
				return err
			}
			if !validPeriod(p) {
				return cwInvalidValue("The value %d for parameter Metrics.member.MetricStat.Period is not supported.", p)
			}
			stat.Period = p
			mq.Stat = stat
		}
		if (mq.Stat == nil) == (mq.Expression == "") {
			return cwValidation("Exactly one of MetricStat and Expression must be set for the metric data query %q.", mq.ID)
		}
		a.Metrics = append(a.Metrics, mq)
	}
	return nil
}

func (a *metricAlarm) validate() *apiError {
	single := a.MetricName != "" || a.Namespace != "" || a.Statistic != "" || a.ExtendedStatistic != "" || len(a.Dimensions) > 0 || a.Period != 0
	switch {
	case len(a.Metrics) > 0 && single:
		return cwCombination("The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions and Period must not be specified together with Metrics.")
	case len(a.Metrics) == 0:
		if a.MetricName == "" {
			return cwMissing("MetricName")
		}
		if a.Namespace == "" {
			return cwMissing("Namespace")
		}
		if (a.Statistic == "") == (a.ExtendedStatistic == "") {
			return cwCombination("Exactly one of Statistic or ExtendedStatistic must be specified.")
		}
		if a.Statistic != "" && !slices.Contains(cwStatistics, a.Statistic) {
			return cwValidation("1 validation error detected: Value '%s' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [%s]", a.Statistic, strings.Join(cwStatistics, ", "))
		}
		if a.Period == 0 {
			return cwMissing("Period")
		}
		if !validPeriod(a.Period) {
			return cwInvalidValue("The parameter Period must be 10, 20, 30 or a multiple of 60.")
		}
	}
	if a.EvaluationPeriods < 1 {
		return cwValidation("1 validation error detected: Value '%d' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1", a.EvaluationPeriods)
	}
	// "The number of evaluation periods multiplied by the period cannot be
	// more than 86,400 seconds" (one day) for periods of a minute or more.
	if a.Period >= 60 && a.Period*a.EvaluationPeriods > 86400 {
		return cwInvalidValue("The evaluation period cannot exceed 1 day (Period * EvaluationPeriods <= 86400).")
	}
	if a.DatapointsToAlarm > a.EvaluationPeriods {
		return cwValidation("DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
	}
	if a.ComparisonOperator == "" {
		return cwMissing("ComparisonOperator")
	}
	if !slices.Contains(cwComparisons, a.ComparisonOperator) {
		return cwValidation("1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [%s]", a.ComparisonOperator, strings.Join(cwComparisons, ", "))
	}
	switch {
	case a.ThresholdMetricID != "" && a.Threshold != nil:
		return cwCombination("Threshold and ThresholdMetricId cannot both be specified.")
	case a.ThresholdMetricID == "" && a.Threshold == nil:
		return cwMissing("Threshold")
	}
	if a.TreatMissingData != "" && !slices.Contains(cwTreatMissing, a.TreatMissingData) {
		return cwInvalidValue("The value %s is not a valid TreatMissingData: use breaching, notBreaching, ignore or missing.", a.TreatMissingData)
	}
	if a.Unit != "" && !standardUnits[a.Unit] {
		return cwValidation("1 validation error detected: Value '%s' at 'unit' failed to satisfy constraint: Member must satisfy enum value set", a.Unit)
	}
	return nil
}

func (a *metricAlarm) out(account, region string) map[string]any {
	out := map[string]any{
		"AlarmName":                          a.Name,
		"AlarmArn":                           alarmArn(account, region, a.Name),
		"AlarmConfigurationUpdatedTimestamp": a.ConfigUpdated,
		"ActionsEnabled":                     a.ActionsEnabled,
		"OKActions":                          stringsOut(a.OKActions),
		"AlarmActions":                       stringsOut(a.AlarmActions),
		"InsufficientDataActions":            stringsOut(a.InsufficientDataActions),
		"StateValue":                         a.StateValue,
		"StateReason":                        a.StateReason,
		"StateUpdatedTimestamp":              a.StateUpdated,
		"StateTransitionedTimestamp":         a.StateUpdated,
		"EvaluationPeriods":                  a.EvaluationPeriods,
		"ComparisonOperator":                 a.ComparisonOperator,
		"Dimensions":                         dimensionsOut(a.Dimensions),
	}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("AlarmDescription", a.Description)
	set("MetricName", a.MetricName)
	set("Namespace", a.Namespace)
	set("Statistic", a.Statistic)
	set("ExtendedStatistic", a.ExtendedStatistic)
	set("Unit", a.Unit)
	set("ThresholdMetricId", a.ThresholdMetricID)
	set("TreatMissingData", a.TreatMissingData)
	set("EvaluateLowSampleCountPercentile", a.EvaluateLowSampleCount)
	if a.Period != 0 {
		out["Period"] = a.Period
	}
	if a.DatapointsToAlarm != 0 {
		out["DatapointsToAlarm"] = a.DatapointsToAlarm
	}
	if a.Threshold != nil {
		out["Threshold"] = *a.Threshold
	}
	if len(a.Metrics) > 0 {
		ms := []any{}
		for _, q := range a.Metrics {
			ms = append(ms, q.out())
		}
		out["Metrics"] = ms
	}
	return out
}

func (q metricQuery) out() map[string]any {
	out := map[string]any{"Id": q.ID}
	if q.Expression != "" {
		out["Expression"] = q.Expression
	}
	if q.Label != "" {
		out["Label"] = q.Label
	}
	if q.AccountID != "" {
		out["AccountId"] = q.AccountID
	}
	if q.ReturnData != nil {
		out["ReturnData"] = *q.ReturnData
	}
	if q.Period != 0 {
		out["Period"] = q.Period
	}
	if s := q.Stat; s != nil {
		ms := map[string]any{
			"Metric": map[string]any{"Namespace": s.Namespace, "MetricName": s.MetricName, "Dimensions": dimensionsOut(s.Dimensions)},
			"Period": s.Period,
			"Stat":   s.Stat,
		}
		if s.Unit != "" {
			ms["Unit"] = s.Unit
		}
		out["MetricStat"] = ms
	}
	return out
}

func dimensionsOut(dims []dimension) []any {
	out := []any{}
	for _, d := range dims {
		out = append(out, map[string]any{"Name": d.Name, "Value": d.Value})
	}
	return out
}

func sortedAlarmNames(alarms map[string]*metricAlarm) []string {
	names := make([]string, 0, len(alarms))
	for n := range alarms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func cwDescribeAlarms(st *state, c *call) (map[string]any, error) {
	names, prefix := c.strings("AlarmNames"), c.str("AlarmNamePrefix")
	if len(names) > 0 && prefix != "" {
		return nil, cwCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if len(names) > cwMaxPage {
		return nil, cwValidation("1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	size := cwMaxPage
	if n, ok, err := c.integer("MaxRecords"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > cwMaxPage {
			return nil, cwValidation("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", n)
		}
		size = int(n)
	}
	stateValue := c.str("StateValue")
	if stateValue != "" && !slices.Contains(cwStates, stateValue) {
		return nil, cwValidation("1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [%s]", stateValue, strings.Join(cwStates, ", "))
	}
	actionPrefix := c.str("ActionPrefix")
	// Without AlarmTypes only metric alarms are returned; the sandbox has
	// no composite alarms, so asking for those alone yields nothing.
	types := c.strings("AlarmTypes")
	wantMetric := len(types) == 0 || slices.Contains(types, "MetricAlarm")

	alarms := st.account(c.Account).region(c.Region).Alarms
	var keys []string
	for _, n := range sortedAlarmNames(alarms) {
		a := alarms[n]
		switch {
		case !wantMetric,
			len(names) > 0 && !slices.Contains(names, n),
			!strings.HasPrefix(n, prefix),
			stateValue != "" && a.StateValue != stateValue,
			actionPrefix != "" && !a.hasActionPrefix(actionPrefix):
			continue
		}
		keys = append(keys, n)
	}
	keys, next, ok := page(keys, c.str("NextToken"), size)
	if !ok {
		return nil, badRequest("InvalidNextToken", "The service returned an invalid next token.")
	}
	out := []any{}
	for _, n := range keys {
		out = append(out, alarms[n].out(c.Account, c.Region))
	}
	res := map[string]any{"MetricAlarms": out, "CompositeAlarms": []any{}}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

// hasActionPrefix checks all three action lists: alarms are retrieved by
// "a prefix for any action" (DescribeAlarms API reference).
func (a *metricAlarm) hasActionPrefix(prefix string) bool {
	for _, l := range [][]string{a.AlarmActions, a.OKActions, a.InsufficientDataActions} {
		for _, act := range l {
			if strings.HasPrefix(act, prefix) {
				return true
			}
		}
	}
	return false
}

// cwDescribeAlarmsForMetric returns "only standard alarms that are based on
// the specified metric", not metric-math alarms that read it (API
// reference). Dimensions compare as a set and must be equal: an alarm on
// TrailName=x is not an alarm on the dimensionless metric, and vice versa.
func cwDescribeAlarmsForMetric(st *state, c *call) (map[string]any, error) {
	metricName, ns := c.str("MetricName"), c.str("Namespace")
	if metricName == "" {
		return nil, cwMissing("MetricName")
	}
	if ns == "" {
		return nil, cwMissing("Namespace")
	}
	dims, err := cwDimensions(c, "Dimensions")
	if err != nil {
		return nil, err
	}
	period, hasPeriod, err := c.integer("Period")
	if err != nil {
		return nil, err
	}
	stat, ext, unit := c.str("Statistic"), c.str("ExtendedStatistic"), c.str("Unit")
	alarms := st.account(c.Account).region(c.Region).Alarms
	out := []any{}
	for _, n := range sortedAlarmNames(alarms) {
		a := alarms[n]
		switch {
		case a.MetricName != metricName || a.Namespace != ns,
			!sameDimensions(a.Dimensions, dims),
			stat != "" && a.Statistic != stat,
			ext != "" && a.ExtendedStatistic != ext,
			unit != "" && a.Unit != unit,
			hasPeriod && a.Period != period:
			continue
		}
		out = append(out, a.out(c.Account, c.Region))
	}
	return map[string]any{"MetricAlarms": out}, nil
}

func sameDimensions(a, b []dimension) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(ds []dimension) []string {
		ks := make([]string, 0, len(ds))
		for _, d := range ds {
			ks = append(ks, d.Name+"\x00"+d.Value)
		}
		sort.Strings(ks)
		return ks
	}
	return slices.Equal(key(a), key(b))
}

func cwDeleteAlarms(st *state, c *call) (map[string]any, error) {
	names := c.strings("AlarmNames")
	if len(names) > cwMaxDelete {
		return nil, cwValidation("1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	alarms := st.account(c.Account).region(c.Region).Alarms
	// "If you specify any incorrect alarm names, the alarms you specify with
	// correct names are still deleted" (DeleteAlarms API reference); the
	// wrong names are still reported, with the model's ResourceNotFound.
	var missing []string
	for _, n := range names {
		if alarms[n] == nil {
			missing = append(missing, n)
		}
		delete(alarms, n)
	}
	if len(missing) > 0 {
		return nil, errorf(404, "ResourceNotFound", "%s not found", strings.Join(missing, ", "))
	}
	return map[string]any{}, nil
}

func cwListTagsForResource(st *state, c *call) (map[string]any, error) {
	arn := c.str("ResourceARN")
	prefix := fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:", c.Region, c.Account)
	name, ok := strings.CutPrefix(arn, prefix)
	a := st.account(c.Account).region(c.Region).Alarms[name]
	if !ok || a == nil {
		return nil, errorf(404, "ResourceNotFoundException", "Alarm %s not found", arn)
	}
	tags := []any{}
	for _, t := range a.Tags {
		tags = append(tags, map[string]any{"Key": t.Key, "Value": t.Value})
	}
	return map[string]any{"Tags": tags}, nil
}
