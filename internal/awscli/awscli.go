// Package awscli finds the AWS CLI v2, the independent client tests use as
// a second opinion: botocore reads AWS's own service models, not the Go SDK.
package awscli

import (
	"os/exec"
	"strings"
)

// FindV2 finds an AWS CLI v2: Debian's /usr/bin/aws first (a pyenv or pip
// `aws` earlier on PATH is often v1, which differs in options and
// defaults), else `aws` on PATH. skip says why there is none.
func FindV2() (bin, skip string) {
	var seen []string
	for _, candidate := range []string{"/usr/bin/aws", "aws"} {
		path, err := exec.LookPath(candidate)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "--version").CombinedOutput()
		version := strings.TrimSpace(string(out))
		if err == nil && strings.HasPrefix(version, "aws-cli/2.") {
			return path, ""
		}
		seen = append(seen, path+": "+version)
	}
	found := "none found"
	if len(seen) > 0 {
		found = strings.Join(seen, "; ")
	}
	return "", "no AWS CLI v2 (" + found + "): install the Debian package awscli (v2 on bookworm; .ci/run does) to run the cross-client tests"
}
