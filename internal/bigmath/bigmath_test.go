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
