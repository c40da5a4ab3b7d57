package pattern

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// vectorFile is the design's filter-pattern-vectors.json, copied so tests run
// on a fresh clone.
type vectorFile struct {
	Messages map[string]string `json:"messages"`
	Vectors  []vector          `json:"vectors"`
}

type vector struct {
	ID      string          `json:"id"`
	Pattern string          `json:"pattern"`
	Expect  json.RawMessage `json:"expect"` // {"MSG": "match"|"no_match"} or "invalid" / "unknown"
}

func loadVectors(tb testing.TB) vectorFile {
	tb.Helper()
	raw, err := os.ReadFile("testdata/filter-pattern-vectors.json")
	require.NoError(tb, err)
	var vf vectorFile
	require.NoError(tb, json.Unmarshal(raw, &vf))
	require.NotEmpty(tb, vf.Vectors)
	return vf
}

// unknownOn names, for each "unknown" vector, the message on which the
// unsettled construct decides the outcome.
var unknownOn = map[string]string{
	"D07": "CT_CREATE", // Cre*ail: a glob would match CreateTrail, a literal would not
	"D08": "CT_CREATE",
	"D09": "CT_CREATE",
	"D10": "CT_DELETE", // responseElements-free; eventName is not null either way, but the keyword's validity is unknown
	"D11": "CT_CREATE", // readOnly is the JSON boolean false
	"D12": "CT_CREATE", // recipientAccountId is the string "111122223333"
}

func TestVectors(t *testing.T) {
	vf := loadVectors(t)
	for _, v := range vf.Vectors {
		t.Run(v.ID, func(t *testing.T) {
			var word string
			if json.Unmarshal(v.Expect, &word) == nil {
				p, err := Parse(v.Pattern)
				switch word {
				case "invalid":
					require.Error(t, err, "pattern %q", v.Pattern)
					var se *SyntaxError
					require.ErrorAs(t, err, &se)
					require.GreaterOrEqual(t, se.Pos, 0)
					require.LessOrEqual(t, se.Pos, len(v.Pattern))
				case "unknown":
					require.NoError(t, err, "an unsettled construct must parse and evaluate to Unknown, not be rejected")
					msg, ok := unknownOn[v.ID]
					require.True(t, ok, "no message chosen for unknown vector %s", v.ID)
					require.Equal(t, Unknown, p.Eval(vf.Messages[msg]), "pattern %q on %s", v.Pattern, msg)
					for name, m := range vf.Messages {
						require.NotEqual(t, Match, p.Eval(m), "an unsettled construct decided a match on %s", name)
					}
				default:
					t.Fatalf("unexpected expectation %q", word)
				}
				return
			}
			var expect map[string]string
			require.NoError(t, json.Unmarshal(v.Expect, &expect))
			p, err := Parse(v.Pattern)
			require.NoError(t, err, "pattern %q", v.Pattern)
			names := make([]string, 0, len(expect))
			for name := range expect {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				msg, ok := vf.Messages[name]
				require.True(t, ok, "vector refers to unknown message %s", name)
				want := map[string]Verdict{"match": Match, "no_match": NoMatch}[expect[name]]
				require.Equal(t, want, p.Eval(msg), "pattern %q on %s", v.Pattern, name)
			}
		})
	}
}

// The generator must produce exactly the vectors' CloudTrail messages: that
// proves its shapes (key order, escaping, failure and console variants).
func TestSamplesMatchVectorMessages(t *testing.T) {
	vf := loadVectors(t)
	find := func(event, caller string, failed, control bool) string {
		for _, s := range Samples() {
			if s.Event == event && s.Caller == caller && s.Failed == failed && s.Control == control {
				return s.Message
			}
		}
		t.Fatalf("no sample %s by %s (failed=%v)", event, caller, failed)
		return ""
	}
	for name, want := range map[string]string{
		"CT_CREATE":       find("CreateTrail", CallerIAMUser, false, true),
		"CT_UPDATE":       find("UpdateTrail", CallerIAMUser, false, true),
		"CT_DELETE":       find("DeleteTrail", CallerIAMUser, false, true),
		"CT_START":        find("StartLogging", CallerIAMUser, false, true),
		"CT_STOP":         find("StopLogging", CallerIAMUser, false, true),
		"CT_STOP_FAILED":  find("StopLogging", CallerIAMUser, true, true),
		"CT_STOP_CONSOLE": find("StopLogging", CallerAssumedRole, false, true),
		"CT_DESCRIBE":     find("DescribeTrails", CallerIAMUser, false, false),
		"KMS_CREATEKEY":   find("CreateKey", CallerIAMUser, false, false),
	} {
		require.Equal(t, vf.Messages[name], want, name)
	}
}

func TestSamplesShape(t *testing.T) {
	all := Samples()
	for _, ev := range control.Default().Events {
		callers := map[string]bool{}
		for _, s := range all {
			if s.Event == ev && !s.Failed {
				callers[s.Caller] = true
			}
		}
		require.Equal(t, map[string]bool{CallerIAMUser: true, CallerRoot: true, CallerAssumedRole: true, CallerAWSService: true}, callers, ev)
	}
	for _, s := range all {
		require.True(t, s.doc.ok, "sample %s by %s is not a JSON object", s.Event, s.Caller)
		if (s.Caller == CallerAssumedRole || s.Caller == CallerRoot) && !s.Failed {
			require.NotContains(t, s.Message, " ", "console calls carry no space character")
		}
		if s.Failed {
			require.Contains(t, s.Message, `"errorCode":"AccessDenied","errorMessage":`)
			require.Contains(t, s.Message, `"responseElements":null`)
		}
	}
}
