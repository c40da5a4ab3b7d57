package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/drill"
)

// Trails found from another region than their log group's (--region
// eu-west-1, a multi-region trail delivering to us-east-1): every stage is
// read where its resource is, so the filter's datapoint is found in the
// log group's region and the drill delivers.
func TestDrillFromAnotherRegion(t *testing.T) {
	startDrillSandbox(t, "compliant", "")
	code, rep := drillJSON(t, "--timeout", "5s", "--region", "eu-west-1")
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	require.Equal(t, "eu-west-1", r.Region)
	require.Equal(t, drill.Delivered, r.Outcome, "%+v", r.Stages)
	require.Equal(t, exitOK, code)
}
