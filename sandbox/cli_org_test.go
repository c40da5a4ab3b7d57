package sandbox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The AWS CLI's own paginator walks the sandbox's Organizations pages to
// the end and reads its OUs. (CLI 2.9's model predates the accounts' State
// field, so it drops it; the SDK tests check State.)
func TestAWSCLIOrganizationsListing(t *testing.T) {
	t.Parallel()
	_, endpoint := serveSandbox(t, "org")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	accounts := aws.ok("organizations", "list-accounts", "--page-size", "5")["Accounts"].([]any)
	require.Len(t, accounts, OrgDefaultMembers+1, "every page followed")
	ids := map[string]bool{}
	for _, a := range accounts {
		ids[a.(map[string]any)["Id"].(string)] = true
	}
	require.Len(t, ids, OrgDefaultMembers+1, "each account once")

	ous := aws.ok("organizations", "list-organizational-units-for-parent", "--parent-id", "ou-sb01-workloads")["OrganizationalUnits"].([]any)
	require.Len(t, ous, 2, "Prod and Dev")
	aws.fails("ParentNotFoundException", "organizations", "list-accounts-for-parent", "--parent-id", "ou-sb01-nosuchou")
	aws.fails("InvalidInputException", "organizations", "list-roots", "--max-items", "1", "--page-size", "21")
}
