package render

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"nccheck/internal/report"
	"nccheck/metrics"
	"nccheck/verify"
	"nccheck/verify/internal/verifytest"
)

func write(t *testing.T, rows []verify.Row, opt WriteOptions) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, rows, opt); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestProofColumn: on the paper suite (the predicted points as the
// solver's, so the run takes milliseconds) the default text table shows
// each row's certificate gap, at the 1e-70 level, in the proof column, and
// every line fits TextWidth.
func TestProofColumn(t *testing.T) {
	f, err := os.Open("../../testdata/suites/paper.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, cases, err := verify.ParseGrid(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := verify.Run(context.Background(), cases, verify.Config{Solver: verifytest.PointSolver{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := write(t, rows, WriteOptions{})
	for _, r := range rows {
		cell, _, _ := report.DecimalSci(*r.PredictedCertificateGap, 2)
		exp, _ := strconv.Atoi(cell[strings.IndexByte(cell, 'e')+1:])
		if exp > -70 || !strings.Contains(text, "| "+cell+" | agree") {
			t.Errorf("%s: proof %s not in the table at the 1e-70 level:\n%s", r.Name, cell, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if len(line) > TextWidth {
			t.Errorf("line of %d characters: %s", len(line), line)
		}
	}
	for _, format := range []string{"markdown", "latex", "csv"} {
		out := write(t, rows, WriteOptions{Format: format})
		for _, h := range []string{"LB (solver)", "bracket", "LB (predicted)", "proof gap"} {
			if !strings.Contains(out, h) {
				t.Errorf("%s lacks the column %q", format, h)
			}
		}
	}
}

// row is a row of a plain-UFM setting without a prediction, with a
// bracket and optionally distances to SELI.
func row(name string, verdict verify.Verdict, bracket float64, seli *metrics.GeometryDist) verify.Row {
	lb := 0.3
	gap := bracket
	return verify.Row{Name: name, Key: name, Theory: "paper", Verdict: verdict, Scope: "plain UFM, imbalanced", Alive: -1,
		Setting:          verify.RowSetting{N: []int{40, 20, 10, 5}, D: 4, LambdaW: "1e-2", LambdaH: "1e-2", NoReLU: true},
		NumericObjective: lb + bracket, LowerBound: &lb, CertifiedGap: &gap, Metrics: &metrics.Report{}, SELI: seli}
}

// TestCertifiedColumn: a row without a prediction shows its float64
// bracket, marked ~, in the proof column; its scope goes under the table;
// the columns without a value in any row (alive, f*, gap) are left out.
func TestCertifiedColumn(t *testing.T) {
	text := write(t, []verify.Row{row("plain", verify.Certified, 2.5e-10, nil)}, WriteOptions{})
	for _, want := range []string{"| ~2.5e-10 | certified |", "certified (plain UFM, imbalanced): plain"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "f* (predicted)") {
		t.Errorf("an f* column without a prediction:\n%s", text)
	}
	latex := write(t, []verify.Row{row("plain", verify.Certified, 2.5e-10, nil)}, WriteOptions{Format: "latex", Columns: []string{"setting", "proof"}})
	if !strings.Contains(latex, `$\sim 2.5\times10^{-10}$`) {
		t.Errorf("latex:\n%s", latex)
	}
}

// TestProvedBracketColumn: a row whose bracket at the solver's point is
// proved shows it unmarked, in the proof, bracket and LB (solver) columns
// (the decimals, not the float64 fields), in text and LaTeX; a row over the
// proof budget keeps "~" and its note goes under the table.
func TestProvedBracketColumn(t *testing.T) {
	proved := row("proved", verify.Certified, 2.5e-10, nil)
	lb, gap := "3.00000000012e-01", "3.25e-10"
	proved.LowerBoundProved, proved.CertifiedGapProved = &lb, &gap
	fallback := row("fallback", verify.Certified, 2.5e-10, nil)
	fallback.BracketNote = "float64 bracket only: G K above the proof budget 1e+05"
	rows := []verify.Row{proved, fallback}
	text := write(t, rows, WriteOptions{Columns: []string{"setting", "lower_bound", "certified_gap", "proof", "verdict"}})
	for _, want := range []string{"| proved   | 0.300000000012 | 3.2e-10 |  3.2e-10 | certified |",
		"| fallback |            0.3 | 2.5e-10 | ~2.5e-10 | certified |", "float64 bracket only: G K above the proof budget 1e+05: fallback"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	latex := write(t, rows[:1], WriteOptions{Format: "latex", Columns: []string{"setting", "proof"}})
	if !strings.Contains(latex, `$3.2\times10^{-10}$`) || strings.Contains(latex, `\sim`) {
		t.Errorf("latex:\n%s", latex)
	}
}

// TestPredictedCertificateNotApplicable: a row without a prediction has
// "n/a" (does not apply) in the prediction's certificate columns.
func TestPredictedCertificateNotApplicable(t *testing.T) {
	r := row("noprediction", verify.Certified, 2.5e-10, nil)
	text := write(t, []verify.Row{r}, WriteOptions{Columns: []string{"setting", "predicted_lower_bound", "predicted_certificate_gap"}})
	if !strings.Contains(text, "| noprediction |            n/a |       n/a |") {
		t.Errorf("text:\n%s", text)
	}
}

// TestSELIColumns: the distance to SELI in every format, "undef" when
// every class counts as collapsed.
func TestSELIColumns(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	solved := row("solved", verify.Certified, 2e-10, &metrics.GeometryDist{WWT: v(0.16), HTH: v(0.2), WH: v(0.05), Max: v(0.2)})
	collapsed := row("collapsed", verify.OutOfScope, 1e-3, &metrics.GeometryDist{})
	for _, f := range []struct{ format, header, cell string }{
		{"text", "SELI dist", "2.0e-01 HTH"}, {"markdown", "SELI HTH", "2.0e-01"}, {"csv", "SELI WWT", "1.6e-01"},
		{"latex", `$\mathrm{SELI}_{W\bar H}$`, report.LaTeXSci("5.0e-02")},
	} {
		out := write(t, []verify.Row{solved, collapsed}, WriteOptions{Format: f.format})
		if !strings.Contains(out, f.header) || !strings.Contains(out, f.cell) {
			t.Errorf("%s table lacks %q or %q:\n%s", f.format, f.header, f.cell, out)
		}
	}
	if c := seliWorst(collapsed, fmtr{digits: 2}); c != "undef" {
		t.Errorf("collapsed row: SELI cell %q, want undef", c)
	}
}

// TestFitsWidth: a long setting name and two theories make the default
// table leave columns out, say which, and still fit TextWidth; a long
// error wraps under the table.
func TestFitsWidth(t *testing.T) {
	long := strings.Repeat("a-very-long-setting-name-", 3)
	r := row(long, verify.Certified, 2e-10, nil)
	fail := row(long+"x", verify.Failed, 0, nil)
	fail.Error, fail.LowerBound, fail.CertifiedGap = strings.Repeat("the solver failed for a reason ", 10), nil, nil
	other := r
	other.Theory = "authors-code"
	text := write(t, []verify.Row{r, other, fail}, WriteOptions{})
	for _, line := range strings.Split(text, "\n") {
		if len(line) > TextWidth {
			t.Errorf("line of %d characters: %s", len(line), line)
		}
	}
	if !strings.Contains(text, "(left out to fit 120 columns:") || !strings.Contains(text, "error: the solver failed") {
		t.Errorf("text:\n%s", text)
	}
}
