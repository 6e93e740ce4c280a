package certificate

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ALTree/bigfloat"
)

// expNear agrees with bigfloat.Exp at twice the precision to a few ulps.
// (Found on the way: bigfloat.Exp(-742.28...) at 2064 bits is wrong in its
// 215th digit; hence the reference below.)
func TestExpNear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, prec := range []uint{64, 128, 320, 1000} {
		for i := 0; i < 60; i++ {
			x := (rng.Float64()*2 - 1) * math.Pow(10, -20+float64(i%24))
			if i%5 == 0 {
				x = -math.Abs(x) * 1e3
			}
			xf := new(big.Float).SetPrec(prec).SetFloat64(x)
			got := expNear(xf, prec)
			// Reference exp(x/8)^8: bigfloat.Exp starts its Newton iteration
			// from math.Exp, and from a subnormal start (x near -742) it
			// stops early at high precision.
			want := bigfloat.Exp(new(big.Float).SetPrec(2*prec+64).Quo(xf, big.NewFloat(8)))
			for j := 0; j < 3; j++ {
				want.Mul(want, want)
			}
			d := new(big.Float).SetPrec(2*prec).Sub(got, want)
			d.Quo(d, want)
			r, _ := d.Float64()
			if math.Abs(r) > math.Ldexp(1, 4-int(prec)) {
				t.Errorf("prec %d, exp(%g): relative error %.3g", prec, x, r)
			}
		}
	}
}

// The error model of the logarithm that LowerValue relies on (doc.go):
// |logNear(y) - log(y)| <= 2^-(prec-8) max(1, |log y|) for y in (0, 1],
// checked against bigfloat.Log at twice the precision plus 64 bits, on
// values from 1e-300 to 1 - 2^-prec, including those next to 1.
func TestLogErrorModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, prec := range []uint{128, 320, 1088} {
		one := new(big.Float).SetPrec(prec).SetInt64(1)
		for i := 0; i < 200; i++ {
			y := new(big.Float).SetPrec(prec)
			switch i % 4 {
			case 0: // log-uniform in [1e-300, 1]
				y.SetFloat64(math.Pow(10, -300*rng.Float64()))
			case 1: // next to 1: 1 - u, u in [2^-prec, 1e-3]
				u := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1+rng.Float64()), -int(10+rng.IntN(int(prec)-12)))
				y.Sub(one, u)
			default: // uniform in (0, 1)
				y.SetFloat64(rng.Float64() + 1e-17)
			}
			if y.Sign() <= 0 || y.Cmp(one) > 0 {
				continue
			}
			got := logNear(y, prec)
			want := bigfloat.Log(new(big.Float).SetPrec(2*prec + 64).Set(y))
			d := new(big.Float).SetPrec(2*prec+64).Sub(got, want)
			d.Abs(d)
			bound := new(big.Float).SetPrec(2*prec + 64).Abs(want)
			if bound.Cmp(big.NewFloat(1)) < 0 {
				bound.SetInt64(1)
			}
			bound.SetMantExp(bound, -int(prec-8))
			if d.Cmp(bound) > 0 {
				t.Errorf("prec %d, log(%s): error %s above the model's %s", prec, y.Text('g', 20), d.Text('g', 5), bound.Text('g', 5))
			}
		}
	}
}
