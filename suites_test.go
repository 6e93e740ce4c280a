package nccheck

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify"
)

// TestSuitesParse: every built-in suite is a valid grid, and the random suite
// is exactly what its generator produces from the recorded seed.
func TestSuitesParse(t *testing.T) {
	names := SuiteNames()
	want := []string{"balanced", "bias", "contrast", "etf", "imbalance", "label-smoothing", "minority-collapse", "mse", "paper", "random", "seli-path"}
	if len(names) != len(want) {
		t.Fatalf("suites %v, want %v", names, want)
	}
	for i, name := range names {
		if name != want[i] {
			t.Fatalf("suites %v, want %v", names, want)
		}
		b, err := Suite(name)
		if err != nil {
			t.Fatal(err)
		}
		g, cases, err := verify.ParseGrid(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if g.Name != name || len(cases) == 0 {
			t.Errorf("%s: grid name %q, %d cases", name, g.Name, len(cases))
		}
		for _, c := range cases {
			if !shellSafe(c.Name) {
				t.Errorf("%s: setting name %q needs quoting in a shell (spaces, brackets, ...)", name, c.Name)
			}
		}
		if name == "random" {
			if g.Seed == nil {
				t.Fatal("random suite records no seed")
			}
			gen := verify.RandomCases(*g.Seed, len(cases))
			if len(cases) < 100 {
				t.Errorf("random suite has %d settings, want >= 100", len(cases))
			}
			for j := range cases {
				if cases[j].Name != gen[j].Name || cases[j].Setting.String() != gen[j].Setting.String() {
					t.Fatalf("random suite entry %d (%s) differs from RandomCases(%d): %s", j, cases[j].Name, *g.Seed, gen[j].Setting)
				}
			}
		}
	}
	if _, err := Suite("nope"); err == nil {
		t.Error("unknown suite accepted")
	}
}

// shellSafe reports whether a name can be typed in a POSIX shell without
// quotes: letters, digits and - _ . , : + = only.
func shellSafe(name string) bool {
	for _, r := range name {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("-_.,:+=", r):
		default:
			return false
		}
	}
	return name != ""
}

// TestETFSuite: the etf suite is what its description says: balanced
// plain-UFM settings for K = 2..20 and d in {K-1, K, 2K}, each (K, d) with
// a setting alive and one collapsed, one on each side near the boundary
// s = 1/K, and one exactly on it (n lambda_W lambda_H = 1/K^2 in rationals)
// for every K whose 1/K is a finite decimal.
func TestETFSuite(t *testing.T) {
	cases := suiteCases(t, "etf")
	seen := map[string]bool{}
	one := big.NewRat(1, 1)
	for _, c := range cases {
		s := c.Setting
		k := s.K()
		if !s.NoReLU || s.Bias || !closedform.Balanced(s.Counts) || (s.Dim != k-1 && s.Dim != k && s.Dim != 2*k) {
			t.Fatalf("%s: %s is not a balanced plain-UFM setting with d in {K-1, K, 2K}", c.Name, s)
		}
		r := closedform.ETFCollapseRatio(s) // (K s)^2
		tag := c.Name[strings.LastIndex(c.Name, "-")+1:]
		ok := map[string]bool{
			"alive":     r.Cmp(big.NewRat(1, 10)) < 0,
			"collapsed": r.Cmp(big.NewRat(2, 1)) > 0,
			"below":     r.Cmp(one) < 0 && r.Cmp(big.NewRat(98, 100)) > 0,
			"above":     r.Cmp(one) > 0 && r.Cmp(big.NewRat(102, 100)) < 0,
			"boundary":  r.Cmp(one) == 0,
		}[tag]
		if !ok {
			t.Errorf("%s: (K s)^2 = %s does not fit %q", c.Name, r.FloatString(6), tag)
		}
		seen[fmt.Sprintf("%d/%d/%s", k, s.Dim-k, tag)] = true
	}
	for k := 2; k <= 20; k++ {
		for _, dd := range []int{-1, 0, k} {
			tags := []string{"alive", "collapsed", "below", "above"}
			if 1000%k == 0 || k == 16 {
				tags = append(tags, "boundary")
			}
			for _, tag := range tags {
				if !seen[fmt.Sprintf("%d/%d/%s", k, dd, tag)] {
					t.Errorf("no %s setting for K = %d, d = %d", tag, k, k+dd)
				}
			}
		}
	}
}

// TestContrastSuite: every setting of the contrast suite is present twice,
// with and without ReLU, balanced and otherwise identical.
func TestContrastSuite(t *testing.T) {
	cases := suiteCases(t, "contrast")
	if len(cases)%2 != 0 {
		t.Fatalf("%d settings, want pairs", len(cases))
	}
	for i := 0; i < len(cases); i += 2 {
		a, b := cases[i].Setting, cases[i+1].Setting
		relu := b.Clone()
		relu.NoReLU = false
		if a.NoReLU || !b.NoReLU || a.String() != relu.String() || !closedform.Balanced(a.Counts) {
			t.Errorf("%s / %s: not a balanced ReLU / plain pair (%s, %s)", cases[i].Name, cases[i+1].Name, a, b)
		}
	}
}

// TestLabelSmoothingSuite: three smoothings, six settings each, every one
// in the scope of the label-smoothing theorem, with the alive counts the
// description states (decided exactly by the closed form): a collapsed
// minority for every a, a global collapse at a = 0.3 only.
func TestLabelSmoothingSuite(t *testing.T) {
	cases := suiteCases(t, "label-smoothing")
	alive := map[string]int{"imb4": 4, "imb4-collapsed": 3, "bal4": 4, "bal4-n10": 4, "cifar10": 10, "cifar10-collapsed": 8}
	perA := map[string]int{}
	for _, c := range cases {
		s := c.Setting
		a, tag, _ := strings.Cut(strings.TrimPrefix(c.Name, "ls"), "-")
		if s.Loss.Kind() != setting.LabelSmoothing || s.Loss.Smoothing().String() != a || s.Bias || s.NoReLU {
			t.Fatalf("%s: %s is not ReLU, bias-free label smoothing with a = %s", c.Name, s, a)
		}
		perA[a]++
		p, err := closedform.Auto{}.Predict(s, 64)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := alive[tag]
		if tag == "bal4-n10" && a == "0.3" {
			want = 0
		}
		if p.Theory != "label-smoothing" || p.AliveCount() != want {
			t.Errorf("%s: theory %s, %d alive, want %d", c.Name, p.Theory, p.AliveCount(), want)
		}
	}
	if len(perA) != 3 || perA["0.05"] != 6 || perA["0.1"] != 6 || perA["0.3"] != 6 {
		t.Errorf("settings per smoothing: %v", perA)
	}
}

// TestMSESuite: ReLU / plain pairs of squared-error settings; the bias-free
// ones on both sides of the threshold (and one exactly on it), the
// unregularised-bias ones in scope of mse-bias without ReLU and out of it
// with ReLU unless every class collapses.
func TestMSESuite(t *testing.T) {
	cases := suiteCases(t, "mse")
	sides := map[string]bool{}
	for i := 0; i < len(cases); i += 2 {
		a, b := cases[i], cases[i+1]
		relu := b.Setting.Clone()
		relu.NoReLU = false
		if a.Setting.NoReLU || !b.Setting.NoReLU || a.Setting.String() != relu.String() || a.Setting.Loss.Kind() != setting.SquaredError {
			t.Fatalf("%s / %s: not a ReLU / plain pair of mse settings", a.Name, b.Name)
		}
		s := a.Setting
		pr, errR := closedform.Auto{}.Predict(s, 64)
		pp, errP := closedform.Auto{}.Predict(b.Setting, 64)
		if errP != nil {
			t.Fatalf("%s: %v", b.Name, errP)
		}
		if !s.Bias {
			if errR != nil || pr.Theory != "mse" || pr.Objective.Cmp(pp.Objective) != 0 {
				t.Fatalf("%s: %v: the mse prediction must be the same in both models", a.Name, errR)
			}
			thr := closedform.MSE{}.CollapseThreshold(s)
			for _, n := range s.Counts {
				sides[fmt.Sprint(big.NewRat(int64(n), 1).Cmp(thr))] = true
			}
			continue
		}
		if !s.Unregularised() || pp.Theory != "mse-bias" {
			t.Fatalf("%s: a bias row must be unregularised mse-bias, got %s", b.Name, pp.Theory)
		}
		var se *closedform.ScopeError
		switch {
		case pp.GlobalCollapse && errR != nil:
			t.Errorf("%s: every class collapses, so the statement holds with ReLU too: %v", a.Name, errR)
		case !pp.GlobalCollapse && !errors.As(errR, &se):
			t.Errorf("%s: with ReLU the statement must be out of scope, got %v", a.Name, errR)
		}
	}
	if !sides["-1"] || !sides["0"] || !sides["1"] {
		t.Errorf("counts below, on and above the mse threshold: %v", sides)
	}
}

// TestSELIPathSuite: three imbalanced count vectors, each at the nine
// lambdas of the path, plain UFM, cross-entropy, no bias, d = K.
func TestSELIPathSuite(t *testing.T) {
	cases := suiteCases(t, "seli-path")
	lambdas := []string{"1e-2", "3e-3", "1e-3", "3e-4", "1e-4", "3e-5", "1e-5", "3e-6", "1e-6"}
	if len(cases) != 3*len(lambdas) {
		t.Fatalf("%d settings, want %d", len(cases), 3*len(lambdas))
	}
	for i, c := range cases {
		s := c.Setting
		lam := lambdas[i%len(lambdas)]
		if !s.NoReLU || s.Bias || !s.Loss.IsCE() || closedform.Balanced(s.Counts) || s.Dim != s.K() ||
			s.LambdaW.String() != lam || s.LambdaH.String() != lam {
			t.Errorf("%s: %s is not the plain imbalanced CE setting at lambda %s", c.Name, s, lam)
		}
		if i%len(lambdas) != 0 && setting.FormatCounts(s.Counts) != setting.FormatCounts(cases[i-1].Setting.Counts) {
			t.Errorf("%s: the counts change inside a path", c.Name)
		}
	}
}

func suiteCases(t *testing.T, name string) []verify.Case {
	t.Helper()
	b, err := Suite(name)
	if err != nil {
		t.Fatal(err)
	}
	_, cases, err := verify.ParseGrid(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return cases
}
