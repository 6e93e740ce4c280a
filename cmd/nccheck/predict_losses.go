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

// The theorems of several losses on one setting (predict --compare-losses):
// the setting is predicted once per loss by closedform.Auto, the theorem
// that applies (theory.md section 2, 9 or 4 for cross-entropy, 12a for label
// smoothing, 12b for the squared error), and the alive sets, margins,
// objectives and collapse thresholds are printed side by side.

// lossSide is one loss of the comparison: its prediction, or the reason no
// theorem covers the setting with that loss.
type lossSide struct {
	loss  setting.Loss
	p     *closedform.Prediction
	scope string
}

// lossesJSON is the JSON output of predict --compare-losses.
type lossesJSON struct {
	Setting       setting.JSON `json:"setting"`
	PrecisionBits uint         `json:"precision_bits"`
	Losses        []lossJSON   `json:"losses"`
}

// lossJSON is one loss: its prediction (as predict --format json writes
// it), or null with the reason in scope.
type lossJSON struct {
	Loss       setting.Loss `json:"loss"`
	Prediction *predictJSON `json:"prediction"`
	Scope      string       `json:"scope,omitempty"`
}

// runCompareLosses predicts s under each loss and writes them side by side.
func runCompareLosses(s setting.Setting, losses []setting.Loss, prec uint, format string, digits int, stdout, stderr io.Writer) int {
	sides := make([]*lossSide, len(losses))
	var scopeErr error
	for i, l := range losses {
		st := s.Clone()
		st.Loss = l
		sides[i] = &lossSide{loss: l}
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
	if scopeErr != nil && len(losses) == 1 {
		return badInput(stderr, "predict", scopeErr)
	}
	if format == "json" {
		base := s.Clone()
		base.Loss = setting.CE()
		out := lossesJSON{Setting: base.JSON(), PrecisionBits: prec}
		for _, side := range sides {
			lj := lossJSON{Loss: side.loss, Scope: side.scope}
			if side.p != nil {
				j := predictionJSON(side.p)
				lj.Prediction = &j
			}
			out.Losses = append(out.Losses, lj)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failure(stderr, "predict", err)
		}
		return exitOK
	}
	if err := writeCompareLosses(stdout, s, prec, sides, format, digits); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// writeCompareLosses prints the per-class table and the per-loss summary
// (text, markdown, latex or csv).
func writeCompareLosses(w io.Writer, s setting.Setting, prec uint, sides []*lossSide, format string, digits int) error {
	num := func(x *big.Float) string {
		if x == nil {
			return "-"
		}
		if format == "latex" {
			return latexNumber(x, digits)
		}
		return closedform.FormatFloat(x, digits)
	}
	base := s.Clone()
	base.Loss = setting.CE()
	classes := &report.Table{Header: []string{"class", "n_k"}, Align: []report.Align{report.AlignRight, report.AlignRight}}
	margin := "M_k"
	if format == "latex" {
		classes.Header = []string{"$k$", "$n_k$"}
		margin = "$M_k$"
	}
	for _, side := range sides {
		classes.Header = append(classes.Header, side.loss.String()+" alive", side.loss.String()+" "+margin)
		classes.Align = append(classes.Align, report.AlignLeft, report.AlignRight)
	}
	for i, n := range s.Counts {
		row := []string{strconv.Itoa(i), strconv.Itoa(n)}
		for _, side := range sides {
			if side.p == nil {
				row = append(row, "-", "-")
				continue
			}
			c := side.p.Classes[i]
			alive := "yes"
			if !c.Alive {
				alive = "collapsed"
			}
			row = append(row, alive, num(c.Margin))
		}
		classes.Rows = append(classes.Rows, row)
	}
	summary := &report.Table{Header: []string{"loss", "theory", "f*", "alive", "class k collapses iff n_k <=", "global collapse"},
		Align: []report.Align{report.AlignLeft, report.AlignLeft, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignLeft}}
	if format == "latex" {
		summary.Header = []string{"loss", "theory", "$f^*$", "alive", "collapse iff $n_k \\le$", "global collapse"}
	}
	var notes []string
	for _, side := range sides {
		if side.p == nil {
			summary.Rows = append(summary.Rows, []string{side.loss.String(), "-", "-", "-", "-", "-"})
			notes = append(notes, fmt.Sprintf("loss %s: no theorem applies: %s", side.loss, side.scope))
			continue
		}
		p := side.p
		summary.Rows = append(summary.Rows, []string{side.loss.String(), p.Theory, num(p.Objective),
			fmt.Sprintf("%d of %d", p.AliveCount(), p.K()), num(p.CollapseThreshold), strconv.FormatBool(p.GlobalCollapse)})
	}
	title := fmt.Sprintf("Predicted minimizers of one setting under %d losses (%d bits): %s", len(sides), prec, base)
	switch format {
	case "csv":
		if err := classes.Write(w, "csv"); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return summary.Write(w, "csv")
	case "latex":
		classes.Title = title
		if err := classes.Write(w, "latex"); err != nil {
			return err
		}
		fmt.Fprintln(w)
		if err := summary.Write(w, "latex"); err != nil {
			return err
		}
		for _, n := range notes {
			fmt.Fprintf(w, "%% %s\n", n)
		}
		return nil
	}
	classes.Title = title
	if err := classes.Write(w, format); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := summary.Write(w, format); err != nil {
		return err
	}
	if format == "markdown" && len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
		return nil
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}
