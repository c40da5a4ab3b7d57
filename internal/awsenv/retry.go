package awsenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"

	"github.com/trailwatch/trailwatch/internal/parallel"
)

// RetryPolicy is how a call rides out throttling and server errors. A fleet
// tool meets both often: thousands of accounts, each with the API limits of
// its own account and region. docs/retries.md explains the choices.
type RetryPolicy struct {
	// MaxAttempts is the number of times a call is sent before it fails.
	MaxAttempts int
	// BaseDelay is the backoff ceiling of the first retry; it doubles with
	// each retry up to MaxBackoff. The delay is drawn uniformly below the
	// ceiling ("full jitter").
	BaseDelay  time.Duration
	MaxBackoff time.Duration
}

// DefaultRetryPolicy: 20 attempts with full-jitter backoff from 200 ms up to
// 30 s. At 60% of requests throttled a call still fails only once in about
// 30,000 (0.6^20); the SDK's default of 3 attempts fails one in five.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 20, BaseDelay: 200 * time.Millisecond, MaxBackoff: 30 * time.Second}

// maxRetryAfterExtra bounds how far an x-amz-retry-after hint may stretch a
// delay, as the SDKs' own handling of the header does.
const maxRetryAfterExtra = 5 * time.Second

func (p RetryPolicy) orDefault() RetryPolicy {
	if p == (RetryPolicy{}) {
		return DefaultRetryPolicy
	}
	return p
}

// apply installs the policy: the SDK's standard retryer (with its retry
// quota, a token bucket per retryer: the clients of one account and region
// share one, see Clients) and the accounting that lets a call asleep in
// backoff give its account's worker slot away (internal/parallel).
func (p RetryPolicy) apply(cfg *aws.Config) {
	p = p.orDefault()
	cfg.Retryer = func() aws.Retryer {
		return fleetRetryer{retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = p.MaxAttempts
			o.MaxBackoff = p.MaxBackoff
			o.Backoff = retry.BackoffDelayerFunc(p.backoff)
		})}
	}
	cfg.APIOptions = append(cfg.APIOptions, trackCalls)
}

// backoff is full jitter under min(MaxBackoff, BaseDelay·2^(attempt-1)),
// stretched to an x-amz-retry-after hint when AWS sends one.
func (p RetryPolicy) backoff(attempt int, err error) (time.Duration, error) {
	ceiling := p.MaxBackoff
	if shift := attempt - 1; shift < 30 && p.BaseDelay<<shift < ceiling {
		ceiling = p.BaseDelay << shift
	}
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if hint, ok := retryAfter(err); ok {
		d = min(max(hint, d), d+maxRetryAfterExtra)
	}
	return d, nil
}

// retryAfter reads the x-amz-retry-after header (milliseconds).
func retryAfter(err error) (time.Duration, bool) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return 0, false
	}
	ms, perr := strconv.ParseInt(re.Response.Header.Get("X-Amz-Retry-After"), 10, 64)
	if perr != nil || ms < 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// unansweredAttempts is how often a call that gets no answer at all (a
// refused connection, an unknown host, a timeout) is sent: the SDK's
// default. The long budget is for AWS saying "slow down", not for an
// endpoint that is not there.
const unansweredAttempts = retry.DefaultMaxAttempts

// fleetRetryer is the standard retryer telling internal/parallel when a call
// goes to sleep in backoff (a retry token was granted: the SDK sleeps next)
// and when it wakes (it asks for the next attempt's token). It also ends a
// call without an answer after unansweredAttempts.
type fleetRetryer struct{ *retry.Standard }

func (r fleetRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	op := opOf(ctx)
	if op != nil && op.attempts >= unansweredAttempts && !answered(opErr) {
		return nil, fmt.Errorf("no answer after %d attempts", op.attempts)
	}
	release, err := r.Standard.GetRetryToken(ctx, opErr)
	if err == nil && op != nil {
		op.call.Sleep()
	}
	return release, err
}

func (r fleetRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if op := opOf(ctx); op != nil {
		op.attempts++
		op.call.Wake(ctx)
	}
	return r.Standard.GetAttemptToken(ctx)
}

// answered reports whether AWS answered the attempt with an HTTP status
// (throttling, a server error): those get the whole budget.
func answered(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() > 0
}

// op is one operation through the SDK's retry loop.
type op struct {
	call     *parallel.Call
	attempts int
}

type opKey struct{}

func opOf(ctx context.Context) *op {
	o, _ := ctx.Value(opKey{}).(*op)
	return o
}

// trackCalls marks each operation (each page of a paginated one) as one
// call of the account, around the SDK's retry loop.
func trackCalls(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("trailwatch.TrackCalls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			o := &op{call: parallel.Begin(ctx)}
			defer o.call.End()
			return next.HandleFinalize(context.WithValue(ctx, opKey{}, o), in)
		}), "Retry", middleware.Before)
}
