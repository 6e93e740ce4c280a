package optimize_test

import (
	"fmt"

	"nccheck/optimize"
	"nccheck/setting"
)

func ExampleProblem_PredictMemory() {
	s := setting.Setting{Counts: []int{1000000000, 5}, Dim: 4, LambdaW: setting.MustDecimal("1e-4"), LambdaH: setting.MustDecimal("1e-4")}
	p, err := optimize.NewProblem(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.PredictMemory(optimize.Settings{Restarts: 4, Workers: 1}))
	fmt.Println(p.PredictMemory(optimize.Settings{Restarts: 4, Workers: 2}))
	// Output:
	// about 730 GiB (predicted: 1 of 4 restarts at once, 641 GiB each, and 89.4 GiB for the points)
	// about 1.4 TiB (predicted: 2 of 4 restarts at once, 641 GiB each, and 149 GiB for the points)
}

// countingMethod is a user-written local method: LBFGSB, counting its runs.
type countingMethod struct {
	optimize.LBFGSB
	runs int
}

func (m *countingMethod) Minimize(obj optimize.Objective, x []float64, lim optimize.Limits) (optimize.Local, error) {
	m.runs++
	return m.LBFGSB.Minimize(obj, x, lim)
}

func ExampleMethod() {
	// Label-smoothed cross-entropy on setting (a) of the benchmarks, with a
	// method of one's own (its memory is LBFGSB's, through the embedded
	// MemoryReporter).
	loss, _ := setting.ParseLoss("ls:0.1")
	p := &optimize.Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true, Loss: loss}
	var methods []*countingMethod
	set := optimize.Settings{Seed: 1, Restarts: 2, Workers: 1, NewMethod: func() optimize.Method {
		m := &countingMethod{}
		methods = append(methods, m)
		return m
	}}
	res, err := optimize.Solve(p, set)
	if err != nil {
		fmt.Println(err)
		return
	}
	runs := 0
	for _, m := range methods {
		runs += m.runs
	}
	fmt.Printf("objective %.12f (theory.md 12a: 0.570924164596), converged %v\n", res.Objective, res.Converged)
	fmt.Printf("local runs: %d\n", runs)
	fmt.Printf("method memory counted: %v\n", p.PredictMemory(set).MethodKnown)
	// Output:
	// objective 0.570924164596 (theory.md 12a: 0.570924164596), converged true
	// local runs: 2
	// method memory counted: true
}
