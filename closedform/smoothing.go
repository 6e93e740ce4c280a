package closedform

import (
	"math/big"

	"nccheck/setting"
)

// ModelLabelSmoothing is Prediction.Model for label-smoothed cross-entropy
// (theory.md section 12a).
const ModelLabelSmoothing = "label smoothing, sec. 12a"

// LabelSmoothing is the prediction of theory.md section 12a as a [Theory]:
// label-smoothed cross-entropy l(z; k) = lse(z) - t_k.z, t_k = (1 - s) e_k +
// (s/K) 1 with smoothing s = s.Loss.Smoothing(), ReLU features, no bias. It
// is the structure of section 2 (orthogonal class means, the same rho_k,
// gamma_k, W and matrices from the margins) with
//
//	u_k = s (K-1)/K + c beta_k,   M_k = log((K-1)(1/u_k - 1)) if that is > 1, else 0,
//	p_k = 1 - u_k (alive),
//	f*  = sum_k (n_k/N) [log(1 + (K-1) e^{-M_k}) + s M_k (K-1)/K + c beta_k M_k].
//
// Class k collapses iff n_k <= K N^2 lambda_W lambda_H / ((K-1)(1-s)^2),
// decided exactly; s = 0 is section 2. The statement was derived for this
// project and is not published: package verify, derivation and the
// certificate confirm or refute it. It applies to the loss ls:A only
// (cross-entropy is Paper), no bias, ReLU features and d at least the number
// of alive classes.
type LabelSmoothing struct{}

// Name returns "label-smoothing".
func (LabelSmoothing) Name() string { return smoothedRule.name() }

// Predict returns the prediction of section 12a at prec bits (0 means
// DefaultPrec), as [Paper.Predict] does for section 2, with Model
// ModelLabelSmoothing.
func (LabelSmoothing) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	return predictRule(s, prec, smoothedRule)
}

// Margins returns the margins M_k of section 12a (see [Paper.Margins]).
func (LabelSmoothing) Margins(s setting.Setting, prec uint) ([]*big.Float, error) {
	return ruleMargins(s, prec, smoothedRule)
}

// Alive reports, per class, whether section 12a predicts a positive margin,
// decided exactly.
func (LabelSmoothing) Alive(s setting.Setting) []bool { return aliveOf(s, smoothedRule) }

// CollapseThreshold returns, exactly, K N^2 lambda_W lambda_H / ((K-1)(1-s)^2),
// the count at or below which a class collapses under smoothing s.
func (LabelSmoothing) CollapseThreshold(s setting.Setting) *big.Rat {
	return collapseThreshold(s, smoothedRule)
}
