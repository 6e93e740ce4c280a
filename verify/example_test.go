package verify_test

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ALTree/bigfloat"

	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify"
)

// A researcher's own margin formula, checked against the float64 solver and
// the exact KKT conditions through the library alone. The first formula is
// the paper's, M_k = log((K-1)(1/(c beta_k) - 1)); the second forgets the
// "- 1". Everything else (feature norms, classifier, objective) is derived
// from the margins by closedform.MarginTheory. The solver finds a lower
// objective than the wrong formula's point: a counterexample to it, and its
// point is not a KKT point.
func Example_userMarginFormula() {
	margin := func(minusOne bool) func(s setting.Setting, k int, prec uint) (*big.Float, error) {
		return func(s setting.Setting, k int, prec uint) (*big.Float, error) {
			f := func(r *big.Rat) *big.Float { return new(big.Float).SetPrec(prec).SetRat(r) }
			kk, n, nk := int64(s.K()), int64(s.N()), int64(s.Counts[k])
			// c beta_k = N sqrt((K-1) lambda_W lambda_H / (K n_k))
			r := new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
			r.Mul(r, big.NewRat(kk-1, kk*nk))
			cbeta := f(r)
			cbeta.Sqrt(cbeta).Mul(cbeta, f(big.NewRat(n, 1)))
			arg := new(big.Float).SetPrec(prec).Quo(f(big.NewRat(1, 1)), cbeta)
			if minusOne {
				arg.Sub(arg, f(big.NewRat(1, 1)))
			}
			arg.Mul(arg, f(big.NewRat(kk-1, 1)))
			if arg.Cmp(f(big.NewRat(1, 1))) <= 0 {
				return new(big.Float), nil // collapsed
			}
			return bigfloat.Log(arg), nil
		}
	}
	right := closedform.MarginTheory{Label: "mine", Margin: margin(true)}
	wrong := closedform.MarginTheory{Label: "mine-without-1", Margin: margin(false)}

	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 4,
		LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	cfg := verify.Config{Theories: []closedform.Theory{right, wrong}, ExactKKT: true}
	rows, err := verify.Run(context.Background(), []verify.Case{{Name: "a", Setting: s}}, cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		kkt, _, _ := big.ParseFloat(*r.ExactKKT, 10, 64, big.ToNearestEven)
		fmt.Printf("%s: %s, exact KKT residual below 1e-60: %t\n", r.Theory, r.Verdict, kkt.Cmp(big.NewFloat(1e-60)) < 0)
	}
	// Output:
	// mine: agree, exact KKT residual below 1e-60: true
	// mine-without-1: counterexample, exact KKT residual below 1e-60: false
}
