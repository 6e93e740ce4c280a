package certificate

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestDescentPrefersUnitVectorOnTie: when the Perron vector is e_k up to
// rounding (one class alone along its direction), the unit vector is chosen
// whichever of the two ratios came out larger in the last bits.
func TestDescentPrefersUnitVectorOnTie(t *testing.T) {
	m := model{counts: []int{10, 10, 10}, nTot: 30, lw: 1e-2, lh: 1e-2, s2: 1e-4, relu: true}
	q := mat.NewSymDense(3, []float64{3e-4, 0, 0, 0, 5e-5, 0, 0, 0, 4e-5})
	a := mat.NewDense(3, 3, []float64{math.Sqrt(3e-4), 0, 0, 0, math.Sqrt(5e-5), 0, 0, 0, math.Sqrt(4e-5)})
	for _, v := range [][]float64{
		{1, 0, 0},
		{1, 1e-9, 0},   // ratio below e_0's by rounding
		{1, 0, -1e-17}, // equal in float64
	} {
		d := descent(q, a, v, m, 1e-6)
		if d == nil {
			t.Fatalf("v = %v: no descent, want class 0", v)
		}
		if d.Perron || len(d.Classes) != 1 || d.Classes[0] != 0 {
			t.Errorf("v = %v: perron %v, classes %v; want the unit vector e_0", v, d.Perron, d.Classes)
		}
	}
}
