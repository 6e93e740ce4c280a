package target

import (
	"math"
	"testing"

	"nccheck/closedform"
	"nccheck/setting"
)

// TestPairCos: the target's pair cosines are those of the prediction's
// Hbar^T Hbar: 0 for the orthogonal means of section 2, -1/(K-1) for the
// simplex ETF, and different per pair for the squared error with an
// unregularised bias, where they span the prediction's midrange MeanCos.
func TestPairCos(t *testing.T) {
	base := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8,
		LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	etf := base.Clone()
	etf.Counts, etf.NoReLU = []int{10, 10, 10, 10}, true
	mseBias := base.Clone()
	mseBias.Loss, mseBias.Bias, mseBias.NoReLU = setting.MSE(), true, true
	for _, tc := range []struct {
		name    string
		s       setting.Setting
		uniform bool
	}{{"paper", base, true}, {"etf", etf, true}, {"mse-bias", mseBias, false}} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(tc.s, 128)
			if err != nil {
				t.Fatal(err)
			}
			tg := Of(p)
			if tg.PairCos == nil {
				t.Fatal("PairCos is nil with 4 alive classes")
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for a := 0; a < 4; a++ {
				for b := 0; b < 4; b++ {
					if a != b {
						c := tg.PairCos.At(a, b)
						lo, hi = math.Min(lo, c), math.Max(hi, c)
					}
				}
			}
			if tc.uniform {
				if math.Abs(lo-p.MeanCos) > 1e-15 || math.Abs(hi-p.MeanCos) > 1e-15 {
					t.Errorf("pair cosines in [%g, %g], want all %g", lo, hi, p.MeanCos)
				}
				return
			}
			if hi-lo < 1e-3 || math.Abs((lo+hi)/2-p.MeanCos) > 1e-15 {
				t.Errorf("pair cosines in [%g, %g]: want a spread around the midrange %g", lo, hi, p.MeanCos)
			}
		})
	}
}
