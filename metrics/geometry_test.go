package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
)

// seliPoint is a point whose class-level geometry is SELI (theory.md
// section 13), built independently of closedform: the SVD Z = U L V^T of
// the simplex-encoded labels Z = S E (K x N, column i is S e_{y_i}, S =
// I - J/K) gives W = U L^{1/2} and H = L^{1/2} V^T (d = K), so W H = Z,
// W W^T = (Z Z^T)^{1/2} = Sigma^{1/2}, Hbar^T Hbar = S (Sigma^+)^{1/2} S and
// W Hbar = S. It returns W (K x K), the features (N x K row-major) and the
// labels.
func seliPoint(t *testing.T, counts []int) (*mat.Dense, []float64, []int) {
	t.Helper()
	k := len(counts)
	labels := ClassLabels(counts)
	n := len(labels)
	z := mat.NewDense(k, n, nil)
	for i, y := range labels {
		for r := 0; r < k; r++ {
			v := -1 / float64(k)
			if r == y {
				v++
			}
			z.Set(r, i, v)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		t.Fatal("SVD of the simplex-encoded labels failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	w := mat.NewDense(k, k, nil)
	data := make([]float64, n*k)
	for j, s := range sv {
		r := math.Sqrt(s)
		for i := 0; i < k; i++ {
			w.Set(i, j, u.At(i, j)*r)
		}
		for i := 0; i < n; i++ {
			data[i*k+j] = v.At(i, j) * r
		}
	}
	return w, data, labels
}

// classGeometry computes W W^T, Hbar^T Hbar and W Hbar with plain loops
// (class means included), for the independent distance of the test.
func classGeometry(w *mat.Dense, data []float64, labels []int) (wwt, hth, wh [][]float64) {
	k, d := w.Dims()
	means := make([][]float64, k)
	cnt := make([]float64, k)
	for c := range means {
		means[c] = make([]float64, d)
	}
	for i, y := range labels {
		cnt[y]++
		for j := 0; j < d; j++ {
			means[y][j] += data[i*d+j]
		}
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= cnt[c]
		}
	}
	square := func() [][]float64 {
		m := make([][]float64, k)
		for i := range m {
			m[i] = make([]float64, k)
		}
		return m
	}
	wwt, hth, wh = square(), square(), square()
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			for j := 0; j < d; j++ {
				wwt[a][b] += w.At(a, j) * w.At(b, j)
				hth[a][b] += means[a][j] * means[b][j]
				wh[a][b] += w.At(a, j) * means[b][j]
			}
		}
	}
	return wwt, hth, wh
}

// distLoops is || A/||A||_F - B/||B||_F ||_F with loops.
func distLoops(a, b [][]float64) float64 {
	na, nb := 0.0, 0.0
	for i := range a {
		for j := range a[i] {
			na += a[i][j] * a[i][j]
			nb += b[i][j] * b[i][j]
		}
	}
	na, nb = math.Sqrt(na), math.Sqrt(nb)
	s := 0.0
	for i := range a {
		for j := range a[i] {
			e := a[i][j]/na - b[i][j]/nb
			s += e * e
		}
	}
	return math.Sqrt(s)
}

// TestDistToSELI: the distance of a point to closedform.SELI is zero (to
// rounding) at the SELI point of the SVD construction, at any scale of W
// and H; at a perturbed point it equals the distance computed with loops
// against the SVD point's own matrices, so that closedform.SELI and the
// SVD of the labels agree and DistTo computes theory.md section 8's dist.
func TestDistToSELI(t *testing.T) {
	for _, counts := range [][]int{{40, 20, 10, 5}, {100, 100, 10, 10}, {200, 100, 50, 20, 10}, {7, 7, 7}, {3, 1}} {
		w, data, labels := seliPoint(t, counts)
		k := len(counts)
		g, err := closedform.SELI(counts, 64)
		if err != nil {
			t.Fatal(err)
		}
		ref := Geometry{WWT: g.WWT.Dense(), HTH: g.HTH.Dense(), WH: g.WH.Dense()}
		crit := Criteria{LambdaW: 1e-2, LambdaH: 1e-2, CollapseTol: 1e-6}
		measure := func(w *mat.Dense, data []float64) GeometryDist {
			m, err := Measure(FromRows(data, k, labels), w, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := m.DistTo(ref, crit)
			if err != nil {
				t.Fatal(err)
			}
			if d.WWT == nil || d.HTH == nil || d.WH == nil || d.Max == nil {
				t.Fatalf("%v: undefined distance %+v", counts, d)
			}
			return d
		}
		// At SELI, scaled: W by 3, H by 1/7.
		var ws mat.Dense
		ws.Scale(3, w)
		scaled := make([]float64, len(data))
		for i, v := range data {
			scaled[i] = v / 7
		}
		at := measure(&ws, scaled)
		if *at.Max > 1e-13 {
			t.Errorf("%v: distance %g (wwt %g, hth %g, wh %g) at the SELI point, want 0", counts, *at.Max, *at.WWT, *at.HTH, *at.WH)
		}
		// A perturbed point against the loops.
		rng := rand.New(rand.NewPCG(uint64(k), 7))
		wp := mat.DenseCopyOf(w)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				wp.Set(i, j, wp.At(i, j)+0.05*rng.NormFloat64())
			}
		}
		dp := append([]float64(nil), data...)
		for i := range dp {
			dp[i] += 0.05 * rng.NormFloat64()
		}
		got := measure(wp, dp)
		w0, h0, z0 := classGeometry(w, data, labels)
		w1, h1, z1 := classGeometry(wp, dp, labels)
		want := []float64{distLoops(w1, w0), distLoops(h1, h0), distLoops(z1, z0)}
		for i, v := range []float64{*got.WWT, *got.HTH, *got.WH} {
			if math.Abs(v-want[i]) > 1e-12 || want[i] < 1e-3 {
				t.Errorf("%v: distance %d = %.15g, loops give %.15g", counts, i, v, want[i])
			}
		}
		if m := max(want[0], want[1], want[2]); math.Abs(*got.Max-m) > 1e-12 {
			t.Errorf("%v: max %g, want %g", counts, *got.Max, m)
		}
	}
}

// TestDistToErrors: a zero point, and a point at the noise level (SELI
// scaled by 1e-9, every class collapsed under the criteria), have undefined
// distances (nil, Max nil); a missing or misshaped reference and invalid
// criteria are errors.
func TestDistToErrors(t *testing.T) {
	counts := []int{2, 1}
	crit := Criteria{LambdaW: 1e-2, LambdaH: 1e-2, CollapseTol: 1e-6}
	g, err := closedform.SELI(counts, 64)
	if err != nil {
		t.Fatal(err)
	}
	ref := Geometry{WWT: g.WWT.Dense(), HTH: g.HTH.Dense(), WH: g.WH.Dense()}
	w, data, labels := seliPoint(t, counts)
	w.Scale(1e-9, w)
	for i := range data {
		data[i] *= 1e-9
	}
	for name, pt := range map[string]struct {
		w    *mat.Dense
		data []float64
	}{"zero": {mat.NewDense(2, 2, nil), make([]float64, 3*2)}, "noise level": {w, data}} {
		m, err := Measure(FromRows(pt.data, 2, labels), pt.w, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.DistTo(ref, crit)
		if err != nil || d.WWT != nil || d.HTH != nil || d.WH != nil || d.Max != nil {
			t.Errorf("%s point: %+v, %v; want every distance undefined", name, d, err)
		}
		for _, bad := range []Geometry{{WWT: ref.WWT, HTH: ref.HTH}, {WWT: ref.WWT, HTH: mat.NewDense(3, 3, nil), WH: ref.WH}} {
			if _, err := m.DistTo(bad, crit); err == nil {
				t.Errorf("reference %v accepted", bad)
			}
		}
		if _, err := m.DistTo(ref, Criteria{LambdaW: 1e-2, LambdaH: 1e-2}); err == nil {
			t.Error("criteria without a collapse tolerance accepted")
		}
	}
}
