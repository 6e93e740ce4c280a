package metrics_test

import (
	"encoding/json"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
)

// Two classes whose means point the same way (2 e_1 and 3 e_1) and a third
// on e_2, five samples each at their class mean, w_k = mu_k: the classifier
// puts every sample of class 0 in class 1. The paper's margin of class 0
// (the mean over the other classes) stays positive; the worst-case margin,
// the accuracy and the merged status show what happened.
func ExampleMeasurement_Report() {
	means := [][]float64{{2, 0}, {3, 0}, {0, 1}}
	var data []float64
	labels := metrics.ClassLabels([]int{5, 5, 5})
	for _, y := range labels {
		data = append(data, means[y]...)
	}
	w := mat.NewDense(3, 2, []float64{2, 0, 3, 0, 0, 1})
	m, err := metrics.Measure(metrics.FromRows(data, 2, labels), w, nil, metrics.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, classes, err := m.Report(metrics.ReportOptions{
		Criteria: metrics.Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.4f, NC4 %.4f\n", rep.Accuracy, *rep.NC4)
	for k, c := range classes {
		with := "-"
		if c.MergedWith != nil {
			with = fmt.Sprint(*c.MergedWith)
		}
		fmt.Printf("class %d: margin %g, worst margin %g, accuracy %g, %s with %s\n", k, c.Margin, c.WorstMargin, c.Accuracy, c.Status, with)
	}
	b, _ := json.Marshal(map[string]any{"nc2_h": rep.NC2H, "undefined": rep.Undefined["nc2_h"]})
	fmt.Println(string(b))
	// Output:
	// accuracy 0.6667, NC4 0.6667
	// class 0: margin 1, worst margin -2, accuracy 0, merged with 1
	// class 1: margin 6, worst margin 3, accuracy 1, merged with 0
	// class 2: margin 1, worst margin 1, accuracy 1, alive with -
	// {"nc2_h":null,"undefined":"no prediction"}
}
