package verify

import (
	"fmt"
	"math"
	"math/rand/v2"

	"nccheck/setting"
)

// RandomCases draws count seeded random settings: K uniform in [2, 20], each
// n_k log-uniform in [1, 200], d = K, and lambda_W, lambda_H of the form
// m e-x with m in 1..9 and x in 2..4 (so some classes collapse). The same seed
// gives the same cases; the built-in "random" suite is RandomCases(1, 120).
func RandomCases(seed uint64, count int) []Case {
	r := rand.New(rand.NewPCG(seed, 0x6e63636865636b)) // "nccheck"
	lam := func() setting.Decimal {
		return setting.MustDecimal(fmt.Sprintf("%de-%d", 1+r.IntN(9), 2+r.IntN(3)))
	}
	cases := make([]Case, count)
	for i := range cases {
		k := 2 + r.IntN(19)
		counts := make([]int, k)
		for j := range counts {
			counts[j] = int(math.Round(math.Exp(r.Float64() * math.Log(200))))
		}
		cases[i] = Case{
			Name:    fmt.Sprintf("random-%03d", i+1),
			Setting: setting.Setting{Counts: counts, Dim: k, LambdaW: lam(), LambdaH: lam()},
		}
	}
	return cases
}
