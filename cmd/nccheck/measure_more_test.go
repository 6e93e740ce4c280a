package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// pointArrays is the predicted minimizer of s as checkpoint arrays (float64
// features, every sample at its class mean, classes in order), with the
// classes of merge (if any) forced onto the coordinate of merge[0]: their
// features and W's columns moved there, so that their means point the same
// way (and are equal when their counts are).
func pointArrays(t *testing.T, s setting.Setting, merge []int) map[string]any {
	t.Helper()
	p, err := closedform.Paper{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Minimizer()
	if err != nil {
		t.Fatal(err)
	}
	means, w := m.MeansDense(), mat.DenseCopyOf(m.WDense())
	k, _ := w.Dims()
	var rows [][]float64
	var labels []int64
	for c, n := range s.Counts {
		for i := 0; i < n; i++ {
			rows = append(rows, mat.Col(nil, c, means))
			labels = append(labels, int64(c))
		}
	}
	for _, b := range merge[min(1, len(merge)):] {
		a := merge[0]
		for _, r := range rows {
			r[a], r[b] = r[a]+r[b], 0
		}
		for j := 0; j < k; j++ {
			w.Set(j, a, w.At(j, a)+w.At(j, b))
			w.Set(j, b, 0)
		}
	}
	return map[string]any{"features": rows, "labels": labels, "classifier": w}
}

func writeArrays(t *testing.T, path string, a map[string]any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	z, err := npz.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range a {
		if err := z.Write(name+".npy", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
}

var mergeSetting = setting.Setting{Counts: []int{40, 30, 20, 20}, Dim: 5, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("2e-3")}

// TestMeasureBoundDiagnosis: on a checkpoint whose classes 2 and 3 share
// one feature coordinate (equal means), the text output names exactly
// those classes as descent classes and says why; the undefined metrics
// (CDNV, GNC2 of two equal means) are n/a with their reasons, never NaN;
// every line fits 120 columns, with --classes too. JSON carries the bound.
func TestMeasureBoundDiagnosis(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "merged.npz")
	a := pointArrays(t, mergeSetting, []int{2, 3})
	a["epoch"] = int64(12)
	writeArrays(t, path, a)
	stdout, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--classes", path)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"| 2,3     |", "epoch 12: classes 2, 3 share one feature direction (cos 1.0000): each lowers f on a coordinate of its own",
		"n/a cdnv (epoch 12): classes 2 and 3 have the same mean", "n/a gnc2 (epoch 12): classes 2 and 3 have the same centred direction",
		"equinorm mu", "self-dual", "bias rel", "worst margin", "merged with", "r_k", "a bracket, not a proof",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for i, line := range strings.Split(stdout, "\n") {
		if len(line) > textWidth {
			t.Errorf("line %d has %d columns: %q", i+1, len(line), line)
		}
	}
	if strings.Contains(strings.ToLower(stdout), "nan") {
		t.Errorf("output prints NaN:\n%s", stdout)
	}
	js, _, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--format", "json", path)
	if status != 0 {
		t.Fatal(status)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if dc, ok := r["descent_classes"].([]any); !ok || len(dc) != 2 || dc[0].(float64) != 2 || dc[1].(float64) != 3 {
		t.Errorf("descent_classes %v, want [2 3]", r["descent_classes"])
	}
	lb, f := r["lower_bound"].(float64), r["objective"].(float64)
	if !(lb < f) || r["dual_norm_ratio"].(float64) <= 1 {
		t.Errorf("lower_bound %v, objective %v, dual_norm_ratio %v", lb, f, r["dual_norm_ratio"])
	}
	m := r["metrics"].(map[string]any)
	for _, key := range []string{"nc4", "accuracy", "equinorm_means", "equinorm_classifier", "equiangularity", "self_duality", "cdnv", "gnc2", "bias_relation"} {
		if _, ok := m[key]; !ok {
			t.Errorf("metrics lack %q", key)
		}
	}
	for _, key := range []string{"accuracy", "worst_margin", "merged_with", "r"} {
		if _, ok := r["classes"].([]any)[3].(map[string]any)[key]; !ok {
			t.Errorf("classes lack %q", key)
		}
	}
	if c := r["classes"].([]any)[3].(map[string]any); c["merged_with"].(float64) != 2 {
		t.Errorf("class 3 merged_with %v, want 2", c["merged_with"])
	}
}

// TestMeasureConfigLambdas: without a lambda flag, measure reads lambda_w
// and lambda_h of the config.json beside the checkpoints (strings or
// numbers, read exactly) and says so; without one it asks for the flags;
// a bad config.json exits 2 naming it.
func TestMeasureConfigLambdas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "epoch-00001.npz")
	writeArrays(t, path, pointArrays(t, mergeSetting, nil))
	cfg := filepath.Join(dir, "run", "config.json")
	os.WriteFile(cfg, []byte(`{"lambda_w": "5e-3", "lambda_h": 0.002, "other": [1, 2]}`), 0o644)
	stdout, stderr, status := runCmd("measure", path)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if !strings.Contains(stdout, "lambda_W = 5e-3, lambda_H = 0.002 (from "+cfg+")") {
		t.Errorf("output does not name the config:\n%s", stdout)
	}
	js, _, _ := runCmd("measure", "--format", "json", path)
	var r map[string]any
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if r["lambda_source"] != cfg || r["lambda_w"] != "5e-3" || r["lambda_h"] != "0.002" {
		t.Errorf("lambda_source %v, lambda_w %v, lambda_h %v", r["lambda_source"], r["lambda_w"], r["lambda_h"])
	}
	if gap := r["objective_gap"].(float64); gap > 1e-12 || gap < -1e-12 {
		t.Errorf("objective gap %g at the predicted minimizer with the config's lambdas", gap)
	}
	for _, tc := range []struct{ config, want string }{
		{`{"lambda_w": "5e-3"}`, "has no lambda_h"},
		{`{"lambda_w": "-1", "lambda_h": "1e-3"}`, "lambda_w"},
		{`not json`, "is not a JSON object"},
		{`{"lambda_w": true, "lambda_h": "1e-3"}`, "not a decimal"},
	} {
		os.WriteFile(cfg, []byte(tc.config), 0o644)
		_, stderr, status := runCmd("measure", path)
		if status != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "config.json") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("config %s: status %d, stderr %q (want %q)", tc.config, status, stderr, tc.want)
		}
	}
	os.Remove(cfg)
	if _, stderr, status := runCmd("measure", path); status != 2 || !strings.Contains(stderr, "--lambda-w") || !strings.Contains(stderr, "config.json") {
		t.Errorf("without lambdas: status %d, stderr %q", status, stderr)
	}
}

// TestMeasureTestSplit: --test measures a test checkpoint of the same
// network (a class absent) with the training means and W; a test file of
// another network is refused naming --test.
func TestMeasureTestSplit(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join(dir, "train.npz")
	a := pointArrays(t, mergeSetting, nil)
	writeArrays(t, train, a)
	// The test split: samples of classes 0..2 at their training means,
	// perturbed, and class 3 absent.
	rows := a["features"].([][]float64)
	labels := a["labels"].([]int64)
	var trows [][]float64
	var tlabels []int64
	for i, y := range labels {
		if y == 3 || i%5 != 0 {
			continue
		}
		r := append([]float64(nil), rows[i]...)
		r[4] = 0.1 * float64(i%3)
		trows = append(trows, r)
		tlabels = append(tlabels, y)
	}
	test := filepath.Join(dir, "test.npz")
	writeArrays(t, test, map[string]any{"features": trows, "labels": tlabels, "classifier": a["classifier"]})
	js, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--format", "json", "--test", test, train)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	var r struct {
		Test *struct {
			File     string
			N        int
			Accuracy float64
			NC4, NC1 *float64
			Classes  []struct {
				N        int
				Accuracy *float64
			}
		}
	}
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if r.Test == nil || r.Test.File != test || r.Test.N != len(tlabels) || r.Test.Accuracy != 1 || r.Test.NC4 == nil || *r.Test.NC4 != 1 || r.Test.NC1 == nil || !(*r.Test.NC1 > 0) {
		t.Fatalf("test split %+v", r.Test)
	}
	if c := r.Test.Classes[3]; c.N != 0 || c.Accuracy != nil {
		t.Errorf("absent class 3: %+v", c)
	}
	stdout, _, _ := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--classes", "--test", test, train)
	for _, want := range []string{"Test split, measured with the training class means and W", "test accuracy", "test NC1", "test n_k"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	other := pointArrays(t, mergeSetting, []int{2, 3})
	writeArrays(t, test, map[string]any{"features": trows, "labels": tlabels, "classifier": other["classifier"]})
	if _, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--test", test, train); status != 2 || !strings.Contains(stderr, "--test") {
		t.Errorf("another network: status %d, stderr %q", status, stderr)
	}
}

// TestMeasureCSV: --format csv is one table (the checkpoints; with
// --classes the classes, long format) whose every row has the header's
// columns and every numeric cell parses.
func TestMeasureCSV(t *testing.T) {
	dir := t.TempDir()
	for i, eps := range []float64{1e-3, 1e-2} {
		writeCheckpoint(t, filepath.Join(dir, strconv.Itoa(i)+".npz"), measureSetting, eps, i64(int64(10*(i+1))))
	}
	for _, tc := range []struct {
		args     []string
		rows     int
		first    []string
		numeric  []string
		notEmpty []string
	}{
		{nil, 2, []string{"file", "epoch"}, []string{"objective", "lower_bound", "nc1", "cdnv", "accuracy"}, []string{"diagnosis", "predicted_objective"}},
		{[]string{"--classes"}, 2 * 4, []string{"file", "epoch", "class"}, []string{"margin", "r", "worst_margin"}, []string{"status"}},
	} {
		args := append([]string{"measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--format", "csv"}, tc.args...)
		stdout, stderr, status := runCmd(append(args, dir)...)
		if status != 0 {
			t.Fatalf("%v: status %d: %s", tc.args, status, stderr)
		}
		recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if len(recs) != tc.rows+1 {
			t.Fatalf("%v: %d records, want a header and %d rows", tc.args, len(recs), tc.rows)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for i, h := range tc.first {
			if recs[0][i] != h {
				t.Errorf("%v: column %d is %q, want %q", tc.args, i, recs[0][i], h)
			}
		}
		for _, rec := range recs[1:] {
			for _, key := range tc.numeric {
				if _, err := strconv.ParseFloat(rec[col[key]], 64); err != nil {
					t.Errorf("%v: %s = %q does not parse", tc.args, key, rec[col[key]])
				}
			}
			for _, key := range tc.notEmpty {
				if rec[col[key]] == "" {
					t.Errorf("%v: %s empty", tc.args, key)
				}
			}
		}
	}
}

// TestMeasureMarkdown: Markdown tables have as many cells in every row as
// in the header (a | inside a header, such as ||w_k||^2, is escaped).
func TestMeasureMarkdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.npz")
	writeCheckpoint(t, path, measureSetting, 1e-3, nil)
	stdout, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--classes", "--format", "markdown", path)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	cells := func(line string) int { return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1 }
	want := -1
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = cells(line)
		} else if got := cells(line); got != want {
			t.Errorf("%d cells, the header has %d: %q", got, want, line)
		}
	}
	if !strings.Contains(stdout, `\|\|w_k\|\|^2`) {
		t.Errorf("the ||w_k||^2 header is not escaped:\n%s", stdout)
	}
}

// TestMeasureGlobalMean: --global-mean classes changes the centred metrics
// of imbalanced classes and is reported; a bad value exits 2.
func TestMeasureGlobalMean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.npz")
	writeCheckpoint(t, path, measureSetting, 1e-3, nil)
	get := func(args ...string) map[string]any {
		js, stderr, status := runCmd(append([]string{"measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--format", "json", path}, args...)...)
		if status != 0 {
			t.Fatalf("%v: status %d: %s", args, status, stderr)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		return r["metrics"].(map[string]any)
	}
	w, c := get(), get("--global-mean", "classes")
	if w["global_mean"] != "weighted" || c["global_mean"] != "classes" || w["equinorm_means"] == c["equinorm_means"] {
		t.Errorf("weighted %v %v, classes %v %v", w["global_mean"], w["equinorm_means"], c["global_mean"], c["equinorm_means"])
	}
	if _, stderr, status := runCmd("measure", "--fit", "--global-mean", "median", path); status != 2 || !strings.Contains(stderr, "--global-mean") {
		t.Errorf("bad --global-mean: status %d, %q", status, stderr)
	}
}

// TestMeasureLoss: --loss changes the objective, the prediction and the
// bound to that loss's; --fit and statistics take only the cross-entropy.
func TestMeasureLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.npz")
	writeCheckpoint(t, path, measureSetting, 1e-3, nil)
	var fs []float64
	for _, loss := range []string{"ce", "ls:0.1", "mse"} {
		js, stderr, status := runCmd("measure", "--lambda-w", "5e-3", "--lambda-h", "2e-3", "--format", "json", "--loss", loss, path)
		if status != 0 {
			t.Fatalf("%s: status %d: %s", loss, status, stderr)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Fatal(err)
		}
		if r["loss"] != loss || r["lower_bound"] == nil || !(r["lower_bound"].(float64) < r["objective"].(float64)) {
			t.Errorf("%s: loss %v, lower_bound %v, objective %v", loss, r["loss"], r["lower_bound"], r["objective"])
		}
		fs = append(fs, r["objective"].(float64))
	}
	if fs[0] == fs[1] || fs[0] == fs[2] {
		t.Errorf("objectives %v: the loss does not enter", fs)
	}
	if _, stderr, status := runCmd("measure", "--fit", "--loss", "mse", path); status != 2 || !strings.Contains(stderr, "--fit") {
		t.Errorf("--fit --loss mse: status %d, %q", status, stderr)
	}
	if _, stderr, status := runCmd("measure", "--lambda-w", "1e-3", "--lambda-h", "1e-5", "--loss", "mse", "../../testdata/measure/stats/mlp-stats.npz"); status != 2 || !strings.Contains(stderr, "cross-entropy only") {
		t.Errorf("statistics with --loss mse: status %d, %q", status, stderr)
	}
}
