// Package shell writes words for a POSIX shell: the commands trailwatch
// prints in its hints are meant to be pasted and run as they are.
package shell

import "strings"

// Quote leaves a word of safe characters as it is and single-quotes
// anything else, so a profile or trail name pastes into a shell whole.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
