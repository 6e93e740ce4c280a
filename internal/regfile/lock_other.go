//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package regfile

import "os"

const nonBlock = 0

// Lock does nothing on systems without flock and record locks.
func Lock(*os.File) error { return nil }
