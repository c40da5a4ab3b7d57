package sandbox

// state is the whole emulated world: accounts, their regions and resources.
type state struct{}
