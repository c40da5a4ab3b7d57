//go:build linux

package cli

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
)

// At the notify prompt the account's alert topic is offered; picking it
// plans the account with it as --topic-arn does (no new topic), draws that
// plan and asks about it; y reaches PASS.
func TestFixAtTerminalPicksAnOfferedTopic(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80)
	r.waitFor("or the number of one of these:\n    1  ")
	r.waitFor("a topic of this account with a confirmed subscriber")
	r.answer("notify> ", "1"+keyEnter)
	r.waitFor("→ topic arn:aws:sns:")
	r.answer("Apply 1 change to account", "y")
	code, out := r.wait()

	require.Equal(t, exitOK, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Equal(t, []string{"monitoring:PutMetricAlarm"}, writeCalls(srv), "the user's topic notified, none created")
	require.Regexp(t, regexp.MustCompile(`AlarmActions\s+=\s+\["arn:aws:sns:us-east-1:\d+:security-alerts"\]`), r.text())
	_, rep := checkJSON(t)
	require.Equal(t, check.Pass, rep.Results[0].Status)
}
