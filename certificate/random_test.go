package certificate_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

// objective is f(W, H, b) of theory.md sections 1 and 12, written here
// independently of the package: loss by log-sum-exp (or squared error),
// plus the three penalties.
func objective(s setting.Setting, w, h *mat.Dense, b []float64, labels []int) float64 {
	k, d := w.Dims()
	_, n := h.Dims()
	a := s.Loss.Smoothing().Float64()
	loss := 0.0
	z := make([]float64, k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			z[j] = 0
			for r := 0; r < d; r++ {
				z[j] += w.At(j, r) * h.At(r, i)
			}
			if b != nil {
				z[j] += b[j]
			}
		}
		y := labels[i]
		if s.Loss.Kind() == setting.SquaredError {
			for j, v := range z {
				if j == y {
					v--
				}
				loss += v * v / 2
			}
			continue
		}
		m := math.Inf(-1)
		for _, v := range z {
			m = math.Max(m, v)
		}
		sum, mean := 0.0, 0.0
		for _, v := range z {
			sum += math.Exp(v - m)
			mean += v / float64(k)
		}
		lse := m + math.Log(sum)
		loss += lse - (1-a)*z[y] - a*mean
	}
	pen := s.LambdaW.Float64()/2*sq(w) + s.LambdaH.Float64()/2*sq(h)
	for _, v := range b {
		pen += s.LambdaB.Float64() / 2 * v * v
	}
	return loss/float64(n) + pen
}

func sq(a *mat.Dense) float64 {
	r, c := a.Dims()
	s := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			s += a.At(i, j) * a.At(i, j)
		}
	}
	return s
}

// randomPoint draws W, H (>= 0 with ReLU), b at random scales: entries
// normal with a log-uniform scale in [1e-3, 10] per matrix, so that the
// points range from near 0 to far out.
func randomPoint(rng *rand.Rand, s setting.Setting) (w, h *mat.Dense, b []float64) {
	k, d, n := s.K(), s.Dim, s.N()
	scale := func() float64 { return math.Pow(10, -3+4*rng.Float64()) }
	sw, sh := scale(), scale()
	w = mat.NewDense(k, d, nil)
	h = mat.NewDense(d, n, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			w.Set(i, j, sw*rng.NormFloat64())
		}
	}
	for i := 0; i < d; i++ {
		for j := 0; j < n; j++ {
			v := sh * rng.NormFloat64()
			if s.ReLU() {
				v = math.Abs(v)
			}
			h.Set(i, j, v)
		}
	}
	if s.Bias {
		sb := scale()
		b = make([]float64, k)
		for i := range b {
			b[i] = sb * rng.NormFloat64()
		}
	}
	return w, h, b
}

// perturbed returns the float64 prediction point plus noise of a random
// scale in [1e-8, 1e-1] (entries of H clipped at 0 with ReLU).
func perturbed(rng *rand.Rand, s setting.Setting, m *closedform.Minimizer) (w, h *mat.Dense) {
	w, h = mat.DenseCopyOf(m.WDense()), mat.DenseCopyOf(m.HDense())
	eps := math.Pow(10, -8+7*rng.Float64())
	for _, a := range []*mat.Dense{w, h} {
		r, c := a.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				v := a.At(i, j) + eps*rng.NormFloat64()
				if a == h && s.ReLU() {
					v = math.Max(v, 0)
				}
				a.Set(i, j, v)
			}
		}
	}
	return w, h
}

// The bound is valid: LB <= f(point) at 1000 seeded random points of every
// model (ReLU and plain features; no bias, a regularised and an
// unregularised bias; cross-entropy, label smoothing, squared error), and,
// where the global minimum f* is known, LB <= f* (also at 500 points near
// the minimizer for cross-entropy).
func TestValidAtRandomPoints(t *testing.T) {
	base := setting.Setting{Counts: []int{6, 4, 3, 2}, Dim: 5, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")}
	ls, _ := setting.Smoothed(dec("0.1"))
	for _, loss := range []setting.Loss{setting.CE(), ls, setting.MSE()} {
		for _, relu := range []bool{true, false} {
			for _, bias := range []string{"none", "1e-2", "0"} {
				s := base.Clone()
				s.Loss, s.NoReLU = loss, !relu
				if bias != "none" {
					s.Bias, s.LambdaB = true, dec(bias)
				}
				t.Run(fmt.Sprintf("%s/relu=%v/bias=%s", loss, relu, bias), func(t *testing.T) {
					validAtRandomPoints(t, s)
				})
			}
		}
	}
}

func validAtRandomPoints(t *testing.T, s setting.Setting) {
	rng := rand.New(rand.NewPCG(1, uint64(len(s.String()))))
	fstar, known := knownMinimum(s)
	var m *closedform.Minimizer
	if known && s.Loss.IsCE() && !s.Bias {
		p, err := closedform.Auto{}.Predict(s, 128)
		if err != nil {
			t.Fatal(err)
		}
		m, _ = p.Minimizer()
	}
	worst := math.Inf(-1)
	for i := 0; i < 1000; i++ {
		w, h, b := randomPoint(rng, s)
		labels := []int(nil)
		if m != nil && i%2 == 1 {
			w, h = perturbed(rng, s, m)
			labels = m.Labels
		}
		res, err := certificate.AtPoint(s, w, h, b, labels)
		if err != nil {
			t.Fatal(err)
		}
		if labels == nil {
			labels = classLabels(s.Counts)
		}
		f := objective(s, w, h, b, labels)
		if res.LowerBound > f+1e-12*math.Abs(f) {
			t.Fatalf("point %d: LB %.17g above f %.17g", i, res.LowerBound, f)
		}
		if math.Abs(res.Objective-f) > 1e-12*math.Max(1, math.Abs(f)) {
			t.Fatalf("point %d: the package's f %.17g, the test's %.17g", i, res.Objective, f)
		}
		if known && res.LowerBound > fstar*(1+1e-12) {
			t.Fatalf("point %d: LB %.17g above the global minimum %.17g", i, res.LowerBound, fstar)
		}
		worst = math.Max(worst, res.LowerBound-fstar)
	}
	if known {
		t.Logf("max LB - f* over the points: %.3g (f* %.15g)", worst, fstar)
	}
}

func classLabels(counts []int) []int {
	var l []int
	for c, n := range counts {
		for i := 0; i < n; i++ {
			l = append(l, c)
		}
	}
	return l
}

// knownMinimum returns the global minimum where a theorem gives it: the
// paper's f* (cross-entropy, ReLU, bias-free), theory.md section 12a
// (label smoothing, ReLU, bias-free) and 12b (squared error, bias-free, both
// models).
func knownMinimum(s setting.Setting) (float64, bool) {
	if s.Bias {
		return 0, false
	}
	var f *big.Float
	switch {
	case s.Loss.IsCE() && s.ReLU():
		p, err := closedform.Auto{}.Predict(s, 128)
		if err != nil {
			return 0, false
		}
		f = p.Objective
	case s.Loss.Kind() == setting.LabelSmoothing && s.ReLU():
		_, f = smoothedPrediction(s, s.Loss.Smoothing().Rat(), 128)
	case s.Loss.Kind() == setting.SquaredError:
		_, f = msePrediction(s, 128)
	default:
		return 0, false
	}
	v, _ := f.Float64()
	return v, true
}

// bigPoint converts a float64 point exactly, one group per sample.
func bigPoint(w, h *mat.Dense, b []float64) (wb, cols [][]*big.Float, bb []*big.Float) {
	k, d := w.Dims()
	_, n := h.Dims()
	wb = make([][]*big.Float, k)
	for j := range wb {
		wb[j] = make([]*big.Float, d)
		for i := range wb[j] {
			wb[j][i] = new(big.Float).SetFloat64(w.At(j, i))
		}
	}
	cols = make([][]*big.Float, n)
	for c := range cols {
		cols[c] = make([]*big.Float, d)
		for i := range cols[c] {
			cols[c][i] = new(big.Float).SetFloat64(h.At(i, c))
		}
	}
	for _, v := range b {
		bb = append(bb, new(big.Float).SetFloat64(v))
	}
	return wb, cols, bb
}

// The big-float bound is valid at random points of every model too, and
// agrees with the float64 bound (the same dual point, in two arithmetics).
func TestBigValidAtRandomPoints(t *testing.T) {
	base := setting.Setting{Counts: []int{3, 2, 2}, Dim: 3, LambdaW: dec("1e-2"), LambdaH: dec("1e-2")}
	ls, _ := setting.Smoothed(dec("0.2"))
	rng := rand.New(rand.NewPCG(2, 3))
	for _, loss := range []setting.Loss{setting.CE(), ls, setting.MSE()} {
		for _, relu := range []bool{true, false} {
			for _, bias := range []string{"none", "1e-2", "0"} {
				s := base.Clone()
				s.Loss, s.NoReLU = loss, !relu
				if bias != "none" {
					s.Bias, s.LambdaB = true, dec(bias)
				}
				labels := classLabels(s.Counts)
				for i := 0; i < 20; i++ {
					w, h, b := randomPoint(rng, s)
					wb, cols, bb := bigPoint(w, h, b)
					res, err := certificate.BigAtPoint(s, wb, cols, labels, nil, bb, 128)
					if err != nil {
						t.Fatalf("%v: %v", s, err)
					}
					r64, err := certificate.AtPoint(s, w, h, b, labels)
					if err != nil {
						t.Fatal(err)
					}
					lb, _ := res.LowerBound.Float64()
					f := objective(s, w, h, b, labels)
					if lb > f+1e-12*math.Abs(f) {
						t.Errorf("%v point %d: LB %.17g above f %.17g", s, i, lb, f)
					}
					if math.Abs(lb-r64.LowerBound) > 1e-9*(1+math.Abs(lb)) {
						t.Errorf("%v point %d: big LB %.17g, float64 LB %.17g", s, i, lb, r64.LowerBound)
					}
				}
			}
		}
	}
}
