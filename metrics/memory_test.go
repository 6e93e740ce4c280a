package metrics

import (
	"runtime"
	"testing"
)

// TestMeasureBytes compares MeasureBytes with the bytes Measure and Report
// (against a target) allocate (runtime.MemStats.TotalAlloc counts every
// allocation, freed or not), on shapes where each of its terms dominates:
// many samples, a large d with few samples, a large k d, many classes with
// d <= K and d > K.
func TestMeasureBytes(t *testing.T) {
	for _, tc := range []struct{ n, d, k int }{
		{200000, 2, 2}, {4, 100000, 2}, {100, 2000, 50}, {300, 150, 150}, {300, 100, 150}, {400, 300, 150},
	} {
		counts := make([]int, tc.k)
		for i := range counts {
			counts[i] = tc.n / tc.k
		}
		w, data, labels := randomPoint(1, counts, tc.d, 0.5)
		x := FromRows(data, tc.d, labels)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Measure(x, w, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		alive := make([]bool, tc.k)
		for i := range alive {
			alive[i] = true
		}
		target := Target{HTH: m.HTH, WWT: m.WWT, WH: m.WH, ClassifierRule: BalancedRule(tc.k), Alive: alive}
		if _, _, err := m.Report(ReportOptions{Criteria: Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6}, Target: &target}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := float64(after.TotalAlloc - before.TotalAlloc)
		want := float64(MeasureBytes(tc.n, tc.d, tc.k))
		t.Logf("N=%d d=%d K=%d: predicted %.0f bytes, allocated %.0f (ratio %.3f)", tc.n, tc.d, tc.k, want, alloc, alloc/want)
		if ratio := alloc / want; ratio < 0.9 || ratio > 1.0 {
			t.Errorf("N=%d d=%d K=%d: predicted %.0f bytes, allocated %.0f (ratio %.3f, want 0.9 to 1)", tc.n, tc.d, tc.k, want, alloc, ratio)
		}
		runtime.KeepAlive(m)
	}
}
