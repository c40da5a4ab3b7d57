package cli

import (
	"io"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/wrap"
	"github.com/trailwatch/trailwatch/report"
)

// writeReport writes check's report to stdout; text is wrapped to the
// terminal's width (the machine formats never are).
func writeReport(e *env, f report.Format, rep check.Report) error {
	pal := e.palette(e.stdout)
	if f != report.Text {
		return report.Write(e.stdout, f, rep, pal)
	}
	return e.render(e.stdout, func(w io.Writer) error { return report.Write(w, f, rep, pal) })
}

// narration is stdout for text written a whole line at a time (the
// demo's story), wrapped to the terminal's width.
func (e *env) narration() io.Writer {
	return wrap.New(e.stdout, e.termWidth(e.stdout))
}

// paragraph is prose for stdout: at a terminal, reflowed to its width;
// otherwise as written, its line breaks kept.
func (e *env) paragraph(s string) string {
	return wrap.Paragraph(s, e.termWidth(e.stdout))
}
