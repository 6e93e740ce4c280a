package certificate_test

import (
	"math"
	"testing"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/optimize"
	"nccheck/setting"
)

func dec(s string) setting.Decimal { return setting.MustDecimal(s) }

// The three worked values of theory.md section 11: nccheck's solver (seed
// 1, default settings), then the float64 bound at its point, and the
// rigorous big-float bound at the same point (converted exactly), which
// agrees. With the bias, the bracket [LB, f] lies 1.9e-4 below the
// orthogonal structure's objective (closedform.PredictBias, theory.md
// section 4): that structure is not the global minimum.
func TestWorkedValues(t *testing.T) {
	cases := []struct {
		name  string
		s     setting.Setting
		f, lb float64
	}{
		{"bias", setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: dec("5e-3"), LambdaH: dec("5e-3"), Bias: true, LambdaB: dec("1e-3")},
			0.30711603969693, 0.30711603894},
		{"plain", setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("5e-3"), NoReLU: true},
			0.29629102342845, 0.296291023217},
		{"imbalanced", setting.Setting{Counts: []int{1000, 500, 100, 20, 5}, Dim: 8, LambdaW: dec("1e-3"), LambdaH: dec("1e-3")},
			0.311657927637591, 0.31165792718527},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := optimize.NewProblem(c.s)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := optimize.Solve(p, optimize.Settings{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := certificate.AtPoint(c.s, sol.Point.W, sol.Point.H, sol.Point.B, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("solver f %.15g, certificate f %.15g, LB %.15g (theory %.15g), gap %.3g, alpha %.15g, ratio %.15g, descent %v",
				sol.Objective, res.Objective, res.LowerBound, c.lb, res.Gap(res.Objective), res.Alpha, res.DualNormRatio, res.Descent)
			if math.Abs(sol.Objective-c.f) > 1e-8 {
				t.Errorf("solver objective %.15g, theory.md %.15g", sol.Objective, c.f)
			}
			if math.Abs(res.Objective-sol.Objective) > 1e-13 {
				t.Errorf("objective %.15g, solver's %.15g", res.Objective, sol.Objective)
			}
			if math.Abs(res.LowerBound-c.lb) > 1e-8 {
				t.Errorf("LB %.15g, theory.md %.15g", res.LowerBound, c.lb)
			}
			if res.LowerBound > res.Objective {
				t.Errorf("LB %.15g above f %.15g", res.LowerBound, res.Objective)
			}
			w, cols, b := bigPoint(sol.Point.W, sol.Point.H, sol.Point.B)
			big, err := certificate.BigAtPoint(c.s, w, cols, classLabels(c.s.Counts), nil, b, 128)
			if err != nil {
				t.Fatal(err)
			}
			if lb, _ := big.LowerBound.Float64(); math.Abs(lb-res.LowerBound) > 1e-12 {
				t.Errorf("big-float LB %.15g, float64 %.15g", lb, res.LowerBound)
			}
			if c.s.Bias {
				p, err := closedform.Auto{}.Predict(c.s, 128)
				if err != nil {
					t.Fatal(err)
				}
				if f, _ := p.Objective.Float64(); f-res.LowerBound < 1e-4 {
					t.Errorf("orthogonal structure f %.15g, certified LB %.15g", f, res.LowerBound)
				}
				// The bound at the orthogonal structure's own point is a valid
				// bound too: below the solver's objective.
				m, err := p.Minimizer()
				if err != nil {
					t.Fatal(err)
				}
				pb, err := certificate.BigAtClassMeans(c.s, m.W, m.Means, m.B, 128)
				if err != nil {
					t.Fatal(err)
				}
				if lb, _ := pb.LowerBound.Float64(); lb > sol.Objective {
					t.Errorf("LB at the orthogonal structure %.15g above the solver's f %.15g", lb, sol.Objective)
				}
				t.Logf("orthogonal structure: f %s, LB there %s", p.Objective.Text('g', 12), pb.LowerBound.Text('g', 12))
			}
		})
	}
}
