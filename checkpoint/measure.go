package checkpoint

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/internal/target"
	"nccheck/metrics"
	"nccheck/setting"
)

// Options configure Measure.
type Options struct {
	// LambdaW and LambdaH are the regularisation strengths the network was
	// trained with (theory.md section 10's loss), read exactly. Required
	// unless Fit is set.
	LambdaW, LambdaH setting.Decimal
	// Fit estimates effective lambdas from the checkpoint instead (see
	// FitLambdas); LambdaW and LambdaH must then be zero.
	Fit bool
	// Prec is the precision of the prediction in bits; 0 means
	// closedform.DefaultPrec.
	Prec uint
	// CollapseTol: a class counts as collapsed when its margin equivalent
	// ||mu_k||^2 sqrt(K lambda_H n_k / ((K-1) lambda_W)) is at most this
	// fraction of max(1, the largest); 0 means DefaultCollapseTol.
	CollapseTol float64
	// MergeTol: two classes that are not collapsed count as merged when
	// cos(mu_k, mu_l) > 1 - MergeTol; 0 means metrics.DefaultMergeTol.
	MergeTol float64
	// GlobalMean is the convention of mu_G (default weighted: the mean of
	// all N features).
	GlobalMean metrics.GlobalMean
	// Loss is the training loss (default cross-entropy): the objective,
	// the prediction (closedform.Default's theorem for it, bias-free) and
	// the bound use it; the metrics' loss and probabilities stay the
	// softmax cross-entropy's. Other losses need a features checkpoint.
	Loss setting.Loss
	// LambdaSource says where the lambdas come from (a flag, a config.json
	// file); copied into the report.
	LambdaSource string
	// Test, when not nil, is a checkpoint of a held-out split of the same
	// network (same classifier and bias, bit for bit; opened with
	// OpenSettings.Split), measured with the training class means and
	// classifier into Report.Test.
	Test *Checkpoint
}

// DefaultCollapseTol is the collapse tolerance for trained networks: a
// class whose mean carries under 1% of the largest margin equivalent counts
// as collapsed. (A solver reaches 1e-6; a network trained for a finite time
// does not.)
const DefaultCollapseTol = 1e-2

// Report is the measurement of one checkpoint against the prediction, in
// the JSON shape of `nccheck measure --format json` (one object per line).
type Report struct {
	File  string `json:"file"`
	Epoch *int64 `json:"epoch"`
	K     int    `json:"K"`
	N     int    `json:"N"`
	D     int    `json:"d"`
	// LambdaW and LambdaH are the lambdas of the prediction (exact decimal
	// text), Fitted true when FitLambdas estimated them.
	LambdaW string `json:"lambda_w"`
	LambdaH string `json:"lambda_h"`
	Fitted  bool   `json:"fitted"`
	// LambdaSource is Options.LambdaSource (omitted when empty) and Loss
	// the loss of the objective, prediction and bound (setting.Loss's
	// text: "ce", "ls:A", "mse").
	LambdaSource string `json:"lambda_source,omitempty"`
	Loss         string `json:"loss"`
	// Bias is true when the checkpoint has a bias: it enters the logits of
	// the objective; the prediction is the bias-free theorem's.
	Bias bool `json:"bias"`
	// Objective is f of theory.md section 1 at the checkpoint (float64).
	Objective float64 `json:"objective"`
	// PredictedObjective is f* of the theorem for the loss
	// (closedform.Default: the paper's for the cross-entropy), decimal,
	// every digit of the precision; nil when the theorem makes no
	// prediction (Scope says why).
	PredictedObjective *string `json:"predicted_objective"`
	// ObjectiveGap is metrics.ObjectiveGap(f, f*) = (f - f*) / max(1, |f*|).
	ObjectiveGap *float64 `json:"objective_gap"`
	Scope        string   `json:"scope,omitempty"`
	// Alive and PredictedAlive count the measured alive classes (neither
	// collapsed nor merged: metrics.Measurement.Statuses) and the predicted
	// ones.
	Alive          int            `json:"alive_classes"`
	PredictedAlive *int           `json:"predicted_alive_classes"`
	Metrics        metrics.Report `json:"metrics"`
	Classes        []ClassReport  `json:"classes"`

	// LowerBound is the float64 lower bound of theory.md section 11
	// (package certificate, fed the logits of every sample in the first
	// pass) on the global minimum of the problem the objective is measured
	// in: the checkpoint's class counts and the lambdas, ReLU features, the
	// cross-entropy, and the checkpoint's bias, unregularised, when it has
	// one. It holds for every d. It is a bracket with float64 rounding
	// error, not a proof. BoundGap is Objective - LowerBound, an upper bound
	// (to rounding) on how far the objective lies above the global minimum.
	// Both nil when the bound cannot be computed (Undefined says why).
	LowerBound *float64 `json:"lower_bound"`
	BoundGap   *float64 `json:"bound_gap"`
	// DualNormRatio is omega/s and PerronRatio c^T Q c / (lambda_W
	// lambda_H) for the Perron vector c of Q+ (certificate.Result): above 1,
	// the checkpoint is not a global minimum for large enough d.
	DualNormRatio *float64 `json:"dual_norm_ratio"`
	PerronRatio   *float64 `json:"perron_ratio"`
	// DescentClasses are the classes along which the objective can still
	// be lowered (theory.md section 11): every class k with r_k > 1 + 1e-6,
	// each of which lowers it alone on a feature coordinate of its own; when
	// there is none but the Perron direction of Q+ lowers it, that
	// direction's classes, which lower it together. Empty when none; absent
	// without a bound. Descent is the certificate's strongest direction
	// (nil: none).
	DescentClasses []int    `json:"descent_classes"`
	Descent        *Descent `json:"descent"`
	// FreeCoordinates counts the feature coordinates on which every class
	// mean is 0 (with ReLU features: coordinates no sample uses), where a
	// descent move has room.
	FreeCoordinates int `json:"free_coordinates"`
	// Diagnosis reads the bound in one line (which classes can lower the
	// objective and why, or how close the checkpoint is to the minimum).
	Diagnosis string `json:"diagnosis"`
	// Undefined maps the JSON key of every nil field above to the reason
	// ("r" for the classes' r).
	Undefined map[string]string `json:"undefined,omitempty"`
	// Test is the held-out split (Options.Test), nil without one.
	Test *TestReport `json:"test,omitempty"`
}

// ClassReport is one class: the measured metrics (metrics.Class) and the
// predicted values (nil without a prediction).
type ClassReport struct {
	metrics.Class
	// PredictedMargin, PredictedFeatureNormSq and PredictedClassifierNormSq
	// are M_k, rho_k and ||w_k||^2 of the prediction (theory.md section 2).
	PredictedMargin           *float64 `json:"predicted_margin"`
	PredictedFeatureNormSq    *float64 `json:"predicted_feature_norm_sq"`
	PredictedClassifierNormSq *float64 `json:"predicted_classifier_norm_sq"`
	// PredictedCosWMu is nil for a class the prediction collapses.
	PredictedCosWMu    *float64 `json:"predicted_cos_w_mu"`
	PredictedCollapsed *bool    `json:"predicted_collapsed"`
	// R is r_k = Q_kk / (lambda_W lambda_H) of the certificate (theory.md
	// section 11): above 1, class k lowers the objective on a feature
	// coordinate of its own. nil without a bound.
	R *float64 `json:"r"`
}

// Measure measures one checkpoint: two passes over its features (package
// metrics; a statistics checkpoint gives the measurement directly), the
// objective at the checkpoint, the prediction of the paper's theorem
// (closedform.Paper, bias-free) for the class counts of the labels, d and
// the lambdas, and the float64 certificate of theory.md section 11 (package
// certificate, fed every sample's logits in the first pass, or the class
// sums of a statistics checkpoint): the checkpoint's own lower bound, r_k
// and the classes that can still lower the objective. With opt.Test, the
// held-out split is measured with the training means and classifier. A setting the theorem does not cover (d
// below the number of alive classes) gives a report without predicted
// values and with Scope set. Errors: an *Error for a bad file, a
// *setting.InputError for bad lambdas or options.
func Measure(c *Checkpoint, opt Options) (*Report, error) {
	if opt.Prec == 0 {
		opt.Prec = closedform.DefaultPrec
	}
	if opt.CollapseTol == 0 {
		opt.CollapseTol = DefaultCollapseTol
	}
	if !(opt.CollapseTol > 0) || opt.CollapseTol >= 1 {
		return nil, &setting.InputError{Field: "CollapseTol", Value: fmt.Sprint(opt.CollapseTol), Reason: "must be in (0, 1)"}
	}
	if opt.MergeTol != 0 && !(opt.MergeTol > 0 && opt.MergeTol < 1) {
		return nil, &setting.InputError{Field: "MergeTol", Value: fmt.Sprint(opt.MergeTol), Reason: "must be in (0, 1)"}
	}
	switch {
	case opt.Fit && (!opt.LambdaW.IsZero() || !opt.LambdaH.IsZero()):
		return nil, &setting.InputError{Field: "Fit", Reason: "estimates the lambdas; do not give them too"}
	case !opt.Fit && (opt.LambdaW.IsZero() || opt.LambdaH.IsZero()):
		return nil, &setting.InputError{Field: setting.FieldLambdaW + "/" + setting.FieldLambdaH, Reason: "are required (or fit them)"}
	}
	acc, why := newAccumulator(c, opt.Loss)
	mo := metrics.Options{GlobalMean: opt.GlobalMean}
	var m *metrics.Measurement
	var err error
	if c.stats != nil {
		if !opt.Loss.IsCE() {
			return nil, &Error{File: c.Path, Reason: "a statistics checkpoint carries the cross-entropy only (loss_sum, softmax_sums); the loss " + opt.Loss.String() + " needs a features checkpoint"}
		}
		m, err = c.stats.Measure(mo)
		if err == nil && acc != nil {
			if err := addStats(acc, c.stats); err != nil {
				acc, why = nil, oneLine(err.Error())
			}
		}
	} else {
		if acc != nil {
			mo.Logits = func(_ int, z []float64, labels []int) error { return acc.Add(z, labels) }
		}
		m, err = metrics.Measure(c.Samples(), c.W, c.B, mo)
	}
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, &Error{File: c.Path, Reason: err.Error()}
	}
	r, err := Compare(c, m, acc, why, opt)
	if err != nil || opt.Test == nil {
		return r, err
	}
	if r.Test, err = measureSplit(c, opt.Test, m); err != nil {
		return nil, err
	}
	return r, nil
}

// addStats feeds the certificate's accumulator the class sums of the
// cross-entropy from statistics: -grad_z CE = e_k - softmax(z), so row k of
// the direction sums is n_k e_k minus the class's softmax sums, its entry k
// formed as the sum of the off-target softmax sums (accurate when the
// class's probability is close to 1).
func addStats(acc *certificate.Accumulator, s *metrics.Stats) error {
	k := len(s.Counts)
	dir := make([]float64, k*k)
	for c := 0; c < k; c++ {
		row := s.SoftmaxSums.RawRowView(c)
		for j, v := range row {
			if j != c {
				dir[c*k+j] = -v
				dir[c*k+c] += v
			}
		}
	}
	return acc.AddSums(s.Counts, dir, s.LossSum)
}

// Compare builds the report of a checkpoint from its measurement (see
// Measure) and the certificate's accumulator fed with every sample's
// logits (nil when there is none: why says why).
func Compare(c *Checkpoint, m *metrics.Measurement, acc *certificate.Accumulator, why string, opt Options) (*Report, error) {
	if opt.Prec == 0 {
		opt.Prec = closedform.DefaultPrec
	}
	if opt.CollapseTol == 0 {
		opt.CollapseTol = DefaultCollapseTol
	}
	lwd, lhd, err := lambdas(c, m, opt)
	if err != nil {
		return nil, err
	}
	s := setting.Setting{Counts: c.Counts, Dim: c.D, LambdaW: lwd, LambdaH: lhd, Loss: opt.Loss}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	res, why := certify(acc, why, boundSetting(c, lwd, lhd, opt.Loss))
	lw, lh := lwd.Float64(), lhd.Float64()
	r := &Report{File: c.Path, Epoch: c.Epoch, K: c.K, N: c.N, D: c.D, LambdaW: lwd.String(), LambdaH: lhd.String(),
		Fitted: opt.Fit, LambdaSource: opt.LambdaSource, Loss: opt.Loss.String(), Bias: c.B != nil}
	switch {
	case opt.Loss.IsCE():
		r.Objective = m.Objective(lw, lh, 0)
	case res != nil:
		// The certificate's own evaluation of the loss, fed the logits.
		r.Objective = res.Loss + lw/2*m.ClassifierNormSq + lh/2*m.FeatureNormSq
	default:
		return nil, &Error{File: c.Path, Reason: "the " + opt.Loss.String() + " objective needs the certificate's pass: " + why}
	}
	if math.IsNaN(r.Objective) || math.IsInf(r.Objective, 0) {
		return nil, &Error{File: c.Path, Reason: fmt.Sprintf("the objective is %v", r.Objective)}
	}
	ro := metrics.ReportOptions{Criteria: metrics.Criteria{LambdaW: lw, LambdaH: lh, CollapseTol: opt.CollapseTol, MergeTol: opt.MergeTol},
		ClassifierRule: closedform.PaperClassifierRule(c.Counts)}
	p, err := closedform.Auto{}.Predict(s, opt.Prec)
	var se *closedform.ScopeError
	switch {
	case errors.As(err, &se):
		r.Scope, p = se.Short, nil
	case err != nil:
		return nil, err
	default:
		t := target.Of(p)
		ro.Target = &t
	}
	rep, classes, err := m.Report(ro)
	if err != nil {
		return nil, &Error{File: c.Path, Reason: err.Error()}
	}
	r.Metrics = *rep
	for _, cl := range classes {
		r.Classes = append(r.Classes, ClassReport{Class: cl})
		if cl.Status == metrics.Alive {
			r.Alive++
		}
	}
	if p != nil {
		predicted(r, p, ro.Target)
	}
	setBound(r, m, res, why)
	return r, nil
}

// lambdas returns the lambdas of the prediction: opt's, or fitted to the
// measurement (cross-entropy only: the fit uses the paper's margins).
func lambdas(c *Checkpoint, m *metrics.Measurement, opt Options) (lw, lh setting.Decimal, err error) {
	if !opt.Fit {
		return opt.LambdaW, opt.LambdaH, nil
	}
	if !opt.Loss.IsCE() {
		return lw, lh, &setting.InputError{Field: "Fit", Reason: "fits the cross-entropy theorem's margins; the loss is " + opt.Loss.String()}
	}
	fw, fh, err := FitLambdas(m)
	if err != nil {
		return lw, lh, &Error{File: c.Path, Reason: "fit: " + err.Error()}
	}
	if lw, err = setting.ParseDecimal(strconv.FormatFloat(fw, 'g', 6, 64)); err != nil {
		return lw, lh, err
	}
	lh, err = setting.ParseDecimal(strconv.FormatFloat(fh, 'g', 6, 64))
	return lw, lh, err
}

// predicted fills the predicted values of a report.
func predicted(r *Report, p *closedform.Prediction, t *metrics.Target) {
	fs := closedform.FormatFloat(p.Objective, closedform.Digits(p.Prec))
	r.PredictedObjective = &fs
	f, _ := p.Objective.Float64()
	gap := metrics.ObjectiveGap(r.Objective, f)
	r.ObjectiveGap = &gap
	alive := p.AliveCount()
	r.PredictedAlive = &alive
	pm := metrics.GapMeans(t.WH)
	v := func(x float64) *float64 { return &x }
	for k, cl := range p.Classes {
		cr := &r.Classes[k]
		cr.PredictedMargin = v(pm[k])
		rk, _ := cl.FeatureNormSq.Float64()
		cr.PredictedFeatureNormSq = v(rk)
		wk, _ := cl.ClassifierNormSq.Float64()
		cr.PredictedClassifierNormSq = v(wk)
		if cl.CosWH != nil {
			ck, _ := cl.CosWH.Float64()
			cr.PredictedCosWMu = v(ck)
		}
		pc := !cl.Alive
		cr.PredictedCollapsed = &pc
	}
}

// FitLambdas estimates effective lambdas for a checkpoint of a network
// trained without the explicit penalties of theory.md section 10 (plain
// weight decay): the ratio lambda_W / lambda_H = ||H||_F^2 / ||W||_F^2 from
// the balance lambda_W ||W||^2 = lambda_H ||H||^2 that holds at every
// minimizer, and the product P = lambda_W lambda_H (the margins depend on it
// alone) by least squares of the measured margins against the predicted
// ones, sum_k (M_k - M_k(P))^2, a one-dimensional search over log P between
// P_max 1e-16 and P_max = (K-1) max_k n_k / (K N^2) (global collapse). The
// predicted margins are the closed form's (closedform.Paper.Margins, 64
// bits: O(K) logarithms per trial).
//
// What it can show: with the lambdas fitted, the balance holds and the
// margins agree on average by construction, so those are not evidence;
// the remaining structure still is (NC1, orthogonality, the pattern of
// rho_k and M_k across classes, NC2 and NC3, collapse).
func FitLambdas(m *metrics.Measurement) (lambdaW, lambdaH float64, err error) {
	if !(m.FeatureNormSq > 0) || !(m.ClassifierNormSq > 0) {
		return 0, 0, errors.New("the features or the classifier are all zero: no balance to fit")
	}
	ratio := m.FeatureNormSq / m.ClassifierNormSq
	measured := m.Margins()
	k, n := m.K, m.N
	maxN := 0
	for _, c := range m.Counts {
		maxN = max(maxN, c)
	}
	pMax := float64(k-1) * float64(maxN) / (float64(k) * float64(n) * float64(n))
	cost := func(logP float64) (float64, error) {
		p := math.Exp(logP)
		lw, lh := math.Sqrt(p*ratio), math.Sqrt(p/ratio)
		lwd, err1 := setting.ParseDecimal(strconv.FormatFloat(lw, 'g', 17, 64))
		lhd, err2 := setting.ParseDecimal(strconv.FormatFloat(lh, 'g', 17, 64))
		if err := errors.Join(err1, err2); err != nil {
			return 0, err
		}
		margins, err := closedform.Paper{}.Margins(setting.Setting{Counts: m.Counts, Dim: k, LambdaW: lwd, LambdaH: lhd}, 64)
		if err != nil {
			return 0, err
		}
		s := 0.0
		for i, mg := range margins {
			mk, _ := mg.Float64()
			s += (measured[i] - mk) * (measured[i] - mk)
		}
		return s, nil
	}
	lo, hi := math.Log(pMax)-16*math.Ln10, math.Log(pMax)
	const grid = 64
	best, bestC := lo, math.Inf(1)
	for i := 0; i <= grid; i++ {
		t := lo + (hi-lo)*float64(i)/grid
		c, err := cost(t)
		if err != nil {
			return 0, 0, err
		}
		if c < bestC {
			best, bestC = t, c
		}
	}
	// Golden section in the neighbouring cells.
	step := (hi - lo) / grid
	a, b := math.Max(lo, best-step), math.Min(hi, best+step)
	g := (math.Sqrt(5) - 1) / 2
	x1, x2 := b-g*(b-a), a+g*(b-a)
	c1, err := cost(x1)
	if err != nil {
		return 0, 0, err
	}
	c2, err := cost(x2)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i < 60 && b-a > 1e-10; i++ {
		if c1 <= c2 {
			b, x2, c2 = x2, x1, c1
			x1 = b - g*(b-a)
			if c1, err = cost(x1); err != nil {
				return 0, 0, err
			}
		} else {
			a, x1, c1 = x1, x2, c2
			x2 = a + g*(b-a)
			if c2, err = cost(x2); err != nil {
				return 0, 0, err
			}
		}
	}
	p := math.Exp((a + b) / 2)
	return math.Sqrt(p * ratio), math.Sqrt(p / ratio), nil
}
