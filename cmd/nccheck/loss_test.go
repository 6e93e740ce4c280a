package main

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

// worked is the setting of the loss tests: n = (40, 20, 10, 5), N = 75,
// lambda_W lambda_H = 8e-4, so N^2 lambda_W lambda_H = 4.5 (the squared
// error's collapse threshold), K N^2 lambda_W lambda_H / (K-1) = 6
// (cross-entropy's) and 6 / (1 - 0.1)^2 = 200/27 (label smoothing a = 0.1):
// class 4 (n = 5) is alive under the squared error only.
var worked = []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "1e-2", "--lambda-h", "8e-2"}

func withArgs(cmd string, extra ...string) []string {
	return append(append([]string{cmd}, worked...), extra...)
}

// ratEqual reports whether the decimal string s equals the rational r to
// 70 significant digits.
func ratEqual(t *testing.T, s string, r *big.Rat) bool {
	t.Helper()
	x, ok := new(big.Float).SetPrec(512).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	want := new(big.Float).SetPrec(512).SetRat(r)
	d := new(big.Float).Sub(x, want)
	if want.Sign() != 0 {
		d.Quo(d, want)
	}
	f, _ := d.Float64()
	return f < 1e-70 && f > -1e-70
}

// TestPredictLoss: --loss picks the theorem of each loss (theory.md 12a, 12b),
// with its exact collapse threshold, alive set and label in the JSON.
func TestPredictLoss(t *testing.T) {
	tests := []struct {
		loss, theory string
		threshold    *big.Rat
		alive        int
	}{
		{"ce", "paper", big.NewRat(6, 1), 3},
		{"ls:0.1", "label-smoothing", big.NewRat(200, 27), 3},
		{"mse", "mse", big.NewRat(9, 2), 4},
	}
	for _, tc := range tests {
		out, errs, status := runCmd(withArgs("predict", "--loss", tc.loss, "--format", "json")...)
		if status != 0 {
			t.Fatalf("%s: status %d %s", tc.loss, status, errs)
		}
		var r struct {
			Theory    string `json:"theory"`
			Threshold string `json:"collapse_threshold_n"`
			Alive     int    `json:"alive_classes"`
			Setting   struct {
				Loss *string `json:"loss"`
			} `json:"setting"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Theory != tc.theory || r.Alive != tc.alive || !ratEqual(t, r.Threshold, tc.threshold) {
			t.Errorf("%s: theory %q alive %d threshold %s, want %q %d %v", tc.loss, r.Theory, r.Alive, r.Threshold, tc.theory, tc.alive, tc.threshold)
		}
		wantLoss := tc.loss != "ce"
		if (r.Setting.Loss != nil) != wantLoss || (wantLoss && *r.Setting.Loss != tc.loss) {
			t.Errorf("%s: setting.loss %v", tc.loss, r.Setting.Loss)
		}
	}
	// The MSE prediction is the same with and without ReLU (non-negative
	// orthogonal means): identical objective digits.
	relu, _, _ := runCmd(withArgs("predict", "--loss", "mse", "--format", "json")...)
	plain, _, _ := runCmd(withArgs("predict", "--loss", "mse", "--no-relu", "--format", "json")...)
	var a, b struct {
		Objective string `json:"objective"`
	}
	if json.Unmarshal([]byte(relu), &a) != nil || json.Unmarshal([]byte(plain), &b) != nil || a.Objective == "" || a.Objective != b.Objective {
		t.Errorf("mse objective with ReLU %q, plain %q", a.Objective, b.Objective)
	}
}

// TestPredictUnregularisedBias: --bias --lambda-b 0 with the squared error
// and the plain UFM prints the mse-bias statement, whose bias is n/N exactly
// and whose class means are not equiangular (the cosine line is a range).
func TestPredictUnregularisedBias(t *testing.T) {
	args := withArgs("predict", "--loss", "mse", "--bias", "--lambda-b", "0", "--no-relu")
	out, errs, status := runCmd(append(args, "--format", "json")...)
	if status != 0 {
		t.Fatalf("status %d %s", status, errs)
	}
	var r struct {
		Theory string   `json:"theory"`
		Bias   []string `json:"bias"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Theory != "mse-bias" || len(r.Bias) != 4 {
		t.Fatalf("theory %q bias %v", r.Theory, r.Bias)
	}
	for i, n := range []int64{40, 20, 10, 5} {
		if !ratEqual(t, r.Bias[i], big.NewRat(n, 75)) {
			t.Errorf("b_%d = %s, want %d/75", i+1, r.Bias[i], n)
		}
	}
	text, _, status := runCmd(append(args, "--digits", "6")...)
	if status != 0 || !strings.Contains(text, "bias b*:            (0.533333, 0.266667, 0.133333, 0.0666667)") ||
		!strings.Contains(text, " .. ") {
		t.Errorf("status %d, text lacks the bias or the cosine range:\n%s", status, text)
	}
}

// TestCompareLosses: --compare-losses puts the thresholds side by side:
// class 4 collapses under ce and ls:0.1 and stays alive under mse.
func TestCompareLosses(t *testing.T) {
	out, errs, status := runCmd(withArgs("predict", "--compare-losses", "ce,ls:0.1,mse", "--format", "json")...)
	if status != 0 {
		t.Fatalf("status %d %s", status, errs)
	}
	var r struct {
		Losses []struct {
			Loss       string `json:"loss"`
			Prediction *struct {
				Threshold string `json:"collapse_threshold_n"`
				Classes   []struct {
					Alive bool `json:"alive"`
				} `json:"classes"`
			} `json:"prediction"`
		} `json:"losses"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		loss      string
		threshold *big.Rat
		alive4    bool
	}{{"ce", big.NewRat(6, 1), false}, {"ls:0.1", big.NewRat(200, 27), false}, {"mse", big.NewRat(9, 2), true}}
	if len(r.Losses) != len(want) {
		t.Fatalf("%d losses", len(r.Losses))
	}
	for i, w := range want {
		l := r.Losses[i]
		if l.Loss != w.loss || l.Prediction == nil || !ratEqual(t, l.Prediction.Threshold, w.threshold) || l.Prediction.Classes[3].Alive != w.alive4 {
			t.Errorf("loss %d: %+v, want %s threshold %v class 4 alive %v", i, l, w.loss, w.threshold, w.alive4)
		}
	}
	for _, format := range []string{"text", "markdown", "latex", "csv"} {
		out, errs, status := runCmd(withArgs("predict", "--compare-losses", "ce,mse", "--format", format)...)
		if status != 0 || !strings.Contains(out, "mse") || !strings.Contains(out, "collapsed") {
			t.Errorf("%s: status %d %s\n%s", format, status, errs, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if len(line) > 120 {
				t.Errorf("%s: line of %d columns: %q", format, len(line), line)
			}
		}
	}
	// The imbalanced plain UFM with cross-entropy has no theorem: that side
	// is empty with its reason, the other is printed.
	out, _, status = runCmd(withArgs("predict", "--compare-losses", "ce,mse", "--no-relu")...)
	if status != 0 || !strings.Contains(out, "loss ce: no theorem applies") || !strings.Contains(out, "0.338064816910078") {
		t.Errorf("plain: status %d\n%s", status, out)
	}
}

// TestLossOnEveryCommand: --loss and the unregularised bias reach solve,
// kkt and verify (each a small, fast setting).
func TestLossOnEveryCommand(t *testing.T) {
	small := []string{"--n", "4,2,1", "--d", "3", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"solve", "--loss", "mse", "--bias", "--lambda-b", "0", "--no-relu"}, "lb=0 no-relu loss=mse"},
		{[]string{"solve", "--loss", "ls:0.3"}, "loss=ls:0.3"},
		{[]string{"kkt", "--loss", "ls:0.1"}, "closed form (label-smoothing)"},
		{[]string{"kkt", "--loss", "mse", "--no-relu"}, "closed form (mse)"},
		{[]string{"verify", "--loss", "mse", "--format", "json"}, `"loss":"mse"`},
		{[]string{"verify", "--loss", "mse", "--bias", "--lambda-b", "0", "--no-relu", "--format", "json"}, `"lambda_b":"0"`},
	}
	for _, tc := range tests {
		args := append(append([]string{tc.args[0]}, small...), tc.args[1:]...)
		out, errs, status := runCmd(args...)
		if status != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: status %d (stderr %q), output lacks %q:\n%s", args, status, errs, tc.want, out)
		}
	}
}
