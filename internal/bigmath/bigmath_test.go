package bigmath

import (
	"math"
	"math/big"
	"testing"

	"github.com/ALTree/bigfloat"
)

func TestLog1p(t *testing.T) {
	const prec = 256
	for _, x := range []float64{0, 1e-300, 1e-20, 1e-6, 1.4e-5, 2e-5, 0.1, 1, 7, 1e10} {
		got := Log1p(big.NewFloat(x).SetPrec(prec), prec)
		if x == 0 {
			if got.Sign() != 0 {
				t.Errorf("Log1p(0) = %s", got.Text('g', 10))
			}
			continue
		}
		// Reference: log(1 + x) at 4 times the precision (1 + x exact there
		// for every x above 2^-1000, which covers all but the first input).
		y := new(big.Float).SetPrec(4 * prec).SetFloat64(x)
		y.Add(y, new(big.Float).SetPrec(4*prec).SetInt64(1))
		want := bigfloat.Log(y)
		if x < 1e-200 {
			want = new(big.Float).SetPrec(4 * prec).SetFloat64(x) // log1p(x) = x to 2^-600 relative
		}
		rel := new(big.Float).SetPrec(4*prec).Sub(got, want)
		rel.Quo(rel, want)
		r, _ := rel.Float64()
		if math.Abs(r) > math.Ldexp(1, -(prec-4)) {
			t.Errorf("Log1p(%g): relative error %g", x, r)
		}
	}
}

func TestCholesky(t *testing.T) {
	const prec = 200
	f := func(v float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(v) }
	a := [][]*big.Float{{f(4), f(2), f(0.4)}, {f(2), f(5), f(1)}, {f(0.4), f(1), f(3)}}
	l, err := Cholesky(a)
	if err != nil {
		t.Fatal(err)
	}
	b := []*big.Float{f(1), f(-2), f(0.5)}
	x := CholSolve(l, b)
	for i := range a {
		s := new(big.Float).SetPrec(prec)
		for j := range a {
			s.Add(s, new(big.Float).SetPrec(prec).Mul(a[i][j], x[j]))
		}
		s.Sub(s, b[i])
		if r, _ := s.Float64(); math.Abs(r) > 1e-55 {
			t.Errorf("row %d: residual %g", i, r)
		}
	}
	if _, err := Cholesky([][]*big.Float{{f(1), f(2)}, {f(2), f(1)}}); err == nil {
		t.Error("indefinite matrix accepted")
	}
}

// TestExpSmallArguments: Exp agrees with exp(x/16)^16 evaluated with many
// guard bits where bigfloat.Exp alone is inaccurate (x in (-745, -708)) and
// far below it, and is bigfloat.Exp unchanged elsewhere.
func TestExpSmallArguments(t *testing.T) {
	for _, prec := range []uint{64, 128, 256, 1024} {
		for _, xv := range []float64{-744, -742.28, -720, -708.5, -1e4, -3.5e6} {
			x := new(big.Float).SetPrec(prec).SetFloat64(xv)
			got := Exp(x)
			wp := 2*prec + 128
			y := new(big.Float).SetPrec(wp).Quo(new(big.Float).SetPrec(wp).Set(x), big.NewFloat(16))
			want := bigfloat.Exp(y)
			for i := 0; i < 4; i++ {
				want.Mul(want, want)
			}
			rel := new(big.Float).SetPrec(wp).Sub(got, want)
			rel.Quo(rel, want)
			r, _ := rel.Float64()
			if math.Abs(r) > math.Ldexp(1, -int(prec)+2) {
				t.Errorf("prec %d, x = %g: relative error %.3g", prec, xv, r)
			}
			if got.Prec() != prec {
				t.Errorf("prec %d: result has precision %d", prec, got.Prec())
			}
		}
	}
	for _, xv := range []float64{-700, -1, 0, 3, 700} {
		x := new(big.Float).SetPrec(256).SetFloat64(xv)
		if Exp(x).Cmp(bigfloat.Exp(x)) != 0 {
			t.Errorf("x = %g: differs from bigfloat.Exp", xv)
		}
	}
}
