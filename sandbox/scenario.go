package sandbox

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/control"
)

// Default credentials: the default account answers to DefaultAccessKey with
// any secret key. Other scenario accounts follow the same rule:
// "AKIASANDBOX" + the account ID's last nine digits.
const (
	DefaultAccount   = "111111111111"
	DefaultAccessKey = "AKIASANDBOX111111111"
	DefaultRegion    = "us-east-1"

	// MemberAccount is the member account of the "organization" scenario.
	MemberAccount = "222222222222"
	// OrgAccessRole is the role every scenario account other than the
	// default one has, assumable from the default account.
	OrgAccessRole = "OrganizationAccountAccessRole"
)

// AccessKeyFor is the long-term access key of a scenario account.
func AccessKeyFor(account string) string { return "AKIASANDBOX" + account[len(account)-9:] }

// ScenarioParams tune scenarios that take parameters.
type ScenarioParams struct {
	// Accounts sizes the fleet and org scenarios (0: DefaultFleetAccounts
	// and OrgDefaultMembers); see AccountsRange.
	Accounts int
	// Control is the control whose chains the scenario lays (the zero value
	// is control.Default()): its pattern, metric and trail needs.
	Control control.Control
	// Family are further controls each compliant chain carries, a filter
	// and an alarm each on the chain's log group and topic; the scenario's
	// change breaks Control's chain only.
	Family []control.Control
}

// The default control's pattern and metric, as tests of the sandbox's own
// handlers use them.
var (
	cisPattern   = control.Default().Pattern
	cisNamespace = control.Default().Namespace
	cisMetric    = control.Default().MetricName
)

// DemoFilterPattern is the metric filter of the "demo" scenario. It names
// every event of the default control, so it reads as the recommended pattern,
// but && binds tighter than ||: the IAM-user restriction meant for the whole
// pattern applies to the last event alone, so a role session, root or an AWS
// service makes that call unseen.
var DemoFilterPattern = eventNames(control.Default().Events, " && ($.userIdentity.type = IAMUser)")

// eventNames is `{ ($.eventName = A) || ($.eventName = B) }` for events, with
// tail written after the last clause.
func eventNames(events []string, tail string) string {
	clauses := make([]string, len(events))
	for i, e := range events {
		clauses[i] = "($.eventName = " + e + ")"
	}
	return "{ " + strings.Join(clauses, " || ") + tail + " }"
}

// missingOne is a pattern for ctrl that misses its last event: the clauses of
// the others, or an event that never happens for a one-event control.
func missingOne(ctrl control.Control) string {
	if len(ctrl.Events) < 2 {
		return eventNames([]string{"NoSuchEvent"}, "")
	}
	return eventNames(ctrl.Events[:len(ctrl.Events)-1], "")
}

// chainName is the name a scenario account gave the filter and alarm of
// ctrl's chain: for the default control the one every scenario used before
// controls were data (outputs show it), else the control's ID.
func chainName(ctrl control.Control) string {
	if ctrl.ID == control.Default().ID {
		return "cloudtrail-config-changes"
	}
	return ctrl.ID
}

// chain is the resources of a compliant chain, so that each failing
// scenario reads as "the compliant account, with this one link broken".
type chain struct {
	ctrl   control.Control
	trail  *trail
	group  *logGroup
	filter *metricFilter
	alarm  *metricAlarm
	topic  string
	sub    *snsSubscription
}

// compliantChain builds trail → log group → filter → alarm → topic →
// confirmed email subscription in region, for the scenario's control: its
// recommended pattern and metric.
func compliantChain(ab *accountBuilder, region string) *chain {
	ctrl := ab.b.ctrl
	c := &chain{ctrl: ctrl}
	c.trail = ab.trail(region, "management-events")
	c.group = ab.logGroup(region, "aws-cloudtrail-logs-"+ab.a.ID)
	ab.deliverTo(c.trail, region, c.group)
	c.filter = ab.metricFilter(c.group, chainName(ctrl), ctrl.Pattern, ctrl.Namespace, ctrl.MetricName)
	c.topic = ab.topic(region, "security-alerts")
	c.sub = ab.subscription(c.topic, "email", "security@example.com", true)
	c.alarm = ab.alarm(region, chainName(ctrl), ctrl.Namespace, ctrl.MetricName, c.topic)
	for _, other := range ab.b.family {
		if other.ID != ctrl.ID {
			ab.metricFilter(c.group, chainName(other), other.Pattern, other.Namespace, other.MetricName)
			ab.alarm(region, chainName(other), other.Namespace, other.MetricName, c.topic)
		}
	}
	return c
}

// breaks maps each FAIL reason (docs/design.md) to the change that makes a
// compliant chain fail with exactly that reason.
var breaks = map[string]func(ab *accountBuilder, c *chain){
	"NO_MULTI_REGION_TRAIL": func(_ *accountBuilder, c *chain) { c.trail.IsMultiRegion = false },
	"TRAIL_NOT_LOGGING": func(ab *accountBuilder, c *chain) {
		c.trail.stop(ab.b.now.Add(-time.Hour))
	},
	"MANAGEMENT_EVENTS_NOT_CAPTURED": func(_ *accountBuilder, c *chain) {
		c.trail.EventSelectors = []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: false,
			DataResources: []dataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3"}}}}}
		c.trail.HasCustomEventSelectors = true
	},
	"NO_CLOUDWATCH_LOGS": func(_ *accountBuilder, c *chain) {
		c.trail.LogGroupArn, c.trail.RoleArn, c.trail.LatestCloudWatchLogsDeliveryTime = "", "", nil
	},
	"LOGS_DELIVERY_FAILING": func(_ *accountBuilder, c *chain) {
		c.trail.LatestCloudWatchLogsDeliveryError = "AccessDeniedException: User is not authorized to perform logs:PutLogEvents"
	},
	// The filter misses the control's last event.
	"NO_MATCHING_FILTER": func(_ *accountBuilder, c *chain) { c.filter.Pattern = missingOne(c.ctrl) },
	"NO_ALARM": func(ab *accountBuilder, c *chain) {
		delete(ab.a.region(c.trail.HomeRegion).Alarms, c.alarm.Name)
	},
	// Ten changes in five minutes are needed before it fires.
	"ALARM_CANNOT_FIRE": func(_ *accountBuilder, c *chain) {
		threshold := 10.0
		c.alarm.Threshold, c.alarm.ComparisonOperator = &threshold, "GreaterThanThreshold"
	},
	"NO_ALARM_TOPIC": func(_ *accountBuilder, c *chain) { c.alarm.AlarmActions = nil },
	"NO_CONFIRMED_SUBSCRIBER": func(ab *accountBuilder, c *chain) {
		n := ab.b.st.nextID()
		c.sub.Pending, c.sub.Token = true, fmt.Sprintf("%064x", n)
	},
}

// FailReasons lists the FAIL reasons that have a scenario, in chain order.
var FailReasons = []string{
	"NO_MULTI_REGION_TRAIL", "TRAIL_NOT_LOGGING", "MANAGEMENT_EVENTS_NOT_CAPTURED",
	"NO_CLOUDWATCH_LOGS", "LOGS_DELIVERY_FAILING", "NO_MATCHING_FILTER", "NO_ALARM",
	"ALARM_CANNOT_FIRE", "NO_ALARM_TOPIC", "NO_CONFIRMED_SUBSCRIBER",
}

// scenarioName is the scenario for a FAIL reason: "NO_ALARM" → "no-alarm".
func scenarioName(reason string) string { return strings.ToLower(strings.ReplaceAll(reason, "_", "-")) }

// scenarios maps names to builders; "" is the empty default world.
var scenarios = map[string]func(b *builder, p ScenarioParams) error{
	"": func(b *builder, _ ScenarioParams) error {
		b.account(DefaultAccount, DefaultAccessKey)
		return nil
	},
	"compliant": func(b *builder, _ ScenarioParams) error {
		compliantChain(b.account(DefaultAccount, DefaultAccessKey), DefaultRegion)
		return nil
	},
	// The management account owns a compliant organization trail; the
	// member sees it (and must report MANUAL) but owns no chain itself.
	"organization": func(b *builder, _ ScenarioParams) error {
		orgTrailChain(b.account(DefaultAccount, DefaultAccessKey))
		member := b.account(MemberAccount, AccessKeyFor(MemberAccount))
		member.role(OrgAccessRole, DefaultAccount)
		b.st.Organization = &organization{ID: OrgID, ManagementAccount: DefaultAccount, Members: []string{DefaultAccount, MemberAccount}}
		return nil
	},
	// The account trailwatch demo walks through: a logging multi-region trail
	// delivering to CloudWatch Logs, a filter that looks right and is not
	// (DemoFilterPattern, with the metric names of AWS's own CloudTrail
	// guide, its name the control's stem), and no alarm, topic or subscriber
	// yet.
	"demo": func(b *builder, _ ScenarioParams) error {
		ab := b.account(DefaultAccount, DefaultAccessKey)
		t := ab.trail(DefaultRegion, "management-events")
		g := ab.logGroup(DefaultRegion, "aws-cloudtrail-logs-"+DefaultAccount)
		ab.deliverTo(t, DefaultRegion, g)
		ab.metricFilter(g, control.Default().NameStem, DemoFilterPattern, "CloudTrailMetrics", "CloudTrailEventCount")
		return nil
	},
	// A fleet of N accounts cycling through compliant and every FAIL reason:
	// account i (1-based) is 100000000000 + i, with the key AccessKeyFor.
	"fleet": func(b *builder, p ScenarioParams) error {
		n := p.Accounts
		if n == 0 {
			n = DefaultFleetAccounts
		}
		kinds := append([]string{"compliant"}, FailReasons...)
		for i := 1; i <= n; i++ {
			id := fmt.Sprintf("%012d", 100000000000+i)
			ab := b.account(id, AccessKeyFor(id))
			ab.role(OrgAccessRole, DefaultAccount)
			k := kinds[(i-1)%len(kinds)]
			if k == "compliant" {
				// A compliant account carries the whole family on its topic.
				layFamily(b, func() { compliantChain(ab, DefaultRegion) })
				continue
			}
			breaks[k](ab, compliantChain(ab, DefaultRegion))
		}
		return nil
	},
}

func init() {
	for _, reason := range FailReasons {
		scenarios[scenarioName(reason)] = changedChain(breaks[reason])
		scenarios["family-"+scenarioName(reason)] = familyChain(breaks[reason])
	}
	scenarios["family"] = familyChain(func(*accountBuilder, *chain) {})
	scenarios["family-missing-alarm"] = func(b *builder, _ ScenarioParams) error {
		ab := b.account(DefaultAccount, DefaultAccessKey)
		layFamily(b, func() { compliantChain(ab, DefaultRegion) })
		delete(ab.a.region(DefaultRegion).Alarms, chainName(FamilyMissingAlarm()))
		return nil
	}
	// A logging multi-region trail delivering to its log group, and nothing
	// else: every control of the family fails for want of a filter.
	scenarios["family-bare"] = func(b *builder, _ ScenarioParams) error {
		ab := b.account(DefaultAccount, DefaultAccessKey)
		t := ab.trail(DefaultRegion, "management-events")
		ab.deliverTo(t, DefaultRegion, ab.logGroup(DefaultRegion, "aws-cloudtrail-logs-"+ab.a.ID))
		return nil
	}
}

// FamilyMissingAlarm is the control whose alarm the family-missing-alarm
// scenario lacks: root usage (CIS 4.3, CloudWatch.1).
func FamilyMissingAlarm() control.Control {
	c, _ := control.Lookup("root-usage")
	return c
}

// layFamily runs lay with every registered control on each compliant chain,
// unless the scenario's caller chose the family.
func layFamily(b *builder, lay func()) {
	if len(b.family) > 0 {
		lay()
		return
	}
	b.family = control.All()
	defer func() { b.family = nil }()
	lay()
}

// familyChain is the scenario of the default account's compliant chain
// carrying every control, with one change to the scenario's control's chain.
func familyChain(change func(ab *accountBuilder, c *chain)) func(b *builder, _ ScenarioParams) error {
	return func(b *builder, _ ScenarioParams) error {
		ab := b.account(DefaultAccount, DefaultAccessKey)
		layFamily(b, func() { change(ab, compliantChain(ab, DefaultRegion)) })
		return nil
	}
}

// changedChain is the scenario of the default account's compliant chain
// with one change.
func changedChain(change func(ab *accountBuilder, c *chain)) func(b *builder, _ ScenarioParams) error {
	return func(b *builder, _ ScenarioParams) error {
		ab := b.account(DefaultAccount, DefaultAccessKey)
		change(ab, compliantChain(ab, DefaultRegion))
		return nil
	}
}

// ScenarioNames lists the named scenarios.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadScenario replaces the state with a fresh build of the named scenario
// ("" for the default account only; FAIL reasons such as NO_ALARM are
// accepted as well as their scenario names) and clears counts, log and faults.
// A size is refused for a scenario it cannot size, not ignored.
func (s *Server) LoadScenario(name string, p ScenarioParams) error {
	key := name
	if _, ok := scenarios[key]; !ok {
		key = scenarioName(name)
	}
	build, ok := scenarios[key]
	if !ok {
		return fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(ScenarioNames(), ", "))
	}
	if p.Accounts != 0 {
		fewest, most := AccountsRange(key)
		switch {
		case !TakesAccounts(key):
			return fmt.Errorf("scenario %s: accounts=%d: it has a fixed set of accounts", cmp.Or(name, "(default)"), p.Accounts)
		case p.Accounts < fewest || p.Accounts > most:
			return fmt.Errorf("scenario %s: accounts=%d: want %d to %d", name, p.Accounts, fewest, most)
		}
	}
	b := &builder{st: newState(), now: s.now().UTC(), ctrl: p.Control, family: p.Family}
	if b.ctrl.ID == "" {
		b.ctrl = control.Default()
	}
	if err := build(b, p); err != nil {
		return fmt.Errorf("scenario %s: %w", name, err)
	}
	s.replace(b.st)
	return nil
}
