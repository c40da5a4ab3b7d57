package main

import (
	"context"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
)

// selection is which accounts a command looks at; check, plan and fix share it.
type selection struct {
	profiles []string // empty: the default credential chain
	all      bool
	region   string // where trails are discovered; empty: each profile's region
	parallel int
	org      orgSelection
	// accounts and exclude filter any selection by account ID.
	accounts, exclude []string
}

func selectionFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "profile", Usage: "AWS profile `NAME` (repeatable, or comma-separated); default: the standard credential chain"},
		&cli.BoolFlag{Name: "all-profiles", Usage: "every profile in the shared config and credentials files"},
		&cli.StringFlag{Name: "region", Usage: "`REGION` where trails are discovered (default: the profile's region, else " + awsenv.DefaultRegion + ")"},
		&cli.IntFlag{Name: "parallel", Value: 4, Usage: "how many accounts at once (`N`)"},
	}, orgFlags()...)
}

// selectionFromContext validates the selection flags; mistakes are usage errors.
func selectionFromContext(c *cli.Context) (selection, error) {
	s := selection{all: c.Bool("all-profiles"), region: strings.TrimSpace(c.String("region")), parallel: c.Int("parallel")}
	for _, p := range c.StringSlice("profile") {
		for _, name := range strings.Split(p, ",") {
			if name = strings.TrimSpace(name); name != "" && !slices.Contains(s.profiles, name) {
				s.profiles = append(s.profiles, name)
			}
		}
	}
	switch {
	case s.all && len(s.profiles) > 0:
		return s, usageError("--profile and --all-profiles: choose one")
	case c.IsSet("profile") && len(s.profiles) == 0:
		return s, usageError("--profile: want a profile name")
	case s.parallel < 1:
		return s, usageError("--parallel %d: want at least 1", s.parallel)
	case c.IsSet("region") && s.region == "":
		return s, usageError("--region: want a region name, e.g. %s", awsenv.DefaultRegion)
	}
	return s, s.orgFromContext(c)
}

// profileNames resolves --all-profiles; [""] stands for the default chain.
func (s selection) profileNames(e *env) ([]string, error) {
	if !s.all {
		if len(s.profiles) == 0 {
			return []string{""}, nil
		}
		return s.profiles, nil
	}
	names, err := awsenv.Profiles(e.getenv)
	if err != nil {
		return nil, usageError("--all-profiles: %w", err)
	}
	if len(names) == 0 {
		return nil, usageError("--all-profiles: no profile in the shared config or credentials files")
	}
	return names, nil
}

// targets loads each selected profile. A profile that cannot be loaded
// becomes a target carrying its error, so the other accounts still run.
func (s selection) targets(ctx context.Context, e *env, o awsenv.Overrides) ([]check.Target, error) {
	names, err := s.profileNames(e)
	if err != nil {
		return nil, err
	}
	targets := make([]check.Target, 0, len(names))
	for _, name := range names {
		cfg, err := awsenv.Load(ctx, name, s.region, o)
		t := check.Target{Profile: name, Region: s.region, Err: err}
		if err == nil {
			t.Region, t.Clients = cfg.Region, awsenv.NewClients(cfg)
		}
		if t.Region == "" {
			t.Region = awsenv.DefaultRegion
		}
		targets = append(targets, t)
	}
	return targets, nil
}
