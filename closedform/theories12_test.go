package closedform

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

func withLoss(s setting.Setting, loss string) setting.Setting {
	l, err := setting.ParseLoss(loss)
	if err != nil {
		panic(err)
	}
	c := s.Clone()
	c.Loss = l
	return c
}

func plainCopy(s setting.Setting) setting.Setting { c := s.Clone(); c.NoReLU = true; return c }

func unregularised(s setting.Setting) setting.Setting {
	c := s.Clone()
	c.Bias, c.LambdaB = true, setting.Decimal{}
	return c
}

// cifarCounts is 12a's worked example.
var cifarCounts = []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}

// namedTheory12 are the settings the new theories are checked on (each is a
// golden file): label smoothing balanced and imbalanced with collapsed
// classes; the squared error on both sides of its threshold, with and
// without ReLU, and at the boundary; the unregularised bias, balanced,
// imbalanced, with a collapsed class, and all collapsed with ReLU.
func namedTheory12() []struct {
	name string
	th   Theory
	s    setting.Setting
} {
	return []struct {
		name string
		th   Theory
		s    setting.Setting
	}{
		{"ls-worked-12a", LabelSmoothing{}, withLoss(mkSetting(cifarCounts, 10, "1e-4", "1e-5"), "ls:0.1")},
		{"ls-balanced-a0.3", LabelSmoothing{}, withLoss(mkSetting([]int{50, 50, 50, 50}, 4, "5e-3", "5e-3"), "ls:0.3")},
		{"ls-a0.05", LabelSmoothing{}, withLoss(mkSetting([]int{40, 20, 10, 5}, 4, "2e-2", "2e-2"), "ls:0.05")},
		{"ls-collapsed-a0.3", LabelSmoothing{}, withLoss(mkSetting([]int{40, 20, 10, 5}, 4, "2e-2", "2e-2"), "ls:0.3")},
		{"mse-imbalanced", MSE{}, withLoss(mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3"), "mse")},
		{"mse-collapsed-plain", MSE{}, plainCopy(withLoss(mkSetting([]int{1000, 100, 10, 1}, 3, "1e-3", "2e-3"), "mse"))},
		{"mse-boundary", MSE{}, withLoss(mkSetting([]int{1, 49, 50}, 2, "0.01", "0.01"), "mse")},
		{"mse-bias-balanced", MSEBias{}, plainCopy(unregularised(withLoss(mkSetting([]int{30, 30, 30}, 3, "1e-3", "1e-3"), "mse")))},
		{"mse-bias-imbalanced", MSEBias{}, plainCopy(unregularised(withLoss(mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3"), "mse")))},
		{"mse-bias-one-collapsed", MSEBias{}, plainCopy(unregularised(withLoss(mkSetting([]int{100, 100, 1}, 2, "1e-2", "1e-2"), "mse")))},
		{"mse-bias-relu-collapsed", MSEBias{}, unregularised(withLoss(mkSetting([]int{5, 4, 3}, 1, "0.5", "0.5"), "mse"))},
	}
}

// TestTheory12AgainstFloat64: every new theory agrees with its independent
// float64 path (the objective there evaluated at a float64 explicit point).
func TestTheory12AgainstFloat64(t *testing.T) {
	for _, tc := range namedTheory12() {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPredict(t, tc.th, tc.s, 0)
			var q ref64
			switch tc.th.(type) {
			case LabelSmoothing:
				q = smoothed64(tc.s)
			case MSE:
				q = squared64(tc.s)
			case MSEBias:
				q = unregularised64(tc.s)
			}
			compareRef64(t, p, q, 1e-11)
		})
	}
}

// compareRef64 compares a prediction with a float64 reference: the objective
// and the three matrices (relative to the matrix's largest entry), the
// per-class rho, ||w||^2 and alive flags, and for the bias-free theories the
// margins.
func compareRef64(t *testing.T, p *Prediction, q ref64, tol float64) {
	t.Helper()
	if got := f64(p.Objective); !closeF64(got, q.objective, tol) {
		t.Errorf("objective: big %.17g, float64 at its point %.17g", got, q.objective)
	}
	for i, c := range p.Classes {
		if p.Bias == nil {
			if c.Alive != q.alive[i] {
				t.Errorf("class %d: alive %t, float64 %t", i+1, c.Alive, q.alive[i])
			}
			if !closeF64(f64(c.Margin), q.margin[i], tol) {
				t.Errorf("class %d margin %.17g, float64 %.17g", i+1, f64(c.Margin), q.margin[i])
			}
		}
		if !closeF64(f64(c.ClassifierNormSq), q.wNormSq[i], tol) {
			t.Errorf("class %d ||w||^2 %.17g, float64 %.17g", i+1, f64(c.ClassifierNormSq), q.wNormSq[i])
		}
	}
	for _, m := range []struct {
		name string
		big  *Matrix
		f    *mat.Dense
	}{{"WH", p.WH, q.wh}, {"WWT", p.WWT, q.wwt}, {"HTH", p.HTH, q.hth}} {
		k := p.K()
		scale := mat.Norm(m.f, math.Inf(1))
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				if got, want := f64(m.big.at(i, j)), m.f.At(i, j); math.Abs(got-want) > tol*math.Max(1, scale) {
					t.Errorf("%s(%d,%d): big %.17g, float64 %.17g", m.name, i+1, j+1, got, want)
				}
			}
		}
	}
	for j, b := range q.b {
		if !closeF64(f64(p.Bias[j]), b, 1e-15) {
			t.Errorf("b_%d = %.17g, want n/N = %.17g", j+1, f64(p.Bias[j]), b)
		}
	}
}

// TestTheory12ObjectiveAtPoint: for each new theory the objective evaluated
// directly at its explicit point, with the test's own big-float objective,
// equals its f* to 2^-prec, at 64, 256 and 1024 bits.
func TestTheory12ObjectiveAtPoint(t *testing.T) {
	for _, prec := range []uint{64, 256, 1024} {
		for _, tc := range namedTheory12() {
			t.Run(fmt.Sprintf("%s/%d", tc.name, prec), func(t *testing.T) {
				p := mustPredictUnchecked(t, tc.th, tc.s, prec)
				m, err := p.Minimizer()
				if err != nil {
					t.Fatal(err)
				}
				got := bigObjectiveLoss(p, m, prec+64)
				if d := relDiff(got, p.Objective, 1); d > math.Ldexp(1, -int(prec)+8) {
					t.Errorf("f at the point %s, f* %s (rel %g)", got.Text('g', 30), p.Objective.Text('g', 30), d)
				}
			})
		}
	}
}

// TestLabelSmoothingWorkedValues: theory.md 12a's worked example: a = 0.1,
// counts (100,100,...,500,500), lambda_W = 1e-4, lambda_H = 1e-5:
// f* = 0.522813204815205076 (18 digits given), M_1 = 4.4056...,
// M_10 = 4.4627....
func TestLabelSmoothingWorkedValues(t *testing.T) {
	p := mustPredict(t, LabelSmoothing{}, namedTheory12()[0].s, 256)
	if got := p.Objective.Text('f', 18); got != "0.522813204815205076" {
		t.Errorf("f* = %s, theory.md 12a gives 0.522813204815205076", p.Objective.Text('g', 25))
	}
	for _, c := range []struct {
		k    int
		want string
	}{{0, "4.4056"}, {9, "4.4627"}} {
		if got := p.Classes[c.k].Margin.Text('f', 4); got != c.want {
			t.Errorf("M_%d = %s, theory.md 12a gives %s...", c.k+1, got, c.want)
		}
	}
	if p.Model != ModelLabelSmoothing || p.AliveCount() != 10 {
		t.Errorf("model %q, alive %d", p.Model, p.AliveCount())
	}
}

// TestLabelSmoothingZeroIsPaper: smoothing a = 0 (the loss ls:0) predicts
// exactly the geometry of theory.md section 2.
func TestLabelSmoothingZeroIsPaper(t *testing.T) {
	for _, ns := range namedSettings() {
		if ns.s.K() > 10 {
			continue
		}
		p := mustPredict(t, Paper{}, ns.s, 0)
		q := mustPredict(t, LabelSmoothing{}, withLoss(ns.s, "ls:0"), 0)
		if d := relDiff(q.Objective, p.Objective, 1); d > 1e-75 {
			t.Errorf("%s: f* ls:0 %s, paper %s", ns.name, q.Objective.Text('g', 30), p.Objective.Text('g', 30))
		}
		for i := range p.Classes {
			if q.Classes[i].Alive != p.Classes[i].Alive || relDiff(q.Classes[i].Margin, p.Classes[i].Margin, 1) > 1e-75 ||
				relDiff(q.Classes[i].ProbCorrect, p.Classes[i].ProbCorrect, 1) > 1e-75 {
				t.Errorf("%s class %d differs", ns.name, i+1)
			}
		}
		if q.CollapseThreshold.Cmp(p.CollapseThreshold) != 0 {
			t.Errorf("%s: thresholds differ", ns.name)
		}
	}
}

// TestLabelSmoothingShrinksMargins: smoothing lowers every margin, p_k =
// 1 - u_k for the alive classes, and the exact threshold is
// K N^2 lW lH / ((K-1)(1-a)^2): it collapses more classes than cross-entropy.
func TestLabelSmoothingShrinksMargins(t *testing.T) {
	// Cross-entropy threshold 4/3 75^2 4e-4 = 3: every class alive; with
	// a = 0.3 it is 3/0.49 = 6.1 and class 4 (n = 5) collapses.
	base := mkSetting([]int{40, 20, 10, 5}, 4, "2e-2", "2e-2")
	ce := mustPredict(t, Paper{}, base, 0)
	prev := ce
	for _, a := range []string{"0.05", "0.3"} {
		p := mustPredict(t, LabelSmoothing{}, withLoss(base, "ls:"+a), 0)
		for i, c := range p.Classes {
			if c.Margin.Cmp(prev.Classes[i].Margin) > 0 || (prev.Classes[i].Alive && c.Margin.Cmp(prev.Classes[i].Margin) == 0 && c.Alive) {
				t.Errorf("a=%s class %d: margin %s not below %s", a, i+1, c.Margin.Text('g', 10), prev.Classes[i].Margin.Text('g', 10))
			}
			if c.Alive {
				// p_k = 1 - u_k, u_k = a (K-1)/K + c beta_k
				u := new(big.Float).SetPrec(320).Mul(setting.MustDecimal(a).Float(320), big.NewFloat(0.75))
				u.Add(u, ce.Classes[i].CBeta)
				want := new(big.Float).Sub(big.NewFloat(1), u)
				if d := relDiff(c.ProbCorrect, want, 1); d > 1e-70 {
					t.Errorf("a=%s class %d: p_k %s, 1 - u_k %s", a, i+1, c.ProbCorrect.Text('g', 20), want.Text('g', 20))
				}
			}
		}
		thr := new(big.Rat).Mul(Paper{}.CollapseThreshold(base), big.NewRat(1, 1))
		keep := new(big.Rat).Sub(big.NewRat(1, 1), setting.MustDecimal(a).Rat())
		thr.Quo(thr, keep.Mul(keep, keep))
		if (LabelSmoothing{}).CollapseThreshold(withLoss(base, "ls:"+a)).Cmp(thr) != 0 {
			t.Errorf("a=%s: threshold is not the paper's / (1-a)^2", a)
		}
		prev = p
	}
	if prev.AliveCount() >= ce.AliveCount() {
		t.Errorf("a=0.3 keeps %d classes alive, cross-entropy %d: smoothing must collapse more here", prev.AliveCount(), ce.AliveCount())
	}
}

// TestMSEThresholdExact: class k collapses under the squared error iff
// n_k <= N^2 lW lH, decided exactly: at the boundary (n_1 = 1 =
// N^2 lW lH, N = 100, lW lH = 1e-4) z_1 = 0 exactly; just below it, with
// lW lH = 0.99e-4, class 1 is alive with z_1 = 1 - sqrt(0.99) > 0. The
// cross-entropy threshold K N^2 lW lH / (K-1) is larger: the second setting
// collapses class 1 under cross-entropy and keeps it under MSE.
func TestMSEThresholdExact(t *testing.T) {
	at := withLoss(mkSetting([]int{1, 49, 50}, 3, "0.01", "0.01"), "mse")
	p := mustPredict(t, MSE{}, at, 0)
	if (MSE{}).CollapseThreshold(at).Cmp(big.NewRat(1, 1)) != 0 || p.CollapseThreshold.Cmp(big.NewFloat(1)) != 0 {
		t.Fatalf("threshold %s, want exactly 1", p.CollapseThreshold.Text('g', 30))
	}
	if p.Classes[0].Alive || p.Classes[0].Margin.Sign() != 0 || p.HTH.at(0, 0).Sign() != 0 {
		t.Errorf("n_1 = threshold must collapse exactly: alive %t, z_1 %s", p.Classes[0].Alive, p.Classes[0].Margin.Text('g', 10))
	}
	if !p.Classes[1].Alive || !p.Classes[2].Alive {
		t.Error("classes 2 and 3 must be alive")
	}
	below := withLoss(mkSetting([]int{1, 49, 50}, 3, "0.01", "0.0099"), "mse")
	q := mustPredict(t, MSE{}, below, 0)
	want := new(big.Float).SetPrec(320).SetFloat64(0.99)
	want.Sqrt(new(big.Float).SetPrec(320).SetRat(big.NewRat(99, 100)))
	want.Sub(big.NewFloat(1), want)
	if !q.Classes[0].Alive || relDiff(q.Classes[0].Margin, want, 1e-300) > 1e-70 {
		t.Errorf("below the threshold: alive %t, z_1 %s, want 1 - sqrt(0.99) = %s", q.Classes[0].Alive,
			q.Classes[0].Margin.Text('g', 20), want.Text('g', 20))
	}
	ce := mustPredict(t, Paper{}, mkSetting([]int{1, 49, 50}, 3, "0.01", "0.0099"), 0)
	if ce.Classes[0].Alive {
		t.Error("cross-entropy keeps class 1 alive at lW lH = 0.99e-4 (its threshold is 1.485)")
	}
	// The roots of lW lH (R + n)^2 = n bracket the alive counts.
	r := q.Classes[0].CollapseRoots
	if !r.Real || f64(r.Lo) > 1 || f64(r.Hi) < 1 {
		t.Errorf("collapse roots %v: class 1 (n = 1) is alive, so 1 must lie between them", r)
	}
}

// TestMSEStructure: the squared error's identities on its explicit point:
// W Hbar diagonal, cos(w_k, h_k) = 1, w_k = sqrt(lH n_k / lW) h_k, the same
// prediction with and without ReLU (up to the model name), and balance
// lW ||W||^2 = lH ||H||^2.
func TestMSEStructure(t *testing.T) {
	s := namedTheory12()[4].s
	p := mustPredict(t, MSE{}, s, 0)
	q := mustPredict(t, MSE{}, plainCopy(s), 0)
	if p.Objective.Cmp(q.Objective) != 0 {
		t.Error("ReLU and plain MSE predictions differ")
	}
	for i, c := range p.Classes {
		for j := range p.Classes {
			if i != j && (p.WH.at(i, j).Sign() != 0 || p.WWT.at(i, j).Sign() != 0 || p.HTH.at(i, j).Sign() != 0) {
				t.Fatalf("off-diagonal entry (%d,%d) nonzero", i+1, j+1)
			}
		}
		if c.Alive && c.CosWH.Cmp(big.NewFloat(1)) != 0 {
			t.Errorf("class %d: cos %s", i+1, c.CosWH.Text('g', 10))
		}
	}
	m, _ := p.Minimizer()
	prec := p.Prec + 64
	nf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	wSq, hSq := nf(), nf()
	for j := range m.W {
		for i := range m.W[j] {
			wSq.Add(wSq, nf().Mul(m.W[j][i], m.W[j][i]))
			hSq.Add(hSq, nf().Mul(nf().Mul(m.Means[i][j], m.Means[i][j]), nf().SetInt64(int64(s.Counts[j]))))
		}
	}
	lhs, rhs := nf().Mul(s.LambdaW.Float(prec), wSq), nf().Mul(s.LambdaH.Float(prec), hSq)
	if d := relDiff(lhs, rhs, 1e-300); d > math.Ldexp(1, -int(p.Prec)+8) {
		t.Errorf("balance: lW ||W||^2 %s, lH ||H||^2 %s", lhs.Text('g', 20), rhs.Text('g', 20))
	}
}

// TestMSEBiasBalanced: balanced counts n: P diag(sqrt(n)) = sqrt(n) (I - J/K)
// has the singular value sqrt(n) K-1 times, so W Hbar = (1 - N s / sqrt(n))
// (I - J/K) and the class means form a simplex ETF (MeanCos -1/(K-1)).
func TestMSEBiasBalanced(t *testing.T) {
	s := namedTheory12()[7].s // (30, 30, 30), lW = lH = 1e-3
	p := mustPredict(t, MSEBias{}, s, 0)
	// N s / sqrt(n) = 90e-3 / sqrt(30)
	f := new(big.Float).SetPrec(320).SetInt64(30)
	f.Sqrt(f)
	f.Quo(new(big.Float).SetPrec(320).SetRat(big.NewRat(9, 100)), f)
	f.Sub(big.NewFloat(1), f)
	want := new(big.Float).SetPrec(320).Mul(f, new(big.Float).SetPrec(320).SetRat(big.NewRat(2, 3)))
	if d := relDiff(p.WH.at(0, 0), want, 1); d > 1e-60 {
		t.Errorf("(W Hbar)_11 = %s, want (1 - N s/sqrt(n)) (1 - 1/K) = %s", p.WH.at(0, 0).Text('g', 30), want.Text('g', 30))
	}
	if !closeF64(p.MeanCos, -0.5, 1e-15) || p.AliveCount() != 3 {
		t.Errorf("mean cos %v, alive %d", p.MeanCos, p.AliveCount())
	}
}

// TestMSEBiasSpectralObjective: the objective at the explicit point equals
// the spectral form (1/2N)(r (N s)^2 + sum_{i>r} lambda_i) + s sum_{i<=r}
// sigma'_i of the soft threshold, with the eigenvalues from gonum in float64.
func TestMSEBiasSpectralObjective(t *testing.T) {
	for _, tc := range namedTheory12()[7:] {
		s := tc.s
		p := mustPredict(t, MSEBias{}, s, 0)
		n := float64(s.N())
		sv := math.Sqrt(s.LambdaW.Float64() * s.LambdaH.Float64())
		a := mat.NewSymDense(s.K(), nil)
		for i := range s.Counts {
			for j := range s.Counts {
				v := -float64(s.Counts[i]) * float64(s.Counts[j]) / n
				if i == j {
					v += float64(s.Counts[i])
				}
				a.SetSym(i, j, v)
			}
		}
		var eig mat.EigenSym
		eig.Factorize(a, false)
		f := 0.0
		for _, lam := range eig.Values(nil) {
			sigma := math.Sqrt(math.Max(lam, 0))
			if sigma > n*sv {
				f += (n*sv)*(n*sv)/(2*n) + sv*(sigma-n*sv)
			} else {
				f += sigma * sigma / (2 * n)
			}
		}
		if !closeF64(f64(p.Objective), f, 1e-12) {
			t.Errorf("%s: f* %.17g, spectral form %.17g", tc.name, f64(p.Objective), f)
		}
	}
}

// TestMSEBiasRankExact: the rank of the threshold and the collapsed classes
// are decided in rational arithmetic, including a singular value exactly at
// N s (balanced n = 25, K = 2, lW = lH = 0.1: N s = 5 = sqrt(25)), where
// nothing survives, and a group of two equal counts that alone stays alive.
func TestMSEBiasRankExact(t *testing.T) {
	tests := []struct {
		counts []int
		t      *big.Rat
		rank   int
		alive  []bool
	}{
		{[]int{30, 30, 30}, big.NewRat(30, 1), 0, []bool{false, false, false}},
		{[]int{25, 25}, big.NewRat(25, 1), 0, []bool{false, false}},
		{[]int{30, 30, 30}, big.NewRat(2999, 100), 2, []bool{true, true, true}},
		{[]int{10, 10, 1}, big.NewRat(5, 1), 1, []bool{true, true, false}},
		{[]int{40, 20, 10, 5}, big.NewRat(1, 1000), 3, []bool{true, true, true, true}},
		{[]int{40, 20, 10, 5}, big.NewRat(1000, 1), 0, []bool{false, false, false, false}},
	}
	for _, tc := range tests {
		r, alive := mseBiasRank(tc.counts, tc.t)
		if r != tc.rank || fmt.Sprint(alive) != fmt.Sprint(tc.alive) {
			t.Errorf("%v at t = %s: rank %d alive %v, want %d %v", tc.counts, tc.t.RatString(), r, alive, tc.rank, tc.alive)
		}
		// Against the eigenvalues of diag(n) - n n^T / N from gonum.
		k := len(tc.counts)
		n := 0.0
		for _, c := range tc.counts {
			n += float64(c)
		}
		a := mat.NewSymDense(k, nil)
		for i, ci := range tc.counts {
			for j, cj := range tc.counts {
				v := -float64(ci) * float64(cj) / n
				if i == j {
					v += float64(ci)
				}
				a.SetSym(i, j, v)
			}
		}
		var eig mat.EigenSym
		eig.Factorize(a, false)
		tf, _ := tc.t.Float64()
		above := 0
		for _, lam := range eig.Values(nil) {
			if lam > tf*(1+1e-9) {
				above++
			}
		}
		if above != tc.rank {
			t.Errorf("%v: %d float64 eigenvalues above %g, exact rank %d", tc.counts, above, tf, tc.rank)
		}
	}
	// The balanced boundary through Predict (N^2 lW lH = 2500 0.01 = 25 =
	// n): everything collapses, b = n/N, with ReLU features too; at n = 24
	// (N^2 lW lH = 23.04 < 24) the rank is 1 (plain UFM).
	for _, relu := range []bool{true, false} {
		s := unregularised(withLoss(mkSetting([]int{25, 25}, 1, "0.1", "0.1"), "mse"))
		s.NoReLU = !relu
		p := mustPredict(t, MSEBias{}, s, 0)
		if !p.GlobalCollapse || p.Bias[0].Cmp(new(big.Float).SetPrec(p.Prec).SetRat(big.NewRat(1, 2))) != 0 {
			t.Errorf("relu %t: global collapse %t, b_1 %s", relu, p.GlobalCollapse, p.Bias[0].Text('g', 20))
		}
	}
	s := plainCopy(unregularised(withLoss(mkSetting([]int{24, 24}, 1, "0.1", "0.1"), "mse")))
	if p := mustPredict(t, MSEBias{}, s, 0); p.GlobalCollapse || p.AliveCount() != 2 {
		t.Errorf("n = 24: global collapse %t, alive %d", p.GlobalCollapse, p.AliveCount())
	}
}

// TestSymEigen: the Jacobi decomposition reconstructs the matrix and is
// orthonormal to 2^-prec, agrees with gonum in float64 on seeded random
// symmetric matrices, and finds the known spectrum of diag(n) - n n^T/N for
// balanced counts (n with multiplicity K-1, and 0).
func TestSymEigen(t *testing.T) {
	const wp = 320
	for trial, k := range []int{1, 2, 3, 5, 8, 13} {
		a := make([][]*big.Float, k)
		sym := mat.NewSymDense(k, nil)
		for i := range a {
			a[i] = make([]*big.Float, k)
		}
		for i := 0; i < k; i++ {
			for j := i; j < k; j++ {
				v := math.Sin(float64(1+trial*31+i*7+j*13)) * math.Pow(10, float64((i+j)%3))
				a[i][j] = new(big.Float).SetPrec(wp).SetFloat64(v)
				a[j][i] = a[i][j]
				sym.SetSym(i, j, v)
			}
		}
		vals, vecs, err := symEigen(a, wp)
		if err != nil {
			t.Fatal(err)
		}
		norm := frobenius(a, wp)
		tol := new(big.Float).SetMantExp(norm, -wp+24)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				rec, dot := new(big.Float).SetPrec(wp), new(big.Float).SetPrec(wp)
				for l := 0; l < k; l++ {
					x := new(big.Float).SetPrec(wp).Mul(vecs[i][l], vecs[j][l])
					rec.Add(rec, x.Mul(x, vals[l]))
					dot.Add(dot, new(big.Float).SetPrec(wp).Mul(vecs[l][i], vecs[l][j]))
				}
				if d := new(big.Float).Sub(rec, a[i][j]); d.Abs(d).Cmp(tol) > 0 {
					t.Fatalf("K=%d: (U L U^T)(%d,%d) off by %s", k, i, j, d.Text('g', 5))
				}
				if i == j {
					dot.Sub(dot, big.NewFloat(1))
				}
				if dot.Abs(dot).Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -wp+24)) > 0 {
					t.Fatalf("K=%d: U^T U - I (%d,%d) = %s", k, i, j, dot.Text('g', 5))
				}
			}
		}
		var eig mat.EigenSym
		eig.Factorize(sym, false)
		ref := eig.Values(nil) // ascending
		for i := 0; i < k; i++ {
			if got := f64(vals[k-1-i]); math.Abs(got-ref[i]) > 1e-12*math.Max(1, math.Abs(ref[i])) {
				t.Errorf("K=%d: eigenvalue %.17g, gonum %.17g", k, got, ref[i])
			}
		}
	}
	// diag(n) - n n^T / N, n = 7 for K = 6: eigenvalues 7 (five times) and 0.
	k := 6
	a := make([][]*big.Float, k)
	for i := range a {
		a[i] = make([]*big.Float, k)
		for j := range a[i] {
			e := big.NewRat(-7, 6)
			if i == j {
				e.Add(e, big.NewRat(7, 1))
			}
			a[i][j] = new(big.Float).SetPrec(wp).SetRat(e)
		}
	}
	vals, _, err := symEigen(a, wp)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		want := 7.0
		if i == k-1 {
			want = 0
		}
		d := new(big.Float).Sub(v, big.NewFloat(want))
		if d.Abs(d).Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -wp+24)) > 0 {
			t.Errorf("eigenvalue %d = %s, want %g", i+1, v.Text('g', 30), want)
		}
	}
}

// TestSELI: the SELI geometry squares back (Sigma^{1/2} Sigma^{1/2} = Sigma),
// Sigma^{1/2} (Sigma^+)^{1/2} = S, agrees with gonum's decomposition of
// Sigma in float64, and for balanced counts is the simplex ETF (every matrix
// proportional to S).
func TestSELI(t *testing.T) {
	for _, counts := range [][]int{{40, 20, 10, 5}, {1000, 500, 100, 20, 5}, {3, 1}, {7, 7, 7}} {
		g, err := SELI(counts, 256)
		if err != nil {
			t.Fatal(err)
		}
		k := len(counts)
		wp := uint(320)
		tol := math.Ldexp(1, -256+24)
		prod := func(a, b *Matrix, i, j int) *big.Float {
			v := new(big.Float).SetPrec(wp)
			for l := 0; l < k; l++ {
				v.Add(v, new(big.Float).SetPrec(wp).Mul(a.at(i, l), b.at(l, j)))
			}
			return v
		}
		maxN := 0
		for _, n := range counts {
			maxN = max(maxN, n)
		}
		root64, inv64 := seli64(counts)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				// Sigma_ij = n_i delta_ij - (n_i + n_j)/K + N/K^2
				sig := big.NewRat(0, 1)
				if i == j {
					sig.SetInt64(int64(counts[i]))
				}
				sig.Sub(sig, big.NewRat(int64(counts[i]+counts[j]), int64(k)))
				total := 0
				for _, n := range counts {
					total += n
				}
				sig.Add(sig, big.NewRat(int64(total), int64(k*k)))
				want := new(big.Float).SetPrec(wp).SetRat(sig)
				if d := new(big.Float).Sub(prod(g.WWT, g.WWT, i, j), want); math.Abs(f64(d)) > tol*float64(maxN) {
					t.Errorf("%v: (Sigma^1/2)^2 (%d,%d) off by %g", counts, i, j, f64(d))
				}
				if d := new(big.Float).Sub(prod(g.WWT, g.HTH, i, j), g.WH.at(i, j)); math.Abs(f64(d)) > tol*float64(maxN) {
					t.Errorf("%v: Sigma^1/2 (Sigma^+)^1/2 (%d,%d) is not S (off by %g)", counts, i, j, f64(d))
				}
				if !closeF64(f64(g.WWT.at(i, j)), root64.At(i, j), 1e-10*math.Sqrt(float64(maxN))) ||
					!closeF64(f64(g.HTH.at(i, j)), inv64.At(i, j), 1e-10) {
					t.Errorf("%v (%d,%d): big %g %g, gonum %g %g", counts, i, j, f64(g.WWT.at(i, j)), f64(g.HTH.at(i, j)), root64.At(i, j), inv64.At(i, j))
				}
			}
		}
		if Balanced(counts) {
			n := float64(counts[0])
			for i := 0; i < k; i++ {
				for j := 0; j < k; j++ {
					if !closeF64(f64(g.WWT.at(i, j)), math.Sqrt(n)*f64(g.WH.at(i, j)), 1e-15) {
						t.Errorf("balanced: Sigma^1/2 is not sqrt(n) S at (%d,%d)", i, j)
					}
				}
			}
		}
	}
	for _, bad := range [][]int{{5}, {3, 0}, make([]int, MaxEigenClasses+1)} {
		if _, err := SELI(bad, 0); err == nil {
			t.Errorf("SELI(%d counts) accepted", len(bad))
		}
	}
}

// TestTheory12Scope: each new theory refuses what it does not cover with a
// *ScopeError naming the field, and Default picks each theorem.
func TestTheory12Scope(t *testing.T) {
	base := mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3")
	ls := withLoss(base, "ls:0.1")
	mse := withLoss(base, "mse")
	biased := func(s setting.Setting) setting.Setting {
		c := s.Clone()
		c.Bias, c.LambdaB = true, setting.MustDecimal("1e-3")
		return c
	}
	tests := []struct {
		name  string
		th    Theory
		s     setting.Setting
		field string
	}{
		{"ls on ce", LabelSmoothing{}, base, setting.FieldLoss},
		{"ls with bias", LabelSmoothing{}, biased(ls), setting.FieldBias},
		{"ls plain", LabelSmoothing{}, plainCopy(ls), setting.FieldNoReLU},
		{"ls small d", LabelSmoothing{}, func() setting.Setting { s := ls.Clone(); s.Dim = 1; return s }(), setting.FieldDim},
		{"paper on ls", Paper{}, ls, setting.FieldLoss},
		{"etf on ls", ETF{}, plainCopy(withLoss(mkSetting([]int{5, 5}, 2, "1e-2", "1e-2"), "ls:0.1")), setting.FieldLoss},
		{"mse on ce", MSE{}, base, setting.FieldLoss},
		{"mse with bias", MSE{}, biased(mse), setting.FieldBias},
		{"mse unregularised", MSE{}, unregularised(mse), setting.FieldBias},
		{"mse small d", MSE{}, func() setting.Setting { s := mse.Clone(); s.Dim = 2; return s }(), setting.FieldDim},
		{"mse-bias no bias", MSEBias{}, plainCopy(mse), setting.FieldBias},
		{"mse-bias penalised", MSEBias{}, plainCopy(biased(mse)), setting.FieldLambdaB},
		{"mse-bias relu", MSEBias{}, unregularised(mse), setting.FieldNoReLU},
		{"mse-bias small d", MSEBias{}, func() setting.Setting { s := plainCopy(unregularised(mse)); s.Dim = 2; return s }(), setting.FieldDim},
		{"mse-bias on ce", MSEBias{}, plainCopy(unregularised(base)), setting.FieldLoss},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.th.Predict(tc.s, 0)
			var se *ScopeError
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Errorf("err = %v, want a *ScopeError naming %s", err, tc.field)
			}
		})
	}
	for _, tc := range []struct {
		s    setting.Setting
		want string
	}{
		{base, "paper"}, {biased(base), "bias-orthogonal"}, {plainCopy(base), "plain-etf"}, {ls, "label-smoothing"},
		{mse, "mse"}, {plainCopy(mse), "mse"}, {biased(mse), "mse"}, {unregularised(mse), "mse-bias"},
	} {
		if got := Default(tc.s).Name(); got != tc.want {
			t.Errorf("Default(%s) = %s, want %s", tc.s, got, tc.want)
		}
	}
}

// theoryGolden is the content of a golden file of a theory of theory.md
// section 12: the theory, the model, the bias and the full report.
type theoryGolden struct {
	Name    string   `json:"name"`
	Theory  string   `json:"theory"`
	Prec    uint     `json:"precision_bits"`
	Model   string   `json:"model"`
	MeanCos float64  `json:"mean_cos"`
	Bias    []string `json:"bias,omitempty"`
	Report  Report   `json:"report"`
}

func goldenBias(p *Prediction) []string {
	var out []string
	for _, b := range p.Bias {
		out = append(out, FormatFloat(b, Digits(p.Prec)))
	}
	return out
}

// TestTheory12Golden recomputes every golden file of the new theories
// (testdata/golden/theory12-*.json, 77 digits) to 70 digits (rewrite with
// `go test ./closedform -run Golden -update`, only after an independent
// check), rebuilding the setting and the theory from the file, and checks
// the golden objective and matrices against the float64 paths.
func TestTheory12Golden(t *testing.T) {
	if *update {
		for _, c := range namedTheory12() {
			p := mustPredict(t, c.th, c.s, 0)
			writeGolden(t, "theory12-"+c.name, theoryGolden{Name: c.name, Theory: c.th.Name(), Prec: p.Prec, Model: p.Model,
				MeanCos: p.MeanCos, Bias: goldenBias(p), Report: p.Report(0)})
		}
	}
	for _, c := range namedTheory12() {
		t.Run(c.name, func(t *testing.T) {
			var g theoryGolden
			readGolden(t, "theory12-"+c.name, &g)
			s, err := g.Report.Setting.Setting()
			if err != nil {
				t.Fatal(err)
			}
			th := theoryNamed(t, g.Theory)
			p := mustPredict(t, th, s, g.Prec)
			if p.Model != g.Model || p.MeanCos != g.MeanCos {
				t.Errorf("model %q mean cos %v, golden %q %v", p.Model, p.MeanCos, g.Model, g.MeanCos)
			}
			compareReports(t, p.Report(0), g.Report)
			compareJSON(t, "bias", toAny(goldenBias(p)), toAny(g.Bias))
			// The golden numbers themselves against the float64 paths.
			var q ref64
			switch th.(type) {
			case LabelSmoothing:
				q = smoothed64(s)
			case MSE:
				q = squared64(s)
			default:
				q = unregularised64(s)
			}
			gp := mustPredictUnchecked(t, th, s, g.Prec)
			gp.Objective, _, _ = big.ParseFloat(g.Report.Objective, 10, g.Prec, big.ToNearestEven)
			for i, row := range g.Report.WH {
				for j, v := range row {
					x, _, err := big.ParseFloat(v, 10, g.Prec, big.ToNearestEven)
					if err != nil {
						t.Fatalf("golden WH(%d,%d) = %q", i+1, j+1, v)
					}
					gp.WH.at(i, j).Set(x)
				}
			}
			compareRef64(t, gp, q, 1e-11)
		})
	}
}

func toAny(xs []string) any {
	if xs == nil {
		return nil
	}
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// seliGolden is the content of the SELI golden file.
type seliGolden struct {
	Counts []int      `json:"counts"`
	Prec   uint       `json:"precision_bits"`
	WWT    [][]string `json:"WWT"`
	HTH    [][]string `json:"HTH"`
	WH     [][]string `json:"WH"`
}

// TestSELIGolden recomputes the SELI geometry of (40, 20, 10, 5) and of
// CIFAR-10-like counts to 70 of the 77 digits of testdata/golden/seli-*.json.
func TestSELIGolden(t *testing.T) {
	cases := map[string][]int{"seli-40-20-10-5": {40, 20, 10, 5}, "seli-cifar": cifarCounts}
	if *update {
		for name, counts := range cases {
			g, err := SELI(counts, 256)
			if err != nil {
				t.Fatal(err)
			}
			d := Digits(256)
			writeGolden(t, name, seliGolden{Counts: counts, Prec: 256, WWT: g.WWT.Text(d), HTH: g.HTH.Text(d), WH: g.WH.Text(d)})
		}
	}
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			var want seliGolden
			readGolden(t, name, &want)
			g, err := SELI(want.Counts, want.Prec)
			if err != nil {
				t.Fatal(err)
			}
			d := Digits(want.Prec)
			got := seliGolden{Counts: want.Counts, Prec: want.Prec, WWT: g.WWT.Text(d), HTH: g.HTH.Text(d), WH: g.WH.Text(d)}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(want)
			var gv, wv any
			_ = json.Unmarshal(gb, &gv)
			_ = json.Unmarshal(wb, &wv)
			compareJSON(t, name, gv, wv)
		})
	}
}
