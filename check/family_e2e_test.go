package check_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// family serves the sandbox with every control's chain on one trail, log
// group and topic (Options.Family), scenario and broken control as given.
func family(t *testing.T, scenario string, broken control.Control) (*sandbox.Server, []check.Target) {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario, Control: broken, Family: control.All()})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{EndpointURL: running.URL, Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", "")})
	require.NoError(t, err)
	return srv, []check.Target{{Profile: "sandbox", Region: cfg.Region, Clients: awsenv.NewClients(cfg)}}
}

// An account with all fifteen chains PASSes all fifteen: one result per
// control, in registry order, each naming its control, and a summary each.
func TestFamilyAllPass(t *testing.T) {
	all := control.All()
	_, targets := family(t, "compliant", control.Control{})
	rep := check.Run(context.Background(), targets, check.Options{Controls: all})
	require.Len(t, rep.Results, len(all))
	for i, r := range rep.Results {
		require.Equal(t, all[i].ID, r.ControlID)
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
		require.Equal(t, sandbox.DefaultAccount, r.Account)
		require.Equal(t, all[i].ID, rep.Controls[i].ID)
		require.Equal(t, check.Summary{Accounts: 1, Pass: 1}, rep.Controls[i].Summary)
	}
	require.Nil(t, rep.Control, "several controls: no single top-level control")
	require.Equal(t, check.Summary{Accounts: 1, Pass: len(all)}, rep.Summary)
}

// Each control broken at each link gets that link's reason; a break of a
// link the controls share (the trail, its delivery, the topic's
// subscriber) fails them all with it, a break of the control's own filter,
// alarm or alarm action fails that control alone.
func TestFamilyEachControlBrokenAtEachLink(t *testing.T) {
	all := control.All()
	shared := map[string]bool{
		"NO_MULTI_REGION_TRAIL": true, "TRAIL_NOT_LOGGING": true, "MANAGEMENT_EVENTS_NOT_CAPTURED": true,
		"NO_CLOUDWATCH_LOGS": true, "LOGS_DELIVERY_FAILING": true, "NO_CONFIRMED_SUBSCRIBER": true,
	}
	srv, targets := family(t, "compliant", control.Control{})
	for _, c := range all {
		for _, reason := range sandbox.FailReasons {
			t.Run(c.ID+"/"+reason, func(t *testing.T) {
				require.NoError(t, srv.LoadScenario(reason, sandbox.ScenarioParams{Control: c, Family: all}))
				rep := check.Run(context.Background(), targets, check.Options{Controls: all})
				require.Len(t, rep.Results, len(all))
				for _, r := range rep.Results {
					switch {
					case r.ControlID == c.ID || shared[reason]:
						require.Equal(t, check.Fail, r.Status, "%s: %s", r.ControlID, r.Message)
						require.Equal(t, check.Reason(reason), r.Reason, "%s: %s", r.ControlID, r.Message)
					default:
						require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
					}
				}
			})
		}
	}
}

// A trail whose advanced selectors leave out kms.amazonaws.com fails the
// CMK control (its events never reach the log group) and no other.
func TestFamilyTrailExcludingKMS(t *testing.T) {
	all := control.All()
	_, targets := family(t, "compliant", control.Control{})
	ct := targets[0].Clients.(*awsenv.Clients).CloudTrailClient(sandbox.DefaultRegion)
	trails, err := ct.DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.NotEmpty(t, trails.TrailList)
	_, err = ct.PutEventSelectors(context.Background(), &cloudtrail.PutEventSelectorsInput{
		TrailName: trails.TrailList[0].TrailARN,
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("management, no KMS"), FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
			{Field: aws.String("eventSource"), NotEquals: []string{"kms.amazonaws.com"}},
		}}},
	})
	require.NoError(t, err)
	rep := check.Run(context.Background(), targets, check.Options{Controls: all})
	for _, r := range rep.Results {
		if r.ControlID == "cmk-disable-or-deletion" {
			require.Equal(t, check.ManagementEventsNotCaptured, r.Reason, r.Message)
			require.Contains(t, r.Message, "kms.amazonaws.com")
			continue
		}
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
	}
}

// The family shares reads: fifteen controls cost at most one read more per
// extra control than one control (the alarm lookup of its metric), every
// shared read is made once, and the critical path in round trips is one
// control's.
func TestFamilyReadBudget(t *testing.T) {
	all := control.All()
	srv, targets := family(t, "compliant", control.Control{})
	run := func(ctrls []control.Control) (map[string]int, int) {
		require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Family: all}))
		// Latency makes side-by-side reads overlap, so the request log
		// tells sequential round trips from parallel ones.
		srv.SetFaults(sandbox.Faults{LatencyMS: 40})
		rep := check.Run(context.Background(), targets, check.Options{Controls: ctrls})
		for _, r := range rep.Results {
			require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
		}
		return srv.Counts(), sandbox.CriticalPath(srv.Requests())
	}
	one, onePath := run(nil)
	many, manyPath := run(all)
	sum := func(m map[string]int) int {
		n := 0
		for _, c := range m {
			n += c
		}
		return n
	}
	t.Logf("one control: %d reads, %d round trips %v", sum(one), onePath, one)
	t.Logf("%d controls: %d reads, %d round trips %v", len(all), sum(many), manyPath, many)
	require.LessOrEqual(t, sum(many), sum(one)+len(all)-1)
	for _, op := range []string{"sts:GetCallerIdentity", "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
		"logs:DescribeMetricFilters", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"} {
		require.Equal(t, 1, many[op], "%s: %v", op, many)
	}
	require.Equal(t, len(all), many["monitoring:DescribeAlarmsForMetric"], "one alarm lookup per control's metric: %v", many)
	require.Equal(t, onePath, manyPath, "the critical path is one control's")
}

// --verify-patterns sends each control's records to TestMetricFilter, as
// for one control, and every control still PASSes on AWS's word.
func TestFamilyVerifyPatterns(t *testing.T) {
	all := control.All()
	srv, targets := family(t, "compliant", control.Control{})
	rep := check.Run(context.Background(), targets, check.Options{Controls: all, VerifyPatterns: true})
	for _, r := range rep.Results {
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
		verified := 0
		for _, tr := range r.Trails {
			for _, f := range tr.Filters {
				if f.Verification != nil {
					verified++
					require.Positive(t, f.Verification.Records)
				}
			}
		}
		require.NotZero(t, verified, r.ControlID)
	}
	require.GreaterOrEqual(t, srv.Counts()["logs:TestMetricFilter"], len(all), fmt.Sprint(srv.Counts()))
}
