package closedform

// Tests of the simplex ETF of theory.md section 9 (etf.go), against an
// independent float64 path written here: the margin as section 9 states it,
// a^2 and b^2 in section 9's form with N, an explicit ETF in R^K built from
// u_k = sqrt(K/(K-1)) (e_k - 1/K) (not the Helmert basis of etf.go), the
// K x K matrices as gonum products of that point, and f* as the full
// objective evaluated there with log-sum-exp.

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ALTree/bigfloat"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

func plainSetting(k, n, d int, lw, lh string) setting.Setting {
	counts := make([]int, k)
	for i := range counts {
		counts[i] = n
	}
	s := mkSetting(counts, d, lw, lh)
	s.NoReLU = true
	return s
}

// etf64 is the float64 prediction of section 9.
type etf64 struct {
	alive          bool
	m, a2, b2, p   float64
	fFormula       float64 // log(1 + (K-1) e^{-m}) + t sqrt(K N lW lH), section 9's f*
	fPoint         float64 // the objective of section 1 evaluated at the explicit point
	wh, wwt, hth   *mat.Dense
	w, hbar        *mat.Dense
	lw, lh, nk, nn float64
}

func predictETF64(s setting.Setting) etf64 {
	k := s.K()
	kf := float64(k)
	r := etf64{lw: s.LambdaW.Float64(), lh: s.LambdaH.Float64(), nk: float64(s.Counts[0]), nn: float64(s.N())}
	sv := math.Sqrt(r.nk * r.lw * r.lh)
	r.alive = sv < 1/kf
	if r.alive {
		r.m = math.Log(1/sv - (kf - 1))
	}
	t := r.m * (kf - 1) / kf
	r.a2 = t * math.Sqrt(r.nn*r.lh/(kf*r.lw))
	r.b2 = t * math.Sqrt(kf*r.lw/(r.nn*r.lh))
	r.fFormula = math.Log(1+(kf-1)*math.Exp(-r.m)) + t*math.Sqrt(kf*r.nn*r.lw*r.lh)
	// The ETF in R^K: column k of U is sqrt(K/(K-1)) (e_k - 1/K).
	u := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := -1 / kf
			if i == j {
				v++
			}
			u.Set(i, j, math.Sqrt(kf/(kf-1))*v)
		}
	}
	r.w = new(mat.Dense)
	r.w.Scale(math.Sqrt(r.a2), u.T()) // row k = a u_k
	r.hbar = new(mat.Dense)
	r.hbar.Scale(math.Sqrt(r.b2), u) // column k = b u_k
	r.wh, r.wwt, r.hth = new(mat.Dense), new(mat.Dense), new(mat.Dense)
	r.wh.Mul(r.w, r.hbar)
	r.wwt.Mul(r.w, r.w.T())
	r.hth.Mul(r.hbar.T(), r.hbar)
	r.fPoint = r.objective(r.w, r.hbar)
	z := mat.Col(nil, 0, r.wh)
	r.p = 1 / floats.Sum(expShift(z, z[0]))
	return r
}

// objective is f of section 1 at (W, Hbar) with every sample of class k at
// column k of hbar, in float64 with log-sum-exp.
func (r etf64) objective(w, hbar *mat.Dense) float64 {
	k, _ := w.Dims()
	var wh mat.Dense
	wh.Mul(w, hbar)
	loss := 0.0
	for c := 0; c < k; c++ {
		z := mat.Col(nil, c, &wh)
		mx := floats.Max(z)
		loss += r.nk * (mx + math.Log(floats.Sum(expShift(z, mx))) - z[c])
	}
	wf, hf := mat.Norm(w, 2), mat.Norm(hbar, 2)
	return loss/r.nn + r.lw/2*wf*wf + r.lh/2*r.nk*hf*hf
}

func expShift(z []float64, shift float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = math.Exp(v - shift)
	}
	return out
}

// etfSettings are balanced plain-UFM settings on both sides of s = 1/K.
func etfSettings() []struct {
	name string
	s    setting.Setting
} {
	return []struct {
		name string
		s    setting.Setting
	}{
		{"worked1-k4-d3", plainSetting(4, 50, 3, "5e-3", "5e-3")},
		{"worked2-k10-d10", plainSetting(10, 300, 10, "1e-4", "1e-5")},
		{"worked3-k3-d2", plainSetting(3, 20, 2, "1e-2", "3e-2")},
		{"k2-d1", plainSetting(2, 100, 1, "1e-3", "2e-3")},
		{"k20-d19", plainSetting(20, 10, 19, "1e-3", "5e-4")},
		{"k7-d14", plainSetting(7, 3, 14, "3e-2", "7e-3")},
		{"collapsed-k5-d2", plainSetting(5, 10, 2, "0.5", "0.2")},
		{"boundary-k4", plainSetting(4, 4, 4, "0.25", "0.0625")},
	}
}

// TestETFWorkedValues: the three worked values of theory.md section 9
// (float64, printed with 17 digits there): agreement to a few ulps.
func TestETFWorkedValues(t *testing.T) {
	tests := []struct {
		s       setting.Setting
		m, fmin float64 // m = 0: not given
	}{
		{plainSetting(4, 50, 3, "5e-3", "5e-3"), 3.2301825125805848, 0.45473594512076887},
		{plainSetting(10, 300, 9, "1e-4", "1e-5"), 0, 0.0419366272819052},
		{plainSetting(3, 20, 2, "1e-2", "3e-2"), 0, 0.5385300077145921},
	}
	for _, tc := range tests {
		t.Run(tc.s.String(), func(t *testing.T) {
			p := mustPredict(t, Auto{}, tc.s, 0)
			if p.Model != ModelETF || p.Theory != "plain-etf" {
				t.Errorf("model %q theory %q", p.Model, p.Theory)
			}
			if !closeF64(f64(p.Objective), tc.fmin, 1e-15) {
				t.Errorf("f* = %s, section 9 says %.17g", p.Objective.Text('g', 20), tc.fmin)
			}
			if tc.m != 0 && !closeF64(f64(p.Classes[0].Margin), tc.m, 1e-15) {
				t.Errorf("m = %s, section 9 says %.17g", p.Classes[0].Margin.Text('g', 20), tc.m)
			}
		})
	}
}

// TestETFAgainstFloat64 compares every quantity with the independent
// float64 path, and checks in float64 that section 9's f* formula is the
// objective at the explicit point and that no rescaling of W and H along the
// ETF lowers it.
func TestETFAgainstFloat64(t *testing.T) {
	for _, tc := range etfSettings() {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPredict(t, Auto{}, tc.s, 0)
			q := predictETF64(tc.s)
			k := tc.s.K()
			if p.GlobalCollapse == q.alive || p.AliveCount() != map[bool]int{true: k, false: 0}[q.alive] {
				t.Fatalf("global collapse %t, float64 alive %t", p.GlobalCollapse, q.alive)
			}
			const tol = 1e-12
			if !closeF64(q.fPoint, q.fFormula, 1e-14) {
				t.Errorf("float64: objective at the point %.17g, section 9's f* %.17g", q.fPoint, q.fFormula)
			}
			if !closeF64(f64(p.Objective), q.fPoint, tol) {
				t.Errorf("f* %s, float64 objective at the ETF %.17g", p.Objective.Text('g', 20), q.fPoint)
			}
			wantCos := 0.0
			if q.alive {
				wantCos = -1 / float64(k-1)
			}
			if p.MeanCos != wantCos {
				t.Errorf("MeanCos %g, want %g", p.MeanCos, wantCos)
			}
			for i, c := range p.Classes {
				for _, v := range []struct {
					name      string
					got       *big.Float
					want, abs float64
				}{
					{"margin", c.Margin, q.m, q.m},
					{"b^2", c.FeatureNormSq, q.b2, q.b2},
					{"a^2", c.ClassifierNormSq, q.a2, q.a2},
					{"gamma", c.Gamma, q.a2 * float64(k) / float64(k-1), q.a2},
					{"p", c.ProbCorrect, q.p, 1},
				} {
					if math.Abs(f64(v.got)-v.want) > tol*math.Max(1e-300, math.Abs(v.abs)) {
						t.Errorf("class %d %s: %s, float64 %.17g", i+1, v.name, v.got.Text('g', 20), v.want)
					}
				}
				if (c.CosWH != nil) != q.alive || (c.CosWH != nil && f64(c.CosWH) != 1) {
					t.Errorf("class %d cos(w_k, h_k) = %v", i+1, c.CosWH)
				}
				if c.CBeta != nil || c.CollapseRoots.Real {
					t.Errorf("class %d: section-2 quantities set (c beta %v, roots %v)", i+1, c.CBeta, c.CollapseRoots)
				}
			}
			if p.CollapseThreshold != nil {
				t.Errorf("per-class collapse threshold %v for the ETF", p.CollapseThreshold)
			}
			for _, m := range []struct {
				name string
				got  *Matrix
				want *mat.Dense
			}{{"W Hbar", p.WH, q.wh}, {"W W^T", p.WWT, q.wwt}, {"Hbar^T Hbar", p.HTH, q.hth}} {
				scale := math.Max(1e-300, mat.Norm(m.want, math.Inf(1)))
				var diff mat.Dense
				diff.Sub(m.got.Dense(), m.want)
				if e := mat.Norm(&diff, math.Inf(1)); e > tol*scale {
					t.Errorf("%s differs from the float64 point by %g (scale %g)", m.name, e, scale)
				}
			}
			if !q.alive {
				return
			}
			// No rescaling along the ETF family lowers the float64 objective.
			for _, eps := range [][2]float64{{1e-3, 0}, {-1e-3, 0}, {0, 1e-3}, {0, -1e-3}, {1e-3, -1e-3}, {-1e-3, 1e-3}} {
				var w, h mat.Dense
				w.Scale(1+eps[0], q.w)
				h.Scale(1+eps[1], q.hbar)
				if f := q.objective(&w, &h); f < q.fPoint-1e-15 {
					t.Errorf("scaling W by %g and H by %g lowers f from %.17g to %.17g", 1+eps[0], 1+eps[1], q.fPoint, f)
				}
			}
		})
	}
}

// TestETFIdentities checks section 9's relations in big-float arithmetic at
// 256 bits: a b = t, lambda_W K a^2 = lambda_H N b^2, p = 1 - (K-1) s, and
// that the explicit point (any d >= K-1) reproduces the three matrices, has
// class means summing to zero and lives on the first K-1 coordinates.
func TestETFIdentities(t *testing.T) {
	for _, tc := range etfSettings() {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			p := mustPredict(t, Auto{}, s, 0)
			k, d, prec := s.K(), s.Dim, p.Prec
			c := p.Classes[0]
			nf := func(x int64) *big.Float { return new(big.Float).SetPrec(prec + 64).SetInt64(x) }
			mul := func(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec+64).Mul(a, b) }
			eq := func(name string, a, b *big.Float) {
				t.Helper()
				if d := relDiff(a, b, 1e-300); d > 1e-70 {
					t.Errorf("%s: %s vs %s (rel %g)", name, a.Text('g', 20), b.Text('g', 20), d)
				}
			}
			// a b = t = m (K-1)/K, squared: a^2 b^2 = t^2.
			tt := mul(c.Margin, nf(int64(k-1)))
			tt.Quo(tt, nf(int64(k)))
			eq("a^2 b^2 = t^2", mul(c.ClassifierNormSq, c.FeatureNormSq), mul(tt, tt))
			lw, lh := s.LambdaW.Float(prec+64), s.LambdaH.Float(prec+64)
			eq("lW K a^2 = lH N b^2", mul(mul(lw, nf(int64(k))), c.ClassifierNormSq), mul(mul(lh, nf(int64(s.N()))), c.FeatureNormSq))
			if !p.GlobalCollapse {
				q := new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
				q.Mul(q, big.NewRat(int64(s.Counts[0]), 1))
				sv := new(big.Float).SetPrec(prec + 64).SetRat(q)
				sv.Sqrt(sv)
				want := new(big.Float).SetPrec(prec+64).Sub(nf(1), mul(nf(int64(k-1)), sv))
				eq("p = 1 - (K-1) s", c.ProbCorrect, want)
			}
			m, err := p.Minimizer()
			if err != nil {
				t.Fatal(err)
			}
			if m.D != d || len(m.Means) != d || len(m.W[0]) != d {
				t.Fatalf("point in R^%d, setting d = %d", m.D, d)
			}
			for i := k - 1; i < d; i++ {
				for cl := 0; cl < k; cl++ {
					if m.Means[i][cl].Sign() != 0 || m.W[cl][i].Sign() != 0 {
						t.Errorf("coordinate %d (beyond K-1) is used", i+1)
					}
				}
			}
			// small reports |x| <= 2^-240 scale (x = 0 when scale = 0).
			small := func(x, scale *big.Float) bool {
				lim := new(big.Float).SetMantExp(new(big.Float).Abs(scale), -240)
				return new(big.Float).Abs(x).Cmp(lim) <= 0
			}
			for i := 0; i < d; i++ {
				sum := new(big.Float).SetPrec(prec + 64)
				for cl := 0; cl < k; cl++ {
					sum.Add(sum, m.Means[i][cl])
				}
				if b := new(big.Float).Sqrt(c.FeatureNormSq); !small(sum, b) {
					t.Errorf("coordinate %d: class means sum to %s", i+1, sum.Text('g', 5))
				}
			}
			prod := func(a, b func(i, j int) *big.Float, r int) func(i, j int) *big.Float {
				return func(i, j int) *big.Float {
					x := new(big.Float).SetPrec(prec + 64)
					for l := 0; l < r; l++ {
						x.Add(x, mul(a(i, l), b(l, j)))
					}
					return x
				}
			}
			w := func(i, j int) *big.Float { return m.W[i][j] }
			wt := func(i, j int) *big.Float { return m.W[j][i] }
			h := func(i, j int) *big.Float { return m.Means[i][j] }
			ht := func(i, j int) *big.Float { return m.Means[j][i] }
			for _, mm := range []struct {
				name string
				got  func(i, j int) *big.Float
				want *Matrix
			}{{"W Hbar", prod(w, h, d), p.WH}, {"W W^T", prod(w, wt, d), p.WWT}, {"Hbar^T Hbar", prod(ht, h, d), p.HTH}} {
				scale := mm.want.At(0, 0) // the diagonal, the largest entry in absolute value
				for i := 0; i < k; i++ {
					for j := 0; j < k; j++ {
						diff := new(big.Float).SetPrec(prec+64).Sub(mm.got(i, j), mm.want.At(i, j))
						if !small(diff, scale) {
							t.Errorf("%s(%d,%d) of the point %s, prediction %s", mm.name, i+1, j+1, mm.got(i, j).Text('g', 20), mm.want.At(i, j).Text('g', 20))
						}
					}
				}
			}
		})
	}
}

// TestETFGlobalCollapse: at and above s = 1/K (exactly, in rationals) every
// class collapses, W = 0, H = 0, f* = log K, and any d is allowed; just below
// the boundary the classes are alive with a small positive margin.
func TestETFGlobalCollapse(t *testing.T) {
	tests := []struct {
		name     string
		s        setting.Setting
		collapse bool
	}{
		{"boundary k2 n1", plainSetting(2, 1, 1, "0.5", "0.5"), true},
		{"boundary k4 n4", plainSetting(4, 4, 2, "0.25", "0.0625"), true},
		{"boundary k10 n4", plainSetting(10, 4, 3, "0.1", "0.025"), true},
		{"above k3", plainSetting(3, 10, 1, "0.5", "0.2"), true},
		{"below k4 n4", plainSetting(4, 4, 3, "0.25", "0.0624"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ETFCollapseRatio(tc.s).Cmp(big.NewRat(1, 1)) >= 0; got != tc.collapse {
				t.Fatalf("ETFCollapseRatio %s: collapse %t, want %t", ETFCollapseRatio(tc.s).RatString(), got, tc.collapse)
			}
			p := mustPredict(t, Auto{}, tc.s, 0)
			if p.GlobalCollapse != tc.collapse {
				t.Fatalf("GlobalCollapse %t, want %t", p.GlobalCollapse, tc.collapse)
			}
			if !tc.collapse {
				if p.Classes[0].Margin.Sign() <= 0 || p.AliveCount() != tc.s.K() {
					t.Errorf("below the boundary: margin %s, %d alive", p.Classes[0].Margin.Text('g', 10), p.AliveCount())
				}
				return
			}
			logK := bigfloat.Log(new(big.Float).SetPrec(p.Prec + 64).SetInt64(int64(tc.s.K())))
			if d := relDiff(p.Objective, logK, 1); d > 1e-75 {
				t.Errorf("f* = %s, want log K (rel %g)", p.Objective.Text('g', 20), d)
			}
			if p.AliveCount() != 0 || p.MeanCos != 0 {
				t.Errorf("alive %d, MeanCos %g", p.AliveCount(), p.MeanCos)
			}
			for _, c := range p.Classes {
				if c.Margin.Sign() != 0 || c.FeatureNormSq.Sign() != 0 || c.ClassifierNormSq.Sign() != 0 || c.CosWH != nil {
					t.Errorf("collapsed class: margin %s, b^2 %s, a^2 %s, cos %v", c.Margin.Text('g', 5), c.FeatureNormSq.Text('g', 5), c.ClassifierNormSq.Text('g', 5), c.CosWH)
				}
				if f := f64(c.ProbCorrect); !closeF64(f, 1/float64(tc.s.K()), 1e-15) {
					t.Errorf("p = %g, want 1/K", f)
				}
			}
			for _, m := range []*Matrix{p.WH, p.WWT, p.HTH} {
				if n := mat.Norm(m.Dense(), 1); n != 0 {
					t.Errorf("matrix of norm %g, want 0", n)
				}
			}
			mz, err := p.Minimizer()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range append(append([][]*big.Float{}, mz.W...), mz.Means...) {
				for _, v := range row {
					if v.Sign() != 0 {
						t.Fatal("the collapsed point is not W = 0, H = 0")
					}
				}
			}
		})
	}
}

// TestETFNearBoundaryPrecision: with (K s)^2 = 1 - 2e-31 the margin is about
// 2e-31, and the closed form keeps its full relative precision (no
// cancellation in 1/s - (K-1)): 256 bits agree with 1024 bits to 2^-250, and
// m matches its first-order expansion y = x / (s (1 + K s)) = x for K = 2.
func TestETFNearBoundaryPrecision(t *testing.T) {
	s := plainSetting(2, 1, 1, "0.5", "0.4999999999999999999999999999999")
	lo := mustPredict(t, Auto{}, s, 256)
	hi := mustPredict(t, Auto{}, s, 1024)
	for _, v := range []struct {
		name   string
		lo, hi *big.Float
	}{{"margin", lo.Classes[0].Margin, hi.Classes[0].Margin}, {"b^2", lo.Classes[0].FeatureNormSq, hi.Classes[0].FeatureNormSq},
		{"f*", lo.Objective, hi.Objective}} {
		if d := relDiff(v.lo, v.hi, 1e-300); d > math.Ldexp(1, -250) {
			t.Errorf("%s: 256 bits %s, 1024 bits %s (rel %g)", v.name, v.lo.Text('g', 30), v.hi.Text('g', 30), d)
		}
	}
	x, _, err := big.ParseFloat("2e-31", 10, 256, big.ToNearestEven)
	if err != nil {
		t.Fatal(err)
	}
	if d := relDiff(lo.Classes[0].Margin, x, 1e-300); d > 1e-29 {
		t.Errorf("margin %s, want about 2e-31 (rel %g)", lo.Classes[0].Margin.Text('g', 20), d)
	}
}

// TestETFAtOrBelowReLU: on balanced settings the plain UFM's f* is at or
// below the UFM+ f* (the orthogonal frame is feasible for both problems).
// Equality holds only when both collapse globally (f* = log K).
func TestETFAtOrBelowReLU(t *testing.T) {
	var cases []setting.Setting
	for k := 2; k <= 12; k++ {
		for _, lam := range [][2]string{{"1e-3", "5e-4"}, {"1e-2", "1e-2"}, {"3e-2", "7e-3"}, {"0.1", "0.1"}, {"0.5", "0.2"}} {
			for _, n := range []int{1, 5, 40} {
				cases = append(cases, plainSetting(k, n, k, lam[0], lam[1]))
			}
		}
	}
	strict := 0
	for _, plain := range cases {
		relu := plain.Clone()
		relu.NoReLU = false
		pp := mustPredictUnchecked(t, Auto{}, plain, 128)
		pr := mustPredictUnchecked(t, Auto{}, relu, 128)
		// Both are computed to 128 bits; a difference within 2^-120 of f* is
		// equality (both globally collapsed at log K, summed differently).
		diff := new(big.Float).Sub(pp.Objective, pr.Objective)
		lim := new(big.Float).SetMantExp(pr.Objective, -120)
		switch {
		case diff.Cmp(lim) > 0:
			t.Errorf("%s: plain f* %s above the ReLU f* %s", plain, pp.Objective.Text('g', 20), pr.Objective.Text('g', 20))
		case diff.Cmp(new(big.Float).Neg(lim)) < 0:
			strict++
		case !pr.GlobalCollapse || !pp.GlobalCollapse:
			t.Errorf("%s: equal objectives %s without global collapse", plain, pp.Objective.Text('g', 20))
		}
	}
	if strict == 0 || strict == len(cases) {
		t.Errorf("%d of %d settings strictly below: the table should have both kinds", strict, len(cases))
	}
}

// TestETFScope: what the ETF theorem does not cover is a *ScopeError naming
// the responsible field; the standalone ETF theory agrees with the paper's
// dispatch where both apply.
func TestETFScope(t *testing.T) {
	imb := mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3")
	imb.NoReLU = true
	small := plainSetting(5, 10, 3, "1e-3", "5e-4")
	relu := plainSetting(4, 50, 4, "5e-3", "5e-3")
	relu.NoReLU = false
	bias := plainSetting(4, 50, 4, "5e-3", "5e-3")
	bias.Bias, bias.LambdaB = true, setting.MustDecimal("1e-3")
	tests := []struct {
		name   string
		th     Theory
		s      setting.Setting
		field  string
		reason string
	}{
		{"imbalanced", Auto{}, imb, setting.FieldNoReLU + "/" + setting.FieldCounts, "no closed form is known for the imbalanced plain UFM (Hong & Ling 2023 reduce it to a convex program)"},
		{"imbalanced etf", ETF{}, imb, setting.FieldNoReLU + "/" + setting.FieldCounts, "no closed form is known"},
		{"d < K-1", Auto{}, small, setting.FieldDim, "smaller than K-1 = 4"},
		{"authors-code", AuthorsCode{}, plainSetting(4, 50, 4, "5e-3", "5e-3"), setting.FieldNoReLU, "ReLU"},
		{"etf with relu", ETF{}, relu, setting.FieldNoReLU, "is required"},
		{"etf with bias", ETF{}, bias, setting.FieldBias, "bias-free"},
		{"paper with bias, no relu", Auto{}, bias, setting.FieldNoReLU, "ReLU"},
		{"etf with mse", ETF{}, func() setting.Setting { s := plainSetting(4, 50, 4, "5e-3", "5e-3"); s.Loss = setting.MSE(); return s }(),
			setting.FieldLoss, "cross-entropy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.th.Predict(tc.s, 0)
			var se *ScopeError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *ScopeError", err)
			}
			var ie *setting.InputError
			if !errors.As(err, &ie) || ie.Field != tc.field || !strings.Contains(ie.Reason, tc.reason) {
				t.Errorf("err = %v, want field %s and a reason containing %q", err, tc.field, tc.reason)
			}
		})
	}
	var se *ScopeError
	if _, err := (Auto{}).Predict(small, 0); !errors.As(err, &se) || se.Alive != 5 || se.Short != "d=3 < K-1=4" {
		t.Errorf("d < K-1: %+v", se)
	}
	s := plainSetting(6, 7, 5, "2e-3", "3e-3")
	a, err := Auto{}.Predict(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ETF{}.Predict(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Theory != "plain-etf" || b.Theory != "plain-etf" || a.Objective.Cmp(b.Objective) != 0 || a.Classes[0].Margin.Cmp(b.Classes[0].Margin) != 0 {
		t.Errorf("Auto (%s, %s) and ETF{} (%s, %s) differ", a.Theory, a.Objective.Text('g', 20), b.Theory, b.Objective.Text('g', 20))
	}
}

// etfGolden is the content of a golden file of the ETF: the setting, and the
// prediction's report with the ETF-specific fields.
type etfGolden struct {
	Name    string  `json:"name"`
	NoReLU  bool    `json:"no_relu"`
	Prec    uint    `json:"precision_bits"`
	Model   string  `json:"model"`
	MeanCos float64 `json:"mean_cos"`
	Report  Report  `json:"report"`
}

func etfGoldenCases() []struct {
	name string
	s    setting.Setting
} {
	return []struct {
		name string
		s    setting.Setting
	}{
		{"etf-worked1-k4", plainSetting(4, 50, 3, "5e-3", "5e-3")},
		{"etf-worked2-k10", plainSetting(10, 300, 10, "1e-4", "1e-5")},
		{"etf-worked3-k3", plainSetting(3, 20, 2, "1e-2", "3e-2")},
		{"etf-k20-d19", plainSetting(20, 10, 19, "1e-3", "5e-4")},
		{"etf-boundary-k4", plainSetting(4, 4, 4, "0.25", "0.0625")},
		{"etf-collapsed-k5", plainSetting(5, 10, 2, "0.5", "0.2")},
		{"etf-near-boundary-k2", plainSetting(2, 1, 1, "0.5", "0.4999999999999999999999999999999")},
	}
}

// TestETFGolden recomputes every ETF golden file to 70 of its 77 digits
// (run `go test ./closedform -run Golden -update` to rewrite them, only after
// an independent check), and cross-checks the golden values themselves
// against the float64 path where float64 resolves the setting (not within
// 1e-12 of the collapse boundary, where it cannot tell the sides apart).
func TestETFGolden(t *testing.T) {
	cases := etfGoldenCases()
	if *update {
		for _, c := range cases {
			p := mustPredict(t, ETF{}, c.s, 0)
			writeGolden(t, c.name, etfGolden{Name: c.name, NoReLU: true, Prec: p.Prec, Model: p.Model, MeanCos: p.MeanCos, Report: p.Report(0)})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var g etfGolden
			readGolden(t, c.name, &g)
			s, err := g.Report.Setting.Setting()
			if err != nil || s.NoReLU != g.NoReLU {
				t.Fatalf("golden setting: %v (no_relu %t, golden %t)", err, s.NoReLU, g.NoReLU)
			}
			p := mustPredict(t, ETF{}, s, g.Prec)
			if p.Model != g.Model || p.MeanCos != g.MeanCos {
				t.Errorf("model %q mean cos %g, golden %q %g", p.Model, p.MeanCos, g.Model, g.MeanCos)
			}
			compareReports(t, p.Report(0), g.Report)

			x := new(big.Rat).Sub(big.NewRat(1, 1), ETFCollapseRatio(s))
			if x.Sign() != 0 && new(big.Rat).Abs(x).Cmp(big.NewRat(1, 1e12)) < 0 {
				return
			}
			q := predictETF64(s)
			num := func(v string) float64 {
				f, ok := new(big.Float).SetPrec(256).SetString(v)
				if !ok {
					t.Fatalf("golden value %q", v)
				}
				x, _ := f.Float64()
				return x
			}
			cl := g.Report.Classes[0]
			for _, v := range []struct {
				name       string
				golden     string
				want, base float64
			}{
				{"objective", g.Report.Objective, q.fPoint, 1},
				{"margin", cl.Margin, q.m, 1},
				{"b^2", cl.FeatureNormSq, q.b2, q.b2},
				{"a^2", cl.ClassifierNormSq, q.a2, q.a2},
				{"p", cl.ProbCorrect, q.p, 1},
			} {
				if math.Abs(num(v.golden)-v.want) > 1e-12*math.Max(1e-300, math.Abs(v.base)) {
					t.Errorf("golden %s %s, float64 path %.17g", v.name, v.golden, v.want)
				}
			}
		})
	}
}
