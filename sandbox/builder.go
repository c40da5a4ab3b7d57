package sandbox

import (
	"fmt"
	"time"

	"github.com/trailwatch/trailwatch/control"
)

// builder assembles scenario state so that scenarios read as a description
// of the world they set up.
type builder struct {
	st     *state
	now    time.Time
	ctrl   control.Control   // whose chains compliantChain lays
	family []control.Control // further controls on each compliant chain
}

// account adds an account reachable with accessKey.
func (b *builder) account(id, accessKey string) *accountBuilder {
	b.st.addAccount(id, accessKey)
	return &accountBuilder{b: b, a: b.st.account(id)}
}

// accountBuilder adds resources to one account.
type accountBuilder struct {
	b *builder
	a *account
}

// role adds an IAM role that principals of trustedAccount may assume.
func (ab *accountBuilder) role(name, trustedAccount string) *iamRole {
	r := &iamRole{
		Name: name, ID: fmt.Sprintf("AROASANDBOX%09d", ab.b.st.nextID()), Path: "/",
		AssumeRolePolicyDocument: fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, trustedAccount),
		MaxSessionDuration:       3600, Created: ab.b.now, Policies: map[string]string{},
	}
	ab.a.Roles[name] = r
	return r
}

// topic adds an SNS topic and returns its ARN.
func (ab *accountBuilder) topic(region, name string) string {
	arn := "arn:aws:sns:" + region + ":" + ab.a.ID + ":" + name
	ab.a.region(region).Topics[arn] = &snsTopic{ARN: arn, Attributes: map[string]string{}}
	return arn
}

// subscription subscribes an endpoint to a topic, confirmed or pending.
func (ab *accountBuilder) subscription(topicARN, protocol, endpoint string, confirmed bool) *snsSubscription {
	n := ab.b.st.nextID()
	s := &snsSubscription{
		ARN:      fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", topicARN, n, n),
		TopicARN: topicARN, Protocol: protocol, Endpoint: endpoint, Owner: ab.a.ID, Pending: !confirmed,
	}
	if s.Pending {
		s.Token = fmt.Sprintf("%064x", n)
	}
	ab.a.region(arnField(topicARN, 3)).Subscriptions[s.ARN] = s
	return s
}

// logGroup adds a CloudWatch Logs log group.
func (ab *accountBuilder) logGroup(region, name string) *logGroup {
	g := &logGroup{Name: name, Created: ab.b.now, Filters: map[string]*metricFilter{}}
	ab.a.region(region).LogGroups[name] = g
	return g
}

// metricFilter adds a metric filter emitting value 1 to namespace/metric.
func (ab *accountBuilder) metricFilter(g *logGroup, name, pattern, namespace, metric string) *metricFilter {
	f := &metricFilter{Name: name, Pattern: pattern, Created: ab.b.now, Transformation: metricTransformation{
		MetricName: metric, MetricNamespace: namespace, MetricValue: "1",
	}}
	g.Filters[name] = f
	return f
}

// trail adds a logging, multi-region trail capturing all management
// events, homed in region; scenarios then break what they need to.
func (ab *accountBuilder) trail(region, name string) *trail {
	started := ab.b.now.Add(-24 * time.Hour)
	t := &trail{
		Name: name, Account: ab.a.ID, HomeRegion: region, S3BucketName: "aws-cloudtrail-logs-" + ab.a.ID,
		IncludeGlobalServiceEvents: true, IsMultiRegion: true, LogFileValidation: true,
		EventSelectors: []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}},
		IsLogging:      true, StartLoggingTime: &started,
	}
	ab.a.region(region).Trails[name] = t
	return t
}

// deliverTo wires the trail to a log group in the same account, with a role.
func (ab *accountBuilder) deliverTo(t *trail, region string, g *logGroup) {
	t.LogGroupArn = logGroupArn(ab.a.ID, region, g.Name) + ":*"
	t.RoleArn = roleARNOf(ab.a.ID, ab.role("CloudTrail_CloudWatchLogs_Role", ab.a.ID))
	delivered := ab.b.now.Add(-5 * time.Minute)
	t.LatestCloudWatchLogsDeliveryTime = &delivered
}

// alarm adds a metric alarm that fires on one event (Sum ≥ 1 over 5 minutes)
// and notifies the given actions.
func (ab *accountBuilder) alarm(region, name, namespace, metric string, actions ...string) *metricAlarm {
	threshold := 1.0
	a := &metricAlarm{
		Name: name, ActionsEnabled: true, AlarmActions: actions,
		MetricName: metric, Namespace: namespace, Statistic: "Sum", Period: 300,
		EvaluationPeriods: 1, Threshold: &threshold, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching", StateValue: "OK", StateReason: "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].",
		StateUpdated: ab.b.now, ConfigUpdated: ab.b.now,
	}
	ab.a.region(region).Alarms[name] = a
	return a
}
