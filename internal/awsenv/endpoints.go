package awsenv

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// credentialEndpoint makes the clients behind a profile's credentials
// (role_arn with source_profile, web identity, SSO) send their requests
// where every other client goes. The SDK builds those clients while it
// resolves credentials, before it has resolved AWS_ENDPOINT_URL or the
// profile's endpoint_url, so without this a role profile pointed at an
// endpoint still sends AssumeRole to the public STS endpoint.
// Service-specific settings (AWS_ENDPOINT_URL_STS, a services section) are
// read by those clients themselves and win, as they do for every client.
type credentialEndpoint struct {
	base *string // set by Load once the configuration is resolved
}

// loadOptions wrap each credential client so that, per request, it gets
// the resolved base endpoint unless it already has its own.
func (e *credentialEndpoint) loadOptions() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithAssumeRoleCredentialOptions(func(o *stscreds.AssumeRoleOptions) {
			o.Client = assumeRoleClient{o.Client, e}
		}),
		config.WithWebIdentityRoleCredentialOptions(func(o *stscreds.WebIdentityRoleOptions) {
			o.Client = webIdentityClient{o.Client, e}
		}),
		config.WithSSOProviderOptions(func(o *ssocreds.Options) {
			o.Client = ssoClient{o.Client, e}
		}),
		config.WithSSOTokenProviderOptions(func(o *ssocreds.SSOTokenProviderOptions) {
			o.Client = ssoOIDCClient{o.Client, e}
		}),
	}
}

func (e *credentialEndpoint) sts(o *sts.Options) {
	if o.BaseEndpoint == nil {
		o.BaseEndpoint = e.base
	}
}

type assumeRoleClient struct {
	next stscreds.AssumeRoleAPIClient
	e    *credentialEndpoint
}

func (c assumeRoleClient) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return c.next.AssumeRole(ctx, in, append(optFns, c.e.sts)...)
}

type webIdentityClient struct {
	next stscreds.AssumeRoleWithWebIdentityAPIClient
	e    *credentialEndpoint
}

func (c webIdentityClient) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return c.next.AssumeRoleWithWebIdentity(ctx, in, append(optFns, c.e.sts)...)
}

type ssoClient struct {
	next ssocreds.GetRoleCredentialsAPIClient
	e    *credentialEndpoint
}

func (c ssoClient) GetRoleCredentials(ctx context.Context, in *sso.GetRoleCredentialsInput, optFns ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error) {
	return c.next.GetRoleCredentials(ctx, in, append(optFns, func(o *sso.Options) {
		if o.BaseEndpoint == nil {
			o.BaseEndpoint = c.e.base
		}
	})...)
}

type ssoOIDCClient struct {
	next ssocreds.CreateTokenAPIClient
	e    *credentialEndpoint
}

func (c ssoOIDCClient) CreateToken(ctx context.Context, in *ssooidc.CreateTokenInput, optFns ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error) {
	return c.next.CreateToken(ctx, in, append(optFns, func(o *ssooidc.Options) {
		if o.BaseEndpoint == nil {
			o.BaseEndpoint = c.e.base
		}
	})...)
}
