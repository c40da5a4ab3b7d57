package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/sandbox"
)

// demoNotify is the security team's address in the demo's plan and fix.
const demoNotify = "email:security@example.com"

// demoDeliveryMS is the demo sandbox's CloudTrail delivery delay.
const demoDeliveryMS = 300

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "walk through check, pattern, plan, fix and drill against a sandbox account in this process: no AWS account or network needed",
		ArgsUsage: " ",
		Description: "Starts an in-process sandbox on loopback, seeded with a realistic non-compliant account, and runs the real\n" +
			"commands against it, saying before each what it shows and what you would type against your own account.\n" +
			"Your AWS_* variables and ~/.aws files are never read. Exit 0 when every step ended as the story says,\n" +
			"3 otherwise, naming the step. See docs/demo.md.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "family", Usage: "show plan and fix of all fifteen CIS monitoring controls on an account with a bare trail"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			scenario := "demo"
			if c.Bool("family") {
				scenario = "family-bare"
			}
			srv, err := sandbox.New(sandbox.Options{Scenario: scenario})
			if err != nil {
				return fmt.Errorf("seed the demo sandbox: %w", err)
			}
			if c.Bool("family") {
				return runFamilyDemo(c.Context, e, srv)
			}
			return runDemo(c.Context, e, srv)
		},
	}
}

// demoStep is one command of the story and the exit codes that mean it went
// as told.
type demoStep struct {
	title string
	about string
	args  []string // what runs, after "trailwatch"
	shown []string // what a user would type instead, when it differs
	want  []int
}

// demo runs the steps with a child env that reaches only the sandbox.
type demo struct {
	ctx   context.Context
	e     *env
	child *env
	pal   style.Palette
	step  int
}

// serveDemo serves srv on loopback and gives a demo whose commands reach
// it and nothing else; stop ends the serving.
func serveDemo(ctx context.Context, e *env, srv *sandbox.Server) (d *demo, stop func() error, err error) {
	running, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the demo sandbox: %w", err)
	}
	child := *e
	child.aws = awsenv.Overrides{
		EndpointURL: running.URL,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", ""),
		Region:      sandbox.DefaultRegion,
		Isolated:    true,
	}
	return &demo{ctx: ctx, e: e, child: &child, pal: e.palette(e.stdout)}, running.Close, nil
}

// withDemo serves srv on loopback for the length of story, then stops it;
// a failure to stop is reported when the story itself went well.
func withDemo(ctx context.Context, e *env, srv *sandbox.Server, story func(d *demo) error) (err error) {
	d, stop, err := serveDemo(ctx, e, srv)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := stop(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	return story(d)
}

// runDemo tells the story of one control against srv.
func runDemo(ctx context.Context, e *env, srv *sandbox.Server) error {
	return withDemo(ctx, e, srv, func(d *demo) error {
		w := e.narration()
		fmt.Fprintf(w, "%s\n\n", d.pal.Bold(e.paragraph("trailwatch demo: check → pattern → plan → fix → check → drill, against a sandbox AWS account in this process.")))
		fmt.Fprintf(w, "%s\n", e.paragraph(fmt.Sprintf("The sandbox plays account %s in %s: a multi-region trail delivers to CloudWatch Logs,\n"+
			"a metric filter names all five CloudTrail changes, and no alarm watches it. Your AWS_* variables\n"+
			"and ~/.aws files are not read, and nothing leaves this machine. Each step runs the real command;\n"+
			"the $ line is what you would type against your own account (add --profile NAME to pick one).", sandbox.DefaultAccount, sandbox.DefaultRegion)))

		for _, s := range []demoStep{{
			title: "Is the control met?",
			about: "check follows trail → log group → metric filter → alarm → SNS topic → confirmed subscriber\nand names the first link that breaks. It only reads.",
			args:  []string{"check"},
			want:  []int{exitFindings},
		}, {
			title: "Why does that filter not count?",
			about: "pattern evaluates the filter against realistic CloudTrail records of the five changes. A text search\nwould pass it, all five names are there; but && binds tighter than ||, so " + demoMissed() + " counts\nonly when an IAM user calls it, not a role session, root or an AWS service.",
			args:  []string{"pattern", sandbox.DemoFilterPattern},
			want:  []int{exitFindings},
		}, {
			title: "What would fix it?",
			about: "plan lists, in order, the changes fix would make for the missing links. Your filter is left\nas it is; a new one is added beside it. Nothing is changed yet.",
			args:  []string{"plan", "--notify", demoNotify},
			want:  []int{exitFindings},
		}} {
			if err := d.run(s); err != nil {
				return err
			}
		}
		dir, err := os.MkdirTemp("", "trailwatch-demo-")
		if err != nil {
			return fmt.Errorf("demo journal: %w", err)
		}
		defer os.RemoveAll(dir)
		if err := d.run(demoStep{
			title: "Apply it",
			about: "fix shows the plan again and applies it (--yes approves; at a terminal it asks you first),\njournals each write and checks the account again. An email subscription then waits for\nits confirmation link. The demo keeps its journal in a temporary file.",
			args:  []string{"fix", "--yes", "--notify", demoNotify, "--journal", filepath.Join(dir, "journal.jsonl")},
			shown: []string{"fix", "--yes", "--notify", demoNotify},
			want:  []int{exitOK, exitFindings},
		}); err != nil {
			return err
		}
		confirmed := srv.ConfirmPendingSubscriptions()
		fmt.Fprintf(w, "\nNow the security team clicks the link in the confirmation email to %s.\n", strings.TrimPrefix(demoNotify, "email:"))
		fmt.Fprintf(w, "%s\n", d.pal.Faint(fmt.Sprintf("(the sandbox confirmed %d pending subscription(s))", len(confirmed))))
		if err := d.run(demoStep{
			title: "Is the control met now?",
			about: "The same check as in step 1: the new filter, its alarm and the confirmed subscriber complete\nthe chain. Your original filter is still there, still reported as missing " + demoMissed() + ".",
			args:  []string{"check"},
			want:  []int{exitOK},
		}); err != nil {
			return err
		}
		if err := d.drill(srv, dir); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nThat is the whole story. On your own account, start with: trailwatch check --profile NAME\n")
		return nil
	})
}

// drill is the last step: the sandbox's pipeline turned on, and the
// chain fix completed proven by a drill.
func (d *demo) drill(srv *sandbox.Server, dir string) error {
	// CloudTrail's delivery, shortened: a drill on AWS waits minutes.
	if err := srv.SetPipeline(sandbox.PipelineConfig{Enabled: true, DeliveryDelayMS: demoDeliveryMS, AlarmSecondMS: 1, UndecidedPolicies: "deny"}); err != nil {
		return fmt.Errorf("demo pipeline: %w", err)
	}
	return d.run(demoStep{
		title: "Does the alarm reach a person?",
		about: "check predicts; drill proves it. It makes one harmless change the filter must catch (StartLogging\non the trail, which already logs), then follows it: the record in the log group, the filter's\ndatapoint, the alarm going to ALARM, CloudWatch's SNS action, the confirmed subscriber. At a\nterminal it asks first: the subscribers get a real alarm. The sandbox delivers in " + fmt.Sprint(demoDeliveryMS) + " ms;\nCloudTrail takes minutes.",
		args:  []string{"drill", "--yes", "--timeout", "30s", "--journal", filepath.Join(dir, "journal.jsonl")},
		shown: []string{"drill", "--yes"},
		want:  []int{exitOK},
	})
}

// run prints the step's header, runs it in this process against the sandbox
// and holds its exit code to the story.
func (d *demo) run(s demoStep) error {
	d.step++
	shown := s.shown
	if shown == nil {
		shown = s.args
	}
	w := d.e.narration()
	fmt.Fprintf(w, "\n%s\n", d.pal.Bold(fmt.Sprintf("── %d. %s %s", d.step, s.title, strings.Repeat("─", max(3, 66-len([]rune(s.title)))))))
	fmt.Fprintf(w, "$ trailwatch %s\n", shellJoin(shown))
	fmt.Fprintf(w, "%s\n\n", d.pal.Faint(d.e.paragraph(s.about)))
	code := runApp(d.ctx, d.child, append([]string{"trailwatch"}, s.args...))
	if code == exitCancelled || d.ctx.Err() != nil {
		return errCancelled
	}
	if !slices.Contains(s.want, code) {
		want := make([]string, len(s.want))
		for i, c := range s.want {
			want[i] = strconv.Itoa(c)
		}
		return &exitError{code: exitFailed, err: fmt.Errorf("demo step %d (trailwatch %s) exited %d, expected %s: the sandbox account did not behave as the story says",
			d.step, s.args[0], code, strings.Join(want, " or "))}
	}
	return nil
}

// shellJoin quotes what a POSIX shell would otherwise interpret, so the
// shown command can be pasted as is.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+", r))
		}) < 0 {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// demoMissed is the event the demo scenario's filter misses from most
// callers: the default control's last event, which its && clause binds.
func demoMissed() string {
	events := control.Default().Events
	return events[len(events)-1]
}

// runFamilyDemo tells the family's story on the family-bare account: a
// logging trail with its log group and nothing else. plan and fix work on
// all fifteen controls: one topic, then a filter and an alarm per control.
func runFamilyDemo(ctx context.Context, e *env, srv *sandbox.Server) error {
	return withDemo(ctx, e, srv, func(d *demo) error {
		n := len(control.All())
		w := e.stdout
		fmt.Fprintf(w, "%s\n\n", d.pal.Bold(fmt.Sprintf("trailwatch demo --family: plan → fix → plan for all %d CIS monitoring controls, against a sandbox AWS account in this process.", n)))
		fmt.Fprintf(w, "The sandbox plays account %s in %s: a multi-region trail delivers to CloudWatch Logs, and there\n", sandbox.DefaultAccount, sandbox.DefaultRegion)
		fmt.Fprintf(w, "is no metric filter, alarm or topic yet. Your AWS_* variables and ~/.aws files are not read, and\n")
		fmt.Fprintf(w, "nothing leaves this machine. Each step runs plan or fix for the %d controls.\n", n)
		dir, err := os.MkdirTemp("", "trailwatch-demo-")
		if err != nil {
			return fmt.Errorf("demo journal: %w", err)
		}
		defer os.RemoveAll(dir)
		for _, s := range []demoStep{{
			title: "What would monitor the whole section?",
			about: fmt.Sprintf("plan lists one SNS topic with its subscription, shared by every alarm, then per control its\nmetric filter (the control's recommended pattern) and its alarm, under the control's name. Nothing\nis changed yet."),
			args:  []string{"plan", "--control", "all", "--notify", demoNotify},
			want:  []int{exitFindings},
		}, {
			title: "Apply it",
			about: "fix applies the plan (--yes approves), journals each write and checks every control again.\nThe email subscription then waits for its confirmation link.",
			args:  []string{"fix", "--control", "all", "--yes", "--notify", demoNotify, "--journal", filepath.Join(dir, "journal.jsonl")},
			shown: []string{"fix", "--control", "all", "--yes", "--notify", demoNotify},
			want:  []int{exitOK, exitFindings},
		}} {
			if err := d.run(s); err != nil {
				return err
			}
		}
		confirmed := srv.ConfirmPendingSubscriptions()
		fmt.Fprintf(w, "\nNow the security team clicks the link in the confirmation email to %s.\n", strings.TrimPrefix(demoNotify, "email:"))
		fmt.Fprintf(w, "%s\n", d.pal.Faint(fmt.Sprintf("(the sandbox confirmed %d pending subscription(s))", len(confirmed))))
		if err := d.run(demoStep{
			title: "Anything left?",
			about: fmt.Sprintf("plan again: every one of the %d controls passes, so there is nothing to change.", n),
			args:  []string{"plan", "--control", "all"},
			want:  []int{exitOK},
		}); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nThat is the whole story.\n")
		return nil
	})
}
