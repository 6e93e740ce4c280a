package main

import (
	"fmt"

	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/setting"
	"nccheck/verify"
)

// exactKKT is the verify column "exact KKT": the KKT residual of the
// predicted explicit minimizer (with a bias: of the orthogonal-structure
// prediction of theory.md section 4) evaluated in big-float arithmetic.
type exactKKT struct{}

func exactKKTChecker() verify.ExtraChecks { return exactKKT{} }

func (exactKKT) ExactKKT(s setting.Setting, f closedform.Formula, prec uint) (string, error) {
	if s.Bias {
		bp, err := closedform.PredictBias(s, closedform.Options{Prec: prec, Formula: f})
		if err != nil {
			return "", err
		}
		k, err := derivation.AtBiasPrediction(bp)
		if err != nil {
			return "", fmt.Errorf("exact KKT: %w", err)
		}
		return k.Residual.Text('g', 10), nil
	}
	p, err := closedform.Predict(s, closedform.Options{Prec: prec, Formula: f})
	if err != nil {
		return "", err
	}
	k, err := derivation.AtPrediction(p)
	if err != nil {
		return "", fmt.Errorf("exact KKT: %w", err)
	}
	return k.Residual.Text('g', 10), nil
}
