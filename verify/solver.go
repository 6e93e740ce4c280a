package verify

import (
	"context"
	"fmt"
	"strconv"

	"nccheck/certificate"
	"nccheck/optimize"
	"nccheck/setting"
)

// Numeric is a numerical solution of one setting, as a Solver returns it.
type Numeric struct {
	// Point is (W, H, b): W is K x d, H is d x N with the samples laid out
	// class by class (class 1's n_1 columns first), B nil without a bias.
	optimize.Point
	// Objective is f at the point and Residual the KKT residual there
	// (theory.md section 5); Converged reports that the solver's stopping
	// rule was met.
	Objective, Residual float64
	Converged           bool
	// RestartObjectives holds the final objective of every restart.
	RestartObjectives []float64
	// Iterations and Evaluations count the solver's work.
	Iterations, Evaluations int
}

// Solver solves the full training problem of a setting numerically. It
// must not use any prediction, and should stop early, with an error, when
// ctx is cancelled.
type Solver interface {
	Solve(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error)
}

// SolverFunc adapts a function to Solver.
type SolverFunc func(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error)

// Solve calls f.
func (f SolverFunc) Solve(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error) {
	return f(ctx, s, seed)
}

// TolSolver is a Solver whose stopping residual a case can tighten
// (Case.SolverTol).
type TolSolver interface {
	Solver
	// WithTol returns the solver stopping at the KKT residual tol.
	WithTol(tol float64) Solver
}

// ParamSolver is a Solver that lists the settings that change its
// results, by command-line flag name (for the header of a row file,
// HeaderOf).
type ParamSolver interface {
	Solver
	Params() map[string]string
}

// NewSolver returns the solver of package optimize with the given settings
// (its Seed is replaced by the seed of each call): projected L-BFGS from
// set.Restarts random starts with escapes from stationary points above the
// minimum; the best restart is the solution. It never sees a prediction.
// Cancelling the context stops a solve. It is a TolSolver and a
// ParamSolver.
//
// With set.CertTol > 0 and no set.Certifier, each solve has the float64
// bound of theory.md section 11 at its restarts' points as its Certifier
// (certificate.AtPoint, for the settings it applies to): a restart whose
// bracket is wider than CertTol is polished (optimize.Settings.MaxPolish),
// and the restarts after the first certified one are not run, so
// RestartObjectives has the restarts up to it. verify's command passes
// --tol-objective as CertTol, the width its certified verdict asks for.
func NewSolver(set optimize.Settings) TolSolver { return optimizeSolver{set} }

// Params lists the settings that change the solver's results: restarts,
// tol and max-iter (as verify's flags name them; 0 is the default), and
// the other settings of optimize.Settings when they are not the default.
func (o optimizeSolver) Params() map[string]string {
	s := o.set
	p := map[string]string{"restarts": strconv.Itoa(s.Restarts), "tol": strconv.FormatFloat(s.Tol, 'g', -1, 64), "max-iter": strconv.Itoa(s.MaxIter)}
	if s.NewMethod != nil {
		p["method"] = fmt.Sprintf("%#v", s.NewMethod())
	}
	if s.MaxTime != 0 {
		p["max-time"] = s.MaxTime.String()
	}
	if s.Certifier != nil {
		p["certifier"] = fmt.Sprintf("%T", s.Certifier)
	}
	if s.CertTol != 0 {
		p["cert-tol"] = strconv.FormatFloat(s.CertTol, 'g', -1, 64)
	}
	if s.InitScale != 0 {
		p["init-scale"] = strconv.FormatFloat(s.InitScale, 'g', -1, 64)
	}
	if s.MaxEscapes != 0 {
		p["max-escapes"] = strconv.Itoa(s.MaxEscapes)
	}
	return p
}

type optimizeSolver struct{ set optimize.Settings }

func (o optimizeSolver) WithTol(tol float64) Solver {
	o.set.Tol = tol
	return o
}

func (o optimizeSolver) Solve(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error) {
	p, err := optimize.NewProblem(s)
	if err != nil {
		return nil, err
	}
	set := o.set
	set.Seed = seed
	if set.Certifier == nil && set.CertTol > 0 {
		set.Certifier = BoundCertifier(s)
	}
	res, err := optimize.SolveContext(ctx, p, set)
	if err != nil {
		return nil, fmt.Errorf("solve: %w", err)
	}
	num := &Numeric{Point: res.Point, Objective: res.Objective, Residual: res.KKTResidual, Converged: res.Converged,
		Iterations: res.Stats.Iterations, Evaluations: res.Stats.Evaluations}
	for _, r := range res.Restarts {
		num.RestartObjectives = append(num.RestartObjectives, r.Objective)
	}
	return num, nil
}

// BoundCertifier returns the float64 bound of theory.md section 11 for s
// (certificate.AtPoint at a variable vector, samples class by class) as a
// solver's Certifier, or nil when the certificate does not apply to s.
func BoundCertifier(s setting.Setting) optimize.Certifier {
	if _, err := certificate.NewAccumulator(s); err != nil {
		return nil
	}
	s = s.Clone()
	return optimize.CertifierFunc(func(p *optimize.Problem, x []float64) (float64, error) {
		pt := p.PointOf(x)
		res, err := certificate.AtPoint(s, pt.W, pt.H, pt.B, nil)
		if err != nil {
			return 0, err
		}
		return res.LowerBound, nil
	})
}
