package main

import (
	"context"
	"flag"
	"runtime"
	"strconv"

	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
)

// verifySolverOptions are the solver flags of verify.
type verifySolverOptions struct {
	restarts int
	tol      float64
	maxIter  int
}

func (o *verifySolverOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.restarts, "restarts", 4, "solver random `restarts` per setting")
	fs.Float64Var(&o.tol, "tol", 1e-10, "solver stopping `residual` (KKT residual of theory.md section 5)")
	fs.IntVar(&o.maxIter, "max-iter", 20000, "solver iteration `limit` per local run")
}

// solver returns the float64 solver of package optimize. With several
// settings in parallel each solve runs its restarts on
// GOMAXPROCS/jobs workers; results do not depend on the worker count.
func (o *verifySolverOptions) solver(jobs int) (verify.Solver, error) {
	switch {
	case o.restarts < 1:
		return nil, &setting.InputError{Flag: "--restarts", Value: strconv.Itoa(o.restarts), Reason: "must be at least 1"}
	case !(o.tol > 0) || o.tol > 1:
		return nil, &setting.InputError{Flag: "--tol", Value: strconv.FormatFloat(o.tol, 'g', -1, 64), Reason: "must be a positive number at most 1"}
	case o.maxIter < 1:
		return nil, &setting.InputError{Flag: "--max-iter", Value: strconv.Itoa(o.maxIter), Reason: "must be at least 1"}
	}
	workers := runtime.GOMAXPROCS(0) / jobs
	if workers < 1 {
		workers = 1
	}
	set := optimize.Settings{Tol: o.tol, MaxIter: o.maxIter, Restarts: o.restarts, Workers: workers}
	return verify.SolverFunc(func(_ context.Context, s setting.Setting, seed uint64) (*verify.Numeric, error) {
		p, err := optimize.NewProblem(s)
		if err != nil {
			return nil, err
		}
		st := set
		st.Seed = seed
		res, err := optimize.Solve(p, st)
		if err != nil {
			return nil, err
		}
		num := &verify.Numeric{W: res.Point.W, H: res.Point.H, B: res.Point.B, Objective: res.Objective,
			Residual: res.KKTResidual, Converged: res.Converged,
			Iterations: res.Stats.Iterations, Evaluations: res.Stats.Evaluations}
		for _, r := range res.Restarts {
			num.RestartObjectives = append(num.RestartObjectives, r.Objective)
		}
		return num, nil
	}), nil
}
