package render

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"nccheck/internal/report"
	"nccheck/metrics"
	"nccheck/setting"
	"nccheck/verify"
)

// Formats lists the output formats of Write.
func Formats() []string { return []string{"text", "markdown", "latex", "csv", "json"} }

// WriteOptions choose how Write renders rows.
type WriteOptions struct {
	// Format is one of Formats(); "" means text.
	Format string
	// Digits is the number of significant digits of the deviations
	// (scientific notation); 0 means 2.
	Digits int
	// Columns are the table columns by name (ColumnNames); nil means the
	// default: DefaultTextColumns for text, every column but "worst" for
	// markdown, latex and csv. JSON always writes every field.
	Columns []string
}

// column is one column of the table: its name (for WriteOptions.Columns),
// headers, alignment, and how a row fills it.
type column struct {
	name, header, latex string
	right               bool
	// optional columns appear only when some row has a value for them.
	optional func(rows []verify.Row) bool
	cell     func(r verify.Row, f fmtr) string
}

// fmtr formats numbers for one output format.
type fmtr struct {
	digits int
	latex  bool
	// text is the text table, whose verdict cells leave the scope to the
	// notes under the table.
	text bool
}

func (f fmtr) sci(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "non-finite"
	}
	s := strconv.FormatFloat(v, 'e', f.digits-1, 64)
	if f.latex {
		return report.LaTeXSci(s)
	}
	return s
}

func (f fmtr) opt(v *float64) string {
	if v == nil {
		return "undef"
	}
	return f.sci(*v)
}

// metric formats the metric of the JSON key of r's metrics: "n/a" when it
// does not apply to the row (no prediction, no classifier rule), "undef"
// when its reference has zero norm (theory.md section 8).
func (f fmtr) metric(r verify.Row, key string, v *float64) string {
	if v == nil && r.Metrics != nil && r.Metrics.NotApplicable(key) {
		return notApplicable
	}
	return f.opt(v)
}

// notApplicable marks a cell whose quantity the row does not have (no
// prediction, no bias, no classifier rule); "undef" is a quantity whose
// reference has zero norm, "-" one that was not computed (an error row).
const notApplicable = "n/a"

func metricsOf(r verify.Row) *metrics.Report {
	if r.Metrics == nil {
		return &metrics.Report{}
	}
	return r.Metrics
}

// DefaultTextColumns are the columns of the text table: the setting, the
// alive count, f*, the objective gap, the largest geometry deviation and
// which it is, max cos, collapse agreement, the exact KKT residual, the
// largest distance to SELI (rows of the plain UFM with cross-entropy), the
// proof and the verdict (theory when rows compare several theories; alive,
// f* and gap only when some row has a prediction). The table leaves some
// out to fit TextWidth (textDropOrder); the reasons (scope, failed
// tolerances, errors) go under it.
func DefaultTextColumns() []string {
	return []string{"setting", "K", "N", "d", "theory", "alive", "fstar", "gap", "worst", "max_cos", "collapse", "exact_kkt", "seli", "proof", "verdict"}
}

// fullColumns are the default columns of markdown, latex and csv: every
// column but the text table's summary columns "worst" and "proof".
func fullColumns() []string {
	var out []string
	for _, n := range ColumnNames() {
		if n != "worst" && n != "proof" {
			out = append(out, n)
		}
	}
	return out
}

// ColumnNames lists every column name Write accepts, in table order.
func ColumnNames() []string {
	var out []string
	for _, c := range allColumns() {
		out = append(out, c.name)
	}
	return out
}

// ParseColumns parses a --columns value: "all", "default" or a
// comma-separated list of ColumnNames ("formula" is read as "theory", the
// column's old name). Errors are *setting.InputError with
// Field "Columns".
func ParseColumns(text string) ([]string, error) {
	switch strings.TrimSpace(text) {
	case "", "default":
		return nil, nil
	case "all":
		return ColumnNames(), nil
	}
	known := map[string]bool{}
	for _, n := range ColumnNames() {
		known[n] = true
	}
	var out []string
	for _, f := range strings.Split(text, ",") {
		f = strings.TrimSpace(f)
		if f == "formula" {
			f = "theory" // the column's old name
		}
		if !known[f] {
			return nil, &setting.InputError{Field: "Columns", Value: strconv.Quote(text),
				Reason: fmt.Sprintf("unknown column %q (known: all, default, %s)", f, strings.Join(ColumnNames(), ", "))}
		}
		out = append(out, f)
	}
	return out, nil
}

// table builds the report table of rows with the chosen columns. The
// default text table leaves columns out (textDropOrder) until it fits
// TextWidth, and returns the headers of those it left out.
func table(rows []verify.Row, opt WriteOptions) (*report.Table, []string) {
	f := fmtr{digits: opt.Digits, latex: opt.Format == "latex", text: opt.Format == "text" || opt.Format == ""}
	names := opt.Columns
	auto := names == nil
	if auto && f.text {
		names = DefaultTextColumns()
	} else if auto {
		names = fullColumns()
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var cols []column
	for _, c := range allColumns() {
		if !want[c.name] {
			continue
		}
		if auto && c.optional != nil && !c.optional(rows) {
			continue
		}
		if auto && f.text && !textColumnUseful(c.name, rows) {
			continue
		}
		cols = append(cols, c)
	}
	t := tableOf(rows, cols, f)
	var dropped []string
	for _, name := range textDropOrder() {
		if !auto || !f.text || tableWidth(t) <= TextWidth {
			break
		}
		for i, c := range cols {
			if c.name == name {
				dropped = append(dropped, c.header)
				cols = append(cols[:i:i], cols[i+1:]...)
				t = tableOf(rows, cols, f)
				break
			}
		}
	}
	return t, dropped
}

// tableOf fills the columns cols of rows.
func tableOf(rows []verify.Row, cols []column, f fmtr) *report.Table {
	t := &report.Table{}
	for _, c := range cols {
		h := c.header
		if f.latex {
			h = c.latex
		}
		t.Header = append(t.Header, h)
		a := report.AlignLeft
		if c.right {
			a = report.AlignRight
		}
		t.Align = append(t.Align, a)
	}
	for _, r := range rows {
		row := make([]string, len(cols))
		for i, c := range cols {
			if r.Verdict == verify.Failed && !failedRowKeeps(c.name) {
				row[i] = "-"
				continue
			}
			row[i] = c.cell(r, f)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// TextWidth is the width, in characters, the default text table and the
// lines under it fit in.
const TextWidth = report.TextWidth

// textDropOrder lists the default text columns the table leaves out, in
// this order, while it is wider than TextWidth (a long setting name, a
// theory column); setting, theory, proof and verdict always stay.
func textDropOrder() []string {
	return []string{"exact_kkt", "max_cos", "collapse", "N", "seli", "K", "d", "alive", "worst", "fstar", "gap"}
}

// tableWidth is the width of t in the text format: its widest cell per
// column, padded by one space each side, and a border between and around
// the columns.
func tableWidth(t *report.Table) int {
	width := 1
	for i, h := range t.Header {
		w := utf8.RuneCountInString(h)
		for _, r := range t.Rows {
			w = max(w, utf8.RuneCountInString(report.Printable(r[i])))
		}
		width += w + 3
	}
	return width
}

// notes are the lines under the text table: each distinct reason (scope,
// failed tolerances, error, missing certificate) once, with the rows it
// applies to, wrapped to TextWidth.
func notes(rows []verify.Row) []string {
	var order []string
	byNote := map[string][]string{}
	multi := textColumnUseful("theory", rows)
	for _, r := range rows {
		var parts []string
		switch {
		case r.Verdict == verify.Failed:
			parts = append(parts, "error: "+r.Error)
		case r.Scope != "":
			parts = append(parts, r.Verdict.String()+" ("+r.Scope+")")
		}
		if len(r.Failed) > 0 {
			parts = append(parts, "failed "+strings.Join(r.Failed, " "))
		}
		if r.ProofError != "" {
			parts = append(parts, "no certificate: "+r.ProofError)
		}
		if r.BracketNote != "" {
			parts = append(parts, r.BracketNote)
		}
		if len(parts) == 0 {
			continue
		}
		note := strings.Join(parts, "; ")
		if _, ok := byNote[note]; !ok {
			order = append(order, note)
		}
		name := r.Name
		if multi {
			name += " [" + r.Theory + "]"
		}
		byNote[note] = append(byNote[note], name)
	}
	var out []string
	for _, note := range order {
		out = append(out, wrap(note+": "+nameList(byNote[note]), TextWidth, "    ")...)
	}
	return out
}

// nameList joins row names, the first eight and a count of the rest.
func nameList(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(" and %d more", len(names)-8)
	}
	return strings.Join(names, ", ")
}

// wrap breaks text at spaces into lines of at most width characters (a
// longer word stays whole), indenting the continuation lines.
func wrap(text string, width int, indent string) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(report.Printable(text)) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
			lines = append(lines, line)
			line = indent + w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// failedRowKeeps are the columns a row that could not be computed still
// fills; the others show "-".
func failedRowKeeps(column string) bool {
	switch column {
	case "setting", "K", "N", "d", "theory", "alive", "fstar", "verdict", "failed":
		return true
	}
	return false
}

// textColumnUseful drops default text columns that would be empty or say
// nothing: theory when every row compares the same theory, failed when no
// row failed anything, alive, f* and gap when no row has a prediction.
func textColumnUseful(name string, rows []verify.Row) bool {
	switch name {
	case "theory":
		for _, r := range rows {
			if r.Theory != rows[0].Theory {
				return true
			}
		}
		return false
	case "failed":
		for _, r := range rows {
			if len(r.Failed) > 0 || r.Error != "" {
				return true
			}
		}
		return false
	case "alive", "fstar", "gap":
		for _, r := range rows {
			if r.PredictedObjective != nil {
				return true
			}
		}
		return false
	}
	return true
}

// Write renders rows and the summary line in a format: text (the default
// columns), markdown, latex (booktabs) or csv (every column), or json (one
// object per row per line, every field).
func Write(w io.Writer, rows []verify.Row, opt WriteOptions) error {
	if opt.Digits <= 0 {
		opt.Digits = 2
	}
	if opt.Format == "" {
		opt.Format = "text"
	}
	if opt.Format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	t, dropped := table(rows, opt)
	t.Wide = opt.Columns != nil // the columns were asked for: never split
	if err := t.Write(w, opt.Format); err != nil {
		return err
	}
	sum := verify.Summarize(rows).String()
	switch opt.Format {
	case "latex":
		fmt.Fprintf(w, "%% %s\n", sum)
	case "markdown":
		fmt.Fprintf(w, "\n%s\n", report.MarkdownEscape(sum))
	case "text":
		var lines []string
		if len(dropped) > 0 {
			lines = append(lines, wrap(fmt.Sprintf("(left out to fit %d columns: %s; --columns all shows every column)", TextWidth, strings.Join(dropped, ", ")), TextWidth, "    ")...)
		}
		lines = append(lines, notes(rows)...)
		lines = append(lines, wrap(sum, TextWidth, "    ")...)
		for _, l := range lines {
			if _, err := fmt.Fprintln(w, l); err != nil {
				return err
			}
		}
	}
	return nil
}
