package sandbox

import (
	"fmt"

	"github.com/trailwatch/trailwatch/check/pattern"
)

// The CloudWatch Logs operations that need the filter-pattern language use
// the project's own engine, so the sandbox accepts and matches what check
// understands.

const logsMaxTestMessages = 50

func init() {
	register("logs", "TestMetricFilter", logsTestMetricFilter)
}

// invalidPattern is the message AWS gives for a malformed pattern
// (docs/filter-patterns.md).
func invalidPattern() *apiError {
	return logsInvalid("Invalid metric filter pattern")
}

// checkFilterPattern validates a metric filter's pattern. AWS accepts
// dimensions only where the pattern extracts fields (JSON and
// space-delimited patterns); term patterns have nothing to name.
func checkFilterPattern(text string, dimensions bool) *apiError {
	p, err := pattern.Parse(text)
	if err != nil {
		return invalidPattern()
	}
	if dimensions && p.Kind() == pattern.KindTerms {
		return logsInvalid("The specified filter pattern does not support dimensions")
	}
	return nil
}

// logsTestMetricFilter evaluates the pattern with the project's engine. An
// Unknown verdict (a construct whose AWS behaviour is unsettled, see
// docs/filter-patterns.md) is reported as no match: the sandbox must never
// claim a match that AWS might not make.
func logsTestMetricFilter(st *state, c *call) (map[string]any, error) {
	text := c.str("filterPattern")
	if err := checkPatternLength(text); err != nil {
		return nil, err
	}
	msgs := c.strings("logEventMessages")
	if len(msgs) < 1 || len(msgs) > logsMaxTestMessages {
		return nil, logsConstraint(len(msgs), "logEventMessages", "Member must have length between 1 and 50")
	}
	p, err := pattern.Parse(text)
	if err != nil {
		return nil, invalidPattern()
	}
	matches := []any{}
	for i, msg := range msgs {
		if !testMatches(st.TestMetricFilterAnswer, p, msg) {
			continue
		}
		matches = append(matches, map[string]any{
			"eventNumber":     int64(i + 1),
			"eventMessage":    msg,
			"extractedValues": stringMap{},
		})
	}
	return map[string]any{"matches": matches}, nil
}

// testMatches is the TestMetricFilter verdict on one message, unless the
// state's override says how to answer instead (to show a disagreement).
func testMatches(override string, p *pattern.Pattern, msg string) bool {
	switch override {
	case "none":
		return false
	case "all":
		return true
	}
	return p.Eval(msg) == pattern.Match
}

// SetTestMetricFilterAnswer makes logs:TestMetricFilter answer "none" (no
// event matches) or "all" (every event matches) whatever the pattern, or
// evaluate it again (""), so a test can make AWS's engine disagree.
func (s *Server) SetTestMetricFilterAnswer(answer string) error {
	if err := checkTestAnswer(answer); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.TestMetricFilterAnswer = answer
	return nil
}

// checkTestAnswer validates a TestMetricFilter override, set by a test or
// loaded from a state file.
func checkTestAnswer(answer string) error {
	switch answer {
	case "", "none", "all":
		return nil
	}
	return fmt.Errorf("testMetricFilterAnswer %q: want \"\", \"none\" or \"all\"", answer)
}
