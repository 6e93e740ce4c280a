package closedform

import (
	"fmt"
	"math/big"

	"nccheck/setting"
)

// Paper is the theorem of theory.md section 2 (Dang, Tran, Nguyen, Ho, ICML
// 2024) as a [Theory]: the global minimizer of the bias-free UFM+ problem
// with cross-entropy, orthogonal class means and the margins
//
//	M_k = log((K-1)(1/(c beta_k) - 1)),  c = sqrt((K-1)/K),  beta_k = N sqrt(lambda_W lambda_H / n_k),
//
// clipped at 0 (class k collapses iff n_k <= K N^2 lambda_W lambda_H / (K-1),
// decided exactly). It applies to cross-entropy, no bias, ReLU features and
// d at least the number of alive classes; anything else is a *ScopeError
// ([Default] names the theorem for the other settings).
type Paper struct{}

// Name returns "paper".
func (Paper) Name() string { return paperRule.name() }

// Predict returns the prediction of theory.md section 2 at prec bits (0
// means DefaultPrec), computed at prec+GuardBits bits from the exact
// rational inputs and rounded once. Errors: a *setting.InputError for an
// invalid setting or precision, a *ScopeError when the theorem does not
// apply.
//
// Cost: O(K) logarithms and square roots at prec+GuardBits bits, and O(K^2)
// additions for the three K x K matrices; the explicit point is built only
// when asked for (Prediction.Minimizer).
func (Paper) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	return predictRule(s, prec, paperRule)
}

// Margins returns the margins M_k of section 2 for the cross-entropy
// setting s at prec bits (0 for a collapsed class, decided exactly), without
// the rest of the prediction: O(K) logarithms, no K x K matrices. They are
// the values Predict puts in Classes[k].Margin. Neither d, the bias nor the
// ReLU constraint is checked (the margins do not depend on them).
func (Paper) Margins(s setting.Setting, prec uint) ([]*big.Float, error) {
	return ruleMargins(s, prec, paperRule)
}

// Alive reports, per class, whether section 2 predicts a positive margin:
// n_k > CollapseThreshold(s), decided exactly (rational arithmetic).
func (Paper) Alive(s setting.Setting) []bool { return aliveOf(s, paperRule) }

// CollapseThreshold returns, exactly, K N^2 lambda_W lambda_H / (K-1): a
// class collapses iff its count is at or below it (N including that class).
func (Paper) CollapseThreshold(s setting.Setting) *big.Rat { return collapseThreshold(s, paperRule) }

// AuthorsCode is the margin of the authors' released evaluation code
// (theory.md section 7) as a [Theory]:
//
//	M_k = log((K-1)(sqrt(n_k) / (N sqrt(lambda_H lambda_W / 4) sqrt((K-1) lambda_W / (K lambda_H))) - 1)),
//
// clipped at 0, with every other quantity derived from the margins as in
// section 2; the reported objective is the true objective f at the point
// this formula predicts, so it is at or above the paper's optimum. It agrees
// with [Paper] only when lambda_W = 4 lambda_H. Its scope is the paper's.
type AuthorsCode struct{}

// Name returns "authors-code".
func (AuthorsCode) Name() string { return authorsRule.name() }

// Predict returns the prediction of the authors' formula at prec bits, as
// [Paper.Predict] does for section 2.
func (AuthorsCode) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	return predictRule(s, prec, authorsRule)
}

// Margins returns the margins of the authors' formula (see [Paper.Margins]).
func (AuthorsCode) Margins(s setting.Setting, prec uint) ([]*big.Float, error) {
	return ruleMargins(s, prec, authorsRule)
}

// Alive reports, per class, whether the authors' margin is positive:
// n_k > CollapseThreshold(s), decided exactly.
func (AuthorsCode) Alive(s setting.Setting) []bool { return aliveOf(s, authorsRule) }

// CollapseThreshold returns, exactly, K N^2 lambda_W^2 / (4 (K-1)), the count
// at or below which the authors' margin is 0.
func (AuthorsCode) CollapseThreshold(s setting.Setting) *big.Rat {
	return collapseThreshold(s, authorsRule)
}

// marginRule is one of the closed-form margin formulas of the orthogonal
// structure without a bias (theory.md sections 2, 7 and 12a).
type marginRule int

const (
	paperRule    marginRule = iota // section 2
	authorsRule                    // section 7
	smoothedRule                   // section 12a
)

// name is the Name of the rule's theory.
func (r marginRule) name() string {
	switch r {
	case authorsRule:
		return "authors-code"
	case smoothedRule:
		return "label-smoothing"
	}
	return "paper"
}

// model is Prediction.Model of the rule's predictions.
func (r marginRule) model() string {
	if r == smoothedRule {
		return ModelLabelSmoothing
	}
	return ""
}

// lossScope returns the *ScopeError for a loss the rule does not cover.
func (r marginRule) lossScope(s setting.Setting) *ScopeError {
	if r == smoothedRule {
		if s.Loss.Kind() != setting.LabelSmoothing {
			return lossScope(r.name(), s, "label-smoothed cross-entropy (ls:A, theory.md section 12a)")
		}
		return nil
	}
	if !s.Loss.IsCE() {
		return lossScope(r.name(), s, "cross-entropy")
	}
	return nil
}

// scope returns the rule's *ScopeError for s (loss, bias, ReLU), or nil.
func (r marginRule) scope(s setting.Setting) *ScopeError {
	if se := r.lossScope(s); se != nil {
		return se
	}
	switch {
	case s.Bias:
		return biasScope(r.name(), "the "+r.name()+" theory is bias-free")
	case s.NoReLU:
		return noReLUScope(r.name(), "the "+r.name()+" theory is for ReLU (non-negative) features")
	}
	return nil
}

// predictRule is the prediction of a margin rule: the structure of theory.md
// section 2 with the rule's margins.
func predictRule(s setting.Setting, prec uint, r marginRule) (*Prediction, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if se := r.scope(s); se != nil {
		return nil, se
	}
	alive := aliveOf(s, r)
	if n := countTrue(alive); s.Dim < n {
		return nil, dimScope(r.name(), s.Dim, n, "the theorem")
	}
	c := newCalc(s, prec)
	margins := make([]*big.Float, s.K())
	kExpNeg := make([]*big.Float, s.K())
	for i := range margins {
		if margins[i], kExpNeg[i], err = c.ruleMargin(r, i, alive[i]); err != nil {
			return nil, fmt.Errorf("predict %s: %w", s, err)
		}
	}
	p, err := c.orthogonal(r.name(), margins, kExpNeg, alive, c.lossSlope(r))
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	p.Model = r.model()
	p.CollapseThreshold = c.out(c.fromRat(collapseThreshold(s, r)))
	for i := range p.Classes {
		p.Classes[i].CollapseRoots = c.collapseRoots(collapseCoefficient(s, r), i)
	}
	return p, nil
}

// ruleMargins returns the margins of a rule alone (see Paper.Margins).
func ruleMargins(s setting.Setting, prec uint, r marginRule) ([]*big.Float, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if se := r.lossScope(s); se != nil {
		return nil, se
	}
	c := newCalc(s, prec)
	alive := aliveOf(s, r)
	out := make([]*big.Float, s.K())
	for i := range out {
		m, _, err := c.ruleMargin(r, i, alive[i])
		if err != nil {
			return nil, fmt.Errorf("margins %s: %w", s, err)
		}
		out[i] = c.out(m)
	}
	return out, nil
}

// collapseCoefficient returns the exact rational a such that class k is alive
// iff n_k > a N^2:
//
//	paper:           a = K lambda_W lambda_H / (K-1)
//	authors-code:    a = K lambda_W^2 / (4 (K-1))
//	label-smoothing: a = K lambda_W lambda_H / ((K-1) (1-s)^2),  s the smoothing
//
// (the authors' margin is positive iff sqrt(n_k) / (N (lambda_W/2) c) > K/(K-1);
// the smoothed one iff u_k = s (K-1)/K + c beta_k < (K-1)/K, i.e.
// c beta_k < (1 - s)(K-1)/K).
func collapseCoefficient(s setting.Setting, r marginRule) *big.Rat {
	k := int64(s.K())
	a := new(big.Rat)
	switch r {
	case authorsRule:
		a.Mul(s.LambdaW.Rat(), s.LambdaW.Rat())
		a.Mul(a, big.NewRat(k, 4*(k-1)))
	case smoothedRule:
		a.Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
		a.Mul(a, big.NewRat(k, k-1))
		keep := new(big.Rat).Sub(big.NewRat(1, 1), s.Loss.Smoothing().Rat()) // 1 - s > 0
		a.Quo(a, keep.Mul(keep, keep))
	default:
		a.Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
		a.Mul(a, big.NewRat(k, k-1))
	}
	return a
}

// collapseThreshold returns, exactly, a N^2 with a = collapseCoefficient:
// a class collapses iff its count is at or below it.
func collapseThreshold(s setting.Setting, r marginRule) *big.Rat {
	n := big.NewRat(int64(s.N()), 1)
	t := collapseCoefficient(s, r)
	t.Mul(t, n)
	return t.Mul(t, n)
}

// aliveOf reports n_k > collapseThreshold per class, exactly.
func aliveOf(s setting.Setting, r marginRule) []bool {
	t := collapseThreshold(s, r)
	alive := make([]bool, s.K())
	for i, n := range s.Counts {
		alive[i] = big.NewRat(int64(n), 1).Cmp(t) > 0
	}
	return alive
}
