package certificate_test

import (
	"math/big"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

// noMinusOne returns the paper's margin with the "- 1" dropped,
// M_k = log((K-1) / (c beta_k)): a wrong formula.
func noMinusOne() closedform.MarginTheory {
	return closedform.MarginTheory{Label: "no-minus-one", Margin: noMinusOneMargin}
}

func noMinusOneMargin(s setting.Setting, k int, prec uint) (*big.Float, error) {
	f := func(v int64) *big.Float { return new(big.Float).SetPrec(prec).SetInt64(v) }
	kk := int64(s.K())
	cb := new(big.Float).SetPrec(prec).SetRat(new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat()))
	cb.Mul(cb, f(kk-1))
	cb.Quo(cb, f(kk*int64(s.Counts[k])))
	cb.Sqrt(cb)
	cb.Mul(cb, f(int64(s.N())))
	arg := new(big.Float).SetPrec(prec).Quo(f(kk-1), cb)
	if arg.Cmp(f(1)) <= 0 {
		return new(big.Float).SetPrec(prec), nil
	}
	return bigfloat.Log(arg), nil
}

// A wrong formula's point is refuted: its gap f - LB is far above the
// 2^-256 of a global minimum, and LB stays below the paper's f* (the bound
// is valid at any point).
func TestWrongFormulasRefuted(t *testing.T) {
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")}
	paper, err := closedform.Auto{}.Predict(s, prec)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []closedform.Theory{closedform.AuthorsCode{}, noMinusOne()} {
		p, err := th.Predict(s, prec)
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.Minimizer()
		if err != nil {
			t.Fatal(err)
		}
		w, cols, labels, mult, b := minimizerArgs(s, m)
		res, err := certificate.BigAtPoint(s, w, cols, labels, mult, b, prec)
		if err != nil {
			t.Fatal(err)
		}
		gap, _ := res.Gap(p.Objective).Float64()
		if gap <= 1e-8 {
			t.Errorf("%s: gap %.3g, want > 1e-8", th.Name(), gap)
		}
		if d := new(big.Float).Sub(res.LowerBound, paper.Objective); d.Sign() > 0 {
			t.Errorf("%s: LB %s above the global minimum %s", th.Name(), res.LowerBound.Text('g', 30), paper.Objective.Text('g', 30))
		}
		// With lambda_W = lambda_H the authors' class directions are exactly
		// half the paper's (1 - p_k is halved): alpha = 2 recovers the
		// optimal dual point, and the bound at their point is the paper's f*.
		if _, ok := th.(closedform.AuthorsCode); ok {
			if r := relDiff(res.LowerBound, paper.Objective); r > 1e-60 {
				t.Errorf("authors-code: LB %s, paper's f* %s", res.LowerBound.Text('g', 30), paper.Objective.Text('g', 30))
			}
		}
		if r := relDiff(res.Objective, p.Objective); r > 1e-70 {
			t.Errorf("%s: f %s, closed form %s", th.Name(), res.Objective.Text('g', 30), p.Objective.Text('g', 30))
		}
		t.Logf("%s: f %s, LB %s, gap %.3g, omega/s %s, alpha %s, descent %v", th.Name(), p.Objective.Text('g', 12),
			res.LowerBound.Text('g', 12), gap, res.DualNormRatio.Text('g', 8), res.Alpha.Text('g', 8), res.Descent)
	}
}
