package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"nccheck/closedform"
	"nccheck/internal/report"
	"nccheck/setting"
)

const predictDescription = `
Computes the predicted global minimizer (theory.md sections 2 and 3) from its
closed form in arbitrary precision: per class the margin M_k, the feature
norm rho_k = ||h_k||^2, the classifier norm ||w_k||^2, cos(w_k, h_k), the
correct-class probability p_k and the collapse roots; the optimal objective
f*, the collapse threshold, and the K x K matrices W Hbar, W W^T and
Hbar^T Hbar. Lambdas are read exactly from their decimal text. The default
theory (paper) is the theorem that applies to the setting:

  --loss ce (default), ReLU     section 2 (Dang, Tran, Nguyen, Ho, ICML 2024)
  --loss ce --no-relu           section 9, the simplex ETF (balanced counts only)
  --loss ce --bias --lambda-b   section 4, the orthogonal structure with a
                                penalised bias (solved by Newton in big-float)
  --loss ls:A                   section 12a, label-smoothed cross-entropy
                                (derived for nccheck), bias-free
  --loss mse                    section 12b, the squared error, bias-free, the
                                same point with and without ReLU; M_k is the
                                logit z_k = (W h_k)_k (the other logits are 0)
  --loss mse --bias --lambda-b 0 --no-relu
                                section 12b with an unregularised bias: b* = n/N
                                and the singular-value threshold (its class
                                means are not orthogonal); with ReLU features
                                the statement has no point (exit 2)

With --no-relu and cross-entropy, the simplex ETF prints the same table with
M_k = m = log(1/s - (K-1)), s = sqrt(n lambda_W lambda_H), rho_k = b^2,
||w_k||^2 = a^2, cos(w_k, h_k) = 1, p_k = 1 - (K-1) s, and cos(h_k, h_l) =
-1/(K-1); every class collapses together iff s >= 1/K. The collapse roots and
the per-class collapse threshold are results of the orthogonal theorems and
do not apply: they print as "-" (JSON null). Imbalanced counts with --no-relu
and cross-entropy are refused (no closed form is known). A setting no theory
covers exits 2 naming the flag.

--compare puts both theorems side by side for one balanced setting: the
UFM+ (ReLU, section 2: orthogonal class means) and the plain UFM (section 9:
simplex ETF): f*, margins, norms, the Gram matrices Hbar^T Hbar and W W^T,
and the collapse boundaries. The plain f* is at or below the ReLU f* (the
orthogonal frame is feasible for both problems, the ETF only without ReLU).

--compare-losses LIST predicts the setting once per loss of LIST (default
ce,mse) and prints, per class, who is alive and the margin under each, and
each loss's collapse threshold: cross-entropy collapses class k iff
n_k <= K N^2 lambda_W lambda_H / (K-1), the squared error iff
n_k <= N^2 lambda_W lambda_H, label smoothing earlier still.

Text, Markdown, LaTeX and CSV print --digits significant digits; JSON always
prints every digit the precision supports (77 at 256 bits).`

func runPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, true)
	prec := fs.Uint("prec", closedform.DefaultPrec, fmt.Sprintf("working `bits` of mantissa, %d to %d", closedform.MinPrec, closedform.MaxPrec))
	theory := registerTheory(fs, "`theory`, one of "+strings.Join(closedform.TheoryNames(), ", ")+" (paper: the theorem that applies; with --no-relu the ETF of section 9)")
	digits := fs.Int("digits", 15, "significant `digits` in text, markdown, latex and csv output (JSON prints all)")
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json")
	matrices := fs.Bool("matrices", false, "also print the K x K matrices W Hbar, W W^T, Hbar^T Hbar (text, markdown, latex, csv)")
	compare := fs.Bool("compare", false, "balanced counts: the ReLU theorem (section 2) and the plain-UFM theorem (section 9) side by side")
	compareLosses := fs.String("compare-losses", "", "the theorems of the losses of the comma `list` side by side on the setting (e.g. ce,mse or ce,ls:0.1,mse;\n"+
		"replaces --loss): who is alive, margins, f* and collapse thresholds")
	setUsage(fs, "--n n1,n2,... --d D --lambda-w LW --lambda-h LH [--loss ce|ls:A|mse] [--no-relu | --compare | --compare-losses LIST] [flags]", predictDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	s, err := sf.setting()
	if err != nil {
		return badInput(stderr, "predict", err)
	}
	th, err := theory.one()
	if err != nil {
		return badInput(stderr, "predict", err)
	}
	if err := checkPrecDigits(*prec, *digits); err != nil {
		return badInput(stderr, "predict", err)
	}
	if err := checkFormat(*format, "text", "markdown", "latex", "csv", "json"); err != nil {
		return badInput(stderr, "predict", err)
	}
	if *compareLosses != "" {
		if *compare {
			return badInput(stderr, "predict", &setting.InputError{Field: "--compare-losses", Reason: "is not used with --compare; give one of them"})
		}
		if theory.given() || sf.lossGiven(fs) {
			return badInput(stderr, "predict", &setting.InputError{Field: "--compare-losses",
				Reason: "predicts each loss with the theorem that applies; it is not used with --theory or --loss"})
		}
		losses, err := parseLossList(*compareLosses)
		if err != nil {
			return badInput(stderr, "predict", err)
		}
		return runCompareLosses(s, losses, *prec, *format, *digits, stdout, stderr)
	}
	if *compare {
		switch {
		case s.Bias:
			return badInput(stderr, "predict", &setting.InputError{Field: "--bias",
				Reason: "--compare compares the bias-free theorems of theory.md sections 2 and 9"})
		case !s.Loss.IsCE():
			return badInput(stderr, "predict", &setting.InputError{Field: "--loss", Value: s.Loss.String(),
				Reason: "--compare compares the cross-entropy theorems of sections 2 and 9; --compare-losses compares losses"})
		}
		if th.Name() != (closedform.Auto{}).Name() {
			return badInput(stderr, "predict", &setting.InputError{Field: theory.name(), Value: strconv.Quote(th.Name()),
				Reason: "--compare compares the two theorems of the paper's normalisation; only paper applies"})
		}
		return runCompare(s, *prec, *format, *digits, *matrices, stdout, stderr)
	}
	p, err := th.Predict(s, *prec)
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
		if err := enc.Encode(predictionJSON(p)); err != nil {
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
		Header: []string{"class", "n_k", "alive", "M_k", "rho_k=|h_k|^2", "|w_k|^2", "cos(w_k,h_k)", "p_k", "collapse n_lo", "collapse n_hi"},
		Align: []report.Align{report.AlignRight, report.AlignRight, report.AlignLeft, report.AlignRight, report.AlignRight, report.AlignRight,
			report.AlignRight, report.AlignRight, report.AlignRight, report.AlignRight},
	}
	if format == "latex" {
		t.Header = []string{"$k$", "$n_k$", "alive", "$M_k$", "$\\|h_k\\|^2$", "$\\|w_k\\|^2$", "$\\cos(w_k,h_k)$", "$p_k$", "collapse $n_{lo}$", "collapse $n_{hi}$"}
	}
	for i, c := range p.Classes {
		lo, hi := "none", "none"
		switch {
		case p.CollapseThreshold == nil:
			lo, hi = "-", "-" // the theory has no per-class collapse threshold
		case c.CollapseRoots.Real:
			lo, hi = num(c.CollapseRoots.Lo), num(c.CollapseRoots.Hi)
		}
		alive := "yes"
		if !c.Alive {
			alive = "collapsed"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i), strconv.Itoa(c.N), alive, num(c.Margin), num(c.FeatureNormSq),
			num(c.ClassifierNormSq), num(c.CosWH), num(c.ProbCorrect), lo, hi})
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
	theory := p.Theory
	if p.Model != "" {
		theory += ", " + p.Model
	}
	title := fmt.Sprintf("Predicted global minimizer (theory %s, %d bits): %s", theory, p.Prec, s)
	num := func(x *big.Float) string { return closedform.FormatFloat(x, digits) }
	summary := [][2]string{
		{"objective f*", num(p.Objective)},
		{"alive classes", fmt.Sprintf("%d of %d", p.AliveCount(), p.K())},
	}
	switch {
	case p.CollapseThreshold != nil:
		summary = append(summary, [2]string{"collapse threshold", fmt.Sprintf("a class collapses iff n_k <= %s", num(p.CollapseThreshold))})
	case p.Model == closedform.ModelETF:
		sv, bound := etfBoundary(s, p.Prec)
		summary = append(summary, [2]string{"collapse threshold", fmt.Sprintf("every class collapses iff s = sqrt(n lambda_W lambda_H) >= 1/K: s = %s, 1/K = %s",
			num(sv), num(bound))})
	}
	summary = append(summary, [2]string{"global collapse", strconv.FormatBool(p.GlobalCollapse)})
	if p.Bias != nil {
		parts := make([]string, len(p.Bias))
		for i, b := range p.Bias {
			parts[i] = num(b)
		}
		summary = append(summary, [2]string{"bias b*", "(" + strings.Join(parts, ", ") + ")"})
	}
	if p.AliveCount() >= 2 {
		cosText := strconv.FormatFloat(p.MeanCos, 'g', min(digits, 17), 64)
		if lo, hi := pairCosRange(p); lo != hi {
			cosText = strconv.FormatFloat(lo, 'g', min(digits, 17), 64) + " .. " + strconv.FormatFloat(hi, 'g', min(digits, 17), 64)
		}
		summary = append(summary, [2]string{"cos(h_k, h_l)", cosText + " for alive k != l"})
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
			fmt.Fprintf(w, "- %s: %s\n", report.MarkdownEscape(kv[0]), report.MarkdownEscape(kv[1]))
		}
	default:
		t.Title = title
		if err := t.Write(w, "text"); err != nil {
			return err
		}
		for _, kv := range summary {
			fmt.Fprintln(w, report.WrapText(fmt.Sprintf("%-19s %s", kv[0]+":", kv[1]), strings.Repeat(" ", 20)))
		}
	}
	if !matrices {
		return nil
	}
	return writeMatrices(w, p, "", format, digits)
}

// writeMatrices prints the K x K matrices W Hbar, W W^T and Hbar^T Hbar of
// p, each title preceded by prefix.
func writeMatrices(w io.Writer, p *closedform.Prediction, prefix, format string, digits int) error {
	num := func(x *big.Float) string { return closedform.FormatFloat(x, digits) }
	for _, m := range []struct {
		name string
		m    *closedform.Matrix
	}{{"W Hbar", p.WH}, {"W W^T", p.WWT}, {"Hbar^T Hbar", p.HTH}} {
		mt := &report.Table{Title: prefix + m.name, Header: []string{""}}
		k, _ := m.m.Dims()
		for j := 0; j < k; j++ {
			mt.Header = append(mt.Header, strconv.Itoa(j))
			mt.Align = append(mt.Align, report.AlignRight)
		}
		mt.Align = append(mt.Align, report.AlignRight)
		for i := 0; i < k; i++ {
			row := []string{strconv.Itoa(i)}
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
			mt.Header[0] = prefix + m.name
		}
		if err := mt.Write(w, format); err != nil {
			return err
		}
	}
	return nil
}

// predictJSON is the JSON output of predict: the prediction's report, with
// what it does not define as null (the per-class collapse threshold and the
// collapse roots of a theory without them, such as the ETF of theory.md
// section 9), the model, and the predicted cosine between class means.
type predictJSON struct {
	closedform.Report
	Model string `json:"model,omitempty"`
	// CollapseThresholdN shadows the report's string: null when the theory
	// has no per-class threshold.
	CollapseThresholdN *string `json:"collapse_threshold_n"`
	// MeanCos is cos(h_k, h_l) for distinct alive classes, null when fewer
	// than two classes are alive.
	MeanCos *float64 `json:"mean_cos"`
	// S and SCollapse (ETF only) are s = sqrt(n lambda_W lambda_H) and its
	// global-collapse value 1/K.
	S         *string `json:"s,omitempty"`
	SCollapse *string `json:"s_collapse,omitempty"`
	// Classes shadows the report's classes, with null for c_beta where the
	// theory does not define it (the ETF).
	Classes []predictClass `json:"classes"`
	// Bias is the predicted bias b* (every digit), omitted for a bias-free
	// theory.
	Bias []string `json:"bias,omitempty"`
}

// predictClass is one class of predictJSON.
type predictClass struct {
	closedform.ClassReport
	CBeta *string `json:"c_beta"`
}

func predictionJSON(p *closedform.Prediction) predictJSON {
	out := predictJSON{Report: p.Report(0), Model: p.Model}
	if p.CollapseThreshold != nil {
		v := out.Report.CollapseThresholdN
		out.CollapseThresholdN = &v
	}
	for i, c := range out.Report.Classes {
		pc := predictClass{ClassReport: c}
		if p.Classes[i].CBeta != nil {
			v := c.CBeta
			pc.CBeta = &v
		}
		if p.CollapseThreshold == nil {
			pc.CollapseRoots = json.RawMessage("null")
		}
		out.Classes = append(out.Classes, pc)
	}
	if p.AliveCount() >= 2 {
		v := p.MeanCos
		out.MeanCos = &v
	}
	for _, b := range p.Bias {
		out.Bias = append(out.Bias, closedform.FormatFloat(b, closedform.Digits(p.Prec)))
	}
	if p.Model == closedform.ModelETF {
		sv, bound := etfBoundary(p.Setting, p.Prec)
		all := closedform.Digits(p.Prec)
		a, b := closedform.FormatFloat(sv, all), closedform.FormatFloat(bound, all)
		out.S, out.SCollapse = &a, &b
	}
	return out
}

// pairCosRange returns the smallest and largest cosine between two alive
// predicted class means, HTH_kl / sqrt(HTH_kk HTH_ll), in float64; both
// are p.MeanCos when every pair shares it (to 1e-15), as for every theory
// but the squared error with an unregularised bias.
func pairCosRange(p *closedform.Prediction) (lo, hi float64) {
	lo, hi = p.MeanCos, p.MeanCos
	at := func(i, j int) float64 { v, _ := p.HTH.At(i, j).Float64(); return v }
	for a := range p.Classes {
		for b := a + 1; b < len(p.Classes); b++ {
			if !p.Classes[a].Alive || !p.Classes[b].Alive {
				continue
			}
			c := at(a, b) / math.Sqrt(at(a, a)*at(b, b))
			lo, hi = math.Min(lo, c), math.Max(hi, c)
		}
	}
	if hi-lo <= 1e-15 {
		return p.MeanCos, p.MeanCos
	}
	return lo, hi
}

// etfBoundary returns s = sqrt(n lambda_W lambda_H) and 1/K for a balanced
// setting, at prec bits: the plain UFM collapses globally iff s >= 1/K.
func etfBoundary(s setting.Setting, prec uint) (sv, bound *big.Float) {
	k := int64(s.K())
	r := closedform.ETFCollapseRatio(s) // (K s)^2, exact
	r.Quo(r, big.NewRat(k*k, 1))
	sv = new(big.Float).SetPrec(prec + 64).SetRat(r)
	sv.Sqrt(sv)
	sv = new(big.Float).SetPrec(prec).Set(sv)
	bound = new(big.Float).SetPrec(prec).SetRat(big.NewRat(1, k))
	return sv, bound
}
