package sandbox

import "time"

// builder assembles scenario state so that scenarios read as a description
// of the world they set up.
type builder struct {
	st  *state
	now time.Time
}

// account adds an account reachable with accessKey.
func (b *builder) account(id, accessKey string) *accountBuilder {
	b.st.addAccount(id, accessKey)
	return &accountBuilder{b: b, a: b.st.account(id)}
}

// accountBuilder adds resources to one account.
type accountBuilder struct {
	b *builder
	a *account
}
