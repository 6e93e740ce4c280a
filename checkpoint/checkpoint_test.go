package checkpoint

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"nccheck/closedform"
	"nccheck/setting"
)

// arrays is the content of a test checkpoint: name -> value for npyio.
type arrays map[string]any

func writeNPZ(t testing.TB, path string, a arrays) {
	t.Helper()
	w, err := npz.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range a {
		if err := w.Write(name+".npy", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// minimizerArrays writes the predicted explicit minimizer of s as a
// checkpoint: every sample at its class mean, in a seeded shuffled order,
// features as float64 (or float32), plus eps times the largest mean entry
// times seeded half-normal noise on every feature entry (kept non-negative).
func minimizerArrays(t testing.TB, s setting.Setting, float32s bool, eps float64, seed uint64) arrays {
	t.Helper()
	p, err := closedform.Paper{}.Predict(s, 256)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	w, means := m.WDense(), m.MeansDense()
	scale := 0.0
	for _, v := range means.RawMatrix().Data {
		scale = math.Max(scale, v)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	labels := make([]int64, 0, s.N())
	for k, n := range s.Counts {
		for i := 0; i < n; i++ {
			labels = append(labels, int64(k))
		}
	}
	rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	rows64 := make([][]float64, len(labels))
	for i, y := range labels {
		rows64[i] = make([]float64, s.Dim)
		for j := range rows64[i] {
			rows64[i][j] = means.At(j, int(y)) + eps*scale*math.Abs(rng.NormFloat64())
		}
	}
	a := arrays{"labels": labels, "classifier": w, "epoch": int64(7)}
	if float32s {
		rows := make([][]float32, len(rows64))
		for i, r := range rows64 {
			rows[i] = make([]float32, len(r))
			for j, v := range r {
				rows[i][j] = float32(v)
			}
		}
		a["features"] = rows
	} else {
		a["features"] = rows64
	}
	return a
}

func mk(counts []int, d int, lw, lh string) setting.Setting {
	return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}
}

// TestPredictedMinimizerMeasures: the predicted minimizer written as a
// checkpoint measures at float64 round-off (float32 round-off for float32
// features), and the deviations grow with a perturbation.
func TestPredictedMinimizerMeasures(t *testing.T) {
	s := mk([]int{40, 20, 10, 5, 1}, 6, "1.5e-2", "1.5e-2") // class 5 collapses (threshold 1.62)
	dir := t.TempDir()
	opt := Options{LambdaW: s.LambdaW, LambdaH: s.LambdaH}
	for _, tc := range []struct {
		name    string
		float32 bool
		tol     float64
	}{{"float64", false, 1e-13}, {"float32", true, 1e-6}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npz")
			writeNPZ(t, path, minimizerArrays(t, s, tc.float32, 0, 1))
			c, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.N != s.N() || c.K != s.K() || c.D != s.Dim || *c.Epoch != 7 || c.FeatureType != tc.name {
				t.Fatalf("opened %+v", c)
			}
			r, err := Measure(c, opt)
			if err != nil {
				t.Fatal(err)
			}
			m := r.Metrics
			for name, v := range map[string]*float64{"gap": r.ObjectiveGap, "nc2_h": m.NC2H, "nc2_w": m.NC2W, "nc2_wwt": m.NC2WWT, "nc3_wh": m.NC3WH, "margin": m.MarginError} {
				if v == nil || math.Abs(*v) > tc.tol {
					t.Errorf("%s = %v, want below %g", name, deref(v), tc.tol)
				}
			}
			if m.NC1 == nil || *m.NC1 > tc.tol || m.MaxCos > tc.tol || !*m.CollapseAgree || r.Alive != 4 || *r.PredictedAlive != 4 {
				t.Errorf("nc1 %v, max cos %g, collapse %v, alive %d/%d", deref(m.NC1), m.MaxCos, *m.CollapseAgree, r.Alive, *r.PredictedAlive)
			}
			for k, cl := range r.Classes {
				if math.Abs(cl.Margin-*cl.PredictedMargin) > tc.tol*10 || math.Abs(cl.FeatureNormSq-*cl.PredictedFeatureNormSq) > tc.tol*10 {
					t.Errorf("class %d: margin %g vs %g, rho %g vs %g", k, cl.Margin, *cl.PredictedMargin, cl.FeatureNormSq, *cl.PredictedFeatureNormSq)
				}
			}
			// NC2_W against the balanced theory is not small for imbalanced counts.
			if m.NC2WBalanced == nil || *m.NC2WBalanced < 1e-2 {
				t.Errorf("nc2_w balanced %v", deref(m.NC2WBalanced))
			}
		})
	}
	// Perturbations: every deviation grows with eps.
	prev := map[string]float64{}
	for i, eps := range []float64{1e-6, 1e-4, 1e-2} {
		path := filepath.Join(dir, "perturbed.npz")
		writeNPZ(t, path, minimizerArrays(t, s, false, eps, 2))
		c, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Measure(c, opt)
		if err != nil {
			t.Fatal(err)
		}
		m := r.Metrics
		cur := map[string]float64{"|gap|": math.Abs(*r.ObjectiveGap), "nc1": *m.NC1, "nc2_h": *m.NC2H, "nc2_w": *m.NC2W, "nc3_wh": *m.NC3WH, "max cos": m.MaxCos}
		for name, v := range cur {
			if i > 0 && !(v > prev[name]) {
				t.Errorf("eps %g: %s = %g, not above %g at the smaller perturbation", eps, name, v, prev[name])
			}
		}
		prev = cur
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestFitLambdasRecovers: on the predicted minimizer for lambda_W !=
// lambda_H, the fit recovers both lambdas (the ratio from the balance, the
// product from the margins).
func TestFitLambdasRecovers(t *testing.T) {
	s := mk([]int{500, 300, 200, 100}, 4, "2e-3", "1e-4")
	path := filepath.Join(t.TempDir(), "fit.npz")
	writeNPZ(t, path, minimizerArrays(t, s, false, 0, 1))
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Measure(c, Options{Fit: true})
	if err != nil {
		t.Fatal(err)
	}
	lw, _ := setting.MustDecimal(r.LambdaW).Float64(), 0
	lh := setting.MustDecimal(r.LambdaH).Float64()
	if math.Abs(lw/2e-3-1) > 1e-4 || math.Abs(lh/1e-4-1) > 1e-4 || !r.Fitted {
		t.Errorf("fitted lambda_W %s, lambda_H %s; want 2e-3, 1e-4", r.LambdaW, r.LambdaH)
	}
	if math.Abs(*r.ObjectiveGap) > 1e-6 {
		t.Errorf("gap %g with fitted lambdas", *r.ObjectiveGap)
	}
}

// TestTransposedArrays: features saved d x N are blamed on the features,
// not on the classifier whose columns they fail to match, and a classifier
// saved d x K on the classifier; each message says to save the transpose.
func TestTransposedArrays(t *testing.T) {
	dir := t.TempDir()
	features := [][]float32{{1, 0}, {0, 1}, {0, 2}}     // N = 3, d = 2
	classifier := [][]float32{{1, -1}, {-1, 1}, {0, 1}} // K = 3
	transpose := func(m [][]float32) [][]float32 {
		out := make([][]float32, len(m[0]))
		for j := range out {
			for i := range m {
				out[j] = append(out[j], m[i][j])
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, array, want string
		a                 arrays
	}{
		{"features d x N", ArrayFeatures, "save features.T, N x d",
			arrays{"features": transpose(features), "labels": []int64{0, 1, 2}, "classifier": classifier}},
		{"classifier d x K", ArrayClassifier, "save classifier.T, K x d",
			arrays{"features": features, "labels": []int64{0, 1, 2}, "classifier": transpose(classifier)}},
	} {
		path := filepath.Join(dir, "t.npz")
		writeNPZ(t, path, tc.a)
		_, err := Open(path)
		ce, ok := err.(*Error)
		if !ok || ce.Array != tc.array || !strings.Contains(ce.Reason, tc.want) {
			t.Errorf("%s: error %v, want an *Error on %q saying %q", tc.name, err, tc.array, tc.want)
		}
	}
}

// TestOpenErrors: every bad file is an *Error naming the file and the array.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := func() arrays {
		return arrays{"features": [][]float32{{1, 0}, {0, 1}, {0, 2}}, "labels": []int64{0, 1, 1},
			"classifier": [][]float32{{1, -1}, {-1, 1}}}
	}
	mod := func(f func(a arrays)) arrays { a := good(); f(a); return a }
	tests := []struct {
		name  string
		a     arrays
		array string
	}{
		{"missing features", mod(func(a arrays) { delete(a, "features") }), ArrayFeatures},
		{"missing labels", mod(func(a arrays) { delete(a, "labels") }), ArrayLabels},
		{"rows != labels", mod(func(a arrays) { a["labels"] = []int64{0, 1} }), ArrayLabels},
		{"classifier d", mod(func(a arrays) { a["classifier"] = [][]float32{{1, 0, 0}, {0, 1, 0}} }), ArrayClassifier},
		{"features 1-D", mod(func(a arrays) { a["features"] = []float32{1, 2, 3} }), ArrayFeatures},
		{"label out of range", mod(func(a arrays) { a["labels"] = []int64{0, 1, 2} }), ArrayLabels},
		{"negative label", mod(func(a arrays) { a["labels"] = []int8{0, -1, 1} }), ArrayLabels},
		{"class without samples", mod(func(a arrays) { a["labels"] = []int64{0, 0, 0} }), ArrayLabels},
		{"NaN classifier", mod(func(a arrays) { a["classifier"] = [][]float32{{1, float32(math.NaN())}, {0, 1}} }), ArrayClassifier},
		{"Inf bias", mod(func(a arrays) { a["bias"] = []float64{0, math.Inf(1)} }), ArrayBias},
		{"bias length", mod(func(a arrays) { a["bias"] = []float64{0, 1, 2} }), ArrayBias},
		{"complex features", mod(func(a arrays) { a["features"] = [][]complex64{{1, 0}, {0, 1}, {0, 2}} }), ArrayFeatures},
		{"int features", mod(func(a arrays) { a["features"] = [][]int32{{1, 0}, {0, 1}, {0, 2}} }), ArrayFeatures},
		{"float labels", mod(func(a arrays) { a["labels"] = []float32{0, 1, 1} }), ArrayLabels},
		{"epoch not scalar", mod(func(a arrays) { a["epoch"] = []int64{1, 2} }), ArrayEpoch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.npz")
			writeNPZ(t, path, tc.a)
			_, err := Open(path)
			ce, ok := err.(*Error)
			if !ok || ce.File != path || ce.Array != tc.array {
				t.Fatalf("error %v (%T), want an *Error on array %q", err, err, tc.array)
			}
		})
	}
	// NaN in the features is found while streaming them.
	path := filepath.Join(dir, "nan.npz")
	writeNPZ(t, path, mod(func(a arrays) { a["features"] = [][]float32{{1, 0}, {0, float32(math.Inf(-1))}, {0, 2}} }))
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Measure(c, Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")}); err == nil {
		t.Fatal("Inf feature accepted")
	} else if ce, ok := err.(*Error); !ok || ce.Array != ArrayFeatures {
		t.Fatalf("error %v (%T), want an *Error on features", err, err)
	}
	// Not a zip, and a truncated zip.
	notZip := filepath.Join(dir, "text.npz")
	os.WriteFile(notZip, []byte("just text\n"), 0o644)
	if _, err := Open(notZip); err == nil || err.(*Error).Array != "" {
		t.Errorf("not a zip: %v", err)
	}
	full := filepath.Join(dir, "full.npz")
	writeNPZ(t, full, good())
	b, _ := os.ReadFile(full)
	cut := filepath.Join(dir, "cut.npz")
	os.WriteFile(cut, b[:len(b)/2], 0o644)
	if _, err := Open(cut); err == nil {
		t.Errorf("truncated file accepted")
	}
}
