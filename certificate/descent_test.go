package certificate_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/certificate"
	"nccheck/optimize"
	"nccheck/setting"
)

// At a minimizer of the problem with d below the K classes (ReLU) classes
// share coordinates or die: the bound (valid for every d) leaves a gap,
// the certificate reports a descent direction, and the rank-one move of
// theory.md section 11 on a free coordinate lowers f, by its first-order
// prediction.
func TestDescentOnFreeCoordinate(t *testing.T) {
	for _, s := range []setting.Setting{
		{Counts: []int{30, 20, 10}, Dim: 2, LambdaW: dec("5e-3"), LambdaH: dec("5e-3")},
		{Counts: []int{20, 20, 20}, Dim: 2, LambdaW: dec("1e-3"), LambdaH: dec("1e-3")},
		{Counts: []int{20, 10}, Dim: 1, LambdaW: dec("1e-3"), LambdaH: dec("1e-3")},
	} {
		descentOnFreeCoordinate(t, s)
	}
}

func descentOnFreeCoordinate(t *testing.T, s setting.Setting) {
	p, err := optimize.NewProblem(s)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := optimize.Solve(p, optimize.Settings{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := certificate.AtPoint(s, sol.Point.W, sol.Point.H, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Descent == nil {
		t.Fatalf("no descent direction; r = %v, Perron ratio %g, gap %g", res.R, res.PerronRatio, res.Gap(res.Objective))
	}
	d := res.Descent
	if d.Ratio <= 1 || len(d.Classes) == 0 || res.DualNormRatio <= 1 {
		t.Fatalf("descent %+v, omega/s %g", d, res.DualNormRatio)
	}
	// Embed in d + 1 dimensions (the last coordinate free), move along it.
	k, n, dd := s.K(), s.N(), s.Dim
	w := mat.NewDense(k, dd+1, nil)
	h := mat.NewDense(dd+1, n, nil)
	w.Slice(0, k, 0, dd).(*mat.Dense).Copy(sol.Point.W)
	h.Slice(0, dd, 0, n).(*mat.Dense).Copy(sol.Point.H)
	s3 := s.Clone()
	s3.Dim = dd + 1
	labels := classLabels(s.Counts)
	f0 := objective(s3, w, h, nil, labels)
	th := 1e-3
	tw := d.StepRatio * th
	for j := 0; j < k; j++ {
		w.Set(j, dd, tw*d.U[j])
	}
	for i, y := range labels {
		h.Set(dd, i, th*d.V[y])
	}
	f1 := objective(s3, w, h, nil, labels)
	if !(f1 < f0) {
		t.Errorf("the move did not lower f: %.15g -> %.15g", f0, f1)
	}
	// First order in t_w t_h: f changes by t_w t_h (s - sqrt(ratio) s).
	sv := math.Sqrt(s.LambdaW.Float64() * s.LambdaH.Float64())
	want := tw * th * sv * (1 - math.Sqrt(d.Ratio))
	if rel := math.Abs((f1-f0)-want) / math.Abs(want); rel > 0.05 {
		t.Errorf("change %.6g, first-order prediction %.6g", f1-f0, want)
	}
	t.Logf("%v: r %.4g, gap %.3g, omega/s %.6g, descent classes %v ratio %.6g, f %.9g -> %.9g", s, res.R, res.Gap(res.Objective), res.DualNormRatio, d.Classes, d.Ratio, f0, f1)
}
