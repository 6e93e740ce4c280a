package target

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/metrics"
)

// Of returns the prediction as the float64 target of package metrics:
// Hbar^T Hbar, W W^T, W Hbar, the classifier rule, the alive set, the bias
// and the predicted cosines of the class means, each rounded to float64.
// The cosine of every pair of alive classes is read from the prediction's
// Hbar^T Hbar (PairCos), so a theory whose pairs have different cosines
// (the squared error with an unregularised bias) is measured against each;
// MeanCos is the prediction's single cosine.
func Of(p *closedform.Prediction) metrics.Target {
	hth := p.HTH.Dense()
	return metrics.Target{HTH: hth, WWT: p.WWT.Dense(), WH: p.WH.Dense(), ClassifierRule: p.ClassifierRule,
		Alive: p.Alive(), B: p.BiasDense(), MeanCos: p.MeanCos, PairCos: pairCos(hth, p.Alive())}
}

// pairCos returns the K x K cosines hth_kl / sqrt(hth_kk hth_ll) of the
// alive pairs (0 elsewhere), nil when fewer than two classes are alive.
func pairCos(hth *mat.Dense, alive []bool) *mat.Dense {
	k := len(alive)
	n := 0
	for _, a := range alive {
		if a {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	c := mat.NewDense(k, k, nil)
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			if a == b || !alive[a] || !alive[b] {
				continue
			}
			if d := math.Sqrt(hth.At(a, a) * hth.At(b, b)); d > 0 {
				c.Set(a, b, hth.At(a, b)/d)
			}
		}
	}
	return c
}
