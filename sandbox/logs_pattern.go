package sandbox

import "github.com/trailwatch/trailwatch/check/pattern"

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
func logsTestMetricFilter(_ *state, c *call) (map[string]any, error) {
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
		if p.Eval(msg) != pattern.Match {
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
