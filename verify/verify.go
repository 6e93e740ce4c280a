package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/internal/report"
	"nccheck/internal/sysmem"
	"nccheck/internal/target"
	"nccheck/metrics"
	"nccheck/optimize"
	"nccheck/setting"
)

// Tolerances decide the verdict. The zero value is not useful; start from
// DefaultTolerances.
type Tolerances struct {
	// Objective bounds |metrics.ObjectiveGap(f_num, f*)| = |f_num - f*| / max(1, |f*|).
	Objective float64
	// Geometry bounds each normalised distance NC2_H, NC2_W, NC2_WWT, NC3_WH.
	Geometry float64
	// NC1 bounds the within-class variability tr(Sigma_W pinv(Sigma_B))/K.
	NC1 float64
	// Margin bounds the margin error relative to max(1, the largest
	// predicted logit gap).
	Margin float64
	// Cos bounds max |cos(mu_k, mu_l) - c*| over k != l, c* the predicted
	// cosine (0 for orthogonal means).
	Cos float64
	// Collapse: a class counts as collapsed when its margin equivalent
	// ||mu_k||^2 sqrt(K lambda_H n_k / ((K-1) lambda_W)) (which equals M_k at
	// the prediction) is at most Collapse times max(1, the largest).
	Collapse float64
	// ProofBits is the exponent of the proof tolerance: a prediction is
	// proved when its big-float certificate gap (Row.PredictedCertificateGap)
	// is at most 2^-ProofBits max(1, |f*|), and refuted when f* lies below
	// its certified lower bound by more than that. 0 means
	// DefaultProofBits(prec) in a Config; in a row file's header (older
	// files have none) it means the rows were judged without a certificate.
	ProofBits int
}

// criteria are the class-status criteria of a setting under the
// tolerances (the merge tolerance is metrics.DefaultMergeTol).
func (tol Tolerances) criteria(s setting.Setting) metrics.Criteria {
	return metrics.Criteria{LambdaW: s.LambdaW.Float64(), LambdaH: s.LambdaH.Float64(), CollapseTol: tol.Collapse}
}

// DefaultTolerances are tied to the solver's default stopping rule (KKT
// residual 1e-10 in float64): the objective is second order in the distance
// to the minimizer and agrees to ~1e-12; the geometry is first order, and the
// smallest curvature of the problem is about lambda_H, so geometric errors of
// order residual/lambda_H ~ 1e-5 are possible for lambda_H ~ 1e-5.
func DefaultTolerances() Tolerances {
	return Tolerances{Objective: 1e-9, Geometry: 1e-4, NC1: 1e-8, Margin: 1e-4, Cos: 1e-4, Collapse: 1e-6}
}

// Config is a verification run. The zero value checks the paper's theory
// with the default solver, tolerances and precision, one setting at a time.
type Config struct {
	// Theories are compared with the solver: one row per theory per
	// setting, named by the theory's Name (distinct names). Default:
	// closedform.Auto (named "paper": the theorem that applies to each
	// setting). A theory that panics or returns an invalid prediction
	// (closedform.Prediction.Validate) fails its own rows (verdict error),
	// not the run.
	Theories []closedform.Theory
	// Prec is the precision of the predictions in bits; 0 means
	// closedform.DefaultPrec.
	Prec uint
	// Tol are the tolerances; the zero value means DefaultTolerances.
	Tol Tolerances
	// Seed is the solver seed (every setting uses the same seed).
	Seed uint64
	// Jobs is the number of settings checked in parallel; <= 0 means 1.
	Jobs int
	// Solver solves each setting; nil means NewSolver with the default
	// optimize.Settings, its workers shared among the Jobs.
	Solver Solver
	// ExactKKT adds the exact KKT residual of each prediction's explicit
	// point, evaluated by package derivation in big-float arithmetic at Prec
	// bits (Row.ExactKKT).
	ExactKKT bool
	// ProofBudget bounds the work of the proved bracket at the solver's
	// point: it is computed (certificate.BigAtPoint at Prec bits) when G K,
	// the softmax terms of its G distinct feature columns, is at most
	// ProofBudget; above it the row keeps the float64 bracket alone and
	// Row.BracketNote says so. 0 means DefaultProofBudget; negative means
	// never.
	ProofBudget int64
	// SkipKeys are row keys (KeyOf) not to run, for resuming.
	SkipKeys map[string]bool
	// Shard selects a deterministic part of the cases (by index); the zero
	// value runs every case.
	Shard Shard
}

// Shard is part Index (1..Count) of Count: the cases whose 0-based index c
// has c mod Count = Index - 1. Round robin keeps the shards' sizes and
// costs alike when the cases of a grid grow in size. Rows keep their index
// in the whole grid, so shards merge (Merge) into the unsharded set.
type Shard struct {
	Index, Count int
}

// Has reports whether case c (0-based) belongs to the shard.
func (s Shard) Has(c int) bool {
	return s.Count <= 1 || c%s.Count == s.Index-1
}

// ParseShard parses "i/n" with 1 <= i <= n. Errors are *setting.InputError
// with Field "Shard".
func ParseShard(text string) (Shard, error) {
	var sh Shard
	bad := func(reason string) (Shard, error) {
		return Shard{}, &setting.InputError{Field: "Shard", Value: strconv.Quote(text), Reason: reason}
	}
	a, b, ok := strings.Cut(text, "/")
	if !ok {
		return bad("must be i/n, e.g. 1/4")
	}
	var err error
	if sh.Index, err = strconv.Atoi(a); err != nil {
		return bad("must be i/n with whole numbers i and n")
	}
	if sh.Count, err = strconv.Atoi(b); err != nil {
		return bad("must be i/n with whole numbers i and n")
	}
	if sh.Count < 1 || sh.Index < 1 || sh.Index > sh.Count {
		return bad("needs 1 <= i <= n")
	}
	return sh, nil
}

func (cfg Config) withDefaults() Config {
	if len(cfg.Theories) == 0 {
		cfg.Theories = []closedform.Theory{closedform.Auto{}}
	}
	if cfg.Prec == 0 {
		cfg.Prec = closedform.DefaultPrec
	}
	if cfg.Tol == (Tolerances{}) {
		cfg.Tol = DefaultTolerances()
	}
	if cfg.Tol.ProofBits == 0 {
		cfg.Tol.ProofBits = DefaultProofBits(cfg.Prec)
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = 1
	}
	if cfg.ProofBudget == 0 {
		cfg.ProofBudget = DefaultProofBudget
	}
	if cfg.Solver == nil {
		cfg.Solver = NewSolver(optimize.Settings{Workers: max(1, runtime.GOMAXPROCS(0)/cfg.Jobs), CertTol: cfg.Tol.Objective})
	}
	return cfg
}

// Row is one line of the table: a setting, a theory, and the comparison.
type Row struct {
	Index   int        `json:"index"` // position of the setting in its grid
	Name    string     `json:"name"`
	Key     string     `json:"key"`
	Setting RowSetting `json:"setting"`
	// Theory is the name of the theory compared ("paper", "authors-code",
	// or a user theory's Name). Rows written before the key was renamed
	// carry it as "formula", which UnmarshalJSON reads.
	Theory  string  `json:"theory"`
	Verdict Verdict `json:"verdict"`
	// Judge holds what the verdict was judged from besides the metrics and
	// the objective gap (rows with a prediction only), so that a row read
	// back can be judged again (ReadRows).
	Judge *JudgeInputs `json:"judge,omitempty"`
	// Failed lists the tolerances a row failed, e.g. "objective>1e-09".
	Failed []string `json:"failed,omitempty"`
	// Scope is empty when the theorem applies; else the reason it does not
	// (out-of-scope rows), or what the prediction is when it is not the
	// theorem of section 2 (e.g. "bias, vs sec. 4").
	Scope string `json:"scope,omitempty"`
	Error string `json:"error,omitempty"`

	Alive              int      `json:"alive_classes"`
	PredictedObjective *string  `json:"predicted_objective"` // decimal, all digits of Prec
	NumericObjective   float64  `json:"numeric_objective"`
	ObjectiveGap       *float64 `json:"objective_gap"` // metrics.ObjectiveGap(f_num, f*)
	// Metrics are the solver's point measured against the prediction (out
	// of scope: without one).
	Metrics *metrics.Report `json:"metrics"`
	// PredictedRho and PredictedMargin are, per class, the predicted
	// ||h_k||^2 and margin (theory.md section 10: (W h_k)_k - mean_{j != k}
	// (W h_k)_j, without the bias), the values Metrics.MeanNorm^2 and
	// Metrics.MeasuredMargin are compared with.
	PredictedRho    []float64 `json:"predicted_rho,omitempty"`
	PredictedMargin []float64 `json:"predicted_margin,omitempty"`
	SolverResidual  float64   `json:"solver_kkt_residual"`
	SolverConverged bool      `json:"solver_converged"`
	// SolverTol is the case's own stopping residual (Case.SolverTol), 0
	// when the run's applies.
	SolverTol float64 `json:"solver_tol,omitempty"`
	// LowerBound is the float64 certificate of theory.md section 11 at the
	// solver's best point (certificate.AtPoint): a lower bound on the
	// global minimum for every d, in float64 (evidence, not a proof);
	// CertifiedGap is NumericObjective - LowerBound, the width of the
	// bracket [LowerBound, NumericObjective] around the global minimum.
	// Both are absent from rows of older versions and from error rows.
	LowerBound   *float64 `json:"lower_bound,omitempty"`
	CertifiedGap *float64 `json:"certified_gap,omitempty"`
	// LowerBoundProved is the rigorous big-float certificate at the
	// solver's point, converted exactly from float64 (every sample's
	// column; certificate.BigAtPoint at Prec bits), as a decimal rounded
	// down; CertifiedGapProved is f(point) - LowerBoundProved rounded up to
	// ten significant digits, f(point) the certificate's evaluation at Prec
	// bits (rounded to nearest: relative error about 2^-Prec). Both are
	// absent when the point is over Config.ProofBudget or the certificate
	// refuses it (BracketNote says why), and from rows of older versions.
	LowerBoundProved   *string `json:"lower_bound_proved,omitempty"`
	CertifiedGapProved *string `json:"certified_gap_proved,omitempty"`
	BracketNote        string  `json:"bracket_note,omitempty"`
	// PredictedLowerBound is the rigorous big-float certificate at the
	// prediction's explicit point (certificate.BigAtClassMeans at Prec
	// bits), as a decimal rounded down; PredictedCertificateGap is
	// max(f*, f(point)) - PredictedLowerBound rounded up (f(point) the
	// certificate's own evaluation), a decimal of ten significant digits
	// rounded up: the prediction's f* is within it of the global minimum,
	// for every d. ProofError says why a row with a prediction has no
	// certificate (no explicit point, K above certificate.MaxBigClasses).
	PredictedLowerBound     *string `json:"predicted_lower_bound,omitempty"`
	PredictedCertificateGap *string `json:"predicted_certificate_gap,omitempty"`
	ProofError              string  `json:"proof_error,omitempty"`
	RestartSpread           float64 `json:"restart_spread"` // max - min objective over restarts
	Restarts                int     `json:"restarts"`
	ExactKKT                *string `json:"exact_kkt_residual,omitempty"`
	// SELI is the solver's point's distance to the SELI geometry of
	// theory.md section 13 (metrics.Measurement.DistTo against
	// closedform.SELI of the counts), on rows of the plain UFM with
	// cross-entropy, bias-free, d >= K - 1: a measurement of how far the
	// minimizer is from its lambda -> 0 limit, never judged (the verdict
	// does not depend on it).
	SELI    *metrics.GeometryDist `json:"seli,omitempty"`
	Seconds float64               `json:"seconds"`
}

// UnmarshalJSON reads a row strictly (an unknown key is an error), taking
// the theory from the key "theory" or, in rows written by older versions,
// "formula".
func (r *Row) UnmarshalJSON(b []byte) error {
	type plain Row // without the method
	var aux struct {
		plain
		Formula string `json:"formula"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return err
	}
	*r = Row(aux.plain)
	if r.Theory == "" {
		r.Theory = aux.Formula
	}
	return nil
}

// RowSetting is the setting of a row as JSON, lambdas as exact decimal text.
type RowSetting struct {
	N       []int  `json:"n"`
	D       int    `json:"d"`
	LambdaW string `json:"lambda_w"`
	LambdaH string `json:"lambda_h"`
	Bias    bool   `json:"bias"`
	LambdaB string `json:"lambda_b,omitempty"`
	NoReLU  bool   `json:"no_relu,omitempty"`
	Loss    string `json:"loss,omitempty"` // setting.Loss text, omitted for cross-entropy
}

// KeyOf identifies a row for resuming and merging: the case name, the
// theory's name and the setting.
func KeyOf(c Case, theory string) string {
	return c.Name + "|" + theory + "|" + c.Setting.String()
}

func newRow(i int, c Case, theory string) Row {
	r := Row{Index: i, Name: c.Name, Key: KeyOf(c, theory), Theory: theory, Alive: -1}
	s := c.Setting
	r.Setting = RowSetting{N: append([]int(nil), s.Counts...), D: s.Dim, LambdaW: s.LambdaW.String(),
		LambdaH: s.LambdaH.String(), Bias: s.Bias, NoReLU: s.NoReLU}
	if s.Bias {
		r.Setting.LambdaB = s.LambdaB.String()
	}
	if !s.Loss.IsCE() {
		r.Setting.Loss = s.Loss.String()
	}
	return r
}

// CheckCase solves one setting once and returns one row per theory of cfg.
// Each theory predicts once per row, before the solve; the solver never sees
// a prediction.
func CheckCase(ctx context.Context, i int, c Case, cfg Config) []Row {
	cfg = cfg.withDefaults()
	start := time.Now()
	s := c.Setting
	type prediction struct {
		p   *closedform.Prediction
		err error
	}
	preds := make([]prediction, len(cfg.Theories))
	for j, th := range cfg.Theories {
		preds[j].p, preds[j].err = predictChecked(th, s, cfg.Prec)
	}
	solver := cfg.Solver
	var err error
	if c.SolverTol > 0 {
		if ts, ok := solver.(TolSolver); ok {
			solver = ts.WithTol(c.SolverTol)
		} else {
			err = fmt.Errorf("the case asks for solver_tol %g and the solver cannot take it (not a TolSolver)", c.SolverTol)
		}
	}
	var num *Numeric
	if err == nil {
		num, err = solver.Solve(ctx, s, cfg.Seed)
	}
	if err == nil && (math.IsNaN(num.Objective) || math.IsInf(num.Objective, 0)) {
		err = errors.New("solver returned a non-finite objective")
	}
	var meas *metrics.Measurement
	if err == nil {
		meas, err = measureNumeric(s, num)
	}
	var bracket *solverBracket
	if err == nil {
		bracket, err = bracketAt(s, num, cfg)
	}
	var seli *metrics.GeometryDist
	if err == nil {
		if seli, err = seliDist(s, meas, cfg.Tol.criteria(s)); err != nil {
			err = fmt.Errorf("distance to SELI: %w", err)
		}
	}
	rows := make([]Row, 0, len(cfg.Theories))
	for j, th := range cfg.Theories {
		r := newRow(i, c, th.Name())
		r.SolverTol = c.SolverTol
		pred, perr := preds[j].p, preds[j].err
		if pred != nil {
			r.Alive = pred.AliveCount()
			v := closedform.FormatFloat(pred.Objective, closedform.Digits(pred.Prec))
			r.PredictedObjective = &v
		}
		switch {
		case err != nil:
			r.Verdict, r.Error = Failed, err.Error()
		default:
			r.NumericObjective = num.Objective
			setBracket(&r, bracket)
			r.SELI = seli
			setSolver(&r, num)
			if cerr := compare(&r, s, pred, perr, num, meas, cfg); cerr != nil {
				r.Verdict, r.Error = Failed, cerr.Error()
			}
		}
		r.Seconds = time.Since(start).Seconds()
		rows = append(rows, r)
	}
	return rows
}

// setSolver fills the solver's figures of a row: residual, convergence,
// restarts and the spread of their objectives.
func setSolver(r *Row, num *Numeric) {
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
}

// predictChecked returns th's prediction of s, validated: a panic in the
// theory, a nil prediction, a prediction of another setting or one that
// fails closedform.Prediction.Validate is an error of that theory alone.
func predictChecked(th closedform.Theory, s setting.Setting, prec uint) (p *closedform.Prediction, err error) {
	name := th.Name()
	defer func() {
		if e := recover(); e != nil {
			p, err = nil, fmt.Errorf("theory %s panicked: %v", name, e)
		}
	}()
	p, err = th.Predict(s, prec)
	switch {
	case err != nil:
		return nil, err
	case p == nil:
		return nil, fmt.Errorf("theory %s returned no prediction and no error", name)
	case p.Setting.String() != s.String():
		return nil, fmt.Errorf("theory %s predicted for %s, not %s", name, p.Setting, s)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// measureNumeric measures a solver's point with package metrics.
func measureNumeric(s setting.Setting, num *Numeric) (*metrics.Measurement, error) {
	if num.W == nil || num.H == nil {
		return nil, errors.New("solver returned no point")
	}
	if _, n := num.H.Dims(); n != s.N() {
		return nil, fmt.Errorf("solver returned H with %d columns, want N = %d", n, s.N())
	}
	return metrics.Measure(metrics.FromColumns(num.H, metrics.ClassLabels(s.Counts)), num.W, num.B, metrics.Options{})
}

// compare fills the row from one theory's prediction (or its error).
func compare(r *Row, s setting.Setting, pred *closedform.Prediction, perr error, num *Numeric, meas *metrics.Measurement, cfg Config) error {
	var se *closedform.ScopeError
	if errors.As(perr, &se) {
		return measureOutOfScope(r, s, meas, se, cfg.Tol)
	}
	if perr != nil {
		return perr
	}
	r.Scope = pred.Model
	t := target.Of(pred)
	fs, _ := pred.Objective.Float64()
	gap := metrics.ObjectiveGap(num.Objective, fs)
	r.ObjectiveGap = &gap
	rep, _, err := meas.Report(metrics.ReportOptions{Criteria: cfg.Tol.criteria(s), Target: &t})
	if err != nil {
		return err
	}
	r.Metrics = rep
	r.PredictedRho = metrics.Diag(t.HTH)
	r.PredictedMargin = metrics.GapMeans(t.WH)
	if cfg.ExactKKT {
		k, err := derivation.AtPrediction(pred)
		if err != nil {
			return fmt.Errorf("exact KKT: %w", err)
		}
		v := k.Residual.Text('g', 10)
		r.ExactKKT = &v
	}
	r.Judge = judgeInputsOf(t)
	proveAt(r, pred, cfg.Prec)
	r.Verdict, r.Failed, err = judge(*r, cfg.Tol)
	return err
}

// measureOutOfScope fills a row the theory does not cover: the numerical
// result and the prediction-free measurements (NC1, NC2_W against the
// paper's classifier rule when there is no bias, orthogonality of the means,
// their norms).
func measureOutOfScope(r *Row, s setting.Setting, m *metrics.Measurement, se *closedform.ScopeError, tol Tolerances) error {
	r.Verdict, r.Scope = judgeScope(*r, tol), se.Short
	if se.Alive >= 0 {
		r.Alive = se.Alive
	}
	o := metrics.ReportOptions{Criteria: tol.criteria(s)}
	if !s.Bias {
		o.ClassifierRule = closedform.PaperClassifierRule(s.Counts)
	}
	rep, _, err := m.Report(o)
	if err != nil {
		return err
	}
	r.Metrics = rep
	return nil
}

// JudgeInputs are what a verdict is judged from besides the metrics and
// the objective gap: the scales of the margin and bias tolerances and
// which geometric checks apply, all from the prediction's target.
type JudgeInputs struct {
	// MarginScale is max(1, the largest predicted logit gap of a class
	// mean), the scale of the margin tolerance.
	MarginScale float64 `json:"margin_scale"`
	// BiasScale is max(1, max |b*_k|), the scale of the bias tolerance (0
	// without a predicted bias).
	BiasScale float64 `json:"bias_scale,omitempty"`
	// ClassifierRule is true when NC2_W is judged (the target has a
	// classifier rule).
	ClassifierRule bool `json:"classifier_rule"`
	// AllCollapsed is true when the prediction collapses every class.
	AllCollapsed bool `json:"all_collapsed"`
}

// judgeInputsOf reads the judge's inputs from a target.
func judgeInputsOf(t metrics.Target) *JudgeInputs {
	in := &JudgeInputs{MarginScale: 1, ClassifierRule: t.ClassifierRule != nil, AllCollapsed: true}
	for _, a := range t.Alive {
		in.AllCollapsed = in.AllCollapsed && !a
	}
	k, _ := t.WH.Dims()
	for c := 0; c < k; c++ {
		for j := 0; j < k; j++ {
			in.MarginScale = math.Max(in.MarginScale, t.WH.At(c, c)-t.WH.At(j, c))
		}
	}
	if t.B != nil {
		in.BiasScale = 1
		for _, b := range t.B {
			in.BiasScale = math.Max(in.BiasScale, math.Abs(b))
		}
	}
	return in
}

// judge applies the tolerances to a row with a prediction: its objective
// gap, its metrics with its judge inputs, and its certificates. refuted
// (f* below a certified lower bound) comes first, then counterexample and
// solver-gap (the objective), then mismatch (geometry or proof); every
// failed tolerance is listed either way. Rows without any certificate
// field, judged by an older version, are judged without the certificates
// when tol.ProofBits is 0 (the header of an older row file).
func judge(r Row, tol Tolerances) (Verdict, []string, error) {
	gap, m, in := *r.ObjectiveGap, r.Metrics, *r.Judge
	var failed []string
	var verdict Verdict
	below, err := belowSolverBound(r, tol)
	if err != nil {
		return 0, nil, err
	}
	if below {
		verdict = Refuted
		failed = append(failed, fmt.Sprintf("f*<LB-%.0e", tol.Objective))
	}
	var proofFailed string
	if tol.ProofBits > 0 {
		refuted, pf, err := judgeProof(r, tol.ProofBits)
		if err != nil {
			return 0, nil, err
		}
		if refuted {
			verdict = Refuted
			failed = append(failed, fmt.Sprintf("f*<own LB-2^-%d", tol.ProofBits))
		}
		proofFailed = pf
	}
	switch {
	case verdict != 0:
	case gap < -tol.Objective:
		verdict = Counterexample
	case gap > tol.Objective:
		verdict = SolverGap
	}
	switch {
	case gap < -tol.Objective:
		failed = append(failed, fmt.Sprintf("objective<-%.0e", tol.Objective))
	case gap > tol.Objective:
		failed = append(failed, fmt.Sprintf("objective>%.0e", tol.Objective))
	}
	failed = append(failed, geometryFailed(m, in, tol)...)
	if proofFailed != "" {
		failed = append(failed, proofFailed)
	}
	switch {
	case verdict != 0:
		return verdict, failed, nil
	case len(failed) > 0:
		return Mismatch, failed, nil
	}
	return Agree, nil, nil
}

// judgeScope is the verdict of a row without a prediction: certified when
// its bracket at the solver's point (the proved one when the row has it,
// else [LowerBound, NumericObjective]) is at most the objective tolerance
// wide relative to max(1, |NumericObjective|), else out-of-scope.
func judgeScope(r Row, tol Tolerances) Verdict {
	if bracketWithin(r, tol) {
		return Certified
	}
	return OutOfScope
}

// geometryFailed lists the geometric tolerances a row's metrics fail.
func geometryFailed(m *metrics.Report, in JudgeInputs, tol Tolerances) []string {
	var failed []string
	type named struct {
		name string
		v    *float64
	}
	geo := []named{{"nc2_h", m.NC2H}, {"nc2_wwt", m.NC2WWT}, {"nc3_wh", m.NC3WH}}
	if in.ClassifierRule {
		geo = append(geo, named{"nc2_w", m.NC2W})
	}
	for _, g := range geo {
		if g.v == nil {
			if !in.AllCollapsed && !(g.name == "nc2_w" && m.AllCollapsed) {
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
	if m.MarginError != nil && *m.MarginError > tol.Margin*in.MarginScale {
		failed = append(failed, fmt.Sprintf("margin>%.0e", tol.Margin))
	}
	if m.BiasError != nil && *m.BiasError > tol.Margin*max(in.BiasScale, 1) {
		failed = append(failed, fmt.Sprintf("bias>%.0e", tol.Margin))
	}
	if m.MaxCos > tol.Cos {
		failed = append(failed, fmt.Sprintf("cos>%.0e", tol.Cos))
	}
	if m.CollapseAgree != nil && !*m.CollapseAgree {
		failed = append(failed, "collapse")
	}
	return failed
}

// CheckLimits refuses, before any work starts, a run the solver could not
// hold in memory, and a setting outside its float64 range
// (CheckFloat64Range): each case needs optimize.Problem.PredictMemory(set) bytes
// (about 176 N d bytes per running restart), and with jobs settings solved
// at once the largest jobs of them may run together. Their sum must fit
// set.MaxMemory (0: the memory the process may still allocate, the
// smallest of the system's available memory, its resource limits and its
// control group's limit; negative: no limit). The error is a *setting.InputError naming the largest case and
// the figures.
func CheckLimits(cases []Case, set optimize.Settings, jobs int) error {
	for _, c := range cases {
		if err := CheckFloat64Range(c.Setting); err != nil {
			if len(cases) > 1 {
				return fmt.Errorf("setting %s: %w", clipQuote(c.Name), err)
			}
			return err
		}
	}
	limit, source := set.MaxMemory, "the limit"
	if limit == 0 {
		l := sysmem.Current()
		if !l.Known() {
			return nil
		}
		limit, source = max(l.Bytes, 1), l.Describe()
	} else if limit > 0 {
		source = "the limit of " + sysmem.FormatBytes(limit)
	}
	if limit <= 0 {
		return nil
	}
	need := make([]int64, 0, len(cases))
	largest, largestNeed := -1, optimize.MemoryPrediction{}
	for i, c := range cases {
		p, err := optimize.NewProblem(c.Setting)
		if err != nil {
			return err
		}
		pred := p.PredictMemory(set)
		need = append(need, pred.Bytes)
		if pred.Bytes > largestNeed.Bytes {
			largest, largestNeed = i, pred
		}
	}
	sort.Slice(need, func(a, b int) bool { return need[a] > need[b] })
	total := int64(0)
	for _, b := range need[:min(max(jobs, 1), len(need))] {
		total += b
	}
	if total <= limit {
		return nil
	}
	c := cases[largest]
	together := ""
	if jobs > 1 && len(cases) > 1 {
		together = fmt.Sprintf(" (%.3g GiB with %d settings at once, -j)", float64(total)/(1<<30), min(jobs, len(cases)))
	}
	return &setting.InputError{Field: setting.FieldCounts + "/" + setting.FieldDim,
		Value: fmt.Sprintf("%s: N=%d d=%d", c.Name, c.Setting.N(), c.Setting.Dim),
		Reason: fmt.Sprintf("the solver needs %v for it%s, above %s; -j and --restarts set how many run at once",
			largestNeed, together, source)}
}

// Summary counts the verdicts and the worst deviation of each kind.
type Summary struct {
	Rows     int                `json:"rows"`
	Verdicts map[string]int     `json:"verdicts"`
	Worst    map[string]float64 `json:"worst"`
	// WorstProof is the largest predicted certificate gap of the rows (a
	// decimal: it may be below the float64 range), "" when no row has one.
	WorstProof string `json:"worst_proof,omitempty"`
}

// Summarize computes the summary of rows.
func Summarize(rows []Row) Summary {
	s := Summary{Rows: len(rows), Verdicts: map[string]int{}, Worst: map[string]float64{}}
	upd := func(name string, v float64) {
		if cur, ok := s.Worst[name]; !ok || v > cur {
			s.Worst[name] = v
		}
	}
	var worstProof *big.Rat
	for _, r := range rows {
		s.Verdicts[r.Verdict.String()]++
		if r.PredictedCertificateGap != nil {
			if g, ok := new(big.Rat).SetString(*r.PredictedCertificateGap); ok && (worstProof == nil || g.Cmp(worstProof) > 0) {
				worstProof, s.WorstProof = g, *r.PredictedCertificateGap
			}
		}
		if r.CertifiedGap != nil && r.Verdict != Failed {
			upd("bracket", *r.CertifiedGap)
		}
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
			if m.MarginError != nil {
				upd("margin error", *m.MarginError)
			}
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
	for _, v := range Verdicts() {
		if n := s.Verdicts[v.String()]; n > 0 {
			fmt.Fprintf(&b, " %d %s,", n, v)
		}
	}
	out := strings.TrimSuffix(b.String(), ",")
	var parts []string
	if s.WorstProof != "" {
		p, _, _ := report.DecimalSci(s.WorstProof, 2)
		parts = append(parts, "proof "+p)
	}
	for _, name := range []string{"bracket", "|objective gap|", "nc1", "nc2_h", "nc2_w", "nc2_wwt", "nc3_wh", "margin error", "max cos", "solver residual"} {
		if v, ok := s.Worst[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1e", name, v))
		}
	}
	if len(parts) > 0 {
		out += "; worst: " + strings.Join(parts, ", ")
	}
	return out
}

// AllPass reports whether every row is agree, certified or out-of-scope.
func AllPass(rows []Row) bool {
	for _, r := range rows {
		if r.Verdict != Agree && r.Verdict != Certified && r.Verdict != OutOfScope {
			return false
		}
	}
	return true
}

// Expected returns the keys of the rows a run of cases with these theories
// produces (in case order, then theory order), for finding the rows a set of
// row files lacks.
func Expected(cases []Case, theories []string) []string {
	var keys []string
	for _, c := range cases {
		for _, th := range theories {
			keys = append(keys, KeyOf(c, th))
		}
	}
	return keys
}
