package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// patternOptions are the flags and argument of `trailwatch pattern`.
type patternOptions struct {
	pattern string
	events  []string // files of log events, "-" for stdin
	output  string
}

func patternCommand(e *env) *cli.Command {
	opts := &patternOptions{}
	return &cli.Command{
		Name:      "pattern",
		Usage:     "explain which of the five CloudTrail configuration changes a CloudWatch Logs filter pattern catches",
		ArgsUsage: "PATTERN",
		Description: "Evaluates the pattern offline against realistic CloudTrail records of the events the\n" +
			"control must catch (" + control.Default().EventList() + ",\n" +
			"from IAM users, root, role sessions and AWS services),\n" +
			"or, with --event, against your own log events, one per line, like the console's Test pattern box.\n" +
			"Put flags before the pattern; use -- before a pattern that starts with '-'. See docs/pattern.md.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "event", Usage: "evaluate the log events in `FILE` (one per line, - for stdin) instead; repeatable"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "`FORMAT` of the result: text or json", Destination: &opts.output},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("pattern takes exactly one argument, the filter pattern (quote it; flags go before it), got %d", c.NArg())
			}
			opts.pattern = c.Args().First()
			opts.events = c.StringSlice("event")
			return patternRun(e, opts)
		},
	}
}

func patternRun(e *env, opts *patternOptions) error {
	if opts.output != "text" && opts.output != "json" {
		return usageError("--output %q: want text or json", opts.output)
	}
	p, err := pattern.Parse(opts.pattern)
	if err != nil {
		return usageError("invalid filter pattern: %w%s", err, caret(opts.pattern, err))
	}
	if len(opts.events) > 0 {
		events, err := readEvents(e.stdin, opts.events)
		if err != nil {
			return usageError("read log events: %w", err)
		}
		return evaluateEvents(e, opts, p, events)
	}
	cov := p.Analyze()
	if opts.output == "json" {
		if err := writeJSON(e.stdout, coverageJSON(p, cov, pattern.Diagnose(opts.pattern, control.Default().Events))); err != nil {
			return err
		}
	} else {
		renderCoverage(e.stdout, e.palette(e.stdout), p, cov, pattern.Diagnose(opts.pattern, control.Default().Events))
	}
	if cov.Covers == pattern.Match {
		return nil
	}
	return withCode(exitFindings)
}

// caret points at the error position under a short one-line pattern.
func caret(text string, err error) string {
	var se *pattern.SyntaxError
	if !errors.As(err, &se) || len(text) > 120 || !termsafe.Clean(text) {
		return ""
	}
	return "\n  " + text + "\n  " + strings.Repeat(" ", se.Pos) + "^"
}

// logEvent is one line of an --event file.
type logEvent struct {
	source  string
	line    int
	message string
}

func readEvents(stdin io.Reader, files []string) ([]logEvent, error) {
	var events []logEvent
	for _, name := range files {
		var r io.Reader
		source := name
		if name == "-" {
			r, source = stdin, "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 1024*1024) // CloudWatch Logs events are at most 1 MB
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSuffix(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			events = append(events, logEvent{source: source, line: n, message: line})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("no log events in %s: every line is blank", strings.Join(files, ", "))
	}
	return events, nil
}

func evaluateEvents(e *env, opts *patternOptions, p *pattern.Pattern, events []logEvent) error {
	out := eventsOutput{Pattern: p.Text(), Kind: kindToken(p.Kind()), Events: []eventResult{}}
	for _, ev := range events {
		v, why := p.Explain(ev.message)
		out.Events = append(out.Events, eventResult{Source: ev.source, Line: ev.line, Message: ev.message, Verdict: verdictToken(v), Why: nonNil(why)})
		out.Summary.Events++
		switch v {
		case pattern.Match:
			out.Summary.Match++
		case pattern.NoMatch:
			out.Summary.NoMatch++
		default:
			out.Summary.Indeterminate++
		}
	}
	if opts.output == "json" {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		renderEvents(e.stdout, e.palette(e.stdout), out)
	}
	if out.Summary.Match == out.Summary.Events {
		return nil
	}
	return withCode(exitFindings)
}

// JSON output: see docs/pattern.md; field names and tokens are stable.
type coverageOutput struct {
	Pattern        string        `json:"pattern"`
	Kind           string        `json:"kind"`
	Verdict        string        `json:"verdict"`
	Events         []eventOutput `json:"events"`
	FailedAttempts string        `json:"failed_attempts"`
	NonIAMCallers  string        `json:"non_iam_callers"`
	OverBroad      bool          `json:"over_broad"`
	MatchAll       bool          `json:"match_all"`
	StrictCIS      bool          `json:"strict_cis"`
	Indeterminate  []string      `json:"indeterminate"`
	Hints          []hintOutput  `json:"hints,omitempty"`
}

// hintOutput is a likely typo: Start and End are byte offsets in pattern.
type hintOutput struct {
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Message string `json:"message"`
}

type eventOutput struct {
	Event   string   `json:"event"`
	Verdict string   `json:"verdict"`
	Clause  string   `json:"clause,omitempty"`
	Missed  []string `json:"missed"`
}

type eventsOutput struct {
	Pattern string        `json:"pattern"`
	Kind    string        `json:"kind"`
	Events  []eventResult `json:"events"`
	Summary struct {
		Events        int `json:"events"`
		Match         int `json:"match"`
		NoMatch       int `json:"no_match"`
		Indeterminate int `json:"indeterminate"`
	} `json:"summary"`
}

type eventResult struct {
	Source  string   `json:"source"`
	Line    int      `json:"line"`
	Message string   `json:"message"`
	Verdict string   `json:"verdict"`
	Why     []string `json:"why"`
}

func coverageJSON(p *pattern.Pattern, cov *pattern.Coverage, hints []pattern.Hint) coverageOutput {
	out := coverageOutput{
		Pattern: cov.Pattern, Kind: kindToken(p.Kind()), Verdict: verdictToken(cov.Covers),
		FailedAttempts: verdictToken(cov.FailedAttempts), NonIAMCallers: verdictToken(cov.NonIAMCallers),
		OverBroad: cov.OverBroad, MatchAll: cov.MatchAll, StrictCIS: cov.StrictCIS, Indeterminate: nonNil(cov.Indeterminate),
	}
	for _, ec := range cov.Events {
		out.Events = append(out.Events, eventOutput{Event: ec.Event, Verdict: verdictToken(ec.Verdict), Clause: ec.Clause, Missed: nonNil(ec.Missed)})
	}
	for _, h := range hints {
		out.Hints = append(out.Hints, hintOutput{Start: h.Start, End: h.End, Message: h.Message})
	}
	return out
}

func verdictToken(v pattern.Verdict) string {
	switch v {
	case pattern.Match:
		return "match"
	case pattern.NoMatch:
		return "no_match"
	}
	return "indeterminate"
}

func kindToken(k pattern.Kind) string {
	switch k {
	case pattern.KindJSON:
		return "json"
	case pattern.KindDelimited:
		return "space_delimited"
	}
	return "terms"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON output: %w", err)
	}
	return nil
}

func renderCoverage(w io.Writer, pal style.Palette, p *pattern.Pattern, cov *pattern.Coverage, hints []pattern.Hint) {
	fmt.Fprintf(w, "%s %s\n", pal.Faint("pattern:"), termsafe.Escape(strings.TrimSpace(cov.Pattern)))
	fmt.Fprintf(w, "%s %s\n\n", pal.Faint("kind:   "), p.Kind())
	var missed []string
	for _, ec := range cov.Events {
		var status string
		switch ec.Verdict {
		case pattern.Match:
			status = pal.Good(fmt.Sprintf("%-13s", "caught"))
		case pattern.NoMatch:
			status = pal.Bad(fmt.Sprintf("%-13s", "missed"))
			missed = append(missed, ec.Event)
		default:
			status = pal.Warn(fmt.Sprintf("%-13s", "indeterminate"))
			missed = append(missed, ec.Event)
		}
		var detail string
		switch {
		case cov.MatchAll:
			detail = "the pattern matches every log event"
		case ec.Verdict == pattern.Match:
			detail = "by " + ec.Clause
		case ec.Verdict == pattern.Unknown && ec.Clause != "":
			detail = "by " + ec.Clause + ", which AWS may not match (see below)"
		case ec.Verdict == pattern.Unknown:
			detail = "undecided for some callers (see below)"
		case len(ec.Missed) < 4:
			detail = "not from: " + strings.Join(ec.Missed, ", ")
		default:
			detail = "no clause matches it"
		}
		fmt.Fprintf(w, "  %-13s %s %s\n", ec.Event, status, pal.Faint(termsafe.Escape(detail)))
	}
	renderHints(w, pal, hints)
	fmt.Fprintln(w)
	note := func(label, text string) { fmt.Fprintf(w, "%s %s\n", pal.Faint(fmt.Sprintf("%-16s", label)), text) }
	paint := func(v pattern.Verdict, yes, no, unknown string) string {
		switch v {
		case pattern.Match:
			return pal.Good(yes)
		case pattern.NoMatch:
			return pal.Bad(no)
		}
		return pal.Warn(unknown)
	}
	note("failed attempts", paint(cov.FailedAttempts, "caught (calls denied with errorCode match too)", "not all caught (some calls that fail, e.g. AccessDenied, do not match)", "indeterminate"))
	note("other callers", paint(cov.NonIAMCallers, "caught (root, role sessions, AWS services)", "not all caught (see the events above)", "indeterminate"))
	if cov.OverBroad {
		note("over-broad", pal.Warn("yes: also matches DescribeTrails or events of other services (still fine for the control)"))
	} else {
		note("over-broad", "no")
	}
	if cov.StrictCIS {
		note("strict CIS", pal.Good("yes: exactly the CIS pattern (Security Hub CloudWatch.5 accepts it)"))
	} else {
		note("strict CIS", "no: not exactly the five $.eventName disjuncts of the CIS pattern (matters only with check --strict)")
	}
	for _, r := range cov.Indeterminate {
		note("indeterminate", pal.Warn(termsafe.Escape(r)))
	}
	fmt.Fprintln(w)
	switch cov.Covers {
	case pattern.Match:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Good("catches all five CloudTrail configuration changes"))
	case pattern.NoMatch:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Bad("does not catch every change: "+strings.Join(missed, ", ")))
	default:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Warn("indeterminate: depends on behaviour AWS has not documented; verify with aws logs test-metric-filter"))
	}
}

func renderEvents(w io.Writer, pal style.Palette, out eventsOutput) {
	for _, ev := range out.Events {
		var status string
		switch ev.Verdict {
		case "match":
			status = pal.Good(fmt.Sprintf("%-13s", "match"))
		case "no_match":
			status = pal.Bad(fmt.Sprintf("%-13s", "no match"))
		default:
			status = pal.Warn(fmt.Sprintf("%-13s", "indeterminate"))
		}
		// Log lines and file names are untrusted: escaped after
		// shortening, so no escape sequence is cut in half.
		fmt.Fprintf(w, "%s %s %s\n", pal.Faint(termsafe.Escape(fmt.Sprintf("%s:%d", ev.Source, ev.Line))), status, termsafe.Escape(abbreviate(ev.Message, 100)))
		for _, why := range ev.Why {
			fmt.Fprintf(w, "    %s\n", pal.Warn(termsafe.Escape(why)))
		}
	}
	s := out.Summary
	fmt.Fprintf(w, "\n%s %d events: %d matched, %d did not, %d indeterminate\n", pal.Bold("verdict:"), s.Events, s.Match, s.NoMatch, s.Indeterminate)
}

// renderHints draws pattern.Diagnose's hints under the events, in 80
// columns.
func renderHints(w io.Writer, pal style.Palette, hints []pattern.Hint) {
	if len(hints) > 0 {
		fmt.Fprintln(w)
	}
	for _, h := range hints {
		for i, line := range wrapHint(termsafe.Escape(h.Message), 80-len("  hint: ")) {
			label := "  hint: "
			if i > 0 {
				label = "        "
			}
			fmt.Fprintf(w, "%s%s\n", pal.Warn(label), line)
		}
	}
}

// wrapHint breaks s at spaces into lines of at most width runes, keeping
// each comparison ("$.eventName = X") whole; a word longer than width stays
// whole on its own line.
func wrapHint(s string, width int) []string {
	const glue = "\x00"
	var lines []string
	line := ""
	for _, word := range strings.Fields(strings.ReplaceAll(s, " = ", glue+"="+glue)) {
		word = strings.ReplaceAll(word, glue, " ")
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

func abbreviate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
