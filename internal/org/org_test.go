package org_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/sandbox"
)

func start(t *testing.T, scenario string, members int) (*sandbox.Server, string) {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario, Accounts: members})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	return srv, running.URL
}

func cfg(url, key, secret, token string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token)}
}

func ids(accounts []org.Account) []string {
	var out []string
	for _, a := range accounts {
		out = append(out, a.ID)
	}
	return out
}

func TestListWholeOrganization(t *testing.T) {
	srv, url := start(t, "org", 45)
	api := organizations.NewFromConfig(cfg(url, sandbox.DefaultAccessKey, "s", ""))
	o, err := org.Describe(context.Background(), api)
	require.NoError(t, err)
	require.Equal(t, org.Organization{ID: sandbox.OrgID, Management: sandbox.DefaultAccount}, o)
	l, err := org.List(context.Background(), api, nil, 4)
	require.NoError(t, err)
	require.Len(t, l.Active, 45, "management and 44 active members")
	require.Equal(t, []org.Account{{ID: sandbox.OrgSuspendedMember, Name: "member-1", State: "SUSPENDED"}}, l.Inactive)
	require.IsIncreasing(t, ids(l.Active))
	require.Equal(t, 3, srv.Counts()["organizations:ListAccounts"], "46 accounts in pages of 20")
}

// --ou selects the accounts under an OU and its children, each once even
// when a parent and its child are both named.
func TestListUnderOUs(t *testing.T) {
	_, url := start(t, "org", 30)
	api := organizations.NewFromConfig(cfg(url, sandbox.DefaultAccessKey, "s", ""))
	var want []string
	for i := 1; i <= 30; i++ {
		if ou := sandbox.OrgMemberOU(i); (ou == "ou-sb01-workloads" || ou == "ou-sb01-workprod" || ou == "ou-sb01-workdev0") && sandbox.OrgMember(i) != sandbox.OrgSuspendedMember {
			want = append(want, sandbox.OrgMember(i))
		}
	}
	l, err := org.List(context.Background(), api, []string{"ou-sb01-workloads", "ou-sb01-workprod"}, 4)
	require.NoError(t, err)
	require.Equal(t, want, ids(l.Active))
	require.Equal(t, []string{sandbox.OrgSuspendedMember}, ids(l.Inactive), "member 1 sits in Workloads")

	l, err = org.List(context.Background(), api, []string{sandbox.OrgRootID}, 4)
	require.NoError(t, err)
	require.Len(t, append(l.Active, l.Inactive...), 31, "the root holds everything")

	_, err = org.List(context.Background(), api, []string{"ou-sb01-nosuchou"}, 4)
	require.ErrorContains(t, err, "--ou ou-sb01-nosuchou: no such root or OU")
}

func TestListRefused(t *testing.T) {
	_, url := start(t, "compliant", 0)
	_, err := org.Describe(context.Background(), organizations.NewFromConfig(cfg(url, sandbox.DefaultAccessKey, "s", "")))
	require.ErrorIs(t, err, org.ErrNotInOrganization)

	_, url = start(t, "org", 0)
	out, err := sts.NewFromConfig(cfg(url, sandbox.DefaultAccessKey, "s", "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + sandbox.OrgMember(3) + ":role/" + sandbox.OrgAccessRole), RoleSessionName: aws.String("test")})
	require.NoError(t, err)
	member := cfg(url, aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	_, err = org.List(context.Background(), organizations.NewFromConfig(member), nil, 4)
	require.ErrorContains(t, err, "AccessDeniedException on organizations:ListAccounts")
}

func TestValidParent(t *testing.T) {
	for id, want := range map[string]bool{"r-sb01": true, "ou-sb01-security": true, "ou-ab12-cdef5678": true,
		"Security": false, "ou-sb01": false, "r-AB12": false, "ou-sb01-security\n": false, "": false} {
		require.Equal(t, want, org.ValidParent(id), "%q", id)
	}
}

// Organizations throttles hard; a listing under throttling still returns
// every account once (the SDK retries TooManyRequestsException), and one
// that never gets through is an error, never a short list.
func TestListUnderThrottling(t *testing.T) {
	srv, url := start(t, "org", 60)
	c := cfg(url, sandbox.DefaultAccessKey, "s", "")
	c.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		})
	}
	srv.SetFaults(sandbox.Faults{ThrottleRate: 0.3})
	for _, ous := range [][]string{nil, {sandbox.OrgRootID}} {
		l, err := org.List(context.Background(), organizations.NewFromConfig(c), ous, 4)
		require.NoError(t, err)
		require.Len(t, l.Active, 60, "every active account, once (%v)", ous)
	}
	srv.SetFaults(sandbox.Faults{ThrottleRate: 1})
	_, err := org.List(context.Background(), organizations.NewFromConfig(c), nil, 4)
	require.ErrorContains(t, err, "TooManyRequestsException on organizations:ListAccounts")
}
