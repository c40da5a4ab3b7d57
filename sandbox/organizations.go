package sandbox

// Organizations (JSON 1.1): enough for a member account to learn it is one.

func init() {
	register("organizations", "DescribeOrganization", orgDescribeOrganization)
}

func orgDescribeOrganization(st *state, c *call) (map[string]any, error) {
	o := st.orgOf(c.Account)
	if o == nil {
		return nil, badRequest("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	return map[string]any{"Organization": map[string]any{
		"Id":                 o.ID,
		"Arn":                "arn:aws:organizations::" + o.ManagementAccount + ":organization/" + o.ID,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   "arn:aws:organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + o.ManagementAccount,
		"MasterAccountId":    o.ManagementAccount,
		"MasterAccountEmail": "management@" + o.ID + ".sandbox.invalid",
		"AvailablePolicyTypes": []any{
			map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
		},
	}}, nil
}
