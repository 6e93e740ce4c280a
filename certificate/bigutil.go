package certificate

import (
	"math"
	"math/big"

	"github.com/ALTree/bigfloat"
)

// near, down and up return a zero big.Float of precision prec rounding to
// nearest, towards -Inf and towards +Inf. Every operation of math/big.Float
// (Add, Sub, Mul, Quo, SetRat, SetInt) is correctly rounded in the mode of
// its receiver, which is what the directed bounds of this package rely on.
func near(prec uint) *big.Float { return new(big.Float).SetPrec(prec) }
func down(prec uint) *big.Float { return new(big.Float).SetPrec(prec).SetMode(big.ToNegativeInf) }
func up(prec uint) *big.Float   { return new(big.Float).SetPrec(prec).SetMode(big.ToPositiveInf) }

// ratOf returns the exact value of a finite x.
func ratOf(x *big.Float) *big.Rat {
	r, _ := x.Rat(nil)
	return r
}

// expNear returns exp(x) at prec bits, to a few units of the last place,
// for |x| <= 2^30. It is used only to choose the dual point (the softmax
// of the logits), where accuracy matters for how tight the bound is, not
// for its validity; it replaces bigfloat.Exp, whose Newton iteration on a
// logarithm costs about ten times more.
//
// Method: exp(x) = exp(x / 2^m)^(2^m) with |x| / 2^m < 2^-r, r about
// sqrt(prec); the Taylor series of exp(x / 2^m) is summed until a term
// falls below 2^-(wp+4) and squared m times, at wp = prec + m + 16 bits
// (each squaring doubles the relative error, m guard bits absorb it).
func expNear(x *big.Float, prec uint) *big.Float {
	if x.Sign() == 0 {
		return near(prec).SetInt64(1)
	}
	r := int(math.Sqrt(float64(prec)))/2 + 2
	m := max(0, x.MantExp(nil)+r)
	wp := prec + uint(m) + 16
	y := new(big.Float).SetPrec(wp).SetMantExp(near(wp).Set(x), -m)
	sum := near(wp).SetInt64(1)
	term := near(wp).SetInt64(1)
	lim := -int(wp) - 4
	for n := int64(1); ; n++ {
		term.Mul(term, y)
		term.Quo(term, near(wp).SetInt64(n))
		if term.Sign() == 0 || term.MantExp(nil) < lim {
			break
		}
		sum.Add(sum, term)
	}
	for i := 0; i < m; i++ {
		sum.Mul(sum, sum)
	}
	return near(prec).Set(sum)
}

// memo caches a function of a big.Float by its exact value, within one
// call: at a predicted point most logits of a sample, and most
// probabilities of a class, are equal, so a K x K evaluation needs O(K)
// exponentials and logarithms instead of K^2.
type memo map[string]*big.Float

// get returns a copy of f(x), computing it once per exact value of x.
func (m memo) get(x *big.Float, f func(*big.Float) *big.Float) *big.Float {
	key := x.Text('p', 0)
	v, ok := m[key]
	if !ok {
		v = f(x)
		m[key] = v
	}
	return new(big.Float).Copy(v)
}

// logNear returns log(x) for x > 0 at prec bits (ALTree/bigfloat, which
// works at prec+64 bits internally and rounds once). The package's error
// model (doc.go, tested in TestLogErrorModel) is
//
//	|logNear(x) - log(x)| <= 2^-(prec-8) max(1, |log x|).
func logNear(x *big.Float, prec uint) *big.Float {
	return bigfloat.Log(near(prec).Set(x))
}

// phiLower returns a lower bound of -q log q for an exact q in [0, 1]: with
// y = q rounded to nearest at prec bits (|q - y| <= 2^-prec y) and
// L = logNear(y), the true value is at least
//
//	-y L - y (1 + |L|) 2^-(prec-10),
//
// which covers the logarithm's error bound (2^-(prec-8) max(1, |L|) y) and
// the rounding of q (2^-(prec-1) y (1 + |L|) bounds |q - y| times the
// derivative 1 + |log x| near y); the products and the difference are
// rounded down (up for the subtracted term).
func phiLower(q *big.Rat, prec uint, logs memo) *big.Float {
	if q.Sign() == 0 {
		return down(prec)
	}
	y := near(prec).SetRat(q)
	l := logs.get(y, func(x *big.Float) *big.Float { return logNear(x, prec) })
	t := down(prec).Mul(y, new(big.Float).Neg(l))
	w := up(prec).Abs(l)
	w.Add(w, big.NewFloat(1))
	w.Mul(w, y)
	w.SetMantExp(w, -int(prec-10))
	return t.Sub(t, w)
}

// powerOfTwoAbove returns the smallest power of two 2^e >= r > 0, capped
// at 1.
func powerOfTwoAbove(r *big.Rat) *big.Rat {
	f := up(64).SetRat(r)
	e := f.MantExp(nil) // f = m 2^e, m in [0.5, 1): f <= 2^e
	if e >= 0 {
		return big.NewRat(1, 1)
	}
	p := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(-e)))
	if half := new(big.Rat).Quo(p, big.NewRat(2, 1)); half.Cmp(r) >= 0 {
		p = half // f was a power of two rounded up from r
	}
	return p
}

// pow2 returns 2^e exactly (at 53 bits: SetMantExp takes the precision of
// its mantissa, so a power of two is the only safe use with a fresh one).
func pow2(e int) *big.Float { return new(big.Float).SetMantExp(big.NewFloat(1), e) }

// ulp returns the unit in the last place of a nonzero x at its precision.
func ulp(x *big.Float) *big.Float {
	e := x.MantExp(nil)
	return pow2(e - int(x.Prec()))
}

// sqrtUp returns an upper bound of sqrt(x), x >= 0, at prec bits: the
// rounded square root, raised by ulps until its square, rounded down, is at
// least x (so it does not depend on how Sqrt rounds).
func sqrtUp(x *big.Float, prec uint) *big.Float {
	if x.Sign() == 0 {
		return up(prec)
	}
	r := up(prec).Sqrt(x)
	sq := down(prec)
	for sq.Mul(r, r).Cmp(x) < 0 {
		r.Add(r, ulp(r))
	}
	return r
}

// sqrtDown returns a lower bound of sqrt(x), x >= 0, at prec bits.
func sqrtDown(x *big.Float, prec uint) *big.Float {
	if x.Sign() == 0 {
		return down(prec)
	}
	r := down(prec).Sqrt(x)
	sq := up(prec)
	for sq.Mul(r, r).Cmp(x) > 0 {
		r.Sub(r, ulp(r))
	}
	return r
}
