package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runCmd(args ...string) (stdout, stderr string, status int) {
	var out, errb bytes.Buffer
	status = run(args, &out, &errb)
	return out.String(), errb.String(), status
}

func TestPredictJSON(t *testing.T) {
	out, errs, status := runCmd("predict", "--n", "1000,1000,2000", "--d", "16", "--lambda-w", "1e-4", "--lambda-h", "1e-5", "--format", "json")
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	for _, key := range []string{"objective", "precision_bits", "theory", "global_collapse", "collapse_threshold_n", "classes", "WH", "WWT", "HTH"} {
		if _, ok := r[key]; !ok {
			t.Errorf("missing key %q", key)
		}
	}
	if r["precision_bits"].(float64) != 256 || r["theory"] != "paper" {
		t.Errorf("precision %v theory %v", r["precision_bits"], r["theory"])
	}
	// All the digits 256 bits support: 77 significant digits.
	obj := r["objective"].(string)
	if digits := len(strings.TrimLeft(strings.ReplaceAll(obj, ".", ""), "0")); digits != 77 {
		t.Errorf("objective %q has %d significant digits, want 77", obj, digits)
	}
	classes := r["classes"].([]any)
	if len(classes) != 3 {
		t.Fatalf("%d classes", len(classes))
	}
	for _, c := range classes {
		cm := c.(map[string]any)
		for _, key := range []string{"n", "alive", "margin", "feature_norm_sq", "classifier_norm_sq", "cos_w_h", "prob_correct", "collapse_roots"} {
			if _, ok := cm[key]; !ok {
				t.Errorf("class missing key %q", key)
			}
		}
	}
	if wh := r["WH"].([]any); len(wh) != 3 || len(wh[0].([]any)) != 3 {
		t.Errorf("WH is not 3x3")
	}
}

func TestPredictCollapsedJSON(t *testing.T) {
	out, _, status := runCmd("predict", "--n", "9000,8000,1999,1", "--d", "3", "--lambda-w", "5e-5", "--lambda-h", "5e-5", "--format", "json")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	var r struct {
		Classes []struct {
			Alive bool            `json:"alive"`
			Cos   *string         `json:"cos_w_h"`
			Roots json.RawMessage `json:"collapse_roots"`
		} `json:"classes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	last := r.Classes[3]
	if last.Alive || last.Cos != nil {
		t.Errorf("class 4 should be collapsed with null cos_w_h: %+v", last)
	}
}

func TestPredictFormats(t *testing.T) {
	base := []string{"predict", "--n", "300,30", "--d", "2", "--lambda-w", "2e-3", "--lambda-h", "7e-4", "--matrices"}
	want := map[string]string{
		"text":     "objective f*:",
		"markdown": "| class |",
		"latex":    "\\toprule",
		"csv":      "class,n_k,alive,M_k",
	}
	for format, needle := range want {
		out, errs, status := runCmd(append(base, "--format", format)...)
		if status != 0 {
			t.Fatalf("%s: status %d %s", format, status, errs)
		}
		if !strings.Contains(out, needle) {
			t.Errorf("%s output lacks %q:\n%s", format, needle, out)
		}
		if !strings.Contains(out, "W W^T") {
			t.Errorf("%s output lacks the matrices", format)
		}
	}
}

func TestBadInput(t *testing.T) {
	ok := []string{"--n", "1000,1000,2000", "--d", "16", "--lambda-w", "1e-4", "--lambda-h", "1e-5"}
	with := func(flag, value string) []string {
		args := []string{"predict"}
		replaced := false
		for i := 0; i < len(ok); i += 2 {
			if ok[i] == flag {
				args = append(args, flag, value)
				replaced = true
			} else {
				args = append(args, ok[i], ok[i+1])
			}
		}
		if !replaced {
			args = append(args, flag, value)
		}
		return args
	}
	tests := []struct {
		args []string
		want string // substring of the one-line error
	}{
		{with("--n", "1000"), "--n \"1000\": needs at least 2 classes"},
		{with("--n", "10,0"), "--n \"10,0\": entry 2 (0) is below 1"},
		{with("--n", "10,2.5"), "is not an integer"},
		{with("--n", "10,abc"), "is not a number"},
		{with("--n", "10,1e20"), "exceeds the limit"},
		{with("--d", "0"), "--d"},
		{with("--d", "2"), "--d 2: smaller than the number of alive classes (3)"},
		{with("--lambda-w", "0"), "--lambda-w 0: must be a finite positive number"},
		{with("--lambda-w", "-1e-4"), "--lambda-w -1e-4"},
		{with("--lambda-h", "nan"), "--lambda-h \"nan\": not a decimal number"},
		{with("--lambda-h", "inf"), "--lambda-h \"inf\""},
		{with("--lambda-h", "1e-999"), "--lambda-h 1e-999: out of the float64 range"},
		{with("--prec", "32"), "--prec 32: must be between 64 and 4096"},
		{with("--formula", "other"), "--formula \"other\": unknown theory \"other\""},
		{with("--theory", "other"), "--theory \"other\": unknown theory \"other\""},
		{with("--format", "xml"), "--format \"xml\""},
		{with("--digits", "0"), "--digits 0"},
		{append(with("--d", "16"), "--bias"), "--lambda-b: is required with --bias"},
		{append(with("--d", "16"), "--bias", "--lambda-b", "0"), "--lambda-b 0: the bias prediction needs a penalised bias"},
		{append(with("--d", "16"), "--bias", "--lambda-b", "-1e-3"), "--lambda-b -1e-3: must be >= 0 (0: an unregularised bias)"},
		{append(with("--d", "16"), "--bias", "--lambda-b", "x"), "--lambda-b \"x\": not a decimal number"},
		{append(with("--d", "16"), "--loss", "mse", "--bias", "--lambda-b", "1e-3"), "--bias: the mse theory is bias-free"},
		{append(with("--d", "16"), "--loss", "mse", "--bias", "--lambda-b", "0"), "--no-relu: is required"},
		{append(with("--d", "16"), "--loss", "ls:0.1", "--bias", "--lambda-b", "0"), "--bias: the label-smoothing theory is bias-free"},
		{append(with("--d", "16"), "--loss", "ls:0.1", "--no-relu"), "--no-relu"},
		{with("--loss", "hinge"), "--loss \"hinge\": unknown loss"},
		{with("--loss", "ls:1"), "--loss ls:1: the smoothing must be in [0, 1)"},
		{with("--loss", "ls:-0.1"), "--loss ls:-0.1: the smoothing must be in [0, 1)"},
		{with("--loss", "ls:x"), "--loss \"ls:x\": the smoothing"},
		{with("--compare-losses", "ce,ce"), "--compare-losses \"ce,ce\": names the loss ce twice"},
		{with("--compare-losses", "ce,,mse"), "--compare-losses \"ce,,mse\": has an empty entry"},
		{with("--compare-losses", "ce,l2"), "--compare-losses \"l2\": unknown loss"},
		{append(with("--compare-losses", "ce,mse"), "--loss", "mse"), "--compare-losses: predicts each loss"},
		{append(with("--compare-losses", "ce,mse"), "--compare"), "--compare-losses: is not used with --compare"},
		{with("--nope", "1"), "unknown flag --nope"},
		{[]string{"predict", "--d", "3"}, "--n: is required"},
	}
	for _, tc := range tests {
		out, errs, status := runCmd(tc.args...)
		if status != 2 {
			t.Errorf("%v: status %d, want 2 (stderr %q)", tc.args, status, errs)
			continue
		}
		if !strings.Contains(errs, tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errs, tc.want)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%v: want one line on stderr and nothing on stdout, got %q / %q", tc.args, errs, out)
		}
		if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine") {
			t.Errorf("%v: panic trace", tc.args)
		}
	}
}

func TestHelp(t *testing.T) {
	out, _, status := runCmd("help")
	if status != 0 || !strings.Contains(out, "predict") {
		t.Fatalf("help: %d %q", status, out)
	}
	out, _, status = runCmd("predict", "-h")
	if status != 0 {
		t.Fatalf("predict -h status %d", status)
	}
	for _, flag := range []string{"--n", "--d", "--lambda-w", "--lambda-h", "--prec", "--theory", "--formula", "--digits", "--format", "--bias", "--lambda-b", "--loss", "--compare-losses"} {
		if !strings.Contains(out, flag+" ") && !strings.Contains(out, flag+"\n") {
			t.Errorf("predict -h does not explain %s", flag)
		}
	}
	if _, _, status := runCmd("frobnicate"); status != 2 {
		t.Errorf("unknown command status %d", status)
	}
}
