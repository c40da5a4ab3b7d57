package control

import "sync"

// Background is the activity every active account makes every few minutes
// whatever its people do: services assuming roles, KMS decrypting for
// services, consoles and tools polling Describe/List/Get, CloudWatch metric
// reads. A filter that matches any of it keeps its metric up, so its alarm
// sits in ALARM and a real change tells nobody: it is too broad.
var Background = sync.OnceValue(background)

func background() []Record {
	sts := Call{Source: "sts.amazonaws.com", Event: "AssumeRole",
		Params: map[string]any{"roleArn": "arn:aws:iam::111122223333:role/service-role/app-lambda", "roleSessionName": "app-lambda", "durationSeconds": 900}}
	decrypt := Call{Source: "kms.amazonaws.com", Event: "Decrypt", Params: map[string]string{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}}
	dataKey := Call{Source: "kms.amazonaws.com", Event: "GenerateDataKey",
		Params: map[string]any{"keyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "keySpec": "AES_256",
			"encryptionContext": map[string]string{"aws:s3:arn": "arn:aws:s3:::my-data-bucket/report.csv"}}}
	describe := Call{Source: "ec2.amazonaws.com", Event: "DescribeInstances", Params: map[string]any{"maxResults": 1000}, ReadOnly: true}
	listBuckets := Call{Source: "s3.amazonaws.com", Event: "ListBuckets", Params: map[string]string{"Host": "s3.amazonaws.com"}, ReadOnly: true}
	getBucketACL := Call{Source: "s3.amazonaws.com", Event: "GetBucketAcl", Params: map[string]string{"bucketName": "my-data-bucket", "acl": ""}, ReadOnly: true}
	listRoles := Call{Source: "iam.amazonaws.com", Event: "ListRoles", Params: map[string]int{"maxItems": 100}, ReadOnly: true}
	getMetricData := Call{Source: "monitoring.amazonaws.com", Event: "GetMetricData",
		Params: map[string]string{"startTime": "2024-05-01T11:55:00Z", "endTime": "2024-05-01T12:00:00Z"}, ReadOnly: true}
	describeAlarms := Call{Source: "monitoring.amazonaws.com", Event: "DescribeAlarms", Params: map[string]int{"maxRecords": 100}, ReadOnly: true}
	getParameter := Call{Source: "ssm.amazonaws.com", Event: "GetParameter", Params: map[string]any{"name": "/app/config", "withDecryption": true}, ReadOnly: true}
	cs := Callers()
	iamUser, role := cs[0], cs[2]
	out := []Record{
		sts.Record(ServiceCaller("lambda.amazonaws.com"), false),
		decrypt.Record(ServiceCaller("s3.amazonaws.com"), false),
		decrypt.Record(ServiceCaller("AWS Internal"), false),
		dataKey.Record(ServiceCaller("s3.amazonaws.com"), false),
		dataKey.Record(ServiceCaller("ebs.amazonaws.com"), false),
		describe.Record(role, false),
		describe.Record(ServiceCaller("config.amazonaws.com"), false),
		listBuckets.Record(ServiceCaller("trustedadvisor.amazonaws.com"), false),
		getBucketACL.Record(ServiceCaller("config.amazonaws.com"), false),
		listRoles.Record(ServiceCaller("access-analyzer.amazonaws.com"), false),
		getMetricData.Record(iamUser, false),
		describeAlarms.Record(role, false),
		getParameter.Record(role, false),
	}
	for i := range out {
		out[i].Kind = LeaveOut
	}
	return out
}
