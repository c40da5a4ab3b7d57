package pattern

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

func eventVerdicts(c *Coverage) map[string]Verdict {
	out := map[string]Verdict{}
	for _, e := range c.Events {
		out[e.Event] = e.Verdict
	}
	return out
}

func TestAnalyze(t *testing.T) {
	all := func(v Verdict) map[string]Verdict {
		return map[string]Verdict{"CreateTrail": v, "UpdateTrail": v, "DeleteTrail": v, "StartLogging": v, "StopLogging": v}
	}
	for _, tc := range []struct {
		name      string
		pattern   string
		covers    Verdict
		events    map[string]Verdict
		failed    Verdict
		others    Verdict
		overBroad bool
		strict    bool
		matchAll  bool
		reason    string
	}{
		{name: "CIS", pattern: cisPattern, covers: Match, events: all(Match), failed: Match, others: Match, strict: true},
		{name: "CIS no spaces", pattern: `{($.eventName=CreateTrail)||($.eventName=UpdateTrail)||($.eventName=DeleteTrail)||($.eventName=StartLogging)||($.eventName=StopLogging)}`,
			covers: Match, events: all(Match), failed: Match, others: Match, strict: true},
		{name: "CIS reordered quoted newlines", pattern: "{\n  $.eventName = \"StopLogging\" ||\n  ((($.eventName = \"CreateTrail\") || $.eventName = \"UpdateTrail\")) ||\n  $.eventName = \"StartLogging\" || $.eventName = \"DeleteTrail\"\n}",
			covers: Match, events: all(Match), failed: Match, others: Match, strict: true},
		{name: "CIS with a sixth disjunct is not strict", pattern: strings.Replace(cisPattern, " }", " || ($.eventName = GetTrailStatus) }", 1),
			covers: Match, events: all(Match), failed: Match, others: Match},
		{name: "CIS with a duplicate instead of an event", pattern: strings.Replace(cisPattern, "StopLogging", "StartLogging", 1),
			covers: NoMatch, events: map[string]Verdict{"StopLogging": NoMatch, "StartLogging": Match}, failed: Match, others: Match},
		{name: "CIS double equals", pattern: strings.ReplaceAll(cisPattern, " = ", " == "),
			covers: Unknown, events: all(Unknown), failed: Unknown, others: Unknown, reason: `"=="`},
		{name: "eventSource superset", pattern: `{ $.eventSource = cloudtrail.amazonaws.com }`,
			covers: Match, events: all(Match), failed: Match, others: Match, overBroad: true},
		{name: "eventSource qualified", pattern: `{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) }`,
			covers: Match, events: all(Match), failed: Match, others: Match},
		{name: "conjunction", pattern: `{ ($.eventName = CreateTrail) && ($.eventName = UpdateTrail) }`,
			covers: NoMatch, events: all(NoMatch), failed: NoMatch, others: NoMatch},
		{name: "StopLogging missing", pattern: `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }`,
			covers: NoMatch, events: map[string]Verdict{"CreateTrail": Match, "StopLogging": NoMatch}, failed: Match, others: Match},
		{name: "identity-restricted", pattern: `{ $.userIdentity.type = IAMUser && ($.eventName = CreateTrail || $.eventName = UpdateTrail || $.eventName = DeleteTrail || $.eventName = StartLogging || $.eventName = StopLogging) }`,
			covers: NoMatch, events: all(NoMatch), failed: NoMatch, others: NoMatch},
		{name: "successful calls only", pattern: `{ $.errorCode NOT EXISTS && $.eventSource = cloudtrail.amazonaws.com && $.readOnly IS FALSE }`,
			covers: Match, events: all(Match), failed: NoMatch, others: Match},
		{name: "mfa restricted", pattern: `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" && $.eventSource = cloudtrail.amazonaws.com }`,
			covers: NoMatch, events: all(NoMatch), failed: NoMatch, others: NoMatch, overBroad: true},
		{name: "middle wildcard never covers", pattern: `{ ($.eventName = Cre*ail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`,
			covers: Unknown, events: map[string]Verdict{"CreateTrail": Unknown, "StopLogging": Match}, failed: Unknown, others: Unknown, reason: `middle wildcard in "Cre*ail" is unsettled in AWS`},
		{name: "wildcards", pattern: `{ ($.eventName = *Trail) || ($.eventName = *Logging) }`,
			covers: Match, events: all(Match), failed: Match, others: Match},
		{name: "contains wildcard over-broad", pattern: `{ ($.eventName = *Trail*) || ($.eventName = *Logging) }`,
			covers: Match, events: all(Match), failed: Match, others: Match, overBroad: true},
		{name: "regex", pattern: `{ $.eventName = %^[CUD][a-z]+Trail$|Logging$% }`,
			covers: Match, events: all(Match), failed: Match, others: Match},
		{name: "optional terms", pattern: `?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging ?StopLogging`,
			covers: Match, events: all(Match), failed: Match, others: Match},
		{name: "optional terms ignored", pattern: `?CreateTrail ?StopLogging cloudtrail`,
			covers: Match, events: all(Match), failed: Match, others: Match, overBroad: true},
		{name: "term StopLogging", pattern: `StopLogging`, covers: NoMatch,
			events: map[string]Verdict{"StopLogging": Match, "CreateTrail": NoMatch}, failed: Match, others: Match},
		{name: "space match-all", pattern: `" "`, covers: Match, events: all(Match), failed: Match, others: Match, overBroad: true, matchAll: true},
		{name: "empty match-all", pattern: ``, covers: Match, events: all(Match), failed: Match, others: Match, overBroad: true, matchAll: true},
		{name: "space-delimited", pattern: `[version, identity]`, covers: NoMatch, events: all(NoMatch), failed: Match, others: NoMatch, overBroad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Analyze(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.pattern, c.Pattern)
			require.Len(t, c.Events, len(control.Default().Events))
			for i, e := range c.Events {
				require.Equal(t, control.Default().Events[i], e.Event)
			}
			require.Equal(t, tc.covers, c.Covers, "covers")
			got := eventVerdicts(c)
			for ev, want := range tc.events {
				require.Equal(t, want, got[ev], ev)
			}
			require.Equal(t, tc.failed, c.FailedAttempts, "failed attempts")
			require.Equal(t, tc.others, c.NonIAMCallers, "non-IAM callers")
			require.Equal(t, tc.overBroad, c.OverBroad, "over-broad")
			require.Equal(t, tc.strict, c.StrictCIS, "strict CIS")
			require.Equal(t, tc.matchAll, c.MatchAll, "match-all")
			if tc.reason != "" {
				require.Contains(t, strings.Join(c.Indeterminate, "\n"), tc.reason)
			} else {
				require.Empty(t, c.Indeterminate)
			}
		})
	}
}

func TestAnalyzeClausesAndMisses(t *testing.T) {
	c, err := Analyze(cisPattern)
	require.NoError(t, err)
	for _, e := range c.Events {
		require.Equal(t, "$.eventName = "+e.Event, e.Clause)
		require.Empty(t, e.Missed)
	}

	c, err = Analyze(`{ $.userIdentity.type = IAMUser && $.eventName = StopLogging || $.eventName = *Trail }`)
	require.NoError(t, err)
	stop := c.Events[4]
	require.Equal(t, NoMatch, stop.Verdict)
	require.Equal(t, "$.userIdentity.type = IAMUser && $.eventName = StopLogging", stop.Clause)
	require.Equal(t, []string{CallerRoot, CallerAssumedRole, CallerAWSService}, stop.Missed)
	require.Equal(t, "$.eventName = *Trail", c.Events[0].Clause)
	require.Equal(t, NoMatch, c.Events[3].Verdict)
	require.Empty(t, c.Events[3].Clause)
	require.Len(t, c.Events[3].Missed, 4)
}

func TestAnalyzeInvalid(t *testing.T) {
	c, err := Analyze(`{ $.eventName = CreateTrail`)
	require.Nil(t, c)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 27, se.Pos)
}
