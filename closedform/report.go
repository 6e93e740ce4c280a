package closedform

import (
	"encoding/json"
	"math/big"

	"nccheck/setting"
)

// Report is the JSON form of a Prediction: every big number is a decimal
// string with a fixed number of significant digits (by default all that the
// precision supports, Digits(Prec)).
type Report struct {
	// Setting is the setting's one JSON form (setting.JSON): lambdas as
	// their exact decimal text.
	Setting setting.JSON `json:"setting"`
	// Theory is the Name of the theory that made the prediction.
	Theory             string        `json:"theory"`
	PrecisionBits      uint          `json:"precision_bits"`
	Digits             int           `json:"digits"`
	Objective          string        `json:"objective"`
	GlobalCollapse     bool          `json:"global_collapse"`
	CollapseThresholdN string        `json:"collapse_threshold_n"`
	AliveClasses       int           `json:"alive_classes"`
	Classes            []ClassReport `json:"classes"`
	WH                 [][]string    `json:"WH"`
	WWT                [][]string    `json:"WWT"`
	HTH                [][]string    `json:"HTH"`
}

// ClassReport is one class of a Report. CosWH is null for a collapsed class.
// CollapseRoots is a pair [lower, upper] of decimal strings, or the string
// "none" when the roots are not real.
type ClassReport struct {
	Class            int             `json:"class"` // the label, 0..K-1 (input order)
	N                int             `json:"n"`
	Alive            bool            `json:"alive"`
	Margin           string          `json:"margin"`
	FeatureNormSq    string          `json:"feature_norm_sq"`
	Gamma            string          `json:"gamma"`
	ClassifierNormSq string          `json:"classifier_norm_sq"`
	CosWH            *string         `json:"cos_w_h"`
	ProbCorrect      string          `json:"prob_correct"`
	CBeta            string          `json:"c_beta"`
	CollapseRoots    json.RawMessage `json:"collapse_roots"`
}

// Report returns the JSON form with the given number of significant digits;
// digits <= 0 means Digits(p.Prec).
func (p *Prediction) Report(digits int) Report {
	if digits <= 0 {
		digits = Digits(p.Prec)
	}
	f := func(x *big.Float) string { return FormatFloat(x, digits) }
	r := Report{
		Setting:            p.Setting.JSON(),
		Theory:             p.Theory,
		PrecisionBits:      p.Prec,
		Digits:             digits,
		Objective:          f(p.Objective),
		GlobalCollapse:     p.GlobalCollapse,
		CollapseThresholdN: f(p.CollapseThreshold),
		AliveClasses:       p.AliveCount(),
		WH:                 p.WH.Text(digits),
		WWT:                p.WWT.Text(digits),
		HTH:                p.HTH.Text(digits),
	}
	for i, c := range p.Classes {
		cr := ClassReport{Class: i, N: c.N, Alive: c.Alive, Margin: f(c.Margin),
			FeatureNormSq: f(c.FeatureNormSq), Gamma: f(c.Gamma), ClassifierNormSq: f(c.ClassifierNormSq),
			ProbCorrect: f(c.ProbCorrect), CBeta: f(c.CBeta)}
		if c.CosWH != nil {
			s := f(c.CosWH)
			cr.CosWH = &s
		}
		if c.CollapseRoots.Real {
			cr.CollapseRoots, _ = json.Marshal([]string{f(c.CollapseRoots.Lo), f(c.CollapseRoots.Hi)})
		} else {
			cr.CollapseRoots = json.RawMessage(`"none"`)
		}
		r.Classes = append(r.Classes, cr)
	}
	return r
}

// BiasReport is the JSON form of the reduced-problem solution behind a
// prediction with a bias: every big number is a decimal string with a fixed
// number of significant digits.
type BiasReport struct {
	PrecisionBits    uint              `json:"precision_bits"`
	Digits           int               `json:"digits"`
	LambdaB          string            `json:"lambda_b"`
	Objective        string            `json:"objective"`
	Residual         string            `json:"reduced_residual"`
	NewtonIterations int               `json:"newton_iterations"`
	ProxIterations   int               `json:"prox_iterations"`
	AliveClasses     int               `json:"alive_classes"`
	Bias             []string          `json:"bias"`
	Classes          []BiasClassReport `json:"classes"`
}

// BiasClassReport is one class of a BiasReport; Classifier is null for a
// collapsed class.
type BiasClassReport struct {
	Class            int      `json:"class"` // the label, 0..K-1
	N                int      `json:"n"`
	Alive            bool     `json:"alive"`
	Logits           []string `json:"logits"`
	LogitNorm        string   `json:"logit_norm"`
	FeatureNormSq    string   `json:"feature_norm_sq"`
	Classifier       []string `json:"classifier"`
	Margin           string   `json:"margin"`
	ProbCorrect      string   `json:"prob_correct"`
	SubgradientRatio string   `json:"subgradient_ratio"`
}

// BiasReport returns the JSON form of p.Reduced with the given number of
// significant digits (digits <= 0 means Digits(p.Prec)), or nil when the
// prediction has no bias.
func (p *Prediction) BiasReport(digits int) *BiasReport {
	if p.Reduced == nil {
		return nil
	}
	if digits <= 0 {
		digits = Digits(p.Prec)
	}
	f := func(x *big.Float) string { return x.Text('g', digits) }
	fs := func(xs []*big.Float) []string {
		if xs == nil {
			return nil
		}
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = f(x)
		}
		return out
	}
	red := p.Reduced
	r := &BiasReport{PrecisionBits: p.Prec, Digits: digits, LambdaB: p.Setting.LambdaB.String(), Objective: f(p.Objective),
		Residual: f(red.Residual), NewtonIterations: red.NewtonIterations, ProxIterations: red.ProxIterations,
		AliveClasses: p.AliveCount(), Bias: fs(p.Bias)}
	for i, c := range p.Classes {
		rc := red.Classes[i]
		r.Classes = append(r.Classes, BiasClassReport{Class: i, N: c.N, Alive: c.Alive, Logits: fs(rc.Logits),
			LogitNorm: f(rc.LogitNorm), FeatureNormSq: f(c.FeatureNormSq), Classifier: fs(rc.Classifier),
			Margin: f(c.Margin), ProbCorrect: f(c.ProbCorrect), SubgradientRatio: f(rc.SubgradientRatio)})
	}
	return r
}
