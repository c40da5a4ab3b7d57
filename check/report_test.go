package check

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/golden"
)

// goldenReport is one account per status, built through Run.
func goldenReport(t *testing.T) Report {
	pass := compliant()
	fail := compliant()
	fail.account = "333333333333"
	fail.trails = append(fail.trails, cttypes.Trail{Name: aws.String("regional"), HomeRegion: aws.String(home),
		TrailARN: aws.String("arn:aws:cloudtrail:us-east-1:333333333333:trail/regional"), IsMultiRegionTrail: aws.Bool(false)})
	fail.trails[0].TrailARN = aws.String("arn:aws:cloudtrail:us-east-1:333333333333:trail/main")
	fail.trails[0].CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:us-east-1:333333333333:log-group:" + group + ":*")
	fail.status["arn:aws:cloudtrail:us-east-1:333333333333:trail/main"] = fail.status[trailARN]
	fail.selectors["arn:aws:cloudtrail:us-east-1:333333333333:trail/main"] = fail.selectors[trailARN]
	fail.firstAlarm().AlarmActions = []string{"arn:aws:sns:us-east-1:333333333333:alerts"}
	fail.subs["arn:aws:sns:us-east-1:333333333333:alerts"] = []snstypes.Subscription{{SubscriptionArn: aws.String("PendingConfirmation")}}
	manual := compliant()
	manual.account = other
	manual.trails[0].IsOrganizationTrail = aws.Bool(true)
	// An organization trail whose owner is not in the run stays MANUAL.
	orphan := compliant()
	orphan.account = "555555555555"
	orphan.trails[0].IsOrganizationTrail = aws.Bool(true)
	orphan.trails[0].TrailARN = aws.String("arn:aws:cloudtrail:us-east-1:999999999999:trail/org")
	denied := compliant()
	denied.account = "444444444444"
	denied.denied["cloudtrail:DescribeTrails"] = "AccessDeniedException"
	rep := Run(context.Background(), []Target{
		{Profile: "prod", Region: home, Clients: pass.fake(t).clients},
		{Profile: "staging", Region: home, Clients: fail.fake(t).clients},
		{Profile: "member", Region: home, Clients: manual.fake(t).clients},
		{Profile: "orphan", Region: home, Clients: orphan.fake(t).clients},
		{Profile: "audit", Region: home, Clients: denied.fake(t).clients},
	}, Options{Parallel: 2, Tool: Tool{Name: "trailwatch", Version: "test"}, Now: func() time.Time { return time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC) }})
	rep.Skip([]Skipped{{Account: "666666666666", Name: "closing\x1b[31m", State: "SUSPENDED"}})
	return rep
}

// TestRunGolden pins the report Run builds, one account per status, as the
// JSON of docs/check-json.md; report's tests render this same file in every
// format, so a result flows from check to report through its JSON alone.
func TestRunGolden(t *testing.T) {
	rep := goldenReport(t)
	require.Equal(t, Summary{Accounts: 5, Pass: 2, Fail: 1, Error: 1, Manual: 1, Skipped: 1}, rep.Summary)

	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(rep))
	golden.Check(t, "report.json", js.Bytes())
}
