package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// unknownCommand is a mistyped command or help topic: a usage error, with
// the nearest command when one is close enough to be what was meant.
func unknownCommand(kind, name string, app *cli.App) error {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	hint := "see trailwatch --help"
	if s := nearest(name, names); s != "" {
		hint = fmt.Sprintf("did you mean %q? (see trailwatch --help)", s)
	}
	return usageError("unknown %s %q: %s", kind, name, hint)
}

// nearest is the candidate within a small edit distance of s (a third of
// its length, at least 1), or one s is a prefix of; "" when none is.
func nearest(s string, candidates []string) string {
	best, bestDist := "", max(1, len(s)/3)+1
	for _, c := range candidates {
		d := distance(strings.ToLower(s), strings.ToLower(c))
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(s)) && s != "" {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, so
// "chekc" is one step from "check".
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, slices.Clone(prev2)
	}
	return prev[len(rb)]
}

// helpCommand is `trailwatch help [COMMAND]`; an unknown topic is a usage
// error like an unknown command.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the commands, or one command's help",
		ArgsUsage: "[COMMAND]",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			switch c.NArg() {
			case 0:
				return cli.ShowAppHelp(c)
			case 1:
				name := c.Args().First()
				for _, cmd := range c.App.Commands {
					if cmd.HasName(name) && !cmd.Hidden {
						// The app's context, whose commands the topic is among.
						return cli.ShowCommandHelp(c.Lineage()[1], name)
					}
				}
				return unknownCommand("help topic", name, c.App)
			}
			return usageError("help takes at most one command, got %q", c.Args().Slice())
		},
	}
}
