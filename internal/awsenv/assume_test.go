package awsenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/sandbox"
)

// loopbackOnly is an HTTP transport that refuses every host but loopback:
// with an endpoint configured, nothing may be sent anywhere else.
type loopbackOnly struct{ t *testing.T }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		l.t.Errorf("request to %s left loopback", r.URL)
		return nil, fmt.Errorf("request to %s left loopback", r.URL)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func startOrg(t *testing.T, now func() time.Time) (*sandbox.Server, string) {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: "org", Now: now})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	return srv, running.URL
}

func callerAccount(t *testing.T, cfg aws.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return aws.ToString(out.Account), err
}

func memberRole(account string) Role {
	return Role{ARN: "arn:aws:iam::" + account + ":role/" + sandbox.OrgAccessRole, SessionName: "trailwatch"}
}

// A shared-config role profile (role_arn + source_profile) sends its
// AssumeRole where the endpoint settings point, however they are given.
func TestRoleProfileHonoursEndpoint(t *testing.T) {
	_, url := startOrg(t, nil)
	member := sandbox.OrgMember(3)
	creds := "[seat]\naws_access_key_id = " + sandbox.DefaultAccessKey + "\naws_secret_access_key = s\n"
	role := "role_arn = arn:aws:iam::" + member + ":role/" + sandbox.OrgAccessRole + "\nsource_profile = seat\nregion = us-east-1\n"
	for _, tc := range []struct {
		name, config string
		env          map[string]string
		o            Overrides
	}{
		{"AWS_ENDPOINT_URL", "[profile member]\n" + role, map[string]string{"AWS_ENDPOINT_URL": url}, Overrides{}},
		{"AWS_ENDPOINT_URL_STS and _CLOUDTRAIL", "[profile member]\n" + role,
			map[string]string{"AWS_ENDPOINT_URL_STS": url, "AWS_ENDPOINT_URL_CLOUDTRAIL": url}, Overrides{}},
		{"endpoint_url in the profile", "[profile member]\nendpoint_url = " + url + "\n" + role, nil, Overrides{}},
		{"services section", "[profile member]\nservices = local\n" + role + "[services local]\nsts =\n  endpoint_url = " + url + "\n", nil, Overrides{}},
		{"trailwatch's own override", "[profile member]\n" + role, nil, Overrides{EndpointURL: url}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t, tc.config, creds)
			t.Setenv("AWS_CA_BUNDLE", "") // a bundle needs the SDK's own HTTP client
			t.Setenv("AWS_ENDPOINT_URL_STS", "")
			t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			o := tc.o
			o.HTTPClient = &http.Client{Transport: loopbackOnly{t}}
			cfg, err := Load(context.Background(), "member", "", o)
			require.NoError(t, err)
			got, err := callerAccount(t, cfg)
			require.NoError(t, err)
			require.Equal(t, member, got)
		})
	}
}

// trailwatch's own AssumeRole reaches the member through the seat's endpoint
// and HTTP client; a refusal names sts:AssumeRole and the role.
func TestAssumerReachesMember(t *testing.T) {
	_, url := startOrg(t, nil)
	seat := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: &http.Client{Transport: loopbackOnly{t}},
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "s", "")}
	a := NewAssumer(seat)

	cfg := a.Config(memberRole(sandbox.OrgMember(4)))
	require.NoError(t, Connect(context.Background(), cfg, memberRole(sandbox.OrgMember(4)).ARN))
	got, err := callerAccount(t, cfg)
	require.NoError(t, err)
	require.Equal(t, sandbox.OrgMember(4), got)

	refused := memberRole(sandbox.OrgUnassumableMember)
	err = Connect(context.Background(), a.Config(refused), refused.ARN)
	var are *AssumeRoleError
	require.ErrorAs(t, err, &are)
	require.Equal(t, awserr.AssumeRoleFailed, awserr.Describe(are, "").Code)
	require.Contains(t, err.Error(), "sts:AssumeRole on "+refused.ARN+" refused: AccessDenied")
}

// Credentials are assumed once and reused while valid; once expired, or
// within refreshBefore of it (here: handed out by a sandbox whose clock
// lags, so they expire an hour after its time), they are assumed again.
func TestAssumerCachesAndRefreshes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lag     time.Duration
		assumed int
	}{{"valid", 0, 1}, {"expiring within the refresh window", time.Hour - 2*time.Minute, 3}, {"expired", 2 * time.Hour, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := startOrg(t, func() time.Time { return time.Now().Add(-tc.lag) })
			seat := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
				Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "s", "")}
			cfg := NewAssumer(seat).Config(memberRole(sandbox.OrgMember(4)))
			for range 3 {
				got, err := callerAccount(t, cfg)
				require.NoError(t, err)
				require.Equal(t, sandbox.OrgMember(4), got)
			}
			require.Equal(t, tc.assumed, srv.Counts()["sts:AssumeRole"])
		})
	}
}

// Under throttling every member's AssumeRole rides it out: each role gets
// its own retryer and retry quota, so the seat's many AssumeRoles do not
// drain one shared quota and then fail on their first throttle.
func TestAssumerRetriesEachRoleOnItsOwnQuota(t *testing.T) {
	srv, url := startOrg(t, nil)
	srv.SetFaults(sandbox.Faults{Throttle: []sandbox.OperationRate{{Operation: "sts:AssumeRole", Rate: 0.5}}})
	seat := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "s", "")}
	RetryPolicy{MaxAttempts: DefaultRetryPolicy.MaxAttempts, BaseDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}.apply(&seat)
	a := NewAssumer(seat)
	const members = 200
	role := memberRole(sandbox.OrgMember(4))
	errs := make(chan error, members)
	sem := make(chan struct{}, 16)
	for range members {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- Connect(context.Background(), a.Config(role), role.ARN)
		}()
	}
	failed := 0
	for range members {
		if err := <-errs; err != nil {
			failed++
			t.Log(err)
		}
	}
	require.Zero(t, failed, "members that could not be assumed")
	require.Greater(t, srv.Counts()["sts:AssumeRole"], members, "some were throttled and retried")
}

// A role AWS throttles to the end is THROTTLED, said as such, not a
// refusal to fix in the trust policy.
func TestAssumeRoleThrottledToTheEnd(t *testing.T) {
	srv, url := startOrg(t, nil)
	srv.SetFaults(sandbox.Faults{Throttle: []sandbox.OperationRate{{Operation: "sts:AssumeRole", Rate: 1}}})
	seat := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "s", "")}
	RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxBackoff: time.Millisecond}.apply(&seat)
	role := memberRole(sandbox.OrgMember(4))
	err := Connect(context.Background(), NewAssumer(seat).Config(role), role.ARN)
	var are *AssumeRoleError
	require.ErrorAs(t, err, &are)
	require.Equal(t, awserr.Throttled, awserr.Describe(are, "").Code)
	require.Contains(t, err.Error(), "sts:AssumeRole on "+role.ARN+": ")
	require.Contains(t, err.Error(), "throttled by AWS after 3 attempts")
	require.NotContains(t, err.Error(), "refused")
	p := awserr.Describe(err, "")
	require.Equal(t, awserr.Throttled, p.Code)
	require.Equal(t, 3, srv.Counts()["sts:AssumeRole"])
}
