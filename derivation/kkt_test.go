package derivation

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

func mkSetting(counts []int, d int, lw, lh string) setting.Setting {
	return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}
}

// kktSettings are bias-free settings in the theorem's scope: all classes
// alive, one or two collapsed classes, d above the number of alive classes
// (zero-slack coordinates), and global collapse.
var kktSettings = []struct {
	name      string
	s         setting.Setting
	collapsed int
}{
	{"all-alive K=4", mkSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3"), 0},
	{"all-alive K=3 d=K lW!=lH", mkSetting([]int{5, 3, 1}, 3, "1e-2", "2e-2"), 0},
	{"one collapsed d=alive", mkSetting([]int{100, 50, 10, 2}, 3, "1e-2", "1e-2"), 1},
	{"one collapsed d>alive", mkSetting([]int{100, 50, 10, 2}, 6, "1e-2", "1e-2"), 1},
	{"two collapsed K=5", mkSetting([]int{200, 100, 50, 5, 3}, 6, "1e-2", "5e-3"), 2},
	{"global collapse", mkSetting([]int{2, 2}, 2, "1", "1"), 2},
	{"balanced K=10", mkSetting([]int{7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 12, "1e-4", "1e-4"), 0},
}

func TestKKTAtPredictionIsExact(t *testing.T) {
	limit := new(big.Float).SetFloat64(1e-60)
	for _, tc := range kktSettings {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(tc.s, 256)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.K() - p.AliveCount(); got != tc.collapsed {
				t.Fatalf("%d collapsed classes, the test case expects %d", got, tc.collapsed)
			}
			r, err := AtPrediction(p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Residual.Cmp(limit) >= 0 {
				t.Errorf("KKT residual %s >= 1e-60 (W %s, compl %s, slack %v)", r.Residual.Text('g', 5),
					r.StationarityW.Text('g', 5), r.Complementarity.Text('g', 5), r.MinDualSlack)
			}
			// Every sample of an alive class has exactly one positive entry;
			// all other entries of H are 0. Those on the coordinates of alive
			// classes have a strictly positive dual slack; those on unused
			// coordinates (d > alive) have slack exactly 0.
			alive := 0
			for _, c := range p.Classes {
				if c.Alive {
					alive += c.N
				}
			}
			if want := tc.s.N()*tc.s.Dim - alive; r.ZeroEntries != want {
				t.Errorf("ZeroEntries = %d, want N d - sum_alive n_k = %d", r.ZeroEntries, want)
			}
			if r.MinDualSlack == nil {
				t.Fatal("no dual slack reported")
			}
			if tc.s.Dim > p.AliveCount() {
				if new(big.Float).Abs(r.MinDualSlack).Cmp(limit) >= 0 {
					t.Errorf("min dual slack %s, want 0 (unused coordinates)", r.MinDualSlack.Text('g', 5))
				}
			} else if r.MinDualSlack.Cmp(limit) <= 0 {
				t.Errorf("min dual slack %s, want > 0 (d = alive classes)", r.MinDualSlack.Text('g', 5))
			}
			// The objective at the point equals the closed-form f* to ~2^-256.
			diff := new(big.Float).Sub(r.Objective, p.Objective)
			rel := new(big.Float).Quo(diff.Abs(diff), p.Objective)
			if rel.Cmp(limit) >= 0 {
				t.Errorf("objective %s, closed form %s: relative difference %s", r.Objective.Text('g', 30), p.Objective.Text('g', 30), rel.Text('g', 5))
			}
		})
	}
}

// TestKKTResidualScalesWithPrecision checks that the residual is a property
// of the arithmetic: it falls with the precision, as 2^-P.
func TestKKTResidualScalesWithPrecision(t *testing.T) {
	s := kktSettings[0].s
	var prev *big.Float
	for _, prec := range []uint{128, 256, 512} {
		p, err := closedform.Auto{}.Predict(s, prec)
		if err != nil {
			t.Fatal(err)
		}
		r, err := AtPrediction(p)
		if err != nil {
			t.Fatal(err)
		}
		bound := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)+8) // 256 ulps of 1
		if r.Residual.Cmp(bound) > 0 {
			t.Errorf("prec %d: residual %s above 2^-%d", prec, r.Residual.Text('g', 5), prec-8)
		}
		if prev != nil && r.Residual.Sign() != 0 && r.Residual.Cmp(prev) >= 0 {
			t.Errorf("prec %d: residual %s did not fall below %s", prec, r.Residual.Text('g', 5), prev.Text('g', 5))
		}
		prev = r.Residual
	}
}

// TestKKTAuthorsCode: the authors' margin is a stationary point only when
// lambda_W = 4 lambda_H.
func TestKKTAuthorsCode(t *testing.T) {
	tests := []struct {
		name       string
		s          setting.Setting
		stationary bool
	}{
		{"lW=lH", mkSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3"), false},
		{"lW=2lH", mkSetting([]int{5, 3, 1}, 3, "1e-2", "5e-3"), false},
		{"lW=4lH", mkSetting([]int{40, 20, 10, 5}, 8, "2e-2", "5e-3"), true},
	}
	small := new(big.Float).SetFloat64(1e-60)
	large := new(big.Float).SetFloat64(1e-6)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.AuthorsCode{}.Predict(tc.s, 256)
			if err != nil {
				t.Fatal(err)
			}
			r, err := AtPrediction(p)
			if err != nil {
				t.Fatal(err)
			}
			if tc.stationary && r.Residual.Cmp(small) >= 0 {
				t.Errorf("residual %s, want < 1e-60", r.Residual.Text('g', 5))
			}
			if !tc.stationary && r.Residual.Cmp(large) <= 0 {
				t.Errorf("residual %s, want > 1e-6: the wrong margin must not look stationary", r.Residual.Text('g', 5))
			}
		})
	}
}

// randomPoint is a point with per-sample features (some entries 0).
func randomPoint(rng *rand.Rand, s setting.Setting, prec uint) *Point {
	k, d := s.K(), s.Dim
	f := func() *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(rng.NormFloat64()) }
	pt := &Point{W: make([][]*big.Float, k)}
	for j := range pt.W {
		pt.W[j] = make([]*big.Float, d)
		for i := range pt.W[j] {
			pt.W[j][i] = f()
		}
	}
	if s.Bias {
		pt.B = make([]*big.Float, k)
		for j := range pt.B {
			pt.B[j] = f()
		}
	}
	for c, n := range s.Counts {
		for i := 0; i < n; i++ {
			col := make([]*big.Float, d)
			for r := range col {
				col[r] = f()
				if col[r].Sign() < 0 {
					col[r].SetInt64(0)
				}
			}
			pt.Columns = append(pt.Columns, col)
			pt.Labels = append(pt.Labels, c)
			pt.Mult = append(pt.Mult, 1)
		}
	}
	return pt
}

// biasModes are the three bias variants of a setting: none, penalised
// (lambda_b = 0.7) and unregularised (lambda_b = 0).
var biasModes = []struct {
	name string
	lb   string // "" for no bias
}{{"no bias", ""}, {"bias", "0.7"}, {"unregularised bias", "0"}}

// derivativeCases are the settings of the finite-difference tests of the
// assembled gradient and Hessian: cross-entropy and the squared error with
// every bias mode, and label smoothing (ls) with an unregularised bias. The
// losses' own derivatives are checked for every loss and smoothing by
// TestLossDerivatives; these cases check the assembly.
func derivativeCases(ls string) []struct{ name, loss, lb string } {
	var out []struct{ name, loss, lb string }
	for _, loss := range []string{"ce", "mse"} {
		for _, m := range biasModes {
			out = append(out, struct{ name, loss, lb string }{loss + " " + m.name, loss, m.lb})
		}
	}
	return append(out, struct{ name, loss, lb string }{ls + " unregularised bias", ls, "0"})
}

func withLossAndBias(s setting.Setting, loss, lb string) setting.Setting {
	s = s.Clone()
	s.Loss = mustLoss(loss)
	if lb != "" {
		s.Bias, s.LambdaB = true, setting.MustDecimal(lb)
	}
	return s
}

// TestGradientFiniteDifference compares every gradient entry with a central
// difference of the objective at 512 bits and step 1e-40: the truncation
// error is ~1e-80 and the rounding error ~1e-114, far below the 1e-60
// tolerance, so the test checks the gradient formulas of theory.md section 5
// for every loss, without, with and with an unregularised bias.
func TestGradientFiniteDifference(t *testing.T) {
	const prec = 512
	for _, tc := range derivativeCases("ls:0.1") {
		t.Run(tc.name, func(t *testing.T) {
			gradientFiniteDifference(t, withLossAndBias(mkSetting([]int{2, 3, 1}, 3, "0.3", "0.2"), tc.loss, tc.lb), prec)
		})
	}
}

func gradientFiniteDifference(t *testing.T, s setting.Setting, prec uint) {
	rng := rand.New(rand.NewPCG(1, 2))
	pt := randomPoint(rng, s, prec)
	r, err := Evaluate(s, pt, prec)
	if err != nil {
		t.Fatal(err)
	}
	step := new(big.Float).SetPrec(prec).SetFloat64(1e-40)
	fd := func(x *big.Float) *big.Float {
		orig := new(big.Float).Copy(x)
		x.Add(orig, step)
		fp, err := Evaluate(s, pt, prec)
		if err != nil {
			t.Fatal(err)
		}
		x.Sub(orig, step)
		fm, err := Evaluate(s, pt, prec)
		if err != nil {
			t.Fatal(err)
		}
		x.Set(orig)
		g := new(big.Float).SetPrec(prec).Sub(fp.Objective, fm.Objective)
		return g.Quo(g, new(big.Float).SetPrec(prec).Mul(step, big.NewFloat(2)))
	}
	tol := new(big.Float).SetFloat64(1e-60)
	check := func(name string, x, grad *big.Float) {
		d := new(big.Float).Sub(fd(x), grad)
		if d.Abs(d).Cmp(tol) > 0 {
			t.Errorf("%s: gradient %s, finite difference off by %s", name, grad.Text('g', 10), d.Text('g', 5))
		}
	}
	for j := range pt.W {
		for i := range pt.W[j] {
			check("W", pt.W[j][i], r.GradW[j][i])
		}
	}
	for j := range pt.B {
		check("b", pt.B[j], r.GradB[j])
	}
	for g := range pt.Columns {
		for i := range pt.Columns[g] {
			check("H", pt.Columns[g][i], r.GradH[g][i])
		}
	}
}

// TestSamplePointGroups: the per-sample float64 explicit minimizer, grouped
// by SamplePoint, evaluates like the class-grouped point (same objective to
// float64 rounding of the inputs), and its residual is at float64 level.
func TestSamplePointGroups(t *testing.T) {
	s := kktSettings[3].s
	p, err := closedform.Auto{}.Predict(s, 256)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	pt, err := SamplePoint(m.WDense(), m.HDense(), nil, m.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(pt.Columns) != s.K() {
		t.Errorf("%d groups, want K = %d", len(pt.Columns), s.K())
	}
	r, err := Evaluate(s, pt, 256)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := AtPrediction(p)
	if err != nil {
		t.Fatal(err)
	}
	d := new(big.Float).Sub(r.Objective, exact.Objective)
	if f, _ := d.Float64(); f > 1e-14 || f < -1e-14 {
		t.Errorf("objective differs by %g", f)
	}
	res, _ := r.Residual.Float64()
	if res > 1e-12 || res < 1e-40 {
		t.Errorf("float64-rounded point has residual %g, want float64 level (1e-40 .. 1e-12)", res)
	}
}

func TestEvaluateDetectsDualInfeasibility(t *testing.T) {
	// K=2, d=1, one sample per class. With W = (1, -1)^T and h = 0 for
	// class 1, grad_H for class 1 is W^T (p - e_1)/N = (0.5-1)*1/2 + 0.5*(-1)/2 < 0.
	s := mkSetting([]int{1, 1}, 1, "1", "1")
	one := func(v float64) *big.Float { return new(big.Float).SetFloat64(v) }
	pt := &Point{
		W:       [][]*big.Float{{one(1)}, {one(-1)}},
		Columns: [][]*big.Float{{one(0)}, {one(0)}},
		Labels:  []int{0, 1}, Mult: []int{1, 1},
	}
	r, err := Evaluate(s, pt, 128)
	if err != nil {
		t.Fatal(err)
	}
	if r.MinDualSlack == nil || r.MinDualSlack.Sign() >= 0 {
		t.Fatalf("min dual slack %v, want negative", r.MinDualSlack)
	}
	if want, _ := r.MinDualSlack.Float64(); want != -0.5 {
		t.Errorf("min dual slack %g, want -0.5", want)
	}
	if r.Residual.Cmp(new(big.Float).Neg(r.MinDualSlack)) < 0 {
		t.Errorf("residual %s does not include the dual violation", r.Residual.Text('g', 5))
	}
}

func TestEvaluateRejectsBadPoints(t *testing.T) {
	s := mkSetting([]int{2, 1}, 2, "1", "1")
	rng := rand.New(rand.NewPCG(3, 4))
	good := func() *Point { return randomPoint(rng, s, 64) }
	sb := s
	sb.Bias, sb.LambdaB = true, setting.MustDecimal("1")
	tests := []struct {
		name   string
		s      setting.Setting
		mutate func(*Point)
		prec   uint
	}{
		{"prec too low", s, func(*Point) {}, 8},
		{"wrong count", s, func(p *Point) { p.Mult[0] = 2 }, 64},
		{"bad label", s, func(p *Point) { p.Labels[0] = 5 }, 64},
		{"short W", s, func(p *Point) { p.W = p.W[:1] }, 64},
		{"short column", s, func(p *Point) { p.Columns[1] = p.Columns[1][:1] }, 64},
		{"bias missing", sb, func(p *Point) { p.B = nil }, 64},
		{"infinite entry", s, func(p *Point) { p.W[0][0].SetInf(false) }, 64},
		{"nil entry", s, func(p *Point) { p.Columns[0][0] = nil }, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt := good()
			if tc.s.Bias {
				pt.B = []*big.Float{big.NewFloat(0), big.NewFloat(0)}
			}
			tc.mutate(pt)
			if _, err := Evaluate(tc.s, pt, tc.prec); err == nil {
				t.Error("no error")
			}
		})
	}
	w := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	h := mat.NewDense(2, 3, []float64{1, 0, 1, 0, 1, 0})
	if _, err := SamplePoint(w, h, nil, []int{0, 1}); err == nil {
		t.Error("SamplePoint: no error for a label count mismatch")
	}
	h.Set(0, 0, 1/zero())
	if _, err := SamplePoint(w, h, nil, []int{0, 1, 0}); !errors.Is(err, setting.ErrNonFinite) {
		t.Errorf("SamplePoint: error %v, want ErrNonFinite", err)
	}
}

func zero() float64 { return 0 }

// TestEvaluateNoReLU: without the constraint, stationarity in H means
// grad_H = 0 everywhere, so the UFM+ prediction (whose zero entries carry
// positive slack) is not stationary for the plain UFM: the complementarity
// residual is then ||grad_H||_inf, at least the largest slack.
func TestEvaluateNoReLU(t *testing.T) {
	s := mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3")
	p, err := closedform.Auto{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	relu, err := Evaluate(s, MinimizerPoint(m), 128)
	if err != nil {
		t.Fatal(err)
	}
	plain := s.Clone()
	plain.NoReLU = true
	r, err := Evaluate(plain, MinimizerPoint(m), 128)
	if err != nil {
		t.Fatal(err)
	}
	if r.MinDualSlack != nil {
		t.Errorf("min dual slack %s reported without the ReLU constraint", r.MinDualSlack.Text('g', 5))
	}
	maxSlack := new(big.Float)
	for _, col := range relu.GradH {
		for _, v := range col {
			if v.Cmp(maxSlack) > 0 {
				maxSlack.Set(v)
			}
		}
	}
	if maxSlack.Cmp(big.NewFloat(1e-6)) < 0 {
		t.Fatalf("largest slack %s: the test needs a positive one", maxSlack.Text('g', 5))
	}
	if r.Complementarity.Cmp(maxSlack) != 0 || r.Residual.Cmp(maxSlack) < 0 {
		t.Errorf("plain UFM residual %s, complementarity %s; want ||grad_H||_inf = %s", r.Residual.Text('g', 8),
			r.Complementarity.Text('g', 8), maxSlack.Text('g', 8))
	}
}

// TestKKTExtremeLambdas: with lambda_W = lambda_H = 1e-300 the margins are
// about 690 and 1 - p_y about 1e-300; the residual must still be at 2^-256
// relative to the size of the gradient terms.
func TestKKTExtremeLambdas(t *testing.T) {
	for _, s := range []setting.Setting{
		mkSetting([]int{1, 1, 1}, 3, "1e-300", "1e-300"),
		mkSetting([]int{5, 3, 1}, 4, "1e-150", "1e-200"),
		withBias(mkSetting([]int{1, 1, 1}, 3, "1e-300", "1e-300"), "1e-300"),
	} {
		t.Run(s.String(), func(t *testing.T) {
			var r *KKT
			var err error
			if s.Bias {
				p, perr := closedform.BiasOrthogonal{}.Predict(s, 256)
				if perr != nil {
					t.Fatal(perr)
				}
				r, err = AtPrediction(p)
			} else {
				p, perr := closedform.Auto{}.Predict(s, 256)
				if perr != nil {
					t.Fatal(perr)
				}
				r, err = AtPrediction(p)
			}
			if err != nil {
				t.Fatal(err)
			}
			rel := new(big.Float).Quo(r.Residual, r.Scale)
			if rel.Cmp(big.NewFloat(1e-60)) >= 0 {
				t.Errorf("residual %s is %s of the gradient terms %s", r.Residual.Text('g', 5), rel.Text('g', 5), r.Scale.Text('g', 5))
			}
		})
	}
}
