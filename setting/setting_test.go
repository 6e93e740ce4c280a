package setting

import (
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

func TestParseDecimalExact(t *testing.T) {
	tests := []struct {
		in   string
		want *big.Rat
	}{
		{"1e-4", big.NewRat(1, 10000)},
		{"0.0001", big.NewRat(1, 10000)},
		{"5e-3", big.NewRat(1, 200)},
		{"2.5E+3", big.NewRat(2500, 1)},
		{".5", big.NewRat(1, 2)},
		{"7", big.NewRat(7, 1)},
		{"-3.25", big.NewRat(-13, 4)},
		{"1e-30", new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil))},
	}
	for _, tc := range tests {
		d, err := ParseDecimal(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if d.Rat().Cmp(tc.want) != 0 {
			t.Errorf("%q = %s, want %s", tc.in, d.Rat(), tc.want)
		}
		if d.String() != tc.in {
			t.Errorf("%q prints as %q", tc.in, d.String())
		}
	}
	// 1e-4 is not the float64 nearest to it.
	f, _ := new(big.Rat).SetFloat64(1e-4).Float64()
	if MustDecimal("1e-4").Rat().Cmp(new(big.Rat).SetFloat64(f)) == 0 {
		t.Error("1e-4 was parsed through float64")
	}
	for _, bad := range []string{"", "abc", "0x10", "1/3", "inf", "NaN", "1e", "--1", "1e99999", "1,5"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		A, B Decimal
	}
	if err := json.Unmarshal([]byte(`{"A": 1e-4, "B": "2.5e-3"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.Rat().Cmp(big.NewRat(1, 10000)) != 0 || v.B.Rat().Cmp(big.NewRat(1, 400)) != 0 {
		t.Errorf("got %s %s", v.A.Rat(), v.B.Rat())
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"A":"1e-4","B":"2.5e-3"}` {
		t.Errorf("marshal %s", b)
	}
}

func TestParseCounts(t *testing.T) {
	got, err := ParseCounts("1000, 1000,2e3")
	if err != nil || len(got) != 3 || got[2] != 2000 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "1,,2", "1,2.5", "0,3", "-1,3", "x", "1,1e13"} {
		_, err := ParseCounts(bad)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != FieldCounts {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Setting{Counts: []int{3, 4}, Dim: 2, LambdaW: MustDecimal("1e-3"), LambdaH: MustDecimal("1e-3")}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	mod := func(f func(*Setting)) Setting { s := ok.Clone(); f(&s); return s }
	tests := []struct {
		name  string
		s     Setting
		field string
	}{
		{"one class", mod(func(s *Setting) { s.Counts = []int{3} }), FieldCounts},
		{"zero count", mod(func(s *Setting) { s.Counts = []int{3, 0} }), FieldCounts},
		{"d zero", mod(func(s *Setting) { s.Dim = 0 }), FieldDim},
		{"lw zero", mod(func(s *Setting) { s.LambdaW = MustDecimal("0") }), FieldLambdaW},
		{"lh negative", mod(func(s *Setting) { s.LambdaH = MustDecimal("-1") }), FieldLambdaH},
		{"lh huge", mod(func(s *Setting) { s.LambdaH = MustDecimal("1e400") }), FieldLambdaH},
		{"bias negative lb", mod(func(s *Setting) { s.Bias = true; s.LambdaB = MustDecimal("-1e-3") }), FieldLambdaB},
		{"smoothing 1", mod(func(s *Setting) { s.Loss = Loss{kind: LabelSmoothing, smoothing: MustDecimal("1")} }), FieldLoss},
		{"lb no bias", mod(func(s *Setting) { s.LambdaB = MustDecimal("1") }), FieldLambdaB},
	}
	for _, tc := range tests {
		err := tc.s.Validate()
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: err %v, want field %s", tc.name, err, tc.field)
		}
	}
}
