// Package verifytest holds the test doubles of the packages under verify
// (rowfile, render): a solver returning the predicted point, so that rows
// of every kind are made in milliseconds. It is not part of what is
// checked. (verify's own tests keep their copy: a test of a package cannot
// import a package that imports it.)
package verifytest

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
)

// PointSolver returns the paper's explicit minimizer (closedform.Auto)
// as the solution, transformed by Transform when set, with the objective
// evaluated at the returned point in float64 plus Offset (bias-free
// settings only).
type PointSolver struct {
	Transform func(w, h *mat.Dense)
	Offset    float64
}

// Solve implements verify.Solver.
func (ps PointSolver) Solve(_ context.Context, s setting.Setting, _ uint64) (*verify.Numeric, error) {
	p, err := closedform.Auto{}.Predict(s, 0)
	if err != nil {
		return nil, err
	}
	m, err := p.Minimizer()
	if err != nil {
		return nil, err
	}
	w, h := m.WDense(), m.HDense()
	if ps.Transform != nil {
		ps.Transform(w, h)
	}
	f := Objective(s, w, h)
	return &verify.Numeric{Point: optimize.Point{W: w, H: h}, Objective: f + ps.Offset, Converged: true, RestartObjectives: []float64{f, f}}, nil
}

// Objective evaluates f(W, H) of theory.md section 1 (cross-entropy,
// bias-free) in float64.
func Objective(s setting.Setting, w, h *mat.Dense) float64 {
	var z mat.Dense
	z.Mul(w, h)
	k, n := z.Dims()
	loss := 0.0
	col := 0
	for c, nk := range s.Counts {
		for j := col; j < col+nk; j++ {
			mx := math.Inf(-1)
			for i := 0; i < k; i++ {
				mx = math.Max(mx, z.At(i, j))
			}
			sum := 0.0
			for i := 0; i < k; i++ {
				sum += math.Exp(z.At(i, j) - mx)
			}
			loss += mx + math.Log(sum) - z.At(c, j)
		}
		col += nk
	}
	wf, hf := mat.Norm(w, 2), mat.Norm(h, 2)
	return loss/float64(n) + s.LambdaW.Float64()/2*wf*wf + s.LambdaH.Float64()/2*hf*hf
}

// Setting returns the bias-free cross-entropy setting of the counts n,
// dimension d and the decimal lambdas.
func Setting(n []int, d int, lw, lh string) setting.Setting {
	return setting.Setting{Counts: n, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}
}
