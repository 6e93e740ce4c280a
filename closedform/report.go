package closedform

import (
	"encoding/json"
)

// Report is the JSON form of a Prediction: every big number is a decimal
// string with a fixed number of significant digits (by default all that the
// precision supports, Digits(Prec)).
type Report struct {
	Setting            SettingReport `json:"setting"`
	Formula            string        `json:"formula"`
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

// SettingReport echoes the setting, with the lambdas as their exact decimal text.
type SettingReport struct {
	N       []int  `json:"n"`
	D       int    `json:"d"`
	LambdaW string `json:"lambda_w"`
	LambdaH string `json:"lambda_h"`
}

// ClassReport is one class of a Report. CosWH is null for a collapsed class.
// CollapseRoots is a pair [lower, upper] of decimal strings, or the string
// "none" when the roots are not real.
type ClassReport struct {
	Class            int             `json:"class"` // 1-based, input order
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
	f := func(x interface{ Text(byte, int) string }) string { return x.Text('g', digits) }
	r := Report{
		Setting: SettingReport{N: append([]int(nil), p.Setting.Counts...), D: p.Setting.Dim,
			LambdaW: p.Setting.LambdaW.String(), LambdaH: p.Setting.LambdaH.String()},
		Formula:            p.Formula.String(),
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
		cr := ClassReport{Class: i + 1, N: c.N, Alive: c.Alive, Margin: f(c.Margin),
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
