package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/internal/editdist"
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

// Go's flag package words its errors with one dash ("flag provided but not
// defined: -profiel"); flagUsageError rewords the three it produces.
var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	flagNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	invalidValue  = regexp.MustCompile(`^invalid value "(.*)" for flag -+([^:]*): (.*)$`)
)

// flagUsageError turns a flag the command does not have into
// "--profiel: unknown flag; did you mean --profile?", and the flag
// package's other errors into the same "--flag VALUE: why" form.
func flagUsageError(command string, flags []cli.Flag) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		msg := err.Error()
		if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
			var names []string
			for _, f := range flags {
				names = append(names, f.Names()...)
			}
			hint := "see " + command + " --help"
			// One letter is too little to guess from.
			if s := nearest(m[1], names); s != "" && len(m[1]) > 1 {
				hint = "did you mean " + dashed(s) + "?"
			}
			return usageError("%s: unknown flag; %s", dashed(m[1]), hint)
		}
		if m := flagNeedsArg.FindStringSubmatch(msg); m != nil {
			return usageError("%s: needs a value", dashed(m[1]))
		}
		if m := invalidValue.FindStringSubmatch(msg); m != nil {
			why := m[3]
			if why == "parse error" || strings.Contains(why, "invalid syntax") {
				why = "not a number"
			}
			return usageError("%s %q: %s", dashed(m[2]), m[1], why)
		}
		return usageError("%w", err)
	}
}

// dashed writes a flag name as it is typed: -y, --profile.
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// nearest is the candidate within a small edit distance of s (a third of
// its length, at least 1), or one s is a prefix of; "" when none is.
func nearest(s string, candidates []string) string {
	best, bestDist := "", max(1, len(s)/3)+1
	for _, c := range candidates {
		d := editdist.Distance(strings.ToLower(s), strings.ToLower(c))
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(s)) && s != "" {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
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
