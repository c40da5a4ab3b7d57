package plan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// CheckBefore holds a saved plan's "before" to the resources it describes.
// The request is what is sent and the file cannot change that unseen, but
// the old values the diff shows next to it are a claim about the account:
// each update's before is compared with the resource as it is now, read
// with the plan's own reads. A resource that changed since planning is left
// to fix's re-read, which reports the plan stale; one that did not change
// but disagrees with its before means the file was edited, a *FieldError.
func CheckBefore(ctx context.Context, r Readers, a AccountPlan) error {
	for _, c := range a.Changes {
		if c.Action != Update || len(c.Before) == 0 {
			continue
		}
		in, res, err := c.Decode()
		if err != nil {
			return err
		}
		var view func(v any) map[string]any
		switch in.(type) {
		case *cloudwatch.PutMetricAlarmInput:
			view = func(v any) map[string]any { return View(alarmInput(v.(cwtypes.MetricAlarm))) }
		case *cloudwatchlogs.PutRetentionPolicyInput:
			view = func(v any) map[string]any {
				g := v.(logstypes.LogGroup)
				return View(&cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: g.LogGroupName, RetentionInDays: g.RetentionInDays})
			}
		case *cloudtrail.UpdateTrailInput:
			// fix re-reads the trail itself and wires only one that
			// delivers nowhere: that is the only before there can be.
			for _, k := range slices.Sorted(maps.Keys(c.Before)) {
				if c.Before[k] != nil {
					return &FieldError{Change: c.ID, Field: "before." + k, Why: fmt.Sprintf("is %s, but trailwatch wires only a trail that delivers nowhere", jsonText(c.Before[k]))}
				}
			}
			continue
		default:
			return &FieldError{Change: c.ID, Field: "before", Why: "is set, but plan records no before for " + c.Operation}
		}
		v, err := read(ctx, r, res.Kind, res.Region, res.Key)
		if err != nil || v == nil {
			// Unreadable or gone: fix's own re-read reports it.
			continue
		}
		h, err := hash(v)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(a.Guards(res), func(fp Fingerprint) bool { return fp.Hash == h }) {
			continue // changed since planning: stale, not edited
		}
		now := view(v)
		for _, k := range slices.Sorted(maps.Keys(c.Before)) {
			if jsonText(c.Before[k]) != jsonText(now[k]) {
				return &FieldError{Change: c.ID, Field: "before." + k,
					Why: fmt.Sprintf("is %s but %s %s has %s", jsonText(c.Before[k]), res.Kind, res.Key, jsonText(now[k]))}
			}
		}
	}
	return nil
}

// IsFieldError reports whether err is a plan file that disagrees with
// itself or with the account it describes.
func IsFieldError(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe)
}
