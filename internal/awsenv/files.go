package awsenv

import (
	"os"
	"path/filepath"
)

// SharedFiles are the shared config and credentials files the SDK and the
// AWS CLI read, honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE:
// where a profile can be defined, and so what an unknown profile's error
// names.
func SharedFiles(getenv func(string) string) (config, credentials string) {
	home, _ := os.UserHomeDir()
	config = getenv("AWS_CONFIG_FILE")
	if config == "" {
		config = filepath.Join(home, ".aws", "config")
	}
	credentials = getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credentials == "" {
		credentials = filepath.Join(home, ".aws", "credentials")
	}
	return config, credentials
}
