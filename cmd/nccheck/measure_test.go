package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"nccheck/closedform"
	"nccheck/setting"
)

// writeCheckpoint writes the predicted minimizer of s, every feature entry
// raised by eps, as a checkpoint with the given epoch (nil: no epoch array).
func writeCheckpoint(t *testing.T, path string, s setting.Setting, eps float64, epoch *int64) {
	t.Helper()
	p, err := closedform.Paper{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	means := m.MeansDense()
	var rows [][]float32
	var labels []int32
	for k, n := range s.Counts {
		for i := 0; i < n; i++ {
			r := make([]float32, s.Dim)
			for j := range r {
				r[j] = float32(means.At(j, k) + eps*float64((i+j)%3))
			}
			rows = append(rows, r)
			labels = append(labels, int32(k))
		}
	}
	w, err := npz.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a := map[string]any{"features": rows, "labels": labels, "classifier": m.WDense()}
	if epoch != nil {
		a["epoch"] = *epoch
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

func i64(v int64) *int64 { return &v }

var measureSetting = setting.Setting{Counts: []int{30, 20, 10, 5}, Dim: 5, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("2e-3")}

// TestMeasureCommand measures a directory of checkpoints: rows sorted by
// epoch, deviations shrinking as the perturbation does, JSON keys, classes
// and plots.
func TestMeasureCommand(t *testing.T) {
	dir := t.TempDir()
	// File names in the opposite order of the epochs.
	writeCheckpoint(t, filepath.Join(dir, "a.npz"), measureSetting, 1e-4, i64(100))
	writeCheckpoint(t, filepath.Join(dir, "b.npz"), measureSetting, 1e-2, i64(10))
	writeCheckpoint(t, filepath.Join(dir, "c.npz"), measureSetting, 1e-1, i64(1))
	stdout, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", dir, "--format", "json")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	prevGap := math.Inf(1)
	for i, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"file", "epoch", "K", "N", "d", "objective", "predicted_objective", "objective_gap", "metrics", "classes"} {
			if _, ok := r[k]; !ok {
				t.Errorf("line %d lacks %q", i, k)
			}
		}
		m := r["metrics"].(map[string]any)
		for _, k := range []string{"nc1", "nc2_h", "nc2_w", "nc2_w_balanced", "nc2_wwt", "nc3_wh", "max_cos"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d: metrics lack %q", i, k)
			}
		}
		cl := r["classes"].([]any)[0].(map[string]any)
		for _, k := range []string{"n", "margin", "predicted_margin", "feature_norm_sq", "predicted_feature_norm_sq", "classifier_norm_sq", "predicted_classifier_norm_sq", "collapsed", "predicted_collapsed"} {
			if _, ok := cl[k]; !ok {
				t.Errorf("line %d: class lacks %q", i, k)
			}
		}
		if want := []float64{1, 10, 100}[i]; r["epoch"].(float64) != want {
			t.Errorf("line %d has epoch %v, want %v (sorted by epoch)", i, r["epoch"], want)
		}
		gap := math.Abs(r["objective_gap"].(float64))
		if !(gap < prevGap) {
			t.Errorf("epoch %v: |gap| %g does not shrink (previous %g)", r["epoch"], gap, prevGap)
		}
		prevGap = gap
	}
	plots := t.TempDir()
	stdout, stderr, status = runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--classes", "--plot", plots, filepath.Join(dir, "a.npz"), filepath.Join(dir, "c.npz"))
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{"NC2_W bal", "Classes of epoch 100", "M_k pred", "ok"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"measure-metrics.png", "measure-rho.svg", "measure-margin.png"} {
		if st, err := os.Stat(filepath.Join(plots, f)); err != nil || st.Size() == 0 {
			t.Errorf("plot %s missing", f)
		}
	}
	for _, format := range []string{"markdown", "latex", "csv"} {
		if _, stderr, status := runCmd("measure", "--fit", "--format", format, dir); status != 0 {
			t.Errorf("%s: status %d %s", format, status, stderr)
		}
	}
}

// TestMeasureBadInput: bad flags and bad files exit 2 with one line naming
// the flag, or the file and the array.
func TestMeasureBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.npz")
	writeCheckpoint(t, good, measureSetting, 0, nil)
	notZip := filepath.Join(dir, "text.npz")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	b, _ := os.ReadFile(good)
	cut := filepath.Join(dir, "cut.npz")
	os.WriteFile(cut, b[:len(b)*2/3], 0o644)
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{good}, "--lambda-w"},
		{[]string{"--lambda-w", "1e-3", good}, "--lambda-h"},
		{[]string{"--lambda-w", "x", "--lambda-h", "1e-3", good}, "--lambda-w"},
		{[]string{"--fit", "--lambda-w", "1e-3", good}, "--fit"},
		{[]string{"--fit"}, "no checkpoint"},
		{[]string{"--fit", "/does/not/exist.npz"}, "exist.npz"},
		{[]string{"--fit", empty}, "no *.npz"},
		{[]string{"--fit", "--format", "xml", good}, "--format"},
		{[]string{"--fit", "--tol-collapse", "2", good}, "--tol-collapse"},
		{[]string{"--fit", notZip}, "text.npz: not a zip"},
		{[]string{"--fit", cut}, "cut.npz"},
	} {
		_, stderr, status := runCmd(append([]string{"measure"}, tc.args...)...)
		if status != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: status %d, stderr %q (want %q)", tc.args, status, stderr, tc.want)
		}
	}
}
