package verify

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"nccheck/optimize"
)

// TestProvedBracket: on a 4-class imbalanced plain-UFM row (no theorem)
// the bracket at the real solver's point is proved in big-float: the row is
// certified on it, the proved lower bound lies below f(point) = lower bound
// + gap and within 1e-12 of the float64 one, and the row checks after a
// JSON round trip; with a tampered proved gap its verdict does not.
func TestProvedBracket(t *testing.T) {
	for _, lambda := range []string{"1e-3", "1e-2"} {
		t.Run(lambda, func(t *testing.T) { testProvedBracket(t, lambda) })
	}
}

// testProvedBracket is TestProvedBracket at lambda_W = lambda_H = lambda.
// (cmd/nccheck's TestVerifySELIPath holds a solver point at 1e-2 where the
// top eigenvalues of Q cluster and the spectral bound's shift has to grow
// far beyond 2^-(prec-16): certificate/bigrho.go's plainRho.)
func testProvedBracket(t *testing.T, lambda string) {
	s := mk([]int{40, 20, 10, 5}, 4, lambda, lambda)
	s.NoReLU = true
	r := CheckCase(context.Background(), 0, Case{Name: "plain", Setting: s}, Config{Seed: 1, Solver: NewSolver(optimize.Settings{Tol: 1e-10, MaxIter: 20000, Restarts: 4, Workers: 1})})[0]
	if r.Verdict != Certified || r.LowerBoundProved == nil || r.CertifiedGapProved == nil || r.BracketNote != "" {
		t.Fatalf("verdict %s, proved bracket %v %v, note %q", r.Verdict, r.LowerBoundProved, r.CertifiedGapProved, r.BracketNote)
	}
	lb, gap, err := provedBracket(r)
	if err != nil {
		t.Fatal(err)
	}
	if gap.Sign() <= 0 {
		t.Errorf("proved gap %s: the lower bound is not below f(point)", *r.CertifiedGapProved)
	}
	lbf, _ := lb.Float64()
	if d := math.Abs(lbf - *r.LowerBound); d > 1e-12*math.Max(1, math.Abs(lbf)) {
		t.Errorf("proved LB %s, float64 LB %.17g: differ by %g", *r.LowerBoundProved, *r.LowerBound, d)
	}
	if g, _ := gap.Float64(); g > 1e-9 || math.Abs(g-*r.CertifiedGap) > 1e-12 {
		t.Errorf("proved gap %g, float64 gap %g", g, *r.CertifiedGap)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Row
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := CheckRow(back, DefaultTolerances()); err != nil {
		t.Errorf("round trip: %v", err)
	}
	bad := "1e-3"
	back.CertifiedGapProved = &bad
	if err := CheckRow(back, DefaultTolerances()); err == nil || !strings.Contains(err.Error(), "is not the verdict out-of-scope of its bracket") {
		t.Errorf("tampered proved gap: %v", err)
	}
}

// TestProvedBracketBudget: a row over the proof budget keeps the float64
// bracket alone and says why; so does a run without a budget.
func TestProvedBracketBudget(t *testing.T) {
	s := mk([]int{20, 10, 5}, 3, "1e-2", "3e-2")
	s.NoReLU = true
	for _, budget := range []int64{3*35 - 1, -1} {
		r := CheckCase(context.Background(), 0, Case{Name: "plain", Setting: s}, Config{ProofBudget: budget})[0]
		if r.LowerBoundProved != nil || r.CertifiedGapProved != nil || r.CertifiedGap == nil {
			t.Errorf("budget %d: proved bracket %v, float64 %v", budget, r.LowerBoundProved, r.CertifiedGap)
		}
		want := "above the proof budget"
		if budget < 0 {
			want = "no proof budget"
		}
		if !strings.HasPrefix(r.BracketNote, "float64 bracket only") || !strings.Contains(r.BracketNote, want) {
			t.Errorf("budget %d: note %q", budget, r.BracketNote)
		}
		if r.Verdict != Certified || CheckRow(r, DefaultTolerances()) != nil {
			t.Errorf("budget %d: verdict %s, check %v", budget, r.Verdict, CheckRow(r, DefaultTolerances()))
		}
	}
	// At the budget exactly (G K = 35 x 3, a generic point) the bracket is proved.
	if r := CheckCase(context.Background(), 0, Case{Name: "plain", Setting: s}, Config{ProofBudget: 3 * 35})[0]; r.LowerBoundProved == nil {
		t.Errorf("at the budget: %q", r.BracketNote)
	}
}

// TestJudgeProvedBracket: with a proved bracket the verdicts come from its
// decimals, exactly: certified on the proved gap, refuted on the proved
// lower bound, whatever the float64 fields say.
func TestJudgeProvedBracket(t *testing.T) {
	str := func(s string) *string { return &s }
	f64 := func(v float64) *float64 { return &v }
	tol := DefaultTolerances()
	for _, tc := range []struct {
		lb, gap, fstar string
		within, below  bool
	}{
		{"0.5", "1e-9", "0.5", true, false},
		{"0.5", "1.0000000001e-9", "0.5", false, false},
		{"0.5", "1e-10", "0.4999999989", true, true},
		{"0.5", "1e-10", "0.499999999", true, false},
		{"-3", "2.9e-9", "-3", true, false}, // scale max(1, |f|) = 3
	} {
		r := Row{LowerBound: f64(0), CertifiedGap: f64(1), NumericObjective: 0.5, LowerBoundProved: str(tc.lb),
			CertifiedGapProved: str(tc.gap), PredictedObjective: str(tc.fstar)}
		if tc.lb == "-3" {
			r.NumericObjective = -3
		}
		below, err := belowSolverBound(r, tol)
		if within := bracketWithin(r, tol); within != tc.within || below != tc.below || err != nil {
			t.Errorf("LB %s gap %s f* %s: within %t below %t err %v", tc.lb, tc.gap, tc.fstar, within, below, err)
		}
	}
	// Without the proved fields (rows of older versions): the float64 ones.
	r := Row{LowerBound: f64(0.5), CertifiedGap: f64(2e-9), NumericObjective: 0.5, PredictedObjective: str("0.4")}
	if below, _ := belowSolverBound(r, tol); bracketWithin(r, tol) || !below {
		t.Errorf("float64 row: within %t below %t", bracketWithin(r, tol), below)
	}
}
