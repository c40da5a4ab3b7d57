// Package drill proves a monitoring chain by firing it: one harmless change
// the control's filter must catch (the control's Trigger), then the change
// followed down the path check's verdict rests on, stage by stage, with
// read-only calls: the record in the log group, the filter's datapoint,
// the alarm's StateUpdate to ALARM, CloudWatch's Action item for the SNS
// topic, and the topic's confirmed subscribers. It never imports the
// command-line, prompt or colour libraries.
package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// Plan is what a drill will do in one account for one control, decided
// from check's result before anything is changed: the calls, and who will
// be notified; or why the account is not drilled.
type Plan struct {
	Account string
	Profile string
	// Region is where check discovered the trails; EC2 triggers are made
	// there.
	Region  string
	Control control.Control
	Check   check.Verdict
	// CheckMessage is check's message, the reason an account not drilled
	// gives.
	CheckMessage string
	Path         check.Path
	// NotDrilled, when set, is why nothing is done here; Why is which.
	NotDrilled Skip
	Why        string
	// Calls are the writes the trigger makes, "service:Action target".
	Calls []string
	// Topic is the SNS topic the alarm notifies, Subscribers its confirmed
	// subscriptions (read when planning).
	Topic       string
	Subscribers []Subscriber
	// Pending counts subscriptions still waiting for confirmation.
	Pending int
	// Manual is check's note for a MANUAL verdict the drill may settle.
	Manual string

	clients Clients
}

// Skip says why an account is not drilled.
type Skip string

const (
	// SkipCheckFails: check fails the chain before any alarm is reached:
	// there is nothing to fire.
	SkipCheckFails Skip = "check_fails"
	// SkipNotDrillable: the control has no harmless change.
	SkipNotDrillable Skip = "not_drillable"
	// SkipCannot: the account could not be evaluated, or the trigger
	// cannot be made from it.
	SkipCannot Skip = "cannot_drill"
)

// Subscriber is one confirmed subscription of the topic.
type Subscriber struct {
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
}

// Prepare decides the drill of one check result: the path to follow and
// the calls to make, or why there are none. It reads the topic's
// subscriptions (sns:ListSubscriptionsByTopic) and changes nothing.
func Prepare(ctx context.Context, res check.Result, ctrl control.Control, clients Clients) Plan {
	p := Plan{Account: res.Account, Profile: res.Profile, Region: res.Region, Control: ctrl, Check: res.Verdict(),
		CheckMessage: res.Message, Path: res.Path(), clients: clients}
	skip := func(s Skip, why string) Plan {
		p.NotDrilled, p.Why = s, why
		return p
	}
	if !ctrl.Drillable() {
		why := "no trigger is defined for this control"
		if ctrl.Drill != nil {
			why = ctrl.Drill.NotDrillable
		}
		return skip(SkipNotDrillable, why)
	}
	switch res.Status {
	case check.Error:
		return skip(SkipCannot, "check could not evaluate the account: "+res.Message)
	case check.Manual:
		p.Manual = res.Message
	}
	tr := p.Path.Trail
	if tr == nil || tr.LogGroupName == "" || p.Path.Alarm == nil {
		if res.Status == check.Fail {
			return skip(SkipCheckFails, "check: "+res.Verdict().String()+": "+res.Message)
		}
		// Not a FAIL, yet no alarm to follow from here: the chain lives
		// in another account (an organization trail's).
		return skip(SkipCannot, "check: "+res.Verdict().String()+": "+res.Message)
	}
	if tr.LogGroupAccount != "" && tr.LogGroupAccount != res.Account {
		return skip(SkipCannot, fmt.Sprintf("the log group is account %s's: its records, metrics and alarms are read from there", tr.LogGroupAccount))
	}
	d := ctrl.Drill
	switch d.Kind {
	case control.TriggerStartLogging:
		if tr.Account != res.Account {
			return skip(SkipCannot, fmt.Sprintf("the trail %s is account %s's: StartLogging is made from its owner account", tr.ARN, tr.Account))
		}
		if tr.Logging == nil || !*tr.Logging {
			return skip(SkipCheckFails, "the trail is not logging: StartLogging would start it, which is a change")
		}
		p.Calls = []string{"cloudtrail:StartLogging " + tr.ARN + " (" + tr.HomeRegion + ")"}
	default:
		for _, c := range d.Calls {
			p.Calls = append(p.Calls, c+" ("+p.Region+")")
		}
	}
	if t := p.Path.Topic; t != nil {
		p.Topic = t.ARN
		if t.Account == res.Account && !t.Missing {
			if err := p.listSubscribers(ctx); err != nil {
				return skip(SkipCannot, "list the topic's subscribers: "+awserr.Describe(err, res.Profile).Message)
			}
		}
	}
	return p
}

func (p *Plan) listSubscribers(ctx context.Context) error {
	region := arnRegion(p.Topic, p.Region)
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(p.Topic)}
	for {
		out, err := p.clients.Topics(region).ListSubscriptionsByTopic(ctx, in)
		if err != nil {
			return err
		}
		for _, s := range out.Subscriptions {
			arn := aws.ToString(s.SubscriptionArn)
			if arn == "PendingConfirmation" || !strings.HasPrefix(arn, "arn:") {
				p.Pending++
				continue
			}
			p.Subscribers = append(p.Subscribers, Subscriber{Protocol: aws.ToString(s.Protocol), Endpoint: aws.ToString(s.Endpoint)})
		}
		if out.NextToken == nil {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// arnRegion is the region field of an ARN, or def.
func arnRegion(arn, def string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return def
}

// Drills reports whether the plan makes a change.
func (p Plan) Drills() bool { return p.NotDrilled == "" }

// Stage names, in the order the change travels.
type StageName string

const (
	StageLogGroup    StageName = "log_group"
	StageFilter      StageName = "filter"
	StageAlarm       StageName = "alarm"
	StageAction      StageName = "action"
	StageSubscribers StageName = "subscribers"
)

// Stages lists the stages in order.
var Stages = []StageName{StageLogGroup, StageFilter, StageAlarm, StageAction, StageSubscribers}

// StageStatus is how far one stage got.
type StageStatus string

const (
	StageOK StageStatus = "ok"
	// StageBroken: AWS says the change stopped here (its words in
	// AWSMessage).
	StageBroken StageStatus = "broken"
	// StageTimedOut: the deadline passed with the change not seen here.
	StageTimedOut StageStatus = "timed_out"
	// StageInterrupted: the run was interrupted while waiting here.
	StageInterrupted StageStatus = "interrupted"
	// StageError: reading this stage failed.
	StageError StageStatus = "error"
)

// Stage is one stage of the path, as the drill saw it.
type Stage struct {
	Name   StageName   `json:"name"`
	Status StageStatus `json:"status"`
	// At is when AWS says the change reached this stage (the record's
	// ingestion time, the alarm history item's timestamp), or when the
	// drill saw it (the filter's datapoint).
	At *time.Time `json:"at,omitempty"`
	// Detail says what was seen, or what was not.
	Detail string `json:"detail"`
	// AWSMessage is AWS's own words where the change stopped.
	AWSMessage string `json:"aws_message,omitempty"`
}

// Outcome is a drill's end in one account for one control.
type Outcome string

const (
	// Delivered: every stage was seen, ending at a confirmed subscriber.
	Delivered Outcome = "delivered"
	// NotDelivered: a stage broke or was not reached by the deadline.
	NotDelivered Outcome = "not_delivered"
	// NotDrilled: nothing was done (see Plan.NotDrilled).
	NotDrilled Outcome = "not_drilled"
	// Failed: the trigger or a read failed: the drill itself could not run.
	Failed Outcome = "failed"
	// Interrupted: the run was interrupted before the end.
	Interrupted Outcome = "interrupted"
)

// Call is one write a drill made, as the journal records it.
type Call struct {
	Time      time.Time `json:"time"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Operation string    `json:"operation"`
	Target    string    `json:"target"`
	RequestID string    `json:"request_id,omitempty"`
	// Result is "ok" or "error".
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}
