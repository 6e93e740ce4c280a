package main

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
)

// Tests of the plain-UFM flags: predict --no-relu, predict --compare, kkt
// --no-relu [--hessian], and verify on balanced and imbalanced plain rows.

var worked1 = []string{"--n", "50,50,50,50", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}

func args(cmd string, extra ...string) []string {
	return append(append([]string{cmd}, worked1...), extra...)
}

func decodeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	return r
}

func TestPredictNoReLU(t *testing.T) {
	out, errs, status := runCmd(args("predict", "--no-relu", "--d", "3", "--format", "json")...)
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	r := decodeJSON(t, out)
	if r["model"] != "plain UFM, ETF sec. 9" || r["collapse_threshold_n"] != nil || r["global_collapse"] != false {
		t.Errorf("model %v, collapse threshold %v, global collapse %v", r["model"], r["collapse_threshold_n"], r["global_collapse"])
	}
	if c, ok := r["mean_cos"].(float64); !ok || math.Abs(c+1.0/3) > 1e-15 {
		t.Errorf("mean_cos %v, want -1/3", r["mean_cos"])
	}
	if r["s"] == nil || r["s_collapse"] == nil {
		t.Errorf("s %v, s_collapse %v", r["s"], r["s_collapse"])
	}
	// theory.md section 9: f* = 0.45473594512076887, m = 3.2301825125805848.
	if f := bigOf(t, r["objective"]); math.Abs(f64of(f)-0.45473594512076887) > 1e-16 {
		t.Errorf("objective %v", r["objective"])
	}
	for _, c := range r["classes"].([]any) {
		cm := c.(map[string]any)
		if cm["collapse_roots"] != nil || cm["c_beta"] != nil || cm["cos_w_h"] != "1" {
			t.Errorf("class %v: collapse_roots %v and c_beta %v (want null), cos_w_h %v", cm["class"], cm["collapse_roots"], cm["c_beta"], cm["cos_w_h"])
		}
		if m := f64of(bigOf(t, cm["margin"])); math.Abs(m-3.2301825125805848) > 1e-15 {
			t.Errorf("margin %v", cm["margin"])
		}
	}
	// The ReLU prediction keeps its threshold, and its class means are orthogonal.
	out, _, status = runCmd(args("predict", "--d", "4", "--format", "json")...)
	r = decodeJSON(t, out)
	if status != 0 || r["collapse_threshold_n"] == nil || r["mean_cos"] != 0.0 || r["model"] != nil {
		t.Errorf("ReLU: status %d, threshold %v, mean_cos %v, model %v", status, r["collapse_threshold_n"], r["mean_cos"], r["model"])
	}
	// Global collapse (s >= 1/K): no cosine.
	out, _, status = runCmd("predict", "--no-relu", "--n", "4,4,4,4", "--d", "1", "--lambda-w", "0.25", "--lambda-h", "0.0625", "--format", "json")
	r = decodeJSON(t, out)
	if status != 0 || r["global_collapse"] != true || r["mean_cos"] != nil || r["alive_classes"] != 0.0 {
		t.Errorf("boundary: status %d, global collapse %v, mean_cos %v, alive %v", status, r["global_collapse"], r["mean_cos"], r["alive_classes"])
	}
	// Text: the model in the title, the boundary and the cosine in the summary, "-" for the roots.
	out, errs, status = runCmd(args("predict", "--no-relu", "--d", "3")...)
	for _, want := range []string{"plain UFM, ETF sec. 9", "every class collapses iff s = sqrt(n lambda_W lambda_H) >= 1/K", "cos(h_k, h_l):      -0.333333333333333", "|             - |             - |"} {
		if status != 0 || !strings.Contains(out, want) {
			t.Errorf("text output (status %d, %q) lacks %q:\n%s", status, errs, want, out)
		}
	}
}

func f64of(x *big.Float) float64 { f, _ := x.Float64(); return f }

func TestPredictCompare(t *testing.T) {
	out, errs, status := runCmd(args("predict", "--compare", "--d", "4", "--format", "json")...)
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	r := decodeJSON(t, out)
	relu, ok1 := r["relu"].(map[string]any)
	plain, ok2 := r["plain"].(map[string]any)
	if !ok1 || !ok2 {
		t.Fatalf("relu %v, plain %v", r["relu"], r["plain"])
	}
	fr, fp := f64of(bigOf(t, relu["objective"])), f64of(bigOf(t, plain["objective"]))
	diff := f64of(bigOf(t, r["objective_difference"]))
	if !(fp < fr) || math.Abs(diff-(fp-fr)) > 1e-15 || math.Abs(fp-0.45473594512076887) > 1e-16 {
		t.Errorf("f* ReLU %g, plain %g, difference %g", fr, fp, diff)
	}
	if relu["mean_cos"] != 0.0 || plain["model"] != "plain UFM, ETF sec. 9" {
		t.Errorf("relu mean_cos %v, plain model %v", relu["mean_cos"], plain["model"])
	}
	// The Gram matrices: Hbar^T Hbar diagonal for ReLU, negative off the diagonal for the ETF.
	hr := relu["HTH"].([]any)[0].([]any)
	hp := plain["HTH"].([]any)[0].([]any)
	if hr[1] != "0" || f64of(bigOf(t, hp[1])) >= 0 {
		t.Errorf("HTH(1,2): ReLU %v, plain %v", hr[1], hp[1])
	}
	// d = K-1: the ReLU theorem needs d >= 4 alive classes and does not apply.
	out, _, status = runCmd(args("predict", "--compare", "--d", "3", "--format", "json")...)
	r = decodeJSON(t, out)
	if status != 0 || r["relu"] != nil || !strings.Contains(r["relu_scope"].(string), "--d 3") || r["plain"] == nil || r["objective_difference"] != nil {
		t.Errorf("d = K-1: status %d, relu %v, scope %v, difference %v", status, r["relu"], r["relu_scope"], r["objective_difference"])
	}
	out, errs, status = runCmd(args("predict", "--compare", "--d", "4", "--matrices")...)
	for _, want := range []string{"orthogonal", "simplex ETF", "f*(plain) - f*(ReLU) = -0.0516424440152", "at or below the ReLU f*",
		"UFM+ (ReLU, sec. 2): Hbar^T Hbar", "plain UFM (sec. 9): W W^T", "global collapse iff s >="} {
		if status != 0 || !strings.Contains(out, want) {
			t.Errorf("text output (status %d, %q) lacks %q:\n%s", status, errs, want, out)
		}
	}
	for _, format := range []string{"markdown", "latex", "csv"} {
		if out, errs, status := runCmd(args("predict", "--compare", "--d", "4", "--format", format)...); status != 0 || !strings.Contains(out, "objective") {
			t.Errorf("%s: status %d, stderr %q:\n%s", format, status, errs, out)
		}
	}
}

func TestPlainBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"predict imbalanced", []string{"predict", "--no-relu", "--n", "40,20,10,5", "--d", "4", "--lambda-w", "5e-3", "--lambda-h", "5e-3"},
			`--no-relu/--n "40,20,10,5": no closed form is known for the imbalanced plain UFM`},
		{"predict d < K-1", args("predict", "--no-relu", "--d", "2"), "--d 2: smaller than K-1 = 3"},
		{"predict authors-code", args("predict", "--no-relu", "--d", "4", "--formula", "authors-code"), "--no-relu: the authors-code theory is for ReLU"},
		{"compare imbalanced", []string{"predict", "--compare", "--n", "40,20,10,5", "--d", "4", "--lambda-w", "5e-3", "--lambda-h", "5e-3"},
			`--n "40,20,10,5": --compare needs balanced counts`},
		{"compare authors-code", args("predict", "--compare", "--d", "4", "--formula", "authors-code"), "--formula"},
		{"compare bias", args("predict", "--compare", "--d", "4", "--bias", "--lambda-b", "1e-3"), "--bias: --compare compares the bias-free"},
		{"compare mse", args("predict", "--compare", "--d", "4", "--loss", "mse"), "--loss mse: --compare compares the cross-entropy"},
		{"compare d too small for both", args("predict", "--compare", "--d", "2"), "--d 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, status := runCmd(tc.args...)
			if status != 2 {
				t.Fatalf("status %d, want 2 (stdout %q, stderr %q)", status, out, errs)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, tc.want) || out != "" {
				t.Errorf("stderr %q (stdout %q): want one line containing %q", errs, out, tc.want)
			}
		})
	}
}

func TestKKTNoReLU(t *testing.T) {
	r := kktOut(t, args("--no-relu", "--d", "8", "--hessian")...)
	if res := bigOf(t, r["kkt_residual"]); res.Cmp(big.NewFloat(1e-60)) >= 0 {
		t.Errorf("kkt_residual %v, want below 1e-60", r["kkt_residual"])
	}
	if r["min_dual_slack"] != nil || r["setting"].(map[string]any)["no_relu"] != true || !strings.Contains(r["point"].(string), "simplex ETF") {
		t.Errorf("min_dual_slack %v, setting %v, point %v", r["min_dual_slack"], r["setting"], r["point"])
	}
	h := r["hessian"].(map[string]any)
	// K = 4, d = 8: rank 3, orbit dimension 3*8 - 6 = 18.
	if h["verdict"] != "local-minimum" || h["plain_ufm"] != true || h["expected_zero"] != 18.0 || h["near_zero"] != 18.0 || h["span_rank"] != 3.0 {
		t.Errorf("hessian: verdict %v plain %v expected %v near %v rank %v", h["verdict"], h["plain_ufm"], h["expected_zero"], h["near_zero"], h["span_rank"])
	}
	out, errs, status := runCmd(args("kkt", "--no-relu", "--d", "3", "--hessian")...)
	for _, want := range []string{"simplex ETF of the plain UFM", "stationarity in H", "none (no constraint H >= 0)", "verdict local-minimum", "near-zero/expected:    3 / 3"} {
		if status != 0 || !strings.Contains(out, want) {
			t.Errorf("text (status %d, %q) lacks %q:\n%s", status, errs, want, out)
		}
	}
	// The boundary s = 1/K: W = 0, H = 0 with (K-1) d zero eigenvalues no rotation explains.
	r = kktOut(t, "--no-relu", "--n", "4,4,4,4", "--d", "2", "--lambda-w", "0.25", "--lambda-h", "0.0625", "--hessian")
	if h := r["hessian"].(map[string]any); h["verdict"] != "degenerate" || h["near_zero"] != 6.0 || h["expected_zero"] != 0.0 {
		t.Errorf("boundary hessian: %v", h)
	}
}

func TestVerifyPlainRows(t *testing.T) {
	out, errs, status := runCmd("verify", "--no-relu", "--n", "20,20,20", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "3e-2", "--restarts", "1", "-j", "1")
	if status != 0 || !strings.Contains(out, "agree (plain UFM, ETF sec. 9)") {
		t.Errorf("balanced plain row: status %d, stderr %q:\n%s", status, errs, out)
	}
	out, errs, status = runCmd("verify", "--no-relu", "--n", "20,10,5", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "3e-2", "--restarts", "1", "-j", "1")
	// No theorem, but the certificate at the solver's point brackets the
	// global minimum within --tol-objective: a certified row, its bracket
	// proved in big-float (no "~"); with --proof-budget 0, in float64 (~).
	if status != 0 || !strings.Contains(out, "certified (plain UFM, imbalanced)") || strings.Contains(out, "| ~") {
		t.Errorf("imbalanced plain row: status %d, stderr %q:\n%s", status, errs, out)
	}
	out, errs, status = runCmd("verify", "--no-relu", "--n", "20,10,5", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "3e-2", "--restarts", "1", "-j", "1", "--proof-budget", "0")
	if status != 0 || !strings.Contains(out, "certified (plain UFM, imbalanced)") || !strings.Contains(out, "| ~") ||
		!strings.Contains(out, "float64 bracket only: no proof budget") {
		t.Errorf("imbalanced plain row, --proof-budget 0: status %d, stderr %q:\n%s", status, errs, out)
	}
}
