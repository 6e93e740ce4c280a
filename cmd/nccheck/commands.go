package main

// extraCommands lists the commands beyond predict. Each command lives in its
// own file; add it here.
func extraCommands() []command {
	return []command{}
}
