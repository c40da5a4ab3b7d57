package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/golden"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

func TestHTMLGolden(t *testing.T) {
	rep := fleetReport(t, len(sandbox.FailReasons)+2)
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, rep))
	selfContained(t, b.String())
	require.Equal(t, len(rep.Results), strings.Count(b.String(), `<tbody class="acct"`))
	golden.Check(t, "fleet.html", b.Bytes())
}

var (
	inlineStyle  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	cspMeta      = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
)

// selfContained: one inline style and one inline script, both allowed by
// hash in the page's Content-Security-Policy, which allows nothing else; no
// attribute that loads or links anything.
func selfContained(t *testing.T, page string) {
	t.Helper()
	m := cspMeta.FindStringSubmatch(page)
	require.NotNil(t, m, "the page carries its Content-Security-Policy")
	policy := html.UnescapeString(m[1])
	require.Contains(t, policy, "default-src 'none'")
	for _, re := range []*regexp.Regexp{inlineStyle, inlineScript} {
		all := re.FindAllStringSubmatch(page, -1)
		require.Len(t, all, 1)
		sum := sha256.Sum256([]byte(all[0][1]))
		require.Contains(t, policy, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	require.NotRegexp(t, `(?i)\s(src|href|action|srcset|xlink:href)\s*=`, page)
	require.NotRegexp(t, `(?i)<(link|img|iframe|object|embed|base)\b`, page)
	require.NotRegexp(t, `(?i)url\(`, page)
}

// Markup in AWS names and messages is text on the page, never markup.
func TestHTMLEscapesHostileText(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, hostileReport()))
	page := b.String()
	selfContained(t, page)
	require.NotContains(t, page, "<script>alert(1)</script>")
	require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, page, `"<b>"`)
	require.NotContains(t, page, "\x1b", "no terminal escape reaches the page")
	require.NotContains(t, page, "\u202e", "no bidi override can reverse what an auditor reads")
	require.Contains(t, page, `\u202egnp.exe`)
}

// The fix page shows each account before and after, the chain as it was and
// as it is, and what fix did.
func TestFixHTML(t *testing.T) {
	rep := hostileReport()
	after := rep.Results[0]
	after.Status, after.Reason, after.Message = check.Pass, "", "every link holds"
	after.Trails = []check.TrailEvidence{{Name: "t", Complete: true}}
	var b bytes.Buffer
	require.NoError(t, WriteFixHTML(&b, rep, []FixAccount{
		{Before: rep.Results[0], After: &after, Report: fix.Report{Account: rep.Results[0].Account, Changes: make([]plan.Change, 2), Approval: fix.Approved,
			Result: &fix.Result{Outcome: fix.Done, Steps: []fix.Step{{Change: plan.Change{Action: plan.Create, Operation: "cloudwatch:PutMetricAlarm", Target: "arn:aws:cloudwatch:us-east-1:100000000001:alarm:<b>"}, Status: fix.Applied}},
				Pending: []fix.Pending{{Topic: "arn:aws:sns:us-east-1:100000000001:alerts", Protocol: "email", Endpoint: "sec@example.com"}}}}},
		{Before: rep.Results[1], Report: fix.Report{Account: rep.Results[1].Account, Approval: fix.Declined, Changes: make([]plan.Change, 3)}},
	}))
	page := b.String()
	selfContained(t, page)
	require.Contains(t, page, `data-before="FAIL NO_MATCHING_FILTER"`)
	require.Contains(t, page, `data-status="PASS"`)
	require.Contains(t, page, `data-after="PASS"`)
	require.Contains(t, page, "before the fix")
	require.Contains(t, page, `<li data-status="applied"><b>applied</b> create cloudwatch:PutMetricAlarm <code>arn:aws:cloudwatch:us-east-1:100000000001:alarm:&lt;b&gt;</code></li>`)
	require.Contains(t, page, `<li data-status="pending"><b>pending</b> confirm email <code>sec@example.com</code>`)
	require.Contains(t, page, `data-outcome="declined"`)
	require.Contains(t, page, "applied: 1 of 2 changes in place")
}
