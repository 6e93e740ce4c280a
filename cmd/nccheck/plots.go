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
	rho, margin := scatterGroups(rows)
	if len(rho) > 0 {
		if err := scatterVsPrediction(filepath.Join(dir, "rho"), "feature norms ρ_k = ‖h_k‖^2, every class of every row",
			"predicted ρ_k", "measured ‖μ_k‖^2", rho); err != nil {
			return err
		}
		if err := scatterVsPrediction(filepath.Join(dir, "margin"), "margins M_k, every class of every row",
			"predicted M_k", "measured min_{j≠k} (Wμ_k)_k - (Wμ_k)_j", margin); err != nil {
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
	p := texPlot()
	p.Title.Text = "distance of the minimizer to SELI"
	p.X.Label.Text = "λ_W (log)"
	p.Y.Label.Text = "dist to SELI, largest of three (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: 1}, ticks125{}
	legend := p.Legend // the plot's style; drawn beside the axes
	legend.Top, legend.Left = true, true
	for i, path := range paths {
		var meas, fit plotter.XYs
		f := path.Tail.Log
		for j, lw := range path.LambdaW {
			meas = append(meas, plotter.XY{X: lw, Y: path.Dist[j]})
			fit = append(fit, plotter.XY{X: lw, Y: math.Exp(f.Intercept + f.Slope*math.Log(math.Log(1/lw)))})
		}
		l, s, err := plotter.NewLinePoints(meas)
		if err != nil {
			return err
		}
		styleSeries(i, l, s)
		l.Dashes = nil
		fl, err := plotter.NewLine(fit)
		if err != nil {
			return err
		}
		fl.Color = l.Color
		fl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l, s, fl)
		name := "n = " + setting.FormatCounts(path.Counts)
		if path.Ratio != "1" {
			name += ", λ_H/λ_W = " + path.Ratio
		}
		legend.Add(name, l, s)
		legend.Add(fmt.Sprintf("fit (log 1/λ_W)^{%.3g}", f.Slope), fl)
	}
	p.Add(plotter.NewGrid())
	return saveFigure(p, &legend, base, 7.2*vg.Inch, 4.5*vg.Inch)
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

// decadeTicks is plot.LogTicks with its labels written with one
// significant digit ("1e-05", "0.001"), so that a power of ten computed
// with rounding (9.999999999999999e-05) prints as the power it is.
type decadeTicks struct{}

// Ticks returns plot.LogTicks' ticks between lo and hi (both > 0),
// relabelled.
func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 1, 64)
		}
	}
	return ticks
}

// scatterGroup is one colour of a scatter: its legend name and points.
type scatterGroup struct {
	name string
	pts  plotter.XYs
}

// scatterGroups collects (predicted, measured) rho_k and M_k of every
// class of the rows with a prediction, grouped by row when there are at
// most 20 such rows and by the class count K otherwise, so that rows can
// be told apart.
func scatterGroups(rows []verify.Row) (rho, margin []scatterGroup) {
	var in []verify.Row
	for _, r := range rows {
		if r.Verdict == verify.OutOfScope || r.Verdict == verify.Certified || r.Verdict == verify.Failed || r.Metrics == nil {
			continue
		}
		in = append(in, r)
	}
	index := map[string]int{}
	for _, r := range in {
		key := r.Name
		if len(in) > 20 {
			key = fmt.Sprintf("K = %d", len(r.Setting.N))
		} else if r.Theory != "" && r.Theory != "paper" {
			key += " (" + r.Theory + ")"
		}
		i, ok := index[key]
		if !ok {
			i = len(rho)
			index[key] = i
			rho, margin = append(rho, scatterGroup{name: key}), append(margin, scatterGroup{name: key})
		}
		for k, pr := range r.PredictedRho {
			mn := r.Metrics.MeanNorm[k]
			rho[i].pts = append(rho[i].pts, plotter.XY{X: pr, Y: mn * mn})
			margin[i].pts = append(margin[i].pts, plotter.XY{X: r.PredictedMargin[k], Y: r.Metrics.MeasuredMargin[k]})
		}
	}
	return rho, margin
}

// scatterVsPrediction draws measured against predicted values, one colour
// and marker per group, with the line y = x; the legend is outside.
func scatterVsPrediction(base, title, xl, yl string, groups []scatterGroup) error {
	p := texPlot()
	p.Title.Text = title
	p.X.Label.Text = xl + " (no unit)"
	p.Y.Label.Text = yl + " (no unit)"
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		for _, q := range g.pts {
			lo = math.Min(lo, math.Min(q.X, q.Y))
			hi = math.Max(hi, math.Max(q.X, q.Y))
		}
	}
	line, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return err
	}
	line.Color = color.Gray{Y: 150}
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(line, plotter.NewGrid())
	legend := p.Legend // the plot's style; drawn beside the axes
	legend.Top, legend.Left = true, true
	legend.Add("y = x", line)
	for i, g := range groups {
		sc, err := plotter.NewScatter(g.pts)
		if err != nil {
			return err
		}
		styleSeries(i, nil, sc)
		p.Add(sc)
		legend.Add(g.name, sc)
	}
	return saveFigure(p, &legend, base, 6.4*vg.Inch, 4.5*vg.Inch)
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
	p := texPlot()
	p.Title.Text = "minority collapse: class 3, the smallest"
	p.X.Label.Text = "n_3 (training samples of class 3)"
	p.Y.Label.Text = "‖μ_3‖ (no unit)"
	legend := p.Legend // the plot's style; drawn beside the axes
	legend.Top, legend.Left = true, true
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
	legend.Add("predicted √ρ_3", pl)
	legend.Add("measured", sc)
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
		legend.Add(fmt.Sprintf("threshold n_{lo} = %.4g", nlo), th)
	}
	p.Add(plotter.NewGrid())
	return saveFigure(p, &legend, base, 6.4*vg.Inch, 4.5*vg.Inch)
}

func sortXY(xy plotter.XYs) {
	for i := 1; i < len(xy); i++ {
		for j := i; j > 0 && xy[j].X < xy[j-1].X; j-- {
			xy[j], xy[j-1] = xy[j-1], xy[j]
		}
	}
}

// writeMeasurePlots writes, as SVG and PNG: the metrics of every
// checkpoint and the bound's f - LB against the epoch on log axes
// (measure-metrics), and for the last checkpoint the measured and
// predicted rho_k and M_k against n_k (measure-rho, measure-margin).
func writeMeasurePlots(dir string, reports []*checkpoint.Report) error {
	if len(reports) == 0 {
		return nil
	}
	if err := measureMetricsPlot(filepath.Join(dir, "measure-metrics"), reports); err != nil {
		return err
	}
	return measureClassPlots(dir, reports[len(reports)-1])
}

// measureSeries are the series of the metrics figure: a name (LaTeX) and
// the value of a checkpoint, nil when it has none.
func measureSeries() []struct {
	name string
	get  func(r *checkpoint.Report) *float64
} {
	abs := func(v *float64) *float64 {
		if v == nil {
			return nil
		}
		a := math.Abs(*v)
		return &a
	}
	return []struct {
		name string
		get  func(r *checkpoint.Report) *float64
	}{
		{`|gap| = |f - f^*| / max(1, |f^*|)`, func(r *checkpoint.Report) *float64 { return abs(r.ObjectiveGap) }},
		{`f - LB (bound)`, func(r *checkpoint.Report) *float64 { return r.BoundGap }},
		{`NC1`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC1 }},
		{`NC2_H`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2H }},
		{`NC2_W`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2W }},
		{`NC2_W balanced`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WBalanced }},
		{`NC2_{WWᵀ}`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WWT }},
		{`NC3_{WH}`, func(r *checkpoint.Report) *float64 { return r.Metrics.NC3WH }},
		{`max |cos(μ_k, μ_l)|`, func(r *checkpoint.Report) *float64 { v := r.Metrics.MaxCos; return &v }},
		{`margin error`, func(r *checkpoint.Report) *float64 { return r.Metrics.MarginError }},
	}
}

// measureMetricsPlot draws every series of measureSeries against the
// epoch on log axes, the legend outside the axes, the last epoch ticked.
// Zero or undefined values and epoch 0 are left out (log axes).
func measureMetricsPlot(base string, reports []*checkpoint.Report) error {
	p := texPlot()
	p.Title.Text = "deviation from the predicted global minimizer against the epoch"
	p.X.Label.Text = "epoch (log)"
	p.Y.Label.Text = "deviation, no unit (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	legend := p.Legend // the plot's style; drawn beside the axes, not in them
	legend.Top, legend.Left = true, true
	last, drawn := 0.0, 0
	for i, sr := range measureSeries() {
		var xy plotter.XYs
		for _, r := range reports {
			v := sr.get(r)
			if r.Epoch == nil || *r.Epoch < 1 || v == nil || !(*v > 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: float64(*r.Epoch), Y: *v})
			last = math.Max(last, float64(*r.Epoch))
		}
		if len(xy) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		styleSeries(i, l, s)
		p.Add(l, s)
		legend.Add(sr.name, l, s)
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	p.X.Tick.Marker = epochTicks{last: last}
	p.Add(plotter.NewGrid())
	return saveFigure(p, &legend, base, 7.2*vg.Inch, 4.5*vg.Inch)
}

// measureClassPlots draws, for one checkpoint, the measured and predicted
// rho_k and M_k of every class against its count n_k.
func measureClassPlots(dir string, last *checkpoint.Report) error {
	title := filepath.Base(last.File)
	if last.Epoch != nil {
		title = fmt.Sprintf("epoch %d", *last.Epoch)
	}
	for _, fig := range []struct {
		base, what, label string
		meas              func(c checkpoint.ClassReport) float64
		pred              func(c checkpoint.ClassReport) *float64
	}{
		{"measure-rho", `ρ_k = ‖μ_k‖^2`, `ρ_k = ‖μ_k‖^2 (no unit)`,
			func(c checkpoint.ClassReport) float64 { return c.FeatureNormSq },
			func(c checkpoint.ClassReport) *float64 { return c.PredictedFeatureNormSq }},
		{"measure-margin", `margin M_k`, `M_k (logit margin, no unit)`,
			func(c checkpoint.ClassReport) float64 { return c.Margin },
			func(c checkpoint.ClassReport) *float64 { return c.PredictedMargin }},
	} {
		var meas, pred plotter.XYs
		for _, c := range last.Classes {
			meas = append(meas, plotter.XY{X: float64(c.N), Y: fig.meas(c)})
			if v := fig.pred(c); v != nil {
				pred = append(pred, plotter.XY{X: float64(c.N), Y: *v})
			}
		}
		p := texPlot()
		p.Title.Text = fig.what + " against n_k, " + title
		p.X.Label.Text = "n_k (training samples of class k)"
		p.Y.Label.Text = fig.label
		legend := p.Legend // the plot's style; drawn beside the axes, not in them
		legend.Top, legend.Left = true, true
		sc, err := plotter.NewScatter(meas)
		if err != nil {
			return err
		}
		styleSeries(3, nil, sc)
		sc.Shape = draw.CircleGlyph{}
		p.Add(sc)
		legend.Add("measured", sc)
		if len(pred) > 0 {
			// Markers only: the prediction is a value per class of this
			// setting, not a curve in n_k (changing n_k changes N).
			ps, err := plotter.NewScatter(pred)
			if err != nil {
				return err
			}
			ps.GlyphStyle.Shape = draw.CrossGlyph{}
			ps.GlyphStyle.Radius = vg.Points(5)
			ps.GlyphStyle.Color = color.Gray{Y: 40}
			p.Add(ps)
			legend.Add("predicted", ps)
		}
		p.Add(plotter.NewGrid())
		if err := saveFigure(p, &legend, filepath.Join(dir, fig.base), 6.4*vg.Inch, 4.2*vg.Inch); err != nil {
			return err
		}
	}
	return nil
}
