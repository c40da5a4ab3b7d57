package check

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWithCommands(t *testing.T) {
	notLogging := []TrailEvidence{{Name: "audit trail", HomeRegion: "eu-west-1", Account: "111111111111", Failed: TrailNotLogging}}
	for name, tc := range map[string]struct {
		r    Result
		want string
	}{
		"start-logging in the trail's home region, names quoted": {
			Result{Account: "111111111111", Profile: "ops", Region: "us-east-1", Status: Fail, Reason: TrailNotLogging, Trails: notLogging},
			"start logging on the trail: aws cloudtrail start-logging --name 'audit trail' --region eu-west-1 --profile ops",
		},
		"default credentials: no --profile": {
			Result{Account: "111111111111", Region: "us-east-1", Status: Fail, Reason: TrailNotLogging, Trails: notLogging},
			"start logging on the trail: aws cloudtrail start-logging --name 'audit trail' --region eu-west-1",
		},
		"an org member: whose credentials": {
			Result{Account: "222222222222", Profile: "mgmt", Region: "us-east-1", RoleARN: "arn:aws:iam::222222222222:role/Audit", Status: Fail, Reason: NoCloudWatchLogs,
				Remediation: remediation[NoCloudWatchLogs]},
			remediation[NoCloudWatchLogs],
		},
		"trailwatch fix with the profile and region": {
			Result{Account: "111111111111", Profile: "it's", Region: "us-east-1", Status: Fail, Reason: NoAlarm, Remediation: remediation[NoAlarm]},
			"create an alarm on the filter's metric, namespace and dimensions (trailwatch fix --region us-east-1 --profile 'it'\\''s')",
		},
		"a PASS is left alone": {
			Result{Profile: "ops", Status: Pass, Remediation: "none needed"}, "none needed",
		},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, withCommands(tc.r))
		})
	}
	member := withCommands(Result{Account: "222222222222", RoleARN: "arn:aws:iam::222222222222:role/Audit", Region: "us-east-1", Status: Fail, Reason: TrailNotLogging, Trails: notLogging})
	require.Equal(t, "start logging on the trail: aws cloudtrail start-logging --name 'audit trail' --region eu-west-1 (with credentials for account 222222222222, e.g. through role arn:aws:iam::222222222222:role/Audit)", member)
}
