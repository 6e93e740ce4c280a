package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s      string
		width  int
		indent string
		want   []string
	}{
		{"short", 10, "  ", []string{"short"}},
		{"one two three four", 9, "  ", []string{"one two", "  three", "  four"}},
		{"  lead  kept when it fits", 40, "", []string{"  lead  kept when it fits"}},
		{"  lead word wraps", 10, "    ", []string{"  lead", "    word", "    wraps"}},
		{"averyveryverylongword x", 5, "", []string{"averyveryverylongword", "x"}},
	} {
		if got := Wrap(tc.s, tc.width, tc.indent); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Wrap(%q, %d, %q) = %q, want %q", tc.s, tc.width, tc.indent, got, tc.want)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"n_k", "n_k"},
		{"rho_k=|h_k|^2", `rho_k=\|h_k\|^2`},
		{"f* (predicted)", `f\* (predicted)`},
		{"_lead and trail_", `\_lead and trail\_`},
		{"a~b `c` <d> & e\\", "a\\~b \\`c\\` \\<d> \\& e\\\\"},
	} {
		if got := MarkdownEscape(tc.in); got != tc.want {
			t.Errorf("MarkdownEscape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLaTeXCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"n_k", `n\_k`},
		{"ce $M_k$", "ce $M_k$"},
		{"$1$ and $x_2$", "$1$ and $x_2$"},
		{"a $ b_c", `a \$ b\_c`},
		{"x < y | z", `x \textless{} y \textbar{} z`},
	} {
		if got := latexCell(tc.in); got != tc.want {
			t.Errorf("latexCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSplitText: a text table wider than TextWidth is printed as blocks
// that each fit, every block starting with the key columns and cut only at
// the breaks; a Wide table, or one that fits, is one block.
func TestSplitText(t *testing.T) {
	wide := func() *Table {
		tab := &Table{Title: "title", Header: []string{"key"}}
		row := []string{"k0"}
		for i := 0; i < 12; i++ {
			tab.Header = append(tab.Header, strings.Repeat(string(rune('a'+i)), 10))
			row = append(row, "1234567890")
		}
		tab.Rows = [][]string{row}
		return tab
	}
	for _, tc := range []struct {
		name   string
		edit   func(*Table)
		blocks [][]int
	}{
		{"fits", func(t *Table) { t.Header, t.Rows[0] = t.Header[:5], t.Rows[0][:5] }, [][]int{{0, 1, 2, 3, 4}}},
		{"any column", func(*Table) {}, [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 9, 10, 11, 12}}},
		{"breaks", func(t *Table) { t.Breaks = []int{7} }, [][]int{{0, 1, 2, 3, 4, 5, 6}, {0, 7, 8, 9, 10, 11, 12}}},
		{"two keys", func(t *Table) { t.Key = 2 }, [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8}, {0, 1, 9, 10, 11, 12}}},
		{"wide", func(t *Table) { t.Wide = true }, [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}},
	} {
		tab := wide()
		tc.edit(tab)
		if got := tab.blocks(); !reflect.DeepEqual(got, tc.blocks) {
			t.Errorf("%s: blocks %v, want %v", tc.name, got, tc.blocks)
		}
		var b bytes.Buffer
		if err := tab.Write(&b, "text"); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if n := Width(l); n > TextWidth && !tab.Wide {
				t.Errorf("%s: line of %d columns: %s", tc.name, n, l)
			}
		}
		if got := strings.Count(b.String(), "| key "); got != len(tc.blocks) {
			t.Errorf("%s: key column in %d blocks, want %d", tc.name, got, len(tc.blocks))
		}
	}
}
