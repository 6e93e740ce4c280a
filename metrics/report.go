package metrics

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Report is the metrics of one point in the one form nccheck reports them:
// package verify's rows (a solver's point) and package checkpoint's reports
// (a trained network) both carry it as their "metrics" object, with these
// JSON keys. A nil pointer is an undefined metric: JSON null, with the
// reason in Undefined under the metric's key (text output prints n/a); a
// metric is never NaN.
type Report struct {
	// NC1 is tr(Sigma_W pinv(Sigma_B)) / K (theory.md section 8).
	NC1 *float64 `json:"nc1"`
	// NC2H = dist(Hbar^T Hbar, target), NC2WWT = dist(W W^T, target),
	// NC3WH = dist(W Hbar, target) (theory.md section 8); nil without a
	// target.
	NC2H *float64 `json:"nc2_h"`
	// NC2W is dist(W, A Hbar^T) for the target's classifier rule A (the
	// imbalanced theorem's, rows K sqrt(n_k) mu_k - sum_j sqrt(n_j) mu_j), or
	// ReportOptions.ClassifierRule without a target; NC2WBalanced is against
	// the balanced theory's rule (rows mu_k - mean_j mu_j, theory.md section
	// 10), measured with or without a target.
	NC2W         *float64 `json:"nc2_w"`
	NC2WBalanced *float64 `json:"nc2_w_balanced"`
	NC2WWT       *float64 `json:"nc2_wwt"`
	NC3WH        *float64 `json:"nc3_wh"`
	// MarginError is max_k max_{j != k} |((W mu_k)_k - (W mu_k)_j) - (the
	// target's gap)|, the worst logit-gap error of a class mean; nil without
	// a target.
	MarginError *float64 `json:"margin_error"`
	// BiasError is ||b - b*||_inf when the point and the target both have a
	// bias.
	BiasError *float64 `json:"bias_error,omitempty"`
	// MaxCos is max |cos(mu_k, mu_l) - c*| over the pairs k < l of classes
	// the target keeps alive whose measured means are nonzero, c* the
	// target's cosine (0: orthogonal means, theory.md section 2; -1/(K-1):
	// simplex ETF, section 9). Without a target it is max |cos(mu_k, mu_l)|
	// over every pair of nonzero means (c* = 0: section 10's
	// prediction-free orthogonality). 0 when there is no such pair or every
	// class is collapsed.
	MaxCos float64 `json:"max_cos"`
	// MeanNorm is ||mu_k|| and MeasuredMargin the margin of theory.md
	// section 10, (W mu_k)_k - mean_{j != k} (W mu_k)_j, per class.
	MeanNorm       []float64 `json:"mean_norm"`
	MeasuredMargin []float64 `json:"measured_margin"`
	// CollapseAgree is true when the classes the target keeps alive are
	// exactly the measured alive ones (neither collapsed nor merged: see
	// Measurement.Statuses), nil without a target; Disagree lists the
	// 0-based classes that differ.
	CollapseAgree *bool `json:"collapse_agree"`
	Disagree      []int `json:"collapse_disagree,omitempty"`
	// AllCollapsed is true when every measured class is collapsed: the
	// normalised quantities (NC1, NC2_W, the structure metrics below) then
	// divide rounding noise by rounding noise and are undefined.
	AllCollapsed bool `json:"all_collapsed"`

	// NC4 and Accuracy: Measurement.NC4 and Measurement.Accuracy.
	NC4      *float64 `json:"nc4"`
	Accuracy float64  `json:"accuracy"`
	// The structure metrics of the balanced neural-collapse literature
	// (Measurement's methods of the same names; mu_G as GlobalMean says).
	EquinormMeans      *float64 `json:"equinorm_means"`
	EquinormClassifier *float64 `json:"equinorm_classifier"`
	Equiangularity     *float64 `json:"equiangularity"`
	SelfDuality        *float64 `json:"self_duality"`
	CDNV               *float64 `json:"cdnv"`
	GNC2               *float64 `json:"gnc2"`
	BiasRelation       float64  `json:"bias_relation"`
	// GlobalMean is the convention of mu_G ("weighted" or "classes").
	GlobalMean GlobalMean `json:"global_mean"`
	// Undefined maps the JSON key of every nil metric above to the reason.
	Undefined map[string]string `json:"undefined,omitempty"`
}

// Class is the measured metrics of one class (JSON: one object of a
// report's "classes").
type Class struct {
	// N is n_k.
	N int `json:"n"`
	// Margin is (W mu_k)_k - mean_{j != k} (W mu_k)_j (theory.md section 10)
	// and WorstMargin (W mu_k)_k - max_{j != k} (W mu_k)_j, both without the
	// bias.
	Margin      float64 `json:"margin"`
	WorstMargin float64 `json:"worst_margin"`
	// FeatureNormSq is rho_k = ||mu_k||^2, ClassifierNormSq ||w_k||^2 and
	// CosWMu cos(w_k, mu_k) (0 when either is zero).
	FeatureNormSq    float64 `json:"feature_norm_sq"`
	ClassifierNormSq float64 `json:"classifier_norm_sq"`
	CosWMu           float64 `json:"cos_w_mu"`
	// Status is the measured status (Measurement.Statuses); Collapsed is
	// Status == Collapsed, and MergedWith the 0-based class a merged class is
	// merged with (nil otherwise).
	Status     Status `json:"status"`
	Collapsed  bool   `json:"collapsed"`
	MergedWith *int   `json:"merged_with"`
	// Accuracy is the classifier's accuracy on the class's samples and NC4
	// the class's agreement of the classifier with the nearest class mean
	// (nil without nc4_agree); Probability is the mean softmax probability
	// of the class on its samples (Measurement.MeanProbabilities).
	Accuracy    float64  `json:"accuracy"`
	NC4         *float64 `json:"nc4"`
	Probability float64  `json:"probability"`
	// Undefined maps the JSON key of every nil metric above to the reason.
	Undefined map[string]string `json:"undefined,omitempty"`
}

// ReportOptions configure Measurement.Report.
type ReportOptions struct {
	// Criteria decide the class statuses.
	Criteria Criteria
	// Target is the prediction; nil when there is none (out of scope).
	Target *Target
	// ClassifierRule is the rule of NC2_W when there is no target (nil: not
	// measured); with a target, the target's rule is used.
	ClassifierRule *mat.Dense
}

// The reasons in Report.Undefined of a metric that does not apply, there
// being nothing to compare with; every other reason is a zero norm in the
// metric's reference (theory.md section 8). Tables print the first as
// "n/a" and the second as "undef".
const (
	ReasonNoPrediction              = "no prediction"
	ReasonNoClassifierRule          = "no classifier rule"
	ReasonNoPredictedClassifierRule = "the prediction has no classifier rule"
)

// NotApplicable reports whether the metric of the JSON key is nil because
// it does not apply (a Reason... constant), not because a reference has
// zero norm.
func (r *Report) NotApplicable(key string) bool {
	switch r.Undefined[key] {
	case ReasonNoPrediction, ReasonNoClassifierRule, ReasonNoPredictedClassifierRule:
		return true
	}
	return false
}

// Report returns the report of the measurement and the metrics of every
// class. The error is a failure (bad options, a non-finite result), never
// an undefined metric.
func (m *Measurement) Report(o ReportOptions) (*Report, []Class, error) {
	st, with, err := m.Statuses(o.Criteria)
	if err != nil {
		return nil, nil, err
	}
	r := &Report{GlobalMean: m.GlobalMean, Undefined: map[string]string{}, Accuracy: m.Accuracy(), BiasRelation: m.BiasRelation(),
		MeasuredMargin: m.Margins(), NC1: m.NC1}
	for _, v := range m.MeanNormSq() {
		r.MeanNorm = append(r.MeanNorm, math.Sqrt(v))
	}
	if r.NC1 == nil {
		r.Undefined["nc1"] = "Sigma_B = 0: every class mean is the global mean"
	}
	r.NC2WBalanced = m.ClassifierDist(BalancedRule(m.K))
	if o.Target != nil {
		if err := r.compare(m, *o.Target, o.Criteria); err != nil {
			return nil, nil, err
		}
	} else {
		for _, key := range []string{"nc2_h", "nc2_wwt", "nc3_wh", "margin_error", "collapse_agree"} {
			r.Undefined[key] = ReasonNoPrediction
		}
		if o.ClassifierRule != nil {
			r.NC2W = m.ClassifierDist(o.ClassifierRule)
		} else {
			r.Undefined["nc2_w"] = ReasonNoClassifierRule
		}
		r.MaxCos = m.MaxCosDeviation(0)
		r.AllCollapsed = true
		for _, s := range st {
			r.AllCollapsed = r.AllCollapsed && s == Collapsed
		}
	}
	for key, v := range map[string]*float64{"nc2_w": r.NC2W, "nc2_w_balanced": r.NC2WBalanced} {
		if _, ok := r.Undefined[key]; v == nil && !ok {
			r.Undefined[key] = "a zero norm (W = 0 or the reference is 0)"
		}
	}
	if err := r.structure(m); err != nil {
		return nil, nil, err
	}
	classes := m.classes(st, with)
	if len(r.Undefined) == 0 {
		r.Undefined = nil
	}
	for _, v := range []float64{r.Accuracy, r.BiasRelation, r.MaxCos} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, errNonFinite("report")
		}
	}
	return r, classes, nil
}

// compare fills the fields measured against a target.
func (r *Report) compare(m *Measurement, t Target, c Criteria) error {
	dv, err := m.Compare(t, c)
	if err != nil {
		return err
	}
	r.NC2H, r.NC2WWT, r.NC3WH, r.NC2W = dv.NC2H, dv.NC2WWT, dv.NC3WH, dv.NC2W
	r.MarginError, r.BiasError, r.MaxCos = &dv.MarginError, dv.BiasError, dv.MeanCosError
	r.CollapseAgree, r.Disagree, r.AllCollapsed = &dv.CollapseAgree, dv.Disagree, dv.AllCollapsed
	for key, v := range map[string]*float64{"nc2_h": r.NC2H, "nc2_wwt": r.NC2WWT, "nc3_wh": r.NC3WH} {
		if v == nil {
			r.Undefined[key] = "a zero norm (measured or predicted matrix is 0)"
		}
	}
	if t.ClassifierRule == nil {
		r.Undefined["nc2_w"] = ReasonNoPredictedClassifierRule
	}
	return nil
}

// structure fills NC4 and the structure metrics, and voids the normalised
// ones when every class is collapsed.
func (r *Report) structure(m *Measurement) error {
	set := func(dst **float64, f func() (float64, error)) error {
		v, err := f()
		var ue *UndefinedError
		if errors.As(err, &ue) {
			r.Undefined[ue.Metric] = ue.Reason
			return nil
		}
		if err != nil {
			return err
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errNonFinite("a structure metric")
		}
		*dst = &v
		return nil
	}
	for _, x := range []struct {
		dst **float64
		f   func() (float64, error)
	}{{&r.NC4, m.NC4}, {&r.EquinormMeans, m.EquinormMeans}, {&r.EquinormClassifier, m.EquinormClassifier},
		{&r.Equiangularity, m.Equiangularity}, {&r.SelfDuality, m.SelfDuality}, {&r.CDNV, m.CDNV}, {&r.GNC2, m.GNC2}} {
		if err := set(x.dst, x.f); err != nil {
			return err
		}
	}
	if !r.AllCollapsed {
		return nil
	}
	// Everything is (numerically) zero: the normalised quantities divide
	// rounding noise by rounding noise. They are undefined, as theory.md
	// section 8 says for a zero norm.
	const why = "every class is collapsed"
	r.MaxCos = 0
	for key, dst := range map[string]**float64{"nc1": &r.NC1, "nc2_w": &r.NC2W, "nc2_w_balanced": &r.NC2WBalanced,
		"equinorm_means": &r.EquinormMeans, "equiangularity": &r.Equiangularity, "self_duality": &r.SelfDuality,
		"cdnv": &r.CDNV, "gnc2": &r.GNC2} {
		*dst = nil
		r.Undefined[key] = why
	}
	return nil
}

// classes returns the per-class metrics.
func (m *Measurement) classes(st []Status, with []int) []Class {
	margins, worst, rho, wn, cos, prob := m.Margins(), m.WorstMargins(), m.MeanNormSq(), m.ClassifierRowNormSq(), m.CosWMu(), m.MeanProbabilities()
	out := make([]Class, m.K)
	for k := range out {
		c := Class{N: m.Counts[k], Margin: margins[k], WorstMargin: worst[k], FeatureNormSq: rho[k], ClassifierNormSq: wn[k],
			CosWMu: cos[k], Status: st[k], Collapsed: st[k] == Collapsed, Accuracy: float64(m.Correct[k]) / float64(m.Counts[k]),
			Probability: prob[k]}
		if with[k] >= 0 {
			w := with[k]
			c.MergedWith = &w
		}
		if m.NC4Agree != nil {
			v := float64(m.NC4Agree[k]) / float64(m.Counts[k])
			c.NC4 = &v
		} else {
			c.Undefined = map[string]string{"nc4": "the statistics have no nc4_agree"}
		}
		out[k] = c
	}
	return out
}

// ObjectiveGap returns (f - f*) / max(1, |f*|), the one definition of the
// gap between an objective f measured at a point (theory.md section 1) and
// the predicted optimum f* (sections 2, 9, 12): relative to f* when |f*| >=
// 1, absolute below, so that a small f* does not inflate the gap of a point
// that agrees to the last digits. Negative: the point is below the
// prediction (a counterexample when the point is feasible).
func ObjectiveGap(f, fstar float64) float64 { return (f - fstar) / math.Max(1, math.Abs(fstar)) }
