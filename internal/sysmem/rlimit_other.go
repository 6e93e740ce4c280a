//go:build !linux

package sysmem

// getrlimit reports no limit where the resource limits are not read.
func getrlimit(string) (uint64, bool) { return 0, false }
