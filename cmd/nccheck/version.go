package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText describes the binary: the module's version (as `go install`
// or `go build` records it; "(devel)" for a build from a checkout), the
// commit and its time with "+modified" when the work tree had changes, and
// the Go version and platform.
func versionText() string {
	version, commit := "(unknown)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		var rev, at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+modified"
				}
			}
		}
		if rev != "" {
			commit = fmt.Sprintf(", commit %s%s", rev[:min(12, len(rev))], modified)
			if at != "" {
				commit += " (" + at + ")"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	if commit == "" {
		commit = ", commit unknown (not recorded: go build -buildvcs=true ./cmd/nccheck records it)"
	}
	return strings.TrimSpace(fmt.Sprintf("nccheck %s%s, %s %s/%s", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH))
}
