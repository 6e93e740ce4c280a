package derivation_test

import (
	"fmt"

	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/setting"
)

// The exact KKT conditions at a predicted point, in 256-bit arithmetic: the
// paper's closed form is a KKT point of the full problem to ~2^-256; the
// point of the authors' released formula (theory.md section 7) is not, when
// lambda_W != 4 lambda_H.
func ExampleAtPrediction() {
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8,
		LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	for _, f := range []closedform.Theory{closedform.Paper{}, closedform.AuthorsCode{}} {
		p, err := f.Predict(s, 256)
		if err != nil {
			fmt.Println(err)
			return
		}
		k, err := derivation.AtPrediction(p)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: KKT residual %s, stationarity in W %s\n", f.Name(), k.Residual.Text('e', 1), k.StationarityW.Text('e', 1))
	}
	// Output:
	// paper: KKT residual 2.7e-79, stationarity in W 2.7e-79
	// authors-code: KKT residual 1.1e-02, stationarity in W 1.1e-02
}

// The same check for any float64 point, for example a solver's: W is
// K x d, H is d x N (one column per sample), labels give each sample's class.
func ExampleSamplePoint() {
	s := setting.Setting{Counts: []int{2, 1}, Dim: 2, LambdaW: setting.MustDecimal("0.1"), LambdaH: setting.MustDecimal("0.1")}
	p, _ := closedform.Auto{}.Predict(s, 128)
	m, _ := p.Minimizer()
	pt, err := derivation.SamplePoint(m.WDense(), m.HDense(), nil, m.Labels)
	if err != nil {
		fmt.Println(err)
		return
	}
	k, _ := derivation.Evaluate(s, pt, 128)
	// The float64 rounding of the minimizer is stationary to float64
	// precision, not to 2^-128.
	r, _ := k.Residual.Float64()
	fmt.Println(len(pt.Columns), "distinct columns; residual below 1e-15:", r < 1e-15, "above 1e-30:", r > 1e-30)
	// Output:
	// 2 distinct columns; residual below 1e-15: true above 1e-30: true
}

// The objective and the KKT residual of one point under each loss a setting
// can carry (theory.md sections 1 and 12): the point, the cross-entropy
// minimizer of a small setting, is stationary only for cross-entropy.
func ExampleEvaluate_losses() {
	s := setting.Setting{Counts: []int{2, 1}, Dim: 2, LambdaW: setting.MustDecimal("0.1"), LambdaH: setting.MustDecimal("0.1")}
	p, err := closedform.Paper{}.Predict(s, 128)
	if err != nil {
		fmt.Println(err)
		return
	}
	pt, err := derivation.PredictionPoint(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"ce", "ls:0.1", "mse"} {
		s.Loss, _ = setting.ParseLoss(name)
		k, err := derivation.Evaluate(s, pt, 128)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-6s objective %s, KKT residual %s\n", name, k.Objective.Text('f', 6), k.Residual.Text('e', 1))
	}
	// Output:
	// ce     objective 0.454062, KKT residual 3.7e-40
	// ls:0.1 objective 0.533751, KKT residual 3.1e-02
	// mse    objective 0.614299, KKT residual 6.3e-01
}
