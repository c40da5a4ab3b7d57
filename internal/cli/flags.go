package cli

import "github.com/urfave/cli/v2"

// Flags and checks several commands share, defined once. The account
// selection's are in selection.go (selectionFlags), the plan's in plan.go
// (planFlags).

// noArgs refuses operands: every command takes flags only.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError("%s takes no arguments, got %q", c.Command.Name, c.Args().Slice())
	}
	return nil
}

// outputFlag is --output of a command whose stdout is text or JSON; usage
// says what is written there.
func outputFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "output", Value: "text", Usage: "`FORMAT` of " + usage}
}

// jsonOutput reads outputFlag: whether stdout is JSON.
func jsonOutput(c *cli.Context) (bool, error) {
	switch output := c.String("output"); output {
	case "text":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, usageError("--output %q: want text or json", output)
	}
}
