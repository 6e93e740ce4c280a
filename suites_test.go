package nccheck

import (
	"bytes"
	"testing"

	"nccheck/verify"
)

// TestSuitesParse: every built-in suite is a valid grid, and the random suite
// is exactly what its generator produces from the recorded seed.
func TestSuitesParse(t *testing.T) {
	names := SuiteNames()
	want := []string{"balanced", "bias", "imbalance", "minority-collapse", "paper", "random"}
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
