package certificate

import (
	"math"
	"math/big"
)

// Direction returns ||z - e_y||^2 / 2 and adds e_y - z to dir.
func (SquaredError) Direction(z []float64, y int, dir, _ []float64) float64 {
	loss := 0.0
	for j, v := range z {
		r := v
		if j == y {
			r = v - 1
		}
		loss += r * r
		dir[j] -= r
	}
	return loss / 2
}

// Value returns alpha g_y - alpha^2 ||g||^2 / 2 and its derivatives.
func (SquaredError) Value(g []float64, y int, alpha float64) (v, d1, d2 float64) {
	ss := 0.0
	for _, x := range g {
		ss += x * x
	}
	return alpha*g[y] - alpha*alpha*ss/2, g[y] - alpha*ss, -ss
}

// AlphaMax returns +Inf: the conjugate of the squared error is finite
// everywhere.
func (SquaredError) AlphaMax([]float64, int) float64 { return math.Inf(1) }

// Centre subtracts the class-weighted mean m = sum_k n_k g_k / N from
// every direction (there is no domain constraint to keep).
func (SquaredError) Centre(g [][]float64, counts []int) error {
	nTot := 0.0
	for _, n := range counts {
		nTot += float64(n)
	}
	k := len(g)
	for j := 0; j < k; j++ {
		m := 0.0
		for kk, n := range counts {
			m += float64(n) * g[kk][j]
		}
		m /= nTot
		for kk := range g {
			g[kk][j] -= m
		}
	}
	return nil
}

// BigDirection is Direction at prec bits, weighted by w.
func (SquaredError) BigDirection(z []*big.Float, y, w int, prec uint, dir []*big.Float) *big.Float {
	loss := near(prec)
	wf := near(prec).SetInt64(int64(w))
	r := near(prec)
	for j, v := range z {
		r.Set(v)
		if j == y {
			r.Sub(v, near(prec).SetInt64(1))
		}
		loss.Add(loss, near(prec).Mul(r, r))
		dir[j].Sub(dir[j], r.Mul(r, wf))
	}
	return loss.Quo(loss, near(prec).SetInt64(2))
}

// ExactDirections takes the approximate class means themselves (exact as
// rationals) and, with centre, subtracts their class-weighted mean exactly.
func (SquaredError) ExactDirections(gbar [][]*big.Float, counts []int, centre bool) ([][]*big.Rat, error) {
	k := len(gbar)
	g := make([][]*big.Rat, k)
	for kk := range gbar {
		g[kk] = make([]*big.Rat, k)
		for j := range gbar[kk] {
			g[kk][j] = ratOf(gbar[kk][j])
		}
	}
	if centre {
		nTot := int64(0)
		for _, n := range counts {
			nTot += int64(n)
		}
		for j := 0; j < k; j++ {
			m := new(big.Rat)
			for kk, n := range counts {
				m.Add(m, new(big.Rat).Mul(big.NewRat(int64(n), 1), g[kk][j]))
			}
			m.Quo(m, big.NewRat(nTot, 1))
			for kk := range g {
				g[kk][j].Sub(g[kk][j], m)
			}
		}
	}
	return g, checkDirections(g, counts, false, centre)
}

// ExactAlphaMax returns nil: every alpha is admissible.
func (SquaredError) ExactAlphaMax([]*big.Rat, int) *big.Rat { return nil }

// BigValue is Value at prec bits.
func (SquaredError) BigValue(g []*big.Float, y int, alpha *big.Float, prec uint) (v, d1, d2 *big.Float) {
	ss := near(prec)
	for _, x := range g {
		ss.Add(ss, near(prec).Mul(x, x))
	}
	v = near(prec).Mul(alpha, g[y])
	t := near(prec).Mul(alpha, alpha)
	t.Mul(t, ss)
	v.Sub(v, t.Quo(t, near(prec).SetInt64(2)))
	d1 = near(prec).Sub(g[y], near(prec).Mul(alpha, ss))
	d2 = near(prec).Neg(ss)
	return v, d1, d2
}

// LowerValue evaluates alpha g_y - alpha^2 ||g||^2 / 2 exactly in rationals
// and rounds it down.
func (SquaredError) LowerValue(g []*big.Rat, y int, alpha *big.Rat, prec uint) *big.Float {
	ss := new(big.Rat)
	for _, x := range g {
		ss.Add(ss, new(big.Rat).Mul(x, x))
	}
	v := new(big.Rat).Mul(alpha, g[y])
	t := new(big.Rat).Mul(alpha, alpha)
	t.Mul(t, ss)
	v.Sub(v, t.Quo(t, big.NewRat(2, 1)))
	return down(prec).SetRat(v)
}
