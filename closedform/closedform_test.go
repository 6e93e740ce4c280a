package closedform

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/setting"
)

func mkSetting(counts []int, d int, lw, lh string) setting.Setting {
	return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}
}

// mustPredict returns th's prediction of s at prec bits, checked by
// Validate (its explicit point against its matrices and objective).
func mustPredict(t testing.TB, th Theory, s setting.Setting, prec uint) *Prediction {
	t.Helper()
	p := mustPredictUnchecked(t, th, s, prec)
	if err := p.Validate(); err != nil {
		t.Fatalf("%s: Predict(%s): %v", th.Name(), s, err)
	}
	return p
}

// mustPredictUnchecked is mustPredict without Validate (about one big-float
// exponential per class), for the tests that loop over hundreds of settings.
func mustPredictUnchecked(t testing.TB, th Theory, s setting.Setting, prec uint) *Prediction {
	t.Helper()
	p, err := th.Predict(s, prec)
	if err != nil {
		t.Fatalf("%s: Predict(%s): %v", th.Name(), s, err)
	}
	return p
}

func f64(x *big.Float) float64 { v, _ := x.Float64(); return v }

// relDiff returns |a-b| / max(|b|, floor) in big-float arithmetic.
func relDiff(a, b *big.Float, floor float64) float64 {
	d := new(big.Float).SetPrec(a.Prec()+64).Sub(a, b)
	d.Abs(d)
	den := new(big.Float).Abs(b)
	if den.Cmp(big.NewFloat(floor)) < 0 {
		den.SetFloat64(floor)
	}
	v, _ := d.Quo(d, den).Float64()
	return v
}

func closeF64(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// namedSettings cover the cases the issue lists: balanced, imbalanced, one
// collapsed class, all collapsed, K = 2, K = 100.
func namedSettings() []struct {
	name string
	s    setting.Setting
} {
	k100 := make([]int, 100)
	for i := range k100 {
		k100[i] = 50 + 37*i // 50 .. 3713
	}
	return []struct {
		name string
		s    setting.Setting
	}{
		{"balanced", mkSetting([]int{500, 500, 500, 500}, 4, "1e-4", "1e-5")},
		{"imbalanced", mkSetting([]int{1000, 1000, 2000}, 16, "1e-4", "1e-5")},
		{"cifar10-counts", mkSetting([]int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, 16, "1e-4", "1e-5")},
		// threshold K N^2 lW lH/(K-1) = 4/3 * 19000^2 * 2.5e-9 = 1.2033: n = 1 collapses.
		{"one-collapsed", mkSetting([]int{9000, 8000, 1999, 1}, 4, "5e-5", "5e-5")},
		// threshold 3/2 * 14^2 * 0.25 = 73.5 >= every n: every class collapses.
		{"all-collapsed", mkSetting([]int{5, 5, 4}, 3, "0.5", "0.5")},
		{"k2", mkSetting([]int{300, 30}, 2, "2e-3", "7e-4")},
		{"k100", mkSetting(k100, 100, "1e-6", "1e-6")},
	}
}

func TestAgainstFloat64(t *testing.T) {
	for _, tc := range namedSettings() {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPredict(t, Auto{}, tc.s, 0)
			compareFloat64(t, p, predictFloat64(tc.s), 1e-11)
		})
	}
}

// compareFloat64 compares the big-float prediction with the independent
// float64 one. tol is relative (absolute below 1).
func compareFloat64(t *testing.T, p *Prediction, q float64Prediction, tol float64) {
	t.Helper()
	k := p.K()
	for i, c := range p.Classes {
		if c.Alive != q.alive[i] {
			t.Fatalf("class %d: alive %v, float64 says %v", i+1, c.Alive, q.alive[i])
		}
		checks := []struct {
			name      string
			got, want float64
		}{
			{"margin", f64(c.Margin), q.margin[i]},
			{"rho", f64(c.FeatureNormSq), q.rho[i]},
			{"gamma", f64(c.Gamma), q.gamma[i]},
			{"||w||^2", f64(c.ClassifierNormSq), q.wNormSq[i]},
			{"p", f64(c.ProbCorrect), q.prob[i]},
		}
		if c.CosWH != nil {
			checks = append(checks, struct {
				name      string
				got, want float64
			}{"cos", f64(c.CosWH), q.cos[i]})
		} else if !math.IsNaN(q.cos[i]) {
			t.Errorf("class %d: cos nil for a collapsed class, float64 gives %v", i+1, q.cos[i])
		}
		for _, ch := range checks {
			if !closeF64(ch.got, ch.want, tol) {
				t.Errorf("class %d %s: big %.17g float64 %.17g", i+1, ch.name, ch.got, ch.want)
			}
		}
	}
	if got := f64(p.Objective); !closeF64(got, q.objective, tol) {
		t.Errorf("objective: big %.17g, float64 objective at the explicit point %.17g", got, q.objective)
	}
	for _, m := range []struct {
		name string
		big  *Matrix
		f    interface{ At(i, j int) float64 }
	}{{"WH", p.WH, q.wh}, {"WWT", p.WWT, q.wwt}, {"HTH", p.HTH, q.hth}} {
		scale := 0.0
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				scale = math.Max(scale, math.Abs(m.f.At(i, j)))
			}
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				got, want := f64(m.big.at(i, j)), m.f.At(i, j)
				if math.Abs(got-want) > tol*math.Max(1, scale) {
					t.Fatalf("%s[%d][%d]: big %.17g float64 %.17g", m.name, i, j, got, want)
				}
			}
		}
	}
}

// randomSetting draws a setting with K in [2, 12], counts in [1, 5000] and
// lambdas of the form m e-x, some of them near the collapse threshold.
func randomSetting(r *rand.Rand) setting.Setting {
	k := 2 + r.IntN(11)
	counts := make([]int, k)
	for i := range counts {
		counts[i] = 1 + r.IntN(5000)
	}
	lam := func() string { return fmt.Sprintf("%de-%d", 1+r.IntN(9), 2+r.IntN(5)) }
	return mkSetting(counts, k, lam(), lam())
}

// TestPropertiesRandom checks, over seeded random settings, agreement with
// the float64 path and the identities of theory.md section 2.
func TestPropertiesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 1))
	collapsedSeen, aliveSeen := 0, 0
	for trial := 0; trial < 200; trial++ {
		s := randomSetting(r)
		p := mustPredict(t, Auto{}, s, 0)
		q := predictFloat64(s)
		// Near the threshold the margin argument (K-1)(1/(c beta)-1) is close
		// to 1 and the float64 path loses digits to cancellation: compare with
		// a tolerance scaled by the condition number of log at that argument.
		cond := 1.0
		for i := range p.Classes {
			kf := float64(s.K())
			cb := f64(p.Classes[i].CBeta)
			arg := (kf - 1) * (1/cb - 1)
			if math.Abs(arg-1) < 1e-3 {
				cond = math.Max(cond, 1/math.Abs(math.Log(arg)))
			}
			if p.Classes[i].Alive {
				aliveSeen++
			} else {
				collapsedSeen++
			}
		}
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			compareFloat64(t, p, q, 1e-11*cond)
			checkIdentities(t, p)
		})
	}
	if collapsedSeen == 0 || aliveSeen == 0 {
		t.Fatalf("random settings did not exercise both regimes: %d alive, %d collapsed classes", aliveSeen, collapsedSeen)
	}
}

// checkIdentities verifies in big-float arithmetic the structural identities
// of theory.md section 2 on the explicit minimizer: lambda_W ||W||^2 =
// lambda_H ||H||^2, rows of W sum to zero, the minimizer reproduces W Hbar,
// W W^T and Hbar^T Hbar, and p_k = 1 - c beta_k for alive classes.
func checkIdentities(t *testing.T, p *Prediction) {
	t.Helper()
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	prec := p.Prec + 64
	nf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	tol := math.Ldexp(1, -int(p.Prec)+16)

	// Balance.
	wSq := nf()
	for _, row := range m.W {
		for _, x := range row {
			wSq.Add(wSq, nf().Mul(x, x))
		}
	}
	hSq := nf()
	for k := 0; k < m.K; k++ {
		col := nf()
		for i := 0; i < m.D; i++ {
			col.Add(col, nf().Mul(m.Means[i][k], m.Means[i][k]))
		}
		hSq.Add(hSq, col.Mul(col, nf().SetInt64(int64(p.Setting.Counts[k]))))
	}
	lhs := nf().Mul(p.Setting.LambdaW.Float(prec), wSq)
	rhs := nf().Mul(p.Setting.LambdaH.Float(prec), hSq)
	if p.GlobalCollapse {
		if lhs.Sign() != 0 || rhs.Sign() != 0 {
			t.Errorf("global collapse but ||W||, ||H|| nonzero")
		}
	} else if d := relDiff(lhs, rhs, 0); d > tol {
		t.Errorf("balance lambda_W||W||^2 = lambda_H||H||^2 off by %g relative", d)
	}

	// Columns of W (coordinates) sum to zero over the classes: 1^T W = 0.
	for i := 0; i < m.D; i++ {
		sum, scale := nf(), nf()
		for j := 0; j < m.K; j++ {
			sum.Add(sum, m.W[j][i])
			scale.Add(scale, nf().Abs(m.W[j][i]))
		}
		if scale.Sign() > 0 && relDiff(sum, nf(), f64(scale)) > tol {
			t.Errorf("column %d of W does not sum to zero: %s", i, sum.Text('g', 10))
		}
	}

	// The minimizer reproduces the matrices.
	k := m.K
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			wh, wwt, hth := nf(), nf(), nf()
			for i := 0; i < m.D; i++ {
				wh.Add(wh, nf().Mul(m.W[a][i], m.Means[i][b]))
				wwt.Add(wwt, nf().Mul(m.W[a][i], m.W[b][i]))
				hth.Add(hth, nf().Mul(m.Means[i][a], m.Means[i][b]))
			}
			for _, c := range []struct {
				name      string
				got, want *big.Float
				scale     *big.Float
			}{{"WH", wh, p.WH.at(a, b), p.WH.at(b, b)}, {"WWT", wwt, p.WWT.at(a, b), p.WWT.at(a, a)}, {"HTH", hth, p.HTH.at(a, b), p.HTH.at(b, b)}} {
				floor := math.Max(1e-300, math.Abs(f64(c.scale)))
				if d := relDiff(c.got, c.want, floor); d > tol {
					t.Fatalf("%s[%d][%d]: minimizer gives %s, prediction %s", c.name, a, b, c.got.Text('g', 30), c.want.Text('g', 30))
				}
			}
		}
	}

	// p_k = 1 - c beta_k for alive classes (paper formula).
	if p.Theory == (Paper{}).Name() {
		for i, c := range p.Classes {
			if !c.Alive {
				continue
			}
			want := nf().Sub(nf().SetInt64(1), c.CBeta)
			if d := relDiff(c.ProbCorrect, want, 1); d > tol {
				t.Errorf("class %d: p_k %s != 1 - c beta_k %s", i+1, c.ProbCorrect.Text('g', 30), want.Text('g', 30))
			}
		}
	}
}

func TestIdentitiesNamed(t *testing.T) {
	for _, tc := range namedSettings() {
		t.Run(tc.name, func(t *testing.T) {
			checkIdentities(t, mustPredict(t, Auto{}, tc.s, 0))
		})
	}
}

// bigObjective evaluates the full objective f of theory.md section 1 at the
// explicit minimizer in big-float arithmetic: every sample of class k has
// feature h_k, so the loss sum collapses to n_k times one cross-entropy.
func bigObjective(t *testing.T, p *Prediction, m *Minimizer) *big.Float {
	return bigObjectiveAt(p, m, p.Prec+64)
}

// bigObjectiveAt is bigObjective at a chosen precision (the log-sum-exp
// computes log(1 + x) directly, so a tiny x needs a precision above -log2 x).
func bigObjectiveAt(p *Prediction, m *Minimizer, prec uint) *big.Float {
	nf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	s := p.Setting
	loss := nf()
	hSq := nf()
	for k, nk := range s.Counts {
		z := make([]*big.Float, m.K)
		mx := (*big.Float)(nil)
		for j := 0; j < m.K; j++ {
			z[j] = nf()
			for i := 0; i < m.D; i++ {
				z[j].Add(z[j], nf().Mul(m.W[j][i], m.Means[i][k]))
			}
			if mx == nil || z[j].Cmp(mx) > 0 {
				mx = z[j]
			}
		}
		sum := nf()
		for j := 0; j < m.K; j++ {
			sum.Add(sum, bigfloat.Exp(nf().Sub(z[j], mx)))
		}
		ce := bigfloat.Log(sum)
		ce.Add(ce, mx)
		ce.Sub(ce, z[k])
		loss.Add(loss, ce.Mul(ce, nf().SetInt64(int64(nk))))
		for i := 0; i < m.D; i++ {
			hSq.Add(hSq, nf().Mul(nf().Mul(m.Means[i][k], m.Means[i][k]), nf().SetInt64(int64(nk))))
		}
	}
	loss.Quo(loss, nf().SetInt64(int64(s.N())))
	wSq := nf()
	for _, row := range m.W {
		for _, x := range row {
			wSq.Add(wSq, nf().Mul(x, x))
		}
	}
	two := nf().SetInt64(2)
	f := loss.Add(loss, nf().Quo(nf().Mul(s.LambdaW.Float(prec), wSq), two))
	return f.Add(f, nf().Quo(nf().Mul(s.LambdaH.Float(prec), hSq), two))
}

// TestObjectiveAtMinimizer: the objective f evaluated directly at the explicit
// minimizer, in big-float arithmetic, equals the formula for f* to ~2^-Prec.
func TestObjectiveAtMinimizer(t *testing.T) {
	for _, prec := range []uint{64, 256, 1024} {
		for _, tc := range namedSettings() {
			if tc.s.K() > 10 {
				continue
			}
			for _, f := range []Theory{Paper{}, AuthorsCode{}} {
				t.Run(fmt.Sprintf("%s/%d/%s", tc.name, prec, f.Name()), func(t *testing.T) {
					p := mustPredict(t, f, tc.s, prec)
					m, err := p.Minimizer()
					if err != nil {
						t.Fatal(err)
					}
					got := bigObjective(t, p, m)
					if d := relDiff(got, p.Objective, 1); d > math.Ldexp(1, -int(prec)+8) {
						t.Errorf("f at the explicit point %s, formula f* %s: rel diff %g", got.Text('g', 40), p.Objective.Text('g', 40), d)
					}
				})
			}
		}
	}
}

func TestBalancedEqualNorms(t *testing.T) {
	for _, k := range []int{2, 3, 7, 10} {
		counts := make([]int, k)
		for i := range counts {
			counts[i] = 321
		}
		p := mustPredict(t, Auto{}, mkSetting(counts, k, "3e-4", "2e-4"), 0)
		for i := 1; i < k; i++ {
			a, b := p.Classes[0], p.Classes[i]
			if a.Margin.Cmp(b.Margin) != 0 || a.FeatureNormSq.Cmp(b.FeatureNormSq) != 0 || a.ClassifierNormSq.Cmp(b.ClassifierNormSq) != 0 {
				t.Errorf("K=%d: class %d differs from class 1 in a balanced setting", k, i+1)
			}
		}
		// Balanced and alive: ||w_k||^2 = gamma (K-1)/K and gamma rho = M^2, so
		// cos(w_k, h_k) = sqrt((K-1)/K).
		want := math.Sqrt(float64(k-1) / float64(k))
		if got := f64(p.Classes[0].CosWH); !closeF64(got, want, 1e-15) {
			t.Errorf("K=%d balanced cos(w,h) = %v, want sqrt((K-1)/K) = %v", k, got, want)
		}
	}
}

// TestMarginDependsOnProductOnly: M_k depends on lambda_W, lambda_H only
// through their product, to the full precision.
func TestMarginDependsOnProductOnly(t *testing.T) {
	counts := []int{700, 300, 120, 40}
	pairs := [][2]string{{"1e-4", "1e-5"}, {"1e-3", "1e-6"}, {"2e-5", "5e-5"}, {"4e-6", "2.5e-4"}}
	base := mustPredict(t, Auto{}, mkSetting(counts, 4, pairs[0][0], pairs[0][1]), 0)
	for _, pr := range pairs[1:] {
		p := mustPredict(t, Auto{}, mkSetting(counts, 4, pr[0], pr[1]), 0)
		for i := range counts {
			if d := relDiff(p.Classes[i].Margin, base.Classes[i].Margin, 1e-300); d > 1e-70 {
				t.Errorf("lambdas %v: margin of class %d differs by %g relative", pr, i+1, d)
			}
		}
		if d := relDiff(p.Objective, base.Objective, 1); d > 1e-70 {
			t.Errorf("lambdas %v: objective differs by %g relative", pr, d)
		}
	}
}

func TestAllCollapsedObjectiveIsLogK(t *testing.T) {
	for _, counts := range [][]int{{5, 5, 4}, {1, 1}, {3, 2, 2, 1, 1}} {
		s := mkSetting(counts, 1, "0.5", "0.5")
		p := mustPredict(t, Auto{}, s, 0)
		if !p.GlobalCollapse {
			t.Fatalf("%v: expected global collapse", counts)
		}
		want := bigfloat.Log(new(big.Float).SetPrec(p.Prec + 64).SetInt64(int64(len(counts))))
		if d := relDiff(p.Objective, want, 1); d > 1e-75 {
			t.Errorf("%v: f* = %s, log K = %s", counts, p.Objective.Text('g', 40), want.Text('g', 40))
		}
		for _, c := range p.Classes {
			if c.Margin.Sign() != 0 || c.FeatureNormSq.Sign() != 0 || c.ClassifierNormSq.Sign() != 0 || c.CosWH != nil {
				t.Errorf("%v: collapsed class has nonzero geometry", counts)
			}
		}
	}
}

// TestCollapseBoundaryExact: n_k exactly at the threshold collapses (the
// theorem's "<="), one more sample is alive with a tiny positive margin.
func TestCollapseBoundaryExact(t *testing.T) {
	// K=2, N = 10 + n. Choose lambdas so that the threshold 2 N^2 lW lH = n at
	// n = 10, N = 20: lW lH = 10 / (2 * 400) = 1/80 -> lW = 0.125, lH = 0.1.
	s := mkSetting([]int{10, 10}, 2, "0.125", "0.1")
	p := mustPredict(t, Auto{}, s, 0)
	if p.Classes[0].Alive || !p.GlobalCollapse {
		t.Fatalf("n_k = threshold must collapse (threshold %s)", p.CollapseThreshold.Text('g', 20))
	}
	if got := p.CollapseThreshold.Text('g', 30); got != "10" {
		t.Fatalf("threshold = %s, want exactly 10", got)
	}
	// The roots of a (R + n)^2 = n with a = 1/40, R = 10: n = 10 is a root.
	r := p.Classes[0].CollapseRoots
	if !r.Real {
		t.Fatal("roots must be real")
	}
	lo, hi := f64(r.Lo), f64(r.Hi)
	if !closeF64(lo, 10, 1e-15) || !closeF64(hi, 10, 1e-15) {
		t.Errorf("roots (%v, %v), want the double root 10", lo, hi)
	}
}

// TestCollapseRootsSolveQuadratic: the reported roots satisfy a (R+n)^2 = n.
func TestCollapseRootsSolveQuadratic(t *testing.T) {
	for _, tc := range namedSettings() {
		p := mustPredict(t, Auto{}, tc.s, 0)
		a := new(big.Rat).Quo(Paper{}.CollapseThreshold(tc.s), new(big.Rat).SetInt64(int64(tc.s.N())*int64(tc.s.N())))
		for i, c := range p.Classes {
			if !c.CollapseRoots.Real {
				continue
			}
			rr := new(big.Float).SetPrec(p.Prec + 64).SetInt64(int64(tc.s.N() - c.N))
			af := new(big.Float).SetPrec(p.Prec + 64).SetRat(a)
			for _, n := range []*big.Float{c.CollapseRoots.Lo, c.CollapseRoots.Hi} {
				x := new(big.Float).SetPrec(p.Prec+64).Add(rr, n)
				x.Mul(x, x)
				x.Mul(x, af)
				if d := relDiff(x, n, 1e-300); d > 1e-70 {
					t.Errorf("%s class %d: root %s does not solve the quadratic (rel %g)", tc.name, i+1, n.Text('g', 20), d)
				}
			}
			if c.CollapseRoots.Lo.Cmp(c.CollapseRoots.Hi) > 0 {
				t.Errorf("%s class %d: lo > hi", tc.name, i+1)
			}
		}
	}
}

// TestAuthorsCodeFormula: the authors' margin agrees with the paper's iff
// lambda_W = 4 lambda_H, and otherwise its objective is above f*.
func TestAuthorsCodeFormula(t *testing.T) {
	counts := []int{500, 300, 100}
	agree := mkSetting(counts, 3, "4e-4", "1e-4")
	pp := mustPredict(t, Auto{}, agree, 0)
	pc := mustPredict(t, AuthorsCode{}, agree, 0)
	for i := range counts {
		if d := relDiff(pc.Classes[i].Margin, pp.Classes[i].Margin, 1e-300); d > 1e-70 {
			t.Errorf("lW = 4 lH: class %d margins differ by %g", i+1, d)
		}
	}
	differ := mkSetting(counts, 3, "1e-4", "1e-4")
	pp = mustPredict(t, Auto{}, differ, 0)
	pc = mustPredict(t, AuthorsCode{}, differ, 0)
	for i := range counts {
		if d := relDiff(pc.Classes[i].Margin, pp.Classes[i].Margin, 1e-300); d < 1e-3 {
			t.Errorf("lW != 4 lH: class %d margins agree (rel diff %g)", i+1, d)
		}
	}
	if pc.Objective.Cmp(pp.Objective) <= 0 {
		t.Errorf("authors-code objective %s is not above the paper's optimum %s", pc.Objective.Text('g', 20), pp.Objective.Text('g', 20))
	}
}

func TestPrecisionIsHonoured(t *testing.T) {
	s := namedSettings()[1].s
	lo := mustPredict(t, Auto{}, s, 128)
	hi := mustPredict(t, Auto{}, s, 2048)
	if lo.Objective.Prec() != 128 || hi.Objective.Prec() != 2048 {
		t.Fatalf("precisions %d, %d", lo.Objective.Prec(), hi.Objective.Prec())
	}
	// The 128-bit result is the correctly rounded (within an ulp or two) 2048-bit one.
	if d := relDiff(lo.Objective, hi.Objective, 1); d > math.Ldexp(1, -126) {
		t.Errorf("128-bit objective off by %g relative", d)
	}
}

func TestScopeErrors(t *testing.T) {
	good := mkSetting([]int{1000, 1000, 2000}, 16, "1e-4", "1e-5")
	bias := good.Clone()
	bias.Bias, bias.LambdaB = true, setting.MustDecimal("1e-3")
	smallD := good.Clone()
	smallD.Dim = 2
	noReLU := good.Clone()
	noReLU.NoReLU = true
	oneClass := good.Clone()
	oneClass.Counts = []int{10}
	mse := good.Clone()
	mse.Loss = setting.MSE()
	tests := []struct {
		name  string
		th    Theory
		s     setting.Setting
		prec  uint
		field string
		scope bool // a *ScopeError (the theory does not apply), not bad input
	}{
		{"bias, authors-code", AuthorsCode{}, bias, 0, setting.FieldBias, true},
		{"bias, paper", Paper{}, bias, 0, setting.FieldBias, true},
		{"d below alive", Auto{}, smallD, 0, setting.FieldDim, true},
		{"no relu, imbalanced", Auto{}, noReLU, 0, setting.FieldNoReLU + "/" + setting.FieldCounts, true},
		{"no relu, paper", Paper{}, noReLU, 0, setting.FieldNoReLU, true},
		{"no relu, authors-code", AuthorsCode{}, noReLU, 0, setting.FieldNoReLU, true},
		{"mse, paper", Paper{}, mse, 0, setting.FieldLoss, true},
		{"mse, authors-code", AuthorsCode{}, mse, 0, setting.FieldLoss, true},
		{"one class", Auto{}, oneClass, 0, setting.FieldCounts, false},
		{"prec low", Auto{}, good, 32, "Prec", false},
		{"prec high", Auto{}, good, 8192, "Prec", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.th.Predict(tc.s, tc.prec)
			var ie *setting.InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an InputError naming %s", err, tc.field)
			}
			var se *ScopeError
			if errors.As(err, &se) != tc.scope {
				t.Errorf("err = %v (%T): scope error %t, want %t", err, err, !tc.scope, tc.scope)
			}
		})
	}
	// d below the alive count names both numbers.
	_, err := Auto{}.Predict(smallD, 0)
	if got := err.Error(); got != "Dim 2: smaller than the number of alive classes (3); the theorem does not apply" {
		t.Errorf("message %q", got)
	}
	var se *ScopeError
	if errors.As(err, &se); se == nil || se.Alive != 3 || se.Short != "d=2 < 3 alive classes" {
		t.Errorf("scope error %+v", se)
	}
	// With a bias the paper's theory predicts the orthogonal structure of
	// theory.md section 4.
	if p, err := (Auto{}).Predict(bias, 0); err != nil || p.Reduced == nil || p.Model != ModelBias || p.Bias == nil {
		t.Errorf("bias: %v, %+v", err, p)
	}
	// d may be below K when classes collapse.
	s := namedSettings()[3].s // one collapsed class, K = 4
	s.Dim = 3
	if _, err := (Auto{}).Predict(s, 0); err != nil {
		t.Errorf("d = alive count (3) with one collapsed class: %v", err)
	}
}

func TestMinimizerDense(t *testing.T) {
	s := namedSettings()[3].s // one collapsed class
	p := mustPredict(t, Auto{}, s, 0)
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	h := m.HDense()
	if r, c := h.Dims(); r != s.Dim || c != s.N() {
		t.Fatalf("H is %dx%d, want %dx%d", r, c, s.Dim, s.N())
	}
	w := m.WDense()
	if r, c := w.Dims(); r != s.K() || c != s.Dim {
		t.Fatalf("W is %dx%d", r, c)
	}
	// Collapsed class 4 (n = 1): its single sample (the last column) is zero,
	// and H >= 0 everywhere.
	for i := 0; i < s.Dim; i++ {
		if h.At(i, s.N()-1) != 0 {
			t.Errorf("collapsed sample has feature %v at %d", h.At(i, s.N()-1), i)
		}
		for j := 0; j < s.N(); j += 97 {
			if h.At(i, j) < 0 {
				t.Fatalf("H has a negative entry")
			}
		}
	}
	if m.Coord[3] != -1 {
		t.Errorf("collapsed class has coordinate %d", m.Coord[3])
	}
}

// TestTinyLambdas: with lambda_W lambda_H ~ 1e-600 the loss term
// log(1 + (K-1) exp(-M_k)) ~ 1e-297 must not vanish in 1 + x: f* equals the
// objective evaluated directly at the explicit point.
func TestTinyLambdas(t *testing.T) {
	s := mkSetting([]int{1, 1, 1}, 3, "1e-300", "1e-300")
	p := mustPredict(t, Auto{}, s, 0)
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	got := bigObjectiveAt(p, m, 2400) // 1 + 1e-297 is exact to ~1e-420 at 2400 bits
	if d := relDiff(got, p.Objective, 0); d > 1e-70 {
		t.Errorf("f* %s, objective at the point %s (rel %g)", p.Objective.Text('g', 20), got.Text('g', 20), d)
	}
}

// TestMarginsMatchPredict: Paper.Margins and AuthorsCode.Margins give the margins of Predict,
// bit for bit, for both formulas (collapsed classes included).
func TestMarginsMatchPredict(t *testing.T) {
	for _, ns := range namedSettings() {
		for _, f := range []interface {
			Theory
			Margins(setting.Setting, uint) ([]*big.Float, error)
		}{Paper{}, AuthorsCode{}} {
			p := mustPredict(t, f, ns.s, 0)
			ms, err := f.Margins(ns.s, 0)
			if err != nil {
				t.Fatal(err)
			}
			for k, cl := range p.Classes {
				if ms[k].Cmp(cl.Margin) != 0 {
					t.Errorf("%s %s class %d: Margins %s, Predict %s", ns.name, f.Name(), k+1, ms[k].Text('g', 20), cl.Margin.Text('g', 20))
				}
			}
		}
	}
}
