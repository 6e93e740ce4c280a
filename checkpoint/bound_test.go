package checkpoint

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
	"nccheck/setting"
)

// TestBoundAtPrediction: at the predicted minimizer written as a float64
// checkpoint (one class collapsed), the bound meets the objective, no class
// can lower it (r_k = 1 for the alive classes, below 1 for the collapsed
// one), and the diagnosis says so.
func TestBoundAtPrediction(t *testing.T) {
	s := mk([]int{40, 20, 10, 5, 1}, 6, "1.5e-2", "1.5e-2") // class 4 collapses
	path := filepath.Join(t.TempDir(), "p.npz")
	r := measureArrays(t, path, s, minimizerArrays(t, s, false, 0, 1))
	if r.LowerBound == nil || r.BoundGap == nil || r.DualNormRatio == nil {
		t.Fatalf("no bound: %v", r.Undefined)
	}
	if math.Abs(*r.BoundGap) > 1e-13 || *r.LowerBound > r.Objective+1e-15 {
		t.Errorf("objective %.17g, LB %.17g: f - LB = %g, want |.| <= 1e-13", r.Objective, *r.LowerBound, *r.BoundGap)
	}
	if math.Abs(*r.DualNormRatio-1) > 1e-12 {
		t.Errorf("omega/s = %.17g, want 1", *r.DualNormRatio)
	}
	for k, cl := range r.Classes {
		alive := k < 4
		if alive && math.Abs(*cl.R-1) > 1e-12 || !alive && *cl.R >= 1 {
			t.Errorf("class %d (alive %v): r = %.17g", k, alive, *cl.R)
		}
	}
	if len(r.DescentClasses) != 0 || r.Descent != nil || !strings.HasPrefix(r.Diagnosis, "no descent direction") {
		t.Errorf("descent classes %v, descent %+v, diagnosis %q", r.DescentClasses, r.Descent, r.Diagnosis)
	}
	if r.FreeCoordinates != 2 { // d = 6, 4 alive classes on coordinates 0..3
		t.Errorf("free coordinates %d, want 2", r.FreeCoordinates)
	}
}

// measureArrays writes arr as a checkpoint at path and measures it with
// the regularization of s.
func measureArrays(t *testing.T, path string, s setting.Setting, arr arrays) *Report {
	t.Helper()
	writeNPZ(t, path, arr)
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Measure(c, Options{LambdaW: s.LambdaW, LambdaH: s.LambdaH})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mergedArrays is the predicted minimizer of s (float64) with class b forced
// onto class a's coordinate: the features of class b moved from coordinate
// b to coordinate a, and W's column b added to column a (so W is the
// theorem's formula for the moved means, and the logits of every other
// class are unchanged).
func mergedArrays(t *testing.T, s setting.Setting, a, b int) arrays {
	t.Helper()
	arr := minimizerArrays(t, s, false, 0, 1)
	rows := arr["features"].([][]float64)
	for _, row := range rows {
		row[a] += row[b]
		row[b] = 0
	}
	w := arr["classifier"].(*mat.Dense)
	k, _ := w.Dims()
	for j := 0; j < k; j++ {
		w.Set(j, a, w.At(j, a)+w.At(j, b))
		w.Set(j, b, 0)
	}
	return arr
}

// TestBoundMergedClasses measures a checkpoint where two classes share one
// feature coordinate: the bound names exactly those two as the classes that
// can still lower the objective, and the diagnosis says that they share one
// feature direction.
func TestBoundMergedClasses(t *testing.T) {
	s := mk([]int{40, 30, 20, 10}, 5, "5e-3", "2e-3")
	path := filepath.Join(t.TempDir(), "merged.npz")
	r := measureArrays(t, path, s, mergedArrays(t, s, 2, 3))
	if r.LowerBound == nil {
		t.Fatalf("no bound: %v", r.Undefined)
	}
	for k, cl := range r.Classes {
		t.Logf("class %d: status %s, r = %.6g", k, cl.Status, *cl.R)
	}
	t.Logf("f = %.10g, LB = %.10g, omega/s = %.6g; %s", r.Objective, *r.LowerBound, *r.DualNormRatio, r.Diagnosis)
	if !reflect.DeepEqual(r.DescentClasses, []int{2, 3}) {
		t.Errorf("descent classes %v, want [2 3]", r.DescentClasses)
	}
	if r.Classes[2].Status != metrics.Merged || r.Classes[3].Status != metrics.Merged {
		t.Errorf("statuses %s, %s, want merged", r.Classes[2].Status, r.Classes[3].Status)
	}
	if want := "classes 2, 3 share one feature direction"; !strings.HasPrefix(r.Diagnosis, want) {
		t.Errorf("diagnosis %q, want it to start %q", r.Diagnosis, want)
	}
	if strings.Contains(r.Diagnosis, "class 0") || strings.Contains(r.Diagnosis, "class 1") || strings.Contains(r.Diagnosis, "classes 0") {
		t.Errorf("diagnosis %q names another class", r.Diagnosis)
	}
	if !(*r.BoundGap > 0) || !(*r.DualNormRatio > 1) {
		t.Errorf("f - LB = %g, omega/s = %g: want both above the minimum's 0 and 1", *r.BoundGap, *r.DualNormRatio)
	}
	if r.FreeCoordinates != 2 { // coordinates 3 (emptied) and 4
		t.Errorf("free coordinates %d, want 2", r.FreeCoordinates)
	}
}

// TestBoundBelowObjective: at perturbed points (float32 features) the
// bound is below the objective.
func TestBoundBelowObjective(t *testing.T) {
	s := mk([]int{40, 20, 10, 5, 1}, 6, "1.5e-2", "1.5e-2")
	path := filepath.Join(t.TempDir(), "q.npz")
	for _, eps := range []float64{1e-3, 1e-1} {
		r := measureArrays(t, path, s, minimizerArrays(t, s, true, eps, 4))
		if r.LowerBound == nil || !(*r.LowerBound < r.Objective) {
			t.Errorf("eps %g: LB %v not below the objective %g", eps, deref(r.LowerBound), r.Objective)
		}
	}
}
