package checkpoint

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
	"nccheck/setting"
)

// writeCIFARSize writes a CIFAR-size checkpoint: N = 50000 samples (5000
// per class for K = 10, 500 for K = 100), d = 512 float32 ReLU-like
// features (about half zero, class-dependent means), a random classifier,
// numpy.savez_compressed-style (deflate) as npyio writes it. About 100 MB of
// float32 data.
func writeCIFARSize(b *testing.B, path string, k int) {
	const n, d = 50000, 512
	rng := rand.New(rand.NewPCG(uint64(k), 9))
	centers := make([][]float32, k)
	for c := range centers {
		centers[c] = make([]float32, d)
		for j := range centers[c] {
			centers[c][j] = float32(rng.Float64() * 2)
		}
	}
	rows := make([][]float32, n)
	labels := make([]int64, n)
	for i := range rows {
		y := i % k
		labels[i] = int64(y)
		r := make([]float32, d)
		for j := range r {
			if v := float64(centers[y][j]) + 0.5*rng.NormFloat64() - 0.8; v > 0 {
				r[j] = float32(v)
			}
		}
		rows[i] = r
	}
	w := mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			w.Set(i, j, 0.05*rng.NormFloat64())
		}
	}
	z, err := npz.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for name, v := range map[string]any{"features": rows, "labels": labels, "classifier": w, "epoch": int64(200)} {
		if err := z.Write(name+".npy", v); err != nil {
			b.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMeasureCIFAR measures a CIFAR-size checkpoint (N = 50000,
// d = 512, float32) end to end: Open, two streamed passes, the prediction
// and the report. Run with
//
//	go test -run '^$' -bench MeasureCIFAR -benchtime 3x -count 5 ./checkpoint
//
// It reports the peak heap (bytes) besides the time.
func BenchmarkMeasureCIFAR(b *testing.B) {
	for _, k := range []int{10, 100} {
		b.Run("K="+map[int]string{10: "10", 100: "100"}[k], func(b *testing.B) {
			// The file (about 70 MB deflated) is written once and kept in the
			// system's temporary directory across runs and -count repetitions.
			path := filepath.Join(os.TempDir(), fmt.Sprintf("nccheck-bench-cifar-k%d.npz", k))
			if _, err := os.Stat(path); err != nil {
				writeCIFARSize(b, path+".tmp", k)
				if err := os.Rename(path+".tmp", path); err != nil {
					b.Fatal(err)
				}
			}
			opt := Options{LambdaW: setting.MustDecimal("5e-4"), LambdaH: setting.MustDecimal("5e-6")}
			st, _ := os.Stat(path)
			b.SetBytes(st.Size())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Measure(c, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBoundCost isolates the cost of the certificate in measure's
// first pass on the CIFAR-size checkpoint of BenchmarkMeasureCIFAR (written
// by it): package metrics' two passes alone, and the same passes feeding
// the accumulator through Options.Logits plus the class-level bound, side
// by side in one run. Run with
//
//	go test -run '^$' -bench BoundCost -benchtime 3x -count 3 ./checkpoint
func BenchmarkBoundCost(b *testing.B) {
	for _, k := range []int{10, 100} {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("nccheck-bench-cifar-k%d.npz", k))
		if _, err := os.Stat(path); err != nil {
			writeCIFARSize(b, path+".tmp", k)
			if err := os.Rename(path+".tmp", path); err != nil {
				b.Fatal(err)
			}
		}
		c, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, bound := range []bool{false, true} {
			name := fmt.Sprintf("K=%d/metrics", k)
			if bound {
				name += "+bound"
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var mo metrics.Options
					acc, why := newAccumulator(c, setting.CE())
					if acc == nil {
						b.Fatal(why)
					}
					if bound {
						mo.Logits = func(_ int, z []float64, labels []int) error { return acc.Add(z, labels) }
					}
					if _, err := metrics.Measure(c.Samples(), c.W, c.B, mo); err != nil {
						b.Fatal(err)
					}
					if bound {
						if _, why := certify(acc, "", boundSetting(c, setting.MustDecimal("5e-4"), setting.MustDecimal("5e-6"), setting.CE())); why != "" {
							b.Fatal(why)
						}
					}
				}
			})
		}
	}
}
