package certificate_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

const prec = 256

// minimizerArgs converts a closedform.Minimizer to BigAtPoint's arguments:
// one column per class (its mean), with multiplicity n_k.
func minimizerArgs(s setting.Setting, m *closedform.Minimizer) (w, cols [][]*big.Float, labels, mult []int, b []*big.Float) {
	cols = make([][]*big.Float, m.K)
	labels = make([]int, m.K)
	mult = make([]int, m.K)
	for k := 0; k < m.K; k++ {
		cols[k] = make([]*big.Float, m.D)
		for i := range cols[k] {
			cols[k][i] = m.Means[i][k]
		}
		labels[k] = k
		mult[k] = s.Counts[k]
	}
	return m.W, cols, labels, mult, m.B
}

// relDiff returns |a - b| / |b|.
func relDiff(a, b *big.Float) float64 {
	d := new(big.Float).SetPrec(1024).Sub(a, b)
	d.Quo(d, b)
	f, _ := d.Float64()
	return math.Abs(f)
}

func k100() []int {
	n := make([]int, 100)
	for i := range n {
		n[i] = 50 + 37*i // 50 .. 3713, as closedform's tests
	}
	return n
}

// At the paper's prediction (theory.md section 2) and at the simplex ETF
// (section 9), the bound at 256 bits equals f* to 1e-60 relative: the
// prediction is the global minimum for every d, not only a KKT point.
func TestPredictionIsCertified(t *testing.T) {
	cases := []struct {
		name string
		s    setting.Setting
	}{
		{"balanced", setting.Setting{Counts: []int{50, 50, 50, 50}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")}},
		{"imbalanced", setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")}},
		{"imbalanced-10", setting.Setting{Counts: []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, Dim: 10, LambdaW: dec("1e-4"), LambdaH: dec("1e-5")}},
		{"collapsed", setting.Setting{Counts: []int{1000, 500, 100, 20, 5}, Dim: 8, LambdaW: dec("1e-2"), LambdaH: dec("1e-2")}},
		{"all-collapsed", setting.Setting{Counts: []int{3, 2, 1}, Dim: 2, LambdaW: dec("0.5"), LambdaH: dec("0.5")}},
		// K = 5 and 12: the optimal scale alpha = 1 is interior and 1/K is
		// not a binary fraction, so the slope at alpha = 1 is a rounding
		// error and the Newton step below half an ulp (the search used to
		// bisect away from it: LB - f* = -1.2e-4, -3.3e-4).
		{"all-collapsed-5", setting.Setting{Counts: []int{10, 10, 10, 10, 10}, Dim: 5, LambdaW: dec("0.5"), LambdaH: dec("0.2")}},
		{"all-collapsed-12", setting.Setting{Counts: []int{3, 6, 5, 4, 16, 1, 37, 36, 96, 1, 10, 132}, Dim: 12, LambdaW: dec("8e-2"), LambdaH: dec("5e-2")}},
		{"etf-all-collapsed-5", setting.Setting{Counts: []int{10, 10, 10, 10, 10}, Dim: 4, LambdaW: dec("0.5"), LambdaH: dec("0.2"), NoReLU: true}},
		{"K=100", setting.Setting{Counts: k100(), Dim: 100, LambdaW: dec("1e-6"), LambdaH: dec("1e-6")}},
		{"etf", setting.Setting{Counts: []int{50, 50, 50, 50}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("5e-3"), NoReLU: true}},
		{"etf-10", setting.Setting{Counts: []int{300, 300, 300, 300, 300, 300, 300, 300, 300, 300}, Dim: 10, LambdaW: dec("1e-4"), LambdaH: dec("1e-5"), NoReLU: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(c.s, prec)
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Minimizer()
			if err != nil {
				t.Fatal(err)
			}
			res, err := certificate.BigAtClassMeans(c.s, m.W, m.Means, m.B, prec)
			if err != nil {
				t.Fatal(err)
			}
			if r := relDiff(res.LowerBound, p.Objective); r > 1e-60 {
				t.Errorf("LB %s, f* %s: relative difference %.3g", res.LowerBound.Text('g', 40), p.Objective.Text('g', 40), r)
			}
			if r := relDiff(res.Objective, p.Objective); r > 1e-70 {
				t.Errorf("f at the point %s, closed form %s", res.Objective.Text('g', 40), p.Objective.Text('g', 40))
			}
			// LB <= f*: allow the rounding of f* to prec bits.
			if d := new(big.Float).Sub(res.LowerBound, p.Objective); d.Sign() > 0 && relDiff(res.LowerBound, p.Objective) > 1e-75 {
				t.Errorf("LB %s above f* %s", res.LowerBound.Text('g', 40), p.Objective.Text('g', 40))
			}
			if res.Descent != nil {
				t.Errorf("descent direction at the prediction: %+v", res.Descent)
			}
			t.Logf("LB - f* relative %.2g, omega/s %s, alpha %s, %v", relDiff(res.LowerBound, p.Objective),
				res.DualNormRatio.Text('g', 6), res.Alpha.Text('g', 6), res.Stats)
			if p.GlobalCollapse {
				logK := bigfloat.Log(new(big.Float).SetPrec(prec).SetInt64(int64(c.s.K())))
				if r := relDiff(res.LowerBound, logK); r > 1e-60 {
					t.Errorf("all collapsed: LB %s, log K %s", res.LowerBound.Text('g', 40), logK.Text('g', 40))
				}
				return
			}
			if r := relDiff(res.DualNormRatio, big.NewFloat(1)); r > 1e-60 {
				t.Errorf("omega/s = %s, want 1", res.DualNormRatio.Text('g', 40))
			}
		})
	}
}

// The float64 bound at the float64 rounding of a prediction brackets f* to
// float64 accuracy.
func TestPredictionFloat64(t *testing.T) {
	for _, s := range []setting.Setting{
		{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")},
		{Counts: []int{1000, 500, 100, 20, 5}, Dim: 8, LambdaW: dec("1e-2"), LambdaH: dec("1e-2")},
		{Counts: []int{50, 50, 50, 50}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("5e-3"), NoReLU: true},
	} {
		p, err := closedform.Auto{}.Predict(s, prec)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := p.Minimizer()
		res, err := certificate.AtPoint(s, m.WDense(), m.HDense(), nil, m.Labels)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := p.Objective.Float64()
		if math.Abs(res.LowerBound-f) > 1e-13 || math.Abs(res.Objective-f) > 1e-13 {
			t.Errorf("%v: LB %.17g, f %.17g, f* %.17g", s, res.LowerBound, res.Objective, f)
		}
		if math.Abs(res.DualNormRatio-1) > 1e-12 || res.Descent != nil {
			t.Errorf("%v: omega/s %.17g, descent %+v", s, res.DualNormRatio, res.Descent)
		}
	}
}

// An unregularised bias (lambda_b = 0): at balanced counts the bias-free
// prediction with b = 0 is certified as the global minimum of the problem
// with a free bias (the centring of the dual point changes nothing there).
func TestUnregularisedBalanced(t *testing.T) {
	free := setting.Setting{Counts: []int{50, 50, 50, 50}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")}
	p, err := closedform.Auto{}.Predict(free, prec)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := p.Minimizer()
	s := free.Clone()
	s.Bias = true
	w, cols, labels, mult, _ := minimizerArgs(s, m)
	b := make([]*big.Float, s.K())
	for i := range b {
		b[i] = new(big.Float)
	}
	res, err := certificate.BigAtPoint(s, w, cols, labels, mult, b, prec)
	if err != nil {
		t.Fatal(err)
	}
	if r := relDiff(res.LowerBound, p.Objective); r > 1e-60 {
		t.Errorf("LB %s, f* %s", res.LowerBound.Text('g', 40), p.Objective.Text('g', 40))
	}
}
