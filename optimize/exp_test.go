package optimize

import (
	"fmt"
	"testing"
)

func TestExp(t *testing.T) {
	for _, bp := range benchProblems[1:2] {
		p := bp.p
		for _, mem := range []int{3, 5, 8} {
			for _, sc := range []float64{0.5, 1, 2, 4} {
				tot := 0
				s := ""
				for seed := uint64(1); seed <= 4; seed++ {
					e, _ := NewEvaluator(&p)
					x := make([]float64, p.NumVars())
					InitialPoint(&p, seed, sc, x)
					loc, _ := LBFGSB{Memory: mem}.Minimize(e, x, Limits{Tol: 1e-10, MaxIter: 20000})
					tot += loc.Evaluations
					s += fmt.Sprintf(" %d/%.1e/%.1e", loc.Evaluations, loc.Residual, (loc.F-fstar(&p))/fstar(&p))
				}
				fmt.Println(bp.name, mem, sc, tot, s)
			}
		}
	}
}
