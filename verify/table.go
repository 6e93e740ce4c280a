package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"nccheck/internal/report"
)

// Formats lists the output formats of WriteRows.
var Formats = []string{"text", "markdown", "latex", "csv", "json"}

// sci formats v in scientific notation with digits significant digits; in
// LaTeX as math.
func sci(v float64, digits int, latex bool) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "non-finite"
	}
	s := strconv.FormatFloat(v, 'e', digits-1, 64)
	if !latex {
		return s
	}
	return latexSci(s)
}

func optSci(v *float64, digits int, latex bool) string {
	if v == nil {
		return "undef"
	}
	return sci(*v, digits, latex)
}

// Table builds the report table of rows. digits is the number of significant
// digits of the deviations (scientific notation).
func Table(rows []Row, digits int, latex bool, withKKT bool) *report.Table {
	t := &report.Table{Header: []string{"setting", "K", "N", "d", "formula", "alive", "f* (predicted)", "gap", "NC1", "NC2_H", "NC2_W", "NC2_WWT", "NC3_WH", "margin err", "max cos", "collapse", "solver res", "spread"}}
	withBias := false
	for _, r := range rows {
		withBias = withBias || (r.Metrics != nil && r.Metrics.BiasError != nil)
	}
	if withBias {
		t.Header = append(t.Header, "bias err")
	}
	if withKKT {
		t.Header = append(t.Header, "exact KKT")
	}
	t.Header = append(t.Header, "verdict", "failed")
	for i := range t.Header {
		a := report.AlignRight
		switch t.Header[i] {
		case "setting", "formula", "collapse", "verdict", "failed":
			a = report.AlignLeft
		}
		t.Align = append(t.Align, a)
	}
	if latex {
		t.Header = []string{"setting", "$K$", "$N$", "$d$", "formula", "alive", "$f^*$", "gap", "NC1", "$\\mathrm{NC2}_H$", "$\\mathrm{NC2}_W$", "$\\mathrm{NC2}_{WW^T}$", "$\\mathrm{NC3}_{WH}$", "margin err", "max cos", "collapse", "solver res", "spread"}
		if withBias {
			t.Header = append(t.Header, "bias err")
		}
		if withKKT {
			t.Header = append(t.Header, "exact KKT")
		}
		t.Header = append(t.Header, "verdict", "failed")
	}
	for _, r := range rows {
		n := 0
		for _, c := range r.Setting.N {
			n += c
		}
		fstar := "-"
		if r.PredictedObjective != nil {
			if f, err := strconv.ParseFloat(*r.PredictedObjective, 64); err == nil {
				fstar = strconv.FormatFloat(f, 'g', 12, 64)
			}
		}
		row := []string{r.Name, strconv.Itoa(len(r.Setting.N)), strconv.Itoa(n), strconv.Itoa(r.Setting.D), r.Formula, strconv.Itoa(r.Alive), fstar}
		if r.Verdict == Failed {
			for len(row) < len(t.Header)-2 {
				row = append(row, "-")
			}
			row = append(row, r.Verdict, r.Error)
			t.Rows = append(t.Rows, row)
			continue
		}
		row = append(row, optSci(r.ObjectiveGap, digits, latex))
		m := r.Metrics
		if m == nil {
			m = &Metrics{}
		}
		collapse := "ok"
		switch {
		case r.Verdict == OutOfScope:
			collapse = "-"
		case !m.CollapseAgree:
			collapse = "differs " + fmt.Sprint(m.Disagree)
		}
		marginErr, maxCos := sci(m.MarginError, digits, latex), sci(m.MaxCos, digits, latex)
		if r.Verdict == OutOfScope {
			marginErr = "-"
		}
		row = append(row, optSci(m.NC1, digits, latex), optSci(m.NC2H, digits, latex), optSci(m.NC2W, digits, latex),
			optSci(m.NC2WWT, digits, latex), optSci(m.NC3WH, digits, latex), marginErr, maxCos, collapse,
			sci(r.SolverResidual, digits, latex), sci(r.RestartSpread, digits, latex))
		if withBias {
			row = append(row, optSci(m.BiasError, digits, latex))
		}
		if withKKT {
			kkt := "-"
			if r.ExactKKT != nil {
				if f, _, err := parseBigSci(*r.ExactKKT, digits); err == nil {
					kkt = f
					if latex {
						kkt = latexSci(f)
					}
				}
			}
			row = append(row, kkt)
		}
		verdict := r.Verdict
		if r.Scope != "" {
			verdict += " (" + r.Scope + ")"
		}
		row = append(row, verdict, strings.Join(r.Failed, " "))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// latexSci turns "1.2e-05" into LaTeX math, "$1.2\times10^{-5}$".
func latexSci(s string) string {
	i := strings.IndexByte(s, 'e')
	if i < 0 {
		return "$" + s + "$"
	}
	e, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s
	}
	if e == 0 {
		return "$" + s[:i] + "$"
	}
	return fmt.Sprintf("$%s\\times10^{%d}$", s[:i], e)
}

// parseBigSci shortens a decimal string to digits significant digits in
// scientific notation without going through float64 (exact KKT residuals can
// be below 1e-300).
func parseBigSci(s string, digits int) (string, bool, error) {
	s = strings.TrimSpace(s)
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var err error
		mant = s[:i]
		if exp, err = strconv.Atoi(s[i+1:]); err != nil {
			return "", false, err
		}
	}
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimLeft(mant, "+-")
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	exp += len(intPart) - 1
	trimmed := strings.TrimLeft(all, "0")
	if trimmed == "" {
		return "0", neg, nil
	}
	exp -= len(all) - len(trimmed)
	if len(trimmed) > digits {
		trimmed = trimmed[:digits]
	}
	out := trimmed[:1]
	if len(trimmed) > 1 {
		out += "." + trimmed[1:]
	}
	if neg {
		out = "-" + out
	}
	return fmt.Sprintf("%se%+03d", out, exp), neg, nil
}

// WriteRows renders rows and the summary line in a format.
func WriteRows(w io.Writer, rows []Row, format string, digits int, withKKT bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	t := Table(rows, digits, format == "latex", withKKT)
	if err := t.Write(w, format); err != nil {
		return err
	}
	sum := Summarize(rows).String()
	switch format {
	case "latex":
		fmt.Fprintf(w, "%% %s\n", sum)
	case "markdown":
		fmt.Fprintf(w, "\n%s\n", sum)
	case "text":
		fmt.Fprintln(w, sum)
	}
	return nil
}
