package sandbox

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/stretchr/testify/require"
)

// The world these service tests share: the default account is an
// organization's management account, memberAccount a member, and
// outsiderAccount belongs to no organization.
const (
	memberAccount   = "222222222222"
	memberKey       = "AKIASANDBOX222222222"
	outsiderAccount = "333333333333"
	outsiderKey     = "AKIASANDBOX333333333"
	trailRole       = "CloudTrailToLogs"
)

type svcEnv struct {
	srv *Server
	url string
}

// startServices runs the default sandbox (startSandbox) with the accounts
// above and the IAM role trailRole in the default account.
func startServices(t *testing.T) *svcEnv {
	t.Helper()
	srv, url := startSandbox(t, "")
	return seedServices(srv, url)
}

// seedServices adds startServices' accounts and role to a running sandbox.
func seedServices(srv *Server, url string) *svcEnv {
	e := &svcEnv{srv: srv, url: url}
	e.update(func(st *state) {
		st.addAccount(memberAccount, memberKey)
		st.addAccount(outsiderAccount, outsiderKey)
		st.Organization = &organization{ID: "o-sandbox", ManagementAccount: DefaultAccount,
			Members: []string{DefaultAccount, memberAccount}}
		st.account(DefaultAccount).Roles[trailRole] = &iamRole{Name: trailRole, Path: "/"}
	})
	return e
}

func (e *svcEnv) config(accessKey, region string) aws.Config {
	cfg := sdkConfig(e.url, accessKey)
	cfg.Region = region
	return cfg
}

func (e *svcEnv) trails(accessKey, region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(e.config(accessKey, region))
}

func (e *svcEnv) logs(accessKey, region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(e.config(accessKey, region))
}

// update changes the state directly, as a scenario would.
func (e *svcEnv) update(f func(st *state)) {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	f(e.srv.st)
}

const (
	trailLogGroup    = "CloudTrail/logs"
	trailLogGroupArn = "arn:aws:logs:us-east-1:111111111111:log-group:CloudTrail/logs:*"
	trailRoleArn     = "arn:aws:iam::111111111111:role/CloudTrailToLogs"
	homeArn          = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
)

func createLogGroup(t *testing.T, e *svcEnv, name string) {
	t.Helper()
	_, err := e.logs(DefaultAccessKey, "us-east-1").CreateLogGroup(context.Background(),
		&cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})
	require.NoError(t, err)
}

func TestCloudTrailMultiRegionTrailLifecycle(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	home, away := e.trails(DefaultAccessKey, "us-east-1"), e.trails(DefaultAccessKey, "eu-west-1")

	created, err := home.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String(trailRoleArn),
	})
	require.NoError(t, err)
	require.Equal(t, homeArn, aws.ToString(created.TrailARN))
	require.True(t, aws.ToBool(created.IsMultiRegionTrail))
	require.True(t, aws.ToBool(created.IncludeGlobalServiceEvents))
	require.Equal(t, trailLogGroupArn, aws.ToString(created.CloudWatchLogsLogGroupArn))

	// The shadow in another region names the home region; without shadow
	// trails that region lists nothing.
	for _, c := range []*cloudtrail.Client{home, away} {
		out, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
		require.NoError(t, err)
		require.Len(t, out.TrailList, 1)
		require.Equal(t, "us-east-1", aws.ToString(out.TrailList[0].HomeRegion))
		require.Equal(t, homeArn, aws.ToString(out.TrailList[0].TrailARN))
		require.Equal(t, trailRoleArn, aws.ToString(out.TrailList[0].CloudWatchLogsRoleArn))
	}
	out, err := away.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	require.NoError(t, err)
	require.Empty(t, out.TrailList)
	// Names select this region's own trails; other regions' need the ARN.
	out, err = away.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"main"}})
	require.NoError(t, err)
	require.Empty(t, out.TrailList)
	out, err = away.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{homeArn}})
	require.NoError(t, err)
	require.Len(t, out.TrailList, 1)

	status, err := home.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.NoError(t, err)
	require.False(t, aws.ToBool(status.IsLogging), "a new trail does not log until StartLogging")

	_, err = home.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(homeArn)})
	require.NoError(t, err)
	status, err = away.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(homeArn)})
	require.NoError(t, err, "a shadow trail's status is readable by ARN")
	require.True(t, aws.ToBool(status.IsLogging))
	require.WithinDuration(t, testNow, aws.ToTime(status.StartLoggingTime), 0)

	_, err = away.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	var notFound *cttypes.TrailNotFoundException
	require.ErrorAs(t, err, &notFound, "a shadow trail's status needs its ARN")

	var wrongRegion *cttypes.InvalidHomeRegionException
	_, err = away.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(homeArn)})
	require.ErrorAs(t, err, &wrongRegion)
	_, err = away.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), S3KeyPrefix: aws.String("x")})
	require.ErrorAs(t, err, &wrongRegion)
	_, err = away.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("main")})
	require.ErrorAs(t, err, &wrongRegion)

	_, err = home.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
	require.NoError(t, err)
	status, err = home.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.NoError(t, err)
	require.False(t, aws.ToBool(status.IsLogging))

	_, err = home.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String("main")})
	require.NoError(t, err)
	out, err = away.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Empty(t, out.TrailList)
	_, err = home.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.ErrorAs(t, err, &notFound)
}

func TestCloudTrailCreateTrailRejects(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	_, err := e.trails(DefaultAccessKey, "us-east-1").CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("taken"), S3BucketName: aws.String("b"), IsMultiRegionTrail: aws.Bool(true)})
	require.NoError(t, err)

	var (
		badName     *cttypes.InvalidTrailNameException
		exists      *cttypes.TrailAlreadyExistsException
		badGroup    *cttypes.InvalidCloudWatchLogsLogGroupArnException
		badRole     *cttypes.InvalidCloudWatchLogsRoleArnException
		noOrg       *cttypes.OrganizationsNotInUseException
		notMgmt     *cttypes.NotOrganizationMasterAccountException
		noBucket    *cttypes.InvalidS3BucketNameException
		missingRole = "arn:aws:iam::111111111111:role/Nobody"
	)
	cases := []struct {
		name   string
		key    string
		region string
		in     cloudtrail.CreateTrailInput
		want   any
	}{
		{"too short", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("ab")}, &badName},
		{"adjacent specials", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("my-_trail")}, &badName},
		{"starts with dash", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("-trail")}, &badName},
		{"ends with period", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("trail.")}, &badName},
		{"IP address", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("192.168.5.4")}, &badName},
		{"bad character", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("my/trail")}, &badName},
		{"exists", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("taken")}, &exists},
		{"exists as a shadow", DefaultAccessKey, "eu-west-1", cloudtrail.CreateTrailInput{Name: aws.String("taken")}, &exists},
		{"no bucket", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{Name: aws.String("nobucket"), S3BucketName: aws.String("")}, &noBucket},
		{"group without role", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn)}, &badRole},
		{"role without group", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{CloudWatchLogsRoleArn: aws.String(trailRoleArn)}, &badGroup},
		{"missing group", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:nope:*"), CloudWatchLogsRoleArn: aws.String(trailRoleArn)}, &badGroup},
		{"group in another region", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:eu-west-1:111111111111:log-group:CloudTrail/logs:*"), CloudWatchLogsRoleArn: aws.String(trailRoleArn)}, &badGroup},
		{"missing role", DefaultAccessKey, "us-east-1", cloudtrail.CreateTrailInput{
			CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String(missingRole)}, &badRole},
		{"organization trail outside an organization", outsiderKey, "us-east-1", cloudtrail.CreateTrailInput{IsOrganizationTrail: aws.Bool(true)}, &noOrg},
		{"organization trail from a member", memberKey, "us-east-1", cloudtrail.CreateTrailInput{IsOrganizationTrail: aws.Bool(true)}, &notMgmt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.Name == nil {
				in.Name = aws.String("fresh")
			}
			if in.S3BucketName == nil {
				in.S3BucketName = aws.String("trail-bucket")
			}
			_, err := e.trails(tc.key, tc.region).CreateTrail(ctx, &in)
			require.ErrorAs(t, err, tc.want)
		})
	}
	out, err := e.trails(DefaultAccessKey, "us-east-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, out.TrailList, 1, "no rejected call created a trail")
}

func TestCloudTrailOrganizationTrailSeenByMembers(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	_, err := e.trails(DefaultAccessKey, "us-east-1").CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("org"), S3BucketName: aws.String("b"), IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true)})
	require.NoError(t, err)
	orgArn := "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"

	member := e.trails(memberKey, "ap-south-1")
	out, err := member.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, out.TrailList, 1)
	require.Equal(t, orgArn, aws.ToString(out.TrailList[0].TrailARN), "members see the management account's ARN")
	require.True(t, aws.ToBool(out.TrailList[0].IsOrganizationTrail))

	_, err = member.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgArn)})
	require.NoError(t, err)
	sel, err := member.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(orgArn)})
	require.NoError(t, err)
	require.Len(t, sel.EventSelectors, 1)

	var notMgmt *cttypes.NotOrganizationMasterAccountException
	_, err = e.trails(memberKey, "us-east-1").StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(orgArn)})
	require.ErrorAs(t, err, &notMgmt)

	outsider, err := e.trails(outsiderKey, "us-east-1").DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Empty(t, outsider.TrailList)
	var notFound *cttypes.TrailNotFoundException
	_, err = e.trails(outsiderKey, "us-east-1").GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(orgArn)})
	require.ErrorAs(t, err, &notFound)
}

func TestCloudTrailEventSelectors(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	ct := e.trails(DefaultAccessKey, "us-east-1")
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("b")})
	require.NoError(t, err)

	got, err := ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	require.NoError(t, err)
	require.Equal(t, homeArn, aws.ToString(got.TrailARN))
	require.Len(t, got.EventSelectors, 1, "a new trail logs all management events")
	require.Equal(t, cttypes.ReadWriteTypeAll, got.EventSelectors[0].ReadWriteType)
	require.True(t, aws.ToBool(got.EventSelectors[0].IncludeManagementEvents))
	require.Empty(t, got.AdvancedEventSelectors)

	advanced := []cttypes.AdvancedEventSelector{{Name: aws.String("mgmt"), FieldSelectors: []cttypes.AdvancedFieldSelector{
		{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
		{Field: aws.String("eventSource"), NotEquals: []string{"kms.amazonaws.com"}},
	}}}
	put, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"), AdvancedEventSelectors: advanced})
	require.NoError(t, err)
	require.Len(t, put.AdvancedEventSelectors, 1)
	got, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(homeArn)})
	require.NoError(t, err)
	require.Empty(t, got.EventSelectors, "advanced selectors replace classic ones")
	require.Len(t, got.AdvancedEventSelectors, 1)
	require.Equal(t, "mgmt", aws.ToString(got.AdvancedEventSelectors[0].Name))
	require.Equal(t, []string{"kms.amazonaws.com"}, got.AdvancedEventSelectors[0].FieldSelectors[1].NotEquals)
	trails, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.True(t, aws.ToBool(trails.TrailList[0].HasCustomEventSelectors))

	classic := cttypes.EventSelector{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true)}
	_, err = ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"), EventSelectors: []cttypes.EventSelector{classic}})
	require.NoError(t, err)
	got, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	require.NoError(t, err)
	require.Empty(t, got.AdvancedEventSelectors)
	require.Equal(t, cttypes.ReadWriteTypeWriteOnly, got.EventSelectors[0].ReadWriteType)

	var invalid *cttypes.InvalidEventSelectorsException
	six := []cttypes.EventSelector{classic, classic, classic, classic, classic, classic}
	cases := []struct {
		name string
		in   cloudtrail.PutEventSelectorsInput
		want any
	}{
		{"both kinds", cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{classic}, AdvancedEventSelectors: advanced}, &invalid},
		{"six classic selectors", cloudtrail.PutEventSelectorsInput{EventSelectors: six}, &invalid},
		{"unknown field", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("eventname"), Equals: []string{"StopLogging"}}}}}}, &invalid},
		{"no eventCategory", cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventSource"), Equals: []string{"cloudtrail.amazonaws.com"}}}}}}, &invalid},
		{"bad exclusion", cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{ExcludeManagementEventSources: []string{"cloudtrail.amazonaws.com"}}}}, &invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TrailName = aws.String("main")
			_, err := ct.PutEventSelectors(ctx, &in)
			require.ErrorAs(t, err, tc.want)
		})
	}
	got, err = ct.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String("main")})
	require.NoError(t, err)
	require.Equal(t, cttypes.ReadWriteTypeWriteOnly, got.EventSelectors[0].ReadWriteType, "rejected puts change nothing")
}

// Empty CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn, both, is how
// UpdateTrail stops delivery to CloudWatch Logs (what a rollback of
// --wire-logs sends).
func TestCloudTrailUpdateTrailRemovesLogs(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	ct := e.trails(DefaultAccessKey, "us-east-1")
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("b"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String(trailRoleArn)})
	require.NoError(t, err)

	var badGroup *cttypes.InvalidCloudWatchLogsLogGroupArnException
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
		CloudWatchLogsLogGroupArn: aws.String(""), CloudWatchLogsRoleArn: aws.String(trailRoleArn)})
	require.ErrorAs(t, err, &badGroup, "a role without a log group")
	var badRole *cttypes.InvalidCloudWatchLogsRoleArnException
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
		CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String("")})
	require.ErrorAs(t, err, &badRole, "a log group without a role")
	trails, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Equal(t, trailLogGroupArn, aws.ToString(trails.TrailList[0].CloudWatchLogsLogGroupArn), "a rejected update changes nothing")
	require.Equal(t, trailRoleArn, aws.ToString(trails.TrailList[0].CloudWatchLogsRoleArn))

	up, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
		CloudWatchLogsLogGroupArn: aws.String(""), CloudWatchLogsRoleArn: aws.String("")})
	require.NoError(t, err)
	require.Nil(t, up.CloudWatchLogsLogGroupArn)
	require.Nil(t, up.CloudWatchLogsRoleArn)
	trails, err = ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Nil(t, trails.TrailList[0].CloudWatchLogsLogGroupArn)
	require.Nil(t, trails.TrailList[0].CloudWatchLogsRoleArn)
	require.True(t, aws.ToBool(trails.TrailList[0].IsMultiRegionTrail), "fields not in the update are kept")
}

func TestCloudTrailUpdateTrailWiresLogs(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	ct := e.trails(DefaultAccessKey, "us-east-1")
	_, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("b"), IsMultiRegionTrail: aws.Bool(true)})
	require.NoError(t, err)

	var badRole *cttypes.InvalidCloudWatchLogsRoleArnException
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
		CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String("arn:aws:iam::111111111111:role/NotYet")})
	require.ErrorAs(t, err, &badRole, "a role IAM does not know is refused (it may still be propagating)")
	trails, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Nil(t, trails.TrailList[0].CloudWatchLogsLogGroupArn, "a rejected update changes nothing")

	up, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(homeArn),
		CloudWatchLogsLogGroupArn: aws.String(trailLogGroupArn), CloudWatchLogsRoleArn: aws.String(trailRoleArn)})
	require.NoError(t, err)
	require.Equal(t, trailLogGroupArn, aws.ToString(up.CloudWatchLogsLogGroupArn))
	require.True(t, aws.ToBool(up.IsMultiRegionTrail), "fields not in the update are kept")

	// A scenario breaks delivery; GetTrailStatus reports it.
	e.update(func(st *state) {
		tr := st.account(DefaultAccount).region("us-east-1").Trails["main"]
		tr.LatestCloudWatchLogsDeliveryError = "AccessDeniedException"
		tr.LatestCloudWatchLogsDeliveryTime = &testNow
	})
	status, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
	require.NoError(t, err)
	require.Equal(t, "AccessDeniedException", aws.ToString(status.LatestCloudWatchLogsDeliveryError))
	require.WithinDuration(t, testNow, aws.ToTime(status.LatestCloudWatchLogsDeliveryTime), 0)

	var notFound *cttypes.TrailNotFoundException
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("other")})
	require.ErrorAs(t, err, &notFound)
	var badArn *cttypes.CloudTrailARNInvalidException
	_, err = ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("arn:aws:cloudtrail:us-east-1:1:trail")})
	require.ErrorAs(t, err, &badArn)
}
