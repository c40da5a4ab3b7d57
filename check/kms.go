package check

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// AWSManagedSNSKey is the alias of the AWS managed key for SNS. Its key
// policy cannot be edited and admits only principals of the account
// calling through SNS, so CloudWatch can never use it.
const AWSManagedSNSKey = "alias/aws/sns"

// Key is what was read of the KMS key a topic is encrypted with.
type Key struct {
	ARN     string
	Manager string // AWS or CUSTOMER
	State   string
	Policy  string
	// Err is set when the key or its policy could not be read.
	Err error
}

// readKey reads a key by the KmsMasterKeyId a topic names (a key ID, key
// ARN, alias name or alias ARN), once per run.
func (a *auditor) readKey(ctx context.Context, region, keyID string) *Key {
	if strings.HasPrefix(keyID, "arn:") {
		region = arnField(keyID, 3)
	}
	k, _ := a.keys.get(region+"\x00"+keyID, func() (*Key, error) {
		return ReadKey(ctx, a.clients.KMS(region), keyID, a.call), nil
	})
	return k
}

// ReadKey reads a key and its default key policy (plan checks --kms-key-id
// with it). call bounds each request.
func ReadKey(ctx context.Context, c interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}, keyID string, call func(context.Context) (context.Context, context.CancelFunc)) *Key {
	k := &Key{}
	cctx, cancel := call(ctx)
	out, err := c.DescribeKey(cctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	cancel()
	if err != nil {
		k.Err = awserr.Classify("kms:DescribeKey", err)
		return k
	}
	if out.KeyMetadata == nil {
		k.Err = errors.New("kms:DescribeKey returned no key metadata")
		return k
	}
	m := out.KeyMetadata
	k.ARN, k.Manager, k.State = aws.ToString(m.Arn), string(m.KeyManager), string(m.KeyState)
	if m.KeyManager == kmstypes.KeyManagerTypeAws {
		return k // its policy decides nothing: it cannot name CloudWatch
	}
	cctx, cancel = call(ctx)
	pol, err := c.GetKeyPolicy(cctx, &kms.GetKeyPolicyInput{KeyId: m.Arn, PolicyName: aws.String("default")})
	cancel()
	if err != nil {
		k.Err = awserr.Classify("kms:GetKeyPolicy", err)
		return k
	}
	k.Policy = aws.ToString(pol.Policy)
	return k
}

// isAWSManagedAlias reports whether a KmsMasterKeyId names the AWS managed
// key for SNS by its alias (name or ARN).
func isAWSManagedAlias(keyID string) bool {
	return keyID == AWSManagedSNSKey || (strings.HasPrefix(keyID, "arn:") && arnField(keyID, 2) == "kms" && arnResource(keyID) == AWSManagedSNSKey)
}

// KeyAdmitsCloudWatch decides whether CloudWatch can publish to a topic
// encrypted with k: a customer managed, enabled key whose policy lets
// cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey (which
// SNS calls for it). keyID is the topic's KmsMasterKeyId.
func KeyAdmitsCloudWatch(k *Key, keyID, alarmARN, account string) (ok *bool, why string) {
	return keyVerdict(k, keyID, alarmARN, account).answer()
}

func keyVerdict(k *Key, keyID, alarmARN, account string) policyVerdict {
	switch {
	case k.Manager == string(kmstypes.KeyManagerTypeAws) || (k.Err != nil && isAWSManagedAlias(keyID)):
		return policyVerdict{allowed: no, why: fmt.Sprintf("it is encrypted with the AWS managed key (%s), whose key policy CloudWatch cannot be added to", AWSManagedSNSKey)}
	case errors.Is(k.Err, awserr.ErrNotFound) && strings.HasPrefix(keyID, "arn:") && arnField(keyID, 4) != account:
		// Another account's key this caller may not see: not proof it is gone.
		return policyVerdict{allowed: unknown, why: fmt.Sprintf("its KMS key %s is in account %s, which trailwatch cannot read from here: %v", keyID, arnField(keyID, 4), k.Err)}
	case errors.Is(k.Err, awserr.ErrNotFound):
		return policyVerdict{allowed: no, why: fmt.Sprintf("its KMS key %s does not exist, so SNS cannot encrypt a message", keyID)}
	case k.Err != nil:
		return policyVerdict{allowed: unknown, why: fmt.Sprintf("trailwatch cannot read its KMS key %s: %v", keyID, k.Err)}
	case k.State != string(kmstypes.KeyStateEnabled):
		return policyVerdict{allowed: no, why: fmt.Sprintf("its KMS key %s is %s", k.ARN, k.State)}
	}
	for _, action := range []string{"kms:Decrypt", "kms:GenerateDataKey"} {
		v := evaluatePolicy(k.Policy, policyRequest{service: cloudwatchService, action: action, resource: k.ARN,
			context: alarmContext(alarmARN, account)})
		if v.allowed != yes {
			v.why = fmt.Sprintf("the key policy of %s: %s", k.ARN, v.why)
			return v
		}
	}
	return policyVerdict{allowed: yes, why: "its key policy lets " + cloudwatchService + " use kms:Decrypt and kms:GenerateDataKey*"}
}
