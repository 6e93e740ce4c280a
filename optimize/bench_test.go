package optimize

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
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
				runLocal(b, &p, &LBFGSB{}, Limits{Tol: 1e-10, MaxIter: 100000}, threads)
			})
		}
		b.Run(fmt.Sprintf("%s/pgd-step%g-cap%d", bp.name, bp.pgdStep, bp.pgdCap), func(b *testing.B) {
			runLocal(b, &p, &ProjectedGradient{Step: bp.pgdStep}, Limits{Tol: 1e-10, MaxIter: bp.pgdCap}, 1)
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
	runLocal(b, &p, &ProjectedGradient{}, Limits{Tol: 1e-10, MaxIter: 20000}, 1)
}

// The scale settings of issue 10 (bench/cmp has the same ones).
func scaleProblem(name string) *Problem {
	lin := func(k, first, step int) []int {
		c := make([]int, k)
		for i := range c {
			c[i] = first - step*i
		}
		return c
	}
	paper := []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}
	switch name {
	case "d512":
		return &Problem{Counts: paper, Dim: 512, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}
	case "k100":
		return &Problem{Counts: lin(100, 500, 4), Dim: 128, LambdaW: 5e-4, LambdaH: 5e-4, ReLU: true}
	case "k100q":
		return &Problem{Counts: lin(100, 125, 1), Dim: 128, LambdaW: 1e-3, LambdaH: 1e-3, ReLU: true}
	case "k50":
		return &Problem{Counts: lin(50, 400, 6), Dim: 64, LambdaW: 2e-3, LambdaH: 6e-4, ReLU: true}
	case "k200":
		return &Problem{Counts: lin(200, 200, 1), Dim: 160, LambdaW: 5e-4, LambdaH: 5e-4, ReLU: true}
	case "n30000":
		return &Problem{Counts: []int{1000, 1000, 2000, 2000, 3000, 3000, 4000, 4000, 5000, 5000}, Dim: 16, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}
	}
	panic("unknown setting " + name)
}

// BenchmarkIteration times one local LBFGSB run to residual 1e-10 from the
// benchmark start on the d = 512 and K = 100 settings and reports the cost
// per variable and iteration (the unit of issue 10), evaluations per
// iteration, and the evaluation's share of the time.
func BenchmarkIteration(b *testing.B) {
	for _, name := range []string{"d512", "k100"} {
		p := scaleProblem(name)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(b *testing.B) {
				e, err := NewEvaluator(p)
				if err != nil {
					b.Fatal(err)
				}
				e.SetThreads(threads)
				x := make([]float64, p.NumVars())
				var loc Local
				var evalTime time.Duration
				m := &LBFGSB{}
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					InitialPoint(p, 1, 1, x)
					b.StartTimer()
					loc, err = m.Minimize(e, x, Limits{Tol: 1e-10, MaxIter: 100000})
					if err != nil {
						b.Fatal(err)
					}
				}
				el := b.Elapsed()
				// The evaluations alone, at the final point.
				g := make([]float64, len(x))
				t0 := time.Now()
				for i := 0; i < 5; i++ {
					e.FuncGrad(x, g)
				}
				evalTime = time.Since(t0) / 5
				nv := float64(p.NumVars())
				perIt := float64(el.Nanoseconds()) / float64(b.N) / float64(loc.Iterations)
				b.ReportMetric(perIt/nv, "ns/var/iter")
				b.ReportMetric(float64(loc.Evaluations)/float64(loc.Iterations), "evals/iter")
				b.ReportMetric(float64(evalTime.Nanoseconds())/nv, "ns/var/eval")
				b.ReportMetric(float64(loc.Iterations), "iters")
			})
		}
	}
}

// BenchmarkMachine measures the limits the cost per iteration is compared
// with: memory bandwidth (copy, scale-add and dot over 256 MB arrays, one
// and two goroutines), the GEMM rate of gonum's Dgemm (pure Go) on a
// square product and on the evaluation's shapes, and the rate of the
// evaluation's own product kernel (mulAdd) on the same shapes.
func BenchmarkMachine(b *testing.B) {
	const n = 1 << 25 // 32 Mi float64 = 256 MB per array
	var arrays [3][]float64
	for i := range arrays {
		arrays[i] = make([]float64, n)
		for j := range arrays[i] {
			arrays[i][j] = 1
		}
	}
	a, c, d := arrays[0], arrays[1], arrays[2]
	split := func(threads int, fn func(lo, hi int)) {
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(t*n/threads, (t+1)*n/threads)
			}()
		}
		wg.Wait()
	}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("bandwidth/copy/threads=%d", threads), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				split(threads, func(lo, hi int) { copy(c[lo:hi], a[lo:hi]) })
			}
			b.ReportMetric(16*n*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
		})
		b.Run(fmt.Sprintf("bandwidth/axpy/threads=%d", threads), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				split(threads, func(lo, hi int) { axpy(1e-9, a[lo:hi], c[lo:hi]) })
			}
			b.ReportMetric(24*n*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
		})
		b.Run(fmt.Sprintf("bandwidth/dot/threads=%d", threads), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				split(threads, func(lo, hi int) { _ = dot(a[lo:hi], d[lo:hi]) })
			}
			b.ReportMetric(16*n*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
		})
	}
	arrays = [3][]float64{}
	a, c, d = nil, nil, nil
	gemm := func(m, k, nn int) (blas64.General, blas64.General, blas64.General) {
		mk := func(r, c int) blas64.General {
			g := blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
			for i := range g.Data {
				g.Data[i] = float64(i%7) * 1e-3
			}
			return g
		}
		return mk(m, k), mk(k, nn), mk(m, nn)
	}
	shapes := []struct {
		name    string
		m, k, n int
	}{
		{"square2000", 2000, 2000, 2000},
		// The logits H^T W^T with K padded to a multiple of 8, as in the
		// evaluation.
		{"k100-logits", 30200, 128, 104},
		{"d512-logits", 3000, 512, 16},
	}
	for _, s := range shapes {
		b.Run("gemm/gonum/"+s.name, func(b *testing.B) {
			A, B, C := gemm(s.m, s.k, s.n)
			for i := 0; i < b.N; i++ {
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, A, B, 0, C)
			}
			b.ReportMetric(2*float64(s.m)*float64(s.k)*float64(s.n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
		})
		for _, lv := range []struct {
			name  string
			level kernelLevel
		}{{"avx512", levelAVX512}, {"avx2", levelAVX2}, {"go", levelGo}} {
			if s.name == "square2000" && lv.level == levelGo {
				continue // minutes
			}
			b.Run("gemm/kernel-"+lv.name+"/"+s.name, func(b *testing.B) {
				A, B, C := gemm(s.m, s.k, s.n)
				for i := 0; i < b.N; i++ {
					// In blocks of 256 rows, as the evaluation does.
					for r := 0; r < s.m; r += 256 {
						rows := min(256, s.m-r)
						mulAdd(lv.level, rows, s.n, modeZero, A.Data[r*s.k:], s.k, 1, B.Data, s.n, s.k, C.Data[r*s.n:], s.n, nil, 0, 0)
					}
				}
				b.ReportMetric(2*float64(s.m)*float64(s.k)*float64(s.n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
			})
		}
	}
}
