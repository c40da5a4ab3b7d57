package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/drill"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// startDrillSandbox serves scenario with the pipeline on and fast: records
// delivered after 20 ms, a 300-second alarm period lasting 60 ms.
func startDrillSandbox(t *testing.T, scenario string, undecided string) *sandbox.Server {
	t.Helper()
	srv := startSandbox(t, scenario)
	if undecided == "" {
		undecided = "deny"
	}
	require.NoError(t, srv.SetPipeline(sandbox.PipelineConfig{Enabled: true, DeliveryDelayMS: 20, AlarmSecondMS: 0.2, UndecidedPolicies: undecided}))
	old := drillPoll
	drillPoll = [2]time.Duration{5 * time.Millisecond, 40 * time.Millisecond}
	t.Cleanup(func() { drillPoll = old })
	return srv
}

func runDrillCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	args = append([]string{"trailwatch", "drill", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	code = runApp(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

func drillJSON(t *testing.T, args ...string) (int, drill.Report) {
	t.Helper()
	code, out, stderr := runDrillCmd(t, append([]string{"--yes", "--output", "json"}, args...)...)
	var rep drill.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout: %s\nstderr: %s", out, stderr)
	return code, rep
}

func stageOf(r drill.Result, n drill.StageName) (drill.Stage, bool) {
	for _, s := range r.Stages {
		if s.Name == n {
			return s, true
		}
	}
	return drill.Stage{}, false
}

// A compliant account: every stage is seen, each with its time, and the
// subscriber got the alarm.
func TestDrillCompliant(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	code, rep := drillJSON(t, "--timeout", "5s")
	require.Equal(t, exitOK, code)
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	require.Equal(t, drill.Delivered, r.Outcome, "%+v", r)
	require.Len(t, r.Stages, len(drill.Stages))
	for i, s := range r.Stages {
		require.Equal(t, drill.Stages[i], s.Name)
		require.Equal(t, drill.StageOK, s.Status, s.Detail)
		require.NotNil(t, s.At, s.Name)
		require.False(t, s.At.Before(r.FiredAt.Add(-time.Second)), "%s at %s, fired %s", s.Name, s.At, r.FiredAt)
	}
	require.NotEmpty(t, r.RequestID)
	sub, _ := stageOf(r, drill.StageSubscribers)
	require.Contains(t, sub.Detail, "1 confirmed subscriber")
	deliveries := srv.Deliveries()
	require.Len(t, deliveries, 1)
	require.Equal(t, r.Topic, deliveries[0].TopicArn)
	require.Contains(t, sub.Detail, deliveries[0].Endpoint)
	// The only write is the documented trigger.
	require.Equal(t, []string{"cloudtrail:StartLogging"}, drillWrites(srv))
}

// drillWrites are the write calls in the request log, as the sandbox's
// pipeline reads a call's kind.
func drillWrites(srv *sandbox.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		read := false
		for _, p := range []string{"Describe", "Get", "List", "Test", "Filter", "Lookup", "Search", "Check"} {
			read = read || strings.HasPrefix(r.Action, p)
		}
		if !read {
			out = append(out, r.Service+":"+r.Action)
		}
	}
	return out
}

// Each link broken in turn: the drill stops at the stage where it breaks,
// with AWS's words where AWS gives them, and exits 1.
func TestDrillBrokenLinks(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		edit     func(string) string
		stage    drill.StageName
		status   drill.StageStatus
		aws      string
	}{
		{scenario: "compliant", edit: func(s string) string {
			return strings.Replace(s, `($.eventName = StartLogging) || `, "", 1)
		}, stage: drill.StageFilter, status: drill.StageBroken, aws: "logs:TestMetricFilter: filter cloudtrail-config-changes's pattern matches no event"},
		{scenario: "alarm-cannot-fire", stage: drill.StageAlarm, status: drill.StageTimedOut, aws: "alarm state OK: Threshold Crossed"},
		{scenario: "topic-key-without-cloudwatch", stage: drill.StageAction, status: drill.StageBroken,
			aws: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."},
		{scenario: "topic-policy-denies-cloudwatch", stage: drill.StageAction, status: drill.StageBroken,
			aws: "with an explicit deny in a resource-based policy"},
	} {
		name := tc.scenario
		if tc.edit != nil {
			name = "filter-misses-trigger"
		}
		t.Run(name, func(t *testing.T) {
			srv := startDrillSandbox(t, tc.scenario, "")
			if tc.edit != nil {
				state, err := srv.DumpState()
				require.NoError(t, err)
				edited := tc.edit(string(state))
				require.NotEqual(t, string(state), edited)
				require.NoError(t, srv.LoadState([]byte(edited)))
			}
			code, rep := drillJSON(t, "--timeout", "1s")
			require.Equal(t, exitFindings, code)
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Equal(t, drill.NotDelivered, r.Outcome, "%+v", r)
			last := r.Stages[len(r.Stages)-1]
			require.Equal(t, tc.stage, last.Name, "%+v", r.Stages)
			require.Equal(t, tc.status, last.Status, last.Detail)
			for _, s := range r.Stages[:len(r.Stages)-1] {
				require.Equal(t, drill.StageOK, s.Status, s.Name)
				require.NotNil(t, s.At)
			}
			if tc.aws != "" {
				require.Contains(t, last.AWSMessage, tc.aws)
			}
			if tc.stage == drill.StageAction {
				require.NotNil(t, last.At, "CloudWatch's Action item is timed")
			}
			require.Empty(t, srv.Deliveries(), "nobody was told")
			require.Equal(t, []string{"cloudtrail:StartLogging"}, drillWrites(srv))
		})
	}
}

// check's MANUAL (a topic policy condition it cannot evaluate) is settled
// by the drill, both ways.
func TestDrillSettlesManual(t *testing.T) {
	for _, tc := range []struct {
		undecided string
		delivers  bool
		code      int
	}{{"allow", true, exitOK}, {"deny", false, exitFindings}} {
		t.Run(tc.undecided, func(t *testing.T) {
			srv := startDrillSandbox(t, "topic-policy-unknown-condition", tc.undecided)
			code, rep := drillJSON(t, "--timeout", "2s")
			require.Equal(t, tc.code, code)
			r := rep.Results[0]
			require.Equal(t, "MANUAL", r.CheckText)
			require.NotNil(t, r.Settles, "%+v", r)
			require.NotEmpty(t, r.Settles.Question)
			require.NotNil(t, r.Settles.Delivers, r.Settles.Answer)
			require.Equal(t, tc.delivers, *r.Settles.Delivers, r.Settles.Answer)
			require.Equal(t, tc.delivers, len(srv.Deliveries()) == 1)
			_, out, _ := runDrillCmd(t, "--yes", "--timeout", "2s")
			require.Contains(t, out, "check said MANUAL")
		})
	}
}

// drillPrompter answers the drill's question (and no fix question): before
// answering it runs before, as a change made while the person reads.
type drillPrompter struct {
	answer bool
	asked  int
	before func()
}

func (p *drillPrompter) Approve(plan.AccountPlan) (fix.Decision, error) {
	panic("drill asks no fix question")
}
func (p *drillPrompter) Notify(plan.AccountPlan, []fix.Offer) (string, error) {
	panic("drill asks no fix question")
}
func (p *drillPrompter) ApproveRest([]plan.AccountPlan) (bool, error) {
	panic("drill asks no fix question")
}
func (p *drillPrompter) ConfirmDrill(int) (bool, error) {
	p.asked++
	if p.before != nil {
		p.before()
	}
	return p.answer, nil
}

func runDrillPrompted(t *testing.T, p *drillPrompter, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	e.prompt = p
	args = append([]string{"trailwatch", "drill", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	code = runApp(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// check passed, then the trail stopped delivering (here: while the person
// read the plan): check's prediction is stale, the drill shows where the
// change stops, with CloudTrail's delivery error.
func TestDrillTrailStopsDelivering(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	p := &drillPrompter{answer: true, before: func() {
		state, err := srv.DumpState()
		require.NoError(t, err)
		edited := strings.Replace(string(state), `"name": "management-events",`,
			`"name": "management-events", "latestCloudWatchLogsDeliveryError": "AccessDeniedException",`, 1)
		require.NotEqual(t, string(state), edited)
		require.NoError(t, srv.LoadState([]byte(edited)))
	}}
	code, out, stderr := runDrillPrompted(t, p, "--timeout", "500ms")
	require.Equal(t, exitFindings, code, out+stderr)
	require.Equal(t, 1, p.asked)
	require.Contains(t, out, "log_group")
	require.Contains(t, out, "timed out")
	require.Contains(t, out, "AWS: cloudtrail:GetTrailStatus: LatestCloudWatchLogsDeliveryError AccessDeniedException")
	require.Empty(t, srv.Deliveries())
	require.Equal(t, []string{"cloudtrail:StartLogging"}, drillWrites(srv))
}

// An account whose check fails before any alarm is reached is not
// drilled, with check's reason; nothing is called.
func TestDrillNotDrilledWhenCheckFails(t *testing.T) {
	for _, sc := range []string{"logs-delivery-failing", "no-alarm", "no-cloudwatch-logs"} {
		t.Run(sc, func(t *testing.T) {
			srv := startDrillSandbox(t, sc, "")
			code, rep := drillJSON(t, "--timeout", "1s")
			require.Equal(t, exitFindings, code)
			r := rep.Results[0]
			require.Equal(t, drill.NotDrilled, r.Outcome)
			require.Equal(t, drill.SkipCheckFails, r.NotDrilled)
			require.Contains(t, r.Reason, "FAIL")
			require.Empty(t, drillWrites(srv))
		})
	}
}

// --dry-run and a declined prompt call no write at all; without a
// terminal and without --yes the drill refuses before reading anything.
func TestDrillNoWrites(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	code, out, stderr := runDrillCmd(t, "--dry-run")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, "cloudtrail:StartLogging arn:aws:cloudtrail:us-east-1:111111111111:trail/management-events")
	require.Contains(t, out, "notifies (a real alarm): arn:aws:sns:us-east-1:111111111111:security-alerts")
	require.Contains(t, out, "Dry run: nothing was called")
	require.Empty(t, drillWrites(srv))

	p := &drillPrompter{answer: false}
	code, out, _ = runDrillPrompted(t, p)
	require.Equal(t, exitCancelled, code)
	require.Equal(t, 1, p.asked)
	require.Contains(t, out, "Nothing was called.")
	require.Empty(t, drillWrites(srv))

	n := len(srv.Requests())
	code, _, stderr = runDrillCmd(t)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "pass --yes")
	require.Len(t, srv.Requests(), n, "refused before any call")
	time.Sleep(100 * time.Millisecond)
	require.Empty(t, srv.Deliveries())
}

// The network controls' triggers: each makes and deletes one resource in
// the default VPC (or, for a gateway, in none), the filter counts the
// create, and the alarm reaches the subscriber. Nothing is left behind.
func TestDrillEC2Triggers(t *testing.T) {
	for _, id := range []string{"security-group-changes", "nacl-changes", "route-table-changes", "network-gateway-changes"} {
		t.Run(id, func(t *testing.T) {
			ctrl, ok := control.Lookup(id)
			require.True(t, ok)
			srv := startDrillSandbox(t, "", "")
			require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Control: ctrl}))
			code, rep := drillJSON(t, "--timeout", "5s", "--control", ctrl.SecurityHub)
			require.Equal(t, exitOK, code, "%+v", rep)
			r := rep.Results[0]
			require.Equal(t, id, r.ControlID)
			require.Equal(t, drill.Delivered, r.Outcome, "%+v", r)
			var ops []string
			for _, c := range r.Calls {
				ops = append(ops, c.Operation)
			}
			require.Equal(t, ctrl.Drill.Calls, ops)
			require.Equal(t, stripService(ctrl.Drill.Calls), stripService(drillWrites(srv)))
			require.Len(t, srv.Deliveries(), 1)
			requireNoEC2Left(t, srv)
		})
	}
}

func stripService(calls []string) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c[strings.Index(c, ":")+1:]
	}
	return out
}

// An interrupt while the trigger's create is in flight: the create is
// finished and its resource deleted, the journal lists both calls, and the
// run exits 130 with nothing left behind.
func TestDrillInterruptLeavesNothing(t *testing.T) {
	ctrl, _ := control.Lookup("security-group-changes")
	srv := startDrillSandbox(t, "", "")
	require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Control: ctrl}))
	srv.SetFaults(sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "ec2:CreateSecurityGroup", DelayMS: 300}}})
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	e, out, errOut := testEnv()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			time.Sleep(5 * time.Millisecond)
			// The group exists: AWS made it and its answer is held back.
			if state, err := srv.DumpState(); err == nil && strings.Contains(string(state), `"securityGroups"`) {
				cancel()
				return
			}
		}
	}()
	code := runApp(ctx, e, []string{"trailwatch", "drill", "--yes", "--control", ctrl.ID, "--journal", journal, "--timeout", "5s"})
	require.Equal(t, exitCancelled, code, out.String()+errOut.String())
	require.Equal(t, []string{"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"}, drillWrites(srv))
	requireNoEC2Left(t, srv)
	var ops []string
	for _, en := range safetyJournal(t, journal) {
		require.Equal(t, "drill", en.Change)
		require.Equal(t, "ok", en.Result)
		ops = append(ops, en.Operation)
	}
	require.Equal(t, []string{"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"}, ops)
	require.Contains(t, out.String(), "INTERRUPTED")
}

// requireNoEC2Left: no security group, network ACL, route table or
// internet gateway exists in any account or region.
func requireNoEC2Left(t *testing.T, srv *sandbox.Server) {
	t.Helper()
	raw, err := srv.DumpState()
	require.NoError(t, err)
	var state struct {
		Accounts map[string]struct {
			Regions map[string]map[string]json.RawMessage `json:"regions"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(raw, &state))
	for id, a := range state.Accounts {
		for region, rs := range a.Regions {
			for _, kind := range []string{"securityGroups", "networkAcls", "routeTables", "internetGateways"} {
				require.NotContains(t, rs, kind, "account %s region %s", id, region)
			}
		}
	}
}

// --report writes the timeline as a page; the journal names the trigger
// with its request ID.
func TestDrillReportAndJournal(t *testing.T) {
	startDrillSandbox(t, "compliant", "")
	dir := t.TempDir()
	page, journal := filepath.Join(dir, "drill.html"), filepath.Join(dir, "journal.jsonl")
	e, out, errOut := testEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "drill", "--yes", "--timeout", "5s", "--report", page, "--journal", journal})
	require.Equal(t, exitOK, code, out.String()+errOut.String())
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	for _, s := range drill.Stages {
		require.Contains(t, string(html), string(s)+": ok")
	}
	entries := safetyJournal(t, journal)
	require.Len(t, entries, 1)
	require.Equal(t, "cloudtrail:StartLogging", entries[0].Operation)
	require.Equal(t, "drill", entries[0].Change)
	require.True(t, strings.HasPrefix(entries[0].Detail, "request "), entries[0].Detail)
	require.Contains(t, out.String(), strings.TrimPrefix(entries[0].Detail, "request "), "the report and the journal name the same request")
	require.Contains(t, errOut.String(), "journal: "+journal)

	code, _, stderr := runDrillCmd(t, "--dry-run", "--report", page)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--report")
	code, _, stderr = runDrillCmd(t, "--dry-run", "--output", "json")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--dry-run --output json")
	code, _, stderr = runDrillCmd(t, "--yes", "--timeout", "0s")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--timeout")
}

// The progress line counts, per stage, the accounts whose change reached it.
func TestDrillStageMeter(t *testing.T) {
	e, _, errOut := testEnv()
	e.isTerminal = func(any) bool { return true }
	e.getenv = func(string) string { return "" }
	m := newStageMeter(e, 3)
	m.last = time.Time{}
	p := drill.Plan{Account: "1"}
	m.reached(p, drill.StageLogGroup, "")
	m.last = time.Time{}
	m.reached(p, drill.StageLogGroup, "")
	require.Contains(t, errOut.String(), "drill: 3 accounts: log_group 2, filter 0, alarm 0, action 0, subscribers 0")
	m.last = time.Time{}
	m.reached(p, "", drill.NotDelivered)
	require.Contains(t, errOut.String(), "1 ended otherwise")
	m.finish()
	require.True(t, strings.HasSuffix(errOut.String(), "\r\033[K"), "the line is cleared for the report")
}

// Several controls at once, by registry or Security Hub ID: each drilled
// with its own trigger in the same account; a control with no harmless
// trigger is reported not drillable, with its reason, and exits 3.
func TestDrillControls(t *testing.T) {
	sg, _ := control.Lookup("security-group-changes")
	srv := startDrillSandbox(t, "", "")
	require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Family: []control.Control{sg}}))
	code, rep := drillJSON(t, "--timeout", "5s", "--control", "CloudWatch.5,security-group-changes")
	require.Equal(t, exitOK, code, "%+v", rep)
	require.Len(t, rep.Results, 2)
	require.Equal(t, "cloudtrail-changes", rep.Results[0].ControlID)
	require.Equal(t, "security-group-changes", rep.Results[1].ControlID)
	for _, r := range rep.Results {
		require.Equal(t, drill.Delivered, r.Outcome, "%+v", r)
	}
	require.ElementsMatch(t, []string{"cloudtrail:StartLogging", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"}, drillWrites(srv))
	require.Len(t, srv.Deliveries(), 2)

	n := len(drillWrites(srv))
	code, rep = drillJSON(t, "--control", "root-usage")
	require.Equal(t, exitFailed, code)
	require.Equal(t, drill.NotDrilled, rep.Results[0].Outcome)
	require.Equal(t, drill.SkipNotDrillable, rep.Results[0].NotDrilled)
	root, _ := control.Lookup("root-usage")
	require.Equal(t, root.Drill.NotDrillable, rep.Results[0].Reason)
	require.Len(t, drillWrites(srv), n)

	code, _, stderr := runDrillCmd(t, "--yes", "--control", "CloudWatch.99")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--control: unknown control "CloudWatch.99": did you mean "CloudWatch.9"?`)
}

// A clean-up AWS refuses fails the drill (exit 3) and says what is left
// where, tagged; the journal records the refused delete.
func TestDrillCleanupRefused(t *testing.T) {
	ctrl, _ := control.Lookup("route-table-changes")
	srv := startDrillSandbox(t, "", "")
	require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Control: ctrl}))
	srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "ec2:DeleteRouteTable"}}})
	code, rep := drillJSON(t, "--timeout", "2s", "--control", ctrl.ID)
	require.Equal(t, exitFailed, code)
	r := rep.Results[0]
	require.Equal(t, drill.Failed, r.Outcome)
	require.Contains(t, r.Reason, "ec2:DeleteRouteTable rtb-")
	require.Contains(t, r.Reason, "is left in us-east-1 (tagged trailwatch:drill)")
	require.Len(t, r.Calls, 2)
	require.Equal(t, "error", r.Calls[1].Result)
	require.NotEmpty(t, r.Calls[1].Error)
}

// A member account whose chain is the organization's (trail and log group
// in the management account) is not drilled from the member: its records,
// metric and alarm are read where they are. Nothing is called.
func TestDrillOrganizationMember(t *testing.T) {
	srv := startDrillSandbox(t, "organization", "")
	t.Setenv("AWS_ACCESS_KEY_ID", sandbox.AccessKeyFor("222222222222"))
	code, rep := drillJSON(t)
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	require.Equal(t, "222222222222", r.Account)
	require.Equal(t, drill.NotDrilled, r.Outcome, "%+v", r)
	require.Equal(t, drill.SkipCannot, r.NotDrilled)
	require.Contains(t, r.Reason, "belongs to account 111111111111")
	require.Equal(t, exitFailed, code)
	require.Empty(t, drillWrites(srv))
}
