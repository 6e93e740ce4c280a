package optimize

import "math"

// fstar is the optimal value of theory.md section 2 (bias-free), computed
// in float64 as a reference for the tests.
func fstar(p *Problem) float64 {
	k := float64(p.K())
	n := float64(p.N())
	c := math.Sqrt((k - 1) / k)
	f := 0.0
	for _, nk := range p.Counts {
		beta := n * math.Sqrt(p.LambdaW*p.LambdaH/float64(nk))
		m := 0.0
		if a := (k - 1) * (1/(c*beta) - 1); a > 1 {
			m = math.Log(a)
		}
		f += float64(nk) / n * (math.Log1p((k-1)*math.Exp(-m)) + c*beta*m)
	}
	return f
}
