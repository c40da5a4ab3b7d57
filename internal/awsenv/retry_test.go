package awsenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
)

// throttler answers ThrottlingException to the first n requests, then an
// empty trail list.
func throttler(t *testing.T, n int32, header string) (*httptest.Server, *atomic.Int32) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if seen.Add(1) <= n {
			if header != "" {
				w.Header().Set("X-Amz-Retry-After", header)
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
			return
		}
		_, _ = w.Write([]byte(`{"trailList":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func fastOverrides(url string) Overrides {
	return Overrides{EndpointURL: url, Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", ""), Isolated: true,
		Retry: RetryPolicy{MaxAttempts: DefaultRetryPolicy.MaxAttempts, BaseDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}}
}

// Throttling far beyond the SDK's default three attempts is ridden out; a
// call throttled on every attempt fails as THROTTLED, counting them.
func TestRetryPolicyRidesOutThrottling(t *testing.T) {
	srv, seen := throttler(t, 12, "")
	cfg, err := Load(context.Background(), "", "", fastOverrides(srv.URL))
	require.NoError(t, err)
	_, err = NewClients(cfg).CloudTrail("").DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Equal(t, int32(13), seen.Load())

	srv, seen = throttler(t, 1000, "")
	cfg, err = Load(context.Background(), "", "", fastOverrides(srv.URL))
	require.NoError(t, err)
	_, err = NewClients(cfg).CloudTrail("").DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	require.Error(t, err)
	require.Equal(t, int32(DefaultRetryPolicy.MaxAttempts), seen.Load())
	err = awserr.Classify("cloudtrail:DescribeTrails", err)
	require.Equal(t, awserr.Throttled, awserr.Describe(err, "").Code)
	require.Equal(t, "ThrottlingException on cloudtrail:DescribeTrails: throttled by AWS after 20 attempts: retry later or lower --parallel", err.Error())
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt <= 8; attempt++ {
		d, err := p.backoff(attempt, errors.New("no answer"))
		require.NoError(t, err)
		require.LessOrEqual(t, d, min(p.MaxBackoff, p.BaseDelay<<(attempt-1)), "attempt %d", attempt)
	}

	srv, _ := throttler(t, 1000, "")
	hinted := func(ms int) error {
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amz-Retry-After", strconv.Itoa(ms))
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		})
		o := fastOverrides(srv.URL)
		o.Retry.MaxAttempts = 1
		cfg, err := Load(context.Background(), "", "", o)
		require.NoError(t, err)
		_, err = cloudtrail.NewFromConfig(cfg).DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
		return err
	}
	d, _ := p.backoff(1, hinted(700))
	require.GreaterOrEqual(t, d, 700*time.Millisecond, "the hint lengthens the wait")
	require.LessOrEqual(t, d, 700*time.Millisecond+p.BaseDelay)
	d, _ = p.backoff(1, hinted(60_000))
	require.LessOrEqual(t, d, p.BaseDelay+maxRetryAfterExtra, "a hint stretches a delay by at most 5 s")
}

// One account's clients of one region share their retryer (its retry
// budget); another region has its own.
func TestRetryerSharedPerRegion(t *testing.T) {
	cfg, err := Load(context.Background(), "", "", fastOverrides("http://127.0.0.1:1"))
	require.NoError(t, err)
	c := NewClients(cfg)
	a, b := c.ConfigFor("eu-west-1").Retryer(), c.ConfigFor("eu-west-1").Retryer()
	require.Same(t, a.(fleetRetryer).Standard, b.(fleetRetryer).Standard)
	require.NotSame(t, a.(fleetRetryer).Standard, c.ConfigFor("us-east-1").Retryer().(fleetRetryer).Standard)
}

// A call asleep in backoff gives its account's slot to the next account:
// with one slot, account 1 is answered while account 0 is still throttled.
func TestThrottledAccountDoesNotHoldItsSlot(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Test-Account") == "0" && calls.Add(1) <= 3 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
			return
		}
		_, _ = w.Write([]byte(`{"trailList":[]}`))
	}))
	t.Cleanup(srv.Close)
	o := fastOverrides(srv.URL)
	o.Retry = RetryPolicy{MaxAttempts: 5, BaseDelay: 300 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}
	cfg, err := Load(context.Background(), "", "", o)
	require.NoError(t, err)
	finished := make([]time.Time, 2)
	parallel.ForEach(context.Background(), 2, 1, func(ctx context.Context, i int) {
		_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}, func(o *cloudtrail.Options) {
			o.HTTPClient = headerClient{o.HTTPClient, strconv.Itoa(i)}
		})
		require.NoError(t, err)
		finished[i] = time.Now()
	})
	require.True(t, finished[1].Before(finished[0]), "account 1 ran while account 0 slept")
}

// headerClient tags each request with the account it is for.
type headerClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	account string
}

func (h headerClient) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Test-Account", h.account)
	return h.next.Do(r)
}

// A call that gets no answer at all is sent the SDK's three times, not the
// throttling budget: an endpoint that is not there fails fast.
func TestNoAnswerKeepsTheShortBudget(t *testing.T) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		require.NoError(t, err)
		conn.Close() // no answer
	}))
	t.Cleanup(srv.Close)
	cfg, err := Load(context.Background(), "", "", fastOverrides(srv.URL))
	require.NoError(t, err)
	_, err = NewClients(cfg).CloudTrail("").DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	require.Error(t, err)
	require.Equal(t, int32(unansweredAttempts), seen.Load())
	require.ErrorContains(t, err, "no answer after 3 attempts")
}
