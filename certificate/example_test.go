package certificate_test

import (
	"fmt"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

// The rigorous bound at the paper's predicted minimizer, in 256-bit
// arithmetic: it equals f* to about 2^-256, so the prediction is the global
// minimum for every d (not only a KKT point). At the point of the authors'
// released formula it leaves a gap: that point is not the minimum (here,
// with lambda_W = lambda_H, its dual direction is half the optimal one, and
// alpha = 2 recovers the paper's f* as the bound).
func ExampleBigAtClassMeans() {
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8,
		LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	for _, th := range []closedform.Theory{closedform.Paper{}, closedform.AuthorsCode{}} {
		p, err := th.Predict(s, 256)
		if err != nil {
			fmt.Println(err)
			return
		}
		m, _ := p.Minimizer()
		// Every sample of class k at its class mean: W, the means, no bias.
		res, err := certificate.BigAtClassMeans(s, m.W, m.Means, m.B, 256)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: f %s, LB %s, gap %s, omega/s %s\n", th.Name(), res.Objective.Text('f', 12),
			res.LowerBound.Text('f', 12), res.Gap(res.Objective).Text('e', 1), res.DualNormRatio.Text('f', 6))
	}
	// Output:
	// paper: f 0.326207578747, LB 0.326207578747, gap 4.3e-78, omega/s 1.000000
	// authors-code: f 0.340502515126, LB 0.326207578747, gap 1.4e-02, omega/s 0.500000
}

// The float64 bound fed sample by sample, as a pass over a checkpoint's
// features feeds it: Add takes the logits W h_i + b of a block of samples.
// Here two classes, every sample at its class's logits (a bracket, with
// float64 rounding, not a proof).
func ExampleAccumulator() {
	s := setting.Setting{Counts: []int{3, 1}, Dim: 2,
		LambdaW: setting.MustDecimal("0.01"), LambdaH: setting.MustDecimal("0.01")}
	acc, err := certificate.NewAccumulator(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	logits := []float64{
		1.2, -1.2, // sample 0, class 0
		1.2, -1.2, // sample 1, class 0
		-0.5, 0.5, // sample 2, class 1
		1.2, -1.2, // sample 3, class 0
	}
	if err := acc.Add(logits, []int{0, 0, 1, 0}); err != nil {
		fmt.Println(err)
		return
	}
	res, err := acc.Bound()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mean loss %.6f, LB %.6f, alpha %.4f, omega/s %.4f, r %.4f\n", res.Loss, res.LowerBound, res.Alpha, res.DualNormRatio, res.R)
	// Output:
	// mean loss 0.143443, LB 0.069803, alpha 0.1052, omega/s 9.5085, r [25.9414 90.4119]
}
