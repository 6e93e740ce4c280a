package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxTextWidth is the terminal width every default text output and every
// help text must fit (issue 19 item 1).
const maxTextWidth = 120

// outputCase is one command line whose output the output tests check.
type outputCase struct {
	name string
	args []string
}

// outputFixtures writes the files the output cases read (a grid with long
// names, failing, out-of-scope and bias rows; a verify row file) and
// returns the directory.
func outputFixtures(t *testing.T) (grid, rows, checkpoints string) {
	t.Helper()
	dir := t.TempDir()
	grid = filepath.Join(dir, "grid.json")
	const text = `{"name": "widths", "settings": [
  {"name": "imbalanced-four-classes-alive", "n": [40, 20, 10, 5], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3"},
  {"name": "one-collapsed-with-a-long-name", "n": [40, 20, 10, 2], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3"},
  {"name": "bias-40,20,10,5-lb1e-3", "n": [40, 20, 10, 5], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3", "bias": true, "lambda_b": "1e-3"},
  {"name": "plain-imbalanced-out-of-scope", "n": [40, 20, 10, 5], "d": 4, "lambda_w": "5e-3", "lambda_h": "5e-3", "no_relu": true},
  {"name": "mse-unregularised-bias-relu", "n": [40, 20, 10, 5], "d": 4, "lambda_w": "1e-3", "lambda_h": "1e-3", "loss": "mse", "bias": true, "lambda_b": "0"},
  {"name": "d-below-alive", "n": [12, 12, 12], "d": 2, "lambda_w": "5e-3", "lambda_h": "5e-3"}
]}`
	if err := os.WriteFile(grid, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rows = filepath.Join(dir, "rows.jsonl")
	if _, stderr, status := runCmd("verify", "--grid", grid, "--out", rows, "-j", "2"); status > 1 {
		t.Fatalf("verify --out: status %d: %s", status, stderr)
	}
	return grid, rows, filepath.Join("..", "..", "testdata", "measure", "fashion-mnist")
}

// outputCases are command lines covering every command's outputs: the
// default, and every flag that adds to or changes the text.
func outputCases(grid, rows, checkpoints string) []outputCase {
	s := []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}
	bal := []string{"--n", "20,20,20", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}
	with := func(base []string, extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	stats := filepath.Join("..", "..", "testdata", "measure", "stats", "bias-features.npz")
	return []outputCase{
		{"help", []string{"help"}},
		{"version", []string{"version"}},
		{"predict", with([]string{"predict"}, s...)},
		{"predict collapsed", []string{"predict", "--n", "40,20,10,2", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}},
		{"predict matrices", with(with([]string{"predict"}, s...), "--matrices")},
		{"predict matrices K=10", []string{"predict", "--n", "100,100,200,200,300,300,400,400,500,500", "--d", "16", "--lambda-w", "1e-4", "--lambda-h", "1e-5", "--matrices"}},
		{"predict compare", with(with([]string{"predict"}, bal...), "--compare", "--matrices")},
		{"predict compare-losses", with(with([]string{"predict"}, s...), "--compare-losses", "ce,ls:0.1,mse")},
		{"predict bias", with(with([]string{"predict"}, s...), "--bias", "--lambda-b", "1e-3")},
		{"predict etf", with(with([]string{"predict"}, bal...), "--no-relu")},
		{"predict mse bias", with(with([]string{"predict"}, s...), "--loss", "mse", "--bias", "--lambda-b", "0", "--no-relu")},
		{"predict authors-code", with(with([]string{"predict"}, s...), "--theory", "authors-code")},
		{"solve", with(with([]string{"solve"}, s...), "--restarts", "2")},
		{"solve bias", with(with([]string{"solve"}, s...), "--restarts", "2", "--bias", "--lambda-b", "1e-3")},
		{"kkt", with([]string{"kkt"}, s...)},
		{"kkt hessian", with(with([]string{"kkt"}, s...), "--hessian")},
		{"kkt hessian collapsed", []string{"kkt", "--n", "40,20,10,2", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--hessian"}},
		{"kkt bias", with(with([]string{"kkt"}, s...), "--bias", "--lambda-b", "1e-3")},
		{"kkt etf hessian", with(with([]string{"kkt"}, bal...), "--no-relu", "--hessian")},
		{"verify setting", with(with([]string{"verify"}, s...), "-j", "2")},
		{"verify grid", []string{"verify", "--grid", grid, "-j", "2"}},
		{"verify suite bias", []string{"verify", "--suite", "bias", "-j", "2"}},
		{"verify suite contrast", []string{"verify", "--suite", "contrast", "-j", "2"}},
		{"verify suite minority-collapse", []string{"verify", "--suite", "minority-collapse", "-j", "2"}},
		{"verify two theories", with(with([]string{"verify"}, s...), "--theory", "paper,authors-code", "-j", "2")},
		{"report", []string{"report", rows}},
		{"measure", []string{"measure", "--lambda-w", "5e-4", "--lambda-h", "5e-4", checkpoints}},
		{"measure classes", []string{"measure", "--lambda-w", "5e-4", "--lambda-h", "5e-4", "--classes", checkpoints}},
		{"measure fit", []string{"measure", "--fit", "--classes", checkpoints}},
		{"measure bias", []string{"measure", "--lambda-w", "1e-3", "--lambda-h", "1e-3", "--classes", stats}},
	}
}

// runOutput runs one case, failing the test on a status other than 0 or 1
// (verify exits 1 when a row fails a tolerance).
func runOutput(t *testing.T, c outputCase) string {
	t.Helper()
	stdout, stderr, status := runCmd(c.args...)
	if status > 1 {
		t.Fatalf("%s: status %d: %s", c.name, status, stderr)
	}
	return stdout
}

// checkWidth reports every line of out wider than maxTextWidth runes.
func checkWidth(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > maxTextWidth {
			t.Errorf("%s: line %d has %d columns (> %d):\n%s", what, i+1, n, maxTextWidth, line)
		}
	}
}

// TestTextFits120Columns: the default text output of every command (with
// every flag that adds to it) and every help text fit a 120-column
// terminal.
func TestTextFits120Columns(t *testing.T) {
	grid, rows, checkpoints := outputFixtures(t)
	cases := outputCases(grid, rows, checkpoints)
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.args[0]] = true
		checkWidth(t, c.name, runOutput(t, c))
	}
	for _, cmd := range commands() {
		if !covered[cmd.name] {
			t.Errorf("command %s has no output case", cmd.name)
		}
		checkWidth(t, cmd.name+" -h", runOutput(t, outputCase{cmd.name + " -h", []string{cmd.name, "-h"}}))
	}
}

// formatCases are the cases of outputCases whose command takes --format
// with markdown and latex.
func formatCases(grid, rows, checkpoints string) []outputCase {
	var out []outputCase
	for _, c := range outputCases(grid, rows, checkpoints) {
		switch c.args[0] {
		case "predict", "verify", "report", "measure":
			out = append(out, c)
		}
	}
	return out
}

// TestMarkdownRenders: every Markdown output is well-formed GitHub
// Markdown: every table row has the header's number of cells (unescaped
// pipes), a table is set off by blank lines, and no character outside a
// table's pipes or a title's bold markers can start emphasis, strikethrough
// or a code span.
func TestMarkdownRenders(t *testing.T) {
	grid, rows, checkpoints := outputFixtures(t)
	for _, c := range formatCases(grid, rows, checkpoints) {
		out := runOutput(t, outputCase{c.name, append(append([]string(nil), c.args...), "--format", "markdown")})
		for _, problem := range markdownProblems(out) {
			t.Errorf("%s --format markdown: %s", c.name, problem)
		}
	}
}

// markdownProblems lists what would not render in out.
func markdownProblems(out string) []string {
	var problems []string
	lines := strings.Split(out, "\n")
	delim := regexp.MustCompile(`^\|(\s*:?-+:?\s*\|)+$`)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "|") {
			if i+1 >= len(lines) || !delim.MatchString(lines[i+1]) {
				problems = append(problems, "line "+itoa(i+1)+" starts with | outside a table: "+line)
				continue
			}
			if i > 0 && strings.TrimSpace(lines[i-1]) != "" {
				problems = append(problems, "table at line "+itoa(i+1)+" is not preceded by a blank line")
			}
			cells := unescapedPipes(line)
			if unescapedPipes(lines[i+1]) != cells {
				problems = append(problems, "table at line "+itoa(i+1)+": delimiter row has another column count")
			}
			problems = append(problems, inlineProblems(i+1, line)...)
			j := i + 2
			for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
				if n := unescapedPipes(lines[j]); n != cells {
					problems = append(problems, "line "+itoa(j+1)+": "+itoa(n-1)+" cells, header has "+itoa(cells-1)+": "+lines[j])
				}
				problems = append(problems, inlineProblems(j+1, lines[j])...)
			}
			if j < len(lines) && strings.TrimSpace(lines[j]) != "" {
				problems = append(problems, "line "+itoa(j+1)+" continues the table above it: "+lines[j])
			}
			i = j - 1
			continue
		}
		if strings.HasPrefix(line, "**") && strings.HasSuffix(line, "**") && len(line) > 4 {
			line = line[2 : len(line)-2]
		}
		problems = append(problems, inlineProblems(i+1, line)...)
	}
	return problems
}

// unescapedPipes counts the | of a line not preceded by a backslash.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// inlineProblems reports unescaped characters of a line (a table row
// without its cell pipes, or text) that open inline markup: * ` ~ always,
// _ unless between two letters or digits (CommonMark's intraword rule).
func inlineProblems(lineNo int, line string) []string {
	var problems []string
	word := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\':
			i++
		case c == '*' || c == '`' || c == '~':
			problems = append(problems, "line "+itoa(lineNo)+": unescaped "+string(c)+": "+line)
		case c == '_' && !(i > 0 && word(line[i-1]) && i+1 < len(line) && word(line[i+1])):
			problems = append(problems, "line "+itoa(lineNo)+": unescaped _ outside a word: "+line)
		}
	}
	return problems
}

// TestLaTeXMathMode: every LaTeX output sets symbols in math mode: outside
// $...$ and comments there is no escaped subscript or caret, no | < > (which
// text mode does not set as symbols), and every line has balanced $.
func TestLaTeXMathMode(t *testing.T) {
	grid, rows, checkpoints := outputFixtures(t)
	for _, c := range formatCases(grid, rows, checkpoints) {
		out := runOutput(t, outputCase{c.name, append(append([]string(nil), c.args...), "--format", "latex")})
		for i, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "%") {
				continue
			}
			if strings.Count(strings.ReplaceAll(line, `\$`, ""), "$")%2 != 0 {
				t.Errorf("%s --format latex: line %d has unbalanced $: %s", c.name, i+1, line)
				continue
			}
			text := regexp.MustCompile(`\$[^$]*\$`).ReplaceAllString(strings.ReplaceAll(line, `\$`, ""), "")
			for _, bad := range []string{`\_`, `\textasciicircum`, `\textbar`, "|", "<", ">", "^"} {
				if strings.Contains(text, bad) {
					t.Errorf("%s --format latex: line %d has %q in text mode: %s", c.name, i+1, bad, line)
				}
			}
		}
	}
}
