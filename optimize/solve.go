package optimize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
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
	// Restarts is the number of random starts, a ceiling when a Certifier
	// is set (see Certifier). Default 4.
	Restarts int
	// Seed is the user seed; restart r uses RestartSeed(Seed, r).
	Seed uint64
	// Workers is the number of goroutines: restarts run in parallel, and
	// with fewer restarts than workers each restart's evaluations use
	// Workers/Restarts goroutines. Default runtime.GOMAXPROCS(0). Results
	// do not depend on it.
	Workers int
	// NewMethod returns a new local method; Solve makes one per worker
	// (each owns its work vectors, used for all the worker's restarts).
	// Default: func() Method { return &LBFGSB{} }.
	NewMethod func() Method
	// InitScale multiplies the initial scales of InitialPoint. Default 1.
	InitScale float64
	// MaxEscapes bounds the accepted escape steps from stationary points
	// with a direction of negative curvature (dead classes, classes
	// sharing coordinates; see escaper) per restart. Default K; negative
	// disables the escape step.
	MaxEscapes int
	// MaxMemory is the most memory, in bytes, a solve may need as
	// predicted by Problem.PredictMemory; a solve above it is refused with
	// a *MemoryError before anything is allocated. 0 means the memory the
	// process may still allocate: the smallest of MemAvailable,
	// RLIMIT_AS/RLIMIT_DATA and the cgroup limit (internal/sysmem; no limit
	// where none is known); negative means no limit.
	MaxMemory int64
	// Certifier, if not nil, bounds the global minimum from below at the
	// final point of every restart (RestartReport.LowerBound). A restart
	// whose bracket [LowerBound, Objective] has a width of at most
	// CertTol max(1, |Objective|) is certified globally optimal: the
	// restarts after the first certified one, r*, are not needed, and the
	// result is decided by restarts 0..r* alone (later ones are not
	// started, or canceled and ignored), whatever the number of workers.
	// Its cost and memory are its own (not in PredictMemory).
	Certifier Certifier
	// CertTol is the relative width of a certified bracket. Default 1e-8.
	CertTol float64
	// MaxPolish bounds the polishing rounds of a restart whose bracket is
	// wider than CertTol (with a Certifier only): a round continues the
	// local method from the restart's point with a gradient tolerance 100
	// times below the last residual reached (not below PolishFloor), for
	// at most MaxIter iterations, and certifies the new point; the bound is
	// the largest of the rounds' (every one bounds the global minimum).
	// Polishing stops when the restart is certified, when the bracket did
	// not shrink to half its width (it is first order in the residual, so a
	// round shrinks it about 100 times until the bound's own accuracy is
	// reached; not at all when d is below what the optimum needs), or when
	// the residual is at the floor; only then does
	// the solve count the restart as uncertified and need the next one.
	// Default 3; negative disables polishing.
	MaxPolish int
}

// PolishFloor is the smallest gradient tolerance of a polishing round (see
// Settings.MaxPolish): about where float64 rounding of the gradient's sums
// stops the KKT residual of the bench settings.
const PolishFloor = 1e-13

// Certifier computes a lower bound on the global minimum of a problem's
// objective over all points (W, H, b) from one point, e.g. the bound of
// theory.md section 11. Package optimize has none of its own: a bound is a
// check of the solver, so it comes from outside.
type Certifier interface {
	// LowerBound returns a lower bound on the global minimum of p's
	// objective, computed at x, a variable vector of p (layout:
	// Problem.Vector; p.PointOf(x) gives the matrices). It must not
	// modify x. It is called from the goroutine of each restart, so
	// concurrently for different restarts.
	LowerBound(p *Problem, x []float64) (float64, error)
}

// CertifierFunc adapts a function to Certifier.
type CertifierFunc func(p *Problem, x []float64) (float64, error)

// LowerBound calls f.
func (f CertifierFunc) LowerBound(p *Problem, x []float64) (float64, error) { return f(p, x) }

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
	if s.NewMethod == nil {
		s.NewMethod = func() Method { return &LBFGSB{} }
	}
	if s.InitScale == 0 {
		s.InitScale = 1
	}
	if s.MaxEscapes == 0 {
		s.MaxEscapes = p.K()
	}
	if s.CertTol == 0 {
		s.CertTol = 1e-8
	}
	if s.MaxPolish == 0 {
		s.MaxPolish = 3
	}
	return s
}

// validate checks settings with their defaults applied.
func (s Settings) validate() error {
	switch {
	case !(s.Tol > 0):
		return fmt.Errorf("optimize: tolerance %v must be positive", s.Tol)
	case s.MaxIter < 0:
		return fmt.Errorf("optimize: max iterations %d must be positive", s.MaxIter)
	case s.Restarts < 0:
		return fmt.Errorf("optimize: restarts %d must be positive", s.Restarts)
	case !(s.InitScale > 0) || math.IsInf(s.InitScale, 0):
		return fmt.Errorf("optimize: init scale %v must be finite and positive", s.InitScale)
	case !(s.CertTol > 0) || math.IsInf(s.CertTol, 0):
		return fmt.Errorf("optimize: certified-gap tolerance %v must be finite and positive", s.CertTol)
	case s.NewMethod() == nil:
		return errors.New("optimize: Settings.NewMethod returned a nil Method")
	}
	return nil
}

// Stats are the work counts of a solve, summed over the restarts reported.
type Stats struct {
	Iterations  int
	Evaluations int // objective+gradient evaluations
	// PolishRounds and PolishEvaluations count the polishing rounds (see
	// Settings.MaxPolish) and their evaluations (also in Evaluations).
	PolishRounds      int
	PolishEvaluations int
	Time              time.Duration
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
	// ZeroMeanClasses counts the classes whose mean feature is ~0 at the
	// end (see ZeroMeanClasses).
	ZeroMeanClasses int
	// Escapes counts accepted escape steps from stationary points (dead
	// classes, classes sharing coordinates); one step can move several
	// classes.
	Escapes int
	// EscapedClasses counts the classes moved by the escape steps.
	EscapedClasses int
	// PolishRounds counts the polishing rounds after the restart's first
	// certificate (Settings.MaxPolish), PolishEvaluations their
	// evaluations (also in Evaluations).
	PolishRounds      int
	PolishEvaluations int
	// LowerBound is the Certifier's bound at the final point, the largest
	// of the polishing rounds' (NaN without a Certifier, when it failed,
	// or for a canceled restart); Certified
	// reports a bracket [LowerBound, Objective] within Settings.CertTol;
	// BoundErr is the Certifier's error.
	LowerBound float64
	Certified  bool
	BoundErr   error
	Time       time.Duration
}

// Result is the outcome of Solve: the best restart's point and the reports
// of the restarts that decide it.
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
	// LowerBound is the largest lower bound of the restarts' (NaN when
	// none), so that [LowerBound, Objective] brackets the global minimum;
	// Certified reports a bracket within Settings.CertTol.
	LowerBound float64
	Certified  bool
	// Best is the index of the best restart in Restarts.
	Best int
	// Restarts are the reports of restarts 0..r*: all of them, or up to
	// the first certified one (see Settings.Certifier).
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
// With a Certifier, the restarts after the first certified one are not
// needed (see Settings.Certifier). For a given Seed the result is
// bit-for-bit reproducible, whatever the number of workers (unless MaxTime
// or ctx cuts runs short).
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
// Problem.PredictMemory; above the limit (Settings.MaxMemory) the solve is
// refused with a *MemoryError. An error is also returned for an invalid
// problem or settings, or when an objective is not finite at a start point.
func SolveContext(ctx context.Context, p *Problem, set Settings) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("optimize: invalid problem: %w", err)
	}
	set = set.withDefaults(p)
	if err := set.validate(); err != nil {
		return nil, err
	}
	if limit := memoryLimit(set.MaxMemory); limit > 0 {
		if pred := p.PredictMemory(set); pred.Bytes > limit {
			return nil, &MemoryError{Need: pred.Bytes, Limit: limit, Prediction: pred}
		}
	}
	run := newSolveRun(ctx, p, set)
	run.start(time.Now())
	return run.result()
}

// solveRun is the state of one SolveContext.
type solveRun struct {
	ctx     context.Context
	p       *Problem
	set     Settings
	lim     Limits // without Done (see limits)
	t0      time.Time
	reports []RestartReport
	errs    []error
	workers []solveWorker
	threads int // evaluation threads of each restart
	// With a Certifier: the index of the first certified restart (R while
	// none) and the cancel functions of the started restarts.
	mu        sync.Mutex
	firstCert int
	cancels   []context.CancelFunc
}

// solveWorker is one worker: an evaluator, a method and the escapes' work
// vectors for all its restarts, the point of the running restart and the
// best point of its finished ones.
type solveWorker struct {
	e         *Evaluator
	method    Method
	esc       escapeWork
	cur, best []float64
	bestR     int
}

func newSolveRun(ctx context.Context, p *Problem, set Settings) *solveRun {
	r := &solveRun{ctx: ctx, p: p, set: set, firstCert: set.Restarts,
		reports: make([]RestartReport, set.Restarts), errs: make([]error, set.Restarts),
		cancels: make([]context.CancelFunc, set.Restarts)}
	r.lim = Limits{Tol: set.Tol, MaxIter: set.MaxIter}
	// Cores left over when there are fewer restarts than workers go to the
	// evaluations of each restart (bit-identical for any thread count).
	nw := min(set.Workers, set.Restarts)
	r.threads = max(1, set.Workers/max(1, nw))
	r.workers = make([]solveWorker, nw)
	return r
}

// start runs the restarts on the workers and returns when all are done.
func (r *solveRun) start(t0 time.Time) {
	r.t0 = t0
	if r.set.MaxTime > 0 {
		r.lim.Deadline = t0.Add(r.set.MaxTime)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range r.workers {
		wk := &r.workers[w]
		wk.bestR = -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r.restart(wk, i)
			}
		}()
	}
	for i := 0; i < r.set.Restarts; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// restart runs restart i on worker wk, unless a lower restart is certified.
func (r *solveRun) restart(wk *solveWorker, i int) {
	seed := RestartSeed(r.set.Seed, i)
	lim, done, needed := r.limits(i)
	if !needed {
		return
	}
	defer done()
	if r.ctx.Err() != nil {
		r.reports[i] = RestartReport{Seed: seed, Objective: math.NaN(), KKTResidual: math.NaN(), LowerBound: math.NaN(), Status: Canceled}
		return
	}
	if wk.e == nil {
		e, err := NewEvaluator(r.p)
		if err != nil {
			r.errs[i] = err
			return
		}
		e.SetThreads(r.threads)
		wk.e = e
		wk.method = r.set.NewMethod()
	}
	if wk.cur == nil {
		wk.cur = make([]float64, r.p.NumVars())
	}
	r.reports[i], r.errs[i] = runRestart(r.p, r.set, lim, seed, wk, wk.cur)
	if r.errs[i] != nil || math.IsNaN(r.reports[i].Objective) {
		return
	}
	if !r.certified(i) {
		return // a lower restart is certified: this one is ignored
	}
	if wk.bestR < 0 || better(r.reports[i], i, r.reports[wk.bestR], wk.bestR) {
		wk.cur, wk.best, wk.bestR = wk.best, wk.cur, i
	}
}

// limits returns the limits of restart i and the function to call when it
// is done, or needed false when a lower restart is already certified.
// Without a Certifier the restart polls ctx.Done(); with one, the Done of
// its own context, canceled when a lower restart is certified.
func (r *solveRun) limits(i int) (Limits, func(), bool) {
	lim := r.lim
	if r.set.Certifier == nil {
		lim.Done = r.ctx.Done()
		return lim, func() {}, true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i > r.firstCert {
		return lim, nil, false
	}
	ctx, cancel := context.WithCancel(r.ctx)
	r.cancels[i] = cancel
	lim.Done = ctx.Done()
	return lim, cancel, true
}

// certified records restart i's certificate: the first certified restart
// cancels the later ones. It reports whether restart i counts (no lower
// restart is certified).
func (r *solveRun) certified(i int) bool {
	if r.set.Certifier == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reports[i].Certified && i < r.firstCert {
		r.firstCert = i
		for j := i + 1; j < len(r.cancels); j++ {
			if r.cancels[j] != nil {
				r.cancels[j]()
			}
		}
	}
	return i <= r.firstCert
}

// result collects the restarts 0..r* (r* the first certified one, or the
// last) into the Result.
func (r *solveRun) result() (*Result, error) {
	n := min(r.firstCert+1, r.set.Restarts)
	reports := r.reports[:n]
	if err := errors.Join(r.errs[:n]...); err != nil {
		return nil, err
	}
	best := -1
	for i := range reports {
		if !math.IsNaN(reports[i].Objective) && (best < 0 || better(reports[i], i, reports[best], best)) {
			best = i
		}
	}
	var res *Result
	if best >= 0 {
		x, err := r.point(best)
		if err != nil {
			return nil, err
		}
		res = &Result{X: x, Point: r.p.PointOf(x), Objective: reports[best].Objective,
			KKTResidual: reports[best].KKTResidual, Converged: reports[best].Converged, Tol: r.set.Tol,
			LowerBound: math.NaN(), Best: best, Restarts: reports}
		for _, rep := range reports {
			res.Stats.Iterations += rep.Iterations
			res.Stats.Evaluations += rep.Evaluations
			res.Stats.PolishRounds += rep.PolishRounds
			res.Stats.PolishEvaluations += rep.PolishEvaluations
			if !math.IsNaN(rep.LowerBound) && !(rep.LowerBound <= res.LowerBound) {
				res.LowerBound = rep.LowerBound
			}
		}
		res.Certified = r.set.Certifier != nil && r.set.certifies(res.Objective, res.LowerBound)
		res.Stats.Time = time.Since(r.t0)
	}
	if err := r.ctx.Err(); err != nil {
		return res, fmt.Errorf("optimize: solve canceled: %w", err)
	}
	return res, nil
}

// point returns the point of restart best: the best point a worker kept,
// or, when its worker replaced it by a later restart that does not count
// (above the first certified one), that restart run again on that worker
// (same seed, same bits).
func (r *solveRun) point(best int) ([]float64, error) {
	for _, wk := range r.workers {
		if wk.bestR == best {
			return wk.best, nil
		}
	}
	for w := range r.workers {
		wk := &r.workers[w]
		if wk.bestR > best {
			lim := r.lim
			lim.Done = r.ctx.Done()
			rep, err := runRestart(r.p, r.set, lim, r.reports[best].Seed, wk, wk.best)
			if err != nil {
				return nil, err
			}
			if math.Float64bits(rep.Objective) != math.Float64bits(r.reports[best].Objective) && r.ctx.Err() == nil {
				return nil, fmt.Errorf("optimize: restart %d run again gave objective %v, first %v", best, rep.Objective, r.reports[best].Objective)
			}
			wk.bestR = best
			return wk.best, nil
		}
	}
	return nil, fmt.Errorf("optimize: the point of restart %d was not kept", best) // unreachable
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
// escapes, with the worker's evaluator, method and escape vectors, then the
// certificate and the polishing rounds (with a Certifier).
func runRestart(p *Problem, set Settings, lim Limits, seed uint64, wk *solveWorker, x []float64) (RestartReport, error) {
	t0 := time.Now()
	e := wk.e
	ev0 := e.Evaluations()
	rep := RestartReport{Seed: seed, LowerBound: math.NaN()}
	InitialPoint(p, seed, set.InitScale, x)
	polishLim := lim
	var esc *escaper
	if set.MaxEscapes > 0 {
		esc = &escaper{p: p, e: e, method: wk.method, set: set, rng: newRand(splitmix64(seed ^ 0xe5ca9e)), work: &wk.esc}
		lim.Pause = esc.pauseHook()
		esc.lim = lim
	}
	loc, err := wk.method.Minimize(e, x, lim)
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
	rep.setLocal(loc, set.Tol)
	if set.Certifier != nil && loc.Status != Canceled && !math.IsNaN(rep.Objective) {
		certify(p, set, x, &rep)
		if err := polish(p, set, polishLim, wk, x, loc, &rep); err != nil {
			return rep, fmt.Errorf("optimize: restart with seed %d: polish: %w", seed, err)
		}
	}
	rep.Evaluations = e.Evaluations() - ev0
	rep.ZeroMeanClasses = len(ZeroMeanClasses(p, x))
	rep.Time = time.Since(t0)
	return rep, nil
}

// setLocal sets the objective, residual and status of a restart from its
// last local run.
func (rep *RestartReport) setLocal(loc Local, tol float64) {
	rep.Objective = loc.F
	rep.KKTResidual = loc.Residual
	rep.Converged = loc.Residual <= tol
	rep.Status = loc.Status
}

// certify sets the bound and the certificate of a restart at its point x.
func certify(p *Problem, set Settings, x []float64, rep *RestartReport) {
	lb, err := lowerBound(p, set, x)
	if err != nil {
		rep.BoundErr = err
		return
	}
	rep.LowerBound = lb
	rep.Certified = set.certifies(rep.Objective, lb)
}

// lowerBound is the Certifier's bound at x, an error when it fails or is
// not a number below +Inf.
func lowerBound(p *Problem, set Settings, x []float64) (float64, error) {
	lb, err := set.Certifier.LowerBound(p, x)
	switch {
	case err != nil:
		return 0, fmt.Errorf("optimize: certifier: %w", err)
	case math.IsNaN(lb) || math.IsInf(lb, 1):
		return 0, fmt.Errorf("optimize: certifier: lower bound %v", lb)
	}
	return lb, nil
}

// certifies reports whether the bracket [lb, f] is within CertTol.
func (s Settings) certifies(f, lb float64) bool {
	return f-lb <= s.CertTol*math.Max(1, math.Abs(f))
}

// polish runs the polishing rounds of an uncertified restart at x, whose
// last local run is loc (see Settings.MaxPolish): each continues the
// method with lim (no escapes) at a tolerance 100 times below the last
// residual and certifies again, keeping the largest bound. It stops when
// the restart is certified, when the bracket did not halve, at the floor,
// or when a run is stopped (time limit, canceled). A failing bound ends
// polishing and keeps the bound before it.
func polish(p *Problem, set Settings, lim Limits, wk *solveWorker, x []float64, loc Local, rep *RestartReport) error {
	ev0 := wk.e.Evaluations()
	defer func() { rep.PolishEvaluations += wk.e.Evaluations() - ev0 }()
	for round := 0; round < set.MaxPolish; round++ {
		if rep.Certified || math.IsNaN(rep.LowerBound) || loc.Status == Canceled || loc.Status == TimeLimit {
			return nil
		}
		tol := math.Max(math.Min(set.Tol, loc.Residual)/100, PolishFloor)
		if loc.Residual <= tol {
			return nil
		}
		lim.Tol = tol
		var err error
		if loc, err = wk.method.Minimize(wk.e, x, lim); err != nil {
			return err
		}
		rep.Iterations += loc.Iterations
		rep.PolishRounds++
		width := rep.Objective - rep.LowerBound
		rep.setLocal(loc, set.Tol)
		if loc.Status == Canceled {
			return nil
		}
		lb, err := lowerBound(p, set, x)
		if err != nil {
			return nil
		}
		rep.LowerBound = math.Max(rep.LowerBound, lb)
		rep.Certified = set.certifies(rep.Objective, rep.LowerBound)
		if !(rep.Objective-rep.LowerBound <= width/2) {
			return nil // the bracket no longer shrinks
		}
	}
	return nil
}

// classMeans returns the K x d class means of the features of x (row k is
// the mean of the columns of H of class k).
func classMeans(p *Problem, x []float64) [][]float64 {
	means := make([][]float64, p.K())
	for k := range means {
		means[k] = make([]float64, p.Dim)
	}
	classMeansInto(p, x, means)
	return means
}

// classMeansInto is classMeans into means (K rows of length d).
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

// ZeroMeanClasses returns the classes whose mean feature is ~0 at x, a
// variable vector of p: Euclidean norm at most 1e-6 times the largest
// class-mean norm (or all classes, when every mean is exactly 0). With ReLU
// features (H >= 0) this says that all of the class's features are ~0: the
// "dead" classes of a stationary point, and the classes that collapse at
// the global minimum (theory.md section 3), are both counted. It is a test
// of the features only, the solver's own; the collapsed classes of the
// reports (package metrics) are decided by the margins.
func ZeroMeanClasses(p *Problem, x []float64) []int {
	return zeroMeanClassesOf(classMeans(p, x), nil)
}

// zeroMeanClassesOf appends to zero the classes of ZeroMeanClasses given
// the class means.
func zeroMeanClassesOf(means [][]float64, zero []int) []int {
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
