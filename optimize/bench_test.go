package optimize

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// The benchmark settings of issue 3 (README "Speed").
var benchProblems = []struct {
	name string
	p    Problem
	// pgdStep is the fixed step of the baseline: the largest of
	// 1, 3, 10, 30, 100, 300, 1000, 3000 with which projected gradient
	// descent did not diverge or oscillate on this setting from the
	// benchmark start (measured, see BENCHMARKS.md): the baseline's best
	// case. pgdCap caps its iterations.
	pgdStep float64
	pgdCap  int
}{
	{"a", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, 30, 100000},
	{"b", Problem{Counts: []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}, 100, 20000},
	{"c", Problem{Counts: []int{1000, 1000, 2000, 2000, 3000, 3000, 4000, 4000, 5000, 5000}, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}, 300, 3000},
}

// runLocal runs one local solve from the benchmark start (seed 1), with the
// given number of evaluation threads, and reports evaluations, iterations,
// the residual reached (in units of 1e-10) and the relative gap to the
// theory f* (in units of 1e-12).
func runLocal(b *testing.B, p *Problem, m Method, lim Limits, threads int) Local {
	var loc Local
	e, err := NewEvaluator(p)
	if err != nil {
		b.Fatal(err)
	}
	e.SetThreads(threads)
	x := make([]float64, p.NumVars())
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		InitialPoint(p, 1, 1, x)
		b.StartTimer()
		loc, err = m.Minimize(e, x, lim)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(loc.Evaluations), "evals/op")
	b.ReportMetric(float64(loc.Iterations), "iters/op")
	b.ReportMetric(loc.Residual/1e-10, "residual/1e-10")
	b.ReportMetric(math.Abs(loc.F-fstar(p))/fstar(p)/1e-12, "relgap/1e-12")
	return loc
}

// BenchmarkLocal times one local run of the new method to residual 1e-10
// and of the capped baseline, on settings (a)-(c).
func BenchmarkLocal(b *testing.B) {
	for _, bp := range benchProblems {
		p := bp.p
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/lbfgsb/threads=%d", bp.name, threads), func(b *testing.B) {
				runLocal(b, &p, LBFGSB{}, Limits{Tol: 1e-10, MaxIter: 100000}, threads)
			})
		}
		b.Run(fmt.Sprintf("%s/pgd-step%g-cap%d", bp.name, bp.pgdStep, bp.pgdCap), func(b *testing.B) {
			runLocal(b, &p, ProjectedGradient{Step: bp.pgdStep}, Limits{Tol: 1e-10, MaxIter: bp.pgdCap}, 1)
		})
	}
}

// BenchmarkSolve times the default Solve (4 restarts in parallel on
// GOMAXPROCS workers, escapes) on settings (a)-(c).
func BenchmarkSolve(b *testing.B) {
	for _, bp := range benchProblems {
		p := bp.p
		b.Run(bp.name, func(b *testing.B) {
			var res *Result
			var err error
			for i := 0; i < b.N; i++ {
				res, err = Solve(&p, Settings{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Stats.Evaluations), "evals/op")
			b.ReportMetric(res.KKTResidual/1e-10, "residual/1e-10")
			b.ReportMetric(math.Abs(res.Objective-fstar(&p))/fstar(&p)/1e-12, "relgap/1e-12")
		})
	}
}

// BenchmarkEval times one objective+gradient evaluation at K = 10, d = 16
// and growing N, to show the cost is linear in N.
func BenchmarkEval(b *testing.B) {
	for _, scale := range []int{1, 10, 100} {
		counts := make([]int, 10)
		n := 0
		for k := range counts {
			counts[k] = 100 * (k/2 + 1) * scale
			n += counts[k]
		}
		p := &Problem{Counts: counts, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("N=%d/threads=%d", n, threads), func(b *testing.B) {
				e, err := NewEvaluator(p)
				if err != nil {
					b.Fatal(err)
				}
				e.SetThreads(threads)
				x := make([]float64, p.NumVars())
				g := make([]float64, p.NumVars())
				InitialPoint(p, 1, 1, x)
				b.ReportAllocs()
				b.ResetTimer()
				t0 := time.Now()
				for i := 0; i < b.N; i++ {
					if _, err := e.FuncGrad(x, g); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(t0).Nanoseconds())/float64(b.N)/float64(n), "ns/sample")
			})
		}
	}
}

// BenchmarkBaselineDefaultStep runs the baseline with its default step 1
// (a learning rate of the size used in published code) on setting (b),
// capped at 20000 iterations, for the residual it reaches.
func BenchmarkBaselineDefaultStep(b *testing.B) {
	p := benchProblems[1].p
	runLocal(b, &p, ProjectedGradient{}, Limits{Tol: 1e-10, MaxIter: 20000}, 1)
}
