// Command gensuites writes the built-in verification suites to
// testdata/suites (run from the repository root: go run ./internal/gensuites).
package main

import (
	"encoding/json"
	"fmt"
	"os"

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
			cs := c(fmt.Sprintf("bias-%v-lb%s", n, lb), n, 8, "5e-3", "5e-3")
			cs.Setting.Bias = true
			cs.Setting.LambdaB = setting.MustDecimal(lb)
			bias = append(bias, cs)
		}
	}
	write(verify.GridOf("bias", "A penalised bias (lambda_b > 0), imbalanced and balanced: outside the theorem; compared with the orthogonal-structure prediction of the reduced problem (theory.md section 4).", bias))

	g := verify.GridOf("random", "RandomCases(1, 120): K in [2, 20], n_k log-uniform in [1, 200], d = K, lambdas m e-x with m in 1..9, x in 2..4.", verify.RandomCases(1, 120))
	seed := uint64(1)
	g.Seed = &seed
	write(g)
}
