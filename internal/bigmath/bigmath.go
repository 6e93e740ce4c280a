package bigmath

import (
	"fmt"
	"math/big"

	"github.com/ALTree/bigfloat"
)

// Log1p returns log(1 + x) for x >= 0, rounded to prec bits, without losing
// a small x to the rounding of 1 + x: for x < 2^-16 it sums the series
// x - x^2/2 + x^3/3 - ... at prec+16 bits until a term falls below 2^-(prec+8)
// of the sum; otherwise it takes bigfloat.Log(1 + x) at prec+16 bits. The
// result is correct to a few units of the last of prec bits.
//
// Log1p panics if x < 0 (no caller needs it, and the series would not be
// the right tool near x = -1).
func Log1p(x *big.Float, prec uint) *big.Float {
	if x.Sign() < 0 {
		panic(fmt.Sprintf("bigmath.Log1p: negative argument %s", x.Text('g', 10)))
	}
	if x.Sign() == 0 {
		return new(big.Float).SetPrec(prec)
	}
	if x.MantExp(nil) < -16 {
		wp := prec + 16
		sum := new(big.Float).SetPrec(wp)
		pow := new(big.Float).SetPrec(wp).Set(x)
		term := new(big.Float).SetPrec(wp)
		for n := int64(1); ; n++ {
			term.Quo(pow, new(big.Float).SetInt64(n))
			if n%2 == 0 {
				sum.Sub(sum, term)
			} else {
				sum.Add(sum, term)
			}
			if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-int(prec)-8 {
				break
			}
			pow.Mul(pow, x)
		}
		return new(big.Float).SetPrec(prec).Set(sum)
	}
	y := new(big.Float).SetPrec(prec + 16).SetInt64(1)
	y.Add(y, x)
	return new(big.Float).SetPrec(prec).Set(bigfloat.Log(y))
}

// Cholesky returns the lower-triangular factor L of a symmetric positive
// definite n x n matrix a = L L^T (a[i][j], row-major; only the lower
// triangle is read), computed at the precision of a[0][0]. It returns an
// error naming the pivot when a is not numerically positive definite.
func Cholesky(a [][]*big.Float) ([][]*big.Float, error) {
	n := len(a)
	if n == 0 {
		return nil, nil
	}
	prec := a[0][0].Prec()
	l := make([][]*big.Float, n)
	t := new(big.Float).SetPrec(prec)
	for i := 0; i < n; i++ {
		l[i] = make([]*big.Float, n)
		for j := range l[i] {
			l[i][j] = new(big.Float).SetPrec(prec)
		}
	}
	for j := 0; j < n; j++ {
		d := new(big.Float).SetPrec(prec).Set(a[j][j])
		for m := 0; m < j; m++ {
			d.Sub(d, t.Mul(l[j][m], l[j][m]))
		}
		if d.Sign() <= 0 {
			return nil, fmt.Errorf("matrix not positive definite (pivot %d is %s)", j+1, d.Text('g', 5))
		}
		l[j][j].Sqrt(d)
		for i := j + 1; i < n; i++ {
			s := new(big.Float).SetPrec(prec).Set(a[i][j])
			for m := 0; m < j; m++ {
				s.Sub(s, t.Mul(l[i][m], l[j][m]))
			}
			l[i][j].Quo(s, l[j][j])
		}
	}
	return l, nil
}

// CholSolve solves L L^T x = b for the factor L of Cholesky, at the
// precision of L's entries.
func CholSolve(l [][]*big.Float, b []*big.Float) []*big.Float {
	n := len(l)
	if n == 0 {
		return nil
	}
	prec := l[0][0].Prec()
	t := new(big.Float).SetPrec(prec)
	y := make([]*big.Float, n)
	for i := 0; i < n; i++ {
		y[i] = new(big.Float).SetPrec(prec).Set(b[i])
		for m := 0; m < i; m++ {
			y[i].Sub(y[i], t.Mul(l[i][m], y[m]))
		}
		y[i].Quo(y[i], l[i][i])
	}
	for i := n - 1; i >= 0; i-- {
		for m := i + 1; m < n; m++ {
			y[i].Sub(y[i], t.Mul(l[m][i], y[m]))
		}
		y[i].Quo(y[i], l[i][i])
	}
	return y
}

// expReduceBelow is the argument below which Exp halves the argument before
// calling bigfloat.Exp: there math.Exp's starting guess is subnormal (or 0),
// and bigfloat.Exp's fixed Newton schedule, which assumes a 53-bit start,
// leaves its result accurate to far fewer bits than asked (a relative error
// of 2.7e-7 at x = -744 and 128 bits).
const expReduceBelow = -700

// Exp returns exp(x) rounded to x's precision, like bigfloat.Exp, but
// accurate also for x < -700: it evaluates exp(x/2^j) for the smallest j
// that brings the argument to -700 or above and squares the result j times,
// at x's precision plus 64 + j guard bits (each squaring at most doubles the
// relative error, so the j extra bits absorb the growth).
func Exp(x *big.Float) *big.Float {
	lim := big.NewFloat(expReduceBelow)
	if x.IsInf() || x.Sign() >= 0 || x.Cmp(lim) >= 0 {
		return bigfloat.Exp(x)
	}
	j := 0
	for y := new(big.Float).Set(x); y.Cmp(lim) < 0; y.Quo(y, big.NewFloat(2)) {
		j++
	}
	prec := x.Prec()
	wp := prec + 64 + uint(j)
	y := new(big.Float).SetPrec(wp).SetMantExp(new(big.Float).SetPrec(wp).Set(x), -j)
	e := bigfloat.Exp(y)
	for ; j > 0; j-- {
		e.Mul(e, e)
	}
	return new(big.Float).SetPrec(prec).Set(e)
}
