package awsenv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckRegionShape(t *testing.T) {
	for _, ok := range []string{"us-east-1", "eu-central-2", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "eusc-de-east-1", "us-east-9"} {
		require.NoError(t, CheckRegionShape(ok), ok)
	}
	for name, want := range map[string]string{
		"foo":        "not a region name",
		"US-EAST-1":  "lower case, e.g. us-east-1",
		"us-east-1 ": "not a region name",
		"us_east_1":  "not a region name",
		"us-east":    "not a region name",
		"-east-1":    "not a region name",
	} {
		err := CheckRegionShape(name)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), want)
	}
}

// A well-formed but unknown region is refused unless some endpoint setting
// sends the requests elsewhere, as the SDK would resolve it.
func TestCheckKnownRegion(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		env          map[string]string
		allowed      bool
	}{
		{"no endpoint", "[default]\n", nil, false},
		{"AWS_ENDPOINT_URL", "[default]\n", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, true},
		{"AWS_ENDPOINT_URL_STS", "[default]\n", map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566"}, true},
		{"AWS_ENDPOINT_URL_KMS", "[default]\n", map[string]string{"AWS_ENDPOINT_URL_KMS": "http://127.0.0.1:4566"}, true},
		{"endpoint_url in the profile", "[default]\nendpoint_url = http://127.0.0.1:4566\n", nil, true},
		{"a services section", "[default]\nservices = local\n[services local]\ncloudtrail =\n  endpoint_url = http://127.0.0.1:4566\n", nil, true},
		{"endpoints ignored", "[default]\nendpoint_url = http://127.0.0.1:4566\n", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t, tc.config, "[default]\naws_access_key_id = A\naws_secret_access_key = S\n")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(context.Background(), "", "us-east-9", Overrides{})
			require.NoError(t, err)
			require.NoError(t, CheckKnownRegion(context.Background(), cfg, "eu-west-1"), "a known region is always fine")
			err = CheckKnownRegion(context.Background(), cfg, "us-east-9")
			if tc.allowed {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, `region "us-east-9" is not an AWS region`)
			}
		})
	}
}
