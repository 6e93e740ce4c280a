package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// measurementBits lists every float of a measurement as its bits and every
// count, in a fixed order: two measurements with equal lists are the same
// bits.
func measurementBits(m *Measurement) []uint64 {
	var out []uint64
	put := func(v ...float64) {
		for _, x := range v {
			out = append(out, math.Float64bits(x))
		}
	}
	ints := func(v []int) {
		for _, x := range v {
			out = append(out, uint64(x))
		}
	}
	put(m.Loss, m.FeatureNormSq, m.ClassifierNormSq)
	if m.NC1 != nil {
		put(*m.NC1)
	}
	put(m.Global...)
	put(m.WithinSq...)
	for _, x := range []*mat.Dense{m.Means, m.HTH, m.WWT, m.WH, m.SoftmaxSums} {
		r, c := x.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				put(x.At(i, j))
			}
		}
	}
	ints(m.Counts)
	ints(m.Correct)
	ints(m.NC4Agree)
	return out
}

func sameBits(a, b []uint64) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d values against %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("value %d differs: %#x against %#x", i, a[i], b[i])
		}
	}
	return nil
}

// TestMeasureSameBits checks that Measure gives the same bits on one
// goroutine as on several (the fixed partition of kernel.go), and from
// float32 samples (FromFloat32Rows, Scan32) as from the same values in
// float64 (FromRows), for shapes on both sides of d = K (the NC1
// projections direct or through the centred means) and blocks smaller
// than minParallelRows.
func TestMeasureSameBits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		d      int
		bias   bool
	}{
		{"d > K, bias", []int{300, 200, 500, 123}, 37, true},
		{"d < K", []int{40, 30, 50, 10, 25, 60}, 3, false},
		{"few samples", []int{3, 2, 4}, 9, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, data, labels := randomPoint(5, tc.counts, tc.d, 0.7)
			var b []float64
			if tc.bias {
				for c := range tc.counts {
					b = append(b, 0.2*float64(c)-0.3)
				}
			}
			data32 := make([]float32, len(data))
			for i, v := range data {
				data32[i] = float32(v)
				data[i] = float64(data32[i])
			}
			measure := func(x Samples, procs int) []uint64 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				m, err := Measure(x, w, b, Options{})
				if err != nil {
					t.Fatal(err)
				}
				return measurementBits(m)
			}
			ref := measure(FromRows(data, tc.d, labels), 1)
			for _, procs := range []int{2, 3} {
				if err := sameBits(measure(FromRows(data, tc.d, labels), procs), ref); err != nil {
					t.Errorf("float64 samples, GOMAXPROCS %d against 1: %v", procs, err)
				}
			}
			for _, procs := range []int{1, 2} {
				if err := sameBits(measure(FromFloat32Rows(data32, tc.d, labels), procs), ref); err != nil {
					t.Errorf("float32 samples, GOMAXPROCS %d against float64 on 1: %v", procs, err)
				}
			}
			// Scan of the float32 samples (the float64 path) too.
			x32 := FromFloat32Rows(data32, tc.d, labels)
			if err := sameBits(measure(struct{ Samples }{x32}, 2), ref); err != nil {
				t.Errorf("float32 samples through Scan: %v", err)
			}
		})
	}
}

// TestDots checks dots (and transposed) against a plain loop with the
// same order of sums.
func TestDots(t *testing.T) {
	for _, d := range []int{1, 5, 64} {
		for _, k := range []int{1, 4, 7} {
			x := make([]float64, d)
			rows := make([]float64, k*d)
			for i := range x {
				x[i] = math.Sin(float64(i) + 0.5)
			}
			for i := range rows {
				rows[i] = math.Cos(float64(3*i) + 0.1)
			}
			kp := padded(k)
			z := make([]float64, kp)
			dots(z, x, transposed(k, d, func(j, a int) float64 { return rows[j*d+a] }), kp)
			for j := 0; j < kp; j++ {
				want := 0.0
				if j < k {
					for a := 0; a < d; a++ {
						want += float64(rows[j*d+a] * x[a])
					}
				}
				if math.Float64bits(z[j]) != math.Float64bits(want) {
					t.Errorf("d = %d, K = %d: z[%d] = %v, want %v", d, k, j, z[j], want)
				}
			}
		}
	}
}

// TestDotsRowsSameBits checks dotsRows (the assembly 4 rows at a time
// where the CPU has it, Go for the rest) against dots row by row (Go),
// bit for bit, on values of mixed signs and magnitudes, for column counts
// that use the AVX-512 16-column chunks and the AVX2 8- and 4-column ones,
// and row counts with and without a remainder.
func TestDotsRowsSameBits(t *testing.T) {
	levels := []kernelLevel{levelGo}
	for l := levelAVX2; l <= bestLevel; l++ {
		levels = append(levels, l)
	}
	t.Logf("kernel levels tested (0 Go, 1 AVX2, 2 AVX-512): %v", levels)
	rng := rand.New(rand.NewPCG(7, 8))
	val := func() float64 { return rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)) }
	for _, d := range []int{1, 3, 64, 513} {
		for _, k := range []int{1, 4, 8, 10, 17, 32, 45} {
			for _, rows := range []int{1, 4, 5, 8, 11, 13, 19} {
				kp := padded(k)
				q := transposed(k, d, func(j, a int) float64 { return val() })
				x := make([]float64, rows*d)
				for i := range x {
					x[i] = val()
				}
				for _, level := range levels {
					got := make([]float64, rows*kp)
					dotsRowsAt(level, got, x, q, d, kp)
					want := make([]float64, kp)
					for r := 0; r < rows; r++ {
						dots(want, x[r*d:(r+1)*d], q, kp)
						for j, v := range want {
							if g := got[r*kp+j]; math.Float64bits(g) != math.Float64bits(v) {
								t.Fatalf("level %d, d = %d, K = %d, %d rows: row %d column %d is %v, dots gives %v", level, d, k, rows, r, j, g, v)
							}
						}
					}
				}
			}
		}
	}
}

// TestRowLoopsSameBits checks widen and centre with the assembly (where the
// CPU has it) against their Go loops, bit for bit, for float32 and float64
// rows of lengths on both sides of multiples of 16.
func TestRowLoopsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	val := func() float64 { return rng.NormFloat64() * math.Exp2(float64(rng.IntN(30)-15)) }
	same := func(a, b []float64) bool {
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
		return true
	}
	for _, n := range []int{0, 1, 15, 16, 17, 33, 64, 100, 512} {
		src64, src32, mu, sum0 := make([]float64, n), make([]float32, n), make([]float64, n), make([]float64, n)
		for i := range src64 {
			src32[i] = float32(val())
			src64[i], mu[i], sum0[i] = val(), val(), val()
		}
		check := func(name string, f func(level kernelLevel, dst, sum []float64) float64) {
			dg, sg := make([]float64, n), append([]float64(nil), sum0...)
			vg := f(levelGo, dg, sg)
			da, sa := make([]float64, n), append([]float64(nil), sum0...)
			va := f(bestLevel, da, sa)
			if math.Float64bits(va) != math.Float64bits(vg) || !same(da, dg) || !same(sa, sg) {
				t.Errorf("%s, n = %d: level %d gives %v, Go %v (or other rows)", name, n, bestLevel, va, vg)
			}
		}
		check("widen float32", func(l kernelLevel, dst, sum []float64) float64 { return widenAt(l, dst, sum, src32) })
		check("widen float64", func(l kernelLevel, dst, sum []float64) float64 { return widenAt(l, dst, sum, src64) })
		check("centre float32", func(l kernelLevel, dst, _ []float64) float64 { return centreAt(l, dst, src32, mu) })
		check("centre float64", func(l kernelLevel, dst, _ []float64) float64 { return centreAt(l, dst, src64, mu) })
		// The Go loop against the definition: lane a mod 16, sumLanes.
		var s [lanes]float64
		for a, v := range src64 {
			s[a%lanes] += float64(v * v)
		}
		if got := widenAt(levelGo, make([]float64, n), make([]float64, n), src64); math.Float64bits(got) != math.Float64bits(sumLanes(&s)) {
			t.Errorf("n = %d: widen's Go loop gives %v, the definition %v", n, got, sumLanes(&s))
		}
	}
}
