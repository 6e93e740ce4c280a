package closedform_test

import (
	"math/big"
	"testing"

	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/setting"
)

// TestETFExactKKT evaluates the KKT conditions of the plain UFM (theory.md
// section 5 without H >= 0: the gradient in H must vanish) at the explicit
// simplex-ETF point, with package derivation's own objective code, at 256
// bits: the residual is below 1e-60 (in fact at the level of 2^-256), and the
// objective at the point equals the predicted f* to 1e-70, for d = K-1, K,
// 2K, K = 2 and 20, near and beyond the collapse boundary.
func TestETFExactKKT(t *testing.T) {
	plain := func(k, n, d int, lw, lh string) setting.Setting {
		counts := make([]int, k)
		for i := range counts {
			counts[i] = n
		}
		return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh), NoReLU: true}
	}
	tests := []struct {
		name string
		s    setting.Setting
	}{
		{"worked1 d=K-1", plain(4, 50, 3, "5e-3", "5e-3")},
		{"worked1 d=K", plain(4, 50, 4, "5e-3", "5e-3")},
		{"worked1 d=2K", plain(4, 50, 8, "5e-3", "5e-3")},
		{"worked2", plain(10, 300, 9, "1e-4", "1e-5")},
		{"worked3", plain(3, 20, 2, "1e-2", "3e-2")},
		{"K=2 d=1", plain(2, 100, 1, "1e-3", "2e-3")},
		{"K=20 d=19", plain(20, 10, 19, "1e-3", "5e-4")},
		{"below the boundary", plain(4, 4, 3, "0.25", "0.0624")},
		{"boundary", plain(4, 4, 3, "0.25", "0.0625")},
		{"collapsed d=1", plain(5, 10, 1, "0.5", "0.2")},
	}
	limit := big.NewFloat(1e-60)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(tc.s, 256)
			if err != nil {
				t.Fatal(err)
			}
			k, err := derivation.AtPrediction(p)
			if err != nil {
				t.Fatal(err)
			}
			if k.Residual.Cmp(limit) >= 0 {
				t.Errorf("exact KKT residual %s, want below 1e-60", k.Residual.Text('g', 5))
			}
			if k.MinDualSlack != nil || k.PrimalInfeasibility.Sign() != 0 {
				t.Errorf("ReLU quantities reported for the plain UFM: slack %v, infeasibility %s", k.MinDualSlack, k.PrimalInfeasibility.Text('g', 5))
			}
			diff := new(big.Float).Sub(k.Objective, p.Objective)
			if lim := new(big.Float).Mul(p.Objective, big.NewFloat(1e-70)); diff.Abs(diff).Cmp(lim) > 0 {
				t.Errorf("objective at the point %s, predicted f* %s", k.Objective.Text('g', 30), p.Objective.Text('g', 30))
			}
		})
	}
}
