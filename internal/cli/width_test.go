package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/wrap"
	"github.com/trailwatch/trailwatch/sandbox"
)

// at80 is a test env whose stdout is a terminal 80 columns wide, as far
// as wrapping goes (colour stays off: it is still a buffer).
func at80(e *env) *env {
	e.width = func(io.Writer) int { return 80 }
	return e
}

// requireWrappedAt checks what a terminal of width cols shows: no row is
// wider, unless it holds a single value too long for any row; and no word
// of the unwrapped text was split or lost.
func requireWrappedAt(t *testing.T, cols int, wrapped, unwrapped string) {
	t.Helper()
	for _, row := range strings.Split(wrapped, "\n") {
		if wrap.Width(row) > cols {
			require.Len(t, strings.Fields(row), 1, "only a single long value may be wider than %d columns: %q", cols, row)
		}
	}
	require.Equal(t, strings.Fields(unwrapped), strings.Fields(wrapped), "every word whole, in order")
}

// check's text report, plan's diff and blocked explanations, fix's applied
// list and summary at 80 columns: wrapped at word boundaries, ARNs whole.
// The same commands without a terminal are unchanged (their own goldens).
func TestTextWrapsAt80Columns(t *testing.T) {
	run := func(t *testing.T, width bool, args ...string) string {
		t.Helper()
		e, out, errOut := testEnv()
		if width {
			e = at80(e)
		}
		code := runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
		require.NotEqual(t, exitUsage, code, errOut.String())
		return out.String()
	}
	for _, tc := range []struct {
		name, scenario, golden string
		args                   []string
	}{
		{"check", "no-alarm", "check-80.golden", []string{"check"}},
		{"plan blocked, with a topic suggestion", "no-alarm", "plan-blocked-80.golden", []string{"plan"}},
		{"plan diff", "no-alarm", "plan-diff-80.golden", []string{"plan", "--notify", testQueue}},
		{"fix applied list", "no-alarm", "fix-applied-80.golden", []string{"fix", "--yes", "--notify", testQueue}},
		{"check remediation, trail not logging", "trail-not-logging", "remediation-trail-not-logging-80.golden", []string{"check"}},
		{"check remediation, no multi-region trail", "no-multi-region-trail", "remediation-no-multi-region-trail-80.golden", []string{"check"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startFixSandbox(t, tc.scenario)
			args := tc.args
			if args[0] == "fix" {
				args = append(args, "--journal", filepath.Join(t.TempDir(), "j.jsonl"))
			}
			got := run(t, true, args...)
			// Subscription ARNs end in an ID the sandbox makes up.
			got = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`).ReplaceAllString(got, "ID")
			requireGolden(t, filepath.Join("testdata", tc.golden), got)
			if args[0] != "fix" {
				requireWrappedAt(t, 80, got, run(t, false, args...))
			}
		})
	}
}

// The demo's narration and every step's report wrap at 80 columns too.
func TestDemoWrapsAt80Columns(t *testing.T) {
	hostileAWSEnvironment(t)
	srv, err := sandbox.New(sandbox.Options{Scenario: "demo"})
	require.NoError(t, err)
	e, out, errOut := demoEnv()
	require.NoError(t, runDemo(context.Background(), at80(e), srv), errOut.String())
	requireGolden(t, filepath.Join("testdata", "demo-80.golden"), maskDemo(out.String()))

	srv, err = sandbox.New(sandbox.Options{Scenario: "demo"})
	require.NoError(t, err)
	e, plain, errOut := demoEnv()
	require.NoError(t, runDemo(context.Background(), e, srv), errOut.String())
	requireWrappedAt(t, 80, maskDemo(out.String()), maskDemo(plain.String()))
}

// pattern's typo hints at 80 columns: wrapped at word boundaries, each name
// whole; without a terminal they stay one line each (pattern-*.golden).
func TestPatternHintsWrapAt80Columns(t *testing.T) {
	for _, tc := range []struct{ golden, pattern string }{
		{"pattern-typo-event-80.golden", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLoging) || ($.eventName = StopLogging) }`},
		{"pattern-and-80.golden", `{ ($.eventName = CreateTrail) && ($.eventName = UpdateTrail) }`},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			run := func(e *env) string {
				out := e.stdout.(*bytes.Buffer)
				require.Equal(t, exitFindings, runApp(context.Background(), e, []string{"trailwatch", "pattern", tc.pattern}))
				return out.String()
			}
			e, _, _ := testEnv()
			got := run(at80(e))
			plain, _, _ := testEnv()
			requireGolden(t, filepath.Join("testdata", tc.golden), got)
			requireWrappedAt(t, 80, got, run(plain))
			require.Contains(t, got, "hint:")
		})
	}
}
