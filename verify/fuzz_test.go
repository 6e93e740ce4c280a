package verify_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nccheck/setting"
	"nccheck/verify"
)

// FuzzParseGrid checks the JSON grid reader:
//
//   - no input makes it panic;
//   - a rejection returns a nil grid, no cases and a non-nil error whose
//     message is non-empty, a single line, and not much longer than the input
//     (it quotes names and values from the input, never more);
//   - an acceptance returns one case per setting, with unique, non-empty names
//     and settings that pass Validate and are the ones the grid lists; and
//     writing the cases back with GridOf and reading them again gives the same
//     cases.
//
// The seed corpus is the f.Add calls below (including the built-in suites of
// testdata/suites) plus the files under testdata/fuzz/FuzzParseGrid/.
func FuzzParseGrid(f *testing.F) {
	for _, s := range []string{
		// accepted
		`{"name":"g","settings":[{"n":[40,20,10,5],"d":8,"lambda_w":"5e-3","lambda_h":"5e-3"}]}`,
		`{"name":"g","settings":[{"name":"a","n":[100,100],"d":2,"lambda_w":1e-4,"lambda_h":1e-5,"bias":true,"lambda_b":"1e-3"},{"n":[1,1,1],"d":1,"lambda_w":".5","lambda_h":"5.","no_relu":true}]}`,
		`{"settings":[{"n":[1e0,2],"d":1,"lambda_w":1,"lambda_h":1}]}`,
		`{"name":"g","seed":7,"description":"x","settings":[{"n":[2,3],"d":1,"lambda_w":"1","lambda_h":"1","lambda_b":null}]}`,
		`{"name":"g","settings":[{"n":[2,3],"d":1,"lambda_w":"1","lambda_h":"1","lambda_b":"0"}]}`,
		`{"name":"g","settings":[{"name":"g-2","n":[2,3],"d":1,"lambda_w":"1","lambda_h":"1"},{"name":"x","n":[2,3],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"\u00e9\u2028","settings":[{"n":[2,3],"d":1000000,"lambda_w":"1e-292","lambda_h":"1e308"}]}`,
		" {\"name\":\"g\",\"settings\":[{\"n\":[999999999999,1],\"d\":1,\"lambda_w\":\"1\",\"lambda_h\":\"1\"}]}\n\t ",
		// rejected
		``, `{}`, `null`, `[]`, `{"settings":[]}`, `{"settings":null}`, `{"name":"g"}`,
		`{"name":"g","settings":[{}]}`,
		`{"name":"g","settings":[{"n":[1],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[0,1],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":0,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":-1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1.5,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"0","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"-1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"NaN","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1e1001","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1e-400","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":null,"lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1\u0065-4","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":true,"lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1","bias":true}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1","lambda_b":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1","extra":1}]}`,
		`{"name":"g","settings":[{"n":["1",2],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1e13,2],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[99999999999999999999,2],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1"},{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1","name":"g-1"}]}`,
		`{"name":"a\nb","settings":[{"n":[1],"d":1,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1"}`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1"}]} trailing`,
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1"}]}{}`,
		"{\"name\":\"\xff\",\"settings\":[{\"n\":[1],\"d\":1,\"lambda_w\":\"1\",\"lambda_h\":\"1\"}]}",
		`{"name":"g","settings":[{"n":[1,2],"d":1,"lambda_w":"1","lambda_h":"1","bias":"yes"}]}`,
		// refused since issue 18: keys in another case or twice, control
		// characters in names, lambdas below the solver's float64 range
		`{"name":"g","settings":[{"n":[4,2],"d":2,"D":8,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"Name":"g","settings":[{"n":[4,2],"d":2,"lambda_w":"1","lambda_h":"1"}]}`,
		`{"name":"g","settings":[{"n":[4,2],"d":2,"d":3,"lambda_w":"1","lambda_h":"1"}]}`,
		"{\"name\":\"g\",\"settings\":[{\"name\":\"\x1b[31m\",\"n\":[4,2],\"d\":2,\"lambda_w\":\"1\",\"lambda_h\":\"1\"}]}",
		`{"name":"g","settings":[{"n":[4,2],"d":2,"lambda_w":"1e-300","lambda_h":"5e-3"}]}`,
	} {
		f.Add([]byte(s))
	}
	suites, _ := filepath.Glob(filepath.Join("..", "testdata", "suites", "*.json"))
	for _, p := range suites {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		g, cases, err := verify.ParseGrid(bytes.NewReader(in))
		if err != nil {
			if g != nil || cases != nil {
				t.Errorf("%.80q: rejected, but returned a grid or cases", in)
			}
			msg := err.Error()
			switch {
			case strings.TrimSpace(msg) == "":
				t.Errorf("%.80q: empty error message", in)
			case strings.ContainsAny(msg, "\n\r"):
				t.Errorf("%.80q: multi-line error message %.200q", in, msg)
			case len(msg) > 300+8*len(in):
				t.Errorf("%.80q: error message of %d bytes for %d bytes of input", in, len(msg), len(in))
			}
			return
		}
		checkCases(t, in, g, cases)

		// GridOf writes the cases back; reading that gives the same cases.
		out, err := json.Marshal(verify.GridOf(g.Name, g.Description, cases))
		if err != nil {
			t.Fatalf("%.80q: json.Marshal(GridOf(...)): %v", in, err)
		}
		g2, cases2, err := verify.ParseGrid(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%.80q: reading back GridOf's output %.200q: %v", in, out, err)
		}
		checkCases(t, out, g2, cases2)
		if len(cases2) != len(cases) {
			t.Fatalf("%.80q: %d cases read back, want %d", in, len(cases2), len(cases))
		}
		for i := range cases {
			if !sameCase(cases[i], cases2[i]) {
				t.Errorf("%.80q: case %d read back as %q %v, want %q %v", in, i+1, cases2[i].Name, cases2[i].Setting, cases[i].Name, cases[i].Setting)
			}
		}
	})
}

// checkCases checks the invariants of an accepted grid.
func checkCases(t *testing.T, in []byte, g *verify.Grid, cases []verify.Case) {
	t.Helper()
	if g == nil {
		t.Fatalf("%.80q: accepted with a nil grid", in)
	}
	if len(cases) == 0 || len(cases) != len(g.Settings) {
		t.Fatalf("%.80q: %d cases for %d settings", in, len(cases), len(g.Settings))
	}
	seen := map[string]bool{}
	for i, c := range cases {
		if c.Name == "" {
			t.Errorf("%.80q: case %d has an empty name", in, i+1)
		}
		if seen[c.Name] {
			t.Errorf("%.80q: case %d repeats the name %q", in, i+1, c.Name)
		}
		seen[c.Name] = true
		if gs := g.Settings[i]; gs.Name != "" && gs.Name != c.Name {
			t.Errorf("%.80q: case %d is named %q, the grid says %q", in, i+1, c.Name, gs.Name)
		}
		if err := c.Setting.Validate(); err != nil {
			t.Errorf("%.80q: case %d (%q) fails Validate: %v", in, i+1, c.Name, err)
		}
		if err := verify.CheckFloat64Range(c.Setting); err != nil {
			t.Errorf("%.80q: case %d (%q) is outside the solver's float64 range: %v", in, i+1, c.Name, err)
		}
		for _, r := range c.Name {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Errorf("%.80q: case %d has a control character in its name %q", in, i+1, c.Name)
			}
		}
		s, gs := c.Setting, g.Settings[i]
		lb := setting.Decimal{}
		if gs.LambdaB != nil {
			lb = *gs.LambdaB
		}
		if !slices.Equal(s.Counts, gs.N) || s.Dim != gs.D || !s.LambdaW.Equal(gs.LambdaW) ||
			!s.LambdaH.Equal(gs.LambdaH) || s.Bias != gs.Bias || s.NoReLU != gs.NoReLU || !s.LambdaB.Equal(lb) {
			t.Errorf("%.80q: case %d is %v, not the grid's setting %+v", in, i+1, s, gs)
		}
	}
}

// sameCase reports whether two cases have the same name and setting (the
// lambdas with the same text; lambda_b only matters with a bias).
func sameCase(a, b verify.Case) bool {
	s, u := a.Setting, b.Setting
	return a.Name == b.Name && slices.Equal(s.Counts, u.Counts) && s.Dim == u.Dim &&
		s.LambdaW.String() == u.LambdaW.String() && s.LambdaH.String() == u.LambdaH.String() &&
		s.Bias == u.Bias && s.NoReLU == u.NoReLU && s.LambdaB.Equal(u.LambdaB) &&
		(!s.Bias || s.LambdaB.String() == u.LambdaB.String())
}

// TestParseGridTrailingData checks that a grid file is one JSON object: data
// after it used to be ignored silently.
func TestParseGridTrailingData(t *testing.T) {
	const grid = `{"name":"g","settings":[{"n":[2,1],"d":1,"lambda_w":"1","lambda_h":"1"}]}`
	for in, ok := range map[string]bool{
		grid:                     true,
		" \n" + grid + "\n\t\r ": true,
		grid + "x":               false,
		grid + " {}":             false,
		grid + grid:              false,
		grid + "]":               false,
	} {
		if _, _, err := verify.ParseGrid(strings.NewReader(in)); (err == nil) != ok {
			t.Errorf("%q: error %v, want ok = %v", in, err, ok)
		}
	}
}
