package optimize

import (
	"fmt"
	"time"
)

// Objective is the function a Method minimizes: the objective f of a
// Problem and its gradient, on variable vectors (layout: Problem.Vector).
// *Evaluator implements it; a Method may also be run on any other
// implementation (a wrapper that records the evaluations, say).
type Objective interface {
	// Problem returns the problem whose objective this is (its layout and
	// its bound H >= 0 when ReLU).
	Problem() *Problem
	// FuncGrad returns f(x) and stores the gradient in grad (the length of
	// x). A non-finite f is an error wrapping setting.ErrNonFinite.
	FuncGrad(x, grad []float64) (float64, error)
}

// Method is a local minimization method: from a start point it runs until
// the KKT residual is at most Limits.Tol or a limit is hit. A Method owns
// its state (its work vectors, kept from one run to the next of the same
// size), so it is used by one goroutine at a time; Solve makes one per
// worker with Settings.NewMethod. Implementations are *LBFGSB (the
// default) and *ProjectedGradient (the baseline).
//
// A Method that also implements MemoryReporter has its memory counted by
// Problem.PredictMemory, as the built-in ones do.
type Method interface {
	// Minimize improves x in place. x must be feasible (H >= 0 for a ReLU
	// problem). It returns a report on the run; an error only for invalid
	// input or a non-finite objective at the start point.
	Minimize(obj Objective, x []float64, lim Limits) (Local, error)
}

// MemoryReporter is implemented by a Method that can say, before it runs,
// how much memory it allocates (Problem.PredictMemory asks it).
type MemoryReporter interface {
	// MemoryBytes returns the bytes the method allocates for runs on p:
	// its work vectors and scratch, allocated on the first run and kept
	// for later runs on problems of the same size.
	MemoryBytes(p *Problem) int64
}

// Limits are the stopping rules of one local run, and its hook.
type Limits struct {
	// Tol is the KKT residual at which the run stops (converged).
	Tol float64
	// MaxIter bounds the number of iterations; 0 means no bound.
	MaxIter int
	// Deadline, if not zero, stops the run at that time.
	Deadline time.Time
	// Done, if not nil, stops the run (status Canceled) once it is closed:
	// it is polled without blocking before every iteration and every trial
	// step of a line search (SolveContext passes ctx.Done()).
	Done <-chan struct{}
	// Pause, if not nil, is called by the method after iteration iter
	// (1, 2, ...) has moved to x, when x is not converged; true ends the
	// run there with status Paused. The evaluation at x is the method's
	// last Objective.FuncGrad call, so the state an Evaluator keeps of its
	// last evaluation is that of x. Solve uses it to leave a local run
	// early for an escape (see escaper); LBFGSB calls it, ProjectedGradient
	// does not (a method may ignore it).
	Pause func(iter int, x []float64) bool
}

// Status tells why a local run stopped.
type Status int

const (
	// Converged: the KKT residual reached Limits.Tol.
	Converged Status = iota
	// IterationLimit: Limits.MaxIter iterations were done.
	IterationLimit
	// TimeLimit: Limits.Deadline passed.
	TimeLimit
	// LineSearchFailed: no step lowered the objective any more (the
	// residual is then at the level of float64 rounding of f).
	LineSearchFailed
	// Canceled: Limits.Done was closed (the context of SolveContext was
	// canceled or its deadline passed).
	Canceled
	// Paused: Limits.Pause returned true. Solve always continues from a
	// paused run (an escape step, then the local method again), so a
	// RestartReport never has this status.
	Paused
)

func (s Status) String() string {
	switch s {
	case Converged:
		return "converged"
	case IterationLimit:
		return "iteration limit"
	case TimeLimit:
		return "time limit"
	case LineSearchFailed:
		return "line search failed"
	case Canceled:
		return "canceled"
	case Paused:
		return "paused"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Local is the report of one local run.
type Local struct {
	// F is the objective and Residual the KKT residual at the final x.
	F, Residual float64
	Status      Status
	// Iterations and Evaluations (objective+gradient evaluations) done.
	Iterations, Evaluations int
}

// project clamps the H block of x to H >= 0 for a ReLU problem.
func project(p *Problem, x []float64) {
	if !p.ReLU {
		return
	}
	h := x[p.offH():p.offB()]
	for i, v := range h {
		if v < 0 {
			h[i] = 0
		}
	}
}

// stop reports whether a local run must stop before its next iteration, and
// why: the residual reached Tol, MaxIter iterations were done, Done was
// closed, or the deadline passed (the clock is read only when checkClock is
// set, so callers can read it every few iterations).
func (lim Limits) stop(res float64, it int, checkClock bool) (Status, bool) {
	switch {
	case res <= lim.Tol:
		return Converged, true
	case lim.MaxIter > 0 && it >= lim.MaxIter:
		return IterationLimit, true
	case lim.canceled():
		return Canceled, true
	case checkClock && !lim.Deadline.IsZero() && time.Now().After(lim.Deadline):
		return TimeLimit, true
	}
	return 0, false
}

// canceled reports, without blocking, whether Done is closed.
func (lim Limits) canceled() bool {
	if lim.Done == nil {
		return false
	}
	select {
	case <-lim.Done:
		return true
	default:
		return false
	}
}

// interrupted reports whether a run must stop now, between two steps of
// an iteration (Done closed or the deadline passed), and with which status.
func (lim Limits) interrupted() (Status, bool) {
	if lim.canceled() {
		return Canceled, true
	}
	if !lim.Deadline.IsZero() && time.Now().After(lim.Deadline) {
		return TimeLimit, true
	}
	return 0, false
}

// parallelism returns the threads, the helper pool and the kernel choice a
// method's vector loops use on obj: those of an *Evaluator (its loops and
// the evaluations then share the helper goroutines), else one thread.
func parallelism(obj Objective) (threads int, pl *pool, asm bool) {
	if e, ok := obj.(*Evaluator); ok {
		return e.threads, e.pool, e.asm
	}
	return 1, nil, true
}
