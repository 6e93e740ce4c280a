package derivation

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// positivePoint is a random float64 point with every feature entry positive
// (so every entry of H is free) and one column per sample.
func positivePoint(rng *rand.Rand, s setting.Setting) *floatPoint {
	k, d, n := s.K(), s.Dim, s.N()
	fp := &floatPoint{W: mat.NewDense(k, d, nil), Columns: mat.NewDense(d, n, nil)}
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			fp.W.Set(j, i, rng.NormFloat64())
		}
	}
	col := 0
	for c, nc := range s.Counts {
		for r := 0; r < nc; r++ {
			for i := 0; i < d; i++ {
				fp.Columns.Set(i, col, 0.1+rng.Float64())
			}
			fp.Labels = append(fp.Labels, c)
			fp.Mult = append(fp.Mult, 1)
			col++
		}
	}
	if s.Bias {
		fp.B = make([]float64, k)
		for j := range fp.B {
			fp.B[j] = rng.NormFloat64()
		}
	}
	return fp
}

// gradient64 evaluates the gradient with Evaluate (exact arithmetic at 128
// bits) and lays it out like the reduced Hessian: W row-major, b, then the
// features of each column.
func gradient64(t *testing.T, s setting.Setting, fp *floatPoint) []float64 {
	t.Helper()
	pt := &Point{W: make([][]*big.Float, s.K()), Labels: fp.Labels, Mult: fp.Mult}
	for j := range pt.W {
		for i := 0; i < s.Dim; i++ {
			pt.W[j] = append(pt.W[j], big.NewFloat(fp.W.At(j, i)))
		}
	}
	if fp.B != nil {
		for _, v := range fp.B {
			pt.B = append(pt.B, big.NewFloat(v))
		}
	}
	_, ng := fp.Columns.Dims()
	for g := 0; g < ng; g++ {
		var col []*big.Float
		for i := 0; i < s.Dim; i++ {
			col = append(col, big.NewFloat(fp.Columns.At(i, g)))
		}
		pt.Columns = append(pt.Columns, col)
	}
	r, err := Evaluate(s, pt, 128)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for j := range r.GradW {
		for _, v := range r.GradW[j] {
			f, _ := v.Float64()
			out = append(out, f)
		}
	}
	for _, v := range r.GradB {
		f, _ := v.Float64()
		out = append(out, f)
	}
	for _, col := range r.GradH {
		for _, v := range col {
			f, _ := v.Float64()
			out = append(out, f)
		}
	}
	return out
}

// TestHessianFiniteDifference compares the assembled Hessian with central
// differences of the exact gradient, for every loss, without, with and with
// an unregularised bias.
func TestHessianFiniteDifference(t *testing.T) {
	for _, tc := range derivativeCases("ls:0.3") {
		t.Run(tc.name, func(t *testing.T) {
			hessianFiniteDifference(t, withLossAndBias(mkSetting([]int{2, 1, 2}, 2, "0.3", "0.2"), tc.loss, tc.lb))
		})
	}
}

func hessianFiniteDifference(t *testing.T, s setting.Setting) {
	rng := rand.New(rand.NewPCG(5, 6))
	fp := positivePoint(rng, s)
	h, err := newHessian(s, fp, HessianOptions{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.prepare(); err != nil {
		t.Fatal(err)
	}
	a, within, err := h.matrices()
	if err != nil {
		t.Fatal(err)
	}
	if len(within) != 0 {
		t.Fatalf("%d within-group blocks for single samples", len(within))
	}
	dim := a.SymmetricDim()
	// Perturb one variable at a time.
	kd := s.K() * s.Dim
	nb := len(fp.B)
	set := func(v int, delta float64) {
		switch {
		case v < kd:
			fp.W.Set(v/s.Dim, v%s.Dim, fp.W.At(v/s.Dim, v%s.Dim)+delta)
		case v < kd+nb:
			fp.B[v-kd] += delta
		default:
			q := v - kd - nb
			fp.Columns.Set(q%s.Dim, q/s.Dim, fp.Columns.At(q%s.Dim, q/s.Dim)+delta)
		}
	}
	const step = 1e-6
	worst := 0.0
	for v := 0; v < dim; v++ {
		set(v, step)
		gp := gradient64(t, s, fp)
		set(v, -2*step)
		gm := gradient64(t, s, fp)
		set(v, step)
		if len(gp) != dim {
			t.Fatalf("gradient has %d entries, Hessian dimension %d", len(gp), dim)
		}
		for u := 0; u < dim; u++ {
			fd := (gp[u] - gm[u]) / (2 * step)
			worst = math.Max(worst, math.Abs(fd-a.At(u, v)))
		}
	}
	if worst > 1e-8 {
		t.Errorf("Hessian differs from finite differences by %g", worst)
	}
}

// TestHessianGroupingIsExact: a group of m identical samples gives the same
// full spectrum as m separate columns.
func TestHessianGroupingIsExact(t *testing.T) {
	s := mkSetting([]int{3, 2}, 2, "0.1", "0.2")
	rng := rand.New(rand.NewPCG(7, 8))
	sep := positivePoint(rng, s)
	// Make the three samples of class 1 identical, and the two of class 2.
	for i := 0; i < s.Dim; i++ {
		sep.Columns.Set(i, 1, sep.Columns.At(i, 0))
		sep.Columns.Set(i, 2, sep.Columns.At(i, 0))
		sep.Columns.Set(i, 4, sep.Columns.At(i, 3))
	}
	grouped := &floatPoint{W: sep.W, Columns: mat.NewDense(s.Dim, 2, nil), Labels: []int{0, 1}, Mult: []int{3, 2}}
	grouped.Columns.SetCol(0, mat.Col(nil, 0, sep.Columns))
	grouped.Columns.SetCol(1, mat.Col(nil, 3, sep.Columns))
	opt := HessianOptions{Smallest: 1000}
	a, err := hessianFloat(s, sep, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hessianFloat(s, grouped, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Smallest) != len(b.Smallest) {
		t.Fatalf("%d eigenvalues separate, %d grouped", len(a.Smallest), len(b.Smallest))
	}
	if b.ReducedDim >= a.ReducedDim {
		t.Errorf("grouping did not reduce the dimension: %d vs %d", b.ReducedDim, a.ReducedDim)
	}
	for i := range a.Smallest {
		if math.Abs(a.Smallest[i]-b.Smallest[i]) > 1e-12*math.Max(1, math.Abs(a.Largest)) {
			t.Errorf("eigenvalue %d: separate %g, grouped %g", i, a.Smallest[i], b.Smallest[i])
		}
	}
}

// TestHessianAtPrediction: the predicted minimizer is a local minimum up to
// the symmetries. With disjoint one-coordinate supports no rotation keeps
// the fixed zeros, so no zero eigenvalue is expected or found; every unused
// coordinate carries one flat ray per alive class (rotating that class into
// it); with every class collapsed the cone is strictly positive.
func TestHessianAtPrediction(t *testing.T) {
	for _, tc := range kktSettings {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(tc.s, 128)
			if err != nil {
				t.Fatal(err)
			}
			r, err := HessianAtPrediction(p, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("dim %d: smallest %.6g, smallest nonzero %.6g, largest %.6g, zero %d/%d, cone min %.3g flat %d over %d coordinates",
				r.ReducedDim, r.Smallest[0], r.SmallestNonzero, r.Largest, r.NearZero, r.ExpectedZero, r.Cone.Min, r.Cone.Flat, r.Cone.Coordinates)
			if r.Verdict != LocalMinimum {
				t.Fatalf("verdict %s: %v", r.Verdict, r.Explanation)
			}
			if r.NearZero != 0 || r.ExpectedZero != 0 || r.Negative != 0 {
				t.Errorf("near-zero %d, expected %d, negative %d; want 0, 0, 0", r.NearZero, r.ExpectedZero, r.Negative)
			}
			if r.GradientNorm > 1e-12 {
				t.Errorf("first-order residual %g at the float64 rounding", r.GradientNorm)
			}
			alive := p.AliveCount()
			if want := tc.s.Dim - alive; r.Cone.Coordinates != want {
				t.Errorf("%d unused coordinates, want d - alive = %d", r.Cone.Coordinates, want)
			}
			if r.Cone.Coordinates > 0 && r.Cone.Flat != alive {
				t.Errorf("%d flat rays per unused coordinate, want one per alive class (%d)", r.Cone.Flat, alive)
			}
			if alive == 0 && !(r.Cone.Min > 0) {
				t.Errorf("global collapse: cone minimum %g, want > 0", r.Cone.Min)
			}
		})
	}
}

// TestHessianRotatedClass: spreading a class over two coordinates (still a
// global minimizer) creates exactly one rotation symmetry, found as one
// near-zero eigenvalue.
func TestHessianRotatedClass(t *testing.T) {
	s := mkSetting([]int{6, 4, 2}, 4, "1e-2", "2e-2")
	p, err := closedform.Auto{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	fp := floatPointOf(MinimizerPoint(m))
	if p.AliveCount() != 3 {
		t.Fatalf("want 3 alive classes, have %d", p.AliveCount())
	}
	// Rotate coordinate 0 (class 1) towards the unused coordinate 3.
	th := 0.3
	c, sn := math.Cos(th), math.Sin(th)
	rot := func(x, y float64) (float64, float64) { return c*x - sn*y, sn*x + c*y }
	for j := 0; j < s.K(); j++ {
		a, b := rot(fp.W.At(j, 0), fp.W.At(j, 3))
		fp.W.Set(j, 0, a)
		fp.W.Set(j, 3, b)
	}
	_, ng := fp.Columns.Dims()
	for g := 0; g < ng; g++ {
		a, b := rot(fp.Columns.At(0, g), fp.Columns.At(3, g))
		fp.Columns.Set(0, g, a)
		fp.Columns.Set(3, g, b)
	}
	r, err := hessianFloat(s, fp, HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smallest %v, zero %d/%d", r.Smallest[:3], r.NearZero, r.ExpectedZero)
	if r.ExpectedZero != 1 || r.NearZero != 1 {
		t.Errorf("expected %d zero eigenvalues, found %d; want 1 and 1", r.ExpectedZero, r.NearZero)
	}
	if r.Verdict != LocalMinimum {
		t.Errorf("verdict %s: %v", r.Verdict, r.Explanation)
	}
}

// TestHessianOrigin: W = 0, H = 0 is stationary; it is a local minimum iff
// every class collapses. The cone curvature of class k there is
// lambda_H - n_k (K-1) / (K N^2 lambda_W), negative iff n_k exceeds the
// collapse threshold K N^2 lambda_W lambda_H / (K-1).
func TestHessianOrigin(t *testing.T) {
	for _, tc := range []struct {
		s       setting.Setting
		verdict Verdict
	}{
		{mkSetting([]int{40, 20, 10, 5}, 3, "5e-3", "5e-3"), Saddle},
		{mkSetting([]int{2, 2}, 2, "1", "1"), LocalMinimum},
		{mkSetting([]int{100, 50, 10, 2}, 2, "1e-2", "1e-2"), Saddle},
	} {
		t.Run(tc.s.String(), func(t *testing.T) {
			k, d := tc.s.K(), tc.s.Dim
			fp := &floatPoint{W: mat.NewDense(k, d, nil), Columns: mat.NewDense(d, k, nil), Mult: tc.s.Counts}
			for c := 0; c < k; c++ {
				fp.Labels = append(fp.Labels, c)
			}
			r, err := hessianFloat(tc.s, fp, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := float64(tc.s.N())
			want := math.Inf(1)
			for _, nk := range tc.s.Counts {
				v := tc.s.LambdaH.Float64() - float64(nk)*float64(k-1)/(float64(k)*n*n*tc.s.LambdaW.Float64())
				want = math.Min(want, v)
			}
			if math.Abs(r.Cone.Min-want) > 1e-12 {
				t.Errorf("cone minimum %g, formula %g", r.Cone.Min, want)
			}
			if r.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s: %v", r.Verdict, tc.verdict, r.Explanation)
			}
		})
	}
}

// TestHessianAtBiasPrediction: where the orthogonal bias structure violates
// dual feasibility the verdict says so; where it holds, it is a local
// minimum.
func TestHessianAtBiasPrediction(t *testing.T) {
	for _, tc := range []struct {
		s       setting.Setting
		verdict Verdict
	}{
		{withBias(mkSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3"), "5e-3"), LocalMinimum},
		{withBias(mkSetting([]int{100, 50, 10, 2}, 6, "1e-2", "1e-2"), "1e-2"), NotKKT},
	} {
		t.Run(tc.s.String(), func(t *testing.T) {
			p, err := closedform.BiasOrthogonal{}.Predict(tc.s, 128)
			if err != nil {
				t.Fatal(err)
			}
			r, err := HessianAtPrediction(p, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("smallest %.6g, largest %.6g, negative slack entries %d, cone min %.3g", r.Smallest[0], r.Largest, r.NegativeSlackH, r.Cone.Min)
			if r.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s: %v", r.Verdict, tc.verdict, r.Explanation)
			}
		})
	}
}

func TestHessianRejects(t *testing.T) {
	s := mkSetting([]int{2, 1}, 2, "1", "1")
	rng := rand.New(rand.NewPCG(9, 10))
	tests := []struct {
		name   string
		mutate func(*floatPoint)
		opt    HessianOptions
	}{
		{"count", func(p *floatPoint) { p.Mult[0] = 5 }, HessianOptions{}},
		{"nan", func(p *floatPoint) { p.W.Set(0, 0, math.NaN()) }, HessianOptions{}},
		{"bias", func(p *floatPoint) { p.B = []float64{0, 0} }, HessianOptions{}},
		{"too large", func(p *floatPoint) {}, HessianOptions{MaxDim: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := positivePoint(rng, s)
			tc.mutate(fp)
			if _, err := hessianFloat(s, fp, tc.opt); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestHessianAuthorsCodeNotStationary: the authors' margin with
// lambda_W != 4 lambda_H is not a stationary point, and the second-order
// test must not call it a local minimum.
func TestHessianAuthorsCodeNotStationary(t *testing.T) {
	s := mkSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3")
	p, err := closedform.AuthorsCode{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	r, err := HessianAtPrediction(p, HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != NotKKT {
		t.Errorf("verdict %s (gradient %g, scale %g), want not-kkt", r.Verdict, r.GradientNorm, r.GradientScale)
	}
}
