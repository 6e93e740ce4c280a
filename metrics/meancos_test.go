package metrics

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestMeanCosAmongAlive: the predicted cosine is compared over the pairs of
// classes the target keeps alive only. A collapsed class whose mean is not
// exactly zero (a solver stops at a tiny point) has a cosine no theory
// predicts; it must not count, while the pairs of alive classes still do.
func TestMeanCosAmongAlive(t *testing.T) {
	// d = 2, K = 3: classes 1 and 2 orthogonal, class 3 tiny along (1, 1).
	means := mat.NewDense(2, 3, []float64{1, 0, 1e-9, 0, 2, 1e-9})
	labels := ClassLabels([]int{1, 1, 1})
	data := make([]float64, 0, 6)
	for _, y := range labels {
		data = append(data, means.At(0, y), means.At(1, y))
	}
	w := mat.NewDense(3, 2, []float64{1, 0, 0, 1, -1, -1})
	m, err := Measure(FromRows(data, 2, labels), w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hth, wwt, wh mat.Dense
	hth.Mul(means.T(), means)
	wwt.Mul(w, w.T())
	wh.Mul(w, means)
	tests := []struct {
		name  string
		alive []bool
		cos   float64
		want  float64
	}{
		{"class 3 collapsed", []bool{true, true, false}, 0, 0},
		{"all alive", []bool{true, true, true}, 0, m.MaxCosDeviation(0)},
		{"global collapse", []bool{false, false, false}, 0, 0},
		{"wrong cosine for the alive pair", []bool{true, true, false}, -0.5, 0.5},
	}
	// A per-pair reference replaces the single cosine: the measured cosine of
	// classes 1, 2 is 0, so a reference of -0.25 for that pair is 0.25 off,
	// whatever MeanCos says.
	pair := mat.NewDense(3, 3, []float64{0, -0.25, 0, -0.25, 0, 0, 0, 0, 0})
	dv, err := m.Compare(Target{HTH: &hth, WWT: &wwt, WH: &wh, Alive: []bool{true, true, false}, MeanCos: -0.5, PairCos: pair},
		Criteria{LambdaW: 1, LambdaH: 1, CollapseTol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	if dv.MeanCosError != 0.25 {
		t.Errorf("with PairCos: MeanCosError %g, want 0.25", dv.MeanCosError)
	}
	if m.MaxCosDeviation(0) < 0.7 {
		t.Fatalf("MaxCosDeviation(0) = %g: the tiny class 3 should be at 45 degrees to both", m.MaxCosDeviation(0))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dv, err := m.Compare(Target{HTH: &hth, WWT: &wwt, WH: &wh, Alive: tc.alive, MeanCos: tc.cos}, Criteria{LambdaW: 1, LambdaH: 1, CollapseTol: 1e-6})
			if err != nil {
				t.Fatal(err)
			}
			if d := dv.MeanCosError - tc.want; d > 1e-15 || d < -1e-15 {
				t.Errorf("MeanCosError %g, want %g", dv.MeanCosError, tc.want)
			}
		})
	}
}
