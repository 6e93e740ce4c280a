package optimize

import (
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
	// MaxEscapes bounds the accepted escapes from stationary points with
	// a direction of negative curvature (dead classes, classes sharing
	// coordinates; see escaper) per restart. Default K; negative disables
	// the escape step.
	MaxEscapes int
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
	// Escapes counts accepted escapes from stationary points (dead
	// classes, classes sharing coordinates).
	Escapes int
	Time    time.Duration
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

// Solve minimizes the problem from Settings.Restarts random starts (run in
// parallel), each followed by escapes from stationary points that are not
// local minima (dead classes, classes sharing coordinates), and
// returns the restart with the lowest objective (ties: the lowest index).
// For a given Seed the result is bit-for-bit reproducible, whatever the
// number of workers (unless MaxTime cuts runs short).
//
// An error is returned for an invalid problem or settings, or when an
// objective is not finite at a start point.
func Solve(p *Problem, set Settings) (*Result, error) {
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
	start := time.Now()
	lim := Limits{Tol: set.Tol, MaxIter: set.MaxIter}
	if set.MaxTime > 0 {
		lim.Deadline = start.Add(set.MaxTime)
	}
	reports := make([]RestartReport, set.Restarts)
	xs := make([][]float64, set.Restarts)
	errs := make([]error, set.Restarts)
	// Cores left over when there are fewer restarts than workers go to the
	// evaluations of each restart (bit-identical for any thread count).
	threads := max(1, set.Workers/min(set.Workers, set.Restarts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(set.Workers, set.Restarts); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				xs[r], reports[r], errs[r] = runRestart(p, set, lim, RestartSeed(set.Seed, r), threads)
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
	best := 0
	for r := range reports {
		if reports[r].Objective < reports[best].Objective {
			best = r
		}
	}
	res := &Result{
		X:           xs[best],
		Point:       p.PointOf(xs[best]),
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
	return res, nil
}

// runRestart does one restart: a local run from InitialPoint, then escapes.
func runRestart(p *Problem, set Settings, lim Limits, seed uint64, threads int) ([]float64, RestartReport, error) {
	t0 := time.Now()
	rep := RestartReport{Seed: seed}
	e, err := NewEvaluator(p)
	if err != nil {
		return nil, rep, err
	}
	e.SetThreads(threads)
	x := make([]float64, p.NumVars())
	InitialPoint(p, seed, set.InitScale, x)
	loc, err := set.Method.Minimize(e, x, lim)
	if err != nil {
		return nil, rep, fmt.Errorf("optimize: restart with seed %d: %w", seed, err)
	}
	rep.Iterations += loc.Iterations
	if set.MaxEscapes > 0 {
		esc := escaper{p: p, e: e, set: set, lim: lim, rng: newRand(splitmix64(seed ^ 0xe5ca9e))}
		loc, err = esc.run(x, loc, &rep)
		if err != nil {
			return nil, rep, fmt.Errorf("optimize: restart with seed %d: escape: %w", seed, err)
		}
	}
	rep.Objective = loc.F
	rep.KKTResidual = loc.Residual
	rep.Converged = loc.Residual <= set.Tol
	rep.Status = loc.Status
	rep.Evaluations = e.Evaluations()
	rep.ZeroClasses = len(ZeroClasses(p, x))
	rep.Time = time.Since(t0)
	return x, rep, nil
}

// ClassMeans returns the K x d class means of the features of x (row k is
// the mean of the columns of H of class k).
func ClassMeans(p *Problem, x []float64) [][]float64 {
	d := p.Dim
	means := make([][]float64, p.K())
	o := p.offH()
	for k, c := range p.Counts {
		m := make([]float64, d)
		for i := 0; i < c; i++ {
			for j := 0; j < d; j++ {
				m[j] += x[o+i*d+j]
			}
		}
		for j := range m {
			m[j] /= float64(c)
		}
		means[k] = m
		o += c * d
	}
	return means
}

// ZeroClasses returns the classes whose mean feature is ~0: Euclidean norm
// at most 1e-6 times the largest class-mean norm (or all classes, when every
// mean is exactly 0). Dead classes of a stationary point and classes that
// collapse at the global minimum (theory.md section 3) are both counted.
func ZeroClasses(p *Problem, x []float64) []int {
	means := ClassMeans(p, x)
	norms := make([]float64, len(means))
	big := 0.0
	for k, m := range means {
		s := 0.0
		for _, v := range m {
			s += v * v
		}
		norms[k] = math.Sqrt(s)
		big = math.Max(big, norms[k])
	}
	var zero []int
	for k, v := range norms {
		if v <= 1e-6*big || big == 0 {
			zero = append(zero, k)
		}
	}
	return zero
}

// MaxVariables bounds N*d, the number of feature variables, that the
// command-line front end accepts: each parallel restart keeps about 15
// vectors of that length (point, gradient, trial point, direction, memory),
// so 2e7 variables take about 2.4 GB per worker.
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
