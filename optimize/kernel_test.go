package optimize

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMulAddAsmSameBits: the AVX-512 and AVX2 tiles and the Go reference
// give the same bits on random data, for every mode, shapes with tails in rows and
// columns, and strided operands (the three uses in the evaluation).
func TestMulAddAsmSameBits(t *testing.T) {
	if !haveAVX512 && !haveAVX2 {
		t.Skip("no AVX-512 or AVX2 on this machine: only the Go path runs")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for _, sh := range []struct{ rows, width, n int }{
		{4, 8, 1}, {4, 32, 7}, {5, 40, 13}, {7, 27, 3}, {12, 104, 128}, {3, 16, 5}, {9, 61, 100}, {16, 24, 2},
	} {
		for mode := modeZero; mode <= modeScale; mode++ {
			for _, transA := range []bool{false, true} {
				ars, ats := sh.n+3, 1
				if transA {
					ars, ats = 1, sh.rows+2
				}
				a := fill((sh.rows-1)*ars + (sh.n-1)*ats + 1)
				bs := sh.width + 5
				b := fill((sh.n-1)*bs + sh.width)
				cs := sh.width + 1
				c0 := fill((sh.rows-1)*cs + sh.width)
				xs := sh.width + 2
				x := fill((sh.rows-1)*xs + sh.width)
				c1 := append([]float64(nil), c0...)
				c2 := append([]float64(nil), c0...)
				c3 := append([]float64(nil), c0...)
				mulAdd(levelAVX512, sh.rows, sh.width, mode, a, ars, ats, b, bs, sh.n, c1, cs, x, xs, 0.37)
				mulAdd(levelGo, sh.rows, sh.width, mode, a, ars, ats, b, bs, sh.n, c2, cs, x, xs, 0.37)
				mulAdd(levelAVX2, sh.rows, sh.width, mode, a, ars, ats, b, bs, sh.n, c3, cs, x, xs, 0.37)
				for i := range c1 {
					if math.Float64bits(c1[i]) != math.Float64bits(c2[i]) || math.Float64bits(c3[i]) != math.Float64bits(c2[i]) {
						t.Fatalf("shape %+v mode %d transA %v: c[%d] AVX-512 %v, AVX2 %v, Go %v", sh, mode, transA, i, c1[i], c3[i], c2[i])
					}
				}
				// And the values are the products (plain arithmetic, loose).
				for r := 0; r < sh.rows; r++ {
					for e := 0; e < sh.width; e++ {
						want := 0.0
						switch mode {
						case modeAcc:
							want = c0[r*cs+e]
						case modeScale:
							want = 0.37 * x[r*xs+e]
						}
						for k := 0; k < sh.n; k++ {
							want += a[r*ars+k*ats] * b[k*bs+e]
						}
						if got := c1[r*cs+e]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
							t.Fatalf("shape %+v mode %d: c[%d,%d] = %v, want %v", sh, mode, r, e, got, want)
						}
					}
				}
				// Entries outside the rows x width window are untouched.
				for i := range c1 {
					r, e := i/cs, i%cs
					if (r >= sh.rows || e >= sh.width) && c1[i] != c0[i] {
						t.Fatalf("shape %+v: c[%d] outside the window changed", sh, i)
					}
				}
			}
		}
	}
}
