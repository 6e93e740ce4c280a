package main

import (
	"fmt"
	"strings"

	"nccheck/setting"
	"nccheck/verify"
)

// withLoss returns cs with the loss given by its text ("ls:0.1", "mse").
func withLoss(cs verify.Case, loss string) verify.Case {
	l, err := setting.ParseLoss(loss)
	if err != nil {
		panic(err)
	}
	cs.Setting.Loss = l
	return cs
}

// cifarCounts are the class counts of the paper's CIFAR-10 runs.
func cifarCounts() []int { return []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500} }

const labelSmoothingDescription = "Label-smoothed cross-entropy (theory.md section 12a: derived for nccheck, not published), ReLU " +
	"features, bias-free, smoothing a in {0.05, 0.1, 0.3}. Class k is alive iff n_k > K N^2 lambda_W lambda_H / ((K-1) (1-a)^2). Per a: " +
	"n = (40, 20, 10, 5) at lambda_W = lambda_H = 5e-3 (all alive) and at 2.5e-2 (the threshold 4.6875/(1-a)^2 is in [5.19, 9.57]: class 4 " +
	"collapses for every a, while cross-entropy (a = 0, threshold 4.6875) keeps it); balanced n = 50 x 4 at 5e-3 (alive) and n = 10 x 4 at " +
	"5e-2 (threshold 5.33/(1-a)^2: alive for a = 0.05 and 0.1, global collapse for a = 0.3); the paper's CIFAR-10 counts at lambda_W = 1e-4, " +
	"lambda_H = 1e-5 (section 12a's worked value at a = 0.1) and at lambda_W = 1e-3, lambda_H = 9.5e-3 (threshold 95/(1-a)^2 in [105, 194]: the " +
	"two classes of 100 collapse)."

// labelSmoothingCases is the label-smoothing suite.
func labelSmoothingCases() []verify.Case {
	var out []verify.Case
	for _, a := range []string{"0.05", "0.1", "0.3"} {
		loss := "ls:" + a
		name := func(tag string) string { return fmt.Sprintf("ls%s-%s", a, tag) }
		out = append(out,
			withLoss(c(name("imb4"), []int{40, 20, 10, 5}, 4, "5e-3", "5e-3"), loss),
			withLoss(c(name("imb4-collapsed"), []int{40, 20, 10, 5}, 4, "2.5e-2", "2.5e-2"), loss),
			withLoss(c(name("bal4"), balanced(4, 50), 4, "5e-3", "5e-3"), loss),
			withLoss(c(name("bal4-n10"), balanced(4, 10), 4, "5e-2", "5e-2"), loss),
			withLoss(c(name("cifar10"), cifarCounts(), 10, "1e-4", "1e-5"), loss),
			withLoss(c(name("cifar10-collapsed"), cifarCounts(), 10, "1e-3", "9.5e-3"), loss))
	}
	return out
}

const mseDescription = "The squared error ||z - e_k||^2/2 (theory.md section 12b, Dang et al., ICML 2023), bias-free, each setting " +
	"with ReLU features and without (the predicted point is the same): class k collapses iff n_k <= N^2 lambda_W lambda_H (cross-entropy: " +
	"K/(K-1) times that). n = (40, 20, 10, 5), N = 75, lambda_W lambda_H = x: x = 2.5e-5 (threshold 0.14, all alive), x = 8.8e-4 (4.95: " +
	"class 4 alive, just), x = 9e-4 (5.0625: class 4 collapses, just), x = 2e-3 (11.25: classes 3 and 4 collapse), x = 1e-2 (56.25: global " +
	"collapse); n = (60, 30, 6, 4), x = 4e-4: the threshold is 4 exactly, class 4 on it (collapses; the minimum is degenerate there, so the " +
	"rows ask the solver for a residual of 1e-12); the paper's CIFAR-10 counts at lambda_W = 1e-4, lambda_H = 1e-5 and at x = 1.5e-5 (135: " +
	"the classes of 100 collapse). Then the unregularised-bias statement of section 12b (b* = n/N, W Hbar diag(sqrt(n)) = " +
	"SVT_{N s}((I - n 1^T/N) diag(sqrt(n)))), lambda_b = 0, each setting with ReLU and without: without ReLU it is a theorem to check; " +
	"with ReLU its class means have negative inner products, so its rows are out of scope unless every class collapses (the last setting, " +
	"x = 0.25, where the statement is W = 0, H = 0, b = n/N in both models)."

// mseCases is the mse suite.
func mseCases() []verify.Case {
	var out []verify.Case
	both := func(cs verify.Case) {
		cs = withLoss(cs, "mse")
		p := cs
		p.Name += "-plain"
		p.Setting = cs.Setting.Clone()
		p.Setting.NoReLU = true
		cs.Name += "-relu"
		out = append(out, cs, p)
	}
	imb := []int{40, 20, 10, 5}
	both(c("mse-imb4-alive", imb, 4, "5e-3", "5e-3"))
	both(c("mse-imb4-below", imb, 4, "1e-2", "8.8e-2"))
	both(c("mse-imb4-above", imb, 4, "1e-2", "9e-2"))
	both(c("mse-imb4-two-collapsed", imb, 4, "2e-2", "1e-1"))
	both(c("mse-imb4-global", imb, 4, "0.1", "0.1"))
	on := c("mse-on-threshold", []int{60, 30, 6, 4}, 4, "2e-2", "2e-2")
	on.SolverTol = 1e-12
	both(on)
	both(c("mse-cifar10", cifarCounts(), 10, "1e-4", "1e-5"))
	both(c("mse-cifar10-collapsed", cifarCounts(), 10, "1e-3", "1.5e-2"))
	unreg := func(name string, n []int, d int, lw, lh string) verify.Case {
		cs := c(name, n, d, lw, lh)
		cs.Setting.Bias = true
		cs.Setting.LambdaB = setting.MustDecimal("0")
		return cs
	}
	both(unreg("mse-bias-imb4", imb, 4, "5e-3", "5e-3"))
	both(unreg("mse-bias-imb4-x9e-4", imb, 4, "1e-2", "9e-2"))
	both(unreg("mse-bias-cifar10", cifarCounts(), 10, "1e-4", "1e-5"))
	both(unreg("mse-bias-imb4-global", imb, 4, "0.5", "0.5"))
	return out
}

// seliLambdas are the lambda_W = lambda_H of the seli-path suite, 1e-2 to
// 1e-6 at two points a decade.
func seliLambdas() []string {
	return []string{"1e-2", "3e-3", "1e-3", "3e-4", "1e-4", "3e-5", "1e-5", "3e-6", "1e-6"}
}

// seliCounts are the count vectors of the seli-path suite.
func seliCounts() [][]int {
	return [][]int{{40, 20, 10, 5}, {100, 100, 10, 10}, {200, 100, 50, 20, 10}}
}

const seliDescription = "The plain UFM (no ReLU) with cross-entropy and imbalanced classes, no closed form (theory.md section 13): " +
	"the solver's minimizer, certified by the lower bound of section 11, and its distance to the SELI geometry (Thrampoulidis et al. 2022) " +
	"along lambda_W = lambda_H = lambda from 1e-2 to 1e-6 (1, 3 per decade), for n = (40, 20, 10, 5), (100, 100, 10, 10) and " +
	"(200, 100, 50, 20, 10), d = K. The distances are a measurement of the convergence rate, not a verdict."

// seliPathCases is the seli-path suite.
func seliPathCases() []verify.Case {
	var out []verify.Case
	for _, n := range seliCounts() {
		for _, lam := range seliLambdas() {
			out = append(out, plain(fmt.Sprintf("seli-%s-l%s", strings.ReplaceAll(setting.FormatCounts(n), ",", "-"), lam), n, len(n), lam, lam))
		}
	}
	return out
}
