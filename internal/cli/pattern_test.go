package cli

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

const cisPattern = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

type cliResult struct {
	code           int
	stdout, stderr string
}

func runPattern(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	e, stdout, stderr := testEnv()
	e.stdin = strings.NewReader(stdin)
	e.getenv = func(string) string { return "" }
	code := runApp(context.Background(), e, append([]string{"trailwatch", "pattern"}, args...))
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "pattern-"+name+".golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestPatternCommand -update to create it")
	require.Equal(t, string(want), got)
}

func TestPatternCommand(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		code    int
		lines   []string
	}{
		{"cis", cisPattern, exitOK, []string{
			"  CreateTrail   caught        by $.eventName = CreateTrail",
			"  StopLogging   caught        by $.eventName = StopLogging",
			"strict CIS       yes",
			"verdict: catches all five CloudTrail configuration changes",
		}},
		{"reordered-quoted", `{($.eventName="StopLogging")||($.eventName="StartLogging")||($.eventName="DeleteTrail")||($.eventName="UpdateTrail")||($.eventName="CreateTrail")}`, exitOK, []string{
			`  CreateTrail   caught        by $.eventName="CreateTrail"`,
			"strict CIS       no: the CIS pattern's clauses, but not its text",
			"verdict: catches all five",
		}},
		{"event-source", `{ $.eventSource = cloudtrail.amazonaws.com }`, exitOK, []string{
			"  DeleteTrail   caught        by $.eventSource = cloudtrail.amazonaws.com",
			"over-broad       yes",
			"strict CIS       no",
			"verdict: catches all five",
		}},
		{"and", `{ ($.eventName = CreateTrail) && ($.eventName = UpdateTrail) }`, exitFindings, []string{
			"  CreateTrail   missed        no clause matches it",
			"  hint: a record has one eventName, so $.eventName = CreateTrail && $.eventName = UpdateTrail never matches; did you mean ||?",
			"verdict: does not catch every change: CreateTrail, UpdateTrail, DeleteTrail, StartLogging, StopLogging",
		}},
		{"typo-event", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLoging) || ($.eventName = StopLogging) }`, exitFindings, []string{
			"  StartLogging  missed        no clause matches it",
			"  hint: StartLoging is not an event name the control watches; did you mean StartLogging?",
		}},
		{"selector-case", `{ $.eventname = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = StartLogging || $.eventName = StopLogging }`, exitFindings, []string{
			"  CreateTrail   missed        no clause matches it",
			"  hint: selectors are case-sensitive: $.eventname selects nothing in a CloudTrail record; did you mean $.eventName?",
		}},
		{"missing-stop", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`, exitFindings, []string{
			"  StartLogging  caught",
			"  StopLogging   missed",
			"verdict: does not catch every change: StopLogging",
		}},
		{"identity", `{ $.userIdentity.type = IAMUser && $.eventSource = cloudtrail.amazonaws.com }`, exitFindings, []string{
			"  CreateTrail   missed        not from: root user, assumed-role caller, AWS service caller",
			"other callers    not all caught",
		}},
		{"middle-wildcard", `{ $.eventName = Cre*ail || $.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = *Logging }`, exitFindings, []string{
			"  CreateTrail   indeterminate by $.eventName = Cre*ail",
			`indeterminate    middle wildcard in "Cre*ail" is unsettled in AWS`,
			"verdict: indeterminate",
		}},
		{"match-all", `" "`, exitFindings, []string{
			"  CreateTrail   caught        the pattern matches every log event",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runPattern(t, "", tc.pattern)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stderr)
			for _, l := range tc.lines {
				require.Contains(t, r.stdout, l)
			}
			golden(t, tc.name, r.stdout)
		})
	}
}

func TestPatternCommandInvalid(t *testing.T) {
	r := runPattern(t, "", "{ $.eventName EXISTS }")
	require.Equal(t, exitUsage, r.code)
	require.Empty(t, r.stdout)
	require.Equal(t, "trailwatch: invalid filter pattern: at position 14: expected a comparison operator after \"$.eventName\", found \"EXISTS\"\n"+
		"  { $.eventName EXISTS }\n"+
		"                ^\n", r.stderr)

	r = runPattern(t, "", "eventName:StopLogging")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "Invalid character(s) in term ':'")
}

func TestPatternCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"missing pattern", nil, "trailwatch: pattern takes exactly one argument"},
		{"two patterns", []string{"a", "b"}, "got 2"},
		{"bad output", []string{"--output", "yaml", "x"}, `trailwatch: --output "yaml": want text or json`},
		{"unknown flag", []string{"--nope", "x"}, "trailwatch: "},
		{"unreadable file", []string{"--event", filepath.Join(t.TempDir(), "absent.log"), "x"}, "trailwatch: read log events: open "},
		{"blank input", []string{"--event", "-", "x"}, "trailwatch: read log events: no log events in -"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runPattern(t, "\n  \n", tc.args...)
			require.Equal(t, exitUsage, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.stderr)
		})
	}
}

func TestPatternCommandEvents(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "events.log")
	require.NoError(t, os.WriteFile(file, []byte(`{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com"}`+"\n\n"+
		`{"eventName":"DescribeTrails","eventSource":"cloudtrail.amazonaws.com"}`+"\r\n"), 0o644))

	r := runPattern(t, "", "--event", file, "{ $.eventName = StopLogging }")
	require.Equal(t, exitFindings, r.code, r.stderr)
	require.Contains(t, r.stdout, file+":1 match ")
	require.Contains(t, r.stdout, file+":3 no match ")
	require.Contains(t, r.stdout, "verdict: 2 events: 1 matched, 1 did not, 0 indeterminate")

	r = runPattern(t, `{"eventName":"StopLogging"}`+"\n", "--event", "-", "{ $.eventName = StopLogging }")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "stdin:1 match ")

	r = runPattern(t, `{"eventName":"CreateTrail"}`+"\n", "--event", "-", "{ $.eventName = Cre*ail }")
	require.Equal(t, exitFindings, r.code)
	require.Contains(t, r.stdout, "stdin:1 indeterminate")
	require.Contains(t, r.stdout, `middle wildcard in "Cre*ail"`)

	r = runPattern(t, "plain text line\n", "--event", "-", "--event", file, "--output", "json", "cloudtrail")
	require.Equal(t, exitFindings, r.code, r.stderr)
	var out struct {
		Pattern string `json:"pattern"`
		Kind    string `json:"kind"`
		Events  []struct {
			Source  string   `json:"source"`
			Line    int      `json:"line"`
			Message string   `json:"message"`
			Verdict string   `json:"verdict"`
			Why     []string `json:"why"`
		} `json:"events"`
		Summary map[string]int `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, "cloudtrail", out.Pattern)
	require.Equal(t, "terms", out.Kind)
	require.Len(t, out.Events, 3)
	require.Equal(t, "stdin", out.Events[0].Source)
	require.Equal(t, "no_match", out.Events[0].Verdict)
	require.Equal(t, 3, out.Events[2].Line)
	require.Equal(t, "match", out.Events[2].Verdict)
	require.Equal(t, map[string]int{"events": 3, "match": 2, "no_match": 1, "indeterminate": 0}, out.Summary)
}

func TestPatternCommandJSON(t *testing.T) {
	r := runPattern(t, "", "--output", "json", `{ $.userIdentity.type = IAMUser && $.eventName = *Trail }`)
	require.Equal(t, exitFindings, r.code, r.stderr)
	var out coverageOutput
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, "json", out.Kind)
	require.Equal(t, "no_match", out.Verdict)
	require.Len(t, out.Events, 5)
	require.Equal(t, "CreateTrail", out.Events[0].Event)
	require.Equal(t, "no_match", out.Events[0].Verdict)
	require.Equal(t, []string{"root user", "assumed-role caller", "AWS service caller"}, out.Events[0].Missed)
	require.Equal(t, "$.userIdentity.type = IAMUser && $.eventName = *Trail", out.Events[0].Clause)
	require.Equal(t, "no_match", out.Events[3].Verdict)
	require.Empty(t, out.Events[3].Clause)
	require.Equal(t, "no_match", out.NonIAMCallers)
	require.False(t, out.StrictCIS)

	r = runPattern(t, "", "-o", "json", cisPattern)
	require.Equal(t, exitOK, r.code)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Equal(t, "match", out.Verdict)
	require.True(t, out.StrictCIS)
	require.Equal(t, []string{}, out.Indeterminate)
	require.NotContains(t, r.stdout, `"hints"`, "a pattern without likely typos has no hints field")
	golden(t, "cis-json", r.stdout)

	typo := `{ $.eventName = StopLoging }`
	r = runPattern(t, "", "-o", "json", typo)
	require.Equal(t, exitFindings, r.code)
	out = coverageOutput{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	require.Len(t, out.Hints, 1)
	require.Equal(t, "StopLoging", typo[out.Hints[0].Start+len("$.eventName = "):out.Hints[0].End])
	require.Contains(t, out.Hints[0].Message, "did you mean StopLogging?")
}

func TestPatternCommandExclusionAfterDoubleDash(t *testing.T) {
	r := runPattern(t, "", "--", "-StopLogging")
	require.Equal(t, exitFindings, r.code, r.stderr)
	require.Contains(t, r.stdout, "  CreateTrail   caught        by -StopLogging")
	require.Contains(t, r.stdout, "verdict: does not catch every change: StopLogging")
}
