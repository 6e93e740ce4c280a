package optimize

import (
	"fmt"
	"math"
)

// ProjectedGradient is the baseline: fixed-step projected gradient descent,
// x <- P(x - Step * grad f(x)), with P the projection onto H >= 0 (the
// plain gradient step for the UFM). This is what published code for this
// model runs (full-batch gradient descent with weight decay and a fixed
// learning rate); it is kept for the benchmarks.
//
// A step that makes f non-finite is an error: a fixed-step method has no way
// to recover from it. It does not call Limits.Pause. Its one work vector
// (the gradient) belongs to the value, as LBFGSB's.
type ProjectedGradient struct {
	// Step is the fixed step size (learning rate). Default 1.
	Step float64

	grad []float64 // the gradient, kept for later runs
}

// MemoryBytes implements MemoryReporter: one vector, 8 p.NumVars() bytes.
func (m *ProjectedGradient) MemoryBytes(p *Problem) int64 { return 8 * int64(p.NumVars()) }

// Minimize implements Method.
func (m *ProjectedGradient) Minimize(obj Objective, x []float64, lim Limits) (Local, error) {
	p := obj.Problem()
	if len(x) != p.NumVars() {
		return Local{}, fmt.Errorf("optimize: projected gradient: x has length %d, want %d", len(x), p.NumVars())
	}
	step := m.Step
	if step == 0 {
		step = 1
	}
	if !(step > 0) {
		return Local{}, fmt.Errorf("optimize: projected gradient: step %v must be positive", step)
	}
	project(p, x)
	if len(m.grad) != len(x) {
		m.grad = make([]float64, len(x))
	}
	g := m.grad
	f, err := obj.FuncGrad(x, g)
	if err != nil {
		return Local{}, fmt.Errorf("optimize: projected gradient: start point: %w", err)
	}
	evals := 1
	res := p.Residual(x, g)
	it := 0
	status := Converged
	for {
		if st, done := lim.stop(res, it, it%16 == 0); done {
			status = st
			break
		}
		it++
		axpy(-step, g, x)
		project(p, x)
		f, err = obj.FuncGrad(x, g)
		evals++
		if err != nil {
			return Local{F: f, Residual: math.NaN(), Status: IterationLimit, Iterations: it, Evaluations: evals},
				fmt.Errorf("optimize: projected gradient: iteration %d (step %v): %w", it, step, err)
		}
		res = p.Residual(x, g)
	}
	return Local{F: f, Residual: res, Status: status, Iterations: it, Evaluations: evals}, nil
}
