package setting

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseLoss(t *testing.T) {
	tests := []struct {
		in, want  string
		kind      LossKind
		smoothing string
	}{
		{"ce", "ce", CrossEntropy, "0"},
		{"", "ce", CrossEntropy, "0"},
		{"Cross-Entropy", "ce", CrossEntropy, "0"},
		{"mse", "mse", SquaredError, "0"},
		{"ls:0.1", "ls:0.1", LabelSmoothing, "0.1"},
		{"ls:0", "ls:0", LabelSmoothing, "0"},
		{"ls:5e-2", "ls:5e-2", LabelSmoothing, "5e-2"},
	}
	for _, tc := range tests {
		l, err := ParseLoss(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if l.String() != tc.want || l.Kind() != tc.kind || l.Smoothing().String() != tc.smoothing {
			t.Errorf("%q = %s (%v, %s)", tc.in, l, l.Kind(), l.Smoothing())
		}
		back, err := ParseLoss(l.String())
		if err != nil || !back.Equal(l) {
			t.Errorf("%q does not round-trip: %v %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"ls:1", "ls:-0.1", "ls:", "ls:abc", "hinge", "ls:1.5", "LS0.1"} {
		_, err := ParseLoss(bad)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != FieldLoss {
			t.Errorf("%q: err %v, want an InputError naming Loss", bad, err)
		}
	}
	if !CE().Equal(Loss{}) || CE().Equal(MSE()) {
		t.Error("CE is not the zero Loss")
	}
	a, _ := ParseLoss("ls:0.10")
	b, _ := ParseLoss("ls:0.1")
	if !a.Equal(b) {
		t.Error("ls:0.10 and ls:0.1 differ")
	}
}

func TestSettingJSON(t *testing.T) {
	tests := []struct {
		in, out string
	}{
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4"}`, `{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4"}`},
		{`{"n":[3,2],"d":2,"lambda_w":1e-3,"lambda_h":"1e-4","loss":"ls:0.1","no_relu":true}`,
			`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","no_relu":true,"loss":"ls:0.1"}`},
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","bias":true,"lambda_b":"0"}`,
			`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","bias":true,"lambda_b":"0"}`},
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","loss":"ce"}`, `{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4"}`},
	}
	for _, tc := range tests {
		var s Setting
		if err := json.Unmarshal([]byte(tc.in), &s); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		b, err := json.Marshal(s)
		if err != nil || string(b) != tc.out {
			t.Errorf("%s -> %s (%v), want %s", tc.in, b, err, tc.out)
		}
	}
	bad := []struct{ in, key string }{
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","bias":true}`, "lambda_b"},
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","lambda_b":"1"}`, "lambda_b"},
		{`{"n":[3],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4"}`, "n"},
		{`{"n":[3,2],"lambda_w":"1e-3","lambda_h":"1e-4"}`, "d"},
		{`{"n":[3,2],"d":2,"lambda_w":"-1e-3","lambda_h":"1e-4"}`, "lambda_w"},
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","loss":"ls:2"}`, ""},
		{`{"n":[3,2],"d":2,"lambda_w":"1e-3","lambda_h":"1e-4","extra":1}`, ""},
	}
	for _, tc := range bad {
		var s Setting
		err := json.Unmarshal([]byte(tc.in), &s)
		if err == nil {
			t.Errorf("%s accepted", tc.in)
			continue
		}
		var ie *InputError
		if tc.key != "" && (!errors.As(err, &ie) || ie.Field != tc.key) {
			t.Errorf("%s: %v, want an error naming %q", tc.in, err, tc.key)
		}
	}
	s := Setting{Counts: []int{2, 2}, Dim: 1, LambdaW: MustDecimal("1"), LambdaH: MustDecimal("1"), Loss: MSE()}
	if !strings.HasSuffix(s.String(), " loss=mse") {
		t.Errorf("String %q does not name the loss", s)
	}
}
