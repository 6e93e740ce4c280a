package verify

import (
	"nccheck/closedform"
	"nccheck/metrics"
	"nccheck/setting"
)

// seliPrec is the precision SELI is computed at before its rounding to
// float64 (the distances are float64).
const seliPrec = 64

// seliApplies reports whether SELI (theory.md section 13) is the reference
// geometry of a setting: the plain UFM (no ReLU) with cross-entropy,
// bias-free, d >= K - 1 (room for the K - 1 dimensional limit) and K at
// most closedform.MaxEigenClasses. Balanced counts give the simplex ETF.
func seliApplies(s setting.Setting) bool {
	return s.NoReLU && s.Loss.IsCE() && !s.Bias && s.Dim >= s.K()-1 && s.K() <= closedform.MaxEigenClasses
}

// seliDist is the distance (metrics.Measurement.DistTo, class statuses
// under c) of a solver's point to SELI when seliApplies to s, else nil. SELI is computed from the
// counts alone; the solver never sees it.
func seliDist(s setting.Setting, meas *metrics.Measurement, c metrics.Criteria) (*metrics.GeometryDist, error) {
	if !seliApplies(s) {
		return nil, nil
	}
	g, err := closedform.SELI(s.Counts, seliPrec)
	if err != nil {
		return nil, err
	}
	d, err := meas.DistTo(metrics.Geometry{WWT: g.WWT.Dense(), HTH: g.HTH.Dense(), WH: g.WH.Dense()}, c)
	if err != nil {
		return nil, err
	}
	return &d, nil
}
