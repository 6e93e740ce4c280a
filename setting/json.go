package setting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSON is the JSON form of a Setting, the one written by every command
// and read from grid files (which embed it beside their own keys):
//
//	{"n": [40, 20, 10, 5], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3",
//	 "bias": true, "lambda_b": "1e-3", "no_relu": true, "loss": "ls:0.1"}
//
// Lambdas are exact decimal text (JSON strings when written; strings or
// numbers when read, both read exactly from their text). "bias", "lambda_b",
// "no_relu" and "loss" are omitted when they have their default (no bias,
// ReLU features, cross-entropy). With "bias": true, "lambda_b" is required
// ("0" for an unregularised bias).
type JSON struct {
	N       []int    `json:"n"`
	D       int      `json:"d"`
	LambdaW Decimal  `json:"lambda_w"`
	LambdaH Decimal  `json:"lambda_h"`
	Bias    bool     `json:"bias,omitempty"`
	LambdaB *Decimal `json:"lambda_b,omitempty"`
	NoReLU  bool     `json:"no_relu,omitempty"`
	Loss    *Loss    `json:"loss,omitempty"`
}

// JSON returns the JSON form of s.
func (s Setting) JSON() JSON {
	j := JSON{N: append([]int(nil), s.Counts...), D: s.Dim, LambdaW: s.LambdaW, LambdaH: s.LambdaH, Bias: s.Bias, NoReLU: s.NoReLU}
	if s.Bias {
		lb := s.LambdaB
		j.LambdaB = &lb
	}
	if !s.Loss.IsCE() {
		l := s.Loss
		j.Loss = &l
	}
	return j
}

// JSONKey returns the JSON key of a field of Setting (FieldCounts -> "n"),
// or field itself when it is not one.
func JSONKey(field string) string {
	switch field {
	case FieldCounts:
		return "n"
	case FieldDim:
		return "d"
	case FieldLambdaW:
		return "lambda_w"
	case FieldLambdaH:
		return "lambda_h"
	case FieldBias:
		return "bias"
	case FieldLambdaB:
		return "lambda_b"
	case FieldNoReLU:
		return "no_relu"
	case FieldLoss:
		return "loss"
	}
	return field
}

// Setting checks the keys a setting needs ("n", "d", "lambda_w",
// "lambda_h", and "lambda_b" with "bias": true), builds the Setting and
// validates it. Errors are *InputError whose Field is the JSON key.
func (j JSON) Setting() (Setting, error) {
	for _, req := range []struct {
		key     string
		missing bool
	}{{"n", len(j.N) == 0}, {"d", j.D == 0}, {"lambda_w", j.LambdaW.IsZero()}, {"lambda_h", j.LambdaH.IsZero()}} {
		if req.missing {
			return Setting{}, &InputError{Field: req.key, Reason: "is missing (or zero)"}
		}
	}
	s := Setting{Counts: append([]int(nil), j.N...), Dim: j.D, LambdaW: j.LambdaW, LambdaH: j.LambdaH, Bias: j.Bias, NoReLU: j.NoReLU}
	switch {
	case j.Bias && j.LambdaB == nil:
		return Setting{}, &InputError{Field: "lambda_b", Reason: `is required with "bias": true ("0" for an unregularised bias)`}
	case !j.Bias && j.LambdaB != nil:
		return Setting{}, &InputError{Field: "lambda_b", Value: j.LambdaB.String(), Reason: `given without "bias": true`}
	case j.Bias:
		s.LambdaB = *j.LambdaB
	}
	if j.Loss != nil {
		s.Loss = *j.Loss
	}
	if err := s.Validate(); err != nil {
		if ie, ok := err.(*InputError); ok {
			return Setting{}, ie.WithField(JSONKey(ie.Field))
		}
		return Setting{}, err
	}
	return s, nil
}

// MarshalJSON writes s in its JSON form.
func (s Setting) MarshalJSON() ([]byte, error) { return json.Marshal(s.JSON()) }

// UnmarshalJSON reads the JSON form strictly (unknown keys and trailing
// data are errors) and validates the setting.
func (s *Setting) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j JSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("setting: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("setting: unexpected data after the object")
	}
	v, err := j.Setting()
	if err != nil {
		return err
	}
	*s = v
	return nil
}
