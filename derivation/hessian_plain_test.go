package derivation

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

func plainBalanced(k, n, d int, lw, lh string) setting.Setting {
	counts := make([]int, k)
	for i := range counts {
		counts[i] = n
	}
	s := mkSetting(counts, d, lw, lh)
	s.NoReLU = true
	return s
}

// TestHessianPlainETF: the simplex ETF of theory.md section 9 is a local
// minimum of the plain UFM up to the rotations, with exactly
// (K-1) d - K(K-1)/2 zero eigenvalues (the dimension of the O(d) orbit of a
// rank K-1 point), K-1 of them in each of the d-K+1 unused coordinates.
// Beyond the collapse boundary W = 0, H = 0 is a strict local minimum; on
// the boundary (s = 1/K exactly) it has (K-1) d zero eigenvalues no symmetry
// explains, and the test says degenerate.
func TestHessianPlainETF(t *testing.T) {
	tests := []struct {
		name     string
		s        setting.Setting
		verdict  Verdict
		rank     int
		nearZero int // -1: the orbit dimension (K-1) d - K(K-1)/2
	}{
		{"K=4 d=K-1", plainBalanced(4, 50, 3, "5e-3", "5e-3"), LocalMinimum, 3, -1},
		{"K=4 d=K", plainBalanced(4, 50, 4, "5e-3", "5e-3"), LocalMinimum, 3, -1},
		{"K=4 d=2K", plainBalanced(4, 50, 8, "5e-3", "5e-3"), LocalMinimum, 3, -1},
		{"K=3 d=2 lW!=lH", plainBalanced(3, 20, 2, "1e-2", "3e-2"), LocalMinimum, 2, -1},
		{"K=2 d=1", plainBalanced(2, 100, 1, "1e-3", "2e-3"), LocalMinimum, 1, -1},
		{"K=2 d=3", plainBalanced(2, 100, 3, "1e-3", "2e-3"), LocalMinimum, 1, -1},
		{"K=6 d=12", plainBalanced(6, 7, 12, "2e-3", "3e-3"), LocalMinimum, 5, -1},
		{"collapsed", plainBalanced(5, 10, 3, "0.5", "0.2"), LocalMinimum, 0, 0},
		{"boundary", plainBalanced(4, 4, 3, "0.25", "0.0625"), Degenerate, 0, 3 * 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := closedform.Auto{}.Predict(tc.s, 128)
			if err != nil {
				t.Fatal(err)
			}
			r, err := HessianAtPrediction(p, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			k, d := tc.s.K(), tc.s.Dim
			orbit := 0
			if tc.rank > 0 {
				orbit = (k-1)*d - k*(k-1)/2
			}
			want := tc.nearZero
			if want < 0 {
				want = orbit
			}
			if !r.Plain || r.SpanRank != tc.rank || r.ExpectedZero != orbit {
				t.Errorf("plain %t, span rank %d (want %d), expected zero %d (want %d)", r.Plain, r.SpanRank, tc.rank, r.ExpectedZero, orbit)
			}
			if r.NearZero != want || r.Verdict != tc.verdict || r.Negative != 0 {
				t.Errorf("near zero %d (want %d), negative %d, verdict %s (want %s): %v", r.NearZero, want, r.Negative, r.Verdict, tc.verdict, r.Explanation)
			}
			if r.FreeH != tc.s.N()*d || r.FreeW != k*d || r.Cone.Coordinates != 0 {
				t.Errorf("free H %d (want N d = %d), free W %d, cone coordinates %d", r.FreeH, tc.s.N()*d, r.FreeW, r.Cone.Coordinates)
			}
			unused := d - tc.rank
			if r.Unused != unused {
				t.Errorf("unused coordinates %d, want %d", r.Unused, unused)
			}
			if unused > 0 && tc.rank > 0 && r.UnusedZero != tc.rank {
				t.Errorf("%d zero eigenvalues per unused coordinate, want K-1 = %d", r.UnusedZero, tc.rank)
			}
			if r.Verdict == LocalMinimum && !(r.SmallestNonzero > 0) {
				t.Errorf("local minimum with smallest nonzero eigenvalue %g", r.SmallestNonzero)
			}
		})
	}
}

// plainGroupedPoint is the ETF of s (grouped by class) and the same point
// with one column per sample.
func plainGroupedPoint(t *testing.T, s setting.Setting) (grouped, separate *floatPoint) {
	t.Helper()
	p, err := closedform.Auto{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	grouped = floatPointOf(MinimizerPoint(m))
	separate = &floatPoint{W: grouped.W, Columns: m.HDense(), Labels: m.Labels}
	for range m.Labels {
		separate.Mult = append(separate.Mult, 1)
	}
	return grouped, separate
}

// fdSpectrum returns the eigenvalues (ascending) of the Hessian of f at fp
// (one column per sample) by central differences of the exact gradient.
func fdSpectrum(t *testing.T, s setting.Setting, fp *floatPoint) []float64 {
	t.Helper()
	k, d := s.K(), s.Dim
	_, n := fp.Columns.Dims()
	dim := k*d + n*d
	set := func(v int, delta float64) {
		if v < k*d {
			fp.W.Set(v/d, v%d, fp.W.At(v/d, v%d)+delta)
			return
		}
		q := v - k*d
		fp.Columns.Set(q%d, q/d, fp.Columns.At(q%d, q/d)+delta)
	}
	const step = 1e-5
	hm := mat.NewDense(dim, dim, nil)
	for v := 0; v < dim; v++ {
		set(v, step)
		gp := gradient64(t, s, fp)
		set(v, -2*step)
		gm := gradient64(t, s, fp)
		set(v, step)
		for u := 0; u < dim; u++ {
			hm.Set(u, v, (gp[u]-gm[u])/(2*step))
		}
	}
	sym := mat.NewSymDense(dim, nil)
	for u := 0; u < dim; u++ {
		for v := 0; v <= u; v++ {
			sym.SetSym(u, v, (hm.At(u, v)+hm.At(v, u))/2)
		}
	}
	vals, _, err := eigenSym(sym, false)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// TestHessianPlainSpectrum: the full spectrum the plain-UFM test reports
// (reduced matrix, within-group blocks and the decoupled unused
// coordinates) is the spectrum of the full Hessian by finite differences,
// at the ETF with unused coordinates (grouped and per-sample) and at a
// random point with negative and zero entries of H.
func TestHessianPlainSpectrum(t *testing.T) {
	etf := plainBalanced(3, 2, 4, "3e-2", "2e-2")
	grouped, separate := plainGroupedPoint(t, etf)
	rnd := mkSetting([]int{2, 1, 2}, 3, "0.3", "0.2")
	rnd.NoReLU = true
	rng := rand.New(rand.NewPCG(11, 12))
	rp := positivePoint(rng, rnd)
	_, n := rp.Columns.Dims()
	for g := 0; g < n; g++ {
		for i := 0; i < rnd.Dim; i++ {
			rp.Columns.Set(i, g, rp.Columns.At(i, g)-0.6) // some entries negative
		}
	}
	rp.Columns.Set(1, 2, 0) // and one exactly 0, free in the plain UFM
	for _, tc := range []struct {
		name     string
		s        setting.Setting
		reported *floatPoint
		full     *floatPoint
	}{
		{"etf grouped", etf, grouped, separate},
		{"etf per sample", etf, separate, separate},
		{"random", rnd, rp, rp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := hessianFloat(tc.s, tc.reported, HessianOptions{Smallest: 10000})
			if err != nil {
				t.Fatal(err)
			}
			want := fdSpectrum(t, tc.s, tc.full)
			got := append([]float64(nil), r.Smallest...)
			sort.Float64s(got)
			if len(got) != len(want) {
				t.Fatalf("%d eigenvalues reported, the full Hessian has %d", len(got), len(want))
			}
			scale := math.Max(math.Abs(want[0]), math.Abs(want[len(want)-1]))
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-7*scale {
					t.Errorf("eigenvalue %d: reported %.10g, finite differences %.10g", i, got[i], want[i])
				}
			}
		})
	}
}

// TestOrbitDimension: r d - r(r+1)/2 is the rank of the tangent vectors
// A X (A skew-symmetric, one per pair of coordinates) at a point X = [W^T H]
// of rank r, counted here directly with an SVD; spanRank finds r.
func TestOrbitDimension(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ k, n, d, r int }{{3, 4, 4, 2}, {4, 5, 6, 3}, {2, 3, 5, 1}, {5, 6, 4, 4}, {3, 3, 3, 0}} {
		s := mkSetting(make([]int, tc.k), tc.d, "0.1", "0.1")
		for i := range s.Counts {
			s.Counts[i] = 1
		}
		s.Counts[0] = tc.n - tc.k + 1
		s.NoReLU = true
		// A random point of rank r: every column in the span of r random vectors.
		basis := mat.NewDense(tc.d, max(tc.r, 1), nil)
		for i := 0; i < tc.d; i++ {
			for j := 0; j < tc.r; j++ {
				basis.Set(i, j, rng.NormFloat64())
			}
		}
		comb := func(cols int) *mat.Dense {
			c := mat.NewDense(max(tc.r, 1), cols, nil)
			for i := 0; i < tc.r; i++ {
				for j := 0; j < cols; j++ {
					c.Set(i, j, rng.NormFloat64())
				}
			}
			var out mat.Dense
			out.Mul(basis, c)
			return &out
		}
		wt, hcols := comb(tc.k), comb(tc.n)
		fp := &floatPoint{W: mat.DenseCopyOf(wt.T()), Columns: hcols}
		for c, nc := range s.Counts {
			for j := 0; j < nc; j++ {
				fp.Labels = append(fp.Labels, c)
				fp.Mult = append(fp.Mult, 1)
			}
		}
		h, err := newHessian(s, fp, HessianOptions{}.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.prepare(); err != nil {
			t.Fatal(err)
		}
		if got := h.spanRank(); got != tc.r {
			t.Errorf("%+v: spanRank %d", tc, got)
		}
		// X = [W^T H], d x (K+N); tangent vectors A X for A = E_ab - E_ba.
		x := mat.NewDense(tc.d, tc.k+tc.n, nil)
		x.Slice(0, tc.d, 0, tc.k).(*mat.Dense).Copy(wt)
		x.Slice(0, tc.d, tc.k, tc.k+tc.n).(*mat.Dense).Copy(hcols)
		var vecs [][]float64
		for a := 0; a < tc.d; a++ {
			for b := a + 1; b < tc.d; b++ {
				v := make([]float64, tc.d*(tc.k+tc.n))
				for j := 0; j < tc.k+tc.n; j++ {
					v[a*(tc.k+tc.n)+j] = x.At(b, j)  // row a of A X = X[b, :]
					v[b*(tc.k+tc.n)+j] = -x.At(a, j) // row b = -X[a, :]
				}
				vecs = append(vecs, v)
			}
		}
		rank := 0
		if len(vecs) > 0 {
			m := mat.NewDense(len(vecs), len(vecs[0]), nil)
			for i, v := range vecs {
				m.SetRow(i, v)
			}
			var svd mat.SVD
			if !svd.Factorize(m, mat.SVDNone) {
				t.Fatal("SVD failed")
			}
			vals := svd.Values(nil)
			for _, v := range vals {
				if v > 1e-9*vals[0] {
					rank++
				}
			}
		}
		if got := orbitDim(tc.r, tc.d); got != rank {
			t.Errorf("%+v: orbitDim %d, tangent vectors of rank %d", tc, got, rank)
		}
	}
}
