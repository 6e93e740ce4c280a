package closedform

import (
	"fmt"
	"math/big"

	"nccheck/setting"
)

// Formula selects the margin formula.
type Formula int

const (
	// FormulaPaper is theory.md section 2:
	// M_k = log((K-1)(1/(c beta_k) - 1)), c = sqrt((K-1)/K),
	// beta_k = N sqrt(lambda_W lambda_H / n_k), clipped at 0.
	FormulaPaper Formula = iota
	// FormulaAuthorsCode is theory.md section 7:
	// M_k = log((K-1)(sqrt(n_k) / (N sqrt(lambda_H lambda_W / 4) sqrt((K-1) lambda_W / (K lambda_H))) - 1)),
	// clipped at 0. It agrees with FormulaPaper only when lambda_W = 4 lambda_H.
	FormulaAuthorsCode
)

// String returns the formula's name as the command line spells it.
func (f Formula) String() string {
	switch f {
	case FormulaPaper:
		return "paper"
	case FormulaAuthorsCode:
		return "authors-code"
	}
	return fmt.Sprintf("Formula(%d)", int(f))
}

// ParseFormula parses "paper" or "authors-code".
func ParseFormula(name string) (Formula, error) {
	for _, f := range []Formula{FormulaPaper, FormulaAuthorsCode} {
		if f.String() == name {
			return f, nil
		}
	}
	return 0, &setting.InputError{Field: "Formula", Value: fmt.Sprintf("%q", name), Reason: "must be paper or authors-code"}
}

// MarshalText encodes the formula by name.
func (f Formula) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// collapseCoefficient returns the exact rational a such that class k is alive
// iff n_k > a N^2:
//
//	paper:        a = K lambda_W lambda_H / (K-1)
//	authors-code: a = K lambda_W^2 / (4 (K-1))
//
// (the authors' margin is positive iff sqrt(n_k) / (N (lambda_W/2) c) > K/(K-1)).
func collapseCoefficient(s setting.Setting, f Formula) *big.Rat {
	k := int64(s.K())
	a := new(big.Rat)
	switch f {
	case FormulaAuthorsCode:
		a.Mul(s.LambdaW.Rat(), s.LambdaW.Rat())
		a.Mul(a, big.NewRat(k, 4*(k-1)))
	default:
		a.Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
		a.Mul(a, big.NewRat(k, k-1))
	}
	return a
}

// CollapseThreshold returns, exactly, the count K N^2 lambda_W lambda_H / (K-1)
// (for the authors' code, K N^2 lambda_W^2 / (4 (K-1))) at or below which a
// class collapses, N including that class.
func CollapseThreshold(s setting.Setting, f Formula) *big.Rat {
	n := big.NewRat(int64(s.N()), 1)
	t := collapseCoefficient(s, f)
	t.Mul(t, n)
	return t.Mul(t, n)
}

// Alive reports, per class, whether the formula predicts a positive margin:
// n_k > CollapseThreshold. The test is exact (rational arithmetic).
func Alive(s setting.Setting, f Formula) []bool {
	t := CollapseThreshold(s, f)
	alive := make([]bool, s.K())
	for i, n := range s.Counts {
		alive[i] = big.NewRat(int64(n), 1).Cmp(t) > 0
	}
	return alive
}

// MaxClasses bounds K for Predict: the three K x K matrices of big.Float
// entries take about 250 bytes per entry at 256 bits (about 1 GB at K = 2000).
const MaxClasses = 2000
