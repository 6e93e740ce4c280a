package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smallGrid = `{
  "name": "small",
  "settings": [
    {"name": "two", "n": [12, 6], "d": 2, "lambda_w": "5e-3", "lambda_h": "5e-3"},
    {"name": "three", "n": [10, 8, 3], "d": 3, "lambda_w": 1e-2, "lambda_h": "1e-2"},
    {"name": "collapsed", "n": [20, 10, 1], "d": 3, "lambda_w": "5e-2", "lambda_h": "5e-2"}
  ]
}`

func writeGrid(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grid.json")
	if err := os.WriteFile(path, []byte(smallGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// rowLines is readLines without the header lines of a row file.
func rowLines(t *testing.T, path string) []string {
	t.Helper()
	var rows []string
	for _, l := range readLines(t, path) {
		if !strings.Contains(l, `"nccheck_rows"`) {
			rows = append(rows, l)
		}
	}
	return rows
}

// TestVerifyEndToEnd runs a small grid through both paths and checks the
// table, the streamed file, --resume and the exit codes.
func TestVerifyEndToEnd(t *testing.T) {
	grid := writeGrid(t)
	out := filepath.Join(t.TempDir(), "rows.jsonl")
	stdout, stderr, status := runCmd("verify", "--grid", grid, "--out", out, "-j", "2")
	if status != 0 {
		t.Fatalf("status %d\n%s\n%s", status, stdout, stderr)
	}
	for _, want := range []string{"two", "three", "collapsed", "agree", "3 rows: 3 agree", "worst geometry", "exact KKT", "|     2 |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	// The default text table fits a terminal of ~160 characters.
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "|") && len(line) > 160 {
			t.Errorf("text table line of %d characters: %s", len(line), line)
		}
	}
	all := readLines(t, out)
	header, lines := all[0], rowLines(t, out)
	if len(lines) != 3 || len(all) != 4 || !strings.Contains(header, `"nccheck_rows":1`) {
		t.Fatalf("streamed %d lines, %d rows, want a header and 3 rows", len(all), len(lines))
	}
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("row is not JSON: %v", err)
		}
		for _, key := range []string{"verdict", "setting", "metrics", "objective_gap", "solver_kkt_residual", "predicted_objective", "numeric_objective"} {
			if _, ok := r[key]; !ok {
				t.Errorf("row lacks %q", key)
			}
		}
	}

	// Drop the last streamed row and a tear a line, as an interrupted run
	// would; --resume must run only the missing row and keep the others
	// byte for byte.
	kept := lines[:2]
	if err := os.WriteFile(out, []byte(header+"\n"+strings.Join(kept, "\n")+"\n"+`{"index": 2, "na`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A torn last line is tolerated only at the end; here it is at the end.
	stdout, stderr, status = runCmd("verify", "--grid", grid, "--out", out, "--resume")
	if status != 0 {
		t.Fatalf("resume status %d: %s", status, stderr)
	}
	if !strings.Contains(stdout, "3 rows: 3 agree") {
		t.Errorf("resumed table: %s", stdout)
	}
	after := rowLines(t, out)
	var valid []string
	for _, l := range after {
		if json.Valid([]byte(l)) {
			valid = append(valid, l)
		}
	}
	if len(valid) != 3 || valid[0] != kept[0] || valid[1] != kept[1] {
		t.Fatalf("resume rewrote kept rows or missed one: %d valid rows", len(valid))
	}
}

func TestVerifyExitCodes(t *testing.T) {
	// The authors' formula with lambda_W != 4 lambda_H: the solver finds a
	// lower objective than that formula's point, so the row is not agree.
	_, _, status := runCmd("verify", "--n", "12,6", "--d", "2", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--formula", "authors-code")
	if status != 1 {
		t.Errorf("authors-code mismatch: status %d, want 1", status)
	}
	stdout, _, status := runCmd("verify", "--n", "12,6", "--d", "2", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--formula", "both", "--format", "csv")
	if status != 1 || !strings.Contains(stdout, "authors-code") || !strings.Contains(stdout, "paper") {
		t.Errorf("both: status %d\n%s", status, stdout)
	}
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--suite", "nope"},
		{"verify", "--suite", "balanced", "--n", "1,2"},
		{"verify", "--grid", "/does/not/exist.json"},
		{"verify", "--suite", "balanced", "--formula", "x"},
		{"verify", "--suite", "balanced", "--tol-geometry", "-1"},
		{"verify", "--suite", "balanced", "--resume"},
		{"verify", "--suite", "balanced", "-j", "0"},
		{"verify", "--suite", "balanced", "--restarts", "0"},
		{"verify", "--suite", "balanced", "--tol", "0"},
		{"verify", "--suite", "balanced", "--format", "xml"},
		{"verify", "--n", "1000000000,5", "--d", "4", "--lambda-w", "1e-4", "--lambda-h", "1e-5"},
	} {
		_, stderr, status := runCmd(args...)
		if status != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stderr == "" {
			t.Errorf("%v: status %d stderr %q", args, status, stderr)
		}
	}
}

func TestVerifyFormats(t *testing.T) {
	grid := writeGrid(t)
	// Every column on request, and a named list.
	stdout, _, status := runCmd("verify", "--grid", grid, "--columns", "all", "--kkt=false")
	if status != 0 || !strings.Contains(stdout, "NC2_WWT") || !strings.Contains(stdout, "spread") {
		t.Errorf("--columns all: status %d\n%s", status, stdout)
	}
	stdout, _, status = runCmd("verify", "--grid", grid, "--columns", "setting,nc1,verdict", "--kkt=false")
	if head := strings.SplitN(stdout, "\n", 3)[1]; status != 0 || !strings.Contains(head, "NC1") || strings.Contains(head, "gap") {
		t.Errorf("--columns list: status %d\n%s", status, stdout)
	}
	if _, stderr, status := runCmd("verify", "--grid", grid, "--columns", "nope"); status != 2 || !strings.Contains(stderr, "--columns") {
		t.Errorf("--columns nope: status %d %q", status, stderr)
	}
	for format, needle := range map[string]string{"markdown": "|:----", "latex": "\\toprule", "csv": "setting,K,N,d", "json": `"verdict":"agree"`} {
		stdout, stderr, status := runCmd("verify", "--grid", grid, "--format", format, "--kkt=false")
		if status != 0 || !strings.Contains(stdout, needle) {
			t.Errorf("%s: status %d, lacks %q\n%s%s", format, status, needle, stdout, stderr)
		}
		if format == "latex" && (strings.Contains(stdout, `\$`) || !strings.Contains(stdout, `$\mathrm{NC2}_H$`) || !strings.Contains(stdout, `\times10^{`)) {
			t.Errorf("latex: math escaped or missing:\n%s", stdout)
		}
	}
}

func TestVerifyPlots(t *testing.T) {
	dir := t.TempDir()
	_, stderr, status := runCmd("verify", "--grid", writeGrid(t), "--plot", dir, "--kkt=false")
	if status != 0 {
		t.Fatalf("status %d %s", status, stderr)
	}
	for _, f := range []string{"rho.svg", "rho.png", "margin.svg", "margin.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
}

// TestVerifySELIPath: a path of the plain UFM with cross-entropy towards
// SELI gets its fits after the text table (lines within 120 characters)
// and its figure under --plot; the verdicts stay out-of-scope.
func TestVerifySELIPath(t *testing.T) {
	grid := filepath.Join(t.TempDir(), "path.json")
	var settings []string
	for _, l := range []string{"1e-2", "1e-3", "1e-4"} {
		settings = append(settings, `{"n": [40, 20, 10, 5], "d": 4, "lambda_w": "`+l+`", "lambda_h": "`+l+`", "no_relu": true}`)
	}
	if err := os.WriteFile(grid, []byte(`{"name": "path", "settings": [`+strings.Join(settings, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stdout, stderr, status := runCmd("verify", "--grid", grid, "--plot", dir)
	if status != 0 {
		t.Fatalf("status %d %s", status, stderr)
	}
	if !strings.Contains(stdout, "SELI path n = 40,20,10,5, d = 4") || !strings.Contains(stdout, "all 3: dist ~ (log 1/lambda_W)^") ||
		!strings.Contains(stdout, "certified (plain UFM, imbalanced): path-1, path-2, path-3") || strings.Count(stdout, "| certified |") != 3 {
		t.Errorf("no SELI path fit or other verdicts:\n%s", stdout)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "SELI path") || strings.HasPrefix(l, "  all") || strings.HasPrefix(l, "  smallest") {
			if len(l) > 120 {
				t.Errorf("fit line of %d characters: %s", len(l), l)
			}
		}
	}
	for _, f := range []string{"seli-path.svg", "seli-path.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
}

// TestVerifySeliPathCertified: with the default --tol 1e-10 every row of
// the seli-path suite (the imbalanced plain UFM, no closed form) is
// certified: the solver's certifier polishes points whose bracket is wider
// than --tol-objective (1e-9).
func TestVerifySeliPathCertified(t *testing.T) {
	out, stderr, status := runCmd("verify", "--suite", "seli-path")
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	rows, certified := 0, 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| seli-") {
			rows++
			if strings.HasSuffix(strings.TrimSpace(line), "| certified |") {
				certified++
			}
		}
	}
	if rows != 27 || certified != rows {
		t.Errorf("%d of %d rows certified:\n%s", certified, rows, out)
	}
}
