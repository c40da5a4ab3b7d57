package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/drill"
)

// The drill page shows each account's calls and stages with their times,
// and AWS's words escaped: a hostile message is text, never markup.
func TestWriteDrillHTML(t *testing.T) {
	at := time.Date(2026, 12, 7, 14, 2, 3, 0, time.UTC)
	later := at.Add(4 * time.Minute)
	rep := drill.NewReport(check.Tool{Name: "trailwatch", Version: "test"}, at, []drill.Result{{
		Account: "111111111111", ControlID: "cloudtrail-changes", CheckText: "PASS", Outcome: drill.NotDelivered,
		Trigger: "StartLogging on the trail",
		Calls:   []drill.Call{{Time: at, Operation: "cloudtrail:StartLogging", Target: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", RequestID: "req-1", Result: "ok"}},
		Stages: []drill.Stage{
			{Name: drill.StageLogGroup, Status: drill.StageOK, At: &later, Detail: "reached"},
			{Name: drill.StageAction, Status: drill.StageBroken, Detail: "could not publish", AWSMessage: `Failed to execute action <script>alert(1)</script>`},
		},
	}, {Account: "222222222222", ControlID: "root-usage", CheckText: "PASS", Outcome: drill.NotDrilled, Reason: "not drillable"}})
	var b bytes.Buffer
	require.NoError(t, WriteDrillHTML(&b, rep))
	page := b.String()
	require.Contains(t, page, "Account 111111111111: cloudtrail-changes")
	require.Contains(t, page, "14:02:03")
	require.Contains(t, page, "14:06:03")
	require.Contains(t, page, "request req-1")
	require.Contains(t, page, "action: broken")
	require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, page, "<script>")
	require.Contains(t, page, "not drillable")
	require.Equal(t, 1, strings.Count(page, "<!DOCTYPE html>"))
	require.Contains(t, page, "0 delivered, 1 not delivered, 1 not drilled")
}
