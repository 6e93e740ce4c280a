package certificate

import (
	"fmt"
	"math"
	"math/big"

	"nccheck/internal/bigmath"
	"nccheck/setting"
)

// softmaxLoss is label-smoothed cross-entropy with smoothing a (a = 0 is
// cross-entropy): l(z; y) = lse(z) - t_y . z, t_y = (1 - a) e_y + (a/K) 1,
// whose negated conjugate along -alpha g is Ent(t_y - alpha g) (theory.md
// sections 11 and 12a).
type softmaxLoss struct {
	a    float64
	aRat *big.Rat // nil for cross-entropy
}

func newSoftmaxLoss(a setting.Decimal) softmaxLoss {
	return softmaxLoss{a: a.Float64(), aRat: a.Rat()}
}

// flushGap is the logit gap below the largest logit beyond which a
// probability, below exp(-2^24), is taken as 0 in the big-float path (it
// keeps exponents in range; any dual point is valid, so this changes only
// how tight the bound is, by far less than 2^-4096).
const flushGap = 1 << 24

// target returns t_y[j] in float64.
func (l softmaxLoss) target(k int, diag bool) float64 {
	kf := float64(k)
	if diag {
		return 1 - l.a*(kf-1)/kf
	}
	return l.a / kf
}

// direction computes the softmax p of z (shifted by the largest logit),
// adds t_y - p to dir, with the entry y formed as sum_{j != y} p_j -
// a (K-1)/K so that it keeps its relative accuracy when p_y is close to 1,
// and returns l(z; y).
func (l softmaxLoss) direction(z []float64, y int, dir, work []float64) float64 {
	k := len(z)
	imax := 0
	for j := 1; j < k; j++ {
		if z[j] > z[imax] {
			imax = j
		}
	}
	m := z[imax]
	e := work[:k]
	rest := 0.0
	for j, v := range z {
		e[j] = math.Exp(v - m)
		if j != imax {
			rest += e[j]
		}
	}
	inv := 1 / (1 + rest)
	off := 0.0
	tOff := l.target(k, false)
	for j := range e {
		if j == y {
			continue
		}
		p := e[j] * inv
		off += p
		dir[j] += tOff - p
	}
	dir[y] += off - l.a*float64(k-1)/float64(k)
	if l.a == 0 {
		return (m - z[y]) + math.Log1p(rest)
	}
	mean := 0.0
	for _, v := range z {
		mean += v
	}
	mean /= float64(k)
	return (1-l.a)*(m-z[y]) + l.a*(m-mean) + math.Log1p(rest)
}

// value returns Ent(q), q = t_y - alpha g, and its derivatives
// sum_j g_j (log q_j + 1) and -sum_j g_j^2 / q_j. An entry q_j <= 0 (at the
// end of the admissible interval, or below it by rounding) counts 0 in the
// entropy; its derivative terms are infinite unless g_j = 0.
func (l softmaxLoss) value(g []float64, y int, alpha float64) (v, d1, d2 float64) {
	k := len(g)
	for j, gj := range g {
		q := l.target(k, j == y) - alpha*gj
		if q <= 0 {
			switch {
			case gj > 0:
				d1, d2 = math.Inf(-1), math.Inf(-1)
			case gj < 0 && !math.IsInf(d1, -1):
				d1 = math.Inf(1)
			}
			continue
		}
		lq := math.Log(q)
		v -= q * lq
		if !math.IsInf(d1, 0) {
			d1 += gj * (lq + 1)
		}
		if !math.IsInf(d2, -1) {
			d2 -= gj * gj / q
		}
	}
	return v, d1, d2
}

// alphaMax returns min over g_j > 0 of t_j / g_j.
func (l softmaxLoss) alphaMax(g []float64, y int) float64 {
	k := len(g)
	best := math.Inf(1)
	for j, gj := range g {
		if gj > 0 {
			best = math.Min(best, l.target(k, j == y)/gj)
		}
	}
	return best
}

// centre makes sum_k n_k g_k = 0 by moving the dual simplex points
// D_k = t_k - g_k towards the class-weighted target c/N, as
// mixDualPoints does exactly; in float64 an off-target entry that rounding
// takes below 0 is clipped at 0, the diagonal restoring the zero row sum.
func (l softmaxLoss) centre(g [][]float64, counts []int) error {
	k := len(g)
	nTot := 0.0
	for _, n := range counts {
		nTot += float64(n)
	}
	c := make([]float64, k)
	e := make([]float64, k)
	for j := range c {
		c[j] = (1-l.a)*float64(counts[j]) + l.a*nTot/float64(k)
		for kk, n := range counts {
			e[j] -= float64(n) * g[kk][j]
		}
	}
	ratio := 0.0
	for j := range c {
		ratio = math.Max(ratio, math.Abs(e[j])/c[j])
	}
	if ratio == 0 {
		return nil
	}
	eps := 1.0 // the smallest power of two >= ratio, at most 1 (as mixDualPoints)
	if frac, exp := math.Frexp(ratio); exp < 1 {
		eps = math.Ldexp(1, exp)
		if frac == 0.5 {
			eps /= 2
		}
	}
	for kk := range g {
		off := 0.0
		for j := range g[kk] {
			if j == kk {
				continue
			}
			t := l.target(k, false)
			d := (1-eps)*(t-g[kk][j]) + eps*c[j]/nTot - (1-eps)*e[j]/nTot
			d = math.Max(d, 0)
			g[kk][j] = t - d
			off += g[kk][j]
		}
		g[kk][kk] = -off
	}
	return nil
}

// targetsRat returns t_y[y] and t_y[j], j != y, exactly.
func (l softmaxLoss) targetsRat(k int) (diag, off *big.Rat) {
	off = new(big.Rat)
	if l.aRat != nil {
		off.Quo(l.aRat, big.NewRat(int64(k), 1))
	}
	diag = new(big.Rat).SetInt64(1)
	diag.Sub(diag, new(big.Rat).Mul(off, big.NewRat(int64(k-1), 1)))
	return diag, off
}

// bigDirection is direction at prec bits, weighted by w.
func (l softmaxLoss) bigDirection(z []*big.Float, y, w int, prec uint, dir []*big.Float) *big.Float {
	k := len(z)
	imax := 0
	for j := 1; j < k; j++ {
		if z[j].Cmp(z[imax]) > 0 {
			imax = j
		}
	}
	m := z[imax]
	e := make([]*big.Float, k)
	rest := near(prec)
	gap := near(prec)
	exps := memo{}
	for j, v := range z {
		gap.Sub(v, m)
		if j == imax {
			e[j] = near(prec).SetInt64(1)
			continue
		}
		if gap.Cmp(big.NewFloat(-flushGap)) < 0 {
			e[j] = near(prec)
		} else {
			e[j] = exps.get(gap, func(x *big.Float) *big.Float { return expNear(x, prec) })
		}
		rest.Add(rest, e[j])
	}
	den := near(prec).SetInt64(1)
	den.Add(den, rest)
	_, tOffRat := l.targetsRat(k)
	tOff := near(prec).SetRat(tOffRat)
	wf := near(prec).SetInt64(int64(w))
	off := near(prec)
	t := near(prec)
	for j := range e {
		if j == y {
			continue
		}
		p := near(prec).Quo(e[j], den)
		off.Add(off, p)
		t.Sub(tOff, p)
		dir[j].Add(dir[j], t.Mul(t, wf))
	}
	t.Mul(tOff, near(prec).SetInt64(int64(k-1)))
	t.Sub(off, t)
	dir[y].Add(dir[y], t.Mul(t, wf))
	return l.bigLoss(z, y, m, rest, prec)
}

// bigLoss returns (1-a)(m - z_y) + a (m - mean z) + log(1 + rest), the
// loss given the largest logit m and rest = sum_{j != argmax} exp(z_j - m).
func (l softmaxLoss) bigLoss(z []*big.Float, y int, m, rest *big.Float, prec uint) *big.Float {
	loss := near(prec).Sub(m, z[y])
	if l.aRat != nil && l.aRat.Sign() != 0 {
		a := near(prec).SetRat(l.aRat)
		mean := near(prec)
		for _, v := range z {
			mean.Add(mean, v)
		}
		mean.Quo(mean, near(prec).SetInt64(int64(len(z))))
		mean.Sub(m, mean)
		loss.Mul(loss, near(prec).Sub(near(prec).SetInt64(1), a))
		loss.Add(loss, mean.Mul(mean, a))
	}
	return loss.Add(loss, bigmath.Log1p(rest, prec))
}

// exactDirections builds exact directions from the approximate class means
// gbar of t_k - p: the off-target entries are g_kj = t_kj - D_kj with
// D_kj = max(0, t_kj - gbar_kj) (a mean probability, clipped at 0), and
// g_kk = -sum_{j != k} g_kj, so every t_k - alpha g_k sums to exactly 1.
func (l softmaxLoss) exactDirections(gbar [][]*big.Float, counts []int, centre bool) ([][]*big.Rat, error) {
	k := len(gbar)
	_, tOff := l.targetsRat(k)
	g := make([][]*big.Rat, k)
	for kk := range gbar {
		g[kk] = make([]*big.Rat, k)
		sum := new(big.Rat)
		for j := range gbar[kk] {
			if j == kk {
				continue
			}
			d := new(big.Rat).Sub(tOff, ratOf(gbar[kk][j]))
			if d.Sign() < 0 {
				d.SetInt64(0)
			}
			g[kk][j] = d.Sub(tOff, d)
			sum.Add(sum, g[kk][j])
		}
		g[kk][kk] = sum.Neg(sum)
	}
	if centre {
		l.mixDualPoints(g, counts)
	}
	return g, checkDirections(g, counts, true, centre)
}

// mixDualPoints makes sum_k n_k g_k = 0 exactly for an unregularised bias.
// With D_k = t_k - g_k (each sums to 1, off-target entries >= 0),
// c = sum_k n_k t_k and the residual e = sum_k n_k D_k - c, it replaces
//
//	D_k by (1 - eps) D_k + eps c/N - (1 - eps) e/N,
//
// which keeps every row sum 1 and gives sum_k n_k D_k = c exactly; eps is
// the smallest power of two >= max_j |e_j| / c_j (at most 1), which keeps
// the off-target entries >= 0: each is at least (eps c_j - |e_j|)/N.
// At a point where the bias is stationary (e = 0) nothing changes.
func (l softmaxLoss) mixDualPoints(g [][]*big.Rat, counts []int) {
	k := len(g)
	tDiag, tOff := l.targetsRat(k)
	nTot := int64(0)
	for _, n := range counts {
		nTot += int64(n)
	}
	nR := new(big.Rat).SetInt64(nTot)
	a := new(big.Rat)
	if l.aRat != nil {
		a.Set(l.aRat)
	}
	c := make([]*big.Rat, k)
	e := make([]*big.Rat, k)
	ratio := new(big.Rat)
	for j := range c {
		c[j] = new(big.Rat).Mul(new(big.Rat).Sub(big.NewRat(1, 1), a), big.NewRat(int64(counts[j]), 1))
		c[j].Add(c[j], new(big.Rat).Mul(a, big.NewRat(nTot, int64(k))))
		e[j] = new(big.Rat)
		for kk, n := range counts {
			e[j].Sub(e[j], new(big.Rat).Mul(big.NewRat(int64(n), 1), g[kk][j]))
		}
		r := new(big.Rat).Abs(e[j])
		if r.Quo(r, c[j]); r.Cmp(ratio) > 0 {
			ratio = r
		}
	}
	if ratio.Sign() == 0 {
		return
	}
	eps := powerOfTwoAbove(ratio)
	keep := new(big.Rat).Sub(big.NewRat(1, 1), eps)
	for kk := range g {
		for j := range g[kk] {
			t := tOff
			if j == kk {
				t = tDiag
			}
			d := new(big.Rat).Sub(t, g[kk][j])
			d.Mul(d, keep)
			d.Add(d, new(big.Rat).Quo(new(big.Rat).Mul(eps, c[j]), nR))
			d.Sub(d, new(big.Rat).Quo(new(big.Rat).Mul(keep, e[j]), nR))
			g[kk][j] = d.Sub(t, d)
		}
	}
}

// exactAlphaMax returns min over g_j > 0 of t_j / g_j, exactly.
func (l softmaxLoss) exactAlphaMax(g []*big.Rat, y int) *big.Rat {
	tDiag, tOff := l.targetsRat(len(g))
	var best *big.Rat
	for j, gj := range g {
		if gj.Sign() <= 0 {
			continue
		}
		t := tOff
		if j == y {
			t = tDiag
		}
		r := new(big.Rat).Quo(t, gj)
		if best == nil || r.Cmp(best) < 0 {
			best = r
		}
	}
	return best
}

// bigValue is value at prec bits. Infinite derivatives are returned as
// big.Float infinities.
func (l softmaxLoss) bigValue(g []*big.Float, y int, alpha *big.Float, prec uint) (v, d1, d2 *big.Float) {
	k := len(g)
	tDiagR, tOffR := l.targetsRat(k)
	tDiag, tOff := near(prec).SetRat(tDiagR), near(prec).SetRat(tOffR)
	v, d1, d2 = near(prec), near(prec), near(prec)
	negInf, posInf := false, false
	logs := memo{}
	q := near(prec)
	t := near(prec)
	for j, gj := range g {
		tj := tOff
		if j == y {
			tj = tDiag
		}
		q.Sub(tj, t.Mul(alpha, gj))
		if q.Sign() <= 0 {
			negInf = negInf || gj.Sign() > 0
			posInf = posInf || gj.Sign() < 0
			continue
		}
		lq := logs.get(q, func(x *big.Float) *big.Float { return logNear(x, prec) })
		v.Sub(v, t.Mul(q, lq))
		lq.Add(lq, near(prec).SetInt64(1))
		d1.Add(d1, t.Mul(gj, lq))
		t.Mul(gj, gj)
		d2.Sub(d2, t.Quo(t, q))
	}
	switch {
	case negInf:
		d1.SetInf(true)
		d2.SetInf(true)
	case posInf:
		d1.SetInf(false)
	}
	return v, d1, d2
}

// lowerValue returns a lower bound of Ent(t_y - alpha g) (see phiLower),
// or -Inf when an entry of t_y - alpha g is negative (alpha not
// admissible).
func (l softmaxLoss) lowerValue(g []*big.Rat, y int, alpha *big.Rat, prec uint) *big.Float {
	tDiag, tOff := l.targetsRat(len(g))
	sum := down(prec)
	logs := memo{}
	q := new(big.Rat)
	for j, gj := range g {
		tj := tOff
		if j == y {
			tj = tDiag
		}
		q.Sub(tj, q.Mul(alpha, gj))
		if q.Sign() < 0 {
			return down(prec).SetInf(true)
		}
		sum.Add(sum, phiLower(q, prec, logs))
	}
	return sum
}

// checkDirections verifies exactly what the bound relies on: with rowZero
// every g_k sums to 0; with centred, sum_k n_k g_k = 0.
func checkDirections(g [][]*big.Rat, counts []int, rowZero, centred bool) error {
	k := len(g)
	col := make([]*big.Rat, k)
	for j := range col {
		col[j] = new(big.Rat)
	}
	for kk := range g {
		row := new(big.Rat)
		for j, v := range g[kk] {
			row.Add(row, v)
			col[j].Add(col[j], new(big.Rat).Mul(big.NewRat(int64(counts[kk]), 1), v))
		}
		if rowZero && row.Sign() != 0 {
			return fmt.Errorf("certificate: internal error: direction of class %d sums to %s, not 0", kk, row.FloatString(5))
		}
	}
	for j, v := range col {
		if centred && v.Sign() != 0 {
			return fmt.Errorf("certificate: internal error: centred directions sum to %s in entry %d", v.FloatString(5), j)
		}
	}
	return nil
}
