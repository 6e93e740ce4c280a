package report

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// TextWidth is the terminal width every text output of nccheck fits: a
// text table wider than it is split into blocks of columns, and Wrap
// breaks prose at it.
const TextWidth = 120

// Width is the display width of s, in runes (nccheck's text is ASCII but
// for the odd symbol, each one column wide).
func Width(s string) int { return utf8.RuneCountInString(s) }

// Wrap breaks s into lines of at most width runes at spaces: the first
// keeps s's leading spaces, the others start with indent. A word longer
// than a line stays whole; a line that fits is returned as it is.
func Wrap(s string, width int, indent string) []string {
	if Width(s) <= width {
		return []string{s}
	}
	lead := s[:len(s)-len(strings.TrimLeft(s, " "))]
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = lead + word
		case Width(line)+1+Width(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = indent + word
		}
	}
	return append(lines, line)
}

// WrapText is Wrap at TextWidth, joined with newlines.
func WrapText(s, indent string) string {
	return strings.Join(Wrap(s, TextWidth, indent), "\n")
}

// textWidth is the width of the columns cols of t rendered as a text
// table: the widest cell of each column plus a border and two spaces of
// padding each, and the closing border.
func (t *Table) textWidth(cols []int) int {
	w := 1
	for _, c := range cols {
		w += t.columnWidth(c) + 3
	}
	return w
}

func (t *Table) columnWidth(c int) int {
	w := Width(t.Header[c])
	for _, r := range t.Rows {
		if c < len(r) {
			w = max(w, Width(r[c]))
		}
	}
	return w
}

// blocks splits the columns of t into groups that each fit TextWidth as a
// text table, each group starting with the key columns (the first
// max(1, t.Key)) and the others cut only at t.Breaks (anywhere without
// them); a table that fits, or is Wide, is one group. A group holds at
// least one segment beyond the keys, so a segment wider than TextWidth
// stays whole.
func (t *Table) blocks() [][]int {
	all := make([]int, len(t.Header))
	for i := range all {
		all[i] = i
	}
	if len(all) == 0 || t.Wide || t.textWidth(all) <= TextWidth {
		return [][]int{all}
	}
	key := min(max(1, t.Key), len(all))
	var segments [][]int
	for _, c := range all[key:] {
		if len(segments) == 0 || t.Breaks == nil || slices.Contains(t.Breaks, c) {
			segments = append(segments, nil)
		}
		segments[len(segments)-1] = append(segments[len(segments)-1], c)
	}
	var out [][]int
	cur := append([]int(nil), all[:key]...)
	for _, seg := range segments {
		next := append(append([]int(nil), cur...), seg...)
		if len(cur) > key && t.textWidth(next) > TextWidth {
			out = append(out, cur)
			cur = append(append([]int(nil), all[:key]...), seg...)
			continue
		}
		cur = next
	}
	return append(out, cur)
}

// sub is the table of the columns cols of t, without its title.
func (t *Table) sub(cols []int) *Table {
	s := &Table{Key: t.Key, Wide: true}
	for _, c := range cols {
		s.Header = append(s.Header, t.Header[c])
		a := AlignLeft
		if c < len(t.Align) {
			a = t.Align[c]
		}
		s.Align = append(s.Align, a)
	}
	for _, r := range t.Rows {
		row := make([]string, len(cols))
		for i, c := range cols {
			if c < len(r) {
				row[i] = r[c]
			}
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// TextColumns is the width of the widest line of t written as text
// unsplit, its title aside.
func (t *Table) TextColumns() int {
	all := make([]int, len(t.Header))
	for i := range all {
		all[i] = i
	}
	return t.textWidth(all)
}
