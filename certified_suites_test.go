package nccheck

import (
	"bytes"
	"math/big"
	"testing"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/verify"
)

// TestLossSuitesCertified: at the explicit point of the theory that applies
// to every row of the label-smoothing and mse suites (theory.md 12a, 12b
// and the unregularised-bias statement where it is in scope), the rigorous
// lower bound of package certificate (sections 11-12, code independent of
// closedform) at 256 bits equals the objective there to 2^-200 relative:
// each prediction is the global minimum of its row, for every d. The
// largest gap of each suite is logged (`go test -run LossSuitesCertified
// -v .`): the README's certificate gaps.
func TestLossSuitesCertified(t *testing.T) {
	const prec = 256
	for _, suite := range []string{"label-smoothing", "mse"} {
		b, err := Suite(suite)
		if err != nil {
			t.Fatal(err)
		}
		_, cases, err := verify.ParseGrid(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		worst, worstName, certified := new(big.Float), "", 0
		for _, c := range cases {
			p, err := closedform.Auto{}.Predict(c.Setting, prec)
			if err != nil {
				continue // out of scope (the unregularised bias with ReLU)
			}
			m, err := p.Minimizer()
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			r, err := certificate.BigAtClassMeans(c.Setting, m.W, m.Means, m.B, prec)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			// The gap is against the certificate's own objective at the
			// point, and that objective against f*.
			gap := r.Gap(r.Objective)
			lim := new(big.Float).SetMantExp(big.NewFloat(1), -200)
			if p.Objective.Sign() != 0 {
				lim.Mul(lim, new(big.Float).Abs(p.Objective))
			}
			if gap.Cmp(lim) > 0 || gap.Sign() < 0 {
				t.Errorf("%s: objective %s, certified lower bound %s (gap %s)", c.Name, r.Objective.Text('g', 30), r.LowerBound.Text('g', 30), gap.Text('g', 3))
			}
			if d := new(big.Float).Sub(r.Objective, p.Objective); new(big.Float).Abs(d).Cmp(lim) > 0 {
				t.Errorf("%s: the certificate's objective %s is not f* %s", c.Name, r.Objective.Text('g', 30), p.Objective.Text('g', 30))
			}
			if gap.Cmp(worst) > 0 {
				worst.Set(gap)
				worstName = c.Name
			}
			certified++
		}
		if certified == 0 {
			t.Fatalf("%s: no row certified", suite)
		}
		t.Logf("%s: %d of %d rows certified at %d bits, largest gap f - LB = %s (%s)", suite, certified, len(cases), prec, worst.Text('g', 2), worstName)
	}
}
