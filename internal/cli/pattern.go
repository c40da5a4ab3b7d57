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
	// control is the control explained; chosen is false when --control
	// was not given (the default control, explained as before).
	control control.Control
	chosen  bool
}

func patternCommand(e *env) *cli.Command {
	opts := &patternOptions{}
	return &cli.Command{
		Name:      "pattern",
		Usage:     "explain which of a control's events a CloudWatch Logs filter pattern catches (default: the five CloudTrail configuration changes)",
		ArgsUsage: "PATTERN",
		Description: "Evaluates the pattern offline against realistic CloudTrail records of the events the\n" +
			"control must catch (" + control.Default().EventList() + ",\n" +
			"from IAM users, root, role sessions and AWS services),\n" +
			"or, with --event, against your own log events, one per line, like the console's Test pattern box.\n" +
			"--control explains the pattern for another control (docs/controls.md lists them).\n" +
			"Put flags before the pattern; use -- before a pattern that starts with '-'. See docs/pattern.md.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "event", Usage: "evaluate the log events in `FILE` (one per line, - for stdin) instead; repeatable"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "`FORMAT` of the result: text or json", Destination: &opts.output},
			controlFlags()[0],
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("pattern takes exactly one argument, the filter pattern (quote it; flags go before it), got %d", c.NArg())
			}
			opts.pattern = c.Args().First()
			opts.events = c.StringSlice("event")
			opts.control, opts.chosen = control.Default(), c.IsSet("control")
			if opts.chosen {
				sel, err := controlsFromContext(c)
				if err != nil {
					return err
				}
				if len(sel.controls) != 1 {
					return usageError("--control: pattern explains one control, got %d", len(sel.controls))
				}
				opts.control = sel.controls[0]
			}
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
	cov := p.AnalyzeFor(opts.control)
	if opts.output == "json" {
		if err := writeJSON(e.stdout, coverageJSON(p, cov, opts)); err != nil {
			return err
		}
	} else {
		pal := e.palette(e.stdout)
		_ = e.render(e.stdout, func(w io.Writer) error { renderCoverage(w, pal, p, cov, opts); return nil })
	}
	if cov.Covers == pattern.Match && !cov.TooBroad {
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
		pal := e.palette(e.stdout)
		_ = e.render(e.stdout, func(w io.Writer) error { renderEvents(w, pal, out); return nil })
	}
	if out.Summary.Match == out.Summary.Events {
		return nil
	}
	return withCode(exitFindings)
}

// JSON output: see docs/pattern.md; field names and tokens are stable.
type coverageOutput struct {
	Pattern string `json:"pattern"`
	Kind    string `json:"kind"`
	// Control is the control explained, when --control chose it.
	Control        string        `json:"control,omitempty"`
	Verdict        string        `json:"verdict"`
	Events         []eventOutput `json:"events"`
	FailedAttempts string        `json:"failed_attempts"`
	NonIAMCallers  string        `json:"non_iam_callers"`
	OverBroad      bool          `json:"over_broad"`
	MatchAll       bool          `json:"match_all"`
	StrictCIS      bool          `json:"strict_cis"`
	// Strict: the text is one prescribed for the control (what Security
	// Hub and check --strict accept), whitespace aside.
	Strict bool `json:"strict"`
	// Background names the background activity a too-broad pattern matches.
	Background    []string `json:"background,omitempty"`
	Indeterminate []string `json:"indeterminate"`
	// Hints are likely typos (pattern.Diagnose).
	Hints []hintOutput `json:"hints,omitempty"`
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

func coverageJSON(p *pattern.Pattern, cov *pattern.Coverage, opts *patternOptions) coverageOutput {
	verdict := verdictToken(cov.Covers)
	if cov.TooBroad && cov.Covers != pattern.NoMatch {
		verdict = "too_broad"
	}
	out := coverageOutput{
		Pattern: cov.Pattern, Kind: kindToken(p.Kind()), Verdict: verdict, Strict: cov.Exact, Background: cov.Background,
		FailedAttempts: verdictToken(cov.FailedAttempts), NonIAMCallers: verdictToken(cov.NonIAMCallers),
		OverBroad: cov.OverBroad, MatchAll: cov.MatchAll, StrictCIS: cov.StrictCIS, Indeterminate: nonNil(cov.Indeterminate),
	}
	if opts.chosen {
		out.Control = opts.control.ID
	}
	for _, ec := range cov.Events {
		out.Events = append(out.Events, eventOutput{Event: ec.Event, Verdict: verdictToken(ec.Verdict), Clause: ec.Clause, Missed: nonNil(ec.Missed)})
	}
	for _, h := range pattern.Diagnose(opts.pattern, opts.control.Events) {
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

func renderCoverage(w io.Writer, pal style.Palette, p *pattern.Pattern, cov *pattern.Coverage, opts *patternOptions) {
	ctrl := opts.control
	fmt.Fprintf(w, "%s %s\n", pal.Faint("pattern:"), termsafe.Escape(strings.TrimSpace(cov.Pattern)))
	fmt.Fprintf(w, "%s %s\n", pal.Faint("kind:   "), p.Kind())
	if opts.chosen {
		fmt.Fprintf(w, "%s %s (%s)\n", pal.Faint("control:"), ctrl.ID, ctrl.Title)
	}
	fmt.Fprintln(w)
	missed := renderEventLines(w, pal, cov)
	renderHints(w, pal, pattern.Diagnose(opts.pattern, ctrl.Events))
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
	switch {
	case cov.OverBroad && opts.chosen:
		note("over-broad", pal.Warn("yes: also counts "+strings.Join(cov.Noise, ", ")+" (noise: a change still notifies)"))
	case cov.OverBroad:
		note("over-broad", pal.Warn("yes: also matches DescribeTrails or events of other services (still fine for the control)"))
	default:
		note("over-broad", "no")
	}
	if cov.TooBroad {
		note("too broad", pal.Bad("yes: matches background activity every account makes ("+pattern.FewOf(cov.Background, 3)+"), so its alarm would never stop firing"))
	}
	note(strictNote(pal, cov, opts))
	for _, r := range cov.Indeterminate {
		note("indeterminate", pal.Warn(termsafe.Escape(r)))
	}
	fmt.Fprintln(w)
	what := "all five CloudTrail configuration changes"
	if opts.chosen {
		what = fmt.Sprintf("every event of %s (%d)", ctrl.ID, len(cov.Events))
	}
	switch {
	case cov.TooBroad && cov.Covers != pattern.NoMatch:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Bad("too broad: it counts background activity, so its alarm never rests and a change tells nobody"))
	case cov.Covers == pattern.Match:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Good("catches "+what))
	case cov.Covers == pattern.NoMatch:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Bad("does not catch every change: "+strings.Join(missed, ", ")))
	default:
		fmt.Fprintf(w, "%s %s\n", pal.Bold("verdict:"), pal.Warn("indeterminate: depends on behaviour AWS has not documented; verify with aws logs test-metric-filter"))
	}
}

// renderEventLines writes one line per event of the control and returns
// those not caught.
func renderEventLines(w io.Writer, pal style.Palette, cov *pattern.Coverage) (missed []string) {
	width := 13
	for _, ec := range cov.Events {
		width = max(width, len(ec.Event))
	}
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
		fmt.Fprintf(w, "  %-*s %s %s\n", width, ec.Event, status, pal.Faint(termsafe.Escape(detail)))
	}
	return missed
}

// strictNote is the label and text of the note on the pattern's exactness.
func strictNote(pal style.Palette, cov *pattern.Coverage, opts *patternOptions) (string, string) {
	ctrl := opts.control
	shub := ctrl.SecurityHub
	if shub == "" {
		shub = "none: CIS's latest text is the reference"
	}
	switch {
	case !opts.chosen && cov.Exact:
		return "strict CIS", pal.Good("yes: exactly the CIS pattern (Security Hub CloudWatch.5 accepts it)")
	case !opts.chosen && cov.StrictCIS:
		return "strict CIS", "no: the CIS pattern's clauses, but not its text (Security Hub and check --strict compare the text, whitespace aside)"
	case !opts.chosen:
		return "strict CIS", "no: not exactly the five $.eventName disjuncts of the CIS pattern (matters only with check --strict)"
	case cov.Exact:
		return "strict", pal.Good("yes: a prescribed text, whitespace aside (Security Hub: " + shub + ")")
	default:
		return "strict", "no: not a prescribed text; Security Hub (" + shub + ") and check --strict compare the text, whitespace aside"
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

func abbreviate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// renderHints draws pattern.Diagnose's hints under the events.
func renderHints(w io.Writer, pal style.Palette, hints []pattern.Hint) {
	if len(hints) > 0 {
		fmt.Fprintln(w)
	}
	for _, h := range hints {
		fmt.Fprintf(w, "%s%s\n", pal.Warn("  hint: "), termsafe.Escape(h.Message))
	}
}
