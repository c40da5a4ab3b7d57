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

// keyReader is what reading a key takes: awsapi.KMSAPI, or plan's reader.
type keyReader interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// readKey reads a key by the KmsMasterKeyId a topic names (a key ID, key
// ARN, alias name or alias ARN), once per run. GetKeyPolicy takes a key ID
// or key ARN, never an alias: for those it is sent beside DescribeKey, so an
// encrypted topic costs one round trip more, not two. It works only in the
// key's own account, so another account's key is described and not asked
// for its policy.
func (a *auditor) readKey(ctx context.Context, region, keyID string) *Key {
	if strings.HasPrefix(keyID, "arn:") {
		region = arnField(keyID, 3)
	}
	k, _ := a.keys.get(region+"\x00"+keyID, func() (*Key, error) {
		c := a.clients.KMS(region)
		switch {
		case strings.HasPrefix(keyID, "arn:") && arnField(keyID, 4) != a.account:
			k := describeKey(ctx, c, keyID, a.call)
			if k.needsPolicy() {
				k.Err = fmt.Errorf("its key policy can be read only in the key's own account %s (kms:GetKeyPolicy is not cross-account)", arnField(keyID, 4))
			}
			return k, nil
		case isAlias(keyID):
			return ReadKey(ctx, c, keyID, a.call), nil
		}
		var k *Key
		var policy string
		var policyErr error
		together(ctx,
			func(ctx context.Context) { k = describeKey(ctx, c, keyID, a.call) },
			func(ctx context.Context) { policy, policyErr = readKeyPolicy(ctx, c, keyID, a.call) },
		)
		if k.needsPolicy() {
			k.Policy, k.Err = policy, policyErr
		}
		return k, nil
	})
	return k
}

// needsPolicy: the key was described, and its policy decides (an AWS
// managed key's cannot name CloudWatch).
func (k *Key) needsPolicy() bool {
	return k.Err == nil && k.Manager != string(kmstypes.KeyManagerTypeAws)
}

// ReadKey reads a key and its default key policy (plan checks --kms-key-id
// with it). call bounds each request.
func ReadKey(ctx context.Context, c keyReader, keyID string, call func(context.Context) (context.Context, context.CancelFunc)) *Key {
	k := describeKey(ctx, c, keyID, call)
	if k.needsPolicy() {
		k.Policy, k.Err = readKeyPolicy(ctx, c, k.ARN, call)
	}
	return k
}

func describeKey(ctx context.Context, c keyReader, keyID string, call func(context.Context) (context.Context, context.CancelFunc)) *Key {
	k := &Key{}
	cctx, cancel := call(ctx)
	out, err := c.DescribeKey(cctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	cancel()
	switch {
	case err != nil:
		k.Err = awserr.Classify("kms:DescribeKey", err)
	case out.KeyMetadata == nil:
		k.Err = errors.New("kms:DescribeKey returned no key metadata")
	default:
		m := out.KeyMetadata
		k.ARN, k.Manager, k.State = aws.ToString(m.Arn), string(m.KeyManager), string(m.KeyState)
	}
	return k
}

func readKeyPolicy(ctx context.Context, c keyReader, keyID string, call func(context.Context) (context.Context, context.CancelFunc)) (string, error) {
	cctx, cancel := call(ctx)
	out, err := c.GetKeyPolicy(cctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default")})
	cancel()
	if err != nil {
		return "", awserr.Classify("kms:GetKeyPolicy", err)
	}
	return aws.ToString(out.Policy), nil
}

// isAlias reports whether a KmsMasterKeyId is an alias name or alias ARN.
func isAlias(keyID string) bool {
	return strings.HasPrefix(keyID, "alias/") || (strings.HasPrefix(keyID, "arn:") && strings.HasPrefix(arnResource(keyID), "alias/"))
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
