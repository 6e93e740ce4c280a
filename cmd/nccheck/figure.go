package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// figureDPI is the resolution of the PNG figures: a 6.4-inch-wide figure
// is 1280 pixels wide, its text as large as on the page.
const figureDPI = 200

// texPlot is a new plot whose title, axis labels, tick labels and legend
// are set by scriptText: TeX's _x, _{xy}, ^x and ^{xy} as sub- and
// superscripts (Greek letters and norms are written as Unicode: ρ, μ, ‖).
// (gonum's text.Latex handler has no subscripts and panics on |.)
func texPlot() *plot.Plot {
	p := plot.New()
	h := scriptText{text.Plain{Fonts: font.DefaultCache}}
	p.TextHandler = h
	p.Title.TextStyle.Handler, p.Title.TextStyle.Font.Size = h, vg.Points(11)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Handler, ax.Label.TextStyle.Font.Size = h, vg.Points(10)
		ax.Tick.Label.Handler, ax.Tick.Label.Font.Size = h, vg.Points(9)
	}
	p.Legend.TextStyle.Handler, p.Legend.TextStyle.Font.Size = h, vg.Points(9)
	return p
}

// scriptText is text.Plain with TeX's sub- and superscripts: after _ or ^
// one character, or a {group}, set at 70% size below or above the line.
type scriptText struct{ text.Plain }

// scriptRun is a piece of a line: its text and its shift (-1 subscript, 0
// on the line, +1 superscript).
type scriptRun struct {
	s     string
	shift int
}

// runs splits a line into runs.
func (scriptText) runs(line string) []scriptRun {
	var out []scriptRun
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, scriptRun{cur.String(), 0})
			cur.Reset()
		}
	}
	for i := 0; i < len(line); {
		c := line[i]
		if (c == '_' || c == '^') && i+1 < len(line) {
			flush()
			shift := -1
			if c == '^' {
				shift = 1
			}
			j := i + 1
			if e := strings.IndexByte(line[j:], '}'); line[j] == '{' && e > 0 {
				out = append(out, scriptRun{line[j+1 : j+e], shift})
				i = j + e + 1
				continue
			}
			_, size := utf8.DecodeRuneInString(line[j:])
			out = append(out, scriptRun{line[j : j+size], shift})
			i = j + size
			continue
		}
		_, size := utf8.DecodeRuneInString(line[i:])
		cur.WriteString(line[i : i+size])
		i += size
	}
	flush()
	return out
}

// face is the font of a run: 70% of fnt for a sub- or superscript.
func (h scriptText) face(fnt font.Font, r scriptRun) font.Face {
	if r.shift != 0 {
		fnt.Size *= 0.7
	}
	return h.Fonts.Lookup(fnt, fnt.Size)
}

// width is the width of a line set in fnt.
func (h scriptText) width(line string, fnt font.Font) vg.Length {
	w := vg.Length(0)
	for _, r := range h.runs(line) {
		f := h.face(fnt, r)
		w += f.Width(r.s)
	}
	return w
}

// Box returns the width, the height above the baseline and the depth of
// a one-line text.
func (h scriptText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	f := h.Fonts.Lookup(fnt, fnt.Size)
	ext := f.Extents()
	return h.width(txt, fnt), ext.Ascent * 1.15, ext.Descent * 1.2
}

// scriptRise is how far a run is raised, in units of the font size.
func scriptRise(shift int) vg.Length {
	switch shift {
	case -1:
		return -0.22
	case 1:
		return 0.38
	}
	return 0
}

// Draw draws txt as text.Plain does, each run at its size and shift.
func (h scriptText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if txt == "" {
		return
	}
	fnt := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos, sin := vg.Length(cos64), vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	lines := h.Lines(txt)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - fnt.Extents().Ascent
	for i, line := range lines {
		x := pt.X + vg.Length(sty.XAlign)*h.width(line, sty.Font)
		y := pt.Y + vg.Length(len(lines)-i)*sty.Font.Size
		for _, r := range h.runs(line) {
			f := h.face(sty.Font, r)
			c.FillString(f, vg.Point{X: x, Y: y + scriptRise(r.shift)*sty.Font.Size}, r.s)
			x += f.Width(r.s)
		}
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

// seriesColors are ten colours told apart on screen and in print (the
// Tableau 10 palette), and seriesShapes the eight markers of gonum's draw:
// series i gets colour i mod 10 and marker (i + i/10) mod 8, a pair no
// other series below 40 has.
func seriesColors() []color.Color {
	hex := []uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf}
	out := make([]color.Color, len(hex))
	for i, h := range hex {
		out[i] = color.RGBA{R: uint8(h >> 16), G: uint8(h >> 8), B: uint8(h), A: 255}
	}
	return out
}

func seriesShapes() []draw.GlyphDrawer {
	return []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
		draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}}
}

// styleSeries gives series i of a line-and-points plot its colour, its
// marker and, past the first eight, a dashed line.
func styleSeries(i int, l *plotter.Line, s *plotter.Scatter) {
	colors, shapes := seriesColors(), seriesShapes()
	c := colors[i%len(colors)]
	if l != nil {
		l.Color = c
		l.Width = vg.Points(1.2)
		if i >= 8 {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(2)}
		}
	}
	if s != nil {
		s.Color = c
		s.Shape = shapes[(i+i/len(colors))%len(shapes)]
		s.Radius = vg.Points(3)
	}
}

// saveFigure writes p as base.svg and base.png, w x h, with legend (when
// not nil) in a column of its own right of the axes, outside the data.
func saveFigure(p *plot.Plot, legend *plot.Legend, base string, w, h vg.Length) error {
	svg := vgsvg.New(w, h)
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figureDPI))
	for _, c := range []vg.CanvasSizer{svg, png} {
		dc := draw.New(c)
		if legend == nil {
			p.Draw(dc)
			continue
		}
		lw := legendWidth(legend)
		p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		legend.Draw(draw.Crop(dc, w-lw+vg.Points(6), 0, 0, -vg.Points(20)))
	}
	for _, out := range []struct {
		ext string
		wt  io.WriterTo
	}{{".svg", svg}, {".png", vgimg.PngCanvas{Canvas: png}}} {
		if err := writeFigure(base+out.ext, out.wt); err != nil {
			return err
		}
	}
	return nil
}

// legendWidth is the width of a legend's column: its longest entry, the
// thumbnail and a margin.
func legendWidth(l *plot.Legend) vg.Length {
	r := l.Rectangle(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 100 * vg.Inch, Y: 100 * vg.Inch}}})
	return r.Max.X - r.Min.X + vg.Points(16)
}

func writeFigure(path string, wt io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// epochTicks marks the powers of ten of a log epoch axis (1, 10, 100,
// ...), the unlabelled 2..9 between them, and the last epoch, labelled.
type epochTicks struct{ last float64 }

// Ticks returns the ticks between lo and hi.
func (t epochTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < lo || v > hi || v == t.last {
				continue // the last epoch is added below, labelled
			}
			tk := plot.Tick{Value: v}
			// A power of ten is labelled unless it crowds the last epoch.
			if m == 1 && (v == t.last || math.Abs(math.Log10(t.last/v)) > 0.15) {
				tk.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			out = append(out, tk)
		}
	}
	if t.last >= lo && t.last <= hi {
		out = append(out, plot.Tick{Value: t.last, Label: strconv.FormatFloat(t.last, 'f', -1, 64)})
	}
	return out
}
