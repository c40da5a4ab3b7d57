package cli

import (
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/progress"
)

// meter starts a progress line for one phase of a run on stderr: live at
// a terminal, a plain line now and then in a log.
func (e *env) meter(label string, total int, since time.Time) *progress.Meter {
	return progress.Start(e.stderr, label, total, progress.Options{Live: e.liveStderr(), Since: since})
}

// liveStderr is whether stderr can take a line redrawn in place.
func (e *env) liveStderr() bool { return e.isTerminal(e.stderr) && e.getenv("TERM") != "dumb" }

// checkProgress is check.Options.Progress drawn as a meter; check.Run
// knows its total only once it has grouped the targets by account, so the
// meter starts on the first account done, clocked from now. finish ends it.
func (e *env) checkProgress(label string) (report func(done, total int, r check.Result), finish func()) {
	since := time.Now()
	var m *progress.Meter
	return func(_, total int, r check.Result) {
			// check.Run calls this under its own lock, one account at a time.
			if m == nil {
				m = e.meter(label, total, since)
			}
			m.SetTotal(total)
			m.Done(string(r.Status))
		}, func() {
			m.Finish()
		}
}
