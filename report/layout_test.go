package report

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// fixFleet is a fix run over the sandbox fleet as fix --report sees it:
// failing accounts alternately fixed (with the steps fix took), blocked
// with plan's longest explanations, and declined; the others unchanged.
func fixFleet(tb testing.TB) (check.Report, []FixAccount) {
	rep := fleetReport(tb, len(sandbox.FailReasons)+2)
	blocked := []string{
		"no multi-region trail to monitor: create one (aws cloudtrail create-trail --is-multi-region-trail --profile acct-0002, then start-logging) — trailwatch does not create trails, which need an S3 bucket policy and cost decisions — then re-run plan",
		"trail arn:aws:cloudtrail:us-east-1:100000000003:trail/organization-trail-with-a-long-name belongs to account 100000000001; only that account can change it: run plan there",
	}
	var accounts []FixAccount
	for i, r := range rep.Results {
		a := FixAccount{Before: r, Report: fix.Report{Account: r.Account}}
		switch {
		case r.Status == check.Pass:
		case r.Status != check.Fail:
			a.Report.Blocked = "check could not decide this account by itself (" + r.Message + "); confirm that link by hand, then re-run plan"
		case i%3 == 0:
			after := r
			after.Status, after.Reason, after.Message = check.Pass, "", "every link holds"
			a.After = &after
			target := fmt.Sprintf("arn:aws:cloudwatch:us-east-1:%s:alarm:trailwatch-cloudtrail-configuration-changes", r.Account)
			a.Report.Changes = make([]plan.Change, 3)
			a.Report.Approval = fix.Approved
			a.Report.Result = &fix.Result{Outcome: fix.Done, Steps: []fix.Step{
				{Change: plan.Change{Action: plan.Create, Operation: "logs:PutMetricFilter", Target: "aws-cloudtrail-logs-" + r.Account + "-3f2a9c1d/cloudtrail-configuration-changes"}, Status: fix.Applied},
				{Change: plan.Change{Action: plan.Create, Operation: "cloudwatch:PutMetricAlarm", Target: target}, Status: fix.Applied},
			}, Pending: []fix.Pending{{Topic: "arn:aws:sns:us-east-1:" + r.Account + ":trailwatch-cloudtrail-alerts", Protocol: "email", Endpoint: "security-team@example.com"}}}
		case i%3 == 1:
			a.Report.Blocked = blocked[i%len(blocked)]
		default:
			a.Report.Approval = fix.Declined
			a.Report.Changes = make([]plan.Change, 2)
		}
		accounts = append(accounts, a)
	}
	return rep, accounts
}

func writeFixPage(tb testing.TB) string {
	tb.Helper()
	rep, accounts := fixFleet(tb)
	path := filepath.Join(tb.TempDir(), "fix.html")
	f, err := os.Create(path)
	require.NoError(tb, err)
	require.NoError(tb, WriteFixHTML(f, rep, accounts))
	require.NoError(tb, f.Close())
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// overflows lists, for every cell of the accounts table (chains opened),
// text that leaves its cell: a cell whose content is wider than the cell,
// or a line box of its text outside the cell's box, where it would overlap
// the next cell.
const overflows = `(() => {
  document.querySelectorAll("#accounts details").forEach(d => d.open = true);
  document.body.offsetHeight;
  const out = [];
  const name = td => (td.closest("tbody").dataset.account || "?") + " col " + td.cellIndex;
  document.querySelectorAll("#accounts td, #accounts th").forEach(td => {
    if (td.getClientRects().length === 0) return;
    if (td.scrollWidth > td.clientWidth + 1) out.push(name(td) + ": content " + td.scrollWidth + "px wide in a " + td.clientWidth + "px cell");
    const cell = td.getBoundingClientRect();
    const r = document.createRange();
    r.selectNodeContents(td);
    for (const b of r.getClientRects()) {
      if (b.width === 0) continue;
      if (b.left < cell.left - 1 || b.right > cell.right + 1) {
        out.push(name(td) + ": text at " + Math.round(b.left) + ".." + Math.round(b.right) + " outside the cell " + Math.round(cell.left) + ".." + Math.round(cell.right));
        break;
      }
    }
  });
  document.querySelectorAll("#accounts ol.chain > li, #accounts code").forEach(e => {
    if (e.getClientRects().length === 0) return;
    if (e.scrollWidth > e.clientWidth + 1) out.push((e.closest("tbody").dataset.account || "?") + " " + e.tagName + ": content " + e.scrollWidth + "px wide in " + e.clientWidth + "px");
  });
  return out;
})()`

// tallest is the height, in lines of body text, of the tallest text in a
// cell of the accounts table's column col (0-based).
const tallest = `(col => {
  const line = parseFloat(getComputedStyle(document.body).lineHeight);
  let max = 0;
  document.querySelectorAll("#accounts tbody.acct > tr:first-child").forEach(tr => {
    // The boxes of the cell's own children: a clamped child's box is
    // what shows, its hidden lines are not.
    let top = Infinity, bottom = -Infinity;
    for (const n of tr.cells[col].childNodes) {
      let b;
      if (n.nodeType === Node.ELEMENT_NODE) b = n.getBoundingClientRect();
      else { const r = document.createRange(); r.selectNode(n); b = r.getBoundingClientRect(); }
      if (b.height === 0) continue;
      top = Math.min(top, b.top); bottom = Math.max(bottom, b.bottom);
    }
    if (bottom > top) max = Math.max(max, (bottom - top) / line);
  });
  return max;
})`

// stretchedCards lists "not reached" chain cards taller than their own
// content needs (stretched to the height of a neighbour).
const stretchedCards = `(() => {
  const out = [];
  document.querySelectorAll("#accounts ol.chain > li.not_reached").forEach(li => {
    if (li.getClientRects().length === 0) return;
    const r = document.createRange();
    r.selectNodeContents(li);
    const text = r.getBoundingClientRect();
    const box = li.getBoundingClientRect();
    if (box.height > text.height + 24) out.push((li.closest("tbody").dataset.account || "?") + " " + li.dataset.kind + ": " + Math.round(box.height) + "px for " + Math.round(text.height) + "px of text");
  });
  return out;
})()`

// Both pages, at the two common desktop widths: no cell's text runs into
// another cell, the fix page's rows stay a few lines tall, and a chain's
// "not reached" cards keep their own height. The screenshots are kept for
// reviewers (testdata/ with -update).
func TestHTMLLayoutInBrowser(t *testing.T) {
	ctx := browser(t)
	pages := map[string]string{"check": writePage(t, fleetReport(t, len(sandbox.FailReasons)+2)), "fix": writeFixPage(t)}
	for _, name := range []string{"check", "fix"} {
		for _, width := range []int64{1280, 1920} {
			t.Run(fmt.Sprintf("%s-%d", name, width), func(t *testing.T) {
				tab, cancel := chromedp.NewContext(ctx)
				defer cancel()
				require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(width, 900), chromedp.Navigate(pages[name]), chromedp.WaitVisible(chromedp.CSS("#filters"))))
				// The picture shows the table with one chain open (the fleet's
				// NO_ALARM account): every chain open is too tall to read.
				run(t, tab, chromedp.Evaluate[bool](`(() => { document.querySelectorAll("#accounts details").forEach(d => d.open = d.closest("tbody").dataset.account === "100000000008"); return true })()`))
				saveScreenshot(t, fmt.Sprintf("browser-layout-%s-%d.png", name, width), run(t, tab, chromedp.FullScreenshot(100)))
				bad := run(t, tab, chromedp.Evaluate[[]string](overflows))
				require.Empty(t, bad, "text leaves its cell:\n%s", strings.Join(bad, "\n"))
				require.Empty(t, run(t, tab, chromedp.Evaluate[[]string](stretchedCards)))
				if name == "fix" {
					require.LessOrEqual(t, run(t, tab, chromedp.Evaluate[float64](tallest+"(2)")), 3.5, "the tallest Before cell, in lines")
					require.LessOrEqual(t, run(t, tab, chromedp.Evaluate[float64](tallest+"(5)")), 4.0, "the tallest Fix cell, in lines")
				}
			})
		}
	}
}
