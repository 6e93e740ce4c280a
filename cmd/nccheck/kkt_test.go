package main

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

// kktOut runs kkt with --format json and decodes the output.
func kktOut(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, status := runCmd(append([]string{"kkt", "--format", "json"}, args...)...)
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	return r
}

func bigOf(t *testing.T, v any) *big.Float {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v is not a decimal string", v)
	}
	x, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return x
}

func TestKKTCommand(t *testing.T) {
	small := big.NewFloat(1e-60)
	tests := []struct {
		name  string
		args  []string
		exact bool // residual below 1e-60
	}{
		{"paper", []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}, true},
		{"paper collapsed", []string{"--n", "100,50,10,2", "--d", "4", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, true},
		{"authors-code lW!=4lH", []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--formula", "authors-code"}, false},
		{"bias", []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--bias", "--lambda-b", "5e-3"}, true},
		{"bias not KKT", []string{"--n", "100,50,10,2", "--d", "6", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--bias", "--lambda-b", "1e-2"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := kktOut(t, tc.args...)
			for _, key := range []string{"kkt_residual", "min_dual_slack", "stationarity_w", "stationarity_b", "complementarity", "objective", "precision_bits", "predicted_objective"} {
				if _, ok := r[key]; !ok {
					t.Errorf("missing key %q", key)
				}
			}
			res := bigOf(t, r["kkt_residual"])
			if (res.Cmp(small) < 0) != tc.exact {
				t.Errorf("kkt_residual %s, want below 1e-60: %t", r["kkt_residual"], tc.exact)
			}
			if r["precision_bits"].(float64) != 256 {
				t.Errorf("precision_bits %v", r["precision_bits"])
			}
			isBias := strings.Contains(strings.Join(tc.args, " "), "--bias")
			if (r["stationarity_b"] != nil) != isBias {
				t.Errorf("stationarity_b %v with bias %t", r["stationarity_b"], isBias)
			}
			if isBias && r["bias_prediction"] == nil {
				t.Error("no bias_prediction with --bias")
			}
		})
	}
}

func TestKKTCommandHessian(t *testing.T) {
	r := kktOut(t, "--n", "40,20,10,5", "--d", "6", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--hessian")
	h, ok := r["hessian"].(map[string]any)
	if !ok {
		t.Fatalf("no hessian object: %v", r["hessian"])
	}
	if h["verdict"] != "local-minimum" {
		t.Errorf("verdict %v", h["verdict"])
	}
	out, errs, status := runCmd("kkt", "--n", "40,20,10,5", "--d", "6", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--hessian")
	if status != 0 || !strings.Contains(out, "verdict local-minimum") || !strings.Contains(out, "kkt residual") {
		t.Errorf("text output (status %d, stderr %q):\n%s", status, errs, out)
	}
}

func TestKKTCommandBadInput(t *testing.T) {
	base := []string{"kkt", "--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"prec", append(append([]string{}, base...), "--prec", "10"), "--prec"},
		{"formula", append(append([]string{}, base...), "--formula", "x"), "--formula"},
		{"format", append(append([]string{}, base...), "--format", "csv"), "--format"},
		{"bias authors-code", append(append([]string{}, base...), "--bias", "--lambda-b", "1", "--formula", "authors-code"), "--bias"},
		{"theory", append(append([]string{}, base...), "--theory", "x"), "--theory"},
		{"two theories", append(append([]string{}, base...), "--theory", "both"), "--theory"},
		{"lambda-b without bias", append(append([]string{}, base...), "--lambda-b", "1"), "--lambda-b"},
		{"d too small", []string{"kkt", "--n", "40,20,10,5", "--d", "2", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}, "--d"},
		{"d too small with bias", []string{"kkt", "--n", "40,20,10,5", "--d", "2", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--bias", "--lambda-b", "1"}, "--d"},
		{"negative lambda", []string{"kkt", "--n", "4,4", "--d", "2", "--lambda-w", "-1", "--lambda-h", "5e-3"}, "--lambda-w"},
		{"no-relu imbalanced", append(append([]string{}, base...), "--no-relu"), "--no-relu/--n"},
		{"no-relu d < K-1", []string{"kkt", "--no-relu", "--n", "5,5,5,5", "--d", "2", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}, "--d"},
		{"no-relu authors-code", []string{"kkt", "--no-relu", "--n", "5,5,5,5", "--d", "4", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--formula", "authors-code"}, "--no-relu"},
		{"unknown flag", append(append([]string{}, base...), "--relu"), "-relu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, status := runCmd(tc.args...)
			if status != 2 {
				t.Fatalf("status %d, want 2 (stdout %q, stderr %q)", status, out, errs)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, tc.flag) {
				t.Errorf("stderr %q: want one line naming %s", errs, tc.flag)
			}
		})
	}
}
