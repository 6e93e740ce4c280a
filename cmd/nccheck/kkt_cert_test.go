package main

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/closedform"
	"nccheck/setting"
)

// TestKKTCertificate: kkt prints the certificate of theory.md section 11 at
// the prediction of each theory; the gap is below 1e-70 at 256 bits where
// the theory holds (the point is proved globally optimal), and the
// authors-code formula and the orthogonal structure with a bias where it is
// not optimal leave gaps of their own size (the latter with a descent
// direction).
func TestKKTCertificate(t *testing.T) {
	a := []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}
	with := func(extra ...string) []string { return append(append([]string{}, a...), extra...) }
	tests := []struct {
		name    string
		args    []string
		gapMin  float64 // the gap is above it; 0: |gap| < 1e-70
		descent bool
	}{
		{"paper", a, 0, false},
		{"paper collapsed", []string{"--n", "100,50,10,2", "--d", "4", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}, 0, false},
		{"paper all collapsed", []string{"--n", "10,10", "--d", "2", "--lambda-w", "1", "--lambda-h", "1"}, 0, false},
		{"authors-code", with("--theory", "authors-code"), 1e-8, false},
		{"bias", with("--bias", "--lambda-b", "5e-3"), 0, false},
		{"bias not optimal", []string{"--n", "100,50,10,2", "--d", "6", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--bias", "--lambda-b", "1e-2"}, 1e-3, true},
		{"ETF", []string{"--n", "10,10,10", "--d", "4", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--no-relu"}, 0, false},
		{"label smoothing", with("--loss", "ls:0.1", "--theory", "label-smoothing"), 0, false},
		{"mse", with("--loss", "mse", "--theory", "mse"), 0, false},
		{"mse unregularised bias", with("--loss", "mse", "--no-relu", "--bias", "--lambda-b", "0", "--theory", "mse-bias"), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := kktOut(t, tc.args...)
			for _, key := range []string{"lower_bound", "certificate_gap", "dual_norm_ratio", "descent_classes"} {
				if _, ok := r[key]; !ok {
					t.Errorf("missing key %q", key)
				}
			}
			lb, gap, ratio := bigOf(t, r["lower_bound"]), bigOf(t, r["certificate_gap"]), bigOf(t, r["dual_norm_ratio"])
			f := bigOf(t, r["objective"])
			if d := new(big.Float).Sub(new(big.Float).Sub(f, lb), gap); d.Abs(d).Cmp(big.NewFloat(1e-70)) > 0 {
				t.Errorf("certificate_gap %s is not objective %s - lower_bound %s", r["certificate_gap"], r["objective"], r["lower_bound"])
			}
			g, _ := gap.Float64()
			if tc.gapMin == 0 && !(math.Abs(g) < 1e-70) || tc.gapMin > 0 && !(g > tc.gapMin) {
				t.Errorf("certificate_gap %s, want %s", r["certificate_gap"], map[bool]string{true: "|gap| < 1e-70", false: "above the minimum"}[tc.gapMin == 0])
			}
			if rf, _ := ratio.Float64(); tc.gapMin == 0 && rf > 1+1e-60 {
				t.Errorf("dual_norm_ratio %s above 1 at a global minimum", r["dual_norm_ratio"])
			}
			if (r["descent_classes"] != nil) != tc.descent {
				t.Errorf("descent_classes %v, want some: %t", r["descent_classes"], tc.descent)
			}
		})
	}
}

// TestKKTCertificateText: the text output says what is proved, prints the
// descent classes 0..K-1, and fits 120 columns.
func TestKKTCertificateText(t *testing.T) {
	out, errs, status := runCmd("kkt", "--n", "100,50,10,2", "--d", "6", "--lambda-w", "1e-2", "--lambda-h", "1e-2", "--bias", "--lambda-b", "1e-2")
	if status != 0 {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	for _, want := range []string{"proved at 256 bits", "lower bound:", "certificate gap:", "omega/s:", "descent classes:       1, 2, 3 (along the Perron vector"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 120 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
}

// TestKKTCertificateMarginTheory: a user's margin formula (here the paper's
// margin written out, and the same without its "- 1") goes through kkt's
// evaluation and certificate: the right formula is proved optimal, the
// wrong one is not.
func TestKKTCertificateMarginTheory(t *testing.T) {
	// M_k = log((K-1) (1/(c beta_k) - 1)), or log((K-1)/(c beta_k)) without
	// the "- 1", c beta_k = N sqrt((K-1) lambda_W lambda_H / (K n_k)).
	margin := func(minusOne bool) func(s setting.Setting, k int, prec uint) (*big.Float, error) {
		return func(s setting.Setting, k int, prec uint) (*big.Float, error) {
			f := func(v int64) *big.Float { return new(big.Float).SetPrec(prec).SetInt64(v) }
			kk := int64(s.K())
			cb := new(big.Float).SetPrec(prec).SetRat(new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat()))
			cb.Mul(cb, f(kk-1))
			cb.Quo(cb, f(kk*int64(s.Counts[k])))
			cb.Sqrt(cb)
			cb.Mul(cb, f(int64(s.N())))
			arg := new(big.Float).SetPrec(prec).Quo(f(1), cb)
			if minusOne {
				arg.Sub(arg, f(1))
			}
			arg.Mul(arg, f(kk-1))
			if arg.Cmp(f(1)) <= 0 {
				return new(big.Float).SetPrec(prec), nil
			}
			return bigfloat.Log(arg), nil
		}
	}
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	for _, tc := range []struct {
		name    string
		th      closedform.MarginTheory
		optimal bool
	}{
		{"paper margin", closedform.MarginTheory{Label: "mine", Margin: margin(true)}, true},
		{"no minus one", closedform.MarginTheory{Label: "mine-without-1", Margin: margin(false)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.th.Predict(s, 256)
			if err != nil {
				t.Fatal(err)
			}
			_, cert, err := checkPrediction(p, 256)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := cert.gap.Float64()
			if tc.optimal && !(math.Abs(g) < 1e-70) || !tc.optimal && !(g > 1e-4) {
				t.Errorf("gap %g, optimal %t", g, tc.optimal)
			}
		})
	}
}
