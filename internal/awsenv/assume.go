package awsenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// Role is a role trailwatch assumes in another account.
type Role struct {
	ARN         string
	ExternalID  string // empty: none sent
	SessionName string
}

// Assumer hands out configurations for roles assumed with one seat's
// credentials. Their STS clients are built from the seat's configuration,
// so AssumeRole goes wherever the seat's endpoint settings send STS.
type Assumer struct {
	seat aws.Config
}

// NewAssumer returns an Assumer for the seat's configuration.
func NewAssumer(seat aws.Config) *Assumer {
	return &Assumer{seat: seat}
}

// Assumer hands out the configurations of roles assumed with these
// clients' credentials. They are derived from the configuration itself,
// not from a region's, so each member's clients get retryers of their own
// and no member spends another's retry budget.
func (c *Clients) Assumer() *Assumer { return NewAssumer(c.cfg.Copy()) }

// Config is the seat's configuration (endpoint, region, HTTP client,
// retryer) with the role's credentials: assumed on first use, cached, and
// assumed again shortly before they expire, so a long run outlives them.
func (a *Assumer) Config(r Role) aws.Config {
	// An STS client per role, so each has a retryer (and retry quota) of
	// its own: a thousand members' AssumeRoles through one would drain its
	// quota under throttling, and the rest would fail on their first throttle.
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(a.seat), r.ARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = r.SessionName
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
	})
	cfg := a.seat.Copy()
	cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		// Renewed this long before they expire, so that no request (with
		// its retries) goes out signed with credentials about to lapse.
		o.ExpiryWindow = refreshBefore
	})
	return cfg
}

// refreshBefore is how long before expiry assumed credentials are renewed.
const refreshBefore = 5 * time.Minute

// Connect obtains cfg's credentials now, so that a refused AssumeRole is
// reported as what it is instead of as the first read's failure.
func Connect(ctx context.Context, cfg aws.Config, roleARN string) error {
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return &AssumeRoleError{RoleARN: roleARN, Err: awserr.Classify("sts:AssumeRole", err)}
	}
	return nil
}

// AssumeRoleError is an sts:AssumeRole that failed: refused by the role's
// trust policy or the caller's permissions, or never answered.
type AssumeRoleError struct {
	RoleARN string
	Err     error
}

func (e *AssumeRoleError) Error() string {
	if e.transient() != "" {
		return fmt.Sprintf("sts:AssumeRole on %s: %v", e.RoleARN, e.Err)
	}
	var ae smithy.APIError
	if errors.As(e.Err, &ae) {
		return fmt.Sprintf("sts:AssumeRole on %s refused: %s: %s", e.RoleARN, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Sprintf("sts:AssumeRole on %s failed: %v", e.RoleARN, e.Err)
}

func (e *AssumeRoleError) Unwrap() error { return e.Err }

// Problem is what awserr.Describe reports for the account: a refusal is
// ASSUME_ROLE_FAILED with the trust-policy remedy; when AWS kept throttling
// or failing until the retries ran out (time cures it, not the role's trust
// policy), the wrapped error is described as any other call's (THROTTLED,
// SERVICE_UNAVAILABLE).
func (e *AssumeRoleError) Problem() (awserr.Problem, bool) {
	if e.transient() != "" {
		return awserr.Problem{}, false
	}
	return awserr.Problem{Code: awserr.AssumeRoleFailed, Message: e.Error(), Remediation: "let the seat assume the role: deploy docs/iam/member-roles.template.json as a StackSet, or make the role trust the seat account (and pass --external-id if its trust policy requires one)"}, true
}

func (e *AssumeRoleError) transient() awserr.Code {
	var ce *awserr.Error
	if errors.As(e.Err, &ce) {
		return ce.Class
	}
	return ""
}
