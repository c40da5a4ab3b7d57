package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/style"
)

// Format is one way to write a check report.
type Format string

const (
	Text  Format = "text"
	JSON  Format = "json"
	CSV   Format = "csv"
	JUnit Format = "junit"
	OCSF  Format = "ocsf"
	ASFF  Format = "asff"
)

// Formats lists what --output and --output-file accept, in documentation order.
var Formats = []Format{Text, JSON, CSV, JUnit, OCSF, ASFF}

// ParseFormat accepts one of Formats.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q: want one of %s", s, strings.Join(names, ", "))
}

// Write renders rep in format f; p colours text only.
func Write(w io.Writer, f Format, rep check.Report, p style.Palette) error {
	switch f {
	case Text:
		return WriteText(w, rep, p)
	case JSON:
		return WriteJSON(w, rep)
	case CSV:
		return WriteCSV(w, rep)
	case JUnit:
		return WriteJUnit(w, rep)
	case OCSF:
		return WriteOCSF(w, rep)
	case ASFF:
		return WriteASFF(w, rep)
	}
	return fmt.Errorf("write report: unknown format %q", f)
}

// findingID is stable per account and control, so a re-run updates the
// finding a consumer already has instead of adding one.
func findingID(rep check.Report, r check.Result) string {
	subject := r.Account
	if subject == "" {
		subject = "profile/" + r.Profile
	}
	return fmt.Sprintf("%s/%s/%s", rep.Tool.Name, controlKey(rep, r), subject)
}

// generatorID is stable per control.
func generatorID(rep check.Report, r check.Result) string {
	return rep.Tool.Name + "/" + controlKey(rep, r)
}

// controlKey names r's control where findings are keyed: its Security Hub
// ID, or trailwatch's own ID for a control Security Hub lacks.
func controlKey(rep check.Report, r check.Result) string {
	if id := rep.ControlOf(r).SecurityHub; id != "" {
		return id
	}
	return r.ControlID
}

// requirements names the control in each CIS benchmark range, e.g.
// "CIS AWS Foundations Benchmark v1.3.0-v5.0.0/4.5".
func requirements(c check.Control) []string {
	out := make([]string, 0, len(c.CIS))
	for _, r := range c.CIS {
		versions := "v" + r.From
		switch {
		case r.To == "":
			versions += "+"
		case r.To != r.From:
			versions += "-v" + r.To
		}
		out = append(out, fmt.Sprintf("%s %s/%s", cisBenchmark, versions, r.ID))
	}
	return out
}

const cisBenchmark = "CIS AWS Foundations Benchmark"

// partition is the AWS partition of a region, for ARNs.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// clip shortens s to at most n characters (runes), ending with "…" when cut:
// the finding formats have length limits and AWS text has none.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// statusCode is the most specific code a result has: its reason, else its
// error code, else its status.
func statusCode(r check.Result) string {
	switch {
	case r.Reason != "":
		return string(r.Reason)
	case r.ErrorCode != "":
		return r.ErrorCode
	}
	return string(r.Status)
}

// viaText names the other account's resource whose chain decided a result
// ("" when its own chain did), e.g. "organization_trail
// arn:aws:cloudtrail:…:trail/org (account 111111111111)".
func viaText(r check.Result) string {
	if r.Via == nil {
		return ""
	}
	return fmt.Sprintf("%s %s (account %s)", r.Via.Kind, r.Via.ARN, r.Via.Account)
}
