package drill_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/drill"
	"github.com/trailwatch/trailwatch/internal/iampolicy"
)

// TestDrillPolicyMatchesCode holds docs/iam/drill-policy.json to exactly
// the calls a drill can make, beyond check's read-only policy (which a
// drill also needs): the interfaces it calls through, and the controls'
// triggers as the registry lists them.
func TestDrillPolicyMatchesCode(t *testing.T) {
	called := iampolicy.Called(reflect.TypeFor[drill.TrailAPI](), reflect.TypeFor[drill.EC2API](),
		reflect.TypeFor[drill.LogsAPI](), reflect.TypeFor[drill.MetricsAPI](), reflect.TypeFor[drill.TopicsAPI]())
	checkPolicy, err := iampolicy.Actions("../../docs/iam/check-policy.json")
	require.NoError(t, err)
	called = iampolicy.Without(called, checkPolicy)
	// Tags sent with an EC2 create are authorized as ec2:CreateTags.
	called = append(called, "ec2:CreateTags")
	slices.Sort(called)
	granted, err := iampolicy.Actions("../../docs/iam/drill-policy.json")
	require.NoError(t, err)
	require.Equal(t, called, granted)

	// Every trigger's calls are granted, and every granted write is some
	// trigger's. (Its reads beyond check's follow the change.)
	var triggers []string
	for _, c := range control.All() {
		if c.Drillable() {
			triggers = append(triggers, c.Drill.Calls...)
			triggers = append(triggers, c.Drill.Reads...)
		}
	}
	for _, a := range triggers {
		require.Contains(t, granted, a)
	}
	for _, a := range called {
		switch a {
		case "ec2:CreateTags", "cloudwatch:DescribeAlarmHistory", "cloudwatch:GetMetricData", "logs:FilterLogEvents":
			continue
		}
		require.Contains(t, triggers, a, "%s is called but no control's trigger lists it", a)
	}
}
