package closedform_test

import (
	"math/big"
	"testing"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

// TestTheory12Certified: at the explicit point of each theory of theory.md
// section 12 (label smoothing, the squared error with and without ReLU, the
// unregularised bias on the plain UFM), the rigorous big-float lower bound of
// package certificate (independent code, sections 11-12) equals f* to
// 2^-200 relative at 256 bits: each point is the global minimum, for every d.
func TestTheory12Certified(t *testing.T) {
	mk := func(c []int, d int, lw, lh, loss string, bias, plain bool) setting.Setting {
		l, err := setting.ParseLoss(loss)
		if err != nil {
			t.Fatal(err)
		}
		return setting.Setting{Counts: c, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh),
			Loss: l, Bias: bias, NoReLU: plain}
	}
	for _, s := range []setting.Setting{
		mk([]int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, 10, "1e-4", "1e-5", "ls:0.1", false, false),
		mk([]int{40, 20, 10, 5}, 4, "2e-2", "2e-2", "ls:0.3", false, false),
		mk([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3", "mse", false, false),
		mk([]int{1000, 100, 10, 1}, 3, "1e-3", "2e-3", "mse", false, true),
		mk([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3", "mse", true, true),
		mk([]int{100, 100, 1}, 2, "1e-2", "1e-2", "mse", true, true),
		mk([]int{1000, 500, 100, 20, 5}, 5, "1e-3", "1e-3", "mse", true, true),
	} {
		t.Run(s.String(), func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(s, 256)
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Minimizer()
			if err != nil {
				t.Fatal(err)
			}
			cols := make([][]*big.Float, m.K)
			labels, mult := make([]int, m.K), make([]int, m.K)
			for k := range cols {
				cols[k] = make([]*big.Float, m.D)
				for i := range cols[k] {
					cols[k][i] = m.Means[i][k]
				}
				labels[k], mult[k] = k, s.Counts[k]
			}
			r, err := certificate.BigAtPoint(s, m.W, cols, labels, mult, m.B, 256)
			if err != nil {
				t.Fatal(err)
			}
			gap := new(big.Float).Sub(p.Objective, r.LowerBound)
			lim := new(big.Float).SetMantExp(p.Objective, -200)
			if gap.Cmp(lim) > 0 || gap.Cmp(new(big.Float).Neg(lim)) < 0 {
				t.Errorf("%s: f* %s, certified lower bound %s (gap %s)", p.Theory, p.Objective.Text('g', 30), r.LowerBound.Text('g', 30), gap.Text('g', 3))
			}
		})
	}
}
