package control

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AllName selects every registered control (or every control of the
// standard) in a --control list.
const AllName = "all"

// UnknownError is a --control or --benchmark value that names nothing;
// Names are the values that would have been accepted, for a did-you-mean.
type UnknownError struct {
	Kind  string // "control" or "benchmark"
	Value string
	Names []string
	// Why replaces "unknown" when the value is known but selects nothing.
	Why string
}

func (e *UnknownError) Error() string {
	if e.Why != "" {
		return fmt.Sprintf("%s %q: %s", e.Kind, e.Value, e.Why)
	}
	return fmt.Sprintf("unknown %s %q", e.Kind, e.Value)
}

// Select resolves --control values (each may be a comma-separated list) to
// controls in registry order, each once. A value is a registry ID
// ("cloudtrail-changes"), a Security Hub ID ("CloudWatch.5", any case), a
// CIS number in the v1.3–v5.0 numbering ("4.5"), or "all". With a standard
// (std.Name != ""), its own numbers are accepted too and every control must
// be in it. No values selects nothing (nil, nil).
func Select(values []string, std Standard) ([]Control, error) {
	all := All()
	picked := map[string]bool{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if strings.EqualFold(name, AllName) {
				pool := all
				if std.Name != "" {
					pool = std.Controls
				}
				for _, c := range pool {
					picked[c.ID] = true
				}
				continue
			}
			c, ok := lookupName(name, all, std)
			if !ok {
				return nil, &UnknownError{Kind: "control", Value: name, Names: Names(std)}
			}
			if std.Name != "" && !slices.ContainsFunc(std.Controls, func(s Control) bool { return s.ID == c.ID }) {
				return nil, &UnknownError{Kind: "control", Value: name, Names: Names(std), Why: "not in " + std.Title}
			}
			picked[c.ID] = true
		}
	}
	var out []Control
	for _, c := range all {
		if picked[c.ID] {
			out = append(out, c)
		}
	}
	return out, nil
}

// lookupName finds the control a --control value names.
func lookupName(name string, all []Control, std Standard) (Control, bool) {
	for _, c := range all {
		switch {
		case c.ID == strings.ToLower(name),
			c.SecurityHub != "" && strings.EqualFold(c.SecurityHub, name),
			c.NumberIn("5.0.0") == name && strings.HasPrefix(name, "4."),
			std.Name != "" && std.Number(c) == name:
			return c, true
		}
	}
	return Control{}, false
}

// Names are the values Select accepts (besides comma lists), for
// suggestions: "all", the registry IDs, the Security Hub IDs, the CIS
// v1.3–v5.0 numbers and, with a standard, its numbers.
func Names(std Standard) []string {
	names := []string{AllName}
	for _, c := range All() {
		names = append(names, c.ID)
		if c.SecurityHub != "" {
			names = append(names, c.SecurityHub)
		}
		if n := c.NumberIn("5.0.0"); strings.HasPrefix(n, "4.") {
			names = append(names, n)
		}
		if std.Name != "" {
			if n := std.Number(c); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

// NumberIn is the control's Monitoring-section number in CIS benchmark
// version v ("1.4.0"), "" when that version lacks the control. Where a
// version gives a control two numbers (root-usage is also 1.1 or 1.7), the
// Monitoring one is given.
func (c Control) NumberIn(v string) string {
	out := ""
	for _, n := range c.CIS {
		if versionLE(n.From, v) && (n.To == "" || versionLE(v, n.To)) {
			out = n.ID // the Monitoring number is listed last
		}
	}
	return out
}

// versionLE compares dotted versions numerically: a <= b.
func versionLE(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		x, y := 0, 0
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return true
}

// Standard is a published standard version: the controls it carries and
// how it numbers them.
type Standard struct {
	// Name is the --benchmark value ("cis-5.0", "securityhub"); empty for
	// no standard.
	Name  string
	Title string
	// Controls are the standard's controls, in registry order.
	Controls []Control
	// cis is the CIS version it numbers by ("5.0.0"); empty for Security
	// Hub's own numbering (CloudWatch.N).
	cis string
}

// Number is c's ID in the standard: "4.5" in CIS v5.0, "CloudWatch.5" in
// Security Hub; "" for no standard or a control it lacks.
func (s Standard) Number(c Control) string {
	switch {
	case s.Name == "":
		return ""
	case s.cis == "":
		return c.SecurityHub
	}
	return c.NumberIn(s.cis)
}

// cisVersions are the CIS AWS Foundations Benchmark versions whose
// Monitoring section trailwatch maps.
var cisVersions = []string{"1.2", "1.3", "1.4", "1.5", "2.0", "3.0", "4.0", "5.0", "6.0"}

// securityHubCIS1_4 are the monitoring controls of Security Hub's CIS v1.4.0
// standard: it dropped CloudWatch.2 and .3.
var securityHubCIS1_4 = []string{"CloudWatch.1", "CloudWatch.4", "CloudWatch.5", "CloudWatch.6", "CloudWatch.7", "CloudWatch.8",
	"CloudWatch.9", "CloudWatch.10", "CloudWatch.11", "CloudWatch.12", "CloudWatch.13", "CloudWatch.14"}

// BenchmarkNames are the values Benchmark accepts.
func BenchmarkNames() []string {
	var out []string
	for _, v := range cisVersions {
		out = append(out, "cis-"+v)
	}
	return append(out, "securityhub", "securityhub-cis-1.2", "securityhub-cis-1.4", "securityhub-cis-3.0", "securityhub-cis-5.0")
}

// Benchmark resolves a --benchmark value: "cis-1.2" … "cis-6.0" (CIS's own
// numbering, every control that version has), "securityhub" (Security
// Hub's CloudWatch.1–14, as its CIS v1.2 standard, "securityhub-cis-1.2",
// carries them) and "securityhub-cis-1.4" (CloudWatch.1 and .4–.14).
// Security Hub's CIS v3.0 and v5.0 standards carry none of these controls:
// an error says to use CIS's own version.
func Benchmark(name string) (Standard, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	all := All()
	switch n {
	case "securityhub", "security-hub", "securityhub-cis-1.2":
		s := Standard{Name: n, Title: "Security Hub (CIS v1.2.0 standard)"}
		for _, c := range all {
			if c.SecurityHub != "" {
				s.Controls = append(s.Controls, c)
			}
		}
		return s, nil
	case "securityhub-cis-1.4":
		s := Standard{Name: n, Title: "Security Hub (CIS v1.4.0 standard)"}
		for _, c := range all {
			if slices.Contains(securityHubCIS1_4, c.SecurityHub) {
				s.Controls = append(s.Controls, c)
			}
		}
		return s, nil
	case "securityhub-cis-3.0", "securityhub-cis-5.0":
		return Standard{}, &UnknownError{Kind: "benchmark", Value: name, Names: BenchmarkNames(),
			Why: "Security Hub's standard carries none of the monitoring controls; choose cis-" + strings.TrimPrefix(n, "securityhub-cis-") + " for CIS's own"}
	}
	v := strings.TrimPrefix(strings.TrimPrefix(n, "cis-"), "v")
	if strings.Count(v, ".") == 2 {
		v = v[:strings.LastIndex(v, ".")]
	}
	if !strings.HasPrefix(n, "cis-") || !slices.Contains(cisVersions, v) {
		return Standard{}, &UnknownError{Kind: "benchmark", Value: name, Names: BenchmarkNames()}
	}
	s := Standard{Name: "cis-" + v, Title: "CIS AWS Foundations Benchmark v" + v + ".0", cis: v + ".0"}
	for _, c := range all {
		if c.NumberIn(s.cis) != "" {
			s.Controls = append(s.Controls, c)
		}
	}
	return s, nil
}
