package nccheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// allowedImports is the import graph the README's independence claims rest
// on: for each package of the module (by its path below the module root),
// the module packages its non-test files may import. A checker never imports
// the code it checks; the solver never sees a prediction; dependencies go
// one way. Test files are exempt (a test may compare any two paths).
func allowedImports() map[string][]string {
	return map[string][]string{
		"setting":          {},
		"internal/bigmath": {},
		"internal/sysmem":  {},
		"internal/regfile": {},
		"internal/report":  {},
		"internal/target":  {"closedform", "metrics"},
		"metrics":          {"setting"},
		"optimize":         {"setting", "internal/sysmem"},
		"closedform":       {"setting", "internal/bigmath"},
		"certificate":      {"setting", "internal/bigmath"},
		"derivation":       {"setting", "internal/bigmath", "closedform"},
		"checkpoint":       {"setting", "metrics", "closedform", "derivation", "certificate", "internal/sysmem", "internal/regfile", "internal/target"},
		"verify":           {"setting", "metrics", "closedform", "derivation", "optimize", "certificate", "internal/report", "internal/sysmem", "internal/target"},
		"verify/render":    {"setting", "metrics", "verify", "internal/report"},
		"verify/rowfile":   {"verify", "internal/regfile"},
		// Test doubles for the packages under verify, not part of what is checked.
		"verify/internal/verifytest": {"setting", "closedform", "optimize", "verify"},
		"internal/gensuites":         {"setting", "verify", "closedform"},
		"bench/cmp":                  {"setting", "optimize", "closedform", "certificate", "verify"},
	}
}

// TestImportGraph parses every non-test Go file of the module and checks its
// module imports against allowedImports. A package missing from the table
// (other than cmd/nccheck, the root package and third-party copies) is an
// error too, so that a new package states its place in the graph.
func TestImportGraph(t *testing.T) {
	allowed := allowedImports()
	imports := map[string]map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "third_party" || name == "experiments") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(p))
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			if rest, ok := strings.CutPrefix(ip, "nccheck/"); ok {
				imports[pkg][rest] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		if pkg == "." || pkg == "cmd/nccheck" || strings.Contains(pkg, "third_party") {
			continue
		}
		ok, listed := allowed[pkg]
		if !listed {
			t.Errorf("package %s is not in allowedImports: add it with the module packages it may import", pkg)
			continue
		}
		for im := range imports[pkg] {
			if !contains(ok, im) {
				t.Errorf("%s imports nccheck/%s, which the import graph does not allow (allowed: %v)", pkg, im, ok)
			}
		}
	}
	if _, err := os.Stat(path.Join("cmd", "nccheck")); err != nil {
		t.Fatal("run from the module root:", err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
