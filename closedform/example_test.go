package closedform_test

import (
	"fmt"
	"math/big"

	"nccheck/closedform"
	"nccheck/setting"
)

// The predicted optimum for three classes of 1000, 1000 and 2000 samples with
// lambda_W = 1e-4 and lambda_H = 1e-5, at 256 bits (theory.md section 2).
func ExamplePaper() {
	s := setting.Setting{
		Counts:  []int{1000, 1000, 2000},
		Dim:     16,
		LambdaW: setting.MustDecimal("1e-4"),
		LambdaH: setting.MustDecimal("1e-5"),
	}
	p, err := closedform.Paper{}.Predict(s, 256)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("f* =", closedform.FormatFloat(p.Objective, 30))
	for k, c := range p.Classes {
		fmt.Printf("class %d: n=%d M=%s rho=%s\n", k+1, c.N, closedform.FormatFloat(c.Margin, 20), closedform.FormatFloat(c.FeatureNormSq, 20))
	}
	// Output:
	// f* = 0.0210734585852508754565239830183
	// class 1: n=1000 M=6.4140693211783149119 rho=0.52370656705755147807
	// class 2: n=1000 M=6.4140693211783149119 rho=0.52370656705755147807
	// class 3: n=2000 M=6.76160217090009523 rho=0.39038128335223279341
}

// A class with too few samples collapses: n_k <= K N^2 lambda_W lambda_H / (K-1).
func ExamplePaper_Alive() {
	s := setting.Setting{
		Counts:  []int{9000, 8000, 1999, 1},
		Dim:     4,
		LambdaW: setting.MustDecimal("5e-5"),
		LambdaH: setting.MustDecimal("5e-5"),
	}
	fmt.Println(closedform.Paper{}.Alive(s))
	fmt.Println(closedform.Paper{}.CollapseThreshold(s).FloatString(6))
	// Output:
	// [true true true false]
	// 1.203333
}

// A theory written outside this package builds its prediction with the
// exported constructors and attaches its explicit point; Validate checks the
// point against the matrices and the objective at the precision. Here the
// frame is copied from the paper's prediction, then the objective is
// spoiled.
func ExamplePrediction_Validate() {
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 4,
		LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	ref, err := closedform.Paper{}.Predict(s, 128)
	if err != nil {
		fmt.Println(err)
		return
	}
	mine := closedform.NewPrediction("mine", s, 128)
	copy(mine.Classes, ref.Classes)
	mine.Objective, mine.WH, mine.WWT, mine.HTH = ref.Objective, ref.WH, ref.WWT, ref.HTH
	pt, err := ref.Minimizer()
	if err != nil {
		fmt.Println(err)
		return
	}
	mine.SetMinimizer(pt)
	fmt.Println(mine.Validate())
	mine.Objective = new(big.Float).SetPrec(128).Add(ref.Objective, big.NewFloat(1e-30))
	fmt.Println(mine.Validate())
	// Output:
	// <nil>
	// closedform: mine prediction: invalid prediction: explicit point: the objective at the point is 0.32620757874725849062, the prediction's Objective 0.32620757874725849062 (difference 1e-30, allowed 1.6e-32)
}
