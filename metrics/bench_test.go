package metrics

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkMeasureCIFAR measures in-memory float32 features of CIFAR size
// (N = 50000, d = 512, K = 10; ReLU-like, about half zero): Measure's two
// passes (the report is not included). Run with
//
//	go test -run '^$' -bench MeasureCIFAR -count 5 ./metrics
func BenchmarkMeasureCIFAR(b *testing.B) {
	const n, d, k = 50000, 512, 10
	rng := rand.New(rand.NewPCG(3, 4))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = 2 * rng.Float64()
	}
	data := make([]float32, n*d)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % k
		for a := 0; a < d; a++ {
			data[i*d+a] = float32(max(0, centers[labels[i]*d+a]+0.5*rng.NormFloat64()-0.8))
		}
	}
	w := mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			w.Set(i, j, 0.05*rng.NormFloat64())
		}
	}
	x := FromFloat32Rows(data, d, labels)
	b.SetBytes(int64(4 * n * d))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Measure(x, w, nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
