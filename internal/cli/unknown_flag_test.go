package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// Every command, including ones added later, must turn a flag mistake into
// exit 2 with the flag named on stderr, not help on stdout and exit 3.
func TestUnknownFlagIsUsageErrorForEveryCommand(t *testing.T) {
	var paths [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := append(append([]string{}, prefix...), c.Name)
			paths = append(paths, path)
			walk(path, c.Subcommands)
		}
	}
	e, out, errOut := testEnv()
	walk(nil, newApp(e).Commands)
	require.NotEmpty(t, paths)

	for _, path := range paths {
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			out.Reset()
			errOut.Reset()
			args := append(append([]string{"trailwatch"}, path...), "--no-such-flag")
			code := runApp(context.Background(), e, args)
			require.Equal(t, exitUsage, code, "stderr: %s", errOut.String())
			require.Contains(t, errOut.String(), "trailwatch: --no-such-flag: unknown flag; see trailwatch "+strings.Join(path, " ")+" --help\n",
				"two dashes, as typed, and where the flags are listed")
			require.Empty(t, out.String(), "a usage error prints no help or report on stdout")
		})
	}
}
