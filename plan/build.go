package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/shell"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// maxAlarmActions is CloudWatch's limit per action list.
const maxAlarmActions = 5

// maxNameTries bounds the search for a free name (base, base-2 … base-9):
// nine taken names mean something else is going on, better reported.
const maxNameTries = 9

// New starts an empty plan for the given accounts' plans.
func New(toolVersion string, now time.Time, o Options, accounts []AccountPlan) Plan {
	return Plan{FormatVersion: FormatVersion, Tool: Tool{Name: "trailwatch", Version: toolVersion},
		CreatedAt: now.UTC(), Options: o.record(), Accounts: accounts}
}

// Build plans one account from check's finding. It reads only what it needs
// to avoid clobbering and to reuse what works, fingerprinting each read.
// An error means a read failed: nothing about the account can be trusted.
func Build(ctx context.Context, r Readers, f Finding, o Options) (AccountPlan, error) {
	o, err := o.WithDefaults()
	if err != nil {
		return AccountPlan{}, err
	}
	b := &builder{ctx: ctx, r: r, o: o, seen: map[string]any{}, ap: AccountPlan{Account: f.Account, Profiles: f.Profiles,
		Status: f.Status, Reason: f.Reason, ErrorCode: f.ErrorCode, Changes: []Change{}, Fingerprints: []Fingerprint{}}}
	if f.Trail != nil {
		b.ap.Trail = f.Trail.ARN
	}
	if why, notify := blocked(f, o); why != "" {
		b.ap.Blocked, b.ap.NeedsNotify = why, notify
		return b.ap, nil
	}
	if f.Status != check.Fail {
		return b.ap, nil
	}
	if err := b.plan(f); err != nil {
		return AccountPlan{}, fmt.Errorf("plan account %s: %w", f.Account, err)
	}
	if b.ap.Blocked != "" {
		b.ap.Changes = []Change{}
	}
	return b.ap, nil
}

// blocked explains, in words a user can act on, why an account gets no
// changes from here; "" when planning can go ahead. needsNotify is true when
// an endpoint to notify is all that is missing.
func blocked(f Finding, o Options) (why string, needsNotify bool) {
	switch f.Status {
	case check.Pass:
		return "", false
	case check.Error:
		// check sorted the cause (credentials, SSO, a permission, the
		// endpoint); its remediation is the one that fits.
		return "check could not evaluate this account (" + f.Message + "): " + f.Remediation, false
	case check.Manual:
		if f.OtherAccount == "" {
			// A link here check could not decide (an indeterminate filter, a
			// topic policy or key it cannot evaluate): writing around it
			// could be wrong either way.
			return "check could not decide this account by itself (" + f.Message + "); confirm that link by hand, then re-run plan", false
		}
		return "the monitoring chain is managed from another account (" + f.Message + "); plan from that account", false
	}
	if f.ViaAccount != "" {
		return f.ViaARN + " of account " + f.ViaAccount + " decides this account's verdict: its chain is planned in that account, once, not here", false
	}
	t := f.Trail
	reach := reachOf(f)
	profile := reach.Flags()
	switch {
	case f.Reason == check.NoMultiRegionTrail || t == nil:
		return "no multi-region trail to monitor, and trailwatch does not create trails (they need an S3 bucket and cost decisions): run " + check.CreateTrailCommand(reach) + "; then re-run plan", false
	case t.OwnerAccount != "" && t.OwnerAccount != f.Account:
		kind := ""
		if t.Organization {
			kind = " (an organization trail seen from a member account)"
		}
		return "trail " + t.ARN + " belongs to account " + t.OwnerAccount + kind + "; only that account can change it: run plan there", false
	case f.Reason == check.TrailNotLogging:
		return "trail " + t.Name + " is not logging; logging may have been stopped on purpose, so trailwatch will not restart it: run " + check.StartLoggingCommand(t.Name, t.HomeRegion, reach) + " and re-run plan", false
	case f.Reason == check.ManagementEventsNotCaptured:
		return "trail " + t.Name + " does not capture all management events; changing event selectors changes what is recorded and billed, so trailwatch leaves it to you: add a management-events selector (ReadWriteType All) and re-run plan", false
	case f.Reason == check.LogsDeliveryFailing:
		return "trail " + t.Name + " delivers to " + t.LogGroupARN + " but delivery is failing; trailwatch never re-points a wired trail: fix the role in CloudWatchLogsRoleArn (trust cloudtrail.amazonaws.com, allow logs:CreateLogStream and logs:PutLogEvents on the group) and re-run plan", false
	case t.LogGroupARN == "" && !o.WireLogs:
		return "trail " + t.Name + " does not send events to CloudWatch Logs: re-run with" + profile + " --wire-logs to plan a log group, a delivery role and the trail update", false
	case t.LogGroupARN != "" && t.LogGroupAccount != "" && t.LogGroupAccount != f.Account:
		return "log group " + t.LogGroupARN + " belongs to account " + t.LogGroupAccount + "; plan from that account", false
	case f.Reason == check.NoConfirmedSubscriber && len(o.Notify) == 0 && o.TopicARN == "":
		return "topic " + t.TopicARN + " has no confirmed subscriber: re-run with" + profile + " --notify ENDPOINT (e.g. --notify you@example.com) to subscribe someone", true
	}
	return "", false
}

// profileFlag is " --profile NAME" for the profile the account was found
// with, so a command in a hint reaches the same account; "" for the
// default credentials.
func profileFlag(f Finding) string {
	if len(f.Profiles) == 0 {
		return ""
	}
	return " --profile " + shell.Quote(f.Profiles[0])
}

// reachOf is the profile and region the account was found with, so a
// command in a hint reaches the same account; no profile for the default
// credentials.
func reachOf(f Finding) check.Reach {
	r := check.Reach{Region: f.Region}
	if len(f.Profiles) > 0 {
		r.Profile = f.Profiles[0]
	}
	return r
}

type builder struct {
	ctx context.Context
	r   Readers
	o   Options
	ap  AccountPlan
	// partition and region of everything planned.
	partition, region string
	seen              map[string]any
	// fam is set while several controls are planned into one account plan
	// (family.go); nil for one control.
	fam *family
}

func (b *builder) plan(f Finding) error {
	t := f.Trail
	b.partition = partitionOf(t.ARN)
	group := t.LogGroupName
	b.region = t.LogGroupRegion
	if t.LogGroupARN == "" {
		b.region = t.HomeRegion
	}
	b.ap.Region = b.region

	if f.Reason == check.LogGroupNotFound && !b.ap.hasChange("log-group") {
		if err := b.recreateLogGroup(group); err != nil || b.ap.Blocked != "" {
			return err
		}
	}
	if m := t.ReadyMetric; m != nil && b.o.TopicARN == "" {
		// An alarm, its topic and a subscriber already work on this
		// metric: the filter feeding it (and the delivery it needs) is all
		// that is missing.
		if t.LogGroupARN == "" {
			var err error
			if group, err = b.wire(t); err != nil || b.ap.Blocked != "" {
				return err
			}
		}
		return b.readyFilter(f.Reason, group, m)
	}

	metricNS, metricName := b.o.Namespace, b.o.MetricName
	reuseFilter := t.Filter != nil && t.Filter.Reusable
	if reuseFilter {
		metricNS, metricName = t.Filter.Namespace, t.Filter.MetricName
	}
	if t.PolicyTopic != "" && b.o.TopicARN == "" {
		return b.allowCloudWatch(f, t.PolicyTopic, t.Alarm)
	}
	// Which alarm change closes the chain, and which topic it needs.
	existing, beside, err := b.alarmToExtend(f, reuseFilter)
	if err != nil || b.ap.Blocked != "" {
		return err
	}

	// The alarm already notifies a topic nobody confirmed: subscribe to it
	// rather than create another, unless --topic-arn says which to use. An
	// alarm that cannot fire may notify a topic that works: the alarm
	// planned beside it notifies that one.
	reuse, subscribeAlways := "", false
	switch {
	case f.Reason == check.NoConfirmedSubscriber && b.o.TopicARN == "" && t.TopicARN != "":
		reuse, subscribeAlways = t.TopicARN, true
	case t.ReadyTopic != "" && b.o.TopicARN == "":
		reuse = t.ReadyTopic
	case b.fam != nil && b.o.TopicARN == "" && arnRegion(b.fam.topic) == b.region:
		reuse = b.fam.topic // the family's one topic, when it has one yet
	}
	topicARN, topicID, err := b.topic(f, reuse, subscribeAlways)
	if err != nil || b.ap.Blocked != "" {
		return err
	}
	if t.LogGroupARN == "" {
		if group, err = b.wire(t); err != nil || b.ap.Blocked != "" {
			return err
		}
	}
	var filterID string
	if !reuseFilter {
		if filterID, err = b.filter(f.Reason, group, transformation{namespace: b.o.Namespace, metric: b.o.MetricName}); err != nil || b.ap.Blocked != "" {
			return err
		}
	}
	switch {
	case existing != nil:
		return b.addAction(f.Reason, *existing, topicARN, topicID)
	case !beside && t.Alarm != nil && t.Alarm.CanFire && reuseFilter:
		return nil // only subscriptions were missing
	default:
		return b.newAlarm(f.Reason, metricNS, metricName, topicARN, deps(topicID, filterID))
	}
}

// alarmToExtend is the user's alarm that gets this plan's topic as one
// more action, when only its topic is missing; beside is true when that
// alarm has no room left, and a new alarm goes beside it. It sets
// b.ap.Blocked for an alarm it cannot rewrite.
func (b *builder) alarmToExtend(f Finding, reuseFilter bool) (existing *cwtypes.MetricAlarm, beside bool, err error) {
	t := f.Trail
	addTopicToAlarm := t.Alarm != nil && t.Alarm.CanFire && reuseFilter &&
		(f.Reason == check.NoAlarmTopic || f.Reason == check.TopicCannotReceive || (f.Reason == check.NoConfirmedSubscriber && b.o.TopicARN != ""))
	if !addTopicToAlarm {
		return nil, false, nil
	}
	a, err := b.alarm(t.Alarm.Name)
	if err != nil {
		return nil, false, err
	}
	if a == nil {
		b.ap.Blocked = "alarm " + t.Alarm.Name + " disappeared since check read it; re-run plan"
		return nil, false, nil
	}
	switch why := cannotRoundTrip(*a); {
	case why != "":
		b.ap.Blocked = "alarm " + t.Alarm.Name + " " + why + "; add an SNS action to it yourself, or remove it and re-run plan"
		return nil, false, nil
	case len(a.AlarmActions) >= maxAlarmActions:
		return nil, true, nil
	}
	return a, false, nil
}

// readyFilter plans the filter that feeds a working alarm's metric.
func (b *builder) readyFilter(reason check.Reason, group string, m *ReadyMetric) error {
	_, err := b.filter(reason, group, transformation{namespace: m.Namespace, metric: m.MetricName, unit: m.Unit, defaultValue: m.DefaultValue})
	return err
}

// cannotRoundTrip says why an alarm cannot be rewritten without loss.
func cannotRoundTrip(a cwtypes.MetricAlarm) string {
	if len(a.Metrics) > 0 || a.ThresholdMetricId != nil || a.EvaluationCriteria != nil {
		return "is a metric-math, anomaly-detection or query alarm that trailwatch cannot rewrite without loss"
	}
	return ""
}

// look reads a resource once per plan and records its fingerprint.
func (b *builder) look(kind, key string, region string) (any, error) {
	id := kind + " " + region + " " + key
	if v, ok := b.seen[id]; ok {
		return v, nil
	}
	v, err := read(b.ctx, b.r, kind, region, key)
	if err != nil {
		return nil, err
	}
	b.seen[id] = v
	h, err := hash(v)
	if err != nil {
		return nil, err
	}
	fp := Fingerprint{Kind: kind, Region: region, Key: key, Hash: h}
	if !slices.Contains(b.ap.Fingerprints, fp) {
		b.ap.Fingerprints = append(b.ap.Fingerprints, fp)
	}
	return v, nil
}

func (b *builder) alarm(name string) (*cwtypes.MetricAlarm, error) {
	v, err := b.look(kindAlarm, name, b.region)
	if v == nil || err != nil {
		return nil, err
	}
	a := v.(cwtypes.MetricAlarm)
	return &a, nil
}

// freeName returns the first of base, base-2 … that taken reports free.
// taken may also say a same-named resource is ours to reuse.
func freeName(base string, taken func(name string) (inUse, ours bool, err error)) (name string, reuse bool, err error) {
	for i := 1; i <= maxNameTries; i++ {
		name = base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		inUse, ours, err := taken(name)
		if err != nil {
			return "", false, err
		}
		if ours {
			return name, true, nil
		}
		if !inUse {
			return name, false, nil
		}
	}
	return "", false, nil
}

func (b *builder) add(c Change, request any) error {
	raw, err := json.Marshal(request)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", c.Operation, err)
	}
	c.Request = compact(raw)
	if c.Region == "" {
		c.Region = b.region
	}
	// What the change shows is drawn from the request it sends, decoded as
	// fix will decode it: there is no second description to drift.
	in, err := c.Input()
	if err != nil {
		return err
	}
	c.After = View(in)
	if b.fam != nil {
		var dup bool
		if c, dup, err = b.fam.name(b.ap.Changes, c); err != nil || dup {
			return err
		}
	}
	b.ap.Changes = append(b.ap.Changes, c)
	return nil
}

func deps(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// topic decides which SNS topic the alarm notifies and plans its creation
// and subscriptions. reuse is a topic of the user's to keep: --notify
// endpoints are subscribed to it when subscribeAlways, otherwise only when
// it has no confirmed subscriber (it needs none then).
func (b *builder) topic(f Finding, reuse string, subscribeAlways bool) (arn, changeID string, err error) {
	reg := b.region
	var subscribed []string
	reused := false
	notify := b.o.Notify
	if b.fam != nil && b.fam.topicID != "" && reuse == b.fam.topic && b.o.TopicARN == "" {
		// This plan creates the family's topic: every alarm shares it.
		b.fam.touch(b.fam.topicChanges...)
		return b.fam.topic, b.fam.topicID, nil
	}
	stem := b.topicStem()
	switch {
	case b.o.TopicARN != "":
		arn = b.o.TopicARN
		if r := arnRegion(arn); r != reg {
			b.ap.Blocked = "--topic-arn " + arn + " is in " + r + ", but the alarm lives in " + reg + " with the log group; CloudWatch alarms notify topics in their own region"
			return "", "", nil
		}
		v, err := b.look(kindTopic, arn, reg)
		if err != nil {
			return "", "", err
		}
		if v == nil {
			b.ap.Blocked = "--topic-arn " + arn + " does not exist"
			return "", "", nil
		}
		reused = true
	case reuse != "":
		arn, reused = reuse, true
		v, err := b.look(kindTopic, arn, reg)
		if err != nil {
			return "", "", err
		}
		if v == nil {
			b.ap.Blocked = "topic " + arn + " disappeared since check read it; re-run plan"
			return "", "", nil
		}
	default:
		name, ours, err := freeName(b.o.NamePrefix+stem, b.topicTaken)
		if err != nil {
			return "", "", err
		}
		if name == "" {
			b.ap.Blocked = "SNS topic names " + b.o.NamePrefix + stem + " … -9 are all taken by topics trailwatch did not create; pass --topic-arn"
			return "", "", nil
		}
		arn, reused = b.topicARN(name), ours
		if !ours {
			if len(b.o.Notify) == 0 {
				b.ap.Blocked, b.ap.NeedsNotify = "a new SNS topic needs someone to notify: re-run with"+profileFlag(Finding{Profiles: b.ap.Profiles})+" --notify ENDPOINT (e.g. --notify you@example.com) or --topic-arn ARN", true
				return "", "", nil
			}
			in, err := b.newTopicInput(name)
			if err != nil || b.ap.Blocked != "" {
				return "", "", err
			}
			changeID = "topic"
			if err := b.add(Change{ID: changeID, Action: Create, Operation: "sns:CreateTopic", Target: arn, Fixes: f.Reason}, in); err != nil {
				return "", "", err
			}
		}
	}
	if reused {
		if subscribed, err = b.subscriptions(arn); err != nil {
			return "", "", err
		}
		if reuse != "" && !subscribeAlways && len(subscribed) > 0 {
			notify = nil // someone already receives it
		}
	}
	if err := b.subscribe(f.Reason, arn, changeID, notify, subscribed); err != nil {
		return "", "", err
	}
	if b.fam != nil && changeID != "" {
		b.fam.created(arn, changeID, b.ap.Changes)
	}
	return arn, changeID, nil
}

// subscribe plans the subscriptions of notify to the topic that are not
// among those subscribed already, after the topic's creation (topicID).
func (b *builder) subscribe(reason check.Reason, arn, topicID string, notify []Endpoint, subscribed []string) error {
	for i, n := range notify {
		if slices.Contains(subscribed, n.String()) {
			continue
		}
		if err := b.add(Change{ID: fmt.Sprintf("subscribe-%d", i+1), Action: Create, Operation: "sns:Subscribe",
			Target: arn + " ← " + n.String(), DependsOn: deps(topicID), Fixes: reason},
			sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(n.Protocol), Endpoint: aws.String(n.Endpoint), ReturnSubscriptionArn: true}); err != nil {
			return err
		}
	}
	return nil
}

// topicStem names a new topic: the control's stem, or the family's when
// several controls share it.
func (b *builder) topicStem() string {
	if b.fam != nil {
		return FamilyTopicStem
	}
	return b.o.Control.NameStem
}

// managed reports whether a resource's tags (each service has its own Tag
// type) carry managed-by=trailwatch: the mark of what the tool created.
func managed[T any](tags []T, kv func(T) (key, value *string)) bool {
	return slices.ContainsFunc(tags, func(t T) bool {
		k, v := kv(t)
		return aws.ToString(k) == ManagedByKey && aws.ToString(v) == ManagedByValue
	})
}

// topicTaken reports whether a topic name is in use and whether the tool
// created it (its managed-by tag), in which case it is reused.
func (b *builder) topicTaken(name string) (bool, bool, error) {
	arn := b.topicARN(name)
	v, err := b.look(kindTopic, arn, b.region)
	if v == nil || err != nil {
		return false, false, err
	}
	out, err := b.r.Topics(b.region).ListTagsForResource(b.ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return false, false, fmt.Errorf("read tags of SNS topic %s: %w", arn, awserr.Classify("sns:ListTagsForResource", err))
	}
	return true, managed(out.Tags, func(t snstypes.Tag) (*string, *string) { return t.Key, t.Value }), nil
}

// subscriptions lists a reused topic's confirmed endpoints as
// PROTOCOL:ENDPOINT, so they are not planned again. A pending one is planned
// again: Subscribe re-sends its confirmation message.
func (b *builder) subscriptions(arn string) ([]string, error) {
	if out, ok := b.seen["subscriptions "+arn]; ok {
		return out.([]string), nil
	}
	var out []string
	p := sns.NewListSubscriptionsByTopicPaginator(b.r.Topics(b.region), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.ctx)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions of %s: %w", arn, awserr.Classify("sns:ListSubscriptionsByTopic", err))
		}
		for _, s := range page.Subscriptions {
			if strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
				out = append(out, aws.ToString(s.Protocol)+":"+aws.ToString(s.Endpoint))
			}
		}
	}
	b.seen["subscriptions "+arn] = out
	return out, nil
}

func (b *builder) topicARN(name string) string {
	return "arn:" + b.partition + ":sns:" + b.region + ":" + b.ap.Account + ":" + name
}

// alarmTaken reports whether an alarm name is in use and whether it is ours.
func (b *builder) alarmTaken(name string) (bool, bool, error) {
	a, err := b.alarm(name)
	if a == nil || err != nil {
		return false, false, err
	}
	if a.AlarmArn == nil || a.MetricName == nil {
		return true, false, nil
	}
	out, err := b.r.Alarms(b.region).ListTagsForResource(b.ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
	if err != nil {
		return false, false, fmt.Errorf("read tags of alarm %s: %w", name, awserr.Classify("cloudwatch:ListTagsForResource", err))
	}
	return true, managed(out.Tags, func(t cwtypes.Tag) (*string, *string) { return t.Key, t.Value }), nil
}

func (b *builder) newAlarm(reason check.Reason, ns, metric, topicARN string, dependsOn []string) error {
	name, ours, err := freeName(b.o.NamePrefix+b.o.Control.NameStem, b.alarmTaken)
	if err != nil {
		return err
	}
	if name == "" {
		b.ap.Blocked = "alarm names " + b.o.NamePrefix + b.o.Control.NameStem + " … -9 are all taken by alarms trailwatch did not create; use --name-prefix"
		return nil
	}
	in := cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String(b.o.Control.AlarmDescription),
		ActionsEnabled:     aws.Bool(true),
		AlarmActions:       []string{topicARN},
		Namespace:          aws.String(ns),
		MetricName:         aws.String(metric),
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(300),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData:   aws.String("notBreaching"),
		Tags:               []cwtypes.Tag{{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)}},
	}
	c := Change{ID: "alarm", Action: Create, Operation: "cloudwatch:PutMetricAlarm", Target: name, DependsOn: dependsOn, Fixes: reason}
	if ours {
		// Our own alarm under this name: rewriting it is not clobbering, and
		// PutMetricAlarm ignores Tags on an update. Before is the alarm as
		// read, in the request's own terms.
		a, _ := b.alarm(name)
		c.Action, c.Before = Update, View(alarmInput(*a))
	}
	return b.add(c, in)
}

// addAction plans the one update to a user's alarm: every field carried
// forward as read, the topic appended to AlarmActions.
func (b *builder) addAction(reason check.Reason, a cwtypes.MetricAlarm, topicARN, topicID string) error {
	if slices.Contains(a.AlarmActions, topicARN) {
		return nil
	}
	in := alarmInput(a)
	in.AlarmActions = append(slices.Clone(a.AlarmActions), topicARN)
	return b.add(Change{ID: "alarm", Action: Update, Operation: "cloudwatch:PutMetricAlarm", Target: aws.ToString(a.AlarmName),
		Before:    map[string]any{"AlarmActions": View(alarmInput(a))["AlarmActions"]},
		DependsOn: deps(topicID), Fixes: reason}, in)
}

// alarmInput is the request that writes an alarm back exactly as read.
func alarmInput(a cwtypes.MetricAlarm) cloudwatch.PutMetricAlarmInput {
	return cloudwatch.PutMetricAlarmInput{
		AlarmName:                        a.AlarmName,
		AlarmDescription:                 a.AlarmDescription,
		ActionsEnabled:                   a.ActionsEnabled,
		AlarmActions:                     a.AlarmActions,
		OKActions:                        a.OKActions,
		InsufficientDataActions:          a.InsufficientDataActions,
		ActionConfiguration:              a.ActionConfiguration,
		Namespace:                        a.Namespace,
		MetricName:                       a.MetricName,
		Dimensions:                       a.Dimensions,
		Statistic:                        a.Statistic,
		ExtendedStatistic:                a.ExtendedStatistic,
		Unit:                             a.Unit,
		Period:                           a.Period,
		EvaluationPeriods:                a.EvaluationPeriods,
		DatapointsToAlarm:                a.DatapointsToAlarm,
		Threshold:                        a.Threshold,
		ComparisonOperator:               a.ComparisonOperator,
		TreatMissingData:                 a.TreatMissingData,
		EvaluateLowSampleCountPercentile: a.EvaluateLowSampleCountPercentile,
		EvaluationInterval:               a.EvaluationInterval,
	}
}

func partitionOf(arn string) string {
	if p := strings.Split(arn, ":"); len(p) > 2 && p[1] != "" {
		return p[1]
	}
	return "aws"
}

func arnRegion(arn string) string {
	if p := strings.Split(arn, ":"); len(p) > 3 {
		return p[3]
	}
	return ""
}
