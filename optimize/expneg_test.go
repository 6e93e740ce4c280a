package optimize

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpNonPos(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	check := func(x float64) {
		got, want := expNonPos(x), math.Exp(x)
		if x < -708 {
			if got != 0 && math.Abs(got-want) > 1e-300 {
				t.Fatalf("expNonPos(%v) = %v, want %v or 0", x, got, want)
			}
			return
		}
		rel := math.Abs(got-want) / want
		worst = math.Max(worst, rel)
		if rel > 1e-15 {
			t.Fatalf("expNonPos(%v) = %v, math.Exp %v, relative error %.3g", x, got, want, rel)
		}
	}
	for _, x := range []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.3465, -0.3466, -0.5, -1, -math.Ln2, -700, -707.9, -708, -708.5, -745, -800, -1e300} {
		check(x)
	}
	for i := 0; i < 1_000_000; i++ {
		check(-r.Float64() * 50)
		check(-r.ExpFloat64() * 100)
	}
	t.Logf("worst relative error %.3g (%.2f ulp)", worst, worst/0x1p-53)
}
