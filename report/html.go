package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

var (
	//go:embed report.html.tmpl
	pageTemplate string
	//go:embed report.css
	pageCSS string
	//go:embed report.js
	pageJS string
)

// csp allows the page's own inline style and script, by hash, and nothing
// else: no request can leave the page, whatever an AWS name in it says.
var csp = "default-src 'none'; style-src " + sha(pageCSS) + "; script-src " + sha(pageJS) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"breakable": breakable,
	"chainOf": func(links []Link, remediation string) chainView {
		return chainView{Links: links, Remediation: remediation}
	},
	"mark": func(s State) string { return stateMarks[s][0] },
	"plural": func(n int, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %ss", n, word)
	},
	"stateText": func(s State) string { return stateMarks[s][1] },
}).Parse(pageTemplate))

var stateMarks = map[State][2]string{
	Held: {"✓", "holds"}, Broken: {"✗", "broken"}, Unsettled: {"?", "undecided"}, NotReached: {"–", "not reached"},
}

type stepView struct {
	Status, Action, Operation, Target, Detail string
}

// stepsOf lists an account's applied, failed, skipped and rolled-back
// changes, in the order fix took them.
func stepsOf(r fix.Report) []stepView {
	if r.Result == nil {
		return nil
	}
	var out []stepView
	for _, list := range [][]fix.Step{r.Result.Steps, r.Result.Rollback} {
		for _, st := range list {
			out = append(out, stepView{Status: string(st.Status), Action: string(st.Change.Action),
				Operation: st.Change.Operation, Target: termsafe.Escape(st.Change.Target), Detail: termsafe.Escape(st.Detail)})
		}
	}
	for _, p := range r.Result.Pending {
		out = append(out, stepView{Status: "pending", Action: "confirm", Operation: termsafe.Escape(p.Protocol), Target: termsafe.Escape(p.Endpoint),
			Detail: "subscription to " + termsafe.Escape(p.Topic) + " waits for its confirmation"})
	}
	return out
}

type chainView struct {
	Links       []Link
	Remediation string
}

type pageView struct {
	Title        string
	Fix          bool
	Tool         check.Tool
	Control      check.Control
	Requirements []string
	CheckedAt    string
	Total        int
	Skipped      int
	Columns      int
	Charts       []chart
	Statuses     []check.Status
	Reasons      []string
	Accounts     []accountView
	// Matrix is the accounts × controls grid of a run of several controls;
	// nil for one control, whose page is as it always was.
	Matrix *matrixView
	CSP    string
	CSS    template.CSS
	JS     template.JS
}

type accountView struct {
	Index                     int
	Account, Profiles, Region string
	// Control labels the row's control when the report has several.
	Control                      string
	Status, Reason, ErrorCode    string
	Broken, Message, Remediation string
	// Via names the other account's resource whose chain decided this one.
	Via                         string
	Links                       []Link
	Before, BeforeStatus, After string
	Outcome                     string
	// Steps are what fix did in the account, rollback included.
	Steps             []stepView
	BeforeLinks       []Link
	BeforeRemediation string
}

// WriteHTML writes check's report as one self-contained page.
func WriteHTML(w io.Writer, rep check.Report) error {
	title := "trailwatch check: CloudTrail configuration changes monitored"
	if rep.Multi() {
		title = fmt.Sprintf("trailwatch check: %d CIS monitoring controls", len(rep.Controls))
	}
	v := newPage(rep, title)
	for i, r := range rep.Results {
		av := accountOf(i, r)
		if rep.Multi() {
			av.Control = termsafe.Escape(controlLabel(rep, r.ControlID))
		}
		v.Accounts = append(v.Accounts, av)
	}
	if rep.Multi() {
		v.Matrix = matrixOf(rep, nil)
	}
	v.Charts = []chart{statusChart("Accounts by status", rep.Results), reasonChart("FAIL accounts by reason", rep.Results)}
	if rep.Multi() {
		v.Charts = []chart{statusChart("Results (account × control) by status", rep.Results), reasonChart("FAIL results by reason", rep.Results)}
	}
	v.Reasons = reasonsOf(rep.Results)
	return render(w, v)
}

// FixAccount is one account of a fix run: check's verdict before, the
// re-check after (nil when nothing was applied) and what fix did.
type FixAccount struct {
	Before check.Result
	After  *check.Result
	// AfterControls is the re-check of every control when several were
	// fixed (After is then its first); nil when nothing was re-checked.
	AfterControls []check.Result
	Report        fix.Report
}

// WriteFixHTML writes a fix run as one page: each account's verdict before
// and after, what was applied, and the chain as it stands now.
func WriteFixHTML(w io.Writer, rep check.Report, accounts []FixAccount) error {
	v := newPage(rep, "trailwatch fix: before → after")
	v.Fix = true
	v.Columns = 7
	var before, after []check.Result
	for i, a := range accounts {
		now := a.Before
		if a.After != nil {
			now = *a.After
		}
		av := accountOf(i, now)
		av.Before, av.BeforeStatus, av.After = termsafe.Escape(verdict(a.Before)), string(a.Before.Status), termsafe.Escape(verdict(now))
		if rep.Multi() && !a.Report.Before.IsZero() {
			// The row is the account's: its worst control before and after;
			// the matrix has each control's, and the chain is the first's.
			worst := a.Report.Before
			if !a.Report.After.IsZero() {
				worst = a.Report.After
			}
			av.Before, av.BeforeStatus = termsafe.Escape(a.Report.Before.String()), string(a.Report.Before.Status)
			av.After, av.Status, av.Reason = termsafe.Escape(worst.String()), string(worst.Status), termsafe.Escape(string(worst.Reason))
			av.Control = termsafe.Escape("chain of " + controlLabel(rep, now.ControlID))
		}
		av.Outcome, av.Steps = termsafe.Escape(outcomeOf(a.Report)), stepsOf(a.Report)
		if a.After != nil {
			av.BeforeLinks, av.BeforeRemediation = visibleLinks(Chain(a.Before)), termsafe.Escape(a.Before.Remediation)
		}
		v.Accounts = append(v.Accounts, av)
		before, after = append(before, a.Before), append(after, now)
	}
	v.Total = len(accounts)
	if rep.Multi() {
		now := map[string]check.Result{}
		for _, a := range accounts {
			for _, r := range a.AfterControls {
				now[r.Account+"\x00"+r.ControlID] = r
			}
		}
		v.Matrix = matrixOf(rep, now)
	}
	v.Charts = []chart{statusChart("Before the fix", before), statusChart("After the fix", after), reasonChart("Still failing, by reason", after)}
	v.Reasons = reasonsOf(after) // the filter matches the verdict after
	return render(w, v)
}

func newPage(rep check.Report, title string) pageView {
	c := check.TheControl
	switch {
	case rep.Control != nil:
		c = *rep.Control
	case len(rep.Controls) > 0:
		c = rep.Controls[0].Control
	}
	return pageView{
		Title: title, Tool: rep.Tool, Control: c, Requirements: requirements(c),
		CheckedAt: rep.CheckedAt.UTC().Format(time.RFC3339), Total: len(rep.Results), Skipped: len(rep.Skipped), Columns: 6,
		Statuses: []check.Status{check.Pass, check.Fail, check.Error, check.Manual},
		CSP:      csp, CSS: template.CSS(pageCSS), JS: template.JS(pageJS),
	}
}

func render(w io.Writer, v pageView) error {
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// accountOf is one account's row. AWS text goes through termsafe.Escape as
// for a terminal: html/template makes it inert as markup, but a bidi
// override would still reverse what the auditor reads.
func accountOf(i int, r check.Result) accountView {
	links := Chain(r)
	e := termsafe.Escape
	return accountView{
		Index: i, Account: e(r.Account), Profiles: e(strings.Join(r.Profiles, ", ")), Region: e(r.Region),
		Status: string(r.Status), Reason: e(string(r.Reason)), ErrorCode: e(r.ErrorCode),
		Broken: BrokenLink(links), Message: e(r.Message), Remediation: e(r.Remediation), Links: visibleLinks(links),
		Via: e(viaText(r)),
	}
}

// visibleLinks is links with their AWS text escaped as accountOf does.
func visibleLinks(links []Link) []Link {
	out := make([]Link, len(links))
	for i, l := range links {
		l.Name, l.ARN = termsafe.Escape(l.Name), termsafe.Escape(l.ARN)
		ev := make([]string, len(l.Evidence))
		for j, e := range l.Evidence {
			ev[j] = termsafe.Escape(e)
		}
		l.Evidence = ev
		out[i] = l
	}
	return out
}

func verdict(r check.Result) string { return r.Verdict().String() }

// outcomeOf says in a few words what fix did for the account.
func outcomeOf(r fix.Report) string {
	switch {
	case r.Blocked != "":
		return "blocked: " + r.Blocked
	case r.Result != nil:
		return fmt.Sprintf("%s: %d of %d changes in place", r.Result.Outcome, r.Result.Applied(), len(r.Changes))
	case r.Approval == fix.Declined:
		return "declined"
	case len(r.Changes) == 0:
		return "nothing to change"
	}
	return "not applied"
}

func reasonsOf(results []check.Result) []string {
	var found []check.Reason
	for _, r := range results {
		if r.Reason != "" && !slices.Contains(found, r.Reason) {
			found = append(found, r.Reason)
		}
	}
	// Chain order reads best; reasons check adds later go last, by name.
	slices.SortStableFunc(found, func(a, b check.Reason) int {
		return rank(a) - rank(b)
	})
	out := make([]string, len(found))
	for i, r := range found {
		out[i] = string(r)
	}
	return out
}

func rank(reason check.Reason) int {
	if i := slices.Index(check.Reasons, reason); i >= 0 {
		return i
	}
	return len(check.Reasons)
}

// chart is a horizontal bar chart drawn as inline SVG, so the summary is a
// picture without a script or an image request.
type chart struct {
	Caption       string
	Width, Height int
	LabelWidth    int
	Bars          []bar
}

type bar struct {
	Label, Class   string
	Count          int
	X, Y, TextY, W int
	CountX         int
}

const (
	barRow   = 22
	barMax   = 260
	labelPad = 8
)

func newChart(caption string, labels, classes []string, counts []int) chart {
	longest := 0
	for _, l := range labels {
		longest = max(longest, len(l))
	}
	c := chart{Caption: caption, LabelWidth: longest*8 + labelPad}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	for i, l := range labels {
		w := 0
		if most > 0 {
			w = counts[i] * barMax / most
		}
		if counts[i] > 0 {
			w = max(w, 2)
		}
		y := i * barRow
		c.Bars = append(c.Bars, bar{Label: l, Class: classes[i], Count: counts[i], X: c.LabelWidth, Y: y + 3, TextY: y + 15, W: w, CountX: c.LabelWidth + w + 6})
	}
	c.Width = c.LabelWidth + barMax + 40
	c.Height = max(len(labels), 1) * barRow
	return c
}

func statusChart(caption string, results []check.Result) chart {
	statuses := []check.Status{check.Pass, check.Fail, check.Error, check.Manual}
	labels, classes, counts := make([]string, 4), make([]string, 4), make([]int, 4)
	for i, s := range statuses {
		labels[i], classes[i] = string(s), string(s)
	}
	for _, r := range results {
		if i := slices.Index(statuses, r.Status); i >= 0 {
			counts[i]++
		}
	}
	return newChart(caption, labels, classes, counts)
}

func reasonChart(caption string, results []check.Result) chart {
	reasons := reasonsOf(results)
	if len(reasons) == 0 {
		return newChart(caption+": none", nil, nil, nil)
	}
	classes, counts := make([]string, len(reasons)), make([]int, len(reasons))
	for i := range reasons {
		classes[i] = "reason"
	}
	for _, r := range results {
		if i := slices.Index(reasons, string(r.Reason)); i >= 0 {
			counts[i]++
		}
	}
	return newChart(caption, reasons, classes, counts)
}

// matrixView is the accounts × controls grid: a column per control, a row
// per account, each cell its verdict opening that chain.
type matrixView struct {
	Controls []string // column headings: the controls as the report numbers them
	Rows     []matrixRow
}

type matrixRow struct {
	Account, Profiles string
	Cells             []matrixCell
}

type matrixCell struct {
	Status, Verdict, Remediation string
	Links                        []Link
	// Before is the verdict before a fix (the fix page's cells read
	// "before → after"); "" on check's page.
	Before, BeforeStatus string
}

// matrixOf lays a report of several controls out as accounts × controls;
// an account's results are together, in the controls' order. With after
// (fix's re-check, keyed by account and control ID), each cell re-checked
// is its verdict before → after and opens the chain as it is now; nil on
// check's page.
func matrixOf(rep check.Report, after map[string]check.Result) *matrixView {
	m := &matrixView{}
	col := map[string]int{}
	for i, c := range rep.Controls {
		m.Controls = append(m.Controls, termsafe.Escape(controlLabel(rep, c.ID)))
		col[c.ID] = i
	}
	for i := 0; i < len(rep.Results); {
		first := rep.Results[i]
		row := matrixRow{Account: termsafe.Escape(first.Account), Profiles: termsafe.Escape(strings.Join(first.Profiles, ", ")),
			Cells: make([]matrixCell, len(rep.Controls))}
		for ; i < len(rep.Results) && sameAccount(rep.Results[i], first); i++ {
			r := rep.Results[i]
			j, ok := col[r.ControlID]
			if !ok {
				continue
			}
			now := r
			if a, ok := after[r.Account+"\x00"+r.ControlID]; ok {
				now = a
			}
			row.Cells[j] = matrixCell{Status: string(now.Status), Verdict: termsafe.Escape(verdict(now)),
				Remediation: termsafe.Escape(now.Remediation), Links: visibleLinks(Chain(now))}
			if after != nil {
				row.Cells[j].Before, row.Cells[j].BeforeStatus = termsafe.Escape(verdict(r)), string(r.Status)
			}
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// sameAccount: a and b are results of one account (one target's).
func sameAccount(a, b check.Result) bool {
	return a.Account == b.Account && a.Profile == b.Profile && a.Region == b.Region
}
