package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Table is a header and rows of cells. Cells are printed as given (no
// case changes, no wrapping; Markdown escapes them). Numeric columns are
// right-aligned when Align[i] is AlignRight. A text table wider than
// TextWidth is printed as blocks of columns, one under the other, each
// starting with the key columns that name a row.
type Table struct {
	Title  string   // optional; a caption line in text, a heading comment elsewhere
	Header []string // column names
	Rows   [][]string
	Align  []Align // per column; missing entries are AlignLeft
	Key    int     // leading columns repeated in every block of a split text table; 0 means 1
	Wide   bool    // text: one table however wide (the columns were asked for)
	// Breaks are the columns a split text table may start a block at
	// (beyond the keys); nil means any.
	Breaks []int
}

// Align is a column alignment.
type Align int

const (
	AlignLeft Align = iota
	AlignRight
)

// Formats are the table formats Write understands.
func Formats() []string { return []string{"text", "markdown", "latex", "csv"} }

// Write renders t in the named format: text, markdown, latex or csv. A
// cell, title or header with a control character (an escape sequence, a
// newline) is written quoted with Go escapes (Printable), never raw.
func (t *Table) Write(w io.Writer, format string) error {
	t = t.printable()
	switch format {
	case "text":
		return t.writeTW(w, false)
	case "markdown":
		return t.writeTW(w, true)
	case "latex":
		return t.writeLaTeX(w)
	case "csv":
		return t.writeCSV(w)
	}
	return fmt.Errorf("report: unknown table format %q", format)
}

func (t *Table) aligns() []tw.Align {
	a := make([]tw.Align, len(t.Header))
	for i := range a {
		a[i] = tw.AlignLeft
		if i < len(t.Align) && t.Align[i] == AlignRight {
			a[i] = tw.AlignRight
		}
	}
	return a
}

func (t *Table) writeTW(w io.Writer, markdown bool) error {
	if markdown {
		if t.Title != "" {
			fmt.Fprintf(w, "**%s**\n\n", MarkdownEscape(t.Title))
		}
		return t.markdownCells().render(w, true)
	}
	if t.Title != "" {
		fmt.Fprintln(w, WrapText(t.Title, "  "))
	}
	for i, cols := range t.blocks() {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := t.sub(cols).render(w, false); err != nil {
			return err
		}
	}
	return nil
}

// markdownCells is t with its header and cells escaped for Markdown.
func (t *Table) markdownCells() *Table {
	out := &Table{Align: t.Align, Key: t.Key}
	return t.mapCells(out, MarkdownEscape)
}

// mapCells sets out's header and rows to t's passed through f and returns
// out.
func (t *Table) mapCells(out *Table, f func(string) string) *Table {
	for _, h := range t.Header {
		out.Header = append(out.Header, f(h))
	}
	for _, row := range t.Rows {
		r := make([]string, len(row))
		for i, c := range row {
			r[i] = f(c)
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

// render writes the header and rows of t (not its title) through
// tablewriter.
func (t *Table) render(w io.Writer, markdown bool) error {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: t.aligns()}),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: t.aligns()}),
	}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})))
	}
	tab := tablewriter.NewTable(w, opts...)
	header := make([]any, len(t.Header))
	for i, h := range t.Header {
		header[i] = h
	}
	tab.Header(header...)
	for _, r := range t.Rows {
		if err := tab.Append(r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func (t *Table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// LaTeXEscape escapes the characters LaTeX treats specially in text, and
// sets < > | as the text symbols (in text mode the OT1 encoding prints
// other glyphs for them).
func LaTeXEscape(s string) string {
	r := strings.NewReplacer(`\`, `\textbackslash{}`, `&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`,
		`_`, `\_`, `{`, `\{`, `}`, `\}`, `~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
		`<`, `\textless{}`, `>`, `\textgreater{}`, `|`, `\textbar{}`)
	return r.Replace(s)
}

// writeLaTeX writes a booktabs tabular (needs \usepackage{booktabs}).
// Cells are escaped but for their $...$ math (latexCell).
func (t *Table) writeLaTeX(w io.Writer) error {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "%% %s\n", t.Title)
	}
	b.WriteString("% requires \\usepackage{booktabs}\n")
	b.WriteString("\\begin{tabular}{")
	for _, a := range t.aligns() {
		if a == tw.AlignRight {
			b.WriteString("r")
		} else {
			b.WriteString("l")
		}
	}
	b.WriteString("}\n\\toprule\n")
	b.WriteString(latexRow(t.Header))
	b.WriteString("\\midrule\n")
	for _, r := range t.Rows {
		b.WriteString(latexRow(r))
	}
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func latexRow(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = latexCell(c)
	}
	return strings.Join(out, " & ") + " \\\\\n"
}

// latexCell escapes the text of a cell and keeps its math: a cell with an
// even number of $ is text and $...$ math in turn ("ce $M_k$"); a cell
// with an odd number is all text.
func latexCell(c string) string {
	parts := strings.Split(c, "$")
	if len(parts)%2 == 0 {
		return LaTeXEscape(c)
	}
	for i := range parts {
		if i%2 == 0 {
			parts[i] = LaTeXEscape(parts[i])
		}
	}
	return strings.Join(parts, "$")
}

// LaTeXSci turns a number in Go's 'e' format ("1.2e-05") into LaTeX math,
// "$1.2\times10^{-5}$" ("$1.2$" for a zero exponent); other text is
// returned unchanged.
func LaTeXSci(s string) string {
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

// Printable is s, or s quoted with Go escapes (strconv.Quote) when it has a
// character that must not reach a terminal raw: a C0 or C1 control
// character (ESC starts the terminal's escape sequences), DEL, or an
// invalid UTF-8 byte.
func Printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}

// printable returns t, or a copy with every string passed through
// Printable when one of them needs it.
func (t *Table) printable() *Table {
	clean := Printable(t.Title) == t.Title
	for _, h := range t.Header {
		clean = clean && Printable(h) == h
	}
	for _, row := range t.Rows {
		for _, c := range row {
			clean = clean && Printable(c) == c
		}
	}
	if clean {
		return t
	}
	out := &Table{Title: Printable(t.Title), Align: t.Align}
	return t.mapCells(out, Printable)
}

// DecimalSci shortens a decimal string to digits significant digits
// (truncated) in scientific notation without going through float64 (big-float
// residuals and certificate gaps can be below 1e-300), and reports whether it
// is negative.
func DecimalSci(s string, digits int) (string, bool, error) {
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
