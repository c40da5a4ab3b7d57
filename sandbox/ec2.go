package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EC2 (its own Query variant, Version 2016-11-15): the default VPC and the
// inert resources a drill creates and deletes at once — security groups,
// network ACLs, route tables and internet gateways. Nothing else of EC2.

type ec2VPC struct {
	ID        string `json:"id"`
	CIDR      string `json:"cidr"`
	IsDefault bool   `json:"isDefault"`
}

// ec2Resource is a security group, network ACL, route table or internet
// gateway: what the drill needs of each is its identity and tags.
type ec2Resource struct {
	ID          string `json:"id"`
	VPC         string `json:"vpc,omitempty"`
	Name        string `json:"name,omitempty"`        // security groups
	Description string `json:"description,omitempty"` // security groups
	Tags        []tag  `json:"tags,omitempty"`
}

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

func init() {
	for action, h := range map[string]handlerFunc{
		"DescribeVpcs":          ec2DescribeVpcs,
		"CreateSecurityGroup":   ec2CreateSecurityGroup,
		"DeleteSecurityGroup":   ec2DeleteSecurityGroup,
		"CreateNetworkAcl":      ec2CreateNetworkACL,
		"DeleteNetworkAcl":      ec2DeleteNetworkACL,
		"CreateRouteTable":      ec2CreateRouteTable,
		"DeleteRouteTable":      ec2DeleteRouteTable,
		"CreateInternetGateway": ec2CreateInternetGateway,
		"DeleteInternetGateway": ec2DeleteInternetGateway,
	} {
		register("ec2", action, h)
	}
	onNewRegion(func(r *regionState) {
		for _, m := range []*map[string]*ec2Resource{&r.SecurityGroups, &r.NetworkACLs, &r.RouteTables, &r.InternetGateways} {
			if *m == nil {
				*m = map[string]*ec2Resource{}
			}
		}
		if r.VPCs == nil {
			r.VPCs = map[string]*ec2VPC{}
		}
	})
}

// ec2Protocol is EC2's Query: lists as X.N (no "member"), answers as
// <ActionResponse><requestId/>…</ActionResponse> with lists of <item>, errors
// as <Response><Errors><Error>.
type ec2Protocol struct{}

func (ec2Protocol) decode(body []byte, r *http.Request) (map[string]any, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("request body is not form-encoded: %w", err)
	}
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	return ec2Lists(decodeQuery(form)).(map[string]any), nil
}

// ec2Lists turns structures whose keys are all indexes into lists.
func ec2Lists(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	numeric := len(m) > 0
	for k, x := range m {
		if _, err := strconv.Atoi(k); err != nil {
			numeric = false
		}
		m[k] = ec2Lists(x)
	}
	if numeric {
		return indexed(m)
	}
	return m
}

func (ec2Protocol) writeOutput(w http.ResponseWriter, req *request, out map[string]any) {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s"><requestId>%s</requestId>`, req.action, ec2Namespace, req.id)
	for _, k := range sortedKeys(out) {
		writeEC2Element(&b, k, out[k])
	}
	fmt.Fprintf(&b, "</%sResponse>", req.action)
	writeXML(w, req, http.StatusOK, b.String())
}

func (ec2Protocol) writeError(w http.ResponseWriter, req *request, e *apiError) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>`)
	xmlText(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlText(&b, e.Message)
	fmt.Fprintf(&b, "</Message></Error></Errors><RequestID>%s</RequestID></Response>", req.id)
	writeXML(w, req, e.Status, b.String())
}

func writeEC2Element(b *strings.Builder, name string, v any) {
	if v == nil {
		return
	}
	fmt.Fprintf(b, "<%s>", name)
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			writeEC2Element(b, k, v[k])
		}
	case []any:
		for _, x := range v {
			writeEC2Element(b, "item", x)
		}
	case time.Time:
		b.WriteString(v.UTC().Format("2006-01-02T15:04:05.000Z"))
	case string:
		xmlText(b, v)
	default:
		xmlText(b, fmt.Sprint(v))
	}
	fmt.Fprintf(b, "</%s>", name)
}

func ec2Missing(name string) *apiError {
	return badRequest("MissingParameter", "The request must contain the parameter %s", name)
}

func ec2NotFound(code, kind, id string) *apiError {
	return badRequest(code, "The %s ID '%s' does not exist", kind, id)
}

// ec2Region is the caller's region with its default VPC, which every
// account has in every region.
func (st *state) ec2Region(c *call) *regionState {
	rs := st.account(c.Account).region(c.Region)
	for _, v := range rs.VPCs {
		if v.IsDefault {
			return rs
		}
	}
	id := fmt.Sprintf("vpc-%017x", st.nextID())
	rs.VPCs[id] = &ec2VPC{ID: id, CIDR: "172.31.0.0/16", IsDefault: true}
	return rs
}

func (st *state) ec2ID(prefix string) string {
	return fmt.Sprintf("%s-%017x", prefix, st.nextID())
}

// ec2Tags reads TagSpecification.N.Tag.N for the resource type.
func ec2Tags(c *call, resourceType string) []tag {
	var tags []tag
	for _, spec := range c.list("TagSpecification") {
		s := c.sub(asMap(spec))
		if s.str("ResourceType") != resourceType {
			continue
		}
		for _, t := range s.list("Tag") {
			tc := c.sub(asMap(t))
			tags = append(tags, tag{Key: tc.str("Key"), Value: tc.str("Value")})
		}
	}
	return tags
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func ec2TagSet(tags []tag) []any {
	out := []any{}
	for _, t := range tags {
		out = append(out, map[string]any{"key": t.Key, "value": t.Value})
	}
	return out
}

// vpcOf resolves a VpcId input: the default VPC when absent.
func vpcOf(c *call, rs *regionState, required bool) (string, *apiError) {
	id := c.str("VpcId")
	if id == "" {
		if required {
			return "", ec2Missing("VpcId")
		}
		for _, v := range rs.VPCs {
			if v.IsDefault {
				return v.ID, nil
			}
		}
	}
	if rs.VPCs[id] == nil {
		return "", badRequest("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	return id, nil
}

func ec2DescribeVpcs(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	ids := c.strings("VpcId")
	for _, id := range ids {
		if rs.VPCs[id] == nil {
			return nil, badRequest("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
		}
	}
	filters := map[string][]string{}
	for _, f := range c.list("Filter") {
		fc := c.sub(asMap(f))
		name := fc.str("Name")
		if name != "isDefault" && name != "vpc-id" {
			return nil, badRequest("InvalidParameterValue", "The filter '%s' is invalid (the sandbox filters by isDefault and vpc-id)", name)
		}
		filters[name] = fc.strings("Value")
	}
	set := []any{}
	for _, id := range sortedKeys(rs.VPCs) {
		v := rs.VPCs[id]
		if (len(ids) > 0 && !contains(ids, id)) || (filters["vpc-id"] != nil && !contains(filters["vpc-id"], id)) ||
			(filters["isDefault"] != nil && !contains(filters["isDefault"], strconv.FormatBool(v.IsDefault))) {
			continue
		}
		set = append(set, map[string]any{"vpcId": v.ID, "cidrBlock": v.CIDR, "state": "available", "isDefault": v.IsDefault,
			"ownerId": c.Account, "instanceTenancy": "default", "dhcpOptionsId": "default"})
	}
	return map[string]any{"vpcSet": set}, nil
}

func ec2CreateSecurityGroup(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	name, desc := c.str("GroupName"), c.str("GroupDescription")
	switch {
	case name == "":
		return nil, ec2Missing("GroupName")
	case desc == "":
		return nil, ec2Missing("GroupDescription")
	case len(name) > 255 || len(desc) > 255:
		return nil, badRequest("InvalidParameterValue", "Value for parameter GroupName or GroupDescription is longer than 255 characters")
	case strings.HasPrefix(strings.ToLower(name), "sg-"):
		return nil, badRequest("InvalidParameterValue", "Group names may not be in the format sg-*")
	}
	vpc, err := vpcOf(c, rs, false)
	if err != nil {
		return nil, err
	}
	for _, g := range rs.SecurityGroups {
		if g.VPC == vpc && g.Name == name {
			return nil, badRequest("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc)
		}
	}
	g := &ec2Resource{ID: st.ec2ID("sg"), VPC: vpc, Name: name, Description: desc, Tags: ec2Tags(c, "security-group")}
	rs.SecurityGroups[g.ID] = g
	return map[string]any{"return": true, "groupId": g.ID, "tagSet": ec2TagSet(g.Tags),
		"securityGroupArn": fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", c.Region, c.Account, g.ID)}, nil
}

func ec2DeleteSecurityGroup(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	id, name := c.str("GroupId"), c.str("GroupName")
	if id == "" && name == "" {
		return nil, ec2Missing("GroupId")
	}
	if id == "" {
		for _, g := range rs.SecurityGroups {
			if g.Name == name && rs.VPCs[g.VPC] != nil && rs.VPCs[g.VPC].IsDefault {
				id = g.ID
			}
		}
		if id == "" {
			return nil, badRequest("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC", name)
		}
	}
	if rs.SecurityGroups[id] == nil {
		return nil, badRequest("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	delete(rs.SecurityGroups, id)
	return map[string]any{"return": true, "groupId": id}, nil
}

func ec2CreateNetworkACL(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	vpc, err := vpcOf(c, rs, true)
	if err != nil {
		return nil, err
	}
	a := &ec2Resource{ID: st.ec2ID("acl"), VPC: vpc, Tags: ec2Tags(c, "network-acl")}
	rs.NetworkACLs[a.ID] = a
	return map[string]any{"networkAcl": map[string]any{"networkAclId": a.ID, "vpcId": vpc, "isDefault": false,
		"entrySet": []any{}, "associationSet": []any{}, "tagSet": ec2TagSet(a.Tags), "ownerId": c.Account}}, nil
}

func ec2DeleteNetworkACL(st *state, c *call) (map[string]any, error) {
	return ec2Delete(st, c, "NetworkAclId", "InvalidNetworkAclID.NotFound", "networkAcl", func(rs *regionState) map[string]*ec2Resource { return rs.NetworkACLs })
}

func ec2CreateRouteTable(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	vpc, err := vpcOf(c, rs, true)
	if err != nil {
		return nil, err
	}
	t := &ec2Resource{ID: st.ec2ID("rtb"), VPC: vpc, Tags: ec2Tags(c, "route-table")}
	rs.RouteTables[t.ID] = t
	local := map[string]any{"destinationCidrBlock": rs.VPCs[vpc].CIDR, "gatewayId": "local", "state": "active", "origin": "CreateRouteTable"}
	return map[string]any{"routeTable": map[string]any{"routeTableId": t.ID, "vpcId": vpc, "routeSet": []any{local},
		"associationSet": []any{}, "propagatingVgwSet": []any{}, "tagSet": ec2TagSet(t.Tags), "ownerId": c.Account}}, nil
}

func ec2DeleteRouteTable(st *state, c *call) (map[string]any, error) {
	return ec2Delete(st, c, "RouteTableId", "InvalidRouteTableID.NotFound", "routeTable", func(rs *regionState) map[string]*ec2Resource { return rs.RouteTables })
}

func ec2CreateInternetGateway(st *state, c *call) (map[string]any, error) {
	rs := st.ec2Region(c)
	g := &ec2Resource{ID: st.ec2ID("igw"), Tags: ec2Tags(c, "internet-gateway")}
	rs.InternetGateways[g.ID] = g
	return map[string]any{"internetGateway": map[string]any{"internetGatewayId": g.ID, "attachmentSet": []any{},
		"tagSet": ec2TagSet(g.Tags), "ownerId": c.Account}}, nil
}

func ec2DeleteInternetGateway(st *state, c *call) (map[string]any, error) {
	return ec2Delete(st, c, "InternetGatewayId", "InvalidInternetGatewayID.NotFound", "internetGateway", func(rs *regionState) map[string]*ec2Resource { return rs.InternetGateways })
}

// ec2Delete deletes a resource by its ID parameter.
func ec2Delete(st *state, c *call, param, code, kind string, of func(rs *regionState) map[string]*ec2Resource) (map[string]any, error) {
	rs := st.ec2Region(c)
	id := c.str(param)
	if id == "" {
		return nil, ec2Missing(param)
	}
	m := of(rs)
	if m[id] == nil {
		return nil, ec2NotFound(code, kind, id)
	}
	delete(m, id)
	return map[string]any{"return": true}, nil
}
