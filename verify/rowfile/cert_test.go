package rowfile

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify"
	"nccheck/verify/internal/verifytest"
	"nccheck/verify/render"
)

// lowTheory predicts the paper's f* lowered by a relative 1e-6, without an
// explicit point: a wrong f* below the global minimum (refuted).
type lowTheory struct{}

func (lowTheory) Name() string { return "low" }

func (lowTheory) Predict(s setting.Setting, prec uint) (*closedform.Prediction, error) {
	p, err := closedform.Auto{}.Predict(s, prec)
	if err != nil {
		return nil, err
	}
	q := closedform.NewPrediction("low", s, p.Prec)
	q.Model, q.Classes, q.CollapseThreshold, q.GlobalCollapse = p.Model, p.Classes, p.CollapseThreshold, p.GlobalCollapse
	q.WH, q.WWT, q.HTH, q.Bias, q.ClassifierRule, q.MeanCos = p.WH, p.WWT, p.HTH, p.Bias, p.ClassifierRule, p.MeanCos
	q.Objective = new(big.Float).SetPrec(p.Prec).Mul(p.Objective, big.NewFloat(1-1e-6))
	return q, nil
}

// TestCertRowsReadBack: certified and refuted rows read back and pass
// their checks; a row file of an older version (a header without
// proof-bits, rows without certificates) still reads, its rows judged as
// they were and shown with "-" in the proof column; a row stripped of its
// certificates under a new header is refused.
func TestCertRowsReadBack(t *testing.T) {
	plain := verifytest.Setting([]int{20, 10, 5}, 3, "1e-2", "3e-2")
	plain.NoReLU = true
	cases := []verify.Case{{Name: "a", Setting: verifytest.Setting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3")}, {Name: "plain", Setting: plain}}
	cfg := verify.Config{Theories: []closedform.Theory{closedform.Auto{}, lowTheory{}}}
	rows, err := verify.Run(context.Background(), cases, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[verify.Verdict]int{}
	for _, r := range rows {
		verdicts[r.Verdict]++
	}
	if verdicts[verify.Agree] != 1 || verdicts[verify.Refuted] != 1 || verdicts[verify.Certified] != 2 {
		t.Fatalf("verdicts %v", verdicts)
	}
	h := HeaderOf(cases, cfg)
	if h.Params["proof-bits"] != "224" {
		t.Errorf("header proof-bits %q", h.Params["proof-bits"])
	}
	rs, err := Read(bytes.NewReader(rowFileText(t, h, rows)))
	if err != nil || len(rs.Rows) != len(rows) {
		t.Fatalf("read back: %v", err)
	}
	for i := range rows {
		if same, _ := sameRow(rows[i], rs.Rows[i]); !same {
			t.Errorf("row %d reads back different", i)
		}
	}
	// An older version's file: no proof-bits, no certificate fields.
	old := h
	old.Params = map[string]string{}
	for k, v := range h.Params {
		if k != "proof-bits" {
			old.Params[k] = v
		}
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(old); err != nil {
		t.Fatal(err)
	}
	agree := rows[0]
	for _, r := range rows {
		var m map[string]any
		b, _ := json.Marshal(r)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"lower_bound", "certified_gap", "lower_bound_proved", "certified_gap_proved", "bracket_note", "predicted_lower_bound", "predicted_certificate_gap", "proof_error"} {
			delete(m, k)
		}
		if r.Verdict == verify.Refuted {
			m["verdict"] = "solver-gap" // as an older version judged it
			m["failed"] = []string{"objective>1e-09"}
		}
		if r.Verdict == verify.Certified {
			m["verdict"] = "out-of-scope"
		}
		b, _ = json.Marshal(m)
		buf.Write(append(b, '\n'))
	}
	rs, err = Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("an older row file: %v", err)
	}
	var text bytes.Buffer
	if err := render.Write(&text, rs.Rows, render.WriteOptions{Columns: []string{"setting", "theory", "proof", "verdict"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| a       | paper  |     - | agree        |", "| a       | low    |     - | solver-gap   |", "| plain   | paper  |     - | out-of-scope |"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("old rows render without %q:\n%s", want, text.String())
		}
	}
	// The same stripped row under a header with proof-bits is refused: its
	// verdict is not the one of its numbers.
	stripped := agree
	stripped.LowerBound, stripped.CertifiedGap, stripped.PredictedLowerBound, stripped.PredictedCertificateGap = nil, nil, nil, nil
	if _, err := Read(bytes.NewReader(rowFileText(t, h, []verify.Row{stripped}))); err == nil || !strings.Contains(err.Error(), "proof unavailable") {
		t.Errorf("a row without its certificate under a new header: %v", err)
	}
	if n, _ := strconv.Atoi(h.Params["proof-bits"]); n != verify.DefaultProofBits(closedform.DefaultPrec) {
		t.Errorf("proof-bits %d", n)
	}
}
