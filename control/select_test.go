package control

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelect(t *testing.T) {
	every := ids(All())
	for name, tc := range map[string]struct {
		values    []string
		benchmark string
		want      []string
		unknown   string
	}{
		"nothing selects nothing":          {values: nil, want: nil},
		"a registry ID":                    {values: []string{"root-usage"}, want: []string{"root-usage"}},
		"a Security Hub ID, any case":      {values: []string{"cloudwatch.5"}, want: []string{"cloudtrail-changes"}},
		"CloudWatch.14":                    {values: []string{"CloudWatch.14"}, want: []string{"vpc-changes"}},
		"a CIS v1.3–v5.0 number":           {values: []string{"4.15"}, want: []string{"organizations-changes"}},
		"4.1 is unauthorized API calls":    {values: []string{"4.1"}, want: []string{"unauthorized-api-calls"}},
		"comma-separated, registry order":  {values: []string{"4.5,CloudWatch.1", "iam-policy-changes"}, want: []string{"root-usage", "iam-policy-changes", "cloudtrail-changes"}},
		"repeats count once":               {values: []string{"4.5", "cloudtrail-changes", "CloudWatch.5"}, want: []string{"cloudtrail-changes"}},
		"all":                              {values: []string{"all"}, want: every},
		"all of a standard":                {values: []string{"all"}, benchmark: "securityhub-cis-1.4", want: ids(mustBenchmark(t, "securityhub-cis-1.4").Controls)},
		"a standard's own numbers":         {values: []string{"3.5"}, benchmark: "cis-1.2", want: []string{"cloudtrail-changes"}},
		"CIS v6 numbers under cis-6.0":     {values: []string{"5.3"}, benchmark: "cis-6.0", want: []string{"root-usage"}},
		"a CIS v1.2 number alone is not":   {values: []string{"3.5"}, unknown: "3.5"},
		"a typo":                           {values: []string{"cloudtrail-chagnes"}, unknown: "cloudtrail-chagnes"},
		"4.16 is not of this shape":        {values: []string{"4.16"}, unknown: "4.16"},
		"CloudWatch.15 is another control": {values: []string{"CloudWatch.15"}, unknown: "CloudWatch.15"},
		"a control the standard lacks":     {values: []string{"CloudWatch.2"}, benchmark: "securityhub-cis-1.4", unknown: "CloudWatch.2"},
	} {
		t.Run(name, func(t *testing.T) {
			var std Standard
			if tc.benchmark != "" {
				std = mustBenchmark(t, tc.benchmark)
			}
			got, err := Select(tc.values, std)
			if tc.unknown != "" {
				var u *UnknownError
				require.True(t, errors.As(err, &u), "%v", err)
				require.Equal(t, tc.unknown, u.Value)
				require.NotEmpty(t, u.Names)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ids(got))
		})
	}
}

func mustBenchmark(t *testing.T, name string) Standard {
	t.Helper()
	s, err := Benchmark(name)
	require.NoError(t, err)
	return s
}

func TestBenchmark(t *testing.T) {
	for name, tc := range map[string]struct {
		n       int
		first   string // the first control's number in the standard
		without string // a control the standard lacks
		unknown bool
	}{
		"cis-1.2":             {n: 14, first: "3.1", without: "organizations-changes"},
		"cis-1.4":             {n: 15, first: "4.1"},
		"CIS-5.0":             {n: 15, first: "4.1"},
		"cis-5.0.0":           {n: 15, first: "4.1"},
		"cis-6.0":             {n: 15, first: "5.1"},
		"securityhub":         {n: 14, first: "CloudWatch.2", without: "organizations-changes"},
		"securityhub-cis-1.4": {n: 12, first: "CloudWatch.1", without: "console-signin-without-mfa"},
		"securityhub-cis-5.0": {unknown: true},
		"cis-7.0":             {unknown: true},
		"nist":                {unknown: true},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Benchmark(name)
			if tc.unknown {
				var u *UnknownError
				require.True(t, errors.As(err, &u), "%v", err)
				require.Contains(t, u.Names, "cis-5.0")
				return
			}
			require.NoError(t, err)
			require.Len(t, s.Controls, tc.n)
			require.Equal(t, tc.first, s.Number(s.Controls[0]))
			for _, c := range s.Controls {
				require.NotEmpty(t, s.Number(c), c.ID)
				require.NotEqual(t, tc.without, c.ID)
			}
		})
	}
}

// Root usage has two numbers in CIS v1.2 and v1.4; the Monitoring one is
// the one a standard shows.
func TestNumberInPrefersMonitoring(t *testing.T) {
	root, ok := Lookup("root-usage")
	require.True(t, ok)
	require.Equal(t, "3.3", root.NumberIn("1.2.0"))
	require.Equal(t, "4.3", root.NumberIn("1.4.0"))
	require.Equal(t, "5.3", root.NumberIn("6.0.0"))
	org, _ := Lookup("organizations-changes")
	require.Empty(t, org.NumberIn("1.2.0"))
}
