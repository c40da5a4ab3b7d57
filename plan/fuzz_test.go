package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/style"
)

// FuzzPlanParse mutates valid plan files (the golden plans) and holds the loader
// to one promise: a plan it accepts is applied exactly as it is shown. For
// every accepted change, the block the diff draws for it lists every member
// its decoded request sends, and a block drawn exactly as one of a golden
// plan's is the same request as that one: an edit can change what is sent
// only by changing what is shown.
func FuzzPlanParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, seeds)
	shown := map[string]string{} // a golden change's block → its request's view, as JSON
	for _, path := range seeds {
		raw, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(raw)
		p, err := Parse(bytes.NewReader(raw))
		require.NoError(f, err, path)
		for _, a := range p.Accounts {
			for _, c := range a.Changes {
				block, sent := drawn(f, a.Account, c)
				shown[block] = sent
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, a := range p.Accounts {
			for _, c := range a.Changes {
				block, sent := drawn(t, a.Account, c)
				if want, ok := shown[block]; ok {
					require.Equal(t, want, sent, "the same diff must mean the same request:\n%s", block)
				}
				in, err := c.Input()
				require.NoError(t, err)
				for k, v := range View(in) {
					require.True(t, slices.ContainsFunc(strings.Split(block, "\n"), func(l string) bool {
						return strings.HasPrefix(l, k+" = ") && strings.HasSuffix(l, value(v))
					}), "every member sent is shown: %s = %s in\n%s", k, value(v), block)
				}
				require.Equal(t, jsonText(c.After), jsonText(View(in)), "the file's after is the request's")
			}
		}
	})
}

// drawn renders one change and returns its block (alignment removed, so
// a member is found as "Name = value") and the JSON of what it sends.
func drawn(t testing.TB, account string, c Change) (block, sent string) {
	t.Helper()
	var b strings.Builder
	renderChange(&b, account, c, style.Plain())
	in, err := c.Input()
	require.NoError(t, err)
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		if k, v, ok := strings.Cut(l, " = "); ok {
			lines[i] = strings.TrimSpace(k) + " = " + v
		}
	}
	return strings.Join(lines, "\n"), c.Operation + " in " + c.Region + ": " + jsonText(View(in))
}
