package plan

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/iampolicy"
)

// TestPlanPolicyMatchesCode holds docs/iam/plan-policy.json to exactly the
// reads plan makes beyond check's read-only policy.
func TestPlanPolicyMatchesCode(t *testing.T) {
	called := iampolicy.Called(reflect.TypeFor[LogsReader](), reflect.TypeFor[AlarmReader](),
		reflect.TypeFor[TopicReader](), reflect.TypeFor[RoleReader](), reflect.TypeFor[TopicLister](), reflect.TypeFor[KeyReader]())
	checkPolicy, err := iampolicy.Actions("../docs/iam/check-policy.json")
	require.NoError(t, err)
	granted, err := iampolicy.Actions("../docs/iam/plan-policy.json")
	require.NoError(t, err)
	require.Equal(t, iampolicy.Without(called, checkPolicy), granted)
}
