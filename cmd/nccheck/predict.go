package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"nccheck/closedform"
	"nccheck/internal/report"
	"nccheck/setting"
)

const predictDescription = `
Computes the predicted global minimizer of the bias-free UFM+ problem (theory.md
sections 2 and 3) from its closed form in arbitrary precision: per class the
margin M_k, the feature norm rho_k = ||h_k||^2, the classifier norm ||w_k||^2,
cos(w_k, h_k), the correct-class probability p_k and the collapse roots; the
optimal objective f*, the collapse threshold, and the K x K matrices W Hbar,
W W^T and Hbar^T Hbar. Lambdas are read exactly from their decimal text.

Text, Markdown, LaTeX and CSV print --digits significant digits; JSON always
prints every digit the precision supports (77 at 256 bits).`

func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, false)
	prec := fs.Uint("prec", closedform.DefaultPrec, fmt.Sprintf("working `bits` of mantissa, %d to %d", closedform.MinPrec, closedform.MaxPrec))
	formula := fs.String("formula", "paper", "margin `formula`: paper (theory.md section 2) or authors-code (section 7)")
	digits := fs.Int("digits", 15, "significant `digits` in text, markdown, latex and csv output (JSON prints all)")
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json")
	matrices := fs.Bool("matrices", false, "also print the K x K matrices W Hbar, W W^T, Hbar^T Hbar (text, markdown, latex, csv)")
	setUsage(fs, "--n n1,n2,... --d D --lambda-w LW --lambda-h LH [flags]", predictDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	s, err := sf.setting()
	if err != nil {
		return badInput(stderr, "predict", err)
	}
	f, err := closedform.ParseFormula(*formula)
	if err != nil {
		return badInput(stderr, "predict", err)
	}
	if err := checkPrecDigits(*prec, *digits); err != nil {
		return badInput(stderr, "predict", err)
	}
	if err := checkFormat(*format, "text", "markdown", "latex", "csv", "json"); err != nil {
		return badInput(stderr, "predict", err)
	}
	if s.Bias {
		return badInput(stderr, "predict", &setting.InputError{Field: "--bias",
			Reason: "the closed form of the theorem is bias-free; use kkt, solve or verify for a bias"})
	}
	p, err := f.Predict(s, *prec)
	var ie *setting.InputError
	if errors.As(err, &ie) {
		return badInput(stderr, "predict", err)
	}
	if err != nil {
		return failure(stderr, "predict", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p.Report(0)); err != nil {
			return failure(stderr, "predict", err)
		}
		return exitOK
	}
	if err := writePrediction(stdout, p, *format, *digits, *matrices); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// predictionTable is the per-class table.
func predictionTable(p *closedform.Prediction, digits int, format string) *report.Table {
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
		Header: []string{"class", "n_k", "alive", "M_k", "rho_k=|h_k|^2", "|w_k|^2", "cos(w_k,h_k)", "p_k", "collapse roots (n_lo, n_hi)"},
		Align:  []report.Align{report.AlignRight, report.AlignRight, report.AlignLeft, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignLeft},
	}
	if format == "latex" {
		t.Header = []string{"$k$", "$n_k$", "alive", "$M_k$", "$\\|h_k\\|^2$", "$\\|w_k\\|^2$", "$\\cos(w_k,h_k)$", "$p_k$", "collapse roots"}
	}
	for i, c := range p.Classes {
		roots := "none"
		if c.CollapseRoots.Real {
			roots = num(c.CollapseRoots.Lo) + ", " + num(c.CollapseRoots.Hi)
		}
		alive := "yes"
		if !c.Alive {
			alive = "collapsed"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), strconv.Itoa(c.N), alive, num(c.Margin), num(c.FeatureNormSq),
			num(c.ClassifierNormSq), num(c.CosWH), num(c.ProbCorrect), roots})
	}
	return t
}

// latexNumber formats x in scientific notation as LaTeX math, e.g.
// $1.2345 \times 10^{-3}$; zero prints as $0$.
func latexNumber(x *big.Float, digits int) string {
	if x.Sign() == 0 {
		return "$0$"
	}
	mant, exp := splitExponent(x.Text('e', digits-1))
	if exp == "+00" {
		return "$" + mant + "$"
	}
	e, _ := strconv.Atoi(exp)
	return fmt.Sprintf("$%s \\times 10^{%d}$", mant, e)
}

func splitExponent(s string) (mant, exp string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == 'e' {
			return s[:i], s[i+1:]
		}
	}
	return s, "+00"
}

func writePrediction(w io.Writer, p *closedform.Prediction, format string, digits int, matrices bool) error {
	t := predictionTable(p, digits, format)
	s := p.Setting
	title := fmt.Sprintf("Predicted global minimizer (formula %s, %d bits): %s", p.Theory, p.Prec, s)
	num := func(x *big.Float) string { return closedform.FormatFloat(x, digits) }
	summary := [][2]string{
		{"objective f*", num(p.Objective)},
		{"alive classes", fmt.Sprintf("%d of %d", p.AliveCount(), p.K())},
		{"collapse threshold", fmt.Sprintf("a class collapses iff n_k <= %s", num(p.CollapseThreshold))},
		{"global collapse", strconv.FormatBool(p.GlobalCollapse)},
	}
	switch format {
	case "csv":
		if err := t.Write(w, "csv"); err != nil {
			return err
		}
	case "latex":
		t.Title = title
		if err := t.Write(w, "latex"); err != nil {
			return err
		}
		for _, kv := range summary {
			fmt.Fprintf(w, "%% %s: %s\n", kv[0], kv[1])
		}
	case "markdown":
		t.Title = title
		if err := t.Write(w, "markdown"); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, kv := range summary {
			fmt.Fprintf(w, "- %s: %s\n", kv[0], kv[1])
		}
	default:
		t.Title = title
		if err := t.Write(w, "text"); err != nil {
			return err
		}
		for _, kv := range summary {
			fmt.Fprintf(w, "%-19s %s\n", kv[0]+":", kv[1])
		}
	}
	if !matrices {
		return nil
	}
	for _, m := range []struct {
		name string
		m    *closedform.Matrix
	}{{"W Hbar", p.WH}, {"W W^T", p.WWT}, {"Hbar^T Hbar", p.HTH}} {
		mt := &report.Table{Title: m.name, Header: []string{""}}
		k, _ := m.m.Dims()
		for j := 0; j < k; j++ {
			mt.Header = append(mt.Header, strconv.Itoa(j+1))
			mt.Align = append(mt.Align, report.AlignRight)
		}
		mt.Align = append(mt.Align, report.AlignRight)
		for i := 0; i < k; i++ {
			row := []string{strconv.Itoa(i + 1)}
			for j := 0; j < k; j++ {
				x := m.m.At(i, j)
				if format == "latex" {
					row = append(row, latexNumber(x, digits))
				} else {
					row = append(row, num(x))
				}
			}
			mt.Rows = append(mt.Rows, row)
		}
		fmt.Fprintln(w)
		if format == "csv" {
			mt.Header[0] = m.name
		}
		if err := mt.Write(w, format); err != nil {
			return err
		}
	}
	return nil
}
