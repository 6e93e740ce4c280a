package closedform

import (
	"fmt"
	"math/big"

	"github.com/ALTree/bigfloat"

	"nccheck/setting"
)

// Theory is a prediction of the global minimizer of the training problem of
// theory.md section 1: given a setting it returns the predicted geometry, or
// a *ScopeError when it makes no prediction for that setting.
//
// The built-in theories are the values of [Formula]: [FormulaPaper] (the
// paper's theorem, theory.md section 2; with a bias it predicts the
// orthogonal structure of section 4, and for the balanced plain UFM the
// simplex ETF of section 9) and [FormulaAuthorsCode] (the margin of the
// authors' released code, section 7); [ETF] is section 9 on its own.
// [MarginTheory] turns any margin formula into a Theory. Package verify
// compares any Theory with the numerical solver and package derivation
// checks its explicit point, so a new theorem plugs in by implementing this
// interface: nothing in the comparison depends on which theory made a
// prediction.
type Theory interface {
	// Name identifies the theory in tables and JSON ("paper", ...).
	Name() string
	// Predict returns the prediction for s with every number rounded to prec
	// bits (0 means DefaultPrec), or an error: a *ScopeError when the theory
	// does not apply to s, a *setting.InputError for invalid input.
	Predict(s setting.Setting, prec uint) (*Prediction, error)
}

// ScopeError reports that a theory makes no prediction for a setting: a
// bias where the theory is bias-free, the plain UFM, d below the number of
// alive classes, and so on. It unwraps to a *setting.InputError naming the
// responsible field, so that a command can report it as bad input.
type ScopeError struct {
	Theory string // the theory's Name
	// Field is the setting field responsible (setting.FieldDim, ...) and
	// Value its offending value ("" when none is shown).
	Field, Value string
	// Reason is a sentence for a command-line message; Short is a few words
	// for a table cell ("bias", "d=2 < 3 alive classes").
	Reason, Short string
	// Alive is the number of classes the theory would predict alive, or -1
	// when it cannot say.
	Alive int
}

func (e *ScopeError) Error() string { return e.input().Error() }

// Unwrap returns the error as a *setting.InputError.
func (e *ScopeError) Unwrap() error { return e.input() }

func (e *ScopeError) input() *setting.InputError {
	return &setting.InputError{Field: e.Field, Value: e.Value, Reason: e.Reason}
}

// Predict returns the prediction of the formula's theory: opt.Formula's
// Predict at opt.Prec bits (see [Formula.Predict]).
func Predict(s setting.Setting, opt Options) (*Prediction, error) {
	return opt.Formula.Predict(s, opt.Prec)
}

// Name returns the formula's name: "paper" or "authors-code".
func (f Formula) Name() string { return f.String() }

// Predict makes Formula a [Theory]. For FormulaPaper:
//
//   - with a bias (s.Bias), the orthogonal structure of theory.md section 4,
//     solved to prec bits by PredictBias (its global optimality is an open
//     point that the solver tests);
//   - for the plain UFM (s.NoReLU) with balanced counts, the simplex ETF of
//     theory.md section 9 (Model ModelETF; see [ETF]), with d >= K-1 unless
//     every class collapses; imbalanced counts are a *ScopeError (no closed
//     form is known);
//   - otherwise the closed form of theory.md section 2, with d at least the
//     number of alive classes.
//
// FormulaAuthorsCode predicts only the bias-free UFM+ (section 7). Errors:
// a *setting.InputError for an invalid setting, precision or formula, a
// *ScopeError when the theory does not apply.
//
// Cost: O(K) logarithms and square roots at prec+GuardBits bits, and O(K^2)
// additions for the three K x K matrices (with a bias: see PredictBias).
func (f Formula) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	if _, err := ParseFormula(f.String()); err != nil {
		return nil, err
	}
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	switch {
	case s.Bias && f == FormulaPaper:
		return PredictBias(s, Options{Prec: prec})
	case s.Bias:
		return nil, &ScopeError{Theory: f.Name(), Field: setting.FieldBias, Short: "bias", Alive: -1,
			Reason: "the " + f.Name() + " formula is bias-free"}
	case s.NoReLU && f == FormulaPaper:
		return predictETF(s, prec, f.Name())
	case s.NoReLU:
		return nil, &ScopeError{Theory: f.Name(), Field: setting.FieldNoReLU, Short: "no ReLU constraint", Alive: -1,
			Reason: "the " + f.Name() + " formula is for ReLU (non-negative) features"}
	}
	alive := Alive(s, f)
	if n := countTrue(alive); s.Dim < n {
		return nil, &ScopeError{Theory: f.Name(), Field: setting.FieldDim, Value: fmt.Sprint(s.Dim), Alive: n,
			Short:  fmt.Sprintf("d=%d < %d alive classes", s.Dim, n),
			Reason: fmt.Sprintf("smaller than the number of alive classes (%d); the theorem does not apply", n)}
	}
	c := newCalc(s, prec)
	margins := make([]*big.Float, s.K())
	kExpNeg := make([]*big.Float, s.K())
	for i := range margins {
		if margins[i], kExpNeg[i], err = c.formulaMargin(f, i, alive[i]); err != nil {
			return nil, fmt.Errorf("predict %s: %w", s, err)
		}
	}
	p, err := c.orthogonal(f.Name(), margins, kExpNeg, alive)
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	p.CollapseThreshold = c.out(c.fromRat(CollapseThreshold(s, f)))
	for i := range p.Classes {
		p.Classes[i].CollapseRoots = c.collapseRoots(collapseCoefficient(s, f), i)
	}
	return p, nil
}

// Margins returns the margins M_k of the formula for the bias-free UFM+
// setting s at prec bits (0 for a collapsed class, decided exactly), without
// the rest of the prediction: O(K) logarithms, no K x K matrices. They are
// the values Predict puts in Classes[k].Margin. d is not checked (the
// margins do not depend on it).
func (f Formula) Margins(s setting.Setting, prec uint) ([]*big.Float, error) {
	if _, err := ParseFormula(f.String()); err != nil {
		return nil, err
	}
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	c := newCalc(s, prec)
	alive := Alive(s, f)
	out := make([]*big.Float, s.K())
	for i := range out {
		m, _, err := c.formulaMargin(f, i, alive[i])
		if err != nil {
			return nil, fmt.Errorf("margins %s: %w", s, err)
		}
		out[i] = c.out(m)
	}
	return out, nil
}

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
// is bias-free and for ReLU features; d must be at least the number of
// alive classes.
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
	switch {
	case s.Bias:
		return nil, &ScopeError{Theory: m.Label, Field: setting.FieldBias, Short: "bias", Alive: -1, Reason: "a margin theory is bias-free"}
	case s.NoReLU:
		return nil, &ScopeError{Theory: m.Label, Field: setting.FieldNoReLU, Short: "no ReLU constraint", Alive: -1,
			Reason: "a margin theory is for ReLU (non-negative) features"}
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
			return nil, fmt.Errorf("%s: margin of class %d: %w", m.Label, i+1, ErrNonFinite)
		}
		margins[i] = c.newF()
		kExpNeg[i] = c.newF().Set(c.kMinus1)
		if mk.Sign() > 0 {
			alive[i] = true
			margins[i].Set(mk)
			e := bigfloat.Exp(c.newF().Neg(margins[i]))
			kExpNeg[i].Mul(kExpNeg[i], e)
		}
	}
	if n := countTrue(alive); s.Dim < n {
		return nil, &ScopeError{Theory: m.Label, Field: setting.FieldDim, Value: fmt.Sprint(s.Dim), Alive: n,
			Short:  fmt.Sprintf("d=%d < %d alive classes", s.Dim, n),
			Reason: fmt.Sprintf("smaller than the number of alive classes (%d); the theory does not apply", n)}
	}
	p, err := c.orthogonal(m.Label, margins, kExpNeg, alive)
	if err != nil {
		return nil, fmt.Errorf("%s: predict %s: %w", m.Label, s, err)
	}
	return p, nil
}

// checkInputs checks what every closed form needs: the precision (with its
// default applied), a valid setting, and K <= MaxClasses.
func checkInputs(s setting.Setting, prec uint) (uint, error) {
	prec, err := checkPrec(prec)
	if err != nil {
		return 0, err
	}
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if !s.Loss.IsCE() {
		return 0, &ScopeError{Theory: "closed form", Field: setting.FieldLoss, Value: s.Loss.String(), Short: "loss " + s.Loss.String(), Alive: -1,
			Reason: "the closed forms of theory.md sections 2, 4, 7 and 9 are for cross-entropy"}
	}
	if k := s.K(); k > MaxClasses {
		return 0, &setting.InputError{Field: setting.FieldCounts, Value: fmt.Sprintf("(%d classes)", k),
			Reason: fmt.Sprintf("the closed form builds three K x K big-float matrices; at most %d classes", MaxClasses)}
	}
	return prec, nil
}

// checkPrec applies the default and checks the range.
func checkPrec(prec uint) (uint, error) {
	if prec == 0 {
		prec = DefaultPrec
	}
	if prec < MinPrec || prec > MaxPrec {
		return 0, &setting.InputError{Field: "Prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	return prec, nil
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
