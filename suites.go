// Package nccheck holds the built-in verification suites (testdata/suites/*.json),
// embedded so that the command finds them from any working directory. The
// code lives in the subpackages: closedform, optimize, verify, cmd/nccheck.
package nccheck

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed testdata/suites/*.json
var suites embed.FS

// SuiteNames lists the built-in suites.
func SuiteNames() []string {
	entries, _ := fs.ReadDir(suites, "testdata/suites")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// Suite returns the JSON text of a built-in suite.
func Suite(name string) ([]byte, error) {
	b, err := suites.ReadFile("testdata/suites/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("unknown suite %q (built-in: %s)", name, strings.Join(SuiteNames(), ", "))
	}
	return b, nil
}
