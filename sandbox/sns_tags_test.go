package sandbox

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// ListTagsForResource returns the tags a topic was created with (plan reads
// them to tell its own topics from someone else's), none for an untagged
// topic, and ResourceNotFound for a missing one.
func TestSNSListTagsForResource(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	client := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	c := ctx(t)
	tagged, err := client.CreateTopic(c, &sns.CreateTopicInput{Name: aws.String("mine"),
		Tags: []snstypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("trailwatch")}, {Key: aws.String("team"), Value: aws.String("sec")}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.ListTagsForResource(c, &sns.ListTagsForResourceInput{ResourceArn: tagged.TopicArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 2 || aws.ToString(out.Tags[0].Key) != "managed-by" || aws.ToString(out.Tags[0].Value) != "trailwatch" ||
		aws.ToString(out.Tags[1].Key) != "team" || aws.ToString(out.Tags[1].Value) != "sec" {
		t.Fatalf("tags = %+v", out.Tags)
	}

	plain, err := client.CreateTopic(c, &sns.CreateTopicInput{Name: aws.String("theirs")})
	if err != nil {
		t.Fatal(err)
	}
	out, err = client.ListTagsForResource(c, &sns.ListTagsForResourceInput{ResourceArn: plain.TopicArn})
	if err != nil || len(out.Tags) != 0 {
		t.Fatalf("untagged topic: %+v, %v", out, err)
	}

	_, err = client.ListTagsForResource(c, &sns.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:sns:us-east-1:111111111111:missing")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFound" {
		t.Fatalf("missing topic: %v", err)
	}
}
