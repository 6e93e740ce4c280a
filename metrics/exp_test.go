package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpNonPos compares expNonPos with math.Exp on [-708, 0] (a grid and
// random points: relative error at most 2 ulp) and at its edges.
func TestExpNonPos(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	worst := 0.0
	check := func(x float64) {
		got, want := expNonPos(x), math.Exp(x)
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	for i := 0; i <= 200000; i++ {
		check(-708 * float64(i) / 200000)
		check(-708 * rng.Float64())
		check(-rng.ExpFloat64())
	}
	t.Logf("largest relative error %.3g", worst)
	if worst > 4.5e-16 {
		t.Errorf("largest relative error %.3g against math.Exp, want at most 2 ulp", worst)
	}
	for _, x := range []float64{0, math.Copysign(0, -1)} {
		if got := expNonPos(x); got != 1 {
			t.Errorf("expNonPos(%v) = %v, want 1", x, got)
		}
	}
	for _, x := range []float64{-708.0000001, -745, -1e300, math.Inf(-1)} {
		if got := expNonPos(x); got != 0 {
			t.Errorf("expNonPos(%v) = %v, want 0", x, got)
		}
	}
	if got := expNonPos(math.NaN()); !math.IsNaN(got) {
		t.Errorf("expNonPos(NaN) = %v", got)
	}
}

// TestExpShiftedSameBits checks expShifted's assembly (where the CPU has
// it) against expNonPos, bit for bit, on rows of every length up to 19
// with values on both sides of the cut and the largest at 0.
func TestExpShiftedSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 1; n <= 19; n++ {
		z := make([]float64, n)
		zmax := rng.NormFloat64()
		for j := range z {
			z[j] = zmax - math.Abs(rng.NormFloat64())*math.Exp2(float64(rng.IntN(12)))
		}
		z[rng.IntN(n)] = zmax
		got := make([]float64, n)
		expShifted(got, z, zmax)
		for j, v := range z {
			if want := expNonPos(v - zmax); math.Float64bits(got[j]) != math.Float64bits(want) {
				t.Fatalf("n = %d: element %d (x = %v) is %v, expNonPos gives %v", n, j, v-zmax, got[j], want)
			}
		}
	}
}
