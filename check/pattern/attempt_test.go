package pattern

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// CIS's console-auth-failures text catches every failed sign-in it must,
// but not one with an unknown user name: reported, not a miss.
func TestAnUnknownUserNameIsAReportedAttempt(t *testing.T) {
	c, ok := control.Lookup("console-auth-failures")
	require.True(t, ok)
	cov, err := AnalyzeFor(c, c.Pattern)
	require.NoError(t, err)
	require.Equal(t, Match, cov.Covers)
	require.Equal(t, NoMatch, cov.FailedAttempts)
	cov, err = AnalyzeFor(c, `{ ($.eventName = ConsoleLogin) && ($.responseElements.ConsoleLogin = "Failure") }`)
	require.NoError(t, err)
	require.Equal(t, Match, cov.FailedAttempts)
}
