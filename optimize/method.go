package optimize

import (
	"fmt"
	"time"
)

// Method is a local minimization method: from a start point it runs until
// the KKT residual is at most Limits.Tol or a limit is hit. Implementations
// are LBFGSB (the default) and ProjectedGradient (the baseline).
//
// A Method value must be safe for concurrent use by several Minimize calls
// (the restarts of Solve run in parallel): keep run state local to Minimize.
type Method interface {
	// Minimize improves x in place. x must be feasible (H >= 0 for a ReLU
	// problem). It returns a report on the run; an error only for invalid
	// input or a non-finite objective at the start point.
	Minimize(e *Evaluator, x []float64, lim Limits) (Local, error)
}

// Limits are the stopping rules of one local run.
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
)

// paused is the status of a local run left early for an escape step
// (Evaluator.pause); the escape step always continues from it, so it is
// never reported.
const paused Status = -1

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
