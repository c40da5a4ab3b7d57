package check

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// maxTestMessages is how many log events one TestMetricFilter call takes.
const maxTestMessages = 50

// verified is a filter's coverage after AWS's engine had its say.
type verified struct {
	ev *Verification
	// covers is the coverage of the five events with AWS settling what
	// trailwatch could not decide; Unknown when the engines disagree on a
	// record that decides it.
	covers pattern.Verdict
	missed []string
	// disagree says why the engines' disagreement leaves coverage open.
	disagree string
}

// verifyPattern sends the pattern and the synthetic CloudTrail records the
// local engine judges to logs:TestMetricFilter (read-only, no charge) and
// compares the verdicts record by record. p is nil when trailwatch could not
// parse a pattern CloudWatch Logs accepted: every record is then AWS's to
// decide. AWS's answer depends on the pattern alone, so it is asked once per
// region and pattern however many trails share a log group or filters share
// a pattern.
func (a *auditor) verifyPattern(ctx context.Context, region, text string, p *pattern.Pattern) (*verified, error) {
	return a.verified.get(a.opts.Control.ID+"\x00"+region+"\x00"+text, func() (*verified, error) { return a.testPattern(ctx, region, text, p) })
}

func (a *auditor) testPattern(ctx context.Context, region, text string, p *pattern.Pattern) (*verified, error) {
	samples := pattern.SamplesOf(a.opts.Control)
	matched := make([]bool, len(samples))
	for start := 0; start < len(samples); start += maxTestMessages {
		end := min(start+maxTestMessages, len(samples))
		msgs := make([]string, 0, end-start)
		for _, s := range samples[start:end] {
			msgs = append(msgs, s.Message)
		}
		cctx, cancel := a.call(ctx)
		out, err := a.clients.Logs(region).TestMetricFilter(cctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(text), LogEventMessages: msgs})
		cancel()
		if err != nil {
			return nil, awserr.Classify("logs:TestMetricFilter", err)
		}
		for _, m := range out.Matches {
			// Event numbers are 1-based positions in this call's messages.
			if i := int(m.EventNumber) - 1; i >= 0 && i < len(msgs) {
				matched[start+i] = true
			}
		}
	}
	v := &verified{ev: &Verification{Records: len(samples)}, covers: pattern.Match}
	missed := map[string]bool{}
	decisive := 0
	for i, s := range samples {
		local := pattern.Unknown
		if p != nil {
			local = p.Eval(s.Message)
		}
		remote := pattern.NoMatch
		if matched[i] {
			remote = pattern.Match
		}
		effective := remote
		switch {
		case local == pattern.Unknown:
			v.ev.Settled++
		case local == remote:
			v.ev.Agree++
		default:
			v.ev.Disagreements = append(v.ev.Disagreements, Disagreement{Event: s.Event, Caller: s.Caller, Failed: s.Failed,
				Local: verdictName(local), AWS: verdictName(remote)})
			if s.Must {
				decisive++
				effective = pattern.Unknown
			}
		}
		// Coverage is judged on the successful calls of the five events.
		if !s.Must {
			continue
		}
		switch effective {
		case pattern.NoMatch:
			v.covers = pattern.NoMatch
			missed[s.Event] = true
		case pattern.Unknown:
			if v.covers == pattern.Match {
				v.covers = pattern.Unknown
			}
		}
	}
	for _, e := range a.opts.Control.Events {
		if missed[e] {
			v.missed = append(v.missed, e)
		}
	}
	if decisive > 0 {
		v.disagree = fmt.Sprintf("logs:TestMetricFilter and trailwatch disagree on %s of the five events (see the filter's verification)", plural(decisive, "record"))
		if v.covers == pattern.NoMatch {
			// A definite miss elsewhere still decides; the disagreement is
			// reported with it.
			return v, nil
		}
		v.covers = pattern.Unknown
	}
	return v, nil
}
