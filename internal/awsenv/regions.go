package awsenv

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// regionShape is how every AWS region name is written: a lower-case area
// ("us", "eu", "eusc"), one or more lower-case words, and a number.
var regionShape = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// knownRegions are the regions of every partition the SDK's endpoint rules
// list (aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc), as of the SDK this
// module requires. A region launched later is accepted with an endpoint
// override, or once this list is updated.
var knownRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
	"eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
	"us-west-2",
	"cn-north-1", "cn-northwest-1",
	"eusc-de-east-1",
	"us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "eu-isoe-west-1", "us-isof-east-1", "us-isof-south-1",
	"us-gov-east-1", "us-gov-west-1",
}

// CheckRegionShape refuses a name no AWS region could have, before anything
// is loaded: "foo", "US-EAST-1", "us-east-1 ". The error does not repeat
// the name: the caller says where it came from.
func CheckRegionShape(name string) error {
	if regionShape.MatchString(name) {
		return nil
	}
	if l := strings.ToLower(name); l != name && regionShape.MatchString(l) {
		return fmt.Errorf("region names are lower case, e.g. %s", l)
	}
	return fmt.Errorf("not a region name (like %s)", DefaultRegion)
}

// CheckKnownRegion refuses a well-formed region AWS does not have
// ("us-east-9") unless cfg sends its requests to an endpoint of the user's
// choosing (a sandbox, a proxy, a partition this list lacks), where any
// name may be meaningful.
func CheckKnownRegion(ctx context.Context, cfg aws.Config, name string) error {
	if slices.Contains(knownRegions, name) || EndpointOverridden(ctx, cfg) {
		return nil
	}
	return fmt.Errorf("region %q is not an AWS region this trailwatch knows (set an endpoint with AWS_ENDPOINT_URL to use it anyway)", name)
}

// endpointServices are the SDK IDs of every client trailwatch builds, for
// AWS_ENDPOINT_URL_<SERVICE> and the profile's services section.
var endpointServices = []string{cloudtrail.ServiceID, cloudwatchlogs.ServiceID, cloudwatch.ServiceID, sns.ServiceID,
	kms.ServiceID, sts.ServiceID, iam.ServiceID, organizations.ServiceID}

// EndpointOverridden reports whether cfg sends any request somewhere other
// than AWS's own endpoints, the way the SDK decides it: a base endpoint
// (AWS_ENDPOINT_URL, endpoint_url in the profile, or Overrides) or a
// service's own (AWS_ENDPOINT_URL_<SERVICE>, the profile's services
// section). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS has already cleared the
// base endpoint; it silences the service ones too.
func EndpointOverridden(ctx context.Context, cfg aws.Config) bool {
	if aws.ToString(cfg.BaseEndpoint) != "" {
		return true
	}
	type ignorer interface {
		GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error)
	}
	type serviceEndpoint interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if i, ok := src.(ignorer); ok {
			if v, found, err := i.GetIgnoreConfiguredEndpoints(ctx); err == nil && found && v {
				return false
			}
		}
	}
	for _, src := range cfg.ConfigSources {
		s, ok := src.(serviceEndpoint)
		if !ok {
			continue
		}
		for _, id := range endpointServices {
			if v, found, err := s.GetServiceBaseEndpoint(ctx, id); err == nil && found && v != "" {
				return true
			}
		}
	}
	return false
}
