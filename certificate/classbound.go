package certificate

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// descentTol is the relative margin of the float64 descent test,
// c^T Q c > (1 + descentTol) lambda_W lambda_H: a float64 solver point
// stopped at a KKT residual of 1e-10 has r_k - 1 of order 1e-9 from the
// residual alone (theory.md section 11's worked values: up to 6e-9).
const descentTol = 1e-6

// model holds what the bound needs from a setting, in float64.
type model struct {
	counts []int
	nTot   float64
	lw, lh float64
	s2     float64 // lambda_W lambda_H
	lb     float64 // lambda_b of a regularised bias; 0 otherwise
	relu   bool
	unreg  bool
}

func newModel(s setting.Setting) model {
	m := model{counts: s.Counts, nTot: float64(s.N()), lw: s.LambdaW.Float64(), lh: s.LambdaH.Float64(),
		relu: s.ReLU(), unreg: s.Unregularised()}
	m.s2 = m.lw * m.lh
	if s.Bias && !s.Unregularised() {
		m.lb = s.LambdaB.Float64()
	}
	return m
}

// classBound computes the float64 certificate from the class directions g
// (g[k] the class mean of -grad l over class k; changed in place when the
// bias is unregularised) into res: LowerBound, Alpha, AlphaMax,
// DualNormRatio, R, Descent and Stats.Iterations.
func classBound(m model, conj Conjugate, g [][]float64, res *Result) error {
	if m.unreg {
		if err := conj.Centre(g, m.counts); err != nil {
			return err
		}
	}
	for _, row := range g {
		if !finite(row) {
			return fmt.Errorf("certificate: class directions: %w", setting.ErrNonFinite)
		}
	}
	a := classMatrix(g, m.counts, m.nTot)
	q := mat.NewSymDense(len(g), nil)
	q.SymOuterK(1, a.T())
	res.R = make([]float64, len(g))
	for k := range res.R {
		res.R[k] = q.At(k, k) / m.s2
	}
	omega2, v, err := topEigen(q, m.relu)
	if err != nil {
		return err
	}
	res.DualNormRatio = math.Sqrt(omega2 / m.s2)
	hi := math.Inf(1)
	if omega2 > 0 {
		hi = math.Sqrt(m.s2 / omega2)
	}
	for k := range g {
		hi = math.Min(hi, conj.AlphaMax(g[k], k))
	}
	lb := lbFunc(m, conj, g, biasCoefficient(g, m))
	alpha, it := maximise(lb, hi)
	res.Alpha, res.AlphaMax, res.Stats.Iterations = alpha, hi, it
	res.LowerBound, _, _ = lb(alpha)
	if math.IsInf(hi, 1) {
		res.AlphaMax = math.MaxFloat64
	}
	if !finite([]float64{res.LowerBound, res.DualNormRatio}) {
		return fmt.Errorf("certificate: lower bound: %w", setting.ErrNonFinite)
	}
	res.PerronRatio = perronRatio(q, v, m.s2)
	res.Descent = descent(q, a, v, m, descentTol)
	return nil
}

// lbFunc returns LB(alpha) = sum_k (n_k/N) V_k(alpha) - alpha^2 bias and
// its first two derivatives.
func lbFunc(m model, conj Conjugate, g [][]float64, bias float64) func(float64) (v, d1, d2 float64) {
	return func(alpha float64) (v, d1, d2 float64) {
		for k, row := range g {
			vk, e1, e2 := conj.Value(row, k, alpha)
			w := float64(m.counts[k]) / m.nTot
			v, d1, d2 = v+w*vk, d1+w*e1, d2+w*e2
		}
		return v - alpha*alpha*bias, d1 - 2*alpha*bias, d2 - 2*bias
	}
}

// classMatrix returns A (K x K): column k is sqrt(n_k) g_k / N, the class
// dual point Yhat_k = g_k / N weighted by sqrt(n_k) (theory.md section 11).
func classMatrix(g [][]float64, counts []int, nTot float64) *mat.Dense {
	k := len(g)
	a := mat.NewDense(k, k, nil)
	for c, row := range g {
		w := math.Sqrt(float64(counts[c])) / nTot
		for j, v := range row {
			a.Set(j, c, w*v)
		}
	}
	return a
}

// biasCoefficient returns ||sum_k n_k g_k||^2 / (2 lambda_b N^2) for a
// regularised bias (the bias term of LB is alpha^2 times it), else 0.
func biasCoefficient(g [][]float64, m model) float64 {
	if m.lb == 0 {
		return 0
	}
	ss := 0.0
	for j := range g {
		s := 0.0
		for c, row := range g {
			s += float64(m.counts[c]) * row[j]
		}
		ss += s * s
	}
	return ss / (2 * m.lb * m.nTot * m.nTot)
}

// topEigen returns omega^2, the largest eigenvalue of Q+ (Q with its
// negative entries set to 0: its spectral radius, an upper bound of the
// squared dual gauge over c >= 0) with ReLU features, of Q otherwise, and
// its eigenvector (made non-negative for Q+, where the Perron vector is).
func topEigen(q *mat.SymDense, relu bool) (float64, []float64, error) {
	k := q.SymmetricDim()
	m := q
	if relu {
		m = mat.NewSymDense(k, nil)
		for i := 0; i < k; i++ {
			for j := i; j < k; j++ {
				m.SetSym(i, j, math.Max(q.At(i, j), 0))
			}
		}
	}
	var es mat.EigenSym
	if !es.Factorize(m, true) {
		return 0, nil, fmt.Errorf("certificate: the symmetric eigensolver did not converge on Q (K = %d)", k)
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	v := mat.Col(nil, k-1, &vecs)
	if relu {
		for i := range v {
			v[i] = math.Abs(v[i])
		}
	}
	return math.Max(vals[k-1], 0), v, nil
}

// maximise returns the maximiser of a concave function on [0, hi] from its
// value and first two derivatives (hi may be +Inf: the interval is then
// doubled from 1 while the slope is positive, up to 2^60), and the number
// of evaluations: hi itself when the slope there is >= 0, else a Newton
// iteration safeguarded by bisection on the sign of the slope.
func maximise(f func(float64) (v, d1, d2 float64), hi float64) (float64, int) {
	it := 0
	eval := func(x float64) (float64, float64) {
		it++
		_, d1, d2 := f(x)
		return d1, d2
	}
	if hi <= 0 {
		return 0, it
	}
	if math.IsInf(hi, 1) {
		hi = 1
		for d, _ := eval(hi); d > 0 && hi < 0x1p60; d, _ = eval(hi) {
			hi *= 2
		}
	}
	if d, _ := eval(hi); d >= 0 {
		return hi, it
	}
	lo, x := 0.0, hi/2
	for it < 200 {
		d1, d2 := eval(x)
		switch {
		case d1 > 0:
			lo = x
		case d1 == 0:
			return x, it
		default: // negative, or NaN (treated as past the maximum)
			hi = x
		}
		nx := x - d1/d2
		if !(nx > lo && nx < hi) {
			nx = lo + (hi-lo)/2
		}
		if math.Abs(nx-x) <= 1e-16*x || hi-lo <= 1e-16*hi {
			return nx, it
		}
		x = nx
	}
	return x, it
}

// perronRatio returns c^T Q c / s2 for c = v / ||v|| (0 when v = 0).
func perronRatio(q *mat.SymDense, v []float64, s2 float64) float64 {
	k := q.SymmetricDim()
	norm := math.Sqrt(dotf(v, v))
	if norm == 0 {
		return 0
	}
	c := mat.NewVecDense(k, nil)
	c.ScaleVec(1/norm, mat.NewVecDense(k, v))
	return mat.Inner(c, q, c) / s2
}

// descent returns the strongest of the candidate directions c (the Perron
// or top eigenvector v, and every unit vector e_k) with c^T Q c >
// (1 + tol) lambda_W lambda_H, or nil. A unit vector whose ratio equals the
// Perron vector's to within tieRel (the Perron vector is then e_k up to
// rounding) is preferred, so that the choice does not depend on the last
// bits of the two computations.
func descent(q *mat.SymDense, a *mat.Dense, v []float64, m model, tol float64) *Descent {
	const tieRel = 1e-12
	k := q.SymmetricDim()
	c := unit(v)
	best, perron := -1.0, true
	if c != nil {
		best = mat.Inner(mat.NewVecDense(k, c), q, mat.NewVecDense(k, c)) / m.s2
	}
	for i := 0; i < k; i++ {
		r := q.At(i, i) / m.s2
		if r > best || (perron && r >= best*(1-tieRel)) {
			best, perron = r, false
			c = make([]float64, k)
			c[i] = 1
		}
	}
	if !(best > 1+tol) {
		return nil
	}
	return buildDescent(c, best, perron, a, m)
}

// unit returns v / ||v||, nil for v = 0.
func unit(v []float64) []float64 {
	norm := math.Sqrt(dotf(v, v))
	if norm == 0 {
		return nil
	}
	c := make([]float64, len(v))
	for i, x := range v {
		c[i] = x / norm
	}
	return c
}

// buildDescent fills a Descent for the unit vector c with c^T Q c / s^2 =
// ratio (A is scale-free here: U is normalised).
func buildDescent(c []float64, ratio float64, perron bool, a *mat.Dense, m model) *Descent {
	k := len(c)
	d := &Descent{C: c, Ratio: ratio, Perron: perron, StepRatio: math.Sqrt(m.lh / m.lw),
		U: make([]float64, k), V: make([]float64, k)}
	var u mat.VecDense
	u.MulVec(a, mat.NewVecDense(k, c))
	un := mat.Norm(&u, 2)
	cmax := 0.0
	for i := range c {
		if un > 0 {
			d.U[i] = u.AtVec(i) / un
		}
		d.V[i] = c[i] / math.Sqrt(float64(m.counts[i]))
		cmax = math.Max(cmax, math.Abs(c[i]))
	}
	for i, ci := range c {
		if math.Abs(ci) > 1e-9*cmax && (ci > 0 || !m.relu) {
			d.Classes = append(d.Classes, i)
		}
	}
	sort.Ints(d.Classes)
	return d
}

func dotf(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
