package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/plan"
)

// familyReport is two accounts × three controls, one of them without a
// Security Hub ID, as check.Run lays them out.
func familyReport(t *testing.T) check.Report {
	t.Helper()
	rep := check.Report{SchemaVersion: check.SchemaVersion, Tool: check.Tool{Name: "trailwatch", Version: "test"},
		CheckedAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)}
	for _, id := range []string{"root-usage", "cloudtrail-changes", "organizations-changes"} {
		c, ok := control.Lookup(id)
		require.True(t, ok)
		rc := check.ReportControl{ID: id, Control: check.Control{Title: c.Title, SecurityHub: c.SecurityHub}}
		for _, n := range c.CIS {
			rc.CIS = append(rc.CIS, check.CISRecommendation{ID: n.ID, From: n.From, To: n.To})
		}
		rep.Controls = append(rep.Controls, rc)
	}
	for _, acct := range []string{"111111111111", "222222222222"} {
		for _, c := range rep.Controls {
			r := check.Result{Account: acct, ControlID: c.ID, Profile: "p" + acct[:1], Profiles: []string{"p" + acct[:1]}, Region: "us-east-1",
				Status: check.Pass, Message: "every link holds", Trails: []check.TrailEvidence{}, Remediation: "none needed"}
			if acct == "222222222222" && c.ID == "cloudtrail-changes" {
				r.Status, r.Reason, r.Message, r.Remediation = check.Fail, check.NoAlarm, "no alarm watches metric X", "create one"
			}
			rep.Results = append(rep.Results, r)
		}
	}
	rep.Summary = check.Summary{Accounts: 2, Pass: 5, Fail: 1}
	return rep
}

// Every format names each result's control: CSV a row per account and
// control, JUnit a suite per control with a case per account, OCSF and
// ASFF the Security Hub ID (trailwatch's ID where there is none).
func TestFormatsCarryTheControl(t *testing.T) {
	rep := familyReport(t)

	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, rep))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+6)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var controls []string
	for _, r := range rows[1:4] {
		controls = append(controls, r[col["control"]])
	}
	require.Equal(t, []string{"CloudWatch.1", "CloudWatch.5", "organizations-changes"}, controls)
	require.Contains(t, rows[1][col["cis"]], "/4.3")

	b.Reset()
	require.NoError(t, WriteJUnit(&b, rep))
	var doc struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	require.Equal(t, 6, doc.Tests)
	require.Len(t, doc.Suites, 3)
	require.Equal(t, "trailwatch.CloudWatch.5", doc.Suites[1].Cases[1].Classname)
	require.Equal(t, 1, doc.Suites[1].Failures)
	require.Equal(t, "trailwatch.organizations-changes", doc.Suites[2].Cases[0].Classname)
	require.Len(t, doc.Suites[0].Cases, 2)

	for _, f := range []Format{OCSF, ASFF} {
		b.Reset()
		require.NoError(t, Write(&b, f, rep, style.Plain()))
		var findings []map[string]any
		require.NoError(t, json.Unmarshal(b.Bytes(), &findings), f)
		require.Len(t, findings, 6, f)
		text := b.String()
		require.Contains(t, text, "trailwatch/CloudWatch.1/111111111111", f)
		require.Contains(t, text, "trailwatch/organizations-changes/222222222222", f)
	}
}

// Several controls: the HTML page opens with an accounts × controls matrix,
// each cell a verdict that opens that chain, and still makes no request.
func TestHTMLMatrix(t *testing.T) {
	rep := familyReport(t)
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, rep))
	page := b.String()
	require.Contains(t, page, "Accounts × controls")
	require.Contains(t, page, "2 accounts × 3 controls")
	matrix := page[strings.Index(page, `<table id="matrix">`):strings.Index(page, "<h2>Accounts</h2>")]
	require.Equal(t, 2, strings.Count(matrix, "<tr><td><code>"), "a row per account")
	require.Equal(t, 6, strings.Count(matrix, `<td class="cell"><details>`), "a cell per account and control")
	require.Equal(t, 6, strings.Count(matrix, `<ol class="cellchain">`), "each cell opens its chain")
	require.Contains(t, matrix, "FAIL NO_<wbr>ALARM")
	require.NotRegexp(t, `(?i)\s(src|href|action|srcset|xlink:href)\s*=`, page)

	var text bytes.Buffer
	require.NoError(t, WriteText(&text, rep, style.Plain()))
	require.Contains(t, text.String(), "222222222222 (p2)  CloudWatch.5 cloudtrail-changes  FAIL NO_ALARM")
	require.Contains(t, text.String(), "2 accounts × 3 controls: 5 pass, 1 fail, 0 error, 0 manual")
}

// familyFix is familyReport fixed: account 222222222222's failing control
// applied and re-checked (every control), 111111111111 with nothing to do.
func familyFix(t *testing.T) (check.Report, []FixAccount) {
	t.Helper()
	rep := familyReport(t)
	var accounts []FixAccount
	for _, acct := range []string{"111111111111", "222222222222"} {
		var before []check.Result
		for _, r := range rep.Results {
			if r.Account == acct {
				before = append(before, r)
			}
		}
		a := FixAccount{Before: before[0], Report: fix.Report{Account: acct, Before: check.Verdict{Status: check.Pass}}}
		if acct == "222222222222" {
			after := slices.Clone(before)
			for i := range after {
				after[i].Status, after[i].Reason, after[i].Message = check.Pass, "", "every link holds"
			}
			a.After, a.AfterControls = &after[0], after
			a.Report.Before, a.Report.After = check.Verdict{Status: check.Fail, Reason: check.NoAlarm}, check.Verdict{Status: check.Pass}
			a.Report.Changes, a.Report.Approval = make([]plan.Change, 1), fix.Approved
			a.Report.Result = &fix.Result{Outcome: fix.Done, Steps: []fix.Step{{Change: plan.Change{Action: plan.Create, Operation: "cloudwatch:PutMetricAlarm", Target: "trailwatch-cloudtrail-changes"}, Status: fix.Applied}}}
		}
		accounts = append(accounts, a)
	}
	return rep, accounts
}

// fix --report of several controls shows every control of every account
// before → after in the matrix check's page has, and each account's row
// its worst control before and after, not its first control's.
func TestFixHTMLMatrix(t *testing.T) {
	rep, accounts := familyFix(t)
	var b bytes.Buffer
	require.NoError(t, WriteFixHTML(&b, rep, accounts))
	page := b.String()
	selfContained(t, page)
	require.Contains(t, page, "2 accounts × 3 controls")
	matrix := page[strings.Index(page, `<table id="matrix">`):strings.Index(page, "<h2>Accounts</h2>")]
	require.Equal(t, 2, strings.Count(matrix, "<tr><td><code>"), "a row per account")
	require.Equal(t, 6, strings.Count(matrix, `<td class="cell" data-before=`), "a cell per account and control")
	require.Equal(t, 5, strings.Count(matrix, `data-before="PASS" data-after="PASS"`))
	require.Equal(t, 1, strings.Count(matrix, `data-before="FAIL NO_ALARM" data-after="PASS"`), "the fixed control, before → after")
	require.Contains(t, matrix, `<span class="s-FAIL">FAIL NO_<wbr>ALARM</span> → <b>PASS</b>`)
	require.Contains(t, page, `data-account="222222222222"`)
	row := page[strings.Index(page, `data-account="222222222222"`):]
	require.Contains(t, row[:400], `data-before="FAIL NO_ALARM" data-after="PASS"`, "the account's row is its worst control, not its first")
	require.Contains(t, row, "chain of CloudWatch.1 root-usage", "the row says whose chain it opens")
}
