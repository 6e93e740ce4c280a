package checkpoint

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"nccheck/setting"
)

// patternMembers is a checkpoint of n samples in dimension d with k
// classes (sample i in class i mod k), features and classifier filled with
// a fixed pattern, features in C or Fortran order as float32 or float64.
func patternMembers(n, d, k int, float64s, fortran bool) []rawMember {
	size, descr := 4, "<f4"
	if float64s {
		size, descr = 8, "<f8"
	}
	feat := make([]byte, 0, n*d*size)
	for i := 0; i < n*d; i++ {
		v := 0.5 + float64(i%7)/8
		feat = appendFloat(feat, v, float64s)
	}
	h := matrixHeader(descr, n, d, fortran)
	labels := make([]int64, n)
	for i := range labels {
		labels[i] = int64(i % k)
	}
	w := make([]float32, k*d)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	return []rawMember{
		{name: "features.npy", data: npyV1(h, feat), deflate: true},
		{name: "labels.npy", data: npyV1(npyHeader("<i8", n), i64s(labels...)), deflate: true},
		{name: "classifier.npy", data: npyV1(npyHeader("<f4", k, d), f32s(w...))},
	}
}

// appendFloat appends v to b little-endian: as a float64 when float64s, as
// a float32 otherwise.
func appendFloat(b []byte, v float64, float64s bool) []byte {
	if float64s {
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
}

// matrixHeader is the .npy header of an r x c matrix of dtype descr:
// npyHeader's, or an unpadded Fortran-order one when fortran.
func matrixHeader(descr string, r, c int, fortran bool) string {
	if fortran {
		return "{'descr': '" + descr + "', 'fortran_order': True, 'shape': (" + itoa(r) + ", " + itoa(c) + "), }\n"
	}
	return npyHeader(descr, r, c)
}

func itoa(v int) string { return string(binary.AppendUvarint(nil, 0)[:0]) + fmtInt(v) }

func fmtInt(v int) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// TestMemoryBytesMeasured compares MemoryBytes with the bytes opening and
// measuring a checkpoint allocate (runtime.MemStats.TotalAlloc, which
// counts every allocation, freed or not), on shapes where each of its
// terms dominates: many samples (the labels and blocks), a large d with
// two samples (package metrics' K x d matrices: issue 18's 311 KB file of
// d = 2e7 asked for 41 GB), a large K d, features in Fortran order, many
// classes (the closed form's K x K matrices), and features streamed from
// the file under a limit too small to hold them.
func TestMemoryBytesMeasured(t *testing.T) {
	dir := t.TempDir()
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")}
	for _, tc := range []struct {
		name              string
		n, d, k           int
		float64s, fortran bool
	}{
		{"many samples", 200000, 2, 2, false, false},
		{"large d, two samples", 2, 100000, 2, false, false},
		{"large K d", 100, 2000, 50, true, false},
		{"Fortran order", 20000, 20, 4, true, true},
		{"many classes", 300, 150, 150, false, false},
		{"streamed float32", 20000, 200, 10, false, false},
		{"streamed float64", 20000, 200, 10, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "m.npz")
			writeZip(t, path, patternMembers(tc.n, tc.d, tc.k, tc.float64s, tc.fortran)...)
			set := OpenSettings{MaxMemory: -1}
			streamed := strings.HasPrefix(tc.name, "streamed")
			if streamed {
				// A limit that the streamed measurement fits and the one in
				// memory does not.
				c, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				set.MaxMemory = c.memoryBytes(opt, false)
				if c.memoryBytes(opt, true) <= set.MaxMemory {
					t.Fatalf("streaming needs %d bytes, holding the features %d", set.MaxMemory, c.memoryBytes(opt, true))
				}
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c, err := OpenWith(path, set)
			if err != nil {
				t.Fatal(err)
			}
			if c.InMemory() == streamed {
				t.Fatalf("InMemory() = %v", c.InMemory())
			}
			r, err := Measure(c, opt)
			if err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			alloc := float64(after.TotalAlloc - before.TotalAlloc)
			want := float64(c.MemoryBytes(opt))
			t.Logf("N=%d d=%d K=%d: predicted %.0f bytes, allocated %.0f (ratio %.3f)", tc.n, tc.d, tc.k, want, alloc, alloc/want)
			// The buffers are predicted to 1%; the closed form's part is an
			// upper bound (see MemoryBytes): a tenth of the total at K = 50,
			// most of it with many classes.
			lo := 0.85
			if tc.k > 100 {
				lo = 0.5
			}
			if ratio := alloc / want; ratio < lo || ratio > 1.02 {
				t.Errorf("predicted %.0f bytes, the measurement allocated %.0f (ratio %.3f, want %.1f to 1.02)", want, alloc, ratio, lo)
			}
			runtime.KeepAlive(r)
		})
	}
}
