package derivation

import (
	"math"
	"math/big"
	"testing"

	"nccheck/closedform"
	"nccheck/setting"
)

func withBias(s setting.Setting, lb string) setting.Setting {
	s = s.Clone()
	s.Bias, s.LambdaB = true, setting.MustDecimal(lb)
	return s
}

// TestKKTAtBiasPrediction: the explicit point built from the Newton solution
// of the reduced problem is stationary in W, b and H to ~2^-256 in the full
// problem, and its objective is the reduced objective.
func TestKKTAtBiasPrediction(t *testing.T) {
	limit := new(big.Float).SetFloat64(1e-60)
	tests := []struct {
		name string
		s    setting.Setting
		// dualFeasible is whether the orthogonal structure is a KKT point of
		// the full problem: where it is not, some feature entry at 0 has a
		// negative slack and f decreases by making it positive.
		dualFeasible bool
	}{
		{"imbalanced K=4", withBias(mkSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3"), "5e-3"), true},
		{"bias revives a collapsed class", withBias(mkSetting([]int{100, 50, 10, 2}, 6, "1e-2", "1e-2"), "1e-2"), false},
		{"balanced", withBias(mkSetting([]int{10, 10, 10}, 3, "1e-2", "1e-2"), "1e-3"), true},
		{"collapsed with bias", withBias(mkSetting([]int{100, 50, 10, 1}, 5, "2e-2", "2e-2"), "10"), true},
		{"cheap bias, majority collapses", withBias(mkSetting([]int{30, 3, 3}, 3, "1e-2", "4e-2"), "1e-4"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.BiasOrthogonal{}.Predict(tc.s, 256)
			if err != nil {
				t.Fatal(err)
			}
			r, err := AtPrediction(p)
			if err != nil {
				t.Fatal(err)
			}
			slack := "none"
			if r.MinDualSlack != nil {
				slack = r.MinDualSlack.Text('g', 6)
			}
			t.Logf("alive %d/%d: stationarity W %s b %s compl %s, min dual slack %s, residual %s",
				p.AliveCount(), p.K(), r.StationarityW.Text('g', 3), r.StationarityB.Text('g', 3),
				r.Complementarity.Text('g', 3), slack, r.Residual.Text('g', 3))
			for _, v := range []*big.Float{r.StationarityW, r.StationarityB, r.PrimalInfeasibility} {
				if v.Cmp(limit) >= 0 {
					t.Errorf("stationarity residual %s >= 1e-60", v.Text('g', 5))
				}
			}
			// Independent check of the slack from the reduced solution: the
			// slack of a class-k sample on class l's coordinate is
			// a_l . (softmax(y_k + b) - e_k) / N, and 0 on unused coordinates.
			want := math.Inf(1)
			if tc.s.Dim > p.AliveCount() {
				want = 0
			}
			for k := range p.Classes {
				ck := p.Reduced.Classes[k]
				z := make([]float64, p.K())
				zmax := math.Inf(-1)
				for j := range z {
					y, _ := ck.Logits[j].Float64()
					b, _ := p.Bias[j].Float64()
					z[j] = y + b
					zmax = math.Max(zmax, z[j])
				}
				sum := 0.0
				for j := range z {
					z[j] = math.Exp(z[j] - zmax)
					sum += z[j]
				}
				for l, cl := range p.Classes {
					if l == k || !cl.Alive {
						continue
					}
					dot := 0.0
					for j := range z {
						a, _ := p.Reduced.Classes[l].Classifier[j].Float64()
						g := z[j] / sum
						if j == k {
							g--
						}
						dot += a * g
					}
					want = math.Min(want, dot/float64(tc.s.N()))
				}
			}
			got, _ := r.MinDualSlack.Float64()
			if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("min dual slack %g, the reduced solution gives %g", got, want)
			}
			feasible := r.MinDualSlack.Cmp(new(big.Float).Neg(limit)) >= 0
			if feasible != tc.dualFeasible {
				t.Errorf("dual feasible %t (min slack %s at class %d, coordinate %d), expected %t", feasible,
					r.MinDualSlack.Text('g', 6), r.MinDualSlackClass+1, r.MinDualSlackCoord+1, tc.dualFeasible)
			}
			if feasible && r.Residual.Cmp(limit) >= 0 {
				t.Errorf("KKT residual %s >= 1e-60", r.Residual.Text('g', 5))
			}
			d := new(big.Float).Sub(r.Objective, p.Objective)
			if d.Abs(d).Cmp(limit) >= 0 {
				t.Errorf("full objective %s, reduced %s", r.Objective.Text('g', 30), p.Objective.Text('g', 30))
			}
		})
	}
}
