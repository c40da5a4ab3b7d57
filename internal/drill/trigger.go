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
	switch p.Control.Drill.Kind {
	case control.TriggerStartLogging:
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
	region := p.Region
	api := p.clients.EC2(region)
	vpc := ""
	if p.Control.Drill.Kind != control.TriggerInternetGateway {
		out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("isDefault"), Values: []string{"true"}}}})
		if err != nil {
			return fired{}, fmt.Errorf("find the default VPC: %s", awserr.Describe(err, p.Profile).Message)
		}
		if len(out.Vpcs) == 0 {
			return fired{}, fmt.Errorf("region %s has no default VPC to make the drill's %s in", region, p.Control.Drill.Kind)
		}
		vpc = aws.ToString(out.Vpcs[0].VpcId)
	}
	start := r.now()
	name := fmt.Sprintf("trailwatch-drill-%d", start.UnixNano())
	tags := func(t ec2types.ResourceType) []ec2types.TagSpecification {
		return []ec2types.TagSpecification{{ResourceType: t, Tags: []ec2types.Tag{{Key: aws.String(TagKey), Value: aws.String(start.UTC().Format(time.RFC3339))}}}}
	}
	var (
		id, rid  string
		err      error
		remove   func() error
		create   = "ec2:" + p.Control.Drill.Event
		deleteOp = p.Control.Drill.Calls[len(p.Control.Drill.Calls)-1]
	)
	switch p.Control.Drill.Kind {
	case control.TriggerSecurityGroup:
		var out *ec2.CreateSecurityGroupOutput
		out, err = api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), VpcId: aws.String(vpc),
			Description: aws.String("trailwatch drill: deleted at once"), TagSpecifications: tags(ec2types.ResourceTypeSecurityGroup)})
		if err == nil {
			id, rid = aws.ToString(out.GroupId), requestID(out.ResultMetadata)
			remove = func() error {
				_, err := api.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
				return err
			}
		}
	case control.TriggerNetworkACL:
		var out *ec2.CreateNetworkAclOutput
		out, err = api.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(vpc), TagSpecifications: tags(ec2types.ResourceTypeNetworkAcl)})
		if err == nil {
			id, rid = aws.ToString(out.NetworkAcl.NetworkAclId), requestID(out.ResultMetadata)
			remove = func() error {
				_, err := api.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(id)})
				return err
			}
		}
	case control.TriggerRouteTable:
		var out *ec2.CreateRouteTableOutput
		out, err = api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: tags(ec2types.ResourceTypeRouteTable)})
		if err == nil {
			id, rid = aws.ToString(out.RouteTable.RouteTableId), requestID(out.ResultMetadata)
			remove = func() error {
				_, err := api.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
				return err
			}
		}
	case control.TriggerInternetGateway:
		var out *ec2.CreateInternetGatewayOutput
		out, err = api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tags(ec2types.ResourceTypeInternetGateway)})
		if err == nil {
			id, rid = aws.ToString(out.InternetGateway.InternetGatewayId), requestID(out.ResultMetadata)
			remove = func() error {
				_, err := api.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
				return err
			}
		}
	default:
		return fired{}, fmt.Errorf("trigger kind %q is not known to this version of trailwatch", p.Control.Drill.Kind)
	}
	target := vpc
	if id != "" {
		target = id
	}
	r.record(p, region, create, target, rid, start, err)
	if err != nil {
		return fired{}, err
	}
	at := r.now()
	derr := remove()
	r.record(p, region, deleteOp, id, "", at, derr)
	if derr != nil {
		return fired{}, fmt.Errorf("%w: %s %s is left in %s (tagged %s): %s", errCleanup, deleteOp, id, region, TagKey, awserr.Describe(derr, p.Profile).Message)
	}
	return fired{requestID: rid, at: start}, nil
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
