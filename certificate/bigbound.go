package certificate

import (
	"fmt"
	"math"
	"math/big"

	"nccheck/setting"
)

// bigClassBound computes the rigorous bound from the exact class
// directions g into res (LowerBound, Alpha, AlphaMax, DualNormRatio, R,
// PerronRatio, Descent, Stats).
func bigClassBound(s setting.Setting, loss Loss, g [][]*big.Rat, res *BigResult, wp uint) error {
	prec := res.Prec
	k, nTot := s.K(), int64(s.N())
	gm := make([][]*big.Float, k)
	for c := range g {
		gm[c] = make([]*big.Float, k)
		for j, v := range g[c] {
			gm[c][j] = near(wp).SetRat(v)
		}
	}
	gr, rad := gram(gm, wp)
	s2 := new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
	s2lo := down(wp).SetRat(s2)
	q := qMatrix(gr, s.Counts, nTot, false, wp)
	res.R = make([]*big.Float, k)
	for c := range res.R {
		res.R[c] = near(prec).Quo(q[c][c], near(wp).SetRat(s2))
	}
	pe, err := estimate(gm, s.Counts, nTot, s.ReLU(), wp)
	if err != nil {
		return err
	}
	var rho *big.Float
	if s.ReLU() {
		rho, res.Stats.Inverse, err = reluRho(gr, rad, s.Counts, nTot, pe, prec, wp)
	} else {
		rho, res.Stats.Inverse, err = plainRho(gr, rad, s.Counts, nTot, pe, prec, wp)
	}
	if err != nil {
		return err
	}
	res.DualNormRatio = sqrtUp(up(wp).Quo(rho, s2lo), prec)
	hi := alphaInterval(loss, g, rho, s2lo, wp)
	if hi != nil {
		res.AlphaMax = down(prec).Set(hi)
	}
	alpha, it := bigAlpha(s, loss, gm, hi, wp)
	res.Stats.Iterations = it
	lb, err := bigLower(s, loss, g, alpha, wp)
	if err != nil {
		return err
	}
	res.LowerBound = down(prec).Set(lb)
	res.Alpha = near(prec).Set(alpha)
	if pe != nil {
		bigDescent(s, q, pe, res, s2, wp)
	}
	return nil
}

// alphaInterval returns a lower bound of the upper end of the admissible
// interval, min(sqrt(s^2 / rho_up), min_k ExactAlphaMax(g_k)), rounded
// down at wp bits; nil when nothing bounds alpha.
func alphaInterval(loss Loss, g [][]*big.Rat, rho, s2lo *big.Float, wp uint) *big.Float {
	var hi *big.Float
	if rho.Sign() > 0 {
		hi = sqrtDown(down(wp).Quo(s2lo, rho), wp)
	}
	for c := range g {
		if r := loss.ExactAlphaMax(g[c], c); r != nil {
			if rf := down(wp).SetRat(r); hi == nil || rf.Cmp(hi) < 0 {
				hi = rf
			}
		}
	}
	return hi
}

// bigAlpha returns the scale alpha in [0, hi] (hi nil: [0, inf)) that
// maximises LB, and the evaluations: a float64 search first (from the
// directions rounded to float64, when they are in range), then, unless the
// float64 slope at hi is clearly positive (alpha = hi, the case of a global
// minimum), a few big-float Newton steps to 2^-(wp/2) (LB is flat to second
// order there, so LB is then within about 2^-wp of its maximum).
func bigAlpha(s setting.Setting, loss Loss, gm [][]*big.Float, hi *big.Float, wp uint) (*big.Float, int) {
	nTot := float64(s.N())
	m := newModel(s)
	biasBig := near(wp)
	if m.lb != 0 {
		biasBig = bigBiasCoefficient(gm, s, wp)
	}
	f := func(a *big.Float) (d1, d2 *big.Float) {
		d1, d2 = near(wp), near(wp)
		for c, row := range gm {
			_, e1, e2 := loss.BigValue(row, c, a, wp)
			w := near(wp).Quo(near(wp).SetInt64(int64(s.Counts[c])), near(wp).SetInt64(int64(nTot)))
			d1 = addInf(d1, near(wp).Mul(w, e1))
			d2 = addInf(d2, near(wp).Mul(w, e2))
		}
		t := near(wp).Mul(a, biasBig)
		t.Mul(t, big.NewFloat(2))
		d1 = addInf(d1, t.Neg(t))
		d2 = addInf(d2, near(wp).Mul(biasBig, big.NewFloat(-2)))
		return d1, d2
	}
	g64 := floatDirections(gm)
	if g64 == nil {
		return bigMaximise(f, hi, nil, 200, wp)
	}
	hi64 := math.Inf(1)
	if hi != nil {
		hi64, _ = hi.Float64()
	}
	lb64 := lbFunc(m, loss, g64, biasCoefficient(g64, m))
	a64, it := maximise(lb64, hi64)
	if hi != nil && a64 == hi64 {
		if _, d1, _ := lb64(hi64); d1 > 1e-9 {
			return hi, it
		}
	}
	x, it2 := bigMaximise(f, hi, near(wp).SetFloat64(a64), 8, wp)
	return x, it + it2
}

// addInf adds two big.Floats that may be infinite (-Inf wins over +Inf:
// the slope is then that of a boundary the search must stay below).
func addInf(a, b *big.Float) *big.Float {
	switch {
	case a.IsInf() && a.Signbit(), b.IsInf() && b.Signbit():
		return a.SetInf(true)
	case a.IsInf():
		return a
	case b.IsInf():
		return a.SetInf(false)
	}
	return a.Add(a, b)
}

// floatDirections returns the directions rounded to float64, or nil when
// an entry is out of the float64 range the search needs (|x| in
// [1e-150, 1e150] or 0).
func floatDirections(gm [][]*big.Float) [][]float64 {
	g := make([][]float64, len(gm))
	for c, row := range gm {
		g[c] = make([]float64, len(row))
		for j, v := range row {
			f, _ := v.Float64()
			if a := math.Abs(f); a != 0 && (a < 1e-150 || a > 1e150) {
				return nil
			}
			g[c][j] = f
		}
	}
	return g
}

// bigMaximise is maximise in big-float from the slope and curvature f,
// from start (nil: the midpoint), for at most maxIter evaluations, to a
// relative step of 2^-(wp/2).
func bigMaximise(f func(*big.Float) (d1, d2 *big.Float), hi, start *big.Float, maxIter int, wp uint) (*big.Float, int) {
	it := 0
	if hi == nil {
		hi = near(wp).SetInt64(1)
		for d1, _ := f(hi); d1.Sign() > 0 && hi.MantExp(nil) < 60; d1, _ = f(hi) {
			it++
			hi.Mul(hi, big.NewFloat(2))
		}
	}
	it++
	if d1, _ := f(hi); d1.Sign() >= 0 {
		return hi, it
	}
	lo := near(wp)
	x := start
	if x == nil || x.Sign() <= 0 || x.Cmp(hi) >= 0 {
		x = near(wp).Quo(hi, big.NewFloat(2))
	}
	hi = near(wp).Set(hi)
	tol := pow2(-int(wp / 2))
	for it < maxIter {
		it++
		d1, d2 := f(x)
		switch d1.Sign() {
		case 1:
			lo.Set(x)
		case 0:
			return x, it
		default:
			hi.Set(x)
		}
		var nx *big.Float
		if !d1.IsInf() && !d2.IsInf() && d2.Sign() < 0 {
			newton := near(wp).Quo(d1, d2)
			if near(wp).Abs(newton).Cmp(near(wp).Mul(tol, x)) <= 0 {
				// Converged: x - newton may round onto the end of the
				// bracket (x itself), which must not restart the search
				// by bisection.
				return x, it
			}
			nx = near(wp).Sub(x, newton)
		}
		if nx == nil || nx.Cmp(lo) <= 0 || nx.Cmp(hi) >= 0 {
			nx = near(wp).Add(lo, hi)
			nx.Quo(nx, big.NewFloat(2))
		}
		step := near(wp).Sub(nx, x)
		if step.Abs(step).Cmp(near(wp).Mul(tol, x)) <= 0 {
			return nx, it
		}
		x = nx
	}
	return x, it
}

// bigBiasCoefficient is biasCoefficient at wp bits (for the search only).
func bigBiasCoefficient(gm [][]*big.Float, s setting.Setting, wp uint) *big.Float {
	ss := near(wp)
	for j := range gm {
		v := near(wp)
		for c, row := range gm {
			v.Add(v, near(wp).Mul(near(wp).SetInt64(int64(s.Counts[c])), row[j]))
		}
		ss.Add(ss, v.Mul(v, v))
	}
	n2 := near(wp).SetInt64(int64(s.N()))
	n2.Mul(n2, n2)
	n2.Mul(n2, s.LambdaB.Float(wp))
	n2.Mul(n2, big.NewFloat(2))
	return ss.Quo(ss, n2)
}

// bigLower returns the rigorous lower bound at the exact scale alpha:
// sum_k n_k LowerValue_k rounded down, divided by N rounded down, minus the
// bias term alpha^2 ||sum_k n_k g_k||^2 / (2 lambda_b N^2), computed
// exactly in rationals and rounded up.
func bigLower(s setting.Setting, loss Loss, g [][]*big.Rat, alpha *big.Float, wp uint) (*big.Float, error) {
	a := ratOf(alpha)
	sum := down(wp)
	for c := range g {
		v := loss.LowerValue(g[c], c, a, wp)
		if v.IsInf() {
			return nil, fmt.Errorf("certificate: internal error: alpha %s is not admissible for class %d", alpha.Text('g', 10), c)
		}
		sum.Add(sum, down(wp).Mul(v, down(wp).SetInt64(int64(s.Counts[c]))))
	}
	sum.Quo(sum, down(wp).SetInt64(int64(s.N())))
	if s.Bias && !s.Unregularised() {
		ss := new(big.Rat)
		for j := range g {
			v := new(big.Rat)
			for c, row := range g {
				v.Add(v, new(big.Rat).Mul(big.NewRat(int64(s.Counts[c]), 1), row[j]))
			}
			ss.Add(ss, v.Mul(v, v))
		}
		n := big.NewRat(int64(s.N()), 1)
		den := new(big.Rat).Mul(n, n)
		den.Mul(den, s.LambdaB.Rat())
		den.Mul(den, big.NewRat(2, 1))
		ss.Mul(ss, new(big.Rat).Mul(a, a))
		sum.Sub(sum, up(wp).SetRat(ss.Quo(ss, den)))
	}
	return sum, nil
}

// bigDescent sets res.PerronRatio and res.Descent: the candidates are the
// float64 Perron (top) vector and the unit vectors, their ratios
// c^T Q c / s^2 evaluated in big-float, the threshold 1 + 2^-(prec/2).
func bigDescent(s setting.Setting, q [][]*big.Float, pe *preEstimate, res *BigResult, s2 *big.Rat, wp uint) {
	k := len(q)
	s2f := near(wp).SetRat(s2)
	var c []float64
	best, perron := near(wp).SetInt64(-1), true
	if c = unit(pe.v); c != nil {
		cq, cc := near(wp), near(wp)
		for i := 0; i < k; i++ {
			ci := near(wp).SetFloat64(c[i])
			cc.Add(cc, near(wp).Mul(ci, ci))
			for j := 0; j < k; j++ {
				t := near(wp).Mul(q[i][j], ci)
				cq.Add(cq, t.Mul(t, near(wp).SetFloat64(c[j])))
			}
		}
		best.Quo(cq, cc.Mul(cc, s2f)) // c is a unit vector only to float64 rounding
		res.PerronRatio, _ = best.Float64()
	}
	for i, r := range res.R {
		if r.Cmp(best) > 0 {
			best.Set(r)
			perron = false
			c = make([]float64, k)
			c[i] = 1
		}
	}
	tol := near(wp).SetInt64(1)
	tol.Add(tol, pow2(-int(res.Prec/2)))
	if best.Cmp(tol) <= 0 {
		return
	}
	ratio, _ := best.Float64()
	res.Descent = buildDescent(c, ratio, perron, pe.a, newModel(s))
}
