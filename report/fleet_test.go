package report

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// checkedAt is the fixed clock of every golden report.
var checkedAt = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// serve starts a sandbox scenario on loopback for the test.
func serve(tb testing.TB, scenario string, accounts int) (*sandbox.Server, string) {
	tb.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario, Accounts: accounts})
	require.NoError(tb, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(tb, err)
	tb.Cleanup(func() { running.Close() })
	return srv, running.URL
}

// target reaches one sandbox account with its access key, isolated from the
// machine's AWS settings.
func target(tb testing.TB, url, profile, accessKey string) check.Target {
	tb.Helper()
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{
		EndpointURL: url, Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, "sandbox", ""),
	})
	require.NoError(tb, err)
	return check.Target{Profile: profile, Region: cfg.Region, Clients: awsenv.NewClients(cfg)}
}

// fleetReport checks n accounts of the sandbox's fleet (PASS and the chain's
// FAIL reasons in turn), an account whose topic policy denies CloudWatch (a
// notification-path reason), the member account of the organization
// scenario (MANUAL: the trail delivers to another account) and a key the
// sandbox does not know (ERROR), through the real SDK.
func fleetReport(tb testing.TB, n int) check.Report {
	tb.Helper()
	fleet, url := serve(tb, "fleet", n)
	var targets []check.Target
	for _, c := range fleet.Credentials() {
		targets = append(targets, target(tb, url, "acct-"+c.Account[len(c.Account)-4:], c.AccessKey))
	}
	_, notifyURL := serve(tb, "topic-policy-denies-cloudwatch", 0)
	targets = append(targets, target(tb, notifyURL, "alerts", sandbox.DefaultAccessKey))
	_, orgURL := serve(tb, "organization", 0)
	targets = append(targets, target(tb, orgURL, "member", sandbox.AccessKeyFor(sandbox.MemberAccount)))
	targets = append(targets, target(tb, url, "revoked", "AKIASANDBOXUNKNOWN00"))
	return check.Run(context.Background(), targets, check.Options{
		Parallel: 8, Tool: check.Tool{Name: "trailwatch", Version: "1.2.3"},
		Now: func() time.Time { return checkedAt },
	})
}
