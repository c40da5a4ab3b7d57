// Package awsenv loads AWS SDK configuration the way the AWS CLI does
// (environment, shared config and credentials files, SSO, AWS_ENDPOINT_URL)
// for each selected profile, and hands out per-region clients. check, plan
// and fix share it; tests and the demo point it at a sandbox with Overrides.
package awsenv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"

	"github.com/trailwatch/trailwatch/internal/awsapi"
)

// DefaultRegion is used when neither --region nor the profile names one.
const DefaultRegion = "us-east-1"

// Overrides are applied on top of the standard chain, so tests and the demo
// can reach an in-process sandbox without touching the process environment.
type Overrides struct {
	EndpointURL string
	Credentials aws.CredentialsProvider
	HTTPClient  config.HTTPClient
	// Region replaces the profile's region; --region still wins.
	Region string
	// Retry replaces DefaultRetryPolicy; the zero value keeps it.
	Retry RetryPolicy
	// Isolated builds the configuration from the overrides alone. The demo
	// promises never to reach AWS, and the standard chain would let the
	// user's AWS_PROFILE, AWS_ENDPOINT_URL_<SERVICE>, FIPS or CA-bundle
	// settings, shared files, SSO or IMDS redirect or break it.
	Isolated bool
}

// Load resolves one profile ("" is the default chain). region, when set,
// wins over o.Region, which wins over the profile's; else DefaultRegion.
// Throttling and server errors are retried by the fleet policy (retry.go).
// A run over many profiles uses one Loader instead.
func Load(ctx context.Context, profile, region string, o Overrides) (aws.Config, error) {
	l, err := NewLoader(o, os.Getenv)
	if err != nil {
		return aws.Config{}, err
	}
	return l.Load(ctx, profile, region)
}

// load is the standard chain for one profile, with extra options (the
// Loader's shared files and client) before the overrides.
func load(ctx context.Context, profile, region string, o Overrides, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	if region == "" {
		region = o.Region
	}
	opts := append([]func(*config.LoadOptions) error{config.WithDefaultRegion(DefaultRegion)}, extra...)
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if o.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	// The SDK's default logger writes to stderr ("SDK … WARN …"): what
	// matters to the user reaches them as an error instead.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	ep, md := &credentialEndpoint{}, &metadataClient{}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, append(ep.loadOptions(), md.loadOption())...)...)
	ep.base = cfg.BaseEndpoint
	md.resolve(cfg)
	if err != nil {
		name := profile
		if name == "" {
			name = "default chain"
		}
		return aws.Config{}, fmt.Errorf("load AWS configuration (%s): %w", name, err)
	}
	o.Retry.apply(&cfg)
	return cfg, nil
}

// isolated is Load without the standard chain. It never falls back to
// anything the environment provides: an isolated configuration without an
// endpoint or credentials would reach AWS, so it is refused.
func isolated(profile, region string, o Overrides) (aws.Config, error) {
	switch {
	case profile != "":
		return aws.Config{}, fmt.Errorf("load AWS configuration (%s): profiles are not read in an isolated configuration", profile)
	case o.EndpointURL == "" || o.Credentials == nil:
		return aws.Config{}, errors.New("load AWS configuration: an isolated configuration needs an endpoint and credentials")
	}
	cfg := aws.Config{
		Region:       cmp.Or(region, o.Region, DefaultRegion),
		BaseEndpoint: aws.String(o.EndpointURL),
		Credentials:  o.Credentials,
		HTTPClient:   o.HTTPClient,
	}
	if cfg.HTTPClient == nil {
		// HTTPS_PROXY and friends are part of the environment too.
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.Proxy = nil })
	}
	o.Retry.apply(&cfg)
	return cfg, nil
}

// Clients builds SDK clients from one configuration, one per service and
// region, created on first use and reused. The clients of one region share
// one retryer, so its retry budget is the account's in that region.
type Clients struct {
	cfg      aws.Config
	mu       sync.Mutex
	by       map[string]any
	retryers map[string]aws.Retryer
}

var _ awsapi.Clients = (*Clients)(nil)

// NewClients returns the per-region client factory for cfg.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{cfg: cfg, by: map[string]any{}, retryers: map[string]aws.Retryer{}}
}

// ConfigFor is the configuration of region's clients ("" is the
// configuration's own region), with that region's shared retryer.
func (c *Clients) ConfigFor(region string) aws.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configFor(region)
}

func (c *Clients) configFor(region string) aws.Config {
	cfg := c.cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	if cfg.Retryer != nil {
		r, ok := c.retryers[cfg.Region]
		if !ok {
			r = cfg.Retryer()
			c.retryers[cfg.Region] = r
		}
		cfg.Retryer = func() aws.Retryer { return r }
	}
	return cfg
}

func cached[T any](c *Clients, service, region string, build func(aws.Config) T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := service + "/" + region
	if v, ok := c.by[key]; ok {
		return v.(T)
	}
	v := build(c.configFor(region))
	c.by[key] = v
	return v
}

// The SDK clients themselves, one per service and region: check reads
// through the narrow interfaces below, plan and fix through wider ones of
// their own, and all of them share these clients and their retry budgets.

func (c *Clients) CloudTrailClient(region string) *cloudtrail.Client {
	return cached(c, "cloudtrail", region, func(cfg aws.Config) *cloudtrail.Client { return cloudtrail.NewFromConfig(cfg) })
}

func (c *Clients) LogsClient(region string) *cloudwatchlogs.Client {
	return cached(c, "logs", region, func(cfg aws.Config) *cloudwatchlogs.Client { return cloudwatchlogs.NewFromConfig(cfg) })
}

func (c *Clients) CloudWatchClient(region string) *cloudwatch.Client {
	return cached(c, "monitoring", region, func(cfg aws.Config) *cloudwatch.Client { return cloudwatch.NewFromConfig(cfg) })
}

func (c *Clients) SNSClient(region string) *sns.Client {
	return cached(c, "sns", region, func(cfg aws.Config) *sns.Client { return sns.NewFromConfig(cfg) })
}

func (c *Clients) KMSClient(region string) *kms.Client {
	return cached(c, "kms", region, func(cfg aws.Config) *kms.Client { return kms.NewFromConfig(cfg) })
}

// IAMClient is IAM's one client: the service is global.
func (c *Clients) IAMClient() *iam.Client {
	return cached(c, "iam", "", func(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) })
}

func (c *Clients) CloudTrail(region string) awsapi.CloudTrailAPI { return c.CloudTrailClient(region) }
func (c *Clients) Logs(region string) awsapi.LogsAPI             { return c.LogsClient(region) }
func (c *Clients) CloudWatch(region string) awsapi.CloudWatchAPI { return c.CloudWatchClient(region) }
func (c *Clients) SNS(region string) awsapi.SNSAPI               { return c.SNSClient(region) }
func (c *Clients) KMS(region string) awsapi.KMSAPI               { return c.KMSClient(region) }

func (c *Clients) STS(region string) awsapi.STSAPI {
	return cached(c, "sts", region, func(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) })
}

// Profiles lists every profile named in the shared config file (`[default]`,
// `[profile NAME]`) and credentials file (`[NAME]`), sorted and without
// duplicates, honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
// Missing files hold no profiles.
func Profiles(getenv func(string) string) ([]string, error) {
	f, err := readSharedFiles(SharedFiles(getenv))
	if err != nil {
		return nil, err
	}
	return f.profiles(), nil
}
