package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// maxParallel bounds --parallel: each account in flight holds its own
// clients and connections, and beyond a few hundred the API rate limits,
// not the parallelism, decide how long a fleet takes.
const maxParallel = 512

// selection is which accounts a command looks at; check, plan and fix share it.
type selection struct {
	profiles []string // empty: the default credential chain
	all      bool
	region   string // where trails are discovered; empty: each profile's region
	parallel int
	org      orgSelection
	// accounts and exclude filter any selection by account ID.
	accounts, exclude []string
	// controls are the controls decided (--control, --benchmark).
	controls controlSelection
}

// target is a check target with the SDK clients it was built from: plan's
// readers and fix's writers are made of the same clients, and so share the
// retry budgets check read through. aws is nil when the profile could not
// be loaded (its target carries the error).
type target struct {
	check.Target
	aws *awsenv.Clients
	// name is an organization member's account name (--org).
	name string
}

// checkTargets is what check.Run takes of the targets.
func checkTargets(ts []target) []check.Target {
	out := make([]check.Target, len(ts))
	for i, t := range ts {
		out[i] = t.Target
	}
	return out
}

// checkOptions is how every command runs check over the selection.
func (s selection) checkOptions(e *env, strict bool) check.Options {
	return check.Options{Strict: strict, Parallel: s.parallel, CallTimeout: callTimeout, Tool: tool(), Now: e.now, Select: s.keep(),
		Controls: s.controls.controls, Standard: s.controls.standard}
}

func selectionFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "profile", Usage: "AWS profile `NAME` (repeatable, or comma-separated); default: the standard credential chain"},
		&cli.BoolFlag{Name: "all-profiles", Usage: "every profile in the shared config and credentials files"},
		&cli.StringFlag{Name: "region", Usage: "`REGION` where trails are discovered (default: the profile's region, else " + awsenv.DefaultRegion + ")"},
		&cli.IntFlag{Name: "parallel", Value: 4, Usage: fmt.Sprintf("how many accounts at once (`N`, 1 to %d)", maxParallel)},
	}, append(controlFlags(), orgFlags()...)...)
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
	case s.parallel < 1 || s.parallel > maxParallel:
		return s, usageError("--parallel %d: want 1 to %d", s.parallel, maxParallel)
	case c.IsSet("region") && s.region == "":
		return s, usageError("--region: want a region name, e.g. %s", awsenv.DefaultRegion)
	case s.region != "":
		if err := awsenv.CheckRegionShape(s.region); err != nil {
			return s, usageError("--region %q: %w", s.region, err)
		}
	}
	var err error
	if s.controls, err = controlsFromContext(c); err != nil {
		return s, err
	}
	return s, s.orgFromContext(c)
}

// profileNames resolves --all-profiles from the loader's one reading of the
// shared files; [""] stands for the default chain. A named profile that no
// shared file defines is a usage error, not an account in ERROR: it is a
// typo, and no AWS call could succeed for it.
func (s selection) profileNames(e *env, loader *awsenv.Loader, o awsenv.Overrides) ([]string, error) {
	if !s.all {
		names, flag := s.profiles, "--profile"
		if len(names) == 0 {
			names, flag = []string{e.getenv("AWS_PROFILE")}, "AWS_PROFILE"
		}
		if names[0] != "" && !o.Isolated {
			if err := knownProfiles(e, flag, names, loader.Profiles()); err != nil {
				return nil, err
			}
		}
		if len(s.profiles) == 0 {
			return []string{""}, nil
		}
		return s.profiles, nil
	}
	names := loader.Profiles()
	if len(names) == 0 {
		return nil, usageError("--all-profiles: no profile in the shared config or credentials files")
	}
	return names, nil
}

// targets loads each selected profile. A profile that cannot be loaded
// becomes a target carrying its error, so the other accounts still run.
func (s selection) targets(ctx context.Context, e *env, o awsenv.Overrides) ([]target, error) {
	loader, err := awsenv.NewLoader(o, e.getenv)
	if err != nil {
		// The flag that made the shared files matter is the one to blame.
		switch {
		case s.all:
			return nil, usageError("--all-profiles: %w", err)
		case len(s.profiles) > 0:
			return nil, usageError("--profile: %w", err)
		case e.getenv("AWS_PROFILE") != "":
			return nil, usageError("AWS_PROFILE: %w", err)
		}
		return nil, err
	}
	names, err := s.profileNames(e, loader, o)
	if err != nil {
		return nil, err
	}
	targets := make([]target, 0, len(names))
	for _, name := range names {
		cfg, err := loader.Load(ctx, name, s.region)
		t := target{Target: check.Target{Profile: name, Region: s.region}}
		if err != nil {
			t.Err = &awserr.ConfigError{Err: err}
		} else {
			// Only now is it known whether requests go to AWS, where the
			// region must be one AWS has.
			if s.region != "" {
				if err := awsenv.CheckKnownRegion(ctx, cfg, s.region); err != nil {
					return nil, usageError("--region: %w", err)
				}
			}
			t.aws = awsenv.NewClients(cfg)
			t.Region, t.Clients = cfg.Region, t.aws
		}
		if t.Region == "" {
			t.Region = awsenv.DefaultRegion
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// knownProfiles refuses a profile name the shared files do not define,
// naming the files read and the nearest name that is there.
func knownProfiles(e *env, flag string, names, have []string) error {
	for _, n := range names {
		// The SDK lets "default" be absent: environment credentials fill it.
		if n == "default" || slices.Contains(have, n) {
			continue
		}
		config, creds := awsenv.SharedFiles(e.getenv)
		hint := ""
		if s := nearest(n, have); s != "" {
			hint = fmt.Sprintf("; did you mean %q?", s)
		}
		return usageError("%s %s: no such profile in %s or %s%s", flag, n, config, creds, hint)
	}
	return nil
}
