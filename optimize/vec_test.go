package optimize

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecKernelsSameBits: the AVX-512 vector kernels give the same bits as
// their Go versions, on random data with every tail length and with
// binding entries (x at 0 or within eps, positive and negative g).
func TestVecKernelsSameBits(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 on this machine: only the Go path runs")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	vec := func(n int, nonneg bool) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
			if nonneg {
				switch rng.IntN(4) {
				case 0:
					v[i] = 0
				case 1:
					v[i] = 1e-4 * math.Abs(v[i])
				default:
					v[i] = math.Abs(v[i])
				}
			}
		}
		return v
	}
	same := func(name string, a, b []float64) {
		t.Helper()
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s[%d]: asm %v, Go %v", name, i, a[i], b[i])
			}
		}
	}
	for _, n := range []int{1, 7, 8, 9, 16, 23, 64, 512, 517} {
		u, v, a, b := vec(n, false), vec(n, false), vec(n, false), vec(n, false)
		o1, o2 := dot4(true, u, v, a, b), dot4(false, u, v, a, b)
		same("dot4", o1[:], o2[:])
		want := 0.0
		for i := range u {
			want += u[i] * a[i]
		}
		if math.Abs(o1[0]-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("dot4 n=%d: %v, want %v", n, o1[0], want)
		}

		d1, d2 := vec(n, false), []float64(nil)
		d2 = append(d2, d1...)
		axpy2(true, 0.3, u, -1.7, v, d1)
		axpy2(false, 0.3, u, -1.7, v, d2)
		same("axpy2", d1, d2)

		for _, bounded := range []bool{false, true} {
			x, g := vec(n, true), vec(n, false)
			m1, m2 := make([]float64, n), make([]float64, n)
			maskScale(true, bounded, 2.5, x, g, 1e-3, m1)
			maskScale(false, bounded, 2.5, x, g, 1e-3, m2)
			same("maskScale", m1, m2)

			for _, trial := range []bool{false, true} {
				buf := vec(n, false)
				dd1, dd2 := make([]float64, n), make([]float64, n)
				xt1, xt2 := make([]float64, n), make([]float64, n)
				a1, b1, c1 := finishDir(true, bounded, trial, x, g, buf, dd1, xt1, 1e-3, 0.1)
				a2, b2, c2 := finishDir(false, bounded, trial, x, g, buf, dd2, xt2, 1e-3, 0.1)
				same("finishDir sums", []float64{a1, b1, c1}, []float64{a2, b2, c2})
				same("finishDir d", dd1, dd2)
				same("finishDir xt", xt1, xt2)
			}

			xt, gt := vec(n, true), vec(n, false)
			s1, s2 := make([]float64, n), make([]float64, n)
			y1, y2 := make([]float64, n), make([]float64, n)
			f1, f2 := make([]float64, n), make([]float64, n)
			k1, k2 := make([]float64, n), make([]float64, n)
			p1 := pairStep(true, bounded, x, xt, g, gt, s1, y1, f1, k1, 1e-3, 0.7, 0.01, 0.02)
			p2 := pairStep(false, bounded, x, xt, g, gt, s2, y2, f2, k2, 1e-3, 0.7, 0.01, 0.02)
			same("pairStep sums", p1[:], p2[:])
			same("pairStep s", s1, s2)
			same("pairStep y", y1, y2)
			same("pairStep buf", f1, f2)
			same("pairStep mask", k1, k2)
			for i := range k1 {
				if k1[i] != 0 && k1[i] != 1 || (k1[i] == 0) != (bounded && xt[i] <= 1e-3 && gt[i] > 0) {
					t.Fatalf("pairStep mask[%d] = %v (xt %v, gt %v, bounded %v)", i, k1[i], xt[i], gt[i], bounded)
				}
			}
			q1, q2 := dot4m(true, u, v, a, b, k1), dot4m(false, u, v, a, b, k1)
			same("dot4m", q1[:], q2[:])
		}
	}
}

// TestLBFGSBAsmSameBits: a local run with the assembly kernels (product
// tiles and vector passes) gives the same bits as one with the Go versions
// (what a machine without AVX-512 runs), with and without bias and bounds.
func TestLBFGSBAsmSameBits(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 on this machine: only the Go path runs")
	}
	for _, p := range []*Problem{
		{Counts: []int{300, 200, 150, 60, 7}, Dim: 21, LambdaW: 1e-3, LambdaH: 1e-3, ReLU: true},
		{Counts: []int{300, 200, 150, 60, 7}, Dim: 13, LambdaW: 1e-3, LambdaH: 1e-3, Bias: true, LambdaB: 1e-2},
	} {
		var xs [2][]float64
		var locs [2]Local
		for i, asm := range []bool{true, false} {
			e, err := NewEvaluator(p)
			if err != nil {
				t.Fatal(err)
			}
			e.asm = asm
			e.SetThreads(2)
			x := make([]float64, p.NumVars())
			InitialPoint(p, 3, 1, x)
			locs[i], err = (&LBFGSB{}).Minimize(e, x, Limits{Tol: 1e-10, MaxIter: 300})
			if err != nil {
				t.Fatal(err)
			}
			xs[i] = x
		}
		if locs[0] != locs[1] {
			t.Errorf("asm %+v, Go %+v", locs[0], locs[1])
		}
		for j := range xs[0] {
			if math.Float64bits(xs[0][j]) != math.Float64bits(xs[1][j]) {
				t.Fatalf("x[%d]: asm %v, Go %v", j, xs[0][j], xs[1][j])
			}
		}
		t.Logf("%+v", locs[0])
	}
}

// TestSoftmaxRowSameBits: the AVX-512 softmax of a row of logits gives the
// same bits as the Go version, for K from 1 to 40 and 100, with ties for
// the largest logit and logits more than 708 below it.
func TestSoftmaxRowSameBits(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 on this machine: only the Go path runs")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	ks := []int{100, 104}
	for k := 1; k <= 40; k++ {
		ks = append(ks, k)
	}
	for _, k := range ks {
		for trial := 0; trial < 20; trial++ {
			kp := (k + 7) &^ 7
			a := make([]float64, kp)
			for j := 0; j < k; j++ {
				a[j] = 5 * rng.NormFloat64()
				switch rng.IntN(10) {
				case 0:
					a[j] = -800 - 100*rng.Float64()
				case 1:
					a[j] = 3 // ties at the largest
				}
			}
			b := append([]float64(nil), a...)
			m1, r1 := softmaxRow(true, a[:k], 1.0/3000)
			m2, r2 := softmaxRow(false, b[:k], 1.0/3000)
			if math.Float64bits(m1) != math.Float64bits(m2) || math.Float64bits(r1) != math.Float64bits(r2) {
				t.Fatalf("k=%d: m, rest asm %v %v, Go %v %v", k, m1, r1, m2, r2)
			}
			for j := range a {
				if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
					t.Fatalf("k=%d: row[%d] asm %v, Go %v", k, j, a[j], b[j])
				}
			}
			sum := 0.0
			for _, v := range a[:k] {
				sum += v
			}
			if math.Abs(sum*3000-1) > 1e-13 {
				t.Fatalf("k=%d: probabilities sum to %v", k, sum*3000)
			}
		}
	}
}
