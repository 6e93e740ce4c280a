package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// Verdicts.
const (
	Agree          = "agree"
	Counterexample = "counterexample"
	SolverGap      = "solver-gap"
	Mismatch       = "mismatch"
	OutOfScope     = "out-of-scope"
	Failed         = "error" // the row could not be computed (reason in Error)
)

// Tolerances decide the verdict. The zero value is not useful; start from
// DefaultTolerances.
type Tolerances struct {
	// Objective bounds the relative gap |f_num - f*| / max(1, |f*|).
	Objective float64
	// Geometry bounds each normalised distance NC2_H, NC2_W, NC2_WWT, NC3_WH.
	Geometry float64
	// NC1 bounds the within-class variability tr(Sigma_W pinv(Sigma_B))/K.
	NC1 float64
	// Margin bounds the margin error relative to max(1, max_k M_k).
	Margin float64
	// Cos bounds max |cos(mu_k, mu_l)| over k != l.
	Cos float64
	// Collapse: a class counts as collapsed when its margin equivalent
	// ||mu_k||^2 sqrt(K lambda_H n_k / ((K-1) lambda_W)) (which equals M_k at
	// the prediction) is at most Collapse times max(1, the largest).
	Collapse float64
}

// DefaultTolerances are tied to the solver's default stopping rule (KKT
// residual 1e-10 in float64): the objective is second order in the distance
// to the minimizer and agrees to ~1e-12; the geometry is first order, and the
// smallest curvature of the problem is about lambda_H, so geometric errors of
// order residual/lambda_H ~ 1e-5 are possible for lambda_H ~ 1e-5.
func DefaultTolerances() Tolerances {
	return Tolerances{Objective: 1e-9, Geometry: 1e-4, NC1: 1e-8, Margin: 1e-4, Cos: 1e-4, Collapse: 1e-6}
}

// Numeric is a numerical solution of one setting, as a Solver returns it.
type Numeric struct {
	W *mat.Dense // K x d
	H *mat.Dense // d x N, classes in order
	B []float64  // nil without bias
	// Objective is f at (W, H, b) and Residual the KKT residual there.
	Objective, Residual float64
	Converged           bool
	// RestartObjectives holds the final objective of every restart.
	RestartObjectives []float64
	Iterations        int
	Evaluations       int
}

// Solver solves the full training problem of a setting numerically. It must
// not use the prediction.
type Solver interface {
	Solve(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error)
}

// SolverFunc adapts a function to Solver.
type SolverFunc func(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error)

// Solve calls f.
func (f SolverFunc) Solve(ctx context.Context, s setting.Setting, seed uint64) (*Numeric, error) {
	return f(ctx, s, seed)
}

// Config is a verification run.
type Config struct {
	Formulas []closedform.Formula // one row per formula per setting; default paper
	Prec     uint                 // bits for the closed form; default 256
	Tol      Tolerances
	Seed     uint64 // solver seed (every setting uses the same seed)
	Jobs     int    // settings in parallel; <= 0 means 1
	Solver   Solver
	Extra    ExtraChecks // optional checks adding columns (e.g. exact KKT)
	SkipKeys map[string]bool
}

// ExtraChecks are optional per-row checks that do not need the solver.
type ExtraChecks interface {
	// ExactKKT returns the KKT residual of the predicted point evaluated in
	// big-float arithmetic, as a decimal string.
	ExactKKT(s setting.Setting, f closedform.Formula, prec uint) (string, error)
}

// Row is one line of the table: a setting, a formula, and the comparison.
type Row struct {
	Index   int    `json:"index"` // position of the setting in its grid
	Name    string `json:"name"`
	Key     string `json:"key"`
	Setting struct {
		N       []int  `json:"n"`
		D       int    `json:"d"`
		LambdaW string `json:"lambda_w"`
		LambdaH string `json:"lambda_h"`
		Bias    bool   `json:"bias"`
		LambdaB string `json:"lambda_b,omitempty"`
		NoReLU  bool   `json:"no_relu,omitempty"`
	} `json:"setting"`
	Formula string `json:"formula"`
	Verdict string `json:"verdict"`
	// Failed lists the tolerances a row failed, e.g. "objective>1e-09".
	Failed []string `json:"failed,omitempty"`
	// Scope is empty when the theorem applies, else the reason it does not.
	Scope string `json:"scope,omitempty"`
	Error string `json:"error,omitempty"`

	Alive              int      `json:"alive_classes"`
	PredictedObjective *string  `json:"predicted_objective"` // decimal, all digits of Prec
	NumericObjective   float64  `json:"numeric_objective"`
	ObjectiveGap       *float64 `json:"objective_gap"` // (f_num - f*) / max(1, |f*|)
	Metrics            *Metrics `json:"metrics"`
	// PredictedRho and PredictedMargin are, per class, the predicted
	// ||h_k||^2 and logit gap min_{j != k} (y_k)_k - (y_k)_j, the values
	// Metrics.MeanNorm^2 and Metrics.MeasuredMargin are compared with.
	PredictedRho    []float64 `json:"predicted_rho,omitempty"`
	PredictedMargin []float64 `json:"predicted_margin,omitempty"`
	SolverResidual  float64   `json:"solver_kkt_residual"`
	SolverConverged bool      `json:"solver_converged"`
	RestartSpread   float64   `json:"restart_spread"` // max - min objective over restarts
	Restarts        int       `json:"restarts"`
	ExactKKT        *string   `json:"exact_kkt_residual,omitempty"`
	Seconds         float64   `json:"seconds"`
}

// KeyOf identifies a row for --resume: the case name, the formula and the
// setting.
func KeyOf(c Case, f closedform.Formula) string {
	return c.Name + "|" + f.String() + "|" + c.Setting.String()
}

func newRow(i int, c Case, f closedform.Formula) Row {
	r := Row{Index: i, Name: c.Name, Key: KeyOf(c, f), Formula: f.String()}
	s := c.Setting
	r.Setting.N = append([]int(nil), s.Counts...)
	r.Setting.D = s.Dim
	r.Setting.LambdaW = s.LambdaW.String()
	r.Setting.LambdaH = s.LambdaH.String()
	r.Setting.Bias = s.Bias
	if s.Bias {
		r.Setting.LambdaB = s.LambdaB.String()
	}
	r.Setting.NoReLU = s.NoReLU
	return r
}

// scopeOf returns why the theorem does not apply, or "".
func scopeOf(s setting.Setting, f closedform.Formula) string {
	switch {
	case s.Bias:
		return "bias"
	case s.NoReLU:
		return "no ReLU constraint"
	}
	if alive := closedform.CountAlive(s, f); s.Dim < alive {
		return fmt.Sprintf("d=%d < %d alive classes", s.Dim, alive)
	}
	return ""
}

// CheckCase solves one setting and returns one row per formula.
func CheckCase(ctx context.Context, i int, c Case, cfg Config) []Row {
	formulas := cfg.Formulas
	if len(formulas) == 0 {
		formulas = []closedform.Formula{closedform.FormulaPaper}
	}
	start := time.Now()
	num, solveErr := cfg.Solver.Solve(ctx, c.Setting, cfg.Seed)
	if solveErr == nil && (math.IsNaN(num.Objective) || math.IsInf(num.Objective, 0)) {
		solveErr = errors.New("solver returned a non-finite objective")
	}
	var rows []Row
	for _, f := range formulas {
		r := newRow(i, c, f)
		r.Alive = closedform.CountAlive(c.Setting, f)
		if solveErr != nil {
			r.Verdict, r.Error = Failed, solveErr.Error()
			rows = append(rows, r)
			continue
		}
		r.NumericObjective = num.Objective
		r.SolverResidual = num.Residual
		r.SolverConverged = num.Converged
		r.Restarts = len(num.RestartObjectives)
		if len(num.RestartObjectives) > 0 {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, o := range num.RestartObjectives {
				lo, hi = math.Min(lo, o), math.Max(hi, o)
			}
			r.RestartSpread = hi - lo
		}
		if err := compare(&r, c, f, num, cfg); err != nil {
			r.Verdict, r.Error = Failed, err.Error()
		}
		r.Seconds = time.Since(start).Seconds()
		rows = append(rows, r)
	}
	return rows
}

func compare(r *Row, c Case, f closedform.Formula, num *Numeric, cfg Config) error {
	s := c.Setting
	prec := cfg.Prec
	if prec == 0 {
		prec = closedform.DefaultPrec
	}
	geo := Geometry{W: num.W, H: num.H, B: num.B, Counts: s.Counts}
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	r.Scope = scopeOf(s, f)
	var (
		t     Target
		fstar *big.Float
	)
	switch {
	case s.Bias && r.Scope == "bias" && f == closedform.FormulaPaper && !s.NoReLU:
		// Outside the theorem, but theory.md section 4 gives the prediction
		// of the orthogonal structure through the reduced convex problem.
		bp, err := closedform.PredictBias(s, closedform.Options{Prec: prec})
		if err != nil {
			var ie *setting.InputError
			if errors.As(err, &ie) && ie.Flag == "--d" {
				return measureOutOfScope(r, geo, s, lw, lh, cfg, "bias, "+ie.Reason)
			}
			return err
		}
		m, err := bp.Minimizer()
		if err != nil {
			return err
		}
		w, hbar := m.WDense(), m.MeansDense()
		var hth, wwt, wh mat.Dense
		hth.Mul(hbar.T(), hbar)
		wwt.Mul(w, w.T())
		wh.Mul(w, hbar)
		t = Target{HTH: &hth, WWT: &wwt, WH: &wh, B: m.BDense()}
		for _, cl := range bp.Classes {
			t.Alive = append(t.Alive, cl.Alive)
		}
		r.Scope = "bias, vs sec. 4"
		r.Alive = bp.AliveCount()
		fstar = bp.Objective
	case r.Scope != "":
		return measureOutOfScope(r, geo, s, lw, lh, cfg, r.Scope)
	default:
		p, err := closedform.Predict(s, closedform.Options{Prec: prec, Formula: f})
		if err != nil {
			return err
		}
		k := s.K()
		rho, gamma, margin, alive := make([]float64, k), make([]float64, k), make([]float64, k), make([]bool, k)
		for i, cl := range p.Classes {
			rho[i], _ = cl.FeatureNormSq.Float64()
			gamma[i], _ = cl.Gamma.Float64()
			margin[i], _ = cl.Margin.Float64()
			alive[i] = cl.Alive
		}
		t = BiasFreeTarget(rho, gamma, margin, alive)
		fstar = p.Objective
	}
	pred := closedform.FormatFloat(fstar, closedform.Digits(prec))
	r.PredictedObjective = &pred
	fs, _ := fstar.Float64()
	gap := (num.Objective - fs) / math.Max(1, math.Abs(fs))
	r.ObjectiveGap = &gap
	m, err := Measure(geo, t, lw, lh, cfg.Tol.Collapse)
	if err != nil {
		return err
	}
	r.Metrics = &m
	r.PredictedRho, r.PredictedMargin = predictedPerClass(t)
	if cfg.Extra != nil {
		v, err := cfg.Extra.ExactKKT(s, f, prec)
		if err != nil {
			return fmt.Errorf("exact KKT: %w", err)
		}
		r.ExactKKT = &v
	}
	r.Verdict, r.Failed = judge(gap, m, t, cfg.Tol)
	return nil
}

// predictedPerClass reads the per-class predicted rho_k (the diagonal of
// Hbar^T Hbar) and logit gap from a target.
func predictedPerClass(t Target) (rho, margin []float64) {
	k, _ := t.HTH.Dims()
	rho, margin = make([]float64, k), make([]float64, k)
	for c := 0; c < k; c++ {
		rho[c] = t.HTH.At(c, c)
		margin[c] = math.Inf(1)
		for j := 0; j < k; j++ {
			if j != c {
				margin[c] = math.Min(margin[c], t.WH.At(c, c)-t.WH.At(j, c))
			}
		}
	}
	return rho, margin
}

// measureOutOfScope fills a row the theorem does not cover: the numerical
// result and the prediction-free measurements (NC1, NC2_W, orthogonality of
// the means, their norms).
func measureOutOfScope(r *Row, geo Geometry, s setting.Setting, lw, lh float64, cfg Config, scope string) error {
	r.Verdict, r.Scope = OutOfScope, scope
	k := s.K()
	zero := mat.NewDense(k, k, nil)
	t := Target{HTH: zero, WWT: zero, WH: zero, Alive: make([]bool, k), BiasFree: !s.Bias}
	m, err := Measure(geo, t, lw, lh, cfg.Tol.Collapse)
	if err != nil {
		return err
	}
	m.MarginError, m.CollapseAgree, m.Disagree = 0, false, nil
	r.Metrics = &m
	return nil
}

// judge applies the tolerances. The objective decides counterexample and
// solver-gap; every failed tolerance is listed either way.
func judge(gap float64, m Metrics, t Target, tol Tolerances) (string, []string) {
	var failed []string
	verdict := ""
	switch {
	case gap < -tol.Objective:
		verdict = Counterexample
		failed = append(failed, fmt.Sprintf("objective<-%.0e", tol.Objective))
	case gap > tol.Objective:
		verdict = SolverGap
		failed = append(failed, fmt.Sprintf("objective>%.0e", tol.Objective))
	}
	geo := []struct {
		name string
		v    *float64
	}{{"nc2_h", m.NC2H}, {"nc2_wwt", m.NC2WWT}, {"nc3_wh", m.NC3WH}}
	if t.BiasFree {
		geo = append(geo, struct {
			name string
			v    *float64
		}{"nc2_w", m.NC2W})
	}
	allCollapsed := true
	for _, a := range t.Alive {
		allCollapsed = allCollapsed && !a
	}
	for _, g := range geo {
		if g.v == nil {
			if !allCollapsed && !(g.name == "nc2_w" && m.AllCollapsed) {
				failed = append(failed, g.name+" undefined")
			}
			continue
		}
		if *g.v > tol.Geometry {
			failed = append(failed, fmt.Sprintf("%s>%.0e", g.name, tol.Geometry))
		}
	}
	if m.NC1 != nil && *m.NC1 > tol.NC1 {
		failed = append(failed, fmt.Sprintf("nc1>%.0e", tol.NC1))
	}
	maxM := 1.0
	k, _ := t.WH.Dims()
	for c := 0; c < k; c++ {
		for j := 0; j < k; j++ {
			maxM = math.Max(maxM, t.WH.At(c, c)-t.WH.At(j, c))
		}
	}
	if m.MarginError > tol.Margin*maxM {
		failed = append(failed, fmt.Sprintf("margin>%.0e", tol.Margin))
	}
	if m.BiasError != nil {
		scale := 1.0
		for _, b := range t.B {
			scale = math.Max(scale, math.Abs(b))
		}
		if *m.BiasError > tol.Margin*scale {
			failed = append(failed, fmt.Sprintf("bias>%.0e", tol.Margin))
		}
	}
	if m.MaxCos > tol.Cos {
		failed = append(failed, fmt.Sprintf("cos>%.0e", tol.Cos))
	}
	if !m.CollapseAgree {
		failed = append(failed, "collapse")
	}
	switch {
	case verdict != "":
		return verdict, failed
	case len(failed) > 0:
		return Mismatch, failed
	}
	return Agree, nil
}

// Run checks every case with cfg.Jobs workers. emit is called (from one
// goroutine at a time) for each row as soon as its case finishes, in
// completion order; the returned rows are in case order. Cases whose keys are
// all in cfg.SkipKeys are not run.
func Run(ctx context.Context, cases []Case, cfg Config, emit func(Row) error) ([]Row, error) {
	if cfg.Solver == nil {
		return nil, errors.New("verify: no solver")
	}
	formulas := cfg.Formulas
	if len(formulas) == 0 {
		formulas = []closedform.Formula{closedform.FormulaPaper}
	}
	jobs := cfg.Jobs
	if jobs <= 0 {
		jobs = 1
	}
	type result struct {
		i    int
		rows []Row
	}
	todo := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				results <- result{i, CheckCase(ctx, i, cases[i], cfg)}
			}
		}()
	}
	go func() {
		defer close(todo)
		for i, c := range cases {
			skip := true
			for _, f := range formulas {
				skip = skip && cfg.SkipKeys[KeyOf(c, f)]
			}
			if skip {
				continue
			}
			select {
			case todo <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var all []Row
	var emitErr error
	for res := range results {
		for _, r := range res.rows {
			if emit != nil && emitErr == nil {
				emitErr = emit(r)
			}
		}
		all = append(all, res.rows...)
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Index < all[b].Index })
	if emitErr != nil {
		return all, emitErr
	}
	return all, ctx.Err()
}

// Summary counts the verdicts and the worst deviation of each kind.
type Summary struct {
	Rows     int                `json:"rows"`
	Verdicts map[string]int     `json:"verdicts"`
	Worst    map[string]float64 `json:"worst"`
}

// Summarize computes the summary of rows.
func Summarize(rows []Row) Summary {
	s := Summary{Rows: len(rows), Verdicts: map[string]int{}, Worst: map[string]float64{}}
	upd := func(name string, v float64) {
		if cur, ok := s.Worst[name]; !ok || v > cur {
			s.Worst[name] = v
		}
	}
	for _, r := range rows {
		s.Verdicts[r.Verdict]++
		if r.ObjectiveGap != nil {
			upd("|objective gap|", math.Abs(*r.ObjectiveGap))
		}
		if r.Metrics != nil && r.Verdict != OutOfScope {
			m := r.Metrics
			for _, kv := range []struct {
				n string
				v *float64
			}{{"nc1", m.NC1}, {"nc2_h", m.NC2H}, {"nc2_w", m.NC2W}, {"nc2_wwt", m.NC2WWT}, {"nc3_wh", m.NC3WH}} {
				if kv.v != nil {
					upd(kv.n, *kv.v)
				}
			}
			upd("margin error", m.MarginError)
			upd("max cos", m.MaxCos)
		}
		if r.Verdict != Failed {
			upd("solver residual", r.SolverResidual)
		}
	}
	return s
}

// String is the one-line summary: rows, verdict counts, worst deviations.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rows:", s.Rows)
	for _, v := range []string{Agree, Counterexample, SolverGap, Mismatch, OutOfScope, Failed} {
		if n := s.Verdicts[v]; n > 0 {
			fmt.Fprintf(&b, " %d %s,", n, v)
		}
	}
	out := strings.TrimSuffix(b.String(), ",")
	var parts []string
	for _, name := range []string{"|objective gap|", "nc1", "nc2_h", "nc2_w", "nc2_wwt", "nc3_wh", "margin error", "max cos", "solver residual"} {
		if v, ok := s.Worst[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1e", name, v))
		}
	}
	if len(parts) > 0 {
		out += "; worst: " + strings.Join(parts, ", ")
	}
	return out
}

// AllPass reports whether every row is agree or out-of-scope.
func AllPass(rows []Row) bool {
	for _, r := range rows {
		if r.Verdict != Agree && r.Verdict != OutOfScope {
			return false
		}
	}
	return true
}
