package verify

import (
	"errors"
	"strings"
	"testing"

	"nccheck/setting"
)

// TestGridRefusals: issue 18's item 11 on grids: keys are case-sensitive
// and given once (encoding/json would take "D" for "d", and the last of
// duplicates), names with control characters are refused, and so are
// lambdas whose product the solver's float64 cannot resolve.
func TestGridRefusals(t *testing.T) {
	entry := func(extra string) string {
		return `{"name":"g","settings":[{"n":[4,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-3"` + extra + `}]}`
	}
	for _, tc := range []struct{ name, grid, want string }{
		{"D overrides d", entry(`,"D":8`), `key "D": keys are case-sensitive (the key is "d")`},
		{"Settings", `{"name":"g","Settings":[]}`, `key "Settings": keys are case-sensitive`},
		{"d twice", entry(`,"d":8`), `setting 1 (line 1): key "d" given twice`},
		{"name twice", `{"name":"g","name":"h","settings":[]}`, `key "name" given twice`},
		{"ANSI escape in a setting name", `{"name":"g","settings":[{"name":"\u001b[31mred","n":[4,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-3"}]}`, `has the control character '\x1b'`},
		{"newline in the grid name", `{"name":"a\nb","settings":[{"n":[4,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-3"}]}`, `control character`},
		{"C1 control in a name", `{"name":"g","settings":[{"name":"a\u009bb","n":[4,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-3"}]}`, `control character`},
		{"lambda_w 1e-300", `{"name":"g","settings":[{"n":[4,2],"d":2,"lambda_w":"1e-300","lambda_h":"5e-3"}]}`, `lambda_w/lambda_h 1e-300, 5e-3: the product 5e-303 is below 1.1e-32 = 2^-104 K max(n_k) / ((K-1) N^2)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseGrid(strings.NewReader(tc.grid))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\x1b\n\u009b") {
				t.Errorf("message %q has a raw control character", err)
			}
		})
	}
	// The bound is where the wrong-class mass crosses 2^-52: just above it
	// a setting is accepted.
	s := mk([]int{4, 2}, 2, "1.2e-32", "1")
	if err := CheckFloat64Range(s); err != nil {
		t.Errorf("product 1.2e-32: %v", err)
	}
	s.LambdaW = setting.MustDecimal("1.0e-32")
	var ie *setting.InputError
	if err := CheckFloat64Range(s); !errors.As(err, &ie) || ie.Field != setting.FieldLambdaW+"/"+setting.FieldLambdaH {
		t.Errorf("product 1.0e-32: %v, want an *InputError on both lambdas", err)
	}
	// Label smoothing keeps a wrong-class mass of its own: no bound.
	var err error
	if s.Loss, err = setting.ParseLoss("ls:0.1"); err != nil {
		t.Fatal(err)
	}
	if err := CheckFloat64Range(s); err != nil {
		t.Errorf("label smoothing: %v", err)
	}
}

// TestGridErrorPositions: a grid error names the line and column, and the
// setting (its number and name) it is in; a trailing comma is named as
// such, and no message leaks a Go type.
func TestGridErrorPositions(t *testing.T) {
	const a = `{"name":"a","n":[4,4],"d":2,"lambda_w":"1e-2","lambda_h":"1e-2"}`
	for _, tc := range []struct{ name, grid, want string }{
		{"typo in a key", "{\"name\":\"g\",\"settings\":[\n " + a + ",\n {\"name\":\"b\",\"n\":[4,4],\"d\":2,\"lamda_w\":\"1e-2\",\"lambda_h\":\"1e-2\"}\n]}",
			`grid: setting 2 ("b"), line 3, column 30: unknown key "lamda_w" (did you mean "lambda_w"?)`},
		{"typo at the top", `{"name":"g","setings":[]}`, `grid: line 1, column 13: unknown key "setings" (did you mean "settings"?)`},
		{"trailing comma", "{\"name\":\"g\",\"settings\":[\n " + a + ",\n]}",
			`grid: line 3, column 1: invalid character ']' looking for beginning of value (a comma before it: JSON allows no trailing comma)`},
		{"bare array", "[" + a + "]", `grid: the top level is an array, not an object; a grid is {"name": ..., "settings": [{...}, ...]} (schema in the README)`},
		{"a string for d", "{\"name\":\"g\",\"settings\":[\n" + strings.Replace(a, `"d":2`, `"d":"2"`, 1) + "]}",
			`grid: setting 1 ("a"), line 2, column 23: "d" is a string, want a whole number`},
		{"a bad value", "{\"name\":\"g\",\"settings\":[\n" + a + ",\n" + strings.Replace(strings.Replace(a, `"a"`, `"b"`, 1), `"1e-2"`, `"-1"`, 1) + "]}",
			`grid "g", setting 2 ("b", line 3): lambda_w -1: must be a finite positive number`},
		{"data after the grid", `{"name":"g","settings":[` + a + `]} x`, `grid: line 1, column 92: unexpected data after the grid object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseGrid(strings.NewReader(tc.grid))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n  %v\nwant\n  %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "verify.") {
				t.Errorf("message leaks a Go type: %v", err)
			}
		})
	}
}
