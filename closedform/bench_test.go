package closedform

import (
	"fmt"
	"testing"
)

// BenchmarkPredict measures Predict (all per-class quantities and the three
// K x K matrices) at 256 bits.
func BenchmarkPredict(b *testing.B) {
	for _, k := range []int{10, 100, 1000} {
		counts := make([]int, k)
		for i := range counts {
			counts[i] = 100 + 7*i
		}
		s := mkSetting(counts, k, "1e-4", "1e-5")
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			for b.Loop() {
				if _, err := (Auto{}).Predict(s, 256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
