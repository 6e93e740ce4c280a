package nccheck

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"nccheck/closedform"
	"nccheck/verify"
)

// TestSuitesParse: every built-in suite is a valid grid, and the random suite
// is exactly what its generator produces from the recorded seed.
func TestSuitesParse(t *testing.T) {
	names := SuiteNames()
	want := []string{"balanced", "bias", "contrast", "etf", "imbalance", "minority-collapse", "paper", "random"}
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
