package sysmem

import "syscall"

// getrlimit returns the soft limit of RLIMIT_AS or RLIMIT_DATA.
func getrlimit(resource string) (uint64, bool) {
	r := syscall.RLIMIT_AS
	if resource == "RLIMIT_DATA" {
		r = syscall.RLIMIT_DATA
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(r, &l); err != nil || l.Cur == ^uint64(0) {
		return 0, false
	}
	return l.Cur, true
}
