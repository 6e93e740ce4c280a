package render

import (
	"fmt"
	"strconv"
	"strings"

	"nccheck/internal/report"
	"nccheck/metrics"
	"nccheck/verify"
)

// allColumns lists every column in table order: the setting and the
// prediction's summary, the deviations, the solver's figures, the
// distances to SELI, the certificates, the verdict.
func allColumns() []column {
	var cols []column
	for _, group := range [][]column{settingColumns(), metricColumns(), solverColumns(), seliColumns(), certColumns(), verdictColumns()} {
		cols = append(cols, group...)
	}
	return cols
}

// settingColumns are the setting, the theory and the prediction's alive count and f*.
func settingColumns() []column {
	return []column{
		{name: "setting", header: "setting", latex: "setting", cell: func(r verify.Row, _ fmtr) string { return r.Name }},
		{name: "K", header: "K", latex: "$K$", right: true, cell: func(r verify.Row, _ fmtr) string { return strconv.Itoa(len(r.Setting.N)) }},
		{name: "N", header: "N", latex: "$N$", right: true, cell: func(r verify.Row, _ fmtr) string {
			n := 0
			for _, c := range r.Setting.N {
				n += c
			}
			return strconv.Itoa(n)
		}},
		{name: "d", header: "d", latex: "$d$", right: true, cell: func(r verify.Row, _ fmtr) string { return strconv.Itoa(r.Setting.D) }},
		{name: "theory", header: "theory", latex: "theory", cell: func(r verify.Row, _ fmtr) string { return r.Theory }},
		{name: "alive", header: "alive", latex: "alive", right: true, cell: func(r verify.Row, _ fmtr) string {
			if r.Alive < 0 {
				return notApplicable
			}
			return strconv.Itoa(r.Alive)
		}},
		{name: "fstar", header: "f*", latex: "$f^*$", right: true, cell: func(r verify.Row, f fmtr) string {
			if r.PredictedObjective != nil {
				if v, err := strconv.ParseFloat(*r.PredictedObjective, 64); err == nil {
					digits := 12
					if f.text {
						digits = 10
					}
					if f.latex {
						return "$" + strconv.FormatFloat(v, 'g', digits, 64) + "$"
					}
					return strconv.FormatFloat(v, 'g', digits, 64)
				}
			}
			return notApplicable
		}},
	}
}

// metricColumns are the objective gap and the metrics of theory.md section 8 against
// the prediction.
func metricColumns() []column {
	m := metricsOf
	return []column{
		{name: "gap", header: "gap", latex: "gap", right: true, cell: func(r verify.Row, f fmtr) string {
			if r.ObjectiveGap == nil && r.PredictedObjective == nil {
				return notApplicable
			}
			return f.opt(r.ObjectiveGap)
		}},
		{name: "nc1", header: "NC1", latex: "$\\mathrm{NC1}$", right: true, cell: func(r verify.Row, f fmtr) string { return f.metric(r, "nc1", m(r).NC1) }},
		{name: "nc2_h", header: "NC2_H", latex: "$\\mathrm{NC2}_H$", right: true, cell: func(r verify.Row, f fmtr) string { return f.metric(r, "nc2_h", m(r).NC2H) }},
		{name: "nc2_w", header: "NC2_W", latex: "$\\mathrm{NC2}_W$", right: true, cell: func(r verify.Row, f fmtr) string { return f.metric(r, "nc2_w", m(r).NC2W) }},
		{name: "nc2_wwt", header: "NC2_WWT", latex: "$\\mathrm{NC2}_{WW^T}$", right: true, cell: func(r verify.Row, f fmtr) string { return f.metric(r, "nc2_wwt", m(r).NC2WWT) }},
		{name: "nc3_wh", header: "NC3_WH", latex: "$\\mathrm{NC3}_{WH}$", right: true, cell: func(r verify.Row, f fmtr) string { return f.metric(r, "nc3_wh", m(r).NC3WH) }},
		{name: "worst", header: "worst geometry", latex: "worst geometry", right: true, cell: worstGeometry},
		{name: "margin_err", header: "margin err", latex: "margin err", right: true, cell: func(r verify.Row, f fmtr) string {
			if r.Verdict == verify.OutOfScope {
				return notApplicable
			}
			return f.metric(r, "margin_error", m(r).MarginError)
		}},
		{name: "max_cos", header: "max cos", latex: "max cos", right: true, cell: func(r verify.Row, f fmtr) string { return f.sci(m(r).MaxCos) }},
		{name: "collapse", header: "collapse", latex: "collapse", cell: func(r verify.Row, _ fmtr) string {
			switch {
			case r.Verdict == verify.OutOfScope || m(r).CollapseAgree == nil:
				return notApplicable
			case !*m(r).CollapseAgree:
				return "differs " + fmt.Sprint(m(r).Disagree)
			}
			return "ok"
		}},
	}
}

// solverColumns are the solver's residual and restart spread, the bias error and the
// exact KKT residual of the prediction's point.
func solverColumns() []column {
	m := metricsOf
	return []column{
		{name: "solver_res", header: "solver res", latex: "solver res", right: true, cell: func(r verify.Row, f fmtr) string { return f.sci(r.SolverResidual) }},
		{name: "spread", header: "spread", latex: "spread", right: true, cell: func(r verify.Row, f fmtr) string { return f.sci(r.RestartSpread) }},
		{name: "bias_err", header: "bias err", latex: "bias err", right: true,
			optional: func(rows []verify.Row) bool {
				for _, r := range rows {
					if r.Metrics != nil && r.Metrics.BiasError != nil {
						return true
					}
				}
				return false
			},
			cell: func(r verify.Row, f fmtr) string {
				if m(r).BiasError == nil {
					return notApplicable // a bias-free row, or no predicted bias
				}
				return f.sci(*m(r).BiasError)
			}},
		{name: "exact_kkt", header: "exact KKT", latex: "exact KKT", right: true,
			optional: func(rows []verify.Row) bool {
				for _, r := range rows {
					if r.ExactKKT != nil {
						return true
					}
				}
				return false
			},
			cell: func(r verify.Row, f fmtr) string {
				if r.ExactKKT == nil {
					return notApplicable // no predicted point
				}
				s, _, err := report.DecimalSci(*r.ExactKKT, f.digits)
				if err != nil {
					return "-"
				}
				if f.latex {
					return report.LaTeXSci(s)
				}
				return s
			}},
	}
}

// seliColumns are the distances of the solver's minimizer to SELI (plain UFM rows).
func seliColumns() []column {
	return []column{
		{name: "seli", header: "SELI dist", latex: "SELI dist", right: true, optional: hasSELI, cell: seliWorst},
		{name: "seli_wwt", header: "SELI WWT", latex: "$\\mathrm{SELI}_{WW^T}$", right: true, optional: hasSELI,
			cell: func(r verify.Row, f fmtr) string {
				return seliCell(r, f, func(d *metrics.GeometryDist) *float64 { return d.WWT })
			}},
		{name: "seli_hth", header: "SELI HTH", latex: "$\\mathrm{SELI}_{\\bar H^T\\bar H}$", right: true, optional: hasSELI,
			cell: func(r verify.Row, f fmtr) string {
				return seliCell(r, f, func(d *metrics.GeometryDist) *float64 { return d.HTH })
			}},
		{name: "seli_wh", header: "SELI WH", latex: "$\\mathrm{SELI}_{W\\bar H}$", right: true, optional: hasSELI,
			cell: func(r verify.Row, f fmtr) string {
				return seliCell(r, f, func(d *metrics.GeometryDist) *float64 { return d.WH })
			}},
	}
}

// verdictColumns are the verdict and the failed tolerances.
func verdictColumns() []column {
	return []column{
		{name: "verdict", header: "verdict", latex: "verdict", cell: func(r verify.Row, f fmtr) string {
			v := r.Verdict.String()
			if r.Scope != "" && r.Verdict != verify.Failed && !f.text {
				v += " (" + r.Scope + ")"
			}
			return v
		}},
		{name: "failed", header: "failed", latex: "failed", cell: func(r verify.Row, f fmtr) string {
			if r.Verdict == verify.Failed {
				return r.Error
			}
			if f.latex {
				return latexFailed(r.Failed)
			}
			return strings.Join(r.Failed, " ")
		}},
	}
}

// certColumns are the columns of the certificates: the summary "proof",
// the float64 bracket at the solver's point and the prediction's
// big-float certificate.
func certColumns() []column {
	dec := func(v *string, f fmtr) string {
		if v == nil {
			return "-"
		}
		s, _, err := report.DecimalSci(*v, f.digits)
		if err != nil {
			return "-"
		}
		if f.latex {
			return report.LaTeXSci(s)
		}
		return s
	}
	value := func(v *string) string {
		if v == nil {
			return "-"
		}
		if x, err := strconv.ParseFloat(*v, 64); err == nil {
			return strconv.FormatFloat(x, 'g', 12, 64)
		}
		return "-"
	}
	return []column{
		{name: "lower_bound", header: "LB (solver)", latex: "LB (solver)", right: true, cell: func(r verify.Row, _ fmtr) string {
			switch {
			case r.LowerBoundProved != nil:
				return value(r.LowerBoundProved)
			case r.LowerBound == nil:
				return "-"
			}
			return strconv.FormatFloat(*r.LowerBound, 'g', 12, 64)
		}},
		{name: "certified_gap", header: "bracket", latex: "bracket", right: true, cell: func(r verify.Row, f fmtr) string {
			if r.CertifiedGapProved == nil {
				return f.opt(r.CertifiedGap)
			}
			return solverBracket(r, f)
		}},
		{name: "predicted_lower_bound", header: "LB (predicted)", latex: "LB (predicted)", right: true,
			cell: func(r verify.Row, _ fmtr) string {
				if r.PredictedObjective == nil {
					return notApplicable
				}
				return value(r.PredictedLowerBound)
			}},
		{name: "predicted_certificate_gap", header: "proof gap", latex: "proof gap", right: true,
			cell: func(r verify.Row, f fmtr) string {
				if r.PredictedObjective == nil {
					return notApplicable
				}
				return dec(r.PredictedCertificateGap, f)
			}},
		{name: "proof", header: "proof", latex: "proof", right: true, cell: func(r verify.Row, f fmtr) string {
			switch {
			case r.PredictedCertificateGap != nil:
				return dec(r.PredictedCertificateGap, f)
			case r.PredictedObjective == nil:
				return solverBracket(r, f)
			}
			return "-"
		}},
	}
}

// latexFailed writes failed tolerances ("nc2_h>1e-04", "nc2_w undefined",
// "collapse") in LaTeX, the metric and the bound in math.
func latexFailed(failed []string) string {
	tex := map[string]string{"nc1": `\mathrm{NC1}`, "nc2_h": `\mathrm{NC2}_H`, "nc2_w": `\mathrm{NC2}_W`,
		"nc2_wwt": `\mathrm{NC2}_{WW^T}`, "nc3_wh": `\mathrm{NC3}_{WH}`, "objective": `\mathrm{objective}`,
		"margin": `\mathrm{margin}`, "bias": `\mathrm{bias}`, "cos": `\cos`}
	out := make([]string, len(failed))
	for i, item := range failed {
		j := strings.IndexAny(item, "<> ")
		name := item
		if j >= 0 {
			name = item[:j]
		}
		sym, ok := tex[name]
		switch {
		case !ok:
			out[i] = report.LaTeXEscape(item)
		case j < 0:
			out[i] = "$" + sym + "$"
		case item[j] == ' ':
			out[i] = "$" + sym + "$" + report.LaTeXEscape(item[j:])
		default:
			bound := strings.Trim(report.LaTeXSci(item[j+1:]), "$")
			out[i] = "$" + sym + item[j:j+1] + bound + "$"
		}
	}
	return strings.Join(out, ", ")
}

// solverBracket is the width of the bracket at the solver's point: the
// proved one, or the float64 one marked "~" (evidence, not a proof).
func solverBracket(r verify.Row, f fmtr) string {
	switch {
	case r.CertifiedGapProved != nil:
		s, _, err := report.DecimalSci(*r.CertifiedGapProved, f.digits)
		if err != nil {
			return "-"
		}
		if f.latex {
			return report.LaTeXSci(s)
		}
		return s
	case r.CertifiedGap == nil:
		return "-"
	case f.latex:
		return strings.Replace(f.sci(*r.CertifiedGap), "$", `$\sim `, 1)
	}
	return "~" + f.sci(*r.CertifiedGap)
}

// worstGeometry is the largest of NC1, NC2_H, NC2_W, NC2_WWT and NC3_WH
// with its name, e.g. "8.0e-08 NC2_H".
func worstGeometry(r verify.Row, f fmtr) string {
	m := metricsOf(r)
	best, name := -1.0, ""
	for _, kv := range []struct {
		n string
		v *float64
	}{{"NC1", m.NC1}, {"NC2_H", m.NC2H}, {"NC2_W", m.NC2W}, {"NC2_WWT", m.NC2WWT}, {"NC3_WH", m.NC3WH}} {
		if kv.v != nil && *kv.v > best {
			best, name = *kv.v, kv.n
		}
	}
	if name == "" {
		return "undef"
	}
	if f.latex {
		tex := map[string]string{"NC1": `\mathrm{NC1}`, "NC2_H": `\mathrm{NC2}_H`, "NC2_W": `\mathrm{NC2}_W`,
			"NC2_WWT": `\mathrm{NC2}_{WW^T}`, "NC3_WH": `\mathrm{NC3}_{WH}`}[name]
		m := strings.TrimSuffix(f.sci(best), "$")
		return m + `\;(` + tex + `)$`
	}
	return f.sci(best) + " " + name
}

// hasSELI reports whether some row has its distance to SELI.
func hasSELI(rows []verify.Row) bool {
	for _, r := range rows {
		if r.SELI != nil {
			return true
		}
	}
	return false
}

// seliCell is one distance to SELI of a row, "-" on rows without them.
func seliCell(r verify.Row, f fmtr, get func(*metrics.GeometryDist) *float64) string {
	if r.SELI == nil {
		return "-"
	}
	return f.opt(get(r.SELI))
}

// seliWorst is the largest distance to SELI with the matrix it is of,
// e.g. "2.4e-02 WWT".
func seliWorst(r verify.Row, f fmtr) string {
	if r.SELI == nil {
		return "-"
	}
	d := r.SELI
	if d.Max == nil {
		return "undef"
	}
	name, tex := "WH", `W\bar H`
	switch *d.Max {
	case *d.WWT:
		name, tex = "WWT", `WW^T`
	case *d.HTH:
		name, tex = "HTH", `\bar H^T\bar H`
	}
	if f.latex {
		return strings.TrimSuffix(f.sci(*d.Max), "$") + `\;(` + tex + `)$`
	}
	return f.sci(*d.Max) + " " + name
}
