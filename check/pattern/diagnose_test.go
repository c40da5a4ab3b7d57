package pattern

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/editdist"
)

// controlEvents stands for the caller's list: Diagnose knows no event
// names of its own.
var controlEvents = []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"}

func TestDiagnose(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		names         []string
		want          []string // each hint's message, in order
		span          string   // the first hint's span in the pattern
	}{
		{"the control's own pattern", `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`, controlEvents, nil, ""},
		{"one letter missing", `{ ($.eventName = StartLoging) || ($.eventName = StopLogging) }`, controlEvents,
			[]string{"StartLoging is not an event name the control watches; did you mean StartLogging?"}, "$.eventName = StartLoging"},
		{"two letters swapped", `{ $.eventName = "DeleteTrial" }`, controlEvents,
			[]string{"DeleteTrial is not an event name the control watches; did you mean DeleteTrail?"}, `$.eventName = "DeleteTrial"`},
		{"lower case is two edits", `{ $.eventName = stoplogging }`, controlEvents,
			[]string{"stoplogging is not an event name the control watches; did you mean StopLogging?"}, ""},
		{"a != with a typo", `{ $.eventName != CreateTrial }`, controlEvents,
			[]string{"CreateTrial is not an event name the control watches; did you mean CreateTrail?"}, ""},
		{"far from every name", `{ $.eventName = ConsoleLogin }`, controlEvents, nil, ""},
		{"a wildcard is not a typo", `{ $.eventName = StartLog* }`, controlEvents, nil, ""},
		{"the names come from the caller", `{ $.eventName = StartLoging }`, []string{"PutBucketPolicy"}, nil, ""},
		{"no names, no guesses", `{ $.eventName = StartLoging }`, nil, nil, ""},
		{"selector case", `{ $.eventname = CreateTrail }`, controlEvents,
			[]string{"selectors are case-sensitive: $.eventname selects nothing in a CloudTrail record; did you mean $.eventName?"}, "$.eventname = CreateTrail"},
		{"nested selector case", `{ $.UserIdentity.Type = Root }`, nil,
			[]string{"selectors are case-sensitive: $.UserIdentity.Type selects nothing in a CloudTrail record; did you mean $.userIdentity.type?"}, ""},
		{"request parameters are the service's own", `{ $.requestParameters.Name = x }`, nil, nil, ""},
		{"an unknown field is not a case slip", `{ $.eventnamez = x }`, nil, nil, ""},
		{"&& on one field", `{ ($.eventName = CreateTrail) && ($.eventName = DeleteTrail) }`, controlEvents,
			[]string{"a record has one eventName, so $.eventName = CreateTrail && $.eventName = DeleteTrail never matches; did you mean ||?"},
			"$.eventName = CreateTrail) && ($.eventName = DeleteTrail"},
		{"&& on another field", `{ $.errorCode = AccessDenied && $.errorCode = "NoSuchBucket" }`, nil,
			[]string{`a record has one value at $.errorCode, so $.errorCode = AccessDenied && $.errorCode = "NoSuchBucket" never matches; did you mean ||?`}, ""},
		{"&& inside ||", `{ ($.eventSource = cloudtrail.amazonaws.com && $.eventName = CreateTrail && $.eventName = UpdateTrail) || $.eventName = StopLogging }`, controlEvents,
			[]string{"a record has one eventName, so $.eventName = CreateTrail && $.eventName = UpdateTrail never matches; did you mean ||?"}, ""},
		{"&& on one field with the same value", `{ $.eventName = CreateTrail && $.eventName = CreateTrail }`, controlEvents, nil, ""},
		{"&& with a wildcard value", `{ $.eventName = Create* && $.eventName = CreateTrail }`, controlEvents, nil, ""},
		{"&& on an array element", `{ $.resources[0].type = a && $.resources[0].type = b }`, nil, nil, ""},
		{"&& with != is fine", `{ $.eventName = CreateTrail && $.eventName != DeleteTrail }`, controlEvents, nil, ""},
		{"&& on different fields", `{ $.eventName = CreateTrail && $.eventSource = cloudtrail.amazonaws.com }`, controlEvents, nil, ""},
		{"all three", `{ ($.eventname = CreateTrail) || ($.eventName = StartLoging && $.eventName = StopLogging) }`, controlEvents,
			[]string{
				"selectors are case-sensitive: $.eventname selects nothing in a CloudTrail record; did you mean $.eventName?",
				"a record has one eventName, so $.eventName = StartLoging && $.eventName = StopLogging never matches; did you mean ||?",
				"StartLoging is not an event name the control watches; did you mean StartLogging?",
			}, ""},
		{"terms patterns are not examined", `StartLoging`, controlEvents, nil, ""},
		{"a syntax error has no hints", `{ $.eventName = }`, controlEvents, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hints := Diagnose(tc.pattern, tc.names)
			var got []string
			for _, h := range hints {
				require.True(t, 0 <= h.Start && h.Start < h.End && h.End <= len(tc.pattern), "span %d..%d", h.Start, h.End)
				got = append(got, h.Message)
			}
			require.Equal(t, tc.want, got)
			if tc.span != "" {
				require.Equal(t, tc.span, tc.pattern[hints[0].Start:hints[0].End])
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"StartLogging", "StartLogging", 0},
		{"StartLoging", "StartLogging", 1},
		{"StartLgoging", "StartLogging", 1},
		{"stoplogging", "StopLogging", 2},
		{"CreateTrail", "DeleteTrail", 4},
		{"abc", "", 3},
		{"ConsoleLogin", "StopLogging", 8},
	} {
		require.Equal(t, tc.want, editdist.Distance(tc.a, tc.b), "%s %s", tc.a, tc.b)
		require.Equal(t, tc.want, editdist.Distance(tc.b, tc.a), "%s %s", tc.b, tc.a)
	}
}
