package optimize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Settings configure Solve. The zero value gives the defaults documented on
// each field.
type Settings struct {
	// Tol is the KKT residual (theory.md section 5, in the original
	// variables) at which a run counts as converged. Default 1e-10.
	Tol float64
	// MaxIter bounds the iterations of each local run. Default 20000.
	MaxIter int
	// MaxTime bounds the wall time of the whole solve; 0 means no bound.
	// A solve stopped by it is reproducible only up to where it stopped.
	MaxTime time.Duration
	// Restarts is the number of random starts. Default 4.
	Restarts int
	// Seed is the user seed; restart r uses RestartSeed(Seed, r).
	Seed uint64
	// Workers is the number of goroutines: restarts run in parallel, and
	// with fewer restarts than workers each restart's evaluations use
	// Workers/Restarts goroutines. Default runtime.GOMAXPROCS(0). Results
	// do not depend on it.
	Workers int
	// Method is the local method. Default LBFGSB{}.
	Method Method
	// InitScale multiplies the initial scales of InitialPoint. Default 1.
	InitScale float64
	// MaxEscapes bounds the accepted escape steps from stationary points
	// with a direction of negative curvature (dead classes, classes
	// sharing coordinates; see escaper) per restart. Default K; negative
	// disables the escape step.
	MaxEscapes int
	// MaxMemory is the most memory, in bytes, a solve may need as
	// predicted by Problem.MemoryBytes; a solve above it is refused with a
	// *MemoryError before anything is allocated. 0 means the memory the
	// operating system reports available (MemAvailable of /proc/meminfo
	// on Linux; no limit where it cannot be read); negative means no
	// limit.
	MaxMemory int64
}

func (s Settings) withDefaults(p *Problem) Settings {
	if s.Tol == 0 {
		s.Tol = 1e-10
	}
	if s.MaxIter == 0 {
		s.MaxIter = 20000
	}
	if s.Restarts == 0 {
		s.Restarts = 4
	}
	if s.Workers <= 0 {
		s.Workers = runtime.GOMAXPROCS(0)
	}
	if s.Method == nil {
		s.Method = LBFGSB{}
	}
	if s.InitScale == 0 {
		s.InitScale = 1
	}
	if s.MaxEscapes == 0 {
		s.MaxEscapes = p.K()
	}
	return s
}

// Stats are the work counts of a solve, summed over restarts.
type Stats struct {
	Iterations  int
	Evaluations int // objective+gradient evaluations
	Time        time.Duration
}

// RestartReport describes one restart.
type RestartReport struct {
	Seed        uint64
	Objective   float64
	KKTResidual float64
	// Converged reports KKTResidual <= Tol.
	Converged bool
	// Status of the last local run.
	Status      Status
	Iterations  int
	Evaluations int
	// ZeroClasses counts the classes whose mean feature is ~0 at the end
	// (see ZeroClasses).
	ZeroClasses int
	// Escapes counts accepted escape steps from stationary points (dead
	// classes, classes sharing coordinates); one step can move several
	// classes.
	Escapes int
	// EscapedClasses counts the classes moved by the escape steps.
	EscapedClasses int
	Time           time.Duration
}

// Result is the outcome of Solve: the best restart's point and the reports
// of all restarts.
type Result struct {
	// X is the best point as a variable vector; Point the same as matrices.
	X     []float64
	Point Point
	// Objective and KKTResidual at X; Converged reports KKTResidual <= Tol.
	Objective   float64
	KKTResidual float64
	Converged   bool
	// Tol is the tolerance the run used.
	Tol float64
	// Best is the index of the best restart in Restarts.
	Best     int
	Restarts []RestartReport
	Stats    Stats
}

// Solve is SolveContext with context.Background().
func Solve(p *Problem, set Settings) (*Result, error) {
	return SolveContext(context.Background(), p, set)
}

// SolveContext minimizes the problem from Settings.Restarts random starts
// (run in parallel), each followed by escapes from stationary points that
// are not local minima (dead classes, classes sharing coordinates), and
// returns the restart with the lowest objective (ties: the lowest index).
// For a given Seed the result is bit-for-bit reproducible, whatever the
// number of workers (unless MaxTime or ctx cuts runs short).
//
// Cancelling ctx (or its deadline passing) stops the solve promptly: every
// local run polls ctx.Done() before each iteration and each line-search
// trial, the escapes before each step, and restarts not yet started are
// skipped. SolveContext then returns an error wrapping ctx.Err(), together
// with the best point found so far when a restart produced one (its
// reports have Status Canceled; restarts never started have Iterations 0
// and a NaN Objective), else a nil Result.
//
// Before any work, the memory the solve needs is predicted by
// Problem.MemoryBytes; above the limit (Settings.MaxMemory) the solve is
// refused with a *MemoryError. An error is also returned for an invalid
// problem or settings, or when an objective is not finite at a start point.
func SolveContext(ctx context.Context, p *Problem, set Settings) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("optimize: invalid problem: %w", err)
	}
	set = set.withDefaults(p)
	switch {
	case !(set.Tol > 0):
		return nil, fmt.Errorf("optimize: tolerance %v must be positive", set.Tol)
	case set.MaxIter < 0:
		return nil, fmt.Errorf("optimize: max iterations %d must be positive", set.MaxIter)
	case set.Restarts < 0:
		return nil, fmt.Errorf("optimize: restarts %d must be positive", set.Restarts)
	case !(set.InitScale > 0) || math.IsInf(set.InitScale, 0):
		return nil, fmt.Errorf("optimize: init scale %v must be finite and positive", set.InitScale)
	}
	if limit := memoryLimit(set.MaxMemory); limit > 0 {
		if need := p.MemoryBytes(set); need > limit {
			return nil, &MemoryError{Need: need, Limit: limit}
		}
	}
	start := time.Now()
	lim := Limits{Tol: set.Tol, MaxIter: set.MaxIter, Done: ctx.Done()}
	if set.MaxTime > 0 {
		lim.Deadline = start.Add(set.MaxTime)
	}
	reports := make([]RestartReport, set.Restarts)
	errs := make([]error, set.Restarts)
	// Cores left over when there are fewer restarts than workers go to the
	// evaluations of each restart (bit-identical for any thread count).
	nw := min(set.Workers, set.Restarts)
	threads := max(1, set.Workers/max(1, nw))
	// Each worker keeps one evaluator (with the work vectors of the local
	// method and the escapes) for all its restarts, the point of the
	// running restart and the best point of its finished ones.
	type worker struct {
		e         *Evaluator
		cur, best []float64
		bestR     int
	}
	workers := make([]worker, nw)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wk := &workers[w]
		wk.bestR = -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				seed := RestartSeed(set.Seed, r)
				if ctx.Err() != nil {
					reports[r] = RestartReport{Seed: seed, Objective: math.NaN(), KKTResidual: math.NaN(), Status: Canceled}
					continue
				}
				if wk.e == nil {
					e, err := NewEvaluator(p)
					if err != nil {
						errs[r] = err
						continue
					}
					e.SetThreads(threads)
					wk.e = e
				}
				if wk.cur == nil {
					wk.cur = make([]float64, p.NumVars())
				}
				reports[r], errs[r] = runRestart(p, set, lim, seed, wk.e, wk.cur)
				if errs[r] == nil && !math.IsNaN(reports[r].Objective) && (wk.bestR < 0 || better(reports[r], r, reports[wk.bestR], wk.bestR)) {
					wk.cur, wk.best, wk.bestR = wk.best, wk.cur, r
				}
			}
		}()
	}
	for r := 0; r < set.Restarts; r++ {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	best := -1
	var x []float64
	for _, wk := range workers {
		if wk.bestR >= 0 && (best < 0 || better(reports[wk.bestR], wk.bestR, reports[best], best)) {
			best, x = wk.bestR, wk.best
		}
	}
	var res *Result
	if best >= 0 {
		res = &Result{
			X:           x,
			Point:       p.PointOf(x),
			Objective:   reports[best].Objective,
			KKTResidual: reports[best].KKTResidual,
			Converged:   reports[best].Converged,
			Tol:         set.Tol,
			Best:        best,
			Restarts:    reports,
		}
		for _, r := range reports {
			res.Stats.Iterations += r.Iterations
			res.Stats.Evaluations += r.Evaluations
		}
		res.Stats.Time = time.Since(start)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("optimize: solve canceled: %w", err)
	}
	return res, nil
}

// better reports whether restart a (index ra) beats restart b (index rb):
// a lower objective, or the same and a lower index. A NaN objective (a
// restart that never ran) never beats another.
func better(a RestartReport, ra int, b RestartReport, rb int) bool {
	switch {
	case math.IsNaN(a.Objective):
		return false
	case math.IsNaN(b.Objective):
		return true
	case a.Objective != b.Objective:
		return a.Objective < b.Objective
	}
	return ra < rb
}

// runRestart does one restart in x: a local run from InitialPoint, then
// escapes, on the evaluator e.
func runRestart(p *Problem, set Settings, lim Limits, seed uint64, e *Evaluator, x []float64) (RestartReport, error) {
	t0 := time.Now()
	ev0 := e.Evaluations()
	rep := RestartReport{Seed: seed}
	InitialPoint(p, seed, set.InitScale, x)
	var esc *escaper
	if set.MaxEscapes > 0 {
		esc = &escaper{p: p, e: e, set: set, lim: lim, rng: newRand(splitmix64(seed ^ 0xe5ca9e))}
		e.pause = esc.pauseHook()
		defer func() { e.pause = nil }()
	}
	loc, err := set.Method.Minimize(e, x, lim)
	if err != nil {
		return rep, fmt.Errorf("optimize: restart with seed %d: %w", seed, err)
	}
	rep.Iterations += loc.Iterations
	if esc != nil && loc.Status != Canceled && loc.Status != TimeLimit {
		loc, err = esc.run(x, loc, &rep)
		if err != nil {
			return rep, fmt.Errorf("optimize: restart with seed %d: escape: %w", seed, err)
		}
	}
	rep.Objective = loc.F
	rep.KKTResidual = loc.Residual
	rep.Converged = loc.Residual <= set.Tol
	rep.Status = loc.Status
	rep.Evaluations = e.Evaluations() - ev0
	rep.ZeroClasses = len(ZeroClasses(p, x))
	rep.Time = time.Since(t0)
	return rep, nil
}

// ClassMeans returns the K x d class means of the features of x (row k is
// the mean of the columns of H of class k).
func ClassMeans(p *Problem, x []float64) [][]float64 {
	means := make([][]float64, p.K())
	for k := range means {
		means[k] = make([]float64, p.Dim)
	}
	classMeansInto(p, x, means)
	return means
}

// classMeansInto is ClassMeans into means (K rows of length d).
func classMeansInto(p *Problem, x []float64, means [][]float64) {
	d := p.Dim
	o := p.offH()
	for k, c := range p.Counts {
		m := means[k][:d]
		for j := range m {
			m[j] = 0
		}
		for i := 0; i < c; i++ {
			for j := 0; j < d; j++ {
				m[j] += x[o+i*d+j]
			}
		}
		for j := range m {
			m[j] /= float64(c)
		}
		o += c * d
	}
}

// ZeroClasses returns the classes whose mean feature is ~0: Euclidean norm
// at most 1e-6 times the largest class-mean norm (or all classes, when every
// mean is exactly 0). Dead classes of a stationary point and classes that
// collapse at the global minimum (theory.md section 3) are both counted.
func ZeroClasses(p *Problem, x []float64) []int {
	return zeroClassesOf(ClassMeans(p, x), nil)
}

// zeroClassesOf appends to zero the classes of ZeroClasses given the class
// means.
func zeroClassesOf(means [][]float64, zero []int) []int {
	norm := func(m []float64) float64 {
		s := 0.0
		for _, v := range m {
			s += v * v
		}
		return math.Sqrt(s)
	}
	big := 0.0
	for _, m := range means {
		big = math.Max(big, norm(m))
	}
	for k, m := range means {
		if v := norm(m); v <= 1e-6*big || big == 0 {
			zero = append(zero, k)
		}
	}
	return zero
}

// MaxVariables bounds N*d, the number of feature variables, that the
// command-line front end accepted before Problem.MemoryBytes: each parallel
// restart keeps about 20 vectors of that length (point, gradient, trial
// point, direction, memory; see MemoryBytes for the exact count), so 2e7
// variables take about 3.5 GB per worker. Solve itself enforces
// Settings.MaxMemory, not this constant.
const MaxVariables = 20_000_000

// MeanMatrices returns the K x K matrices of the class means Hbar (d x K,
// column k the mean of the features of class k) at x:
// HTH = Hbar^T Hbar, WWT = W W^T and WH = W Hbar.
func MeanMatrices(p *Problem, x []float64) (hth, wwt, wh *mat.Dense) {
	k, d := p.K(), p.Dim
	means := ClassMeans(p, x)
	hbar := mat.NewDense(d, k, nil)
	for c, m := range means {
		hbar.SetCol(c, m)
	}
	w := mat.NewDense(k, d, append([]float64(nil), x[:k*d]...))
	hth = mat.NewDense(k, k, nil)
	hth.Mul(hbar.T(), hbar)
	wwt = mat.NewDense(k, k, nil)
	wwt.Mul(w, w.T())
	wh = mat.NewDense(k, k, nil)
	wh.Mul(w, hbar)
	return hth, wwt, wh
}
