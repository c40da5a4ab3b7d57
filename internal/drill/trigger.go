package drill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// TagKey tags what a drill makes, so a person who finds one (the delete
// failed, the process was killed) knows whose it is.
const TagKey = "trailwatch:drill"

// fired is the trigger's call the filter must catch: its request ID finds
// its record, its time bounds the searches.
type fired struct {
	requestID string
	at        time.Time
}

// errCleanup marks a trigger whose resource was made but could not be
// deleted: the account's drill fails and says what is left.
var errCleanup = errors.New("clean-up failed")

// fire makes the trigger. Once its first call is sent, the pair is made
// whole even if ctx is cancelled meanwhile: an interrupt must never leave
// the drill's resource behind.
func (r *runner) fire(ctx context.Context, p Plan) (fired, error) {
	ctx = context.WithoutCancel(ctx)
	if p.Control.Drill.Kind == control.TriggerStartLogging {
		return r.startLogging(ctx, p)
	}
	return r.makeAndDelete(ctx, p)
}

// startLogging is the CloudTrail-changes trigger: StartLogging on the
// verdict's trail, already logging, in its home region.
func (r *runner) startLogging(ctx context.Context, p Plan) (fired, error) {
	tr := p.Path.Trail
	region := tr.HomeRegion
	start := r.now()
	out, err := p.clients.Trail(region).StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(tr.ARN)})
	f := fired{at: start}
	if err == nil {
		f.requestID = requestID(out.ResultMetadata)
	}
	r.record(p, region, "cloudtrail:StartLogging", tr.ARN, f.requestID, start, err)
	return f, err
}

// made is an empty resource a network trigger made: its ID, the request
// ID of the call that made it, and how to delete it.
type made struct {
	id, requestID string
	remove        func() error
}

// maker makes one kind of empty network resource, named name (where the
// kind has a name), in vpc (where it lives in one), tagged with tags.
type maker func(ctx context.Context, api EC2API, vpc, name string, tags func(ec2types.ResourceType) []ec2types.TagSpecification) (made, error)

// makers are the network triggers, one per kind; each deletes what it made
// with the call the control's Drill lists last.
var makers = map[control.TriggerKind]maker{
	control.TriggerSecurityGroup:   makeSecurityGroup,
	control.TriggerNetworkACL:      makeNetworkACL,
	control.TriggerRouteTable:      makeRouteTable,
	control.TriggerInternetGateway: makeInternetGateway,
}

// makeAndDelete is a network control's trigger: an empty resource made
// (in the default VPC, for all but an internet gateway) and deleted at
// once. A delete that fails is errCleanup, naming what is left.
func (r *runner) makeAndDelete(ctx context.Context, p Plan) (fired, error) {
	mk, ok := makers[p.Control.Drill.Kind]
	if !ok {
		return fired{}, fmt.Errorf("trigger kind %q is not known to this version of trailwatch", p.Control.Drill.Kind)
	}
	region := p.Region
	api := p.clients.EC2(region)
	vpc := ""
	if p.Control.Drill.Kind != control.TriggerInternetGateway {
		var err error
		if vpc, err = defaultVPC(ctx, api, p); err != nil {
			return fired{}, err
		}
	}
	start := r.now()
	tags := func(t ec2types.ResourceType) []ec2types.TagSpecification {
		return []ec2types.TagSpecification{{ResourceType: t, Tags: []ec2types.Tag{{Key: aws.String(TagKey), Value: aws.String(start.UTC().Format(time.RFC3339))}}}}
	}
	m, err := mk(ctx, api, vpc, fmt.Sprintf("trailwatch-drill-%d", start.UnixNano()), tags)
	target := vpc
	if m.id != "" {
		target = m.id
	}
	r.record(p, region, "ec2:"+p.Control.Drill.Event, target, m.requestID, start, err)
	if err != nil {
		return fired{}, err
	}
	deleteOp := p.Control.Drill.Calls[len(p.Control.Drill.Calls)-1]
	at := r.now()
	derr := m.remove()
	r.record(p, region, deleteOp, m.id, "", at, derr)
	if derr != nil {
		return fired{}, fmt.Errorf("%w: %s %s is left in %s (tagged %s): %s", errCleanup, deleteOp, m.id, region, TagKey, awserr.Describe(derr, p.Profile).Message)
	}
	return fired{requestID: m.requestID, at: start}, nil
}

// defaultVPC is the ID of the region's default VPC, where a network
// trigger makes its resource.
func defaultVPC(ctx context.Context, api EC2API, p Plan) (string, error) {
	out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("isDefault"), Values: []string{"true"}}}})
	if err != nil {
		return "", fmt.Errorf("find the default VPC: %s", awserr.Describe(err, p.Profile).Message)
	}
	if len(out.Vpcs) == 0 {
		return "", fmt.Errorf("region %s has no default VPC to make the drill's %s in", p.Region, p.Control.Drill.Kind)
	}
	return aws.ToString(out.Vpcs[0].VpcId), nil
}

func makeSecurityGroup(ctx context.Context, api EC2API, vpc, name string, tags func(ec2types.ResourceType) []ec2types.TagSpecification) (made, error) {
	out, err := api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), VpcId: aws.String(vpc),
		Description: aws.String("trailwatch drill: deleted at once"), TagSpecifications: tags(ec2types.ResourceTypeSecurityGroup)})
	if err != nil {
		return made{}, err
	}
	id := aws.ToString(out.GroupId)
	return made{id: id, requestID: requestID(out.ResultMetadata), remove: func() error {
		_, err := api.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	}}, nil
}

func makeNetworkACL(ctx context.Context, api EC2API, vpc, _ string, tags func(ec2types.ResourceType) []ec2types.TagSpecification) (made, error) {
	out, err := api.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(vpc), TagSpecifications: tags(ec2types.ResourceTypeNetworkAcl)})
	if err != nil {
		return made{}, err
	}
	id := aws.ToString(out.NetworkAcl.NetworkAclId)
	return made{id: id, requestID: requestID(out.ResultMetadata), remove: func() error {
		_, err := api.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
		return err
	}}, nil
}

func makeRouteTable(ctx context.Context, api EC2API, vpc, _ string, tags func(ec2types.ResourceType) []ec2types.TagSpecification) (made, error) {
	out, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: tags(ec2types.ResourceTypeRouteTable)})
	if err != nil {
		return made{}, err
	}
	id := aws.ToString(out.RouteTable.RouteTableId)
	return made{id: id, requestID: requestID(out.ResultMetadata), remove: func() error {
		_, err := api.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
		return err
	}}, nil
}

func makeInternetGateway(ctx context.Context, api EC2API, _, _ string, tags func(ec2types.ResourceType) []ec2types.TagSpecification) (made, error) {
	out, err := api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tags(ec2types.ResourceTypeInternetGateway)})
	if err != nil {
		return made{}, err
	}
	id := aws.ToString(out.InternetGateway.InternetGatewayId)
	return made{id: id, requestID: requestID(out.ResultMetadata), remove: func() error {
		_, err := api.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
		return err
	}}, nil
}

// requestID is the request ID AWS answered with, which CloudTrail records
// as the event's requestID.
func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

func (r *runner) record(p Plan, region, op, target, rid string, at time.Time, err error) {
	c := Call{Time: at.UTC(), Account: p.Account, Region: region, Operation: op, Target: target, RequestID: rid, Result: "ok"}
	if err != nil {
		c.Result, c.Error = "error", awserr.Describe(err, p.Profile).Message
	}
	r.mu.Lock()
	r.calls[p.key()] = append(r.calls[p.key()], c)
	r.mu.Unlock()
	if r.o.Record != nil {
		r.o.Record(c)
	}
}
