package closedform

import (
	"errors"
	"strings"
	"testing"

	"nccheck/setting"
)

func TestParseTheorySet(t *testing.T) {
	tests := []struct {
		text  string
		names string // "" for an error
		why   string
	}{
		{"paper", "paper", ""},
		{"both", "paper,authors-code", ""},
		{" mse , mse-bias ", "mse,mse-bias", ""},
		{"authors-code,label-smoothing,plain-etf,bias-orthogonal", "authors-code,label-smoothing,plain-etf,bias-orthogonal", ""},
		{"", "", "needs a theory name"},
		{"paper,", "", "needs a theory name"},
		{"Paper", "", `unknown theory "Paper"`},
		{"both,paper", "", "names the theory paper twice"},
		{"mse,mse", "", "names the theory mse twice"},
	}
	for _, tc := range tests {
		set, err := ParseTheorySet(tc.text)
		if tc.names == "" {
			var ie *setting.InputError
			if !errors.As(err, &ie) || ie.Field != "Theory" || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("%q: err %v, want an InputError on Theory containing %q", tc.text, err, tc.why)
			}
			continue
		}
		if err != nil || set.String() != tc.names {
			t.Errorf("%q: %v (err %v), want %s", tc.text, set, err, tc.names)
			continue
		}
		// Round trip through the text form.
		var back TheorySet
		b, _ := set.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back.String() != set.String() {
			t.Errorf("%q: round trip %q gives %v, %v", tc.text, b, back, err)
		}
	}
	// Every listed name parses, and "paper" is the chooser.
	for _, name := range TheoryNames() {
		if _, err := ParseTheorySet(name); err != nil {
			t.Errorf("listed name %q: %v", name, err)
		}
	}
	if set, _ := ParseTheorySet("paper"); set[0] != (Auto{}) {
		t.Errorf("paper parses to %T, want Auto", set[0])
	}
}
