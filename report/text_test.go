package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/golden"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// checkGoldenReport is the report check's TestRunGolden pins: one account
// per status, built by check.Run and kept as its JSON.
func checkGoldenReport(t *testing.T) check.Report {
	t.Helper()
	b, err := os.ReadFile("../check/testdata/report.json")
	require.NoError(t, err)
	var rep check.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	return rep
}

// The text report of check's golden run, link by link; its JSON is written
// back byte for byte.
func TestCheckTextGolden(t *testing.T) {
	rep := checkGoldenReport(t)

	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, style.Plain()))
	golden.Check(t, "check-report.txt", text.Bytes())

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, rep))
	want, err := os.ReadFile("../check/testdata/report.json")
	require.NoError(t, err)
	require.Equal(t, string(want), js.String())
}

// An empty run still writes the schema's arrays, never null.
func TestJSONEmptyReport(t *testing.T) {
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, check.Run(context.Background(), nil, check.Options{})))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(js.Bytes(), &raw))
	require.Equal(t, []any{}, raw["results"])
	require.Equal(t, map[string]any{"accounts": 0.0, "pass": 0.0, "fail": 0.0, "error": 0.0, "manual": 0.0}, raw["summary"])
	require.Equal(t, check.SchemaVersion, raw["schema_version"])
	require.Len(t, raw["control"].(map[string]any)["cis"], 3)
}

// Every string a report carries may come from AWS or a file: filled with
// escape sequences, none reaches the text report raw (the JSON keeps them
// exact). The report's own vocabulary (statuses, reasons) is left as is.
func TestTextEscapesEveryField(t *testing.T) {
	const hostile = "x\x1b[2J\x1b]0;pwned\x07\u202e\u009byz"
	rep := checkGoldenReport(t)
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if v.Type() != reflect.TypeFor[check.Status]() && v.Type() != reflect.TypeFor[check.Reason]() && v.CanSet() {
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
	f.Verification = &check.Verification{Records: 1, Disagreements: []check.Disagreement{{Event: "CreateTrail", Caller: "console", Local: "match", AWS: "no_match"}}}
	f.Indeterminate = []string{"why"}
	al := f.Metrics[0].Alarms[0]
	al.OtherActions = []string{"arn:aws:lambda:us-east-1:1:function:f"}
	cannot := al
	cannot.CanFire, cannot.Why = false, "why"
	al.Topics = append(al.Topics, check.TopicEvidence{ARN: "t", Account: al.Topics[0].Account, CanReceive: aws.Bool(false), Why: "why"},
		check.TopicEvidence{ARN: "u", Account: al.Topics[0].Account, Missing: true})
	f.Metrics[0].Alarms = []check.AlarmEvidence{al, cannot}
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
