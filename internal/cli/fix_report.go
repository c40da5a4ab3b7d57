package cli

import (
	"io"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/report"
)

// writeFixReport writes fix --report: each account's check before, its
// re-check after (when something was applied) and what fix did.
func writeFixReport(p *pendingFile, before check.Report, after map[string][]check.Result, reports []fix.Report) error {
	accounts := make([]report.FixAccount, len(reports))
	for i, r := range reports {
		accounts[i] = report.FixAccount{Before: resultOf(before, r.Account), Report: r}
		if a, ok := after[r.Account]; ok {
			accounts[i].After, accounts[i].AfterControls = &a[0], a
		}
	}
	return p.commit(func(w io.Writer) error { return report.WriteFixHTML(w, before, accounts) })
}
