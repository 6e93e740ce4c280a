package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"

	"nccheck/setting"
)

// randomMembers is a checkpoint of n samples in dimension d with k classes
// (labels drawn at random, every class present), ReLU-like features of
// class-dependent means, as float32 or float64, in C or Fortran order.
func randomMembers(n, d, k int, float64s, fortran bool) []rawMember {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(d)))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = 2 * rng.Float64()
	}
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(i % k)
		if i >= k {
			labels[i] = int64(rng.IntN(k))
		}
	}
	vals := make([]float64, n*d) // row-major
	for i := range labels {
		for a := 0; a < d; a++ {
			vals[i*d+a] = math.Max(0, centers[int(labels[i])*d+a]+0.6*rng.NormFloat64()-0.7)
		}
	}
	size, descr := 4, "<f4"
	if float64s {
		size, descr = 8, "<f8"
	}
	feat := make([]byte, 0, n*d*size)
	for e := 0; e < n*d; e++ {
		v := vals[e]
		if fortran {
			v = vals[(e%n)*d+e/n] // feature e/n of sample e%n
		}
		feat = appendFloat(feat, v, float64s)
	}
	h := matrixHeader(descr, n, d, fortran)
	w := make([]float32, k*d)
	for i := range w {
		w[i] = float32(0.1 * rng.NormFloat64())
	}
	return []rawMember{
		{name: "features.npy", data: npyV1(h, feat)},
		{name: "labels.npy", data: npyV1(npyHeader("<i8", n), i64s(labels...)), deflate: true},
		{name: "classifier.npy", data: npyV1(npyHeader("<f4", k, d), f32s(w...))},
	}
}

// TestSameBitsHeldOrStreamed: a checkpoint measures to the same bits with
// its features held in memory or streamed from the file, in C or Fortran
// order, on one goroutine or two, for float32 and float64 features
// (several blocks of rowsPerBlock samples).
func TestSameBitsHeldOrStreamed(t *testing.T) {
	const n, d, k = 8000, 300, 7 // 2.4 M values: 3 blocks, more than the two of the stream
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-4")}
	dir := t.TempDir()
	for _, float64s := range []bool{false, true} {
		var want string
		for _, fortran := range []bool{false, true} {
			path := filepath.Join(dir, "f.npz")
			writeZip(t, path, randomMembers(n, d, k, float64s, fortran)...)
			for _, streamed := range []bool{false, true} {
				if streamed && fortran {
					continue // always held
				}
				for _, procs := range []int{1, 2} {
					set := OpenSettings{MaxMemory: -1}
					if streamed {
						c, err := Open(path)
						if err != nil {
							t.Fatal(err)
						}
						set.MaxMemory = c.memoryBytes(opt, false)
					}
					c, err := OpenWith(path, set)
					if err != nil {
						t.Fatal(err)
					}
					if c.InMemory() == streamed {
						t.Fatalf("InMemory() = %v", c.InMemory())
					}
					prev := runtime.GOMAXPROCS(procs)
					r, err := Measure(c, opt)
					runtime.GOMAXPROCS(prev)
					if err != nil {
						t.Fatal(err)
					}
					r.File = ""
					b, err := json.Marshal(r)
					if err != nil {
						t.Fatal(err)
					}
					if want == "" {
						want = string(b)
					} else if string(b) != want {
						t.Errorf("float64 %v, Fortran %v, streamed %v, GOMAXPROCS %d: the report differs from the first", float64s, fortran, streamed, procs)
					}
				}
			}
		}
	}
}

// TestDecodeFloats checks the features' decoders against a plain decoding
// in both byte orders, and the index of the first non-finite value
// wherever it is (in a group of four or in the tail).
func TestDecodeFloats(t *testing.T) {
	const n = 23
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, bad := range []int{-1, 0, 3, 4, 17, 21, 22} {
			for _, nonFinite := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				v32, v64 := make([]float32, n), make([]float64, n)
				for i := range v64 {
					v64[i] = math.Ldexp(float64(i)-11.5, i-10)
					v32[i] = float32(v64[i])
				}
				want := bad
				if bad >= 0 {
					v32[bad], v64[bad] = float32(nonFinite), nonFinite
					if bad < n-1 {
						v32[bad+1], v64[bad+1] = float32(nonFinite), nonFinite // the first is reported
					}
				}
				raw32, raw64 := make([]byte, 4*n), make([]byte, 8*n)
				for i := range v64 {
					bo.PutUint32(raw32[4*i:], math.Float32bits(v32[i]))
					bo.PutUint64(raw64[8*i:], math.Float64bits(v64[i]))
				}
				got32, got64 := make([]float32, n), make([]float64, n)
				if i := decodeFloat32s(got32, raw32, bo); i != want {
					t.Errorf("%v float32, %v at %d: first non-finite %d", bo, nonFinite, bad, i)
				}
				if i := decodeFloat64s(got64, raw64, bo); i != want {
					t.Errorf("%v float64, %v at %d: first non-finite %d", bo, nonFinite, bad, i)
				}
				last := n
				if bad >= 0 {
					last = bad // values after the first non-finite one are not promised
				}
				for i := 0; i < last; i++ {
					if math.Float32bits(got32[i]) != math.Float32bits(v32[i]) || math.Float64bits(got64[i]) != math.Float64bits(v64[i]) {
						t.Fatalf("%v: value %d decoded as %v and %v, want %v and %v", bo, i, got32[i], got64[i], v32[i], v64[i])
					}
				}
			}
		}
	}
}
