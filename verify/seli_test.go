package verify

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/optimize"
	"nccheck/setting"
)

// seliTestPoint is W = U L^{1/2}, H = L^{1/2} V^T from the SVD of the
// simplex-encoded labels Z = S E (K x N, samples class by class): a point
// whose class-level geometry is SELI (theory.md section 13), built without
// closedform. d = K.
func seliTestPoint(t *testing.T, counts []int) (w, h *mat.Dense) {
	t.Helper()
	k, n := len(counts), 0
	for _, c := range counts {
		n += c
	}
	z := mat.NewDense(k, n, nil)
	col := 0
	for y, c := range counts {
		for i := 0; i < c; i++ {
			for r := 0; r < k; r++ {
				z.Set(r, col, -1/float64(k))
			}
			z.Set(y, col, z.At(y, col)+1)
			col++
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		t.Fatal("SVD failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	w, h = mat.NewDense(k, k, nil), mat.NewDense(k, n, nil)
	for j, s := range sv {
		r := math.Sqrt(s)
		for i := 0; i < k; i++ {
			w.Set(i, j, u.At(i, j)*r)
		}
		for i := 0; i < n; i++ {
			h.Set(j, i, v.At(i, j)*r)
		}
	}
	return w, h
}

// TestRowSELI: rows of the plain UFM with cross-entropy, bias-free, carry
// the distance to SELI: zero at the SVD construction of SELI, and at the
// solver's minimizer of n = (40, 20, 10, 5), lambda = 1e-2 the value
// theory.md section 13 reports (dist(W W^T, Sigma^{1/2}) about 0.16), the
// verdict untouched (out-of-scope); undefined at a point whose classes all
// count as collapsed (rounding noise); rows with ReLU, a bias, another loss or
// d < K - 1 carry none; the field survives a JSON round trip and CheckRow
// (render's TestSELIColumns renders it).
func TestRowSELI(t *testing.T) {
	plain := mk([]int{40, 20, 10, 5}, 4, "1e-2", "1e-2")
	plain.NoReLU = true
	at := SolverFunc(func(_ context.Context, s setting.Setting, _ uint64) (*Numeric, error) {
		w, h := seliTestPoint(t, s.Counts)
		w.Scale(2, w)
		return &Numeric{Point: optimize.Point{W: w, H: h}, Objective: objective(s, w, h), Converged: true}, nil
	})
	r := CheckCase(context.Background(), 0, Case{Name: "at-seli", Setting: plain}, Config{Solver: at})[0]
	if r.SELI == nil || r.SELI.Max == nil || *r.SELI.Max > 1e-13 {
		t.Fatalf("at SELI: %+v, want distances ~0", r.SELI)
	}
	if r.Verdict != OutOfScope {
		t.Errorf("at SELI: verdict %s, want out-of-scope", r.Verdict)
	}

	noise := SolverFunc(func(_ context.Context, s setting.Setting, _ uint64) (*Numeric, error) {
		w, h := seliTestPoint(t, s.Counts)
		w.Scale(1e-9, w)
		h.Scale(1e-9, h)
		return &Numeric{Point: optimize.Point{W: w, H: h}, Objective: objective(s, w, h), Converged: true}, nil
	})
	collapsed := CheckCase(context.Background(), 0, Case{Name: "collapsed", Setting: plain}, Config{Solver: noise})[0]
	if collapsed.SELI == nil || collapsed.SELI.Max != nil || collapsed.SELI.WWT != nil {
		t.Errorf("every class collapsed: SELI %+v, want undefined distances", collapsed.SELI)
	}

	solved := CheckCase(context.Background(), 0, Case{Name: "solved", Setting: plain}, Config{Solver: NewSolver(optimize.Settings{})})[0]
	if solved.SELI == nil || solved.SELI.WWT == nil || math.Abs(*solved.SELI.WWT-0.16) > 0.01 {
		t.Errorf("solver's point: SELI %+v, want dist(W W^T) about 0.16", solved.SELI)
	}
	b, err := json.Marshal(solved)
	if err != nil {
		t.Fatal(err)
	}
	var back Row
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.SELI == nil || *back.SELI.Max != *solved.SELI.Max || *back.SELI.HTH != *solved.SELI.HTH {
		t.Errorf("JSON round trip: %+v, want %+v", back.SELI, solved.SELI)
	}
	if err := CheckRow(back, DefaultTolerances()); err != nil {
		t.Error(err)
	}

	relu := mk([]int{40, 20, 10, 5}, 4, "1e-2", "1e-2")
	bias := plain.Clone()
	bias.Bias, bias.LambdaB = true, setting.MustDecimal("1e-3")
	mse := plain.Clone()
	mse.Loss = setting.MSE()
	narrow := plain.Clone()
	narrow.Dim = 2
	for name, s := range map[string]setting.Setting{"relu": relu, "bias": bias, "mse": mse, "d < K-1": narrow} {
		r := CheckCase(context.Background(), 0, Case{Name: "x", Setting: s}, Config{Solver: NewSolver(optimize.Settings{Restarts: 1})})[0]
		if r.SELI != nil {
			t.Errorf("%s: SELI %+v on a row SELI is not the reference of", name, r.SELI)
		}
		if r.Verdict == Failed {
			t.Errorf("%s: %s", name, r.Error)
		}
	}
}
