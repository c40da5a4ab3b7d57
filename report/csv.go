package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// csvHeader is the CSV's first row; docs/outputs.md describes each column.
var csvHeader = []string{
	"account", "profiles", "region", "status", "reason", "error_code", "broken_link", "message",
	"trail_arn", "log_group_arn", "filter", "alarm_arn", "topic_arn", "remediation",
	"control", "cis", "checked_at", "tool_version", "via",
}

// WriteCSV writes one row per account and control after a header row, quoted as RFC 4180
// says (encoding/csv), with CRLF line ends.
func WriteCSV(w io.Writer, rep check.Report) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	for _, r := range rep.Results {
		cis := strings.Join(requirements(rep.ControlOf(r)), "; ")
		links := Chain(r)
		at := func(kind string) Link {
			for _, l := range links {
				if l.Kind == kind {
					return l
				}
			}
			return Link{}
		}
		row := []string{
			r.Account, strings.Join(r.Profiles, "; "), r.Region, string(r.Status), string(r.Reason), r.ErrorCode,
			BrokenLink(links), r.Message,
			at(LinkTrail).ARN, at(LinkLogGroup).ARN, at(LinkFilter).Name, at(LinkAlarm).ARN, at(LinkTopic).ARN,
			r.Remediation, controlKey(rep, r), cis, rep.CheckedAt.Format(time.RFC3339), rep.Tool.Version, viaText(r),
		}
		for i := range row {
			row[i] = csvCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	return nil
}

// csvCell makes a cell safe where CSV is read: at a terminal (control
// characters and bidi overrides written out visibly, as text output does)
// and in a spreadsheet (inertCell).
func csvCell(s string) string { return inertCell(termsafe.Escape(s)) }

// inertCell keeps a spreadsheet from reading a cell as a formula: names from
// AWS (a metric filter's, say) may begin with "=", "+", "-" or "@", and a
// quote in front makes the cell text, as OWASP's CSV-injection guidance says.
func inertCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
