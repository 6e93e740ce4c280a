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

// writeCompare prints the side-by-side table (text, markdown, latex or
// csv), the notes under it and, with matrices, each side's matrices.
func writeCompare(w io.Writer, s setting.Setting, prec uint, sides []*compareSide, diff *big.Float, format string, digits int, matrices bool) error {
	t := compareTable(s, prec, sides, format, digits)
	if err := writeTableNotes(w, t, compareNotes(sides, diff, digits), format); err != nil {
		return err
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

// compareQuantity is one row of the side-by-side table: its name in text
// and in LaTeX, and its value on a side that applies.
type compareQuantity struct {
	text, latex string
	value       func(p *closedform.Prediction) string
}

// compareTable is the side-by-side table of the two theorems.
func compareTable(s setting.Setting, prec uint, sides []*compareSide, format string, digits int) *report.Table {
	num := func(x *big.Float) string {
		if x == nil {
			return "-"
		}
		if format == "latex" {
			return latexNumber(x, digits)
		}
		return closedform.FormatFloat(x, digits)
	}
	t := &report.Table{
		Title:  fmt.Sprintf("Two theorems on one balanced setting (%d bits): %s", prec, s),
		Header: []string{"quantity", sides[0].label, sides[1].label},
		Align:  []report.Align{report.AlignLeft, report.AlignRight, report.AlignRight},
	}
	for _, q := range compareQuantities(num, digits, format == "latex") {
		name := q.text
		if format == "latex" {
			name = q.latex
		}
		row := []string{name}
		for _, side := range sides {
			if side.p == nil {
				row = append(row, "-")
			} else {
				row = append(row, q.value(side.p))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	// s = sqrt(n lambda_W lambda_H); the UFM+ collapses globally iff
	// n lW lH >= (K-1)/K^3 (n_k <= K N^2 lW lH/(K-1) with N = K n), the plain
	// UFM iff n lW lH >= 1/K^2.
	k := int64(s.K())
	sv, plainBound := etfBoundary(s, prec)
	reluBound := new(big.Float).SetPrec(prec + 64).SetRat(big.NewRat(k-1, k*k*k))
	reluBound.Sqrt(reluBound)
	reluBound = new(big.Float).SetPrec(prec).Set(reluBound)
	sName, boundName := "s = sqrt(n lW lH)", "global collapse iff s >="
	if format == "latex" {
		sName, boundName = `$s = \sqrt{n \lambda_W \lambda_H}$`, `global collapse iff $s \ge$`
	}
	t.Rows = append(t.Rows, []string{sName, num(sv), num(sv)}, []string{boundName, num(reluBound), num(plainBound)})
	collapse := []string{"global collapse"}
	for _, side := range sides {
		if side.p == nil {
			collapse = append(collapse, "-")
		} else {
			collapse = append(collapse, strconv.FormatBool(side.p.GlobalCollapse))
		}
	}
	t.Rows = append(t.Rows, collapse)
	return t
}

// compareQuantities are the rows of the side-by-side table but for the
// collapse boundary, each theorem's class 0 standing for every class (the
// setting is balanced).
func compareQuantities(num func(*big.Float) string, digits int, latex bool) []compareQuantity {
	class := func(get func(c closedform.Class) *big.Float) func(p *closedform.Prediction) string {
		return func(p *closedform.Prediction) string { return num(get(p.Classes[0])) }
	}
	entries := func(get func(p *closedform.Prediction) *closedform.Matrix, diag bool) func(p *closedform.Prediction) string {
		return func(p *closedform.Prediction) string { return uniformEntry(get(p), diag, num) }
	}
	hth := func(p *closedform.Prediction) *closedform.Matrix { return p.HTH }
	wwt := func(p *closedform.Prediction) *closedform.Matrix { return p.WWT }
	wh := func(p *closedform.Prediction) *closedform.Matrix { return p.WH }
	return []compareQuantity{
		{"class means", "class means", func(p *closedform.Prediction) string {
			if p.Model == closedform.ModelETF {
				return "simplex ETF"
			}
			return "orthogonal"
		}},
		{"objective f*", "objective $f^*$", func(p *closedform.Prediction) string { return num(p.Objective) }},
		{"alive classes", "alive classes", func(p *closedform.Prediction) string { return fmt.Sprintf("%d of %d", p.AliveCount(), p.K()) }},
		{"margin M_k", "margin $M_k$", class(func(c closedform.Class) *big.Float { return c.Margin })},
		{"|h_k|^2", `$\|h_k\|^2$`, class(func(c closedform.Class) *big.Float { return c.FeatureNormSq })},
		{"|w_k|^2", `$\|w_k\|^2$`, class(func(c closedform.Class) *big.Float { return c.ClassifierNormSq })},
		{"cos(w_k, h_k)", `$\cos(w_k, h_k)$`, class(func(c closedform.Class) *big.Float { return c.CosWH })},
		{"p_k", "$p_k$", class(func(c closedform.Class) *big.Float { return c.ProbCorrect })},
		{"cos(h_k, h_l), k != l", `$\cos(h_k, h_l)$, $k \ne l$`, func(p *closedform.Prediction) string {
			if p.AliveCount() < 2 {
				return "-"
			}
			if latex {
				return latexNumber(big.NewFloat(p.MeanCos), min(digits, 17))
			}
			return strconv.FormatFloat(p.MeanCos, 'g', min(digits, 17), 64)
		}},
		{"Hbar^T Hbar diagonal", `$\bar H^T \bar H$ diagonal`, entries(hth, true)},
		{"Hbar^T Hbar off-diagonal", `$\bar H^T \bar H$ off-diagonal`, entries(hth, false)},
		{"W W^T diagonal", "$W W^T$ diagonal", entries(wwt, true)},
		{"W W^T off-diagonal", "$W W^T$ off-diagonal", entries(wwt, false)},
		{"W Hbar diagonal", `$W \bar H$ diagonal`, entries(wh, true)},
		{"W Hbar off-diagonal", `$W \bar H$ off-diagonal`, entries(wh, false)},
	}
}

// compareNotes are the lines under the side-by-side table: a side that
// does not apply, and f*(plain) - f*(ReLU) against theory.md section 9.
func compareNotes(sides []*compareSide, diff *big.Float, digits int) []string {
	var notes []string
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
	return notes
}

// writeTableNotes writes t and the notes under it in a format: text
// (wrapped), a Markdown list, LaTeX comments, or nothing (csv).
func writeTableNotes(w io.Writer, t *report.Table, notes []string, format string) error {
	if err := t.Write(w, format); err != nil {
		return err
	}
	if format == "markdown" && len(notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range notes {
		switch format {
		case "latex":
			fmt.Fprintf(w, "%% %s\n", n)
		case "markdown":
			fmt.Fprintf(w, "- %s\n", report.MarkdownEscape(n))
		case "text":
			fmt.Fprintln(w, report.WrapText(n, "  "))
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
