package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/plan"
)

// surveyPrompter asks fix's questions with survey, on stderr so stdout
// stays data. It is the only place that knows survey.
type surveyPrompter struct {
	in  terminal.FileReader
	out terminal.FileWriter
}

// prompter returns env's prompt if set, else survey when stdin and stderr
// are a terminal.
func (e *env) prompter() (fix.Prompter, bool) {
	if e.prompt != nil {
		return e.prompt, true
	}
	in, okIn := e.stdin.(terminal.FileReader)
	out, okOut := e.stderr.(terminal.FileWriter)
	if !okIn || !okOut || !e.isTerminal(e.stdin) || !e.isTerminal(e.stderr) {
		return nil, false
	}
	return surveyPrompter{in: in, out: out}, true
}

// The answers of the approval prompt; the first is the default, so Enter
// alone changes nothing.
var approveChoices = []struct {
	label    string
	decision fix.Decision
}{
	{"no, skip this account", fix.Skip},
	{"yes, apply these changes", fix.Yes},
	{"all: apply this and every remaining account without asking", fix.All},
	{"quit: apply nothing more", fix.Quit},
}

func (p surveyPrompter) Approve(a plan.AccountPlan) (fix.Decision, error) {
	labels := make([]string, len(approveChoices))
	for i, c := range approveChoices {
		labels[i] = c.label
	}
	who := termsafe.Escape(a.Account)
	if len(a.Profiles) > 0 {
		who += " (profile " + termsafe.Escape(strings.Join(a.Profiles, ", ")) + ")"
	}
	q := &survey.Select{
		Message: fmt.Sprintf("Apply %d %s to account %s?", len(a.Changes), plural(len(a.Changes), "change", "changes"), who),
		Options: labels,
		Default: labels[0],
	}
	var answer string
	if err := survey.AskOne(q, &answer, survey.WithStdio(p.in, p.out, p.out)); err != nil {
		return fix.Skip, promptError(err)
	}
	for _, c := range approveChoices {
		if c.label == answer {
			return c.decision, nil
		}
	}
	return fix.Skip, nil
}

func (p surveyPrompter) Notify(a plan.AccountPlan) (string, error) {
	q := &survey.Input{
		Message: fmt.Sprintf("Account %s: nobody would be notified. Who should be? PROTOCOL:ENDPOINT, empty to skip:", termsafe.Escape(a.Account)),
		Help:    "e.g. email:security@example.com, https://hooks.example.com/sns, sqs:arn:aws:sqs:REGION:ACCOUNT:QUEUE. " + termsafe.Escape(a.Blocked),
	}
	valid := func(ans any) error {
		s, _ := ans.(string)
		if strings.TrimSpace(s) == "" {
			return nil
		}
		_, err := plan.ParseNotify(strings.TrimSpace(s))
		return err
	}
	var answer string
	if err := survey.AskOne(q, &answer, survey.WithStdio(p.in, p.out, p.out), survey.WithValidator(valid)); err != nil {
		return "", promptError(err)
	}
	return strings.TrimSpace(answer), nil
}

// promptError turns Ctrl-C or Ctrl-D at a prompt into a cancellation.
func promptError(err error) error {
	if errors.Is(err, terminal.InterruptErr) || errors.Is(err, io.EOF) {
		return fix.ErrCancelled
	}
	return fmt.Errorf("prompt: %w", err)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
