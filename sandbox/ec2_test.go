package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// ec2Client sends EC2 Query requests signed as the SDK signs them (the
// project has no EC2 SDK client yet) and decodes the XML answers.
type ec2Client struct {
	t   *testing.T
	url string
}

// ec2Answer is the part of an EC2 answer the tests read.
type ec2Answer struct {
	XMLName    xml.Name
	RequestID  string   `xml:"requestId"`
	GroupID    string   `xml:"groupId"`
	Return     bool     `xml:"return"`
	VpcIDs     []string `xml:"vpcSet>item>vpcId"`
	Defaults   []bool   `xml:"vpcSet>item>isDefault"`
	ACLID      string   `xml:"networkAcl>networkAclId"`
	RouteTable string   `xml:"routeTable>routeTableId"`
	Gateway    string   `xml:"internetGateway>internetGatewayId"`
	Tags       []string `xml:"internetGateway>tagSet>item>value"`
	ErrorCode  string   `xml:"Errors>Error>Code"`
	ErrorMsg   string   `xml:"Errors>Error>Message"`
}

func (e *ec2Client) call(action string, params map[string]string) (int, ec2Answer) {
	e.t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	for k, v := range params {
		form.Set(k, v)
	}
	body := form.Encode()
	req, err := http.NewRequest("POST", e.url, strings.NewReader(body))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: DefaultAccessKey, SecretAccessKey: "any-secret"}
	require.NoError(e.t, v4.NewSigner().SignHTTP(ctx(e.t), creds, req, hex.EncodeToString(sum[:]), "ec2", DefaultRegion, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	var a ec2Answer
	require.NoError(e.t, xml.Unmarshal(b, &a), string(b))
	return resp.StatusCode, a
}

func (e *ec2Client) ok(action string, params map[string]string) ec2Answer {
	e.t.Helper()
	status, a := e.call(action, params)
	require.Equal(e.t, 200, status, "%s: %s %s", action, a.ErrorCode, a.ErrorMsg)
	require.Equal(e.t, action+"Response", a.XMLName.Local)
	require.NotEmpty(e.t, a.RequestID)
	return a
}

func (e *ec2Client) fails(code, action string, params map[string]string) {
	e.t.Helper()
	status, a := e.call(action, params)
	require.Equal(e.t, 400, status)
	require.Equal(e.t, "Response", a.XMLName.Local)
	require.Equal(e.t, code, a.ErrorCode, a.ErrorMsg)
}

// The drill's inert EC2 pairs: each resource is created in the default VPC
// and deleted, and a second delete is refused with EC2's code.
func TestEC2InertPairs(t *testing.T) {
	srv, url := startSandbox(t, "compliant")
	e := &ec2Client{t: t, url: url}

	vpcs := e.ok("DescribeVpcs", map[string]string{"Filter.1.Name": "isDefault", "Filter.1.Value.1": "true"})
	require.Len(t, vpcs.VpcIDs, 1)
	require.Equal(t, []bool{true}, vpcs.Defaults)
	vpc := vpcs.VpcIDs[0]
	require.Empty(t, e.ok("DescribeVpcs", map[string]string{"Filter.1.Name": "isDefault", "Filter.1.Value.1": "false"}).VpcIDs)
	e.fails("InvalidVpcID.NotFound", "DescribeVpcs", map[string]string{"VpcId.1": "vpc-0"})

	sg := e.ok("CreateSecurityGroup", map[string]string{"GroupName": "trailwatch-drill", "GroupDescription": "drill",
		"TagSpecification.1.ResourceType": "security-group", "TagSpecification.1.Tag.1.Key": "trailwatch", "TagSpecification.1.Tag.1.Value": "drill"})
	require.True(t, strings.HasPrefix(sg.GroupID, "sg-"))
	e.fails("InvalidGroup.Duplicate", "CreateSecurityGroup", map[string]string{"GroupName": "trailwatch-drill", "GroupDescription": "drill"})
	e.fails("MissingParameter", "CreateSecurityGroup", map[string]string{"GroupName": "x"})
	require.True(t, e.ok("DeleteSecurityGroup", map[string]string{"GroupId": sg.GroupID}).Return)
	e.fails("InvalidGroup.NotFound", "DeleteSecurityGroup", map[string]string{"GroupId": sg.GroupID})

	acl := e.ok("CreateNetworkAcl", map[string]string{"VpcId": vpc}).ACLID
	require.True(t, strings.HasPrefix(acl, "acl-"))
	e.fails("InvalidVpcID.NotFound", "CreateNetworkAcl", map[string]string{"VpcId": "vpc-0"})
	e.ok("DeleteNetworkAcl", map[string]string{"NetworkAclId": acl})
	e.fails("InvalidNetworkAclID.NotFound", "DeleteNetworkAcl", map[string]string{"NetworkAclId": acl})

	rtb := e.ok("CreateRouteTable", map[string]string{"VpcId": vpc}).RouteTable
	require.True(t, strings.HasPrefix(rtb, "rtb-"))
	e.ok("DeleteRouteTable", map[string]string{"RouteTableId": rtb})
	e.fails("InvalidRouteTableID.NotFound", "DeleteRouteTable", map[string]string{"RouteTableId": rtb})

	igw := e.ok("CreateInternetGateway", map[string]string{"TagSpecification.1.ResourceType": "internet-gateway",
		"TagSpecification.1.Tag.1.Key": "trailwatch", "TagSpecification.1.Tag.1.Value": "drill"})
	require.Equal(t, []string{"drill"}, igw.Tags)
	e.ok("DeleteInternetGateway", map[string]string{"InternetGatewayId": igw.Gateway})
	e.fails("InvalidInternetGatewayID.NotFound", "DeleteInternetGateway", map[string]string{"InternetGatewayId": igw.Gateway})

	srv.mu.Lock()
	rs := srv.st.account(DefaultAccount).region(DefaultRegion)
	left := len(rs.SecurityGroups) + len(rs.NetworkACLs) + len(rs.RouteTables) + len(rs.InternetGateways)
	srv.mu.Unlock()
	require.Zero(t, left, "every pair leaves nothing behind")
}

// With the pipeline on, an EC2 write reaches the trail's log group.
func TestEC2CallsAreRecorded(t *testing.T) {
	srv, url := startSandbox(t, "compliant")
	require.NoError(t, srv.SetPipeline(fastPipeline))
	e := &ec2Client{t: t, url: url}
	id := e.ok("CreateInternetGateway", nil).RequestID
	d := &drillEnv{logs: startDrillLogs(url)}
	eventually(t, "the record", func() bool { return len(d.records(t, id)) == 1 })
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.records(t, id)[0].Message)), &rec))
	require.Equal(t, "ec2.amazonaws.com", rec["eventSource"])
	require.Equal(t, "CreateInternetGateway", rec["eventName"])
}
