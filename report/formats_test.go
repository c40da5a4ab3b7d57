package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/golden"
	"github.com/trailwatch/trailwatch/sandbox"
)

// The fleet covers every status and every FAIL reason.
func TestFleetCoversEveryOutcome(t *testing.T) {
	rep := fleetReport(t, len(sandbox.FailReasons)+2)
	require.Equal(t, check.Summary{Accounts: 15, Pass: 2, Fail: 11, Error: 1, Manual: 1}, rep.Summary, "%+v", rep.Results)
	reasons := map[check.Reason]bool{}
	for _, r := range rep.Results {
		reasons[r.Reason] = true
	}
	for _, reason := range append(sandbox.FailReasons, string(check.TopicCannotReceive)) {
		require.True(t, reasons[check.Reason(reason)], reason)
	}
}

func TestFormatsGolden(t *testing.T) {
	rep := fleetReport(t, len(sandbox.FailReasons)+2)
	for _, tc := range []struct {
		format Format
		file   string
		valid  func(*testing.T, []byte, check.Report)
	}{
		{Text, "fleet.txt", validText},
		{JSON, "fleet.json", validJSON},
		{CSV, "fleet.csv", validCSV},
		{JUnit, "fleet.junit.xml", validJUnit},
		{OCSF, "fleet.ocsf.json", validOCSF},
		{ASFF, "fleet.asff.json", validASFF},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, tc.format, rep, plain))
			tc.valid(t, b.Bytes(), rep)
			golden.Check(t, tc.file, b.Bytes())
		})
	}
}

// A re-run at another time keeps every finding's Id and GeneratorId, so
// Security Hub and a data lake update the account's finding instead of
// adding one; only the timestamps move.
func TestFindingIDsStableAcrossRuns(t *testing.T) {
	rep := hostileReport()
	later := rep
	later.CheckedAt = rep.CheckedAt.Add(24 * time.Hour)
	ids := func(r check.Report) (asff, ocsf []string) {
		var a, o bytes.Buffer
		require.NoError(t, WriteASFF(&a, r))
		require.NoError(t, WriteOCSF(&o, r))
		for _, f := range decodeArray(t, a.Bytes()) {
			asff = append(asff, f["Id"].(string)+" "+f["GeneratorId"].(string))
		}
		for _, f := range decodeArray(t, o.Bytes()) {
			ocsf = append(ocsf, f["finding_info"].(map[string]any)["uid"].(string))
		}
		return asff, ocsf
	}
	a1, o1 := ids(rep)
	a2, o2 := ids(later)
	require.Equal(t, a1, a2)
	require.Equal(t, o1, o2)
	require.NotEqual(t, a1[0], a1[1], "one finding per account")
}

// hostileReport carries what an attacker can put in AWS names and messages:
// spreadsheet formulas, XML-breaking and invalid characters, markup, and
// text past the finding formats' length limits.
func hostileReport() check.Report {
	long := strings.Repeat("x", 3000)
	return check.Report{
		SchemaVersion: check.SchemaVersion, Tool: check.Tool{Name: "trailwatch", Version: "1.2.3"},
		CheckedAt: checkedAt, Control: &check.TheControl,
		Results: []check.Result{
			{Account: "100000000001", Profiles: []string{"=cmd|'/c calc'!A1"}, Profile: "=cmd|'/c calc'!A1", Region: "us-east-1",
				Status: check.Fail, Reason: check.NoMatchingFilter, Message: "-2+3 misses StopLogging \x1b[31m<script>alert(1)</script> ]]> \x00 \u202egnp.exe",
				Remediation: long, Trails: []check.TrailEvidence{{Name: "t", ARN: "arn:aws:cloudtrail:us-east-1:100000000001:trail/t",
					LogGroupARN: "arn:aws:logs:us-east-1:100000000001:log-group:g", LogGroupName: "g", Failed: check.NoMatchingFilter,
					Filters: []check.FilterEvidence{{Name: "@SUM(1)", Pattern: "{ $.eventName = \"<b>\" }", Coverage: "no_match", Missed: []string{"StopLogging"}}}}}},
			{Account: "100000000002", Profiles: manyProfiles(), Region: "cn-north-1", Status: check.Error, ErrorCode: "ACCESS_DENIED", Message: long, Remediation: "grant", Trails: []check.TrailEvidence{}},
		},
		Summary: check.Summary{Accounts: 2, Fail: 1, Error: 1},
	}
}

// manyProfiles reach one account under more names than an ASFF
// ProductFields value holds (2,048 characters).
func manyProfiles() []string {
	p := make([]string, 100)
	for i := range p {
		p[i] = fmt.Sprintf("org-member-role-profile-%03d", i)
	}
	return p
}

// Hostile text stays data in every format: each still parses and passes its
// validator, a formula is never a formula, and long text is clipped to the
// ASFF limits rather than rejected by BatchImportFindings.
func TestHostileInputStaysData(t *testing.T) {
	rep := hostileReport()
	for _, tc := range []struct {
		format Format
		valid  func(*testing.T, []byte, check.Report)
	}{{CSV, validCSV}, {JUnit, validJUnit}, {OCSF, validOCSF}, {ASFF, validASFF}} {
		t.Run(string(tc.format), func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, tc.format, rep, plain))
			tc.valid(t, b.Bytes(), rep)
		})
	}
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, rep))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" {
				require.NotContains(t, "=+-@", cell[:1], "cell %q would be a formula", cell)
			}
		}
	}
	require.Equal(t, "'=cmd|'/c calc'!A1", rows[1][slices.Index(csvHeader, "profiles")])
	b.Reset()
	require.NoError(t, WriteJUnit(&b, rep))
	require.True(t, terminalInert(strings.ReplaceAll(b.String(), "\n", "")), "JUnit carries no terminal control")
	require.Equal(t, "'@SUM(1)", rows[1][slices.Index(csvHeader, "filter")])

	b.Reset()
	require.NoError(t, WriteASFF(&b, rep))
	f := decodeArray(t, b.Bytes())
	require.Equal(t, "arn:aws-cn:securityhub:cn-north-1:100000000002:product/100000000002/default", f[1]["ProductArn"])
	require.Len(t, []rune(f[1]["Description"].(string)), 1024)
	require.True(t, strings.HasSuffix(f[1]["Description"].(string), "…"))
	require.Equal(t, "NOT_AVAILABLE", f[1]["Compliance"].(map[string]any)["Status"])
	require.Equal(t, "ACCESS_DENIED", f[1]["Compliance"].(map[string]any)["StatusReasons"].([]any)[0].(map[string]any)["ReasonCode"])
}

// An ERROR without an account has no AwsAccountId: ASFF leaves it out and
// says how many; the other formats keep it.
func TestASFFSkipsUnidentifiedAccounts(t *testing.T) {
	rep := hostileReport()
	rep.Results = append(rep.Results, check.Result{Profile: "revoked", Profiles: []string{"revoked"}, Region: "us-east-1", Status: check.Error, Message: "could not identify the account"})
	var b bytes.Buffer
	require.NoError(t, WriteASFF(&b, rep))
	require.Len(t, decodeArray(t, b.Bytes()), 2)
	require.Equal(t, 1, ASFFSkipped(rep))
	b.Reset()
	require.NoError(t, WriteOCSF(&b, rep))
	f := decodeArray(t, b.Bytes())
	require.Len(t, f, 3)
	require.Equal(t, "trailwatch/CloudWatch.5/profile/revoked", f[2]["finding_info"].(map[string]any)["uid"])
}

// A verdict another account's chain decided (an organization trail resolved
// in its owner) names that chain in CSV, ASFF, OCSF and the page.
func TestViaReachesTheFormats(t *testing.T) {
	rep := hostileReport()
	rep.Results[0].Via = &check.Via{Kind: "organization_trail", ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/org", Account: "111111111111"}
	want := "organization_trail arn:aws:cloudtrail:us-east-1:111111111111:trail/org (account 111111111111)"
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, rep))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Equal(t, want, rows[1][slices.Index(csvHeader, "via")])
	require.Empty(t, rows[2][slices.Index(csvHeader, "via")])
	b.Reset()
	require.NoError(t, WriteASFF(&b, rep))
	require.Equal(t, want, decodeArray(t, b.Bytes())[0]["ProductFields"].(map[string]any)["trailwatch/Via"])
	b.Reset()
	require.NoError(t, WriteOCSF(&b, rep))
	require.Equal(t, "111111111111", decodeArray(t, b.Bytes())[0]["unmapped"].(map[string]any)["via"].(map[string]any)["account"])
	b.Reset()
	require.NoError(t, WriteHTML(&b, rep))
	require.Contains(t, b.String(), "decided by the chain of "+want)
}
