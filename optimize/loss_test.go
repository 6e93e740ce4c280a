package optimize

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// testLosses are the losses the tests run: cross-entropy, label smoothing
// and the squared error.
func testLosses(t testing.TB) []setting.Loss {
	t.Helper()
	var out []setting.Loss
	for _, text := range []string{"ce", "ls:0.1", "ls:0.3", "mse"} {
		l, err := setting.ParseLoss(text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// naiveLoss is l(z; y) of theory.md sections 1 and 12 written from the
// definitions, with a plain log-sum-exp: the reference of the tests.
func naiveLoss(l setting.Loss, z []float64, y int) float64 {
	switch l.Kind() {
	case setting.SquaredError:
		s := 0.0
		for j, v := range z {
			if j == y {
				v--
			}
			s += v * v
		}
		return s / 2
	}
	a := l.Smoothing().Float64() // 0 for cross-entropy
	k := float64(len(z))
	lse := 0.0
	for _, v := range z {
		lse += math.Exp(v)
	}
	tz := 0.0 // t_y . z, t_y = (1 - a) e_y + (a/K) 1
	for j, v := range z {
		t := a / k
		if j == y {
			t += 1 - a
		}
		tz += t * v
	}
	return math.Log(lse) - tz
}

// naiveObjectiveLoss evaluates f of theory.md section 1 with the loss of p
// directly from the matrices.
func naiveObjectiveLoss(p *Problem, pt Point) float64 {
	n := p.N()
	z := mat.NewDense(p.K(), n, nil)
	z.Mul(pt.W, pt.H)
	loss := 0.0
	col := 0
	zi := make([]float64, p.K())
	for k, c := range p.Counts {
		for i := 0; i < c; i++ {
			for j := range zi {
				zi[j] = z.At(j, col)
				if pt.B != nil {
					zi[j] += pt.B[j]
				}
			}
			loss += naiveLoss(p.Loss, zi, k)
			col++
		}
	}
	f := loss / float64(n)
	sq := func(m *mat.Dense) float64 { v := mat.Norm(m, 2); return v * v }
	f += p.LambdaW/2*sq(pt.W) + p.LambdaH/2*sq(pt.H)
	for _, v := range pt.B {
		f += p.LambdaB / 2 * v * v
	}
	return f
}

// lossModels are the model variants of the loss tests: ReLU and plain,
// bias-free, with a regularised and with an unregularised bias.
func lossModels() []struct {
	name string
	p    Problem
} {
	return []struct {
		name string
		p    Problem
	}{
		{"relu", Problem{Counts: []int{3, 2, 4}, Dim: 5, LambdaW: 3e-2, LambdaH: 7e-3, ReLU: true}},
		{"relu-bias", Problem{Counts: []int{3, 2, 4}, Dim: 5, LambdaW: 3e-2, LambdaH: 7e-3, Bias: true, LambdaB: 5e-2, ReLU: true}},
		{"relu-unregularised-bias", Problem{Counts: []int{3, 2, 4}, Dim: 5, LambdaW: 3e-2, LambdaH: 7e-3, Bias: true, ReLU: true}},
		{"plain", Problem{Counts: []int{1, 5, 2, 3}, Dim: 3, LambdaW: 1e-3, LambdaH: 2e-3}},
		{"plain-unregularised-bias", Problem{Counts: []int{2, 2, 2, 1}, Dim: 2, LambdaW: 1e-1, LambdaH: 1e-4, Bias: true}},
		// K = 11 > 8: the softmax kernel's masked tail and a second vector.
		{"relu-k11", Problem{Counts: []int{2, 1, 3, 1, 2, 1, 1, 2, 1, 3, 1}, Dim: 4, LambdaW: 1e-2, LambdaH: 1e-2, Bias: true, LambdaB: 1e-3, ReLU: true}},
	}
}

// TestLossGradientsFiniteDifferences checks the gradient of every loss, in
// every model, against central differences of the objective, and the
// objective against its definition.
func TestLossGradientsFiniteDifferences(t *testing.T) {
	for _, l := range testLosses(t) {
		for _, m := range lossModels() {
			t.Run(l.String()+"/"+m.name, func(t *testing.T) {
				p := m.p
				p.Loss = l
				e, err := NewEvaluator(&p)
				if err != nil {
					t.Fatal(err)
				}
				x := randomPoint(&p, 1)
				g := make([]float64, len(x))
				f, err := e.FuncGrad(x, g)
				if err != nil {
					t.Fatal(err)
				}
				if want := naiveObjectiveLoss(&p, p.PointOf(x)); math.Abs(f-want) > 1e-13*math.Abs(want) {
					t.Errorf("objective %.17g, definition %.17g", f, want)
				}
				gs := make([]float64, len(x))
				xp := append([]float64(nil), x...)
				worst := 0.0
				for i := range x {
					h := 1e-5 * math.Max(1, math.Abs(x[i]))
					xp[i] = x[i] + h
					fp, err1 := e.FuncGrad(xp, gs)
					xp[i] = x[i] - h
					fm, err2 := e.FuncGrad(xp, gs)
					xp[i] = x[i]
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					fd := (fp - fm) / (2 * h)
					rel := math.Abs(fd-g[i]) / math.Max(1e-3, math.Abs(g[i]))
					worst = math.Max(worst, rel)
					if rel > 1e-6 {
						t.Errorf("variable %d: gradient %.12g, central difference %.12g", i, g[i], fd)
					}
				}
				t.Logf("%d variables, worst relative difference %.2g", len(x), worst)
			})
		}
	}
}

// TestLossAsmSameBits: the evaluation of every loss gives the same bits
// with and without the assembly kernels.
func TestLossAsmSameBits(t *testing.T) {
	for _, l := range testLosses(t) {
		p := Problem{Counts: []int{300, 200, 100, 50, 40, 30, 20, 10, 5, 3, 2}, Dim: 12, LambdaW: 1e-3, LambdaH: 1e-3, Bias: true, LambdaB: 1e-2, ReLU: true, Loss: l}
		x := randomPoint(&p, 4)
		var fs [2]float64
		var gs [2][]float64
		for i, asm := range []bool{true, false} {
			e, err := NewEvaluator(&p)
			if err != nil {
				t.Fatal(err)
			}
			e.asm = asm
			gs[i] = make([]float64, len(x))
			if fs[i], err = e.FuncGrad(x, gs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if math.Float64bits(fs[0]) != math.Float64bits(fs[1]) {
			t.Errorf("%v: f asm %v, Go %v", l, fs[0], fs[1])
		}
		for j := range gs[0] {
			if math.Float64bits(gs[0][j]) != math.Float64bits(gs[1][j]) {
				t.Fatalf("%v: grad[%d] asm %v, Go %v", l, j, gs[0][j], gs[1][j])
			}
		}
	}
}

// fstarSmoothed is the optimal value of theory.md section 12a (label
// smoothing a, ReLU features, bias-free), in float64, as a reference for the
// tests (the solver never sees it):
//
//	u_k = a (K-1)/K + c beta_k,  M_k = log((K-1)(1/u_k - 1)) if that is > 1, else 0,
//	f* = sum_k (n_k/N) [ log(1 + (K-1) e^{-M_k}) + a M_k (K-1)/K + c beta_k M_k ],
//
// with c = sqrt((K-1)/K) and beta_k = N sqrt(lambda_W lambda_H / n_k).
func fstarSmoothed(p *Problem, a float64) float64 {
	k := float64(p.K())
	n := float64(p.N())
	c := math.Sqrt((k - 1) / k)
	f := 0.0
	for _, nk := range p.Counts {
		cb := c * n * math.Sqrt(p.LambdaW*p.LambdaH/float64(nk))
		u := a*(k-1)/k + cb
		m := 0.0
		if arg := (k - 1) * (1/u - 1); arg > 1 {
			m = math.Log(arg)
		}
		f += float64(nk) / n * (math.Log1p((k-1)*math.Exp(-m)) + a*m*(k-1)/k + cb*m)
	}
	return f
}

// fstarSquared is the optimal value of theory.md section 12b (squared
// error, bias-free, with or without ReLU), in float64:
//
//	z_k = max(0, 1 - N sqrt(lambda_W lambda_H / n_k)),
//	f* = sum_k [ n_k (1 - z_k)^2 / (2N) + sqrt(lambda_W lambda_H n_k) z_k ].
func fstarSquared(p *Problem) float64 {
	n := float64(p.N())
	s := math.Sqrt(p.LambdaW * p.LambdaH)
	f := 0.0
	for _, c := range p.Counts {
		nk := float64(c)
		z := math.Max(0, 1-n*s/math.Sqrt(nk))
		f += nk*(1-z)*(1-z)/(2*n) + s*math.Sqrt(nk)*z
	}
	return f
}

// TestFstarFormulasWorkedValues checks the reference formulas above against
// the worked values of theory.md section 12a and against section 2 at
// a = 0.
func TestFstarFormulasWorkedValues(t *testing.T) {
	p := &Problem{Counts: []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5}
	if got, want := fstarSmoothed(p, 0.1), 0.522813204815205076; math.Abs(got-want) > 1e-14 {
		t.Errorf("12a worked value: %.17g, theory.md %.17g", got, want)
	}
	q := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3}
	if got, want := fstarSmoothed(q, 0), fstar(q); math.Abs(got-want) > 1e-15 {
		t.Errorf("12a at a = 0: %.17g, section 2 %.17g", got, want)
	}
}

// TestSolveReachesLossOptimum: the default solve reaches the optimal value
// of theory.md 12a (label smoothing, ReLU) and 12b (squared error, ReLU and
// plain) on settings with and without collapsed classes.
func TestSolveReachesLossOptimum(t *testing.T) {
	type tc struct {
		name      string
		p         Problem
		loss      string
		collapsed int
		restarts  int // 0: the default
	}
	cases := []tc{
		{"a-ls0.05", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, "ls:0.05", 0, 0},
		{"a-ls0.3", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, "ls:0.3", 0, 0},
		// The worked value of theory.md 12a (one restart: label smoothing
		// needs about 3 times the iterations of cross-entropy here).
		{"paper-ls0.1", Problem{Counts: []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}, "ls:0.1", 0, 1},
		{"ls-collapsed", Problem{Counts: []int{200, 150, 100, 8, 4}, Dim: 5, LambdaW: 6e-3, LambdaH: 6e-3, ReLU: true}, "ls:0.1", 2, 0},
		{"mse-relu", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, "mse", 0, 0},
		{"mse-plain", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3}, "mse", 0, 0},
		{"mse-relu-collapsed", Problem{Counts: []int{200, 150, 100, 6, 3}, Dim: 5, LambdaW: 6e-3, LambdaH: 6e-3, ReLU: true}, "mse", 2, 0},
		{"mse-plain-collapsed", Problem{Counts: []int{200, 150, 100, 6, 3}, Dim: 5, LambdaW: 6e-3, LambdaH: 6e-3}, "mse", 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			l, err := setting.ParseLoss(c.loss)
			if err != nil {
				t.Fatal(err)
			}
			p.Loss = l
			var want float64
			collapsed := 0
			if l.Kind() == setting.SquaredError {
				want = fstarSquared(&p)
				for _, n := range p.Counts {
					if float64(n) <= float64(p.N()*p.N())*p.LambdaW*p.LambdaH {
						collapsed++
					}
				}
			} else {
				a := l.Smoothing().Float64()
				want = fstarSmoothed(&p, a)
				k := float64(p.K())
				for _, n := range p.Counts {
					u := a*(k-1)/k + math.Sqrt((k-1)/k)*float64(p.N())*math.Sqrt(p.LambdaW*p.LambdaH/float64(n))
					if (k-1)*(1/u-1) <= 1 {
						collapsed++
					}
				}
			}
			if collapsed != c.collapsed {
				t.Fatalf("test setup: %d collapsed classes, want %d", collapsed, c.collapsed)
			}
			res, err := Solve(&p, Settings{Seed: 42, Restarts: c.restarts})
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(res.Objective-want) / want; rel > 1e-10 {
				t.Errorf("objective %.17g, theory f* %.17g, relative difference %.3g", res.Objective, want, rel)
			}
			if !res.Converged {
				t.Errorf("residual %.3g, not converged", res.KKTResidual)
			}
			if z := res.Restarts[res.Best].ZeroMeanClasses; z != c.collapsed {
				t.Errorf("%d zero-mean classes, theory predicts %d collapsed", z, c.collapsed)
			}
			t.Logf("f %.17g, f* %.17g, %d evaluations", res.Objective, want, res.Stats.Evaluations)
		})
	}
}

// TestLossEscapes: for every loss, small starts stop at dead-class
// stationary points above f* without the escapes, and reach f* with them:
// the escape test (r_k > 1 with G the loss gradient's class sums) holds for
// every loss.
func TestLossEscapes(t *testing.T) {
	k24 := make([]int, 24)
	for k := range k24 {
		k24[k] = 120 - 4*k
	}
	for _, c := range []struct {
		loss  string
		p     Problem
		seeds uint64
	}{
		{"ls:0.1", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, 8},
		// The squared error traps fewer small starts: K = 24, d = K (and
		// its unused coordinates carry noise, see unusedMass).
		{"mse", Problem{Counts: k24, Dim: 24, LambdaW: 2e-3, LambdaH: 2e-3, ReLU: true}, 4},
	} {
		l, err := setting.ParseLoss(c.loss)
		if err != nil {
			t.Fatal(err)
		}
		p := &c.p
		p.Loss = l
		want := fstarSquared(p)
		if l.Kind() == setting.LabelSmoothing {
			want = fstarSmoothed(p, l.Smoothing().Float64())
		}
		stuck := 0
		for seed := uint64(0); seed < c.seeds; seed++ {
			noEsc, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01, MaxEscapes: -1})
			if err != nil {
				t.Fatal(err)
			}
			if r := noEsc.Restarts[0]; r.ZeroMeanClasses == 0 || r.Objective <= want*(1+1e-6) {
				continue
			}
			stuck++
			esc, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01})
			if err != nil {
				t.Fatal(err)
			}
			r := esc.Restarts[0]
			if r.Escapes == 0 || r.ZeroMeanClasses != 0 || math.Abs(r.Objective-want) > 1e-10*want || !r.Converged {
				t.Errorf("%v seed %d: with escapes f %.15g (f* %.15g), %+v", l, seed, r.Objective, want, r)
			}
		}
		if stuck == 0 {
			t.Errorf("%v: no small start stopped at a dead-class point; the test exercised nothing", l)
		}
		t.Logf("%v: %d of %d small starts stuck without escapes", l, stuck, c.seeds)
	}
}

// TestUnregularisedBias: with lambda_b = 0 the solve converges (grad_b = 0
// to the tolerance), and its optimum f0 is consistent with the regularised
// one f1 (lambda_b > 0): f0 <= f1 (a penalty only adds), and f1 <= the
// regularised objective at the unregularised minimizer, f0 +
// (lambda_b/2) ||b0||^2 (f1 is its minimum).
func TestUnregularisedBias(t *testing.T) {
	for _, l := range testLosses(t) {
		for _, relu := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/relu=%v", l, relu), func(t *testing.T) {
				p0 := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, Bias: true, ReLU: relu, Loss: l}
				p1 := *p0
				p1.LambdaB = 1e-2
				r0, err := Solve(p0, Settings{Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				r1, err := Solve(&p1, Settings{Seed: 5})
				if err != nil {
					t.Fatal(err)
				}
				if !r0.Converged || !r1.Converged {
					t.Fatalf("residuals %.3g, %.3g", r0.KKTResidual, r1.KKTResidual)
				}
				bb := 0.0
				for _, v := range r0.Point.B {
					bb += v * v
				}
				tol := 1e-12 * r1.Objective
				if r0.Objective > r1.Objective+tol {
					t.Errorf("unregularised optimum %.15g above the regularised %.15g", r0.Objective, r1.Objective)
				}
				if bound := r0.Objective + p1.LambdaB/2*bb; r1.Objective > bound+tol {
					t.Errorf("regularised optimum %.15g above its objective %.15g at the unregularised minimizer", r1.Objective, bound)
				}
				if f, err := p1.Objective(r0.Point); err != nil || math.Abs(f-(r0.Objective+p1.LambdaB/2*bb)) > 1e-13 {
					t.Errorf("objective with lambda_b at the unregularised point %v (%v), want %v", f, err, r0.Objective+p1.LambdaB/2*bb)
				}
				t.Logf("f0 %.15g, f1 %.15g, b0 %.6g", r0.Objective, r1.Objective, r0.Point.B)
			})
		}
	}
}

// TestPredictMemoryLosses: the prediction holds for every loss (within 3% of
// the bytes a solve allocates).
func TestPredictMemoryLosses(t *testing.T) {
	counts := make([]int, 10)
	for k := range counts {
		counts[k] = 300 + 60*k
	}
	for _, l := range testLosses(t) {
		p := &Problem{Counts: counts, Dim: 40, LambdaW: 1e-4, LambdaH: 1e-5, Bias: true, ReLU: true, Loss: l}
		set := Settings{Seed: 1, Restarts: 2, Workers: 2, MaxIter: 3}
		want := p.PredictMemory(set).Bytes
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := Solve(p, set)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		if ratio := float64(alloc) / float64(want); ratio < 0.97 || ratio > 1.03 {
			t.Errorf("%v: predicted %d bytes, allocated %d (ratio %.3f)", l, want, alloc, ratio)
		}
		runtime.KeepAlive(res)
	}
}
