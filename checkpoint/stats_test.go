package checkpoint

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
	"nccheck/setting"
)

// diffJSON walks two JSON values (as encoding/json decodes them) and
// returns every difference: numbers further apart than rel relative to the
// larger magnitude, other values unequal, keys or elements missing on one
// side. skip names keys not compared.
func diffJSON(a, b any, path string, rel float64, skip map[string]bool) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{path + ": object against " + fmt.Sprint(b)}
		}
		var out []string
		for key := range x {
			if skip[key] {
				continue
			}
			if _, ok := y[key]; !ok {
				out = append(out, path+"."+key+": only in the first")
				continue
			}
			out = append(out, diffJSON(x[key], y[key], path+"."+key, rel, skip)...)
		}
		for key := range y {
			if _, ok := x[key]; !ok && !skip[key] {
				out = append(out, path+"."+key+": only in the second")
			}
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return []string{path + ": lengths differ"}
		}
		var out []string
		for i := range x {
			out = append(out, diffJSON(x[i], y[i], fmt.Sprintf("%s[%d]", path, i), rel, skip)...)
		}
		return out
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > rel*math.Max(math.Abs(x), math.Abs(y)) {
			return []string{fmt.Sprintf("%s: %.17g against %v", path, x, b)}
		}
		return nil
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return []string{fmt.Sprintf("%s: %v against %v", path, a, b)}
	}
	return nil
}

func reportJSON(t *testing.T, r *Report) any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStatsFixtureEqualsFeatures: measure reads each committed pair of a
// features checkpoint and the statistics checkpoint of the same data
// (testdata/measure/stats, written by experiments/make_stats_fixture.py)
// into the same report, every number to 1e-12 relative: metrics, objective,
// prediction, the bound and the per-class values.
func TestStatsFixtureEqualsFeatures(t *testing.T) {
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-5")}
	for _, pair := range []string{"mlp", "bias"} {
		t.Run(pair, func(t *testing.T) {
			var reports [2]*Report
			for i, kind := range []string{"features", "stats"} {
				c, err := Open(filepath.Join("../testdata/measure/stats", pair+"-"+kind+".npz"))
				if err != nil {
					t.Fatal(err)
				}
				if (kind == "stats") != (c.FeatureType == FeatureStatistics) {
					t.Fatalf("%s: feature type %q", kind, c.FeatureType)
				}
				if reports[i], err = Measure(c, opt); err != nil {
					t.Fatal(err)
				}
			}
			if reports[1].LowerBound == nil || reports[1].Metrics.NC4 == nil {
				t.Fatalf("statistics: no bound (%v) or NC4 (%v)", reports[1].Undefined, reports[1].Metrics.Undefined)
			}
			diffs := diffJSON(reportJSON(t, reports[0]), reportJSON(t, reports[1]), "", 1e-12, map[string]bool{"file": true})
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// statsArraysOf returns the arrays of a statistics checkpoint of s.
func statsArraysOf(s *metrics.Stats, epoch int64) arrays {
	k, d := s.W.Dims()
	ints := func(v []int) []int64 {
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out
	}
	a := arrays{
		metrics.StatsCounts: ints(s.Counts), metrics.StatsFeatureSums: s.FeatureSums,
		metrics.StatsFeatureGram: mat.DenseCopyOf(s.FeatureGram), metrics.StatsNormSqSums: s.NormSqSums,
		metrics.StatsLossSum: s.LossSum, metrics.StatsSoftmaxSums: s.SoftmaxSums, metrics.StatsCorrect: ints(s.Correct),
		ArrayClassifier: mat.NewDense(k, d, s.W.RawMatrix().Data), ArrayEpoch: epoch,
	}
	if s.NC4Agree != nil {
		a[metrics.StatsNC4Agree] = ints(s.NC4Agree)
	}
	if s.B != nil {
		a[ArrayBias] = s.B
	}
	return a
}

// randomPair writes a features checkpoint of seeded random ReLU features
// (n samples per class of counts, dimension d, a bias when bias is set) and
// the statistics checkpoint of the same data (metrics.AccumulateStats, with
// nc4_agree), and returns their paths.
func randomPair(t *testing.T, dir string, counts []int, d int, bias bool, seed uint64) (features, stats string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	k := len(counts)
	w := mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			w.Set(i, j, rng.NormFloat64())
		}
	}
	var b []float64
	if bias {
		b = make([]float64, k)
		for j := range b {
			b[j] = rng.NormFloat64() / 4
		}
	}
	labels := metrics.ClassLabels(counts)
	rows, flat, lab := randomRows(rng, labels, d, 3)
	st, err := metrics.AccumulateStats(metrics.FromRows(flat, d, labels), w, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	features, stats = filepath.Join(dir, "features.npz"), filepath.Join(dir, "stats.npz")
	fa := arrays{ArrayFeatures: rows, ArrayLabels: lab, ArrayClassifier: w, ArrayEpoch: int64(3)}
	if b != nil {
		fa[ArrayBias] = b
	}
	writeNPZ(t, features, fa)
	writeNPZ(t, stats, statsArraysOf(st, 3))
	return features, stats
}

// TestStatsEqualsFeatures is TestStatsFixtureEqualsFeatures on pairs
// written here, with and without a bias, with a collapsed class, and with
// a test split of each kind measured against the training means.
func TestStatsEqualsFeatures(t *testing.T) {
	opt := Options{LambdaW: setting.MustDecimal("2e-3"), LambdaH: setting.MustDecimal("1e-3")}
	for _, tc := range []struct {
		name   string
		counts []int
		d      int
		bias   bool
	}{{"no bias", []int{30, 20, 10, 5}, 6, false}, {"bias", []int{12, 9, 7}, 3, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fp, sp := randomPair(t, dir, tc.counts, tc.d, tc.bias, 5)
			testDir := filepath.Join(dir, "test")
			counts := append([]int(nil), tc.counts...)
			counts[len(counts)-1] = 0 // a class absent from the split
			counts[0] = 4
			tf, ts := randomPairSameW(t, fp, testDir, counts, tc.d, 6)
			var reports [2]*Report
			for i, p := range [][2]string{{fp, tf}, {sp, ts}} {
				c, err := Open(p[0])
				if err != nil {
					t.Fatal(err)
				}
				test, err := OpenWith(p[1], OpenSettings{Split: true})
				if err != nil {
					t.Fatal(err)
				}
				o := opt
				o.Test = test
				if reports[i], err = Measure(c, o); err != nil {
					t.Fatal(err)
				}
			}
			if reports[0].Test == nil || reports[0].Test.NC4 == nil || reports[1].Test.NC4 != nil {
				t.Fatalf("test splits: %+v, %+v", reports[0].Test, reports[1].Test)
			}
			// NC4 of a split needs each sample against the training means:
			// the statistics of the split do not give it.
			ja, jb := reportJSON(t, reports[0]), reportJSON(t, reports[1])
			for _, j := range []any{ja, jb} {
				test := j.(map[string]any)["test"].(map[string]any)
				delete(test, "nc4")
				delete(test, "undefined")
				for _, c := range test["classes"].([]any) {
					delete(c.(map[string]any), "nc4")
					delete(c.(map[string]any), "undefined")
				}
			}
			for _, d := range diffJSON(ja, jb, "", 1e-12, map[string]bool{"file": true}) {
				t.Error(d)
			}
		})
	}
}

// randomPairSameW writes a features checkpoint and a statistics checkpoint
// of new seeded features (a test split) with the classifier and bias of the
// features checkpoint at path.
func randomPairSameW(t *testing.T, path, dir string, counts []int, d int, seed uint64) (features, stats string) {
	t.Helper()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 13))
	labels := metrics.ClassLabels(counts)
	rows, flat, lab := randomRows(rng, labels, d, 2)
	st, err := accumulateSplit(flat, d, labels, c.W, c.B, len(counts))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	features, stats = filepath.Join(dir, "features.npz"), filepath.Join(dir, "stats.npz")
	fa := arrays{ArrayFeatures: rows, ArrayLabels: lab, ArrayClassifier: c.W}
	if c.B != nil {
		fa[ArrayBias] = c.B
	}
	writeNPZ(t, features, fa)
	writeNPZ(t, stats, statsArraysOf(st, 3))
	return features, stats
}

// accumulateSplit is metrics.AccumulateStats for a split that may lack a
// class (AccumulateStats itself does not care), without nc4_agree.
func accumulateSplit(flat []float64, d int, labels []int, w *mat.Dense, b []float64, k int) (*metrics.Stats, error) {
	st, err := metrics.AccumulateStats(metrics.FromRows(flat, d, labels), w, b, false)
	if err != nil {
		return nil, err
	}
	if len(st.Counts) != k {
		return nil, fmt.Errorf("%d classes", len(st.Counts))
	}
	return st, nil
}

// TestStatsBadFiles: a statistics checkpoint with a wrong shape, dtype or
// inconsistent values is refused with an error naming the file and the
// array.
func TestStatsBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, sp := randomPair(t, dir, []int{5, 4, 3}, 3, false, 1)
	good, err := Open(sp)
	if err != nil {
		t.Fatal(err)
	}
	base := func() arrays { return statsArraysOf(good.Statistics(), 1) }
	for _, tc := range []struct {
		name, want string
		edit       func(a arrays)
	}{
		{"gram shape", `array "feature_gram": has shape [3 2]`, func(a arrays) { a[metrics.StatsFeatureGram] = mat.NewDense(3, 2, nil) }},
		{"counts dtype", `array "counts": has dtype <f8`, func(a arrays) { a[metrics.StatsCounts] = []float64{5, 4, 3} }},
		{"sums rows", `array "feature_sums": has shape [2 3]`, func(a arrays) { a[metrics.StatsFeatureSums] = mat.NewDense(2, 3, nil) }},
		{"missing softmax", `array "softmax_sums": missing`, func(a arrays) { delete(a, metrics.StatsSoftmaxSums) }},
		{"NaN loss", `array "loss_sum": entry 0 is NaN`, func(a arrays) { a[metrics.StatsLossSum] = math.NaN() }},
		{"asymmetric gram", `not symmetric`, func(a arrays) {
			g := mat.DenseCopyOf(good.Statistics().FeatureGram)
			g.Set(0, 1, g.At(0, 1)+1)
			a[metrics.StatsFeatureGram] = g
		}},
		{"empty class", `class 2 has 0 samples`, func(a arrays) { a[metrics.StatsCounts] = []int64{5, 4, 0} }},
		{"softmax rows", `softmax_sums: row 0 sums`, func(a arrays) {
			s := mat.DenseCopyOf(good.Statistics().SoftmaxSums)
			s.Set(0, 0, s.At(0, 0)+1)
			a[metrics.StatsSoftmaxSums] = s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			tc.edit(a)
			path := filepath.Join(dir, "bad.npz")
			writeNPZ(t, path, a)
			_, err := Open(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.npz") {
				t.Errorf("error %v, want it to name the file and contain %q", err, tc.want)
			}
		})
	}
}

// TestStatsMemoryBytesMeasured is TestMemoryBytesMeasured for statistics
// checkpoints: a large d (the d x d Gram matrix), many classes (the K x K
// matrices and the prediction) and both moderate.
func TestStatsMemoryBytesMeasured(t *testing.T) {
	dir := t.TempDir()
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")}
	for _, tc := range []struct {
		name string
		k, d int
	}{{"large d", 2, 1500}, {"larger d", 2, 3000}, {"many classes", 120, 130}, {"moderate", 50, 200}} {
		t.Run(tc.name, func(t *testing.T) {
			counts := make([]int, tc.k)
			for i := range counts {
				counts[i] = 2 + i%3
			}
			_, sp := randomPair(t, filepath.Join(dir, tc.name), counts, tc.d, false, 2)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c, err := OpenWith(sp, OpenSettings{MaxMemory: -1})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Measure(c, opt)
			if err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			alloc := float64(after.TotalAlloc - before.TotalAlloc)
			want := float64(c.MemoryBytes(opt))
			t.Logf("K=%d d=%d: predicted %.0f bytes, allocated %.0f (ratio %.3f)", tc.k, tc.d, want, alloc, alloc/want)
			// The buffers are predicted to a few percent; the closed form's
			// part is an upper bound (see MemoryBytes), a large part of the
			// total from K = 50 on.
			lo := 0.9
			if tc.k >= 50 {
				lo = 0.6
			}
			if ratio := alloc / want; ratio < lo || ratio > 1.02 {
				t.Errorf("predicted %.0f bytes, the measurement allocated %.0f (ratio %.3f, want %.1f to 1.02)", want, alloc, ratio, lo)
			}
			runtime.KeepAlive(r)
		})
	}
}

// TestStatsMemoryRefused: a statistics checkpoint whose d x d Gram matrix
// (d = 3000: 72 MB of zeros deflating to a few tens of KB) needs more than
// the limit is refused before its arrays are allocated, naming the limit.
func TestStatsMemoryRefused(t *testing.T) {
	const k, d = 2, 3000
	path := filepath.Join(t.TempDir(), "gram-bomb.npz")
	z := func(name string, shape ...int) rawMember {
		n := 8
		for _, s := range shape {
			n *= s
		}
		return rawMember{name: name + ".npy", data: npyV1(npyHeader("<f8", shape...), make([]byte, n)), deflate: true}
	}
	writeZip(t, path, z(metrics.StatsFeatureGram, d, d), z(metrics.StatsFeatureSums, k, d), z(ArrayClassifier, k, d),
		z(metrics.StatsNormSqSums, k), z(metrics.StatsLossSum), z(metrics.StatsSoftmaxSums, k, k),
		rawMember{name: "counts.npy", data: npyV1(npyHeader("<i8", k), i64s(1, 1))},
		rawMember{name: "correct.npy", data: npyV1(npyHeader("<i8", k), i64s(0, 0))})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := OpenWith(path, OpenSettings{MaxMemory: 16 << 20, MemorySource: "test limit"})
	runtime.ReadMemStats(&after)
	checkError(t, err, path, metrics.StatsFeatureGram, "above the 16 MiB the process may still allocate (test limit)")
	if d := after.TotalAlloc - before.TotalAlloc; d > 2<<20 {
		t.Errorf("refusing it allocated %d bytes", d)
	}
}

// TestStatsMemoryOverflow: headers that declare a Gram matrix near the
// largest size a member may have (d = 6e8, in Fortran order, so that its
// copy doubles it) are refused by the memory check, whose sum would
// overflow int64, before anything is read.
func TestStatsMemoryOverflow(t *testing.T) {
	const k, d = 2, 600_000_000
	path := filepath.Join(t.TempDir(), "huge.npz")
	lying := func(name, header string, elems uint64) rawMember {
		h := npyV1(header, nil)
		return rawMember{name: name + ".npy", data: h, raw: true, usize: uint64(len(h)) + 8*elems}
	}
	fortran := matrixHeader("<f8", d, d, true)
	writeZip(t, path, lying(metrics.StatsFeatureGram, fortran, d*d), lying(metrics.StatsFeatureSums, npyHeader("<f8", k, d), k*d),
		lying(ArrayClassifier, npyHeader("<f8", k, d), k*d),
		rawMember{name: "norm_sq_sums.npy", data: npyV1(npyHeader("<f8", k), make([]byte, 16))},
		rawMember{name: "loss_sum.npy", data: npyV1(npyHeader("<f8"), make([]byte, 8))},
		rawMember{name: "softmax_sums.npy", data: npyV1(npyHeader("<f8", k, k), make([]byte, 32))},
		rawMember{name: "counts.npy", data: npyV1(npyHeader("<i8", k), i64s(1, 1))},
		rawMember{name: "correct.npy", data: npyV1(npyHeader("<i8", k), i64s(0, 0))})
	c := &Checkpoint{K: k, D: d, FeatureType: FeatureStatistics, statsFortran: 8 * d * d}
	if b := c.MemoryBytes(Options{}); b != math.MaxInt64 {
		t.Errorf("MemoryBytes = %d, want the saturated MaxInt64", b)
	}
	_, err := OpenWith(path, OpenSettings{MaxMemory: 1 << 40, MemorySource: "test limit"})
	checkError(t, err, path, metrics.StatsFeatureGram, "above the 1 TiB the process may still allocate (test limit)")
}

// randomRows draws one row of d features per label from rng: ReLU'd
// standard normals, shift added to feature y mod d of a sample of class y.
// It returns the rows, their row-major concatenation, and the labels as
// int64 (the .npz dtype).
func randomRows(rng *rand.Rand, labels []int, d int, shift float64) (rows [][]float64, flat []float64, lab []int64) {
	rows = make([][]float64, len(labels))
	flat = make([]float64, 0, len(labels)*d)
	lab = make([]int64, len(labels))
	for i, y := range labels {
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			v := rng.NormFloat64()
			if j == y%d {
				v += shift
			}
			rows[i][j] = math.Max(0, v)
		}
		flat = append(flat, rows[i]...)
		lab[i] = int64(y)
	}
	return rows, flat, lab
}
