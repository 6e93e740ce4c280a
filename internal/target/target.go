package target

import (
	"nccheck/closedform"
	"nccheck/metrics"
)

// Of returns the prediction as the float64 target of package metrics:
// Hbar^T Hbar, W W^T, W Hbar, the classifier rule, the alive set, the bias
// and the predicted cosine of the class means, each rounded to float64.
func Of(p *closedform.Prediction) metrics.Target {
	return metrics.Target{HTH: p.HTH.Dense(), WWT: p.WWT.Dense(), WH: p.WH.Dense(), ClassifierRule: p.ClassifierRule,
		Alive: p.Alive(), B: p.BiasDense(), MeanCos: p.MeanCos}
}
