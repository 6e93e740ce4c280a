package checkpoint

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"nccheck/setting"
)

// testSplitDir holds a training checkpoint and the same network's
// Fashion-MNIST test-split checkpoint, each as features and as statistics,
// written by experiments/fashion-mnist/train.py --test-split full --stats
// also (experiments/make_test_split_fixture.py: K = 3, d = 8, lambda_W =
// 1e-3, lambda_H = 1e-5), and expected.json, the test-split measurements
// that script computes in NumPy float64 from the features files.
const testSplitDir = "../testdata/measure/test-split"

// splitExpected is expected.json.
type splitExpected struct {
	N        int     `json:"n"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	NC4      float64 `json:"nc4"`
	NC1      float64 `json:"nc1"`
	Classes  []struct {
		N        int     `json:"n"`
		Accuracy float64 `json:"accuracy"`
		NC4      float64 `json:"nc4"`
	} `json:"classes"`
}

// TestTestSplitFixture measures the Python-written test split with the
// training checkpoint, from the features and from the statistics, and
// compares with NumPy's values: counts and accuracies exactly (the same
// integer ratios), loss and NC1 to 1e-12 relative; NC4 from the features
// exactly, and absent from the statistics (it needs every sample against
// the training means).
func TestTestSplitFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testSplitDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want splitExpected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-5")}
	for _, tc := range []struct{ train, test string }{
		{"features.npz", "test-features.npz"},
		{"stats.npz", "test-stats.npz"},
	} {
		t.Run(tc.train, func(t *testing.T) {
			c, err := Open(filepath.Join(testSplitDir, tc.train))
			if err != nil {
				t.Fatal(err)
			}
			test, err := OpenWith(filepath.Join(testSplitDir, tc.test), OpenSettings{Split: true})
			if err != nil {
				t.Fatal(err)
			}
			o := opt
			o.Test = test
			r, err := Measure(c, o)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Test
			if got == nil {
				t.Fatal("no test report")
			}
			stats := tc.train == "stats.npz"
			relClose := func(name string, g, w float64) {
				if math.Abs(g-w) > 1e-12*math.Abs(w) {
					t.Errorf("%s = %.17g, NumPy %.17g", name, g, w)
				}
			}
			if got.N != want.N || got.Accuracy != want.Accuracy || len(got.Classes) != len(want.Classes) {
				t.Fatalf("n %d accuracy %v classes %d, NumPy %d %v %d", got.N, got.Accuracy, len(got.Classes), want.N, want.Accuracy, len(want.Classes))
			}
			relClose("loss", got.Loss, want.Loss)
			if got.NC1 == nil {
				t.Fatal("nc1 undefined")
			}
			relClose("nc1", *got.NC1, want.NC1)
			switch {
			case stats && got.NC4 != nil:
				t.Errorf("nc4 = %v from statistics, want none", *got.NC4)
			case !stats && (got.NC4 == nil || *got.NC4 != want.NC4):
				t.Errorf("nc4 = %s, NumPy %v", optional(got.NC4), want.NC4)
			}
			for k, w := range want.Classes {
				g := got.Classes[k]
				if g.N != w.N || g.Accuracy == nil || *g.Accuracy != w.Accuracy {
					t.Errorf("class %d: n %d accuracy %s, NumPy %d %v", k, g.N, optional(g.Accuracy), w.N, w.Accuracy)
				}
				if ok := (g.NC4 == nil) == stats && (stats || *g.NC4 == w.NC4); !ok {
					t.Errorf("class %d: nc4 %s, NumPy %v (statistics: %v)", k, optional(g.NC4), w.NC4, stats)
				}
			}
		})
	}
}

// optional formats a metric that may be undefined.
func optional(v *float64) string {
	if v == nil {
		return "undefined"
	}
	return strconv.FormatFloat(*v, 'g', 17, 64)
}
