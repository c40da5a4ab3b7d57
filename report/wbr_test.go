package report

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBreakable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"PASS", "PASS"},
		{"FAIL NO_ALARM", "FAIL NO_<wbr>ALARM"},
		{"arn:aws:logs:us-east-1:1:log-group:g/x", "arn:<wbr>aws:<wbr>logs:<wbr>us-east-1:<wbr>1:<wbr>log-group:<wbr>g/<wbr>x"},
		{"<b>&\"'", "&lt;b&gt;&amp;&#34;&#39;"},
		{"a</script>", "a&lt;/<wbr>script&gt;"},
	} {
		require.Equal(t, tc.want, string(breakable(tc.in)), tc.in)
	}
}
