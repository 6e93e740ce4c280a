package metrics

import (
	"errors"
	"math"
	"testing"
)

// TestLogitsHook: Options.Logits sees every sample once, in order, with its
// label and the logits W h_i + b; an error from it stops Measure.
func TestLogitsHook(t *testing.T) {
	counts := []int{300, 200, 50}
	w, data, labels := randomPoint(3, counts, 5, 0.3)
	b := []float64{0.5, -0.25, 1}
	k, d := 3, 5
	next := 0
	opt := Options{Logits: func(first int, z []float64, lab []int) error {
		if first != next || len(z) != len(lab)*k {
			t.Fatalf("block at %d (want %d) with %d logits for %d labels", first, next, len(z), len(lab))
		}
		for r, y := range lab {
			i := first + r
			if y != labels[i] {
				t.Fatalf("sample %d: label %d, want %d", i, y, labels[i])
			}
			for j := 0; j < k; j++ {
				want := b[j]
				for a := 0; a < d; a++ {
					want += w.At(j, a) * data[i*d+a]
				}
				if math.Abs(z[r*k+j]-want) > 1e-13*math.Max(1, math.Abs(want)) {
					t.Fatalf("sample %d, logit %d: %v, want %v", i, j, z[r*k+j], want)
				}
			}
		}
		next += len(lab)
		return nil
	}}
	if _, err := Measure(FromRows(data, d, labels), w, b, opt); err != nil {
		t.Fatal(err)
	}
	if next != len(labels) {
		t.Errorf("the hook saw %d of %d samples", next, len(labels))
	}
	stop := errors.New("stop")
	opt.Logits = func(int, []float64, []int) error { return stop }
	if _, err := Measure(FromRows(data, d, labels), w, b, opt); !errors.Is(err, stop) {
		t.Errorf("error %v, want the hook's", err)
	}
}
