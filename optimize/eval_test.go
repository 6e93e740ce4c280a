package optimize

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// randomPoint returns a random point of p with entries of order 1 (H >= 0
// for ReLU) and a random bias.
func randomPoint(p *Problem, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, p.NumVars())
	for i := range x {
		x[i] = r.NormFloat64()
	}
	project(p, x)
	return x
}

func TestGradientFiniteDifferences(t *testing.T) {
	cases := []struct {
		name string
		p    Problem
	}{
		{"relu", Problem{Counts: []int{3, 2, 4}, Dim: 5, LambdaW: 3e-2, LambdaH: 7e-3, ReLU: true}},
		{"relu-bias", Problem{Counts: []int{3, 2, 4}, Dim: 5, LambdaW: 3e-2, LambdaH: 7e-3, Bias: true, LambdaB: 5e-2, ReLU: true}},
		{"plain", Problem{Counts: []int{1, 5}, Dim: 3, LambdaW: 1e-3, LambdaH: 2e-3}},
		{"plain-bias", Problem{Counts: []int{2, 2, 2, 1}, Dim: 2, LambdaW: 1e-1, LambdaH: 1e-4, Bias: true, LambdaB: 1e-2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &c.p
			e, err := NewEvaluator(p)
			if err != nil {
				t.Fatal(err)
			}
			x := randomPoint(p, 1)
			// f is smooth everywhere (the bound is not used here), so
			// central differences apply at every entry, also at H = 0.
			g := make([]float64, len(x))
			if _, err := e.FuncGrad(x, g); err != nil {
				t.Fatal(err)
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
				err := math.Abs(fd-g[i]) / math.Max(1e-3, math.Abs(g[i]))
				worst = math.Max(worst, err)
				if err > 1e-6 {
					t.Errorf("variable %d: gradient %.12g, central difference %.12g", i, g[i], fd)
				}
			}
			t.Logf("%d variables, worst relative difference %.2g", len(x), worst)
		})
	}
}

// naiveObjective evaluates f of theory.md section 1 directly from the
// matrices, with a plain log-sum-exp, as an independent reference.
func naiveObjective(p *Problem, pt Point) float64 {
	n := p.N()
	z := mat.NewDense(p.K(), n, nil)
	z.Mul(pt.W, pt.H)
	loss := 0.0
	col := 0
	for k, c := range p.Counts {
		for i := 0; i < c; i++ {
			s := 0.0
			for j := 0; j < p.K(); j++ {
				v := z.At(j, col)
				if pt.B != nil {
					v += pt.B[j]
				}
				s += math.Exp(v)
			}
			zy := z.At(k, col)
			if pt.B != nil {
				zy += pt.B[k]
			}
			loss += math.Log(s) - zy
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

func TestObjectiveMatchesDefinition(t *testing.T) {
	cases := []Problem{
		{Counts: []int{4, 1, 2}, Dim: 3, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true},
		{Counts: []int{4, 1, 2}, Dim: 6, LambdaW: 1e-4, LambdaH: 1e-5, Bias: true, LambdaB: 1e-3},
	}
	for i := range cases {
		p := &cases[i]
		x := randomPoint(p, uint64(i+3))
		pt := p.PointOf(x)
		f, err := p.Objective(pt)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveObjective(p, pt)
		if math.Abs(f-want) > 1e-14*math.Abs(want) {
			t.Errorf("case %d: objective %.17g, direct evaluation %.17g", i, f, want)
		}
		// Round trip of the layout.
		x2, err := p.Vector(pt)
		if err != nil {
			t.Fatal(err)
		}
		for j := range x {
			if x[j] != x2[j] {
				t.Fatalf("case %d: layout round trip differs at %d", i, j)
			}
		}
	}
}

func TestKKTResidual(t *testing.T) {
	p := &Problem{Counts: []int{2, 1}, Dim: 2, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}
	x := randomPoint(p, 5)
	oh := p.offH()
	// Make H entry 0 sit at the bound, entry 1 be interior.
	x[oh] = 0
	x[oh+1] = 0.7
	e, _ := NewEvaluator(p)
	g := make([]float64, len(x))
	if _, err := e.FuncGrad(x, g); err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i := 0; i < oh; i++ {
		want = math.Max(want, math.Abs(g[i]))
	}
	for i := oh; i < len(x); i++ {
		want = math.Max(want, math.Abs(math.Min(x[i], g[i])))
	}
	if got := p.Residual(x, g); got != want {
		t.Errorf("Residual = %v, want %v", got, want)
	}
	// At the bound with a positive gradient the entry is stationary: the
	// H-part of the residual ignores it.
	if g[oh] > 0 && math.Abs(math.Min(x[oh], g[oh])) != 0 {
		t.Errorf("bound entry with positive gradient counted")
	}
	// The exported point version agrees, and rejects infeasible points.
	_, res, err := p.KKTResidual(p.PointOf(x))
	if err != nil || res != want {
		t.Errorf("KKTResidual = %v, %v; want %v", res, err, want)
	}
	x[oh+1] = -1
	if _, _, err := p.KKTResidual(p.PointOf(x)); err == nil {
		t.Error("negative H accepted by KKTResidual")
	}
	// Plain UFM: the residual is the full gradient norm.
	q := *p
	q.ReLU = false
	if _, err := e.FuncGrad(x, g); err != nil {
		t.Fatal(err)
	}
	if got, want := q.Residual(x, g), absMax(g); got != want {
		t.Errorf("plain UFM residual %v, want %v", got, want)
	}
}

func TestNonFiniteIsError(t *testing.T) {
	p := &Problem{Counts: []int{2, 2}, Dim: 2, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}
	e, _ := NewEvaluator(p)
	for _, bad := range []float64{math.NaN(), math.Inf(1), 1e300} {
		x := randomPoint(p, 2)
		x[0] = bad
		g := make([]float64, len(x))
		if _, err := e.FuncGrad(x, g); !errors.Is(err, setting.ErrNonFinite) {
			t.Errorf("x[0] = %v: error %v, want ErrNonFinite", bad, err)
		}
		if _, err := (&LBFGSB{}).Minimize(e, x, Limits{Tol: 1e-10, MaxIter: 10}); !errors.Is(err, setting.ErrNonFinite) {
			t.Errorf("x[0] = %v: Minimize error %v, want ErrNonFinite", bad, err)
		}
	}
}

func TestNewProblem(t *testing.T) {
	s := setting.Setting{Counts: []int{3, 1}, Dim: 2, LambdaW: setting.MustDecimal("1e-4"), LambdaH: setting.MustDecimal("2e-4"),
		Bias: true, LambdaB: setting.MustDecimal("0.5")}
	p, err := NewProblem(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.K() != 2 || p.N() != 4 || p.Dim != 2 || p.LambdaW != 1e-4 || p.LambdaH != 2e-4 || p.LambdaB != 0.5 || !p.Bias || !p.ReLU {
		t.Errorf("NewProblem = %+v", p)
	}
	if p.NumVars() != 2*2+4*2+2 {
		t.Errorf("NumVars = %d", p.NumVars())
	}
	s.Counts = []int{3}
	var ie *setting.InputError
	if _, err := NewProblem(s); !errors.As(err, &ie) || ie.Field != setting.FieldCounts {
		t.Errorf("one class: error %v, want an InputError on Counts", err)
	}
}

func TestEvaluatorThreadsSameBits(t *testing.T) {
	// Several evaluation blocks: N = 7000, several blocks and groups.
	p := &Problem{Counts: []int{3000, 2500, 1500}, Dim: 6, LambdaW: 1e-4, LambdaH: 1e-5, Bias: true, LambdaB: 1e-3, ReLU: true}
	x := randomPoint(p, 9)
	var ref []float64
	var fref float64
	for _, threads := range []int{1, 2, 3, 8} {
		e, err := NewEvaluator(p)
		if err != nil {
			t.Fatal(err)
		}
		e.SetThreads(threads)
		g := make([]float64, len(x))
		f, err := e.FuncGrad(x, g)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, fref = g, f
			continue
		}
		if math.Float64bits(f) != math.Float64bits(fref) {
			t.Errorf("threads %d: f = %v, one thread %v", threads, f, fref)
		}
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(ref[i]) {
				t.Fatalf("threads %d: grad[%d] = %v, one thread %v", threads, i, g[i], ref[i])
			}
		}
	}
}
