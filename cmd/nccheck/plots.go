package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"nccheck/checkpoint"
	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify"
)

// writePlots writes, as SVG and PNG: predicted vs measured rho_k and M_k over
// every in-scope class of every row; and for the minority-collapse suite the
// measured ||mu_4|| against n_4 with the predicted threshold marked.
func writePlots(dir string, cases []verify.Case, rows []verify.Row, suite string) error {
	byName := map[string]verify.Case{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	var rho, margin plotter.XYs
	for _, r := range rows {
		if r.Verdict == verify.OutOfScope || r.Verdict == verify.Certified || r.Verdict == verify.Failed || r.Metrics == nil {
			continue
		}
		for k, pr := range r.PredictedRho {
			mn := r.Metrics.MeanNorm[k]
			rho = append(rho, plotter.XY{X: pr, Y: mn * mn})
			margin = append(margin, plotter.XY{X: r.PredictedMargin[k], Y: r.Metrics.MeasuredMargin[k]})
		}
	}
	if len(rho) > 0 {
		if err := scatterVsPrediction(filepath.Join(dir, "rho"), "feature norms rho_k = ||h_k||^2", "predicted rho_k", "measured ||mu_k||^2", rho); err != nil {
			return err
		}
		if err := scatterVsPrediction(filepath.Join(dir, "margin"), "margins M_k", "predicted M_k", "measured min_j (W mu_k)_k - (W mu_k)_j", margin); err != nil {
			return err
		}
	}
	if paths := verify.SELIPaths(rows); len(paths) > 0 {
		if err := seliPathPlot(filepath.Join(dir, "seli-path"), paths); err != nil {
			return err
		}
	}
	if suite == "minority-collapse" {
		return minorityPlot(filepath.Join(dir, "minority-collapse"), byName, rows)
	}
	return nil
}

// seliPathPlot draws, on log-log axes, the distance to SELI against
// lambda_W for each path (verify.SELIPaths), with the fit
// C (log 1/lambda_W)^p to the path's smallest lambdas dashed.
func seliPathPlot(base string, paths []verify.SELIPath) error {
	p := plot.New()
	p.Title.Text = "distance of the minimizer to SELI"
	p.X.Label.Text = "lambda_W"
	p.Y.Label.Text = "dist to SELI (largest of the three)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: 1}, ticks125{}
	palette := plotutil.SoftColors
	ymax := 0.0
	for i, path := range paths {
		var meas, fit plotter.XYs
		f := path.Tail.Log
		for j, lw := range path.LambdaW {
			ymax = math.Max(ymax, path.Dist[j])
			meas = append(meas, plotter.XY{X: lw, Y: path.Dist[j]})
			fit = append(fit, plotter.XY{X: lw, Y: math.Exp(f.Intercept + f.Slope*math.Log(math.Log(1/lw)))})
		}
		l, s, err := plotter.NewLinePoints(meas)
		if err != nil {
			return err
		}
		l.Color = palette[i%len(palette)]
		s.Color, s.Shape = l.Color, plotutil.Shape(i)
		fl, err := plotter.NewLine(fit)
		if err != nil {
			return err
		}
		fl.Color = l.Color
		fl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l, s, fl)
		name := "n = " + setting.FormatCounts(path.Counts)
		if path.Ratio != "1" {
			name += ", lambda_H/lambda_W = " + path.Ratio
		}
		p.Legend.Add(name, l, s)
		p.Legend.Add(fmt.Sprintf("fit (log 1/lambda_W)^%.3g", f.Slope), fl)
	}
	p.Y.Max = 6 * ymax // room above the curves for the legend
	p.Legend.Top = true
	p.Legend.Left = true
	return save(p, base)
}

// ticks125 marks 1, 2 and 5 times each power of ten in the range (labelled)
// for a log axis spanning about a decade, where plot.LogTicks has one tick.
type ticks125 struct{}

// Ticks returns the ticks between lo and hi (both > 0).
func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 1, 64)})
			}
		}
	}
	return out
}

func scatterVsPrediction(base, title, xl, yl string, pts plotter.XYs) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, q := range pts {
		lo = math.Min(lo, math.Min(q.X, q.Y))
		hi = math.Max(hi, math.Max(q.X, q.Y))
	}
	line, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	line.Color = color.Gray{Y: 150}
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	p.Add(line, sc)
	p.Legend.Add("y = x", line)
	p.Legend.Add("classes", sc)
	p.Legend.Top = true
	p.Legend.Left = true
	return save(p, base)
}

// minorityPlot draws ||mu_K|| of the last class against its count n_K for the
// rows named "minority-n4-*", with the prediction sqrt(rho_K) and the
// predicted threshold n_lo marked.
func minorityPlot(base string, byName map[string]verify.Case, rows []verify.Row) error {
	var meas, pred plotter.XYs
	nlo := math.NaN()
	for _, r := range rows {
		if !strings.HasPrefix(r.Name, "minority-n4-") || r.Metrics == nil || r.Theory != "paper" {
			continue
		}
		c, ok := byName[r.Name]
		k := c.Setting.K() - 1
		if !ok || len(r.PredictedRho) != c.Setting.K() {
			continue
		}
		meas = append(meas, plotter.XY{X: float64(c.Setting.Counts[k]), Y: r.Metrics.MeanNorm[k]})
		pred = append(pred, plotter.XY{X: float64(c.Setting.Counts[k]), Y: math.Sqrt(r.PredictedRho[k])})
		if math.IsNaN(nlo) {
			// The smaller collapse root of class K depends on the other
			// classes' counts only: every row of the sweep gives the same one.
			p, err := closedform.Auto{}.Predict(c.Setting, 128)
			if err != nil {
				return err
			}
			if p.Classes[k].CollapseRoots.Real {
				nlo, _ = p.Classes[k].CollapseRoots.Lo.Float64()
			}
		}
	}
	if len(meas) == 0 {
		return nil
	}
	sortXY(meas)
	sortXY(pred)
	p := plot.New()
	p.Title.Text = "minority collapse: class 4"
	p.X.Label.Text = "n_4"
	p.Y.Label.Text = "||mu_4||"
	pl, err := plotter.NewLine(pred)
	if err != nil {
		return err
	}
	pl.Color = color.Gray{Y: 120}
	sc, err := plotter.NewScatter(meas)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	p.Add(pl, sc)
	p.Legend.Add("predicted sqrt(rho_4)", pl)
	p.Legend.Add("measured", sc)
	if !math.IsNaN(nlo) {
		ymax := 0.0
		for _, q := range append(append(plotter.XYs{}, meas...), pred...) {
			ymax = math.Max(ymax, q.Y)
		}
		th, err := plotter.NewLine(plotter.XYs{{X: nlo, Y: 0}, {X: nlo, Y: ymax}})
		if err != nil {
			return err
		}
		th.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		th.Color = color.RGBA{B: 200, A: 255}
		p.Add(th)
		p.Legend.Add(fmt.Sprintf("threshold n_lo = %.4g", nlo), th)
	}
	p.Legend.Top = false // bottom right, clear of the threshold line
	return save(p, base)
}

func sortXY(xy plotter.XYs) {
	for i := 1; i < len(xy); i++ {
		for j := i; j > 0 && xy[j].X < xy[j-1].X; j-- {
			xy[j], xy[j-1] = xy[j-1], xy[j]
		}
	}
}

func save(p *plot.Plot, base string) error {
	for _, ext := range []string{".svg", ".png"} {
		if err := p.Save(6*vg.Inch, 4.5*vg.Inch, base+ext); err != nil {
			return fmt.Errorf("plot %s: %w", base+ext, err)
		}
	}
	return nil
}

// writeMeasurePlots writes, as SVG and PNG: the metrics of every
// checkpoint and the bound's f - LB against the epoch on log axes
// (measure-metrics), and for the
// last checkpoint the measured and predicted rho_k and M_k against n_k
// (measure-rho, measure-margin). Zero or undefined values and epoch 0 are
// left out of the log plot.
func writeMeasurePlots(dir string, reports []*checkpoint.Report) error {
	if len(reports) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "deviation from the prediction against epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "metric"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	series := []struct {
		name string
		get  func(r *checkpoint.Report) *float64
	}{
		{"|objective gap|", func(r *checkpoint.Report) *float64 {
			if r.ObjectiveGap == nil {
				return nil
			}
			v := math.Abs(*r.ObjectiveGap)
			return &v
		}},
		{"f - LB (bound)", func(r *checkpoint.Report) *float64 { return r.BoundGap }},
		{"NC1", func(r *checkpoint.Report) *float64 { return r.Metrics.NC1 }},
		{"NC2_H", func(r *checkpoint.Report) *float64 { return r.Metrics.NC2H }},
		{"NC2_W", func(r *checkpoint.Report) *float64 { return r.Metrics.NC2W }},
		{"NC2_W balanced", func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WBalanced }},
		{"NC2_WWT", func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WWT }},
		{"NC3_WH", func(r *checkpoint.Report) *float64 { return r.Metrics.NC3WH }},
		{"max cos", func(r *checkpoint.Report) *float64 { v := r.Metrics.MaxCos; return &v }},
	}
	palette := plotutil.SoftColors
	drawn := 0
	for i, sr := range series {
		var xy plotter.XYs
		for _, r := range reports {
			v := sr.get(r)
			if r.Epoch == nil || *r.Epoch < 1 || v == nil || !(*v > 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(*r.Epoch), Y: *v})
		}
		if len(xy) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color = palette[i%len(palette)]
		s.Color = l.Color
		s.Shape = plotutil.Shape(i)
		if i >= len(palette) {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l, s)
		p.Legend.Add(sr.name, l, s)
		drawn++
	}
	if drawn > 0 {
		p.Legend.Top = false
		p.Legend.Left = true
		if err := save(p, filepath.Join(dir, "measure-metrics")); err != nil {
			return err
		}
	}
	last := reports[len(reports)-1]
	title := filepath.Base(last.File)
	if last.Epoch != nil {
		title = fmt.Sprintf("epoch %d", *last.Epoch)
	}
	for _, fig := range []struct {
		base, what string
		meas       func(c checkpoint.ClassReport) float64
		pred       func(c checkpoint.ClassReport) *float64
	}{
		{"measure-rho", "rho_k = ||mu_k||^2", func(c checkpoint.ClassReport) float64 { return c.FeatureNormSq },
			func(c checkpoint.ClassReport) *float64 { return c.PredictedFeatureNormSq }},
		{"measure-margin", "margin M_k", func(c checkpoint.ClassReport) float64 { return c.Margin },
			func(c checkpoint.ClassReport) *float64 { return c.PredictedMargin }},
	} {
		var meas, pred plotter.XYs
		for _, c := range last.Classes {
			meas = append(meas, plotter.XY{X: float64(c.N), Y: fig.meas(c)})
			if v := fig.pred(c); v != nil {
				pred = append(pred, plotter.XY{X: float64(c.N), Y: *v})
			}
		}
		p := plot.New()
		p.Title.Text = fig.what + " against n_k, " + title
		p.X.Label.Text = "n_k (class count)"
		p.Y.Label.Text = fig.what
		sc, err := plotter.NewScatter(meas)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		p.Add(sc)
		p.Legend.Add("measured", sc)
		if len(pred) > 0 {
			// Markers only: the prediction is a value per class of this
			// setting, not a curve in n_k (changing n_k changes N).
			ps, err := plotter.NewScatter(pred)
			if err != nil {
				return err
			}
			ps.GlyphStyle.Shape = draw.CrossGlyph{}
			ps.GlyphStyle.Radius = vg.Points(5)
			ps.GlyphStyle.Color = color.Gray{Y: 60}
			p.Add(ps)
			p.Legend.Add("predicted", ps)
		}
		// Room above the points for the legend.
		ymax := 0.0
		for _, q := range append(append(plotter.XYs{}, meas...), pred...) {
			ymax = math.Max(ymax, q.Y)
		}
		p.Y.Max = math.Max(p.Y.Max, 1.2*ymax)
		p.Legend.Top = true
		if err := save(p, filepath.Join(dir, fig.base)); err != nil {
			return err
		}
	}
	return nil
}
