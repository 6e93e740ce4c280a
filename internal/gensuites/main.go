// Command gensuites writes the built-in verification suites to
// testdata/suites (run from the repository root: go run ./internal/gensuites).
package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"

	"nccheck/setting"
	"nccheck/verify"
)

func c(name string, n []int, d int, lw, lh string) verify.Case {
	return verify.Case{Name: name, Setting: setting.Setting{Counts: n, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}}
}

func write(g *verify.Grid) {
	f, err := os.Create("testdata/suites/" + g.Name + ".json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		panic(err)
	}
}

func main() {
	os.MkdirAll("testdata/suites", 0o755)
	cifar := []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}
	cifar10 := make([]int, 10)
	for i := range cifar {
		cifar10[i] = 10 * cifar[i]
	}
	write(verify.GridOf("paper", "The class counts of the paper's CIFAR-10 runs (100..500 per class, and x10: N = 30000) with its lambdas lambda_W = 1e-4, lambda_H = 1e-5, at d = 16 and d = K.", []verify.Case{
		c("cifar10-x1-d16", cifar, 16, "1e-4", "1e-5"),
		c("cifar10-x1-d10", cifar, 10, "1e-4", "1e-5"),
		c("cifar10-x10-d16", cifar10, 16, "1e-4", "1e-5"),
		c("cifar10-x10-d10", cifar10, 10, "1e-4", "1e-5"),
	}))
	var bal []verify.Case
	for _, k := range []int{2, 3, 5, 10, 20} {
		n := make([]int, k)
		for i := range n {
			n[i] = 100
		}
		bal = append(bal, c(fmt.Sprintf("balanced-k%d", k), n, k, "1e-3", "1e-4"))
	}
	bal = append(bal, c("balanced-k4-n500", []int{500, 500, 500, 500}, 4, "5e-3", "5e-3"))
	bal = append(bal, c("balanced-k10-d20", []int{50, 50, 50, 50, 50, 50, 50, 50, 50, 50}, 20, "1e-4", "1e-5"))
	bal = append(bal, c("balanced-k3-collapsed", []int{5, 5, 5}, 3, "0.5", "0.5"))
	write(verify.GridOf("balanced", "Balanced classes: K = 2..20, equal norms and the simplex-like orthogonal frame; one setting below the global collapse threshold.", bal))

	var mc []verify.Case
	for _, n4 := range []int{1, 5, 10, 15, 17, 18, 19, 20, 25, 30, 50, 100} {
		mc = append(mc, c(fmt.Sprintf("minority-n4-%d", n4), []int{600, 400, 200, n4}, 4, "3e-3", "3e-3"))
	}
	mc = append(mc, c("global-collapse", []int{600, 400, 200, 20}, 4, "3e-2", "3e-2"))
	mc = append(mc, c("only-largest-alive", []int{600, 400, 200, 20}, 4, "1e-2", "1e-2"))
	write(verify.GridOf("minority-collapse", "K = 4, counts (600, 400, 200, n4), lambda_W = lambda_H = 3e-3: class 4 collapses iff n4 <= n_lo = 17.79 (the smaller root of a (R+n)^2 = n, a = 1.2e-5, R = 1200), so n4 = 17 collapses and n4 = 18 is alive; plus a global collapse and a setting where only the largest class survives.", mc))

	var im []verify.Case
	for _, lam := range [][2]string{{"1e-4", "1e-5"}, {"1e-3", "1e-3"}} {
		for _, r := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
			im = append(im, c(fmt.Sprintf("ratio-%d-l%s", r, lam[0]), []int{1000, 1000, 1000 / r, 1000 / r}, 4, lam[0], lam[1]))
		}
	}
	write(verify.GridOf("imbalance", "Step imbalance: two majority classes of 1000 and two minority classes of 1000/ratio, ratio 1..1000, at two lambda pairs (the second collapses the smallest minorities).", im))

	var bias []verify.Case
	for _, lb := range []string{"1e-3", "1e-2"} {
		for _, n := range [][]int{{40, 20, 10, 5}, {20, 20, 20, 20}} {
			cs := c(fmt.Sprintf("bias-%s-lb%s", setting.FormatCounts(n), lb), n, 8, "5e-3", "5e-3")
			cs.Setting.Bias = true
			cs.Setting.LambdaB = setting.MustDecimal(lb)
			bias = append(bias, cs)
		}
	}
	write(verify.GridOf("bias", "A penalised bias (lambda_b > 0), imbalanced and balanced: outside the theorem; compared with the orthogonal-structure prediction of the reduced problem (theory.md section 4).", bias))

	write(verify.GridOf("etf", etfDescription, etfCases()))
	write(verify.GridOf("contrast", contrastDescription, contrastCases()))
	write(verify.GridOf("label-smoothing", labelSmoothingDescription, labelSmoothingCases()))
	write(verify.GridOf("mse", mseDescription, mseCases()))
	write(verify.GridOf("seli-path", seliDescription, seliPathCases()))

	g := verify.GridOf("random", "RandomCases(1, 120): K in [2, 20], n_k log-uniform in [1, 200], d = K, lambdas m e-x with m in 1..9, x in 2..4.", verify.RandomCases(1, 120))
	seed := uint64(1)
	g.Seed = &seed
	write(g)
}

// plain returns c(...) for the plain UFM (no constraint H >= 0).
func plain(name string, n []int, d int, lw, lh string) verify.Case {
	cs := c(name, n, d, lw, lh)
	cs.Setting.NoReLU = true
	return cs
}

func balanced(k, n int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n
	}
	return out
}

// decimalOf returns the exact decimal text of r, whose denominator must have
// no prime factor but 2 and 5 (it panics otherwise: a suite must say exactly
// what it means).
func decimalOf(r *big.Rat) string {
	t := strings.TrimRight(r.FloatString(40), "0")
	t = strings.TrimSuffix(t, ".")
	d := setting.MustDecimal(t)
	if d.Rat().Cmp(r) != 0 {
		panic(fmt.Sprintf("gensuites: %s is not a finite decimal", r.RatString()))
	}
	return t
}

// sig4 rounds r > 0 to 4 significant digits, down (up = false) or up, and
// returns the decimal text.
func sig4(r *big.Rat, up bool) string {
	e := 0
	scaled := new(big.Rat).Set(r)
	ten := big.NewRat(10, 1)
	for scaled.Cmp(big.NewRat(1000, 1)) < 0 {
		scaled.Mul(scaled, ten)
		e++
	}
	for scaled.Cmp(big.NewRat(10000, 1)) >= 0 {
		scaled.Quo(scaled, ten)
		e--
	}
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	if up && m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return fmt.Sprintf("%se-%d", q, e)
}

const etfDescription = "The plain UFM (no ReLU) with balanced classes against the simplex ETF of theory.md section 9: " +
	"K = 2..20, d in {K-1, K, 2K}. Per (K, d): alive far from collapse (n = 10, lambda_W = 1e-3, lambda_H = 5e-4: (K s)^2 = 5e-6 K^2, " +
	"s = sqrt(n lambda_W lambda_H)), collapsed far from it (n = 10, lambda_W = 0.5, lambda_H = 0.2: (K s)^2 = K^2), and both sides close to " +
	"the boundary s = 1/K (n = 4, lambda_W = lambda_H = 0.995/(2K) rounded down and 1.005/(2K) rounded up to 4 digits: (K s)^2 about 0.99 and 1.01); " +
	"exactly on the boundary (n = 4, lambda_W = 1/K, lambda_H = 1/(4K): n lambda_W lambda_H = 1/K^2 in rationals) for the K whose 1/K is a " +
	"finite decimal (2, 4, 5, 8, 10, 16, 20): no decimal lambdas put the other K exactly on it. On the boundary the minimum W = 0, H = 0 is " +
	"degenerate (the objective grows quartically), so a KKT residual r bounds the distance to it only by ~r^(1/3): those rows ask the solver " +
	"for a residual of 1e-12 (solver_tol)."

// etfCases is the etf suite.
func etfCases() []verify.Case {
	var out []verify.Case
	for k := 2; k <= 20; k++ {
		kk := int64(k)
		below := sig4(big.NewRat(995, 2000*kk), false)
		above := sig4(big.NewRat(1005, 2000*kk), true)
		exact := 1000%k == 0 || k == 16 // 1/K a finite decimal: K = 2^a 5^b
		for _, d := range []int{k - 1, k, 2 * k} {
			name := func(tag string) string { return fmt.Sprintf("etf-k%02d-d%02d-%s", k, d, tag) }
			out = append(out,
				plain(name("alive"), balanced(k, 10), d, "1e-3", "5e-4"),
				plain(name("collapsed"), balanced(k, 10), d, "0.5", "0.2"),
				plain(name("below"), balanced(k, 4), d, below, below),
				plain(name("above"), balanced(k, 4), d, above, above))
			if exact {
				b := plain(name("boundary"), balanced(k, 4), d, decimalOf(big.NewRat(1, kk)), decimalOf(big.NewRat(1, 4*kk)))
				// The minimum on the boundary is degenerate (quartic): a
				// residual r leaves the solver ~r^(1/3) from it, so these
				// rows stop at 1e-12 for the same geometric accuracy.
				b.SolverTol = 1e-12
				out = append(out, b)
			}
		}
	}
	return out
}

const contrastDescription = "Balanced settings, each twice: with ReLU features (UFM+, theory.md section 2: orthogonal class means) and " +
	"without (plain UFM, section 9: simplex ETF). The three worked values of section 9, K = 2 (orthogonal pair vs antipodal pair), and a setting " +
	"between the two collapse boundaries ((K-1)/K^3 <= n lambda_W lambda_H < 1/K^2: the ReLU problem collapses globally, the plain one does not)."

// contrastCases is the contrast suite.
func contrastCases() []verify.Case {
	var out []verify.Case
	both := func(name string, n []int, d int, lw, lh string) {
		out = append(out, c(name+"-relu", n, d, lw, lh), plain(name+"-plain", n, d, lw, lh))
	}
	both("worked1-k4", balanced(4, 50), 4, "5e-3", "5e-3")
	both("worked2-k10", balanced(10, 300), 10, "1e-4", "1e-5")
	both("worked3-k3", balanced(3, 20), 3, "1e-2", "3e-2")
	both("k2", balanced(2, 100), 2, "1e-3", "1e-3")
	both("between-k4", balanced(4, 5), 4, "0.1", "0.1")
	return out
}
