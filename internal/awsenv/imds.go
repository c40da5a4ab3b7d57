package awsenv

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go/logging"
)

// The instance metadata endpoint answers an EC2 instance in milliseconds.
// Elsewhere (a laptop, CI) nothing answers, and the SDK's defaults (the
// run's retry policy, five seconds per call, a fallback to IMDSv1 that
// starts over) kept a credential lookup that could not succeed silent for
// about eight seconds. These bounds keep it to about two.
const (
	// imdsLookupTimeout bounds one metadata call, its retries included.
	imdsLookupTimeout = 2 * time.Second
	imdsAttempts      = 2
	imdsMaxBackoff    = 200 * time.Millisecond
)

// metadataClient is the instance metadata client of the EC2 role
// credential provider. It is built once the configuration is loaded, so
// that it honours the same settings as the SDK's own
// (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED, the
// profile's ec2_metadata_service_endpoint…), with fewer attempts, a short
// deadline and no logger: its "falling back to IMDSv1" warning is not for
// trailwatch's users.
type metadataClient struct {
	client *imds.Client
}

func (m *metadataClient) loadOption() func(*config.LoadOptions) error {
	return config.WithEC2RoleCredentialOptions(func(o *ec2rolecreds.Options) { o.Client = m })
}

// resolve builds the client from the loaded configuration.
func (m *metadataClient) resolve(cfg aws.Config) {
	m.client = imds.NewFromConfig(cfg, func(o *imds.Options) {
		o.Logger = logging.Nop{}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = imdsAttempts
			so.MaxBackoff = imdsMaxBackoff
		})
	})
}

func (m *metadataClient) GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, imdsLookupTimeout)
	defer cancel()
	return m.client.GetMetadata(ctx, in, optFns...)
}
