package main

import (
	"codeberg.org/sbinet/npyio/npy"

	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSolveJSON: with --cert-tol 0 every restart runs.
func TestSolveJSON(t *testing.T) {
	out, errs, status := runCmd("solve", "--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--format", "json", "--seed", "3", "--restarts", "3", "--cert-tol", "0")
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	for _, key := range []string{"objective", "kkt_residual", "converged", "iterations", "evaluations", "seconds", "restarts", "HTH", "WWT", "WH"} {
		if _, ok := r[key]; !ok {
			t.Errorf("missing key %q", key)
		}
	}
	if r["converged"] != true || r["kkt_residual"].(float64) > 1e-10 {
		t.Errorf("converged %v residual %v", r["converged"], r["kkt_residual"])
	}
	restarts := r["restarts"].([]any)
	if len(restarts) != 3 {
		t.Fatalf("%d restarts, want 3", len(restarts))
	}
	best := math.Inf(1)
	for i, x := range restarts {
		m := x.(map[string]any)
		for _, key := range []string{"seed", "objective", "kkt_residual", "iterations", "zero_classes"} {
			if _, ok := m[key]; !ok {
				t.Errorf("restart %d: missing key %q", i, key)
			}
		}
		best = math.Min(best, m["objective"].(float64))
	}
	if r["objective"].(float64) != best {
		t.Errorf("objective %v is not the best restart's %v", r["objective"], best)
	}
	for _, key := range []string{"HTH", "WWT", "WH"} {
		m := r[key].([]any)
		if len(m) != 4 || len(m[0].([]any)) != 4 {
			t.Errorf("%s is not 4 x 4: %v", key, m)
		}
	}
	// W Hbar has zero column sums up to the tolerance: rows of W sum to 0 at
	// any stationary point (grad_W summed over rows is lambda_W * sum of rows,
	// the loss part summing to 0), so this holds without the closed form.
	wh := r["WH"].([]any)
	for j := 0; j < 4; j++ {
		s := 0.0
		for i := 0; i < 4; i++ {
			s += wh[i].([]any)[j].(float64)
		}
		if math.Abs(s) > 1e-6 {
			t.Errorf("column %d of WH sums to %v", j, s)
		}
	}
	// Same seed, same output numbers.
	out2, _, _ := runCmd("solve", "--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--format", "json", "--seed", "3", "--restarts", "3", "--cert-tol", "0")
	var r2 map[string]any
	json.Unmarshal([]byte(out2), &r2)
	if r2["objective"] != r["objective"] || r2["iterations"] != r["iterations"] {
		t.Errorf("same seed, different results: %v/%v vs %v/%v", r["objective"], r["iterations"], r2["objective"], r2["iterations"])
	}
}

func TestSolveText(t *testing.T) {
	out, errs, status := runCmd("solve", "--n", "30,10,5", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--bias", "--lambda-b", "1e-3")
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	for _, want := range []string{"objective", "KKT residual", "converged", "zero classes", "seed", "restart"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestSolveBadInput(t *testing.T) {
	base := []string{"solve", "--n", "4,2", "--d", "2", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}
	cases := []struct {
		args []string
		flag string
	}{
		{[]string{"solve", "--d", "2", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, "--n"},
		{[]string{"solve", "--n", "4", "--d", "2", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, "--n"},
		{[]string{"solve", "--n", "4,2", "--d", "0", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, "--d"},
		{[]string{"solve", "--n", "4,2", "--d", "2", "--lambda-w", "-1", "--lambda-h", "1e-2"}, "--lambda-w"},
		{[]string{"solve", "--n", "4,2", "--d", "2", "--lambda-w", "1e-2", "--lambda-h", "nan"}, "--lambda-h"},
		{append(append([]string{}, base...), "--bias"), "--lambda-b"},
		{append(append([]string{}, base...), "--tol", "0"), "--tol"},
		{append(append([]string{}, base...), "--tol", "-1e-3"), "--tol"},
		{append(append([]string{}, base...), "--restarts", "0"), "--restarts"},
		{append(append([]string{}, base...), "--max-iter", "0"), "--max-iter"},
		{append(append([]string{}, base...), "--max-seconds", "-1"), "--max-seconds"},
		{append(append([]string{}, base...), "--format", "xml"), "--format"},
		{append(append([]string{}, base...), "--restarts", "x"), "-restarts"},
		{append(append([]string{}, base...), "--cert-tol", "-1"), "--cert-tol"},
		{append(append([]string{}, base...), "--cert-tol", "NaN"), "--cert-tol"},
		{append(append([]string{}, base...), "extra"), "extra"},
		{[]string{"solve", "--n", "1000000,1000000", "--d", "100", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, "--n/--d"},
	}
	for _, c := range cases {
		out, errs, status := runCmd(c.args...)
		if status != exitBadInput {
			t.Errorf("%v: status %d, want %d (stderr %q)", c.args, status, exitBadInput, errs)
		}
		if strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.Contains(errs, c.flag) {
			t.Errorf("%v: stderr %q should be one line naming %s", c.args, errs, c.flag)
		}
		if out != "" {
			t.Errorf("%v: stdout %q, want nothing", c.args, out)
		}
	}
	if _, _, status := runCmd("solve", "-h"); status != exitOK {
		t.Errorf("-h: status %d", status)
	}
}

// readNPY reads a float64 .npy file with the npyio library and returns its
// shape and values.
func readNPY(t *testing.T, path string) ([]int, []float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npy.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if strings.Trim(r.Header.Descr.Type, "'") != "<f8" || r.Header.Descr.Fortran {
		t.Errorf("%s: header %+v", path, r.Header)
	}
	var vals []float64
	if err := r.Read(&vals); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r.Header.Descr.Shape, vals
}

func TestSolveOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sol")
	out, errs, status := runCmd("solve", "--n", "3,2", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--bias", "--lambda-b", "1e-2",
		"--out", dir, "--format", "json", "--restarts", "2")
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{"W": {2, 3}, "H": {3, 5}, "b": {2}}
	for name, want := range shapes {
		shape, vals := readNPY(t, filepath.Join(dir, name+".npy"))
		if len(shape) != len(want) {
			t.Fatalf("%s.npy shape %v, want %v", name, shape, want)
		}
		n := 1
		for i := range want {
			if shape[i] != want[i] {
				t.Errorf("%s.npy shape %v, want %v", name, shape, want)
			}
			n *= want[i]
		}
		if len(vals) != n {
			t.Fatalf("%s.npy has %d values, want %d", name, len(vals), n)
		}
		csvText, err := os.ReadFile(filepath.Join(dir, name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		var csvVals []float64
		for _, line := range strings.Split(strings.TrimSpace(string(csvText)), "\n") {
			for _, f := range strings.Split(line, ",") {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatalf("%s.csv: %v", name, err)
				}
				csvVals = append(csvVals, v)
			}
		}
		if len(csvVals) != n {
			t.Fatalf("%s.csv has %d values, want %d", name, len(csvVals), n)
		}
		for i := range vals {
			if vals[i] != csvVals[i] {
				t.Errorf("%s: npy[%d] = %v, csv %v", name, i, vals[i], csvVals[i])
			}
		}
		if name == "H" {
			for _, v := range vals {
				if v < 0 {
					t.Errorf("H has a negative entry %v", v)
				}
			}
		}
		if name == "b" {
			jb := r["b"].([]any)
			for i := range vals {
				if jb[i].(float64) != vals[i] {
					t.Errorf("b.npy[%d] = %v, JSON b %v", i, vals[i], jb[i])
				}
			}
		}
	}
}
