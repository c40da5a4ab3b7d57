package cli

import (
	"bytes"
	"os"
	"strings"
)

// testEnv is the env every test starts from, as gh's iostreams.Test() is:
// nothing on stdin, stdout and stderr captured, no terminal (so no colour,
// no progress line and no prompt), the process's environment. A test sets
// what it needs beyond that on the env it gets.
func testEnv() (e *env, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	e = &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: os.Getenv,
		isTerminal: func(any) bool { return false }}
	return e, stdout, stderr
}
