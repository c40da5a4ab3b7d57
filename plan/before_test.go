package plan

import (
	"context"
	"github.com/trailwatch/trailwatch/check"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"
)

// CheckBefore accepts what Build recorded, refuses a before edited apart
// from the resource, and leaves a resource that changed since to fix's
// stale check.
func TestCheckBefore(t *testing.T) {
	ctx := context.Background()
	t.Run("retention", func(t *testing.T) {
		w := newWorld()
		w.addGroup(ownGroup, true)
		w.retention[ownGroup] = 7
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true, RetentionDays: 30})
		require.NoError(t, CheckBefore(ctx, w.readers(t), a))

		c := change(t, a, "log-retention")
		c.Before = map[string]any{"RetentionInDays": 90}
		edited := withChange(a, c)
		err := CheckBefore(ctx, w.readers(t), edited)
		require.True(t, IsFieldError(err), "%v", err)
		require.ErrorContains(t, err, "field before.RetentionInDays is 90 but logs:LogGroup "+ownGroup+" has 7")

		w.retention[ownGroup] = 14
		require.NoError(t, CheckBefore(ctx, w.readers(t), edited), "changed since planning: stale, for fix to report")
	})
	t.Run("our own alarm, rewritten whole", func(t *testing.T) {
		w := newWorld()
		w.addAlarm(cwtypes.MetricAlarm{AlarmName: aws.String("trailwatch-cloudtrail-changes"), MetricName: aws.String("Old"),
			Namespace: aws.String("X"), ActionsEnabled: aws.Bool(false)}, true)
		a := build(t, w, finding(check.NoMatchingFilter), Options{})
		require.NoError(t, CheckBefore(ctx, w.readers(t), a))
		c := change(t, a, "alarm")
		c.Before["ActionsEnabled"] = true
		err := CheckBefore(ctx, w.readers(t), withChange(a, c))
		require.ErrorContains(t, err, "field before.ActionsEnabled is true but cloudwatch:Alarm trailwatch-cloudtrail-changes has false")
	})
	t.Run("a trail that delivered somewhere", func(t *testing.T) {
		w := newWorld()
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
		require.NoError(t, CheckBefore(ctx, w.readers(t), a))
		c := change(t, a, "trail")
		c.Before = map[string]any{"CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:111111111111:log-group:x:*"}
		require.ErrorContains(t, CheckBefore(ctx, w.readers(t), withChange(a, c)), "trailwatch wires only a trail that delivers nowhere")
	})
}

// withChange is a with c in place of the change of the same id.
func withChange(a AccountPlan, c Change) AccountPlan {
	out := a
	out.Changes = make([]Change, len(a.Changes))
	for i, x := range a.Changes {
		if x.ID == c.ID {
			x = c
		}
		out.Changes[i] = x
	}
	return out
}
