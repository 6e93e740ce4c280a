package nccheck

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
)

// torchMSE is the objective of the authors' real-network MSE script
// (Fsoft-AIC/Neural-Collapse-in-Deep-Linear-Networks,
// train_1st_order_unbalanced.py with sep_decay, full batch): torch's
// nn.MSELoss (a mean over the N K entries of Z - Y) halved, plus
// (wd/2)||W||^2 + (fd/2)||H||^2, written out here with loops. It returns
// the objective and the KKT residual of theory.md section 5 for H >= 0:
// max(|grad_W|_inf, |min(H, grad_H)|_inf).
func torchMSE(w, h *mat.Dense, counts []int, wd, fd float64) (obj, residual float64) {
	k, d := w.Dims()
	_, n := h.Dims()
	r := make([][]float64, k) // Z - Y
	for j := range r {
		r[j] = make([]float64, n)
	}
	col := 0
	sq := 0.0
	for c, nc := range counts {
		for s := col; s < col+nc; s++ {
			for j := 0; j < k; j++ {
				z := 0.0
				for i := 0; i < d; i++ {
					z += w.At(j, i) * h.At(i, s)
				}
				if j == c {
					z--
				}
				r[j][s] = z
				sq += z * z
			}
		}
		col += nc
	}
	scale := 1 / float64(n*k)
	obj = sq * scale / 2
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			obj += wd / 2 * w.At(j, i) * w.At(j, i)
			g := wd * w.At(j, i)
			for s := 0; s < n; s++ {
				g += scale * r[j][s] * h.At(i, s)
			}
			residual = math.Max(residual, math.Abs(g))
		}
	}
	for i := 0; i < d; i++ {
		for s := 0; s < n; s++ {
			obj += fd / 2 * h.At(i, s) * h.At(i, s)
			g := fd * h.At(i, s)
			for j := 0; j < k; j++ {
				g += scale * w.At(j, i) * r[j][s]
			}
			residual = math.Max(residual, math.Abs(math.Min(h.At(i, s), g)))
		}
	}
	return obj, residual
}

// TestTorchMSENormalisation: the script's objective is (1/K) times theory.md
// section 1's with the squared error at lambda_W = K wd, lambda_H = K fd
// (theory.md 12b's note on published code). The solver's minimizer at the
// converted lambdas is a KKT point of the script's objective, with the
// script's objective f/K there; the minimizer at the unconverted lambdas
// (wd, fd) is not, and it keeps alive the class 12b collapses at the
// converted ones (n_4 = 5 <= N^2 K^2 wd fd = 9, while N^2 wd fd = 0.56).
func TestTorchMSENormalisation(t *testing.T) {
	counts := []int{40, 20, 10, 5}
	const wd, fd = 1e-2, 1e-2
	k := float64(len(counts))
	solve := func(lw, lh string) *verify.Numeric {
		s := setting.Setting{Counts: counts, Dim: 4, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh), Loss: setting.MSE()}
		num, err := verify.NewSolver(optimize.Settings{}).Solve(context.Background(), s, 1)
		if err != nil {
			t.Fatal(err)
		}
		return num
	}
	classNorm := func(h *mat.Dense, c int) float64 { // ||mu_c||
		first := 0
		for _, n := range counts[:c] {
			first += n
		}
		d, _ := h.Dims()
		ss := 0.0
		for i := 0; i < d; i++ {
			m := 0.0
			for s := first; s < first+counts[c]; s++ {
				m += h.At(i, s) / float64(counts[c])
			}
			ss += m * m
		}
		return math.Sqrt(ss)
	}
	converted := solve("4e-2", "4e-2") // K wd, K fd
	obj, res := torchMSE(converted.W, converted.H, counts, wd, fd)
	if res > 1e-9 || math.Abs(obj-converted.Objective/k) > 1e-14 {
		t.Errorf("at lambda = K wd: script objective %.17g (f/K = %.17g), KKT residual %g; want f/K and ~0", obj, converted.Objective/k, res)
	}
	naive := solve("1e-2", "1e-2")
	objN, resN := torchMSE(naive.W, naive.H, counts, wd, fd)
	if resN < 1e-3 || objN <= obj {
		t.Errorf("at lambda = wd: script objective %.17g (converted %.17g), KKT residual %g; want a worse, non-stationary point", objN, obj, resN)
	}
	if c, n := classNorm(converted.H, 3), classNorm(naive.H, 3); c > 1e-6 || n < 0.1 {
		t.Errorf("||mu_4|| = %g at the converted lambdas (want collapsed), %g at the unconverted (want alive)", c, n)
	}
	t.Logf("script objective %.12g at lambda = K wd (residual %.1e), %.12g at lambda = wd (residual %.1e); ||mu_4|| %.1e and %.3g",
		obj, res, objN, resN, classNorm(converted.H, 3), classNorm(naive.H, 3))
}
