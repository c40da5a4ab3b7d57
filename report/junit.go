package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// The JUnit XML elements, as CI servers read them (Jenkins, GitLab, the Ant
// schema): one testsuite for the control, one testcase per account.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes one test suite per control and in it one test case per
// account (AWS text escaped as for a terminal, where CI logs end up): FAIL is a failure whose type
// is the reason, ERROR an error whose type is the error code (or ERROR),
// MANUAL a skipped case, since only a person can decide it.
func WriteJUnit(w io.Writer, rep check.Report) error {
	doc := junitSuites{Name: rep.Tool.Name + " check", Time: "0"}
	for _, part := range byControl(rep) {
		suite := junitSuiteOf(rep, part)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// caseName is the account with its profiles, what a CI page lists.
func caseName(r check.Result) string {
	name := termsafe.Escape(r.Account)
	if name == "" {
		name = "unidentified account"
	}
	if len(r.Profiles) > 0 {
		name += " (" + termsafe.Escape(strings.Join(r.Profiles, ", ")) + ")"
	}
	return name
}

// problemText is the body of a failure or error: the verdict, the chain link
// by link and the remediation.
func problemText(r check.Result) string {
	var b strings.Builder
	head := string(r.Status)
	if code := statusCode(r); code != head {
		head += " " + code
	}
	fmt.Fprintf(&b, "%s\n%s\n", head, termsafe.Escape(r.Message))
	for _, l := range Chain(r) {
		line := fmt.Sprintf("  [%s] %s", l.State, l.Title)
		if name := nonBlank(l.ARN, l.Name); name != "" {
			line += " " + termsafe.Escape(name)
		}
		fmt.Fprintln(&b, line)
	}
	fmt.Fprintf(&b, "remediation: %s\n", termsafe.Escape(r.Remediation))
	return b.String()
}

// controlResults are one control's results in a report.
type controlResults struct {
	key     string // controlKey
	control check.Control
	results []check.Result
}

// byControl splits the report's results by control, in the controls' order;
// a report of one control is one part.
func byControl(rep check.Report) []controlResults {
	if !rep.Multi() {
		var c check.Control
		key := ""
		if len(rep.Results) > 0 {
			c, key = rep.ControlOf(rep.Results[0]), controlKey(rep, rep.Results[0])
		} else if rep.Control != nil {
			c, key = *rep.Control, rep.Control.SecurityHub
		}
		return []controlResults{{key: key, control: c, results: rep.Results}}
	}
	var out []controlResults
	for _, rc := range rep.Controls {
		part := controlResults{key: nonBlank(rc.SecurityHub, rc.ID), control: rc.Control}
		for _, r := range rep.Results {
			if r.ControlID == rc.ID {
				part.results = append(part.results, r)
			}
		}
		out = append(out, part)
	}
	return out
}

// junitSuiteOf is one control's suite: a case per account.
func junitSuiteOf(rep check.Report, part controlResults) junitSuite {
	classname := rep.Tool.Name + "." + part.key
	suite := junitSuite{
		Name:      strings.TrimSpace(part.control.SecurityHub + " " + part.control.Title),
		Package:   rep.Tool.Name,
		Time:      "0",
		Timestamp: rep.CheckedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"tool", rep.Tool.Name}, {"tool_version", rep.Tool.Version},
			{"control", part.key}, {"cis", strings.Join(requirements(part.control), "; ")},
			{"checked_at", rep.CheckedAt.Format(time.RFC3339)},
		},
		Cases: make([]junitCase, 0, len(part.results)),
	}
	for _, r := range part.results {
		c := junitCase{Name: caseName(r), Classname: classname, Time: "0"}
		detail := problemText(r)
		switch r.Status {
		case check.Fail:
			c.Failure = &junitProblem{Message: termsafe.Escape(r.Message), Type: termsafe.Escape(string(r.Reason)), Text: detail}
			suite.Failures++
		case check.Error:
			typ := r.ErrorCode
			if typ == "" {
				typ = string(check.Error)
			}
			c.Error = &junitProblem{Message: termsafe.Escape(r.Message), Type: typ, Text: detail}
			suite.Errors++
		case check.Manual:
			c.Skipped = &junitSkipped{Message: "MANUAL: " + termsafe.Escape(r.Message)}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	return suite
}
