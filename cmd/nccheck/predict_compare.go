package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"nccheck/closedform"
	"nccheck/internal/report"
	"nccheck/setting"
)

// The two theorems side by side (predict --compare): for one balanced
// setting, the UFM+ theorem of theory.md section 2 (ReLU features,
// orthogonal class means) and the plain-UFM theorem of section 9 (simplex
// ETF), both computed by closedform.Auto from the same setting with
// and without the constraint H >= 0.

// compareSide is one theorem of the comparison: its prediction, or the
// reason it does not apply.
type compareSide struct {
	label string
	p     *closedform.Prediction
	scope string
}

// compareJSON is the JSON output of predict --compare. A side whose theorem
// does not apply is null, with its reason in *_scope.
type compareJSON struct {
	Setting       setting.JSON `json:"setting"`
	PrecisionBits uint         `json:"precision_bits"`
	ReLU          *predictJSON `json:"relu"`
	ReLUScope     string       `json:"relu_scope,omitempty"`
	Plain         *predictJSON `json:"plain"`
	PlainScope    string       `json:"plain_scope,omitempty"`
	// ObjectiveDifference is f*(plain) - f*(ReLU), at or below 0 by theory.md
	// section 9; null unless both apply.
	ObjectiveDifference *string `json:"objective_difference"`
}

// runCompare predicts the balanced setting s with and without ReLU and
// writes both side by side.
func runCompare(s setting.Setting, prec uint, format string, digits int, matrices bool, stdout, stderr io.Writer) int {
	if !closedform.Balanced(s.Counts) {
		return badInput(stderr, "predict", &setting.InputError{Field: "--n", Value: strconv.Quote(setting.FormatCounts(s.Counts)),
			Reason: "--compare needs balanced counts: the plain-UFM theorem (theory.md section 9) is for equal n_k"})
	}
	relu, plain := s.Clone(), s.Clone()
	relu.NoReLU, plain.NoReLU = false, true
	sides := []*compareSide{{label: "UFM+ (ReLU, sec. 2)"}, {label: "plain UFM (sec. 9)"}}
	var scopeErr error
	for i, st := range []setting.Setting{relu, plain} {
		p, err := closedform.Auto{}.Predict(st, prec)
		var se *closedform.ScopeError
		var ie *setting.InputError
		switch {
		case errors.As(err, &se):
			sides[i].scope = flagMessage(se)
			scopeErr = err
		case errors.As(err, &ie):
			return badInput(stderr, "predict", err)
		case err != nil:
			return failure(stderr, "predict", err)
		}
		sides[i].p = p
	}
	if sides[0].p == nil && sides[1].p == nil {
		return badInput(stderr, "predict", scopeErr)
	}
	var diff *big.Float
	if sides[0].p != nil && sides[1].p != nil {
		diff = new(big.Float).SetPrec(prec).Sub(sides[1].p.Objective, sides[0].p.Objective)
	}
	if format == "json" {
		out := compareJSON{Setting: relu.JSON(),
			PrecisionBits: prec, ReLUScope: sides[0].scope, PlainScope: sides[1].scope}
		if p := sides[0].p; p != nil {
			j := predictionJSON(p)
			out.ReLU = &j
		}
		if p := sides[1].p; p != nil {
			j := predictionJSON(p)
			out.Plain = &j
		}
		if diff != nil {
			v := closedform.FormatFloat(diff, closedform.Digits(prec))
			out.ObjectiveDifference = &v
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failure(stderr, "predict", err)
		}
		return exitOK
	}
	if err := writeCompare(stdout, s, prec, sides, diff, format, digits, matrices); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// writeCompare prints the side-by-side table (text, markdown, latex or csv).
func writeCompare(w io.Writer, s setting.Setting, prec uint, sides []*compareSide, diff *big.Float, format string, digits int, matrices bool) error {
	num := func(x *big.Float) string {
		if x == nil {
			return "-"
		}
		if format == "latex" {
			return latexNumber(x, digits)
		}
		return closedform.FormatFloat(x, digits)
	}
	k := int64(s.K())
	// s = sqrt(n lambda_W lambda_H); the UFM+ collapses globally iff
	// n lW lH >= (K-1)/K^3 (n_k <= K N^2 lW lH/(K-1) with N = K n), the plain
	// UFM iff n lW lH >= 1/K^2.
	sv, plainBound := etfBoundary(s, prec)
	reluBound := new(big.Float).SetPrec(prec + 64).SetRat(big.NewRat(k-1, k*k*k))
	reluBound.Sqrt(reluBound)
	reluBound = new(big.Float).SetPrec(prec).Set(reluBound)

	t := &report.Table{
		Title:  fmt.Sprintf("Two theorems on one balanced setting (%d bits): %s", prec, s),
		Header: []string{"quantity", sides[0].label, sides[1].label},
		Align:  []report.Align{report.AlignLeft, report.AlignRight, report.AlignRight},
	}
	if format == "latex" {
		t.Header[0] = "quantity"
	}
	cell := func(side *compareSide, f func(p *closedform.Prediction) string) string {
		if side.p == nil {
			return "-"
		}
		return f(side.p)
	}
	row := func(name string, f func(p *closedform.Prediction) string) {
		t.Rows = append(t.Rows, []string{name, cell(sides[0], f), cell(sides[1], f)})
	}
	class := func(get func(c closedform.Class) *big.Float) func(p *closedform.Prediction) string {
		return func(p *closedform.Prediction) string { return num(get(p.Classes[0])) }
	}
	entries := func(get func(p *closedform.Prediction) *closedform.Matrix, diag bool) func(p *closedform.Prediction) string {
		return func(p *closedform.Prediction) string { return uniformEntry(get(p), diag, num) }
	}
	hth := func(p *closedform.Prediction) *closedform.Matrix { return p.HTH }
	wwt := func(p *closedform.Prediction) *closedform.Matrix { return p.WWT }
	wh := func(p *closedform.Prediction) *closedform.Matrix { return p.WH }

	row("class means", func(p *closedform.Prediction) string {
		if p.Model == closedform.ModelETF {
			return "simplex ETF"
		}
		return "orthogonal"
	})
	row("objective f*", func(p *closedform.Prediction) string { return num(p.Objective) })
	row("alive classes", func(p *closedform.Prediction) string { return fmt.Sprintf("%d of %d", p.AliveCount(), p.K()) })
	row("margin M_k", class(func(c closedform.Class) *big.Float { return c.Margin }))
	row("|h_k|^2", class(func(c closedform.Class) *big.Float { return c.FeatureNormSq }))
	row("|w_k|^2", class(func(c closedform.Class) *big.Float { return c.ClassifierNormSq }))
	row("cos(w_k, h_k)", class(func(c closedform.Class) *big.Float { return c.CosWH }))
	row("p_k", class(func(c closedform.Class) *big.Float { return c.ProbCorrect }))
	row("cos(h_k, h_l), k != l", func(p *closedform.Prediction) string {
		if p.AliveCount() < 2 {
			return "-"
		}
		return strconv.FormatFloat(p.MeanCos, 'g', min(digits, 17), 64)
	})
	row("Hbar^T Hbar diagonal", entries(hth, true))
	row("Hbar^T Hbar off-diagonal", entries(hth, false))
	row("W W^T diagonal", entries(wwt, true))
	row("W W^T off-diagonal", entries(wwt, false))
	row("W Hbar diagonal", entries(wh, true))
	row("W Hbar off-diagonal", entries(wh, false))
	t.Rows = append(t.Rows, []string{"s = sqrt(n lW lH)", num(sv), num(sv)})
	t.Rows = append(t.Rows, []string{"global collapse iff s >=", num(reluBound), num(plainBound)})
	row("global collapse", func(p *closedform.Prediction) string { return strconv.FormatBool(p.GlobalCollapse) })

	notes := []string{}
	for _, side := range sides {
		if side.p == nil {
			notes = append(notes, side.label+" does not apply: "+side.scope)
		}
	}
	if diff != nil {
		verdict := "at or below the ReLU f*, as theory.md section 9 states (the orthogonal frame is feasible for both problems, the ETF only without ReLU)"
		if diff.Sign() > 0 {
			verdict = "ABOVE the ReLU f*: this contradicts theory.md section 9"
		}
		notes = append(notes, fmt.Sprintf("f*(plain) - f*(ReLU) = %s: %s", closedform.FormatFloat(diff, digits), verdict))
	}

	switch format {
	case "csv":
		if err := t.Write(w, "csv"); err != nil {
			return err
		}
	case "latex":
		if err := t.Write(w, "latex"); err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintf(w, "%% %s\n", n)
		}
	case "markdown":
		if err := t.Write(w, "markdown"); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	default:
		if err := t.Write(w, "text"); err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	if !matrices {
		return nil
	}
	for _, side := range sides {
		if side.p == nil {
			continue
		}
		if err := writeMatrices(w, side.p, side.label+": ", format, digits); err != nil {
			return err
		}
	}
	return nil
}

// uniformEntry formats the common value of the diagonal (diag) or
// off-diagonal entries of m, or "min .. max" when they differ (they do not
// for a balanced setting; the range keeps the cell honest if they ever do).
func uniformEntry(m *closedform.Matrix, diag bool, num func(*big.Float) string) string {
	k, _ := m.Dims()
	var lo, hi *big.Float
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if (i == j) != diag {
				continue
			}
			x := m.At(i, j)
			if x.Sign() == 0 {
				x.SetInt64(0) // print -0 as 0
			}
			if lo == nil || x.Cmp(lo) < 0 {
				lo = x
			}
			if hi == nil || x.Cmp(hi) > 0 {
				hi = x
			}
		}
	}
	if lo == nil {
		return "-"
	}
	if lo.Cmp(hi) == 0 {
		return num(lo)
	}
	return num(lo) + " .. " + num(hi)
}
