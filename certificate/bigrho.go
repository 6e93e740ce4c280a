package certificate

import (
	"fmt"
	"math/big"

	"nccheck/internal/bigmath"
)

// tightRel returns 2^-(prec-16), the relative shift above the estimated top
// eigenvalue at which the final bound is taken: it costs at most that much
// relative tightness, far below 2^-prec times the slope of LB.
func tightRel(prec, wp uint) *big.Float {
	return pow2(-int(prec - 16))
}

// scaled returns x 2^e at wp bits.
func scaled(x float64, e int, wp uint) *big.Float {
	return new(big.Float).SetPrec(wp).SetMantExp(near(wp).SetFloat64(x), e)
}

// reluRho returns an upper bound of rho(Q+) (Collatz-Wielandt, every
// operation rounded up) and the inverse-iteration steps. The positive
// vector is y = S^-1 x with x = (sigma I - Q+)^-1 (c + 2^-20 max(c) 1),
// c the Perron vector of Q+ by inverse iteration and sigma = rho (1 +
// 2^-(prec-16)): then (Q+ x)_i / x_i = sigma - b_i / x_i, which is within
// about 2^-(prec-16) rho of rho on the Perron block and below sigma on the
// others (the positive shift of b keeps x > 0 on every block of a
// reducible Q+, where a vector supported on the top block alone would give
// the other blocks' row sums).
func reluRho(g, rad [][]*big.Float, counts []int, nTot int64, pe *preEstimate, prec, wp uint) (*big.Float, int, error) {
	k := len(g)
	gp := square(k, wp)
	for i := range g {
		for j := range g[i] {
			v := up(wp).Add(g[i][j], rad[i][j])
			if v.Sign() > 0 {
				gp[i][j] = v
			}
		}
	}
	y := make([]*big.Float, k)
	for i := range y {
		y[i] = near(wp).SetInt64(1)
	}
	steps := 0
	if pe != nil && pe.lambda > 0 {
		qp := qMatrix(g, counts, nTot, true, wp)
		build := func(sigma *big.Float) [][]*big.Float { return shifted(qp, sigma, wp) }
		y0 := startVector(pe.v, true, wp)
		l0, _, err := choleskyShift(build, scaled(pe.lambda, 2*pe.h, wp), near(wp).SetFloat64(1e-9), wp)
		var l1 [][]*big.Float
		var x []*big.Float
		if err == nil {
			var lam *big.Float
			lam, x, steps = inverseIteration(qp, l0, y0, wp)
			l1, _, err = choleskyShift(build, lam, tightRel(prec, wp), wp)
		}
		if err != nil {
			// No shift factored (not seen): the float64 Perron estimate,
			// made positive, still gives a valid (looser) bound.
			return collatzWielandt(gp, counts, nTot, scaleByCounts(y0, counts, nTot, wp), wp), steps, nil
		}
		mx := near(wp)
		for _, v := range x {
			v.Abs(v)
			if v.Cmp(mx) > 0 {
				mx.Set(v)
			}
		}
		shift := new(big.Float).SetMantExp(mx, -20)
		for _, v := range x {
			v.Add(v, shift)
		}
		x = bigmath.CholSolve(l1, x)
		floor := new(big.Float).SetMantExp(mx, -int(wp))
		for _, v := range x {
			if v.Cmp(floor) < 0 {
				v.Set(floor)
			}
		}
		y = scaleByCounts(x, counts, nTot, wp)
	}
	return collatzWielandt(gp, counts, nTot, y, wp), steps, nil
}

// scaleByCounts returns S^-1 x, entries x_k N / sqrt(n_k): a vector of
// G+ S^2 from one of Q+ = S G+ S.
func scaleByCounts(x []*big.Float, counts []int, nTot int64, wp uint) []*big.Float {
	n := near(wp).SetInt64(nTot)
	y := make([]*big.Float, len(x))
	for i, v := range x {
		w := near(wp).SetInt64(int64(counts[i]))
		y[i] = near(wp).Mul(v, n)
		y[i].Quo(y[i], w.Sqrt(w))
	}
	return y
}

// collatzWielandt returns max_i (M y)_i / y_i rounded up, M = gp diag(n)/N^2
// (gp >= 0, y > 0): an upper bound of rho(M).
func collatzWielandt(gp [][]*big.Float, counts []int, nTot int64, y []*big.Float, wp uint) *big.Float {
	n2 := down(wp).SetInt64(nTot) // N^2 < 2^80: exact; rounded down in any case
	n2.Mul(n2, n2)
	wy := make([]*big.Float, len(y))
	for l, v := range y {
		wy[l] = up(wp).Mul(v, up(wp).SetInt64(int64(counts[l])))
	}
	best := up(wp)
	t := up(wp)
	for i, row := range gp {
		s := up(wp)
		for l, v := range row {
			s.Add(s, t.Mul(v, wy[l]))
		}
		s.Quo(s, n2)
		s.Quo(s, y[i])
		if s.Cmp(best) > 0 {
			best = s
		}
	}
	return best
}

// plainRho returns an upper bound of lambda_max(Q) for the plain UFM: the
// top eigenvalue estimate lam by inverse iteration, sigma = lam (1 +
// 2^-(prec-16)), and the certificate of theory.md section 11's "big-float
// Cholesky of mu I - Q" in the congruent form C = sigma S^-2 - G (see the
// comment at the top of bigspectral.go), with the shift raised (16x, then
// 2^16x, up to sigma = 2 lam) until C is numerically positive definite.
func plainRho(g, rad [][]*big.Float, counts []int, nTot int64, pe *preEstimate, prec, wp uint) (*big.Float, int, error) {
	if pe == nil {
		return up(wp), 0, nil // g = 0 exactly: Q = 0
	}
	q := qMatrix(g, counts, nTot, false, wp)
	build := func(sigma *big.Float) [][]*big.Float { return shifted(q, sigma, wp) }
	l0, _, err := choleskyShift(build, scaled(pe.lambda, 2*pe.h, wp), near(wp).SetFloat64(1e-9), wp)
	if err != nil {
		return nil, 0, err
	}
	lam, _, steps := inverseIteration(q, l0, startVector(pe.v, false, wp), wp)
	rel := tightRel(prec, wp)
	maxN := 0
	for _, n := range counts {
		maxN = max(maxN, n)
	}
	one := near(wp).SetInt64(1)
	for t := 0; rel.Cmp(one) <= 0; t++ {
		sigma := near(wp).SetInt64(1)
		sigma.Add(sigma, rel)
		sigma.Mul(sigma, lam)
		cmid, crad := certMatrix(g, rad, sigma, counts, nTot, wp)
		l, err := bigmath.Cholesky(cmid)
		if err != nil {
			// 16x for 16 tries, then 2^16x up to a shift of 100%: at a
			// point near a minimum the top eigenvalues of Q cluster
			// (they are equal at the minimum) and the inverse iteration's
			// estimate can lie below the top one by far more than
			// 2^-(prec-16) relative.
			if t < 16 {
				rel.Mul(rel, near(wp).SetInt64(16))
			} else {
				rel.Mul(rel, near(wp).SetInt64(1<<16))
			}
			continue
		}
		eta := residualBound(cmid, l, crad, wp)
		eta.Mul(eta, up(wp).SetInt64(int64(maxN)))
		n2 := down(wp).SetInt64(nTot)
		eta.Quo(eta, n2.Mul(n2, n2))
		return eta.Add(eta, sigma), steps, nil
	}
	return nil, steps, errNoShift(lam)
}

// certMatrix returns C = sigma S^-2 - G at wp bits (rounded to nearest) and
// crad >= |C_exact - C| entrywise: rad on every entry, plus on the diagonal
// 4u (|sigma N^2 / n_k| + |C_kk|) for the two roundings of sigma N^2 / n_k
// and the subtraction (u = 2^-wp).
func certMatrix(g, rad [][]*big.Float, sigma *big.Float, counts []int, nTot int64, wp uint) (c, crad [][]*big.Float) {
	k := len(g)
	c, crad = square(k, wp), square(k, wp)
	u4 := pow2(2 - int(wp))
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			c[i][j].Neg(g[i][j])
			crad[i][j] = up(wp).Set(rad[i][j])
		}
		d := near(wp).SetInt64(nTot)
		d.Mul(d, d)
		d.Mul(d, sigma)
		d.Quo(d, near(wp).SetInt64(int64(counts[i])))
		c[i][i].Add(c[i][i], d)
		e := up(wp).Abs(d)
		e.Add(e, near(wp).Abs(c[i][i]))
		crad[i][i].Add(crad[i][i], e.Mul(e, u4))
	}
	return c, crad
}

// residualBound returns ||E_up||_F + ||crad||_F rounded up, where E_up
// bounds |C - L L^T| entrywise: the computed residual plus Higham's
// gamma_{K+1} (|C_kl| + ||L_k|| ||L_l||) for its K products and
// subtractions, gamma_{K+1} <= 1.01 (K+1) 2^-wp.
func residualBound(c, l, crad [][]*big.Float, wp uint) *big.Float {
	k := len(c)
	norms := make([]*big.Float, k)
	for i := range l {
		ss := up(wp)
		for _, v := range l[i] {
			ss.Add(ss, up(wp).Mul(v, v))
		}
		norms[i] = sqrtUp(ss, wp)
	}
	gamma := up(wp).SetFloat64(1.01 * float64(k+1))
	gamma.SetMantExp(gamma, -int(wp))
	sumE, sumD := up(wp), up(wp)
	t := near(wp)
	for i := 0; i < k; i++ {
		for j := 0; j <= i; j++ {
			e := near(wp).Set(c[i][j])
			for m := 0; m <= j; m++ {
				e.Sub(e, t.Mul(l[i][m], l[j][m]))
			}
			b := up(wp).Mul(norms[i], norms[j])
			b.Add(b, near(wp).Abs(c[i][j]))
			b.Mul(b, gamma)
			b.Add(b, e.Abs(e))
			w := int64(2)
			if i == j {
				w = 1
			}
			sumE.Add(sumE, up(wp).Mul(up(wp).Mul(b, b), up(wp).SetInt64(w)))
			sumD.Add(sumD, up(wp).Mul(up(wp).Mul(crad[i][j], crad[i][j]), up(wp).SetInt64(w)))
		}
	}
	r := sqrtUp(sumE, wp)
	return r.Add(r, sqrtUp(sumD, wp))
}

func errNoShift(lam *big.Float) error {
	return fmt.Errorf("certificate: no shift above %s made sigma S^-2 - G numerically positive definite", lam.Text('g', 10))
}
