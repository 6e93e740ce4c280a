package closedform

import (
	"fmt"
	"math/big"
	"nccheck/internal/bigmath"

	"nccheck/setting"
)

// MarginTheory is a theory given by a formula for the margins M_k (the
// logit gaps of theory.md section 2), with everything else derived from
// them as in section 2: a class is alive iff M_k > 0, rho_k = M_k
// sqrt((K-1) lambda_W / (K lambda_H n_k)), gamma_k = M_k sqrt(K lambda_H n_k /
// ((K-1) lambda_W)), the explicit point with orthogonal class means, and the
// objective f evaluated at that point. It is how a researcher checks a
// margin formula of their own against the solver (see package verify).
//
// The alive decision is M_k > 0 at prec bits, not an exact rational test;
// a margin within 2^-prec of 0 should be returned as exactly 0. The theory
// is for cross-entropy, bias-free and for ReLU features; d must be at least
// the number of alive classes. A Margin that panics panics Predict
// (package verify turns that into an error row).
type MarginTheory struct {
	// Label is the theory's Name.
	Label string
	// Margin returns M_k for class k (0-based) of s, at least prec bits
	// accurate; a value <= 0 means the class collapses (M_k = 0).
	Margin func(s setting.Setting, k int, prec uint) (*big.Float, error)
}

// Name returns m.Label.
func (m MarginTheory) Name() string { return m.Label }

// Predict evaluates the margin formula at prec+GuardBits bits and derives
// the geometry from it, rounded to prec bits.
func (m MarginTheory) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if m.Margin == nil {
		return nil, fmt.Errorf("closedform: margin theory %q has no Margin function", m.Label)
	}
	switch {
	case !s.Loss.IsCE():
		return nil, lossScope(m.Label, s, "cross-entropy (a margin theory derives the geometry of theory.md section 2)")
	case s.Bias:
		return nil, biasScope(m.Label, "a margin theory is bias-free")
	case s.NoReLU:
		return nil, noReLUScope(m.Label, "a margin theory is for ReLU (non-negative) features")
	}
	c := newCalc(s, prec)
	k := s.K()
	margins := make([]*big.Float, k)
	kExpNeg := make([]*big.Float, k)
	alive := make([]bool, k)
	for i := 0; i < k; i++ {
		mk, err := m.Margin(s, i, c.wp)
		if err != nil {
			return nil, fmt.Errorf("%s: margin of class %d: %w", m.Label, i+1, err)
		}
		if mk == nil || mk.IsInf() {
			return nil, fmt.Errorf("%s: margin of class %d: %w", m.Label, i+1, setting.ErrNonFinite)
		}
		margins[i] = c.newF()
		kExpNeg[i] = c.newF().Set(c.kMinus1)
		if mk.Sign() > 0 {
			alive[i] = true
			margins[i].Set(mk)
			e := bigmath.Exp(c.newF().Neg(margins[i]))
			kExpNeg[i].Mul(kExpNeg[i], e)
		}
	}
	if n := countTrue(alive); s.Dim < n {
		return nil, dimScope(m.Label, s.Dim, n, "the theory")
	}
	p, err := c.orthogonal(m.Label, margins, kExpNeg, alive, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: predict %s: %w", m.Label, s, err)
	}
	return p, nil
}
