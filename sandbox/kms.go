package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// KMS (JSON 1.1, target prefix TrentService): the keys an SNS topic may be
// encrypted with. An account's AWS managed key for SNS (alias/aws/sns)
// appears the first time it is asked for, as AWS creates it on first use;
// customer managed keys come from CreateKey or a scenario.

type kmsKey struct {
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	Manager     string    `json:"manager"` // AWS or CUSTOMER
	State       string    `json:"state"`   // Enabled, Disabled, PendingDeletion
	Policy      string    `json:"policy"`  // the key policy named "default"
	Created     time.Time `json:"created"`
}

// awsManagedSNSAlias is the alias of the AWS managed key SNS uses.
const awsManagedSNSAlias = "alias/aws/sns"

func init() {
	targetPrefixes["TrentService"] = struct {
		service string
		proto   protocol
	}{"kms", jsonProtocol{version: "1.1"}}
	register("kms", "DescribeKey", kmsDescribeKey)
	register("kms", "GetKeyPolicy", kmsGetKeyPolicy)
	register("kms", "CreateKey", kmsCreateKey)
	onNewRegion(func(r *regionState) {
		if r.Keys == nil {
			r.Keys = map[string]*kmsKey{}
		}
		if r.Aliases == nil {
			r.Aliases = map[string]string{}
		}
	})
}

func kmsNotFound(format string, args ...any) *apiError {
	return badRequest("NotFoundException", format, args...)
}

func kmsKeyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

// defaultKeyPolicy is the policy KMS gives a key created without one: the
// account (through IAM) may do everything with it.
func defaultKeyPolicy(account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"}]}`, account)
}

// awsManagedSNSKeyPolicy is the shape of the policy AWS gives its managed
// key for SNS: principals of the account may use it, only through SNS. It
// cannot be edited, which is why CloudWatch can never be let in.
func awsManagedSNSKeyPolicy(account, region string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Id":"auto-sns-1","Statement":[{"Sid":"Allow access through SNS for all principals in the account that are authorized to use SNS","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"%s","kms:ViaService":"sns.%s.amazonaws.com"}}},{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`, account, region, account)
}

// resolveKey finds the key a KeyId names: a key ID, a key ARN, an alias
// name or an alias ARN, in the caller's account and region.
func (st *state) resolveKey(c *call, keyID string, aliases bool) (*kmsKey, *apiError) {
	if keyID == "" {
		return nil, badRequest("ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
	}
	rs := st.account(c.Account).region(c.Region)
	id := keyID
	if strings.HasPrefix(id, "arn:") {
		if arnField(id, 2) != "kms" || arnField(id, 3) != c.Region || arnField(id, 4) != c.Account {
			return nil, kmsNotFound("Invalid arn %s", keyID)
		}
		id = arnField(id, 5)
	}
	switch {
	case strings.HasPrefix(id, "alias/"):
		if !aliases {
			return nil, kmsNotFound("Invalid keyId %s", keyID)
		}
		kid, ok := rs.Aliases[id]
		if !ok && id == awsManagedSNSAlias {
			kid = st.createAWSManagedSNSKey(c)
			ok = true
		}
		if !ok {
			return nil, kmsNotFound("Alias %s is not found.", kmsKeyARN(c.Region, c.Account, id))
		}
		id = kid
	case strings.HasPrefix(id, "key/"):
		id = strings.TrimPrefix(id, "key/")
	}
	k := rs.Keys[id]
	if k == nil {
		return nil, kmsNotFound("Key '%s' does not exist", kmsKeyARN(c.Region, c.Account, id))
	}
	return k, nil
}

func (st *state) createAWSManagedSNSKey(c *call) string {
	rs := st.account(c.Account).region(c.Region)
	n := st.nextID()
	id := fmt.Sprintf("%08x-0000-4000-a000-%012x", n, n)
	rs.Keys[id] = &kmsKey{ID: id, Description: "Default master key that protects my SNS topics when no other key is defined",
		Manager: "AWS", State: "Enabled", Policy: awsManagedSNSKeyPolicy(c.Account, c.Region), Created: st.clock()}
	rs.Aliases[awsManagedSNSAlias] = id
	return id
}

func (k *kmsKey) metadata(account, region string) map[string]any {
	return map[string]any{
		"AWSAccountId": account, "KeyId": k.ID, "Arn": kmsKeyARN(region, account, k.ID),
		"CreationDate": k.Created, "Enabled": k.State == "Enabled", "Description": k.Description,
		"KeyUsage": "ENCRYPT_DECRYPT", "KeyState": k.State, "Origin": "AWS_KMS", "KeyManager": k.Manager,
		"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
		"EncryptionAlgorithms": []any{"SYMMETRIC_DEFAULT"}, "MultiRegion": false,
	}
}

func kmsDescribeKey(st *state, c *call) (map[string]any, error) {
	k, err := st.resolveKey(c, c.str("KeyId"), true)
	if err != nil {
		return nil, err
	}
	return map[string]any{"KeyMetadata": k.metadata(c.Account, c.Region)}, nil
}

// kmsGetKeyPolicy answers for the one policy a key has, "default"; like
// AWS it takes a key ID or key ARN, not an alias.
func kmsGetKeyPolicy(st *state, c *call) (map[string]any, error) {
	k, err := st.resolveKey(c, c.str("KeyId"), false)
	if err != nil {
		return nil, err
	}
	name := c.str("PolicyName")
	if name == "" {
		name = "default"
	}
	if name != "default" {
		return nil, kmsNotFound("Policy %s is not found.", name)
	}
	return map[string]any{"Policy": k.Policy, "PolicyName": name}, nil
}

// kmsCreateKey creates a symmetric customer managed key, with the default
// key policy unless one is given.
func kmsCreateKey(st *state, c *call) (map[string]any, error) {
	policy := c.str("Policy")
	if policy == "" {
		policy = defaultKeyPolicy(c.Account)
	}
	// KMS refuses a policy that is not JSON with an empty message
	// (github.com/aws/aws-sdk-ruby/issues/1784); "will not allow you to
	// update the key policy" is its answer to a lockout, which the sandbox
	// does not judge.
	if !json.Valid([]byte(policy)) {
		return nil, errorf(http.StatusBadRequest, "MalformedPolicyDocumentException", "")
	}
	if spec := c.str("KeySpec"); spec != "" && spec != "SYMMETRIC_DEFAULT" {
		return nil, badRequest("UnsupportedOperationException", "the sandbox creates only SYMMETRIC_DEFAULT keys, not %s", spec)
	}
	k := st.addKey(c.Account, c.Region, c.str("Description"), policy)
	return map[string]any{"KeyMetadata": k.metadata(c.Account, c.Region)}, nil
}

// addKey adds an enabled customer managed key.
func (st *state) addKey(account, region, description, policy string) *kmsKey {
	n := st.nextID()
	k := &kmsKey{ID: fmt.Sprintf("%08x-0000-4000-b000-%012x", n, n), Description: description, Manager: "CUSTOMER",
		State: "Enabled", Policy: policy, Created: st.clock()}
	st.account(account).region(region).Keys[k.ID] = k
	return k
}
