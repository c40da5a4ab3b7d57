package shell

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"prod":                  "prod",
		"us-east-1":             "us-east-1",
		"ops team":              "'ops team'",
		"it's":                  `'it'\''s'`,
		"":                      "''",
		"$(rm -rf ~)":           "'$(rm -rf ~)'",
		"arn:aws:iam::1:role/x": "arn:aws:iam::1:role/x",
	} {
		require.Equal(t, want, Quote(in), in)
	}
	// What the shell makes of it is the word itself.
	for _, in := range []string{"ops team", "it's", "$(echo no)", "a\"b`c`"} {
		out, err := exec.Command("sh", "-c", "printf %s "+Quote(in)).Output()
		require.NoError(t, err)
		require.Equal(t, in, string(out))
	}
}
