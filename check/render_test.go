package check

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/golden"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
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

func TestRenderGolden(t *testing.T) {
	rep := goldenReport(t)
	require.Equal(t, Summary{Accounts: 5, Pass: 2, Fail: 1, Error: 1, Manual: 1, Skipped: 1}, rep.Summary)

	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, style.Plain()))
	golden.Check(t, "report.txt", text.Bytes())

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, rep))
	golden.Check(t, "report.json", js.Bytes())
}

// An empty run still writes the schema's arrays, never null.
func TestJSONEmptyReport(t *testing.T) {
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, Run(context.Background(), nil, Options{})))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &raw))
	require.Equal(t, []any{}, raw["results"])
	require.Equal(t, map[string]any{"accounts": 0.0, "pass": 0.0, "fail": 0.0, "error": 0.0, "manual": 0.0}, raw["summary"])
	require.Equal(t, SchemaVersion, raw["schema_version"])
	require.Len(t, raw["control"].(map[string]any)["cis"], 3)
}

// Every string a report carries may come from AWS or a file: filled with
// escape sequences, none reaches the text report raw (the JSON keeps them
// exact). The report's own vocabulary (statuses, reasons) is left as is.
func TestTextEscapesEveryField(t *testing.T) {
	const hostile = "x\x1b[2J\x1b]0;pwned\x07\u202e\u009byz"
	rep := goldenReport(t)
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if v.Type() != reflect.TypeFor[Status]() && v.Type() != reflect.TypeFor[Reason]() && v.CanSet() {
				v.SetString(v.String() + hostile)
			}
		case reflect.Pointer:
			if !v.IsNil() {
				fill(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					fill(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				fill(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				e := reflect.New(v.Type().Elem()).Elem()
				e.Set(v.MapIndex(k))
				fill(e)
				v.SetMapIndex(k, e)
			}
		}
	}
	// Evidence deep in the chain too: a verification with a disagreement,
	// an alarm that cannot fire, a topic CloudWatch cannot publish to.
	tr := &rep.Results[0].Trails[0]
	f := &tr.Filters[0]
	f.Verification = &Verification{Records: 1, Disagreements: []Disagreement{{Event: "CreateTrail", Caller: "console", Local: "match", AWS: "no_match"}}}
	f.Indeterminate = []string{"why"}
	al := f.Metrics[0].Alarms[0]
	al.OtherActions = []string{"arn:aws:lambda:us-east-1:1:function:f"}
	cannot := al
	cannot.CanFire, cannot.Why = false, "why"
	al.Topics = append(al.Topics, TopicEvidence{ARN: "t", Account: al.Topics[0].Account, CanReceive: aws.Bool(false), Why: "why"},
		TopicEvidence{ARN: "u", Account: al.Topics[0].Account, Missing: true})
	f.Metrics[0].Alarms = []AlarmEvidence{al, cannot}
	tr.DeliveryError = "error"
	fill(reflect.ValueOf(&rep).Elem())

	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, style.Plain()))
	out := text.String()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b"} {
		require.NotContains(t, out, bad)
	}
	require.Contains(t, out, termsafe.Escape(hostile))
}
