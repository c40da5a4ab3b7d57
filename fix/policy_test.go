package fix_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/iampolicy"
)

// impliedActions are permissions AWS checks beyond the called action: tags
// sent with a create need the service's tagging action, and handing the
// delivery role to CloudTrail needs iam:PassRole.
var impliedActions = map[string]string{
	"sns:TagResource":        "sns:CreateTopic with Tags",
	"logs:TagResource":       "logs:CreateLogGroup with tags",
	"iam:TagRole":            "iam:CreateRole with Tags",
	"cloudwatch:TagResource": "cloudwatch:PutMetricAlarm with Tags",
	"iam:PassRole":           "cloudtrail:UpdateTrail with CloudWatchLogsRoleArn",
}

// TestFixPolicyMatchesCode holds docs/iam/fix-policy.json to exactly the
// writes fix can make, beyond check's read-only policy.
func TestFixPolicyMatchesCode(t *testing.T) {
	called := iampolicy.Called(reflect.TypeFor[fix.TopicWriter](), reflect.TypeFor[fix.LogsWriter](),
		reflect.TypeFor[fix.AlarmWriter](), reflect.TypeFor[fix.RoleWriter](), reflect.TypeFor[fix.TrailWriter]())
	checkPolicy, err := iampolicy.Actions("../docs/iam/check-policy.json")
	require.NoError(t, err)
	want := iampolicy.Without(called, checkPolicy)
	for action := range impliedActions {
		want = append(want, action)
	}
	slices.Sort(want)

	granted, err := iampolicy.Actions("../docs/iam/fix-policy.json")
	require.NoError(t, err)
	require.Equal(t, want, granted)

	// Writers hands out exactly those interfaces and nothing else.
	w := reflect.TypeFor[fix.Writers]()
	for i := range w.NumField() {
		f := w.Field(i).Type
		if f.Kind() == reflect.Func {
			f = f.Out(0)
		}
		require.Contains(t, []string{"TopicWriter", "LogsWriter", "AlarmWriter", "RoleWriter", "TrailWriter"}, f.Name(), "Writers.%s", w.Field(i).Name)
	}
}
