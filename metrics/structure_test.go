package metrics

import (
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"
)

func rowsOf(w *mat.Dense) [][]float64 {
	k, _ := w.Dims()
	out := make([][]float64, k)
	for c := range out {
		out[c] = append([]float64(nil), w.RawRowView(c)...)
	}
	return out
}

// near reports whether got is within tol of want relative to |want| (plus
// 1e-15 absolute, for values that are 0).
func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol*math.Abs(want)+1e-15 }

// checkAgainstReference compares a report and its classes with ref.
func checkAgainstReference(t *testing.T, rep *Report, classes []Class, want ref, tol float64) {
	t.Helper()
	for _, q := range []struct {
		name      string
		got       *float64
		want      float64
		ok        bool
		undefined string
	}{
		{"nc4", rep.NC4, want.nc4, true, ""},
		{"accuracy", &rep.Accuracy, want.accuracy, true, ""},
		{"equinorm_means", rep.EquinormMeans, want.equinormMeans, true, ""},
		{"equinorm_classifier", rep.EquinormClassifier, want.equinormW, true, ""},
		{"equiangularity", rep.Equiangularity, want.equiangularity, want.angleOK, "equiangularity"},
		{"self_duality", rep.SelfDuality, want.selfDuality, true, ""},
		{"cdnv", rep.CDNV, want.cdnv, want.cdnvOK, "cdnv"},
		{"gnc2", rep.GNC2, want.gnc2, want.gnc2OK && want.angleOK, "gnc2"},
		{"bias_relation", &rep.BiasRelation, want.biasRelation, true, ""},
	} {
		switch {
		case !q.ok:
			if q.got != nil || rep.Undefined[q.undefined] == "" {
				t.Errorf("%s = %v, want undefined with a reason (undefined: %v)", q.name, q.got, rep.Undefined)
			}
		case q.got == nil:
			t.Errorf("%s undefined (%q), want %.17g", q.name, rep.Undefined[q.name], q.want)
		case !near(*q.got, q.want, tol):
			t.Errorf("%s = %.17g, reference %.17g", q.name, *q.got, q.want)
		}
	}
	for k, c := range classes {
		if c.NC4 == nil || !near(c.Accuracy, want.classAcc[k], tol) || !near(*c.NC4, want.classNC4[k], tol) ||
			!near(c.WorstMargin, want.worst[k], tol) || !near(c.Margin, want.margin[k], tol) || !near(c.Probability, want.prob[k], tol) {
			t.Errorf("class %d: accuracy %g nc4 %v worst %g margin %g p %g; reference %g %g %g %g %g", k, c.Accuracy, c.NC4,
				c.WorstMargin, c.Margin, c.Probability, want.classAcc[k], want.classNC4[k], want.worst[k], want.margin[k], want.prob[k])
		}
		w := -1
		if c.MergedWith != nil {
			w = *c.MergedWith
		}
		if w != want.mergedWith[k] || (w >= 0) != (c.Status == Merged) {
			t.Errorf("class %d: merged with %d (status %s), reference %d", k, w, c.Status, want.mergedWith[k])
		}
	}
}

func aliveOf(classes []Class) []bool {
	out := make([]bool, len(classes))
	for k, c := range classes {
		out[k] = !c.Collapsed
	}
	return out
}

// TestMetricsAgainstReference: every new metric of random points (bias or
// not, both global-mean conventions, d below, at and above K) against the
// independent computation, and NC1 in both conventions.
func TestMetricsAgainstReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		counts  []int
		d       int
		bias    bool
		classes bool
	}{
		{"d < K, bias", []int{30, 20, 50, 10, 25}, 3, true, false},
		{"d = K, class average", []int{30, 20, 50, 10}, 4, false, true},
		{"d > K, bias, class average", []int{300, 200, 500}, 40, true, true},
		{"K = 2, many blocks", []int{700, 300}, 64, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, data, labels := randomPoint(11, tc.counts, tc.d, 0.8)
			var b []float64
			if tc.bias {
				for c := range tc.counts {
					b = append(b, 0.3*float64(c)-0.5)
				}
			}
			opt := Options{}
			if tc.classes {
				opt.GlobalMean = ClassAverage
			}
			m, err := Measure(FromRows(data, tc.d, labels), w, b, opt)
			if err != nil {
				t.Fatal(err)
			}
			rep, classes, err := m.Report(ReportOptions{Criteria: Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6}})
			if err != nil {
				t.Fatal(err)
			}
			want := reference(data, labels, rowsOf(w), b, tc.classes, aliveOf(classes), 1-DefaultMergeTol)
			checkAgainstReference(t, rep, classes, want, 1e-12)
			nc1 := nc1About(data, labels, want.means, want.means, want.global)
			if rep.NC1 == nil || !near(*rep.NC1, nc1, 1e-10) {
				t.Errorf("NC1 = %v, reference %.17g", rep.NC1, nc1)
			}
			if rep.GlobalMean != opt.GlobalMean {
				t.Errorf("global mean %v", rep.GlobalMean)
			}
		})
	}
}

// readFixture reads a committed checkpoint of testdata/measure/fashion-mnist
// whole with npyio (float32 features and classifier converted to float64).
func readFixture(t *testing.T, path string) (data []float64, labels []int, w *mat.Dense, d int) {
	t.Helper()
	r, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var feats, wf []float32
	var lab []int64
	for name, ptr := range map[string]any{"features.npy": &feats, "classifier.npy": &wf, "labels.npy": &lab} {
		if err := r.Read(name, ptr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	n := len(lab)
	d = len(feats) / n
	k := len(wf) / d
	data = make([]float64, len(feats))
	for i, v := range feats {
		data[i] = float64(v)
	}
	for _, y := range lab {
		labels = append(labels, int(y))
	}
	w = mat.NewDense(k, d, nil)
	for i, v := range wf {
		w.RawMatrix().Data[i] = float64(v)
	}
	return data, labels, w, d
}

func fixtureFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/measure/fashion-mnist/*.npz")
	if err != nil || len(files) < 2 {
		t.Fatalf("fixture missing: %v %v", files, err)
	}
	sort.Strings(files)
	return files
}

// TestFixtureMetrics: the committed train.py checkpoints against the
// independent computation.
func TestFixtureMetrics(t *testing.T) {
	for _, f := range fixtureFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, labels, w, d := readFixture(t, f)
			for _, g := range []GlobalMean{Weighted, ClassAverage} {
				m, err := Measure(FromRows(data, d, labels), w, nil, Options{GlobalMean: g})
				if err != nil {
					t.Fatal(err)
				}
				rep, classes, err := m.Report(ReportOptions{Criteria: Criteria{LambdaW: 1e-3, LambdaH: 1e-5, CollapseTol: 1e-2}})
				if err != nil {
					t.Fatal(err)
				}
				want := reference(data, labels, rowsOf(w), nil, g == ClassAverage, aliveOf(classes), 1-DefaultMergeTol)
				checkAgainstReference(t, rep, classes, want, 1e-12)
				t.Logf("%s: accuracy %.4f nc4 %.4f equinorm %.3g/%.3g equiangularity %.3g self-duality %.3g cdnv %.3g gnc2 %.3g bias relation %.3g",
					g, rep.Accuracy, *rep.NC4, *rep.EquinormMeans, *rep.EquinormClassifier, *rep.Equiangularity, *rep.SelfDuality,
					*rep.CDNV, *rep.GNC2, rep.BiasRelation)
			}
		})
	}
}

// collapsedPoint returns features equal to the class means (columns of
// means, d x K) with the given counts, class by class.
func collapsedPoint(means *mat.Dense, counts []int) ([]float64, []int) {
	d, _ := means.Dims()
	labels := ClassLabels(counts)
	data := make([]float64, 0, len(labels)*d)
	for _, y := range labels {
		for a := 0; a < d; a++ {
			data = append(data, means.At(a, y))
		}
	}
	return data, labels
}

// TestKnownGeometry: constructed points whose metrics are known in closed
// form.
func TestKnownGeometry(t *testing.T) {
	crit := Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6}
	t.Run("simplex ETF", func(t *testing.T) {
		// K = 4 in R^5: mu_k = 2 e_5 + 1.5 u_k, u_k = sqrt(K/(K-1)) (e_k - 1/K),
		// w_k = 0.7 u_k, three samples per class at the mean.
		k, d, a, bb := 4, 5, 0.7, 1.5
		means, w := mat.NewDense(d, k, nil), mat.NewDense(k, d, nil)
		for c := 0; c < k; c++ {
			means.Set(d-1, c, 2)
			for j := 0; j < k; j++ {
				u := -1 / float64(k)
				if j == c {
					u++
				}
				u *= math.Sqrt(float64(k) / float64(k-1))
				means.Set(j, c, means.At(j, c)+bb*u)
				w.Set(c, j, a*u)
			}
		}
		data, labels := collapsedPoint(means, []int{3, 3, 3, 3})
		m, err := Measure(FromRows(data, d, labels), w, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, classes, err := m.Report(ReportOptions{Criteria: crit})
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]*float64{"equinorm_means": rep.EquinormMeans, "equinorm_classifier": rep.EquinormClassifier,
			"equiangularity": rep.Equiangularity, "self_duality": rep.SelfDuality, "cdnv": rep.CDNV, "gnc2": rep.GNC2,
			"bias_relation": &rep.BiasRelation} {
			if v == nil || math.Abs(*v) > 1e-14 {
				t.Errorf("%s = %v, want 0 at a simplex ETF (undefined: %v)", name, v, rep.Undefined)
			}
		}
		if *rep.NC4 != 1 || rep.Accuracy != 1 {
			t.Errorf("nc4 %v accuracy %v, want 1", *rep.NC4, rep.Accuracy)
		}
		for c, cl := range classes {
			if want := a * bb * float64(k) / float64(k-1); math.Abs(cl.WorstMargin-want) > 1e-14 || cl.Status != Alive {
				t.Errorf("class %d: worst margin %.17g (want %.17g), status %s", c, cl.WorstMargin, want, cl.Status)
			}
		}
	})
	t.Run("orthogonal frame, balanced", func(t *testing.T) {
		// mu_k = 2 e_k (K = 3, d = 4), W = 0.5 (I - J/K) Hbar^T: the centred
		// means are a simplex ETF, the raw ones orthogonal.
		k, d := 3, 4
		means := mat.NewDense(d, k, nil)
		for c := 0; c < k; c++ {
			means.Set(c, c, 2)
		}
		var w mat.Dense
		w.Mul(BalancedRule(k), means.T())
		w.Scale(0.5, &w)
		data, labels := collapsedPoint(means, []int{2, 2, 2})
		m, err := Measure(FromRows(data, d, labels), &w, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, classes, err := m.Report(ReportOptions{Criteria: crit})
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]*float64{"equinorm_means": rep.EquinormMeans, "equinorm_classifier": rep.EquinormClassifier,
			"equiangularity": rep.Equiangularity, "self_duality": rep.SelfDuality, "cdnv": rep.CDNV, "gnc2": rep.GNC2,
			"bias_relation": &rep.BiasRelation, "max_cos": &rep.MaxCos} {
			if v == nil || math.Abs(*v) > 1e-14 {
				t.Errorf("%s = %v, want 0 (undefined: %v)", name, v, rep.Undefined)
			}
		}
		for c, cl := range classes {
			if math.Abs(cl.WorstMargin-2) > 1e-14 || cl.MergedWith != nil { // r^2 s = 4 * 0.5
				t.Errorf("class %d: worst margin %.17g, merged %v", c, cl.WorstMargin, cl.MergedWith)
			}
		}
	})
	t.Run("orthogonal frame, imbalanced K = 2", func(t *testing.T) {
		// mu_1 = e_1 (one sample), mu_2 = e_2 (samples e_2 + (delta, -delta,
		// 0) e_1), W = I, b = -(1/4, 3/4) = -W mu_G.
		delta := 0.25
		data := []float64{1, 0, delta, 1, -delta, 1, 0, 1}
		labels := []int{0, 1, 1, 1}
		w := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
		for _, tc := range []struct {
			g        GlobalMean
			equinorm float64
			sd       float64
		}{
			{Weighted, 1 / math.Sqrt2, 2 - 4/math.Sqrt(10)},
			{ClassAverage, 0, 2 - math.Sqrt2}, // Mt = [(1/2, -1/2), (-1/2, 1/2)]: 2 - 2 tr(W Mt)/(sqrt(2) * 1)
		} {
			m, err := Measure(FromRows(data, 2, labels), w, []float64{-0.25, -0.75}, Options{GlobalMean: tc.g})
			if err != nil {
				t.Fatal(err)
			}
			rep, _, err := m.Report(ReportOptions{Criteria: crit})
			if err != nil {
				t.Fatal(err)
			}
			br := 0.0
			if tc.g == ClassAverage {
				br = math.Sqrt(0.25*0.25 + 0.25*0.25) // W mu_G + b = (1/2, 1/2) - (1/4, 3/4)
			}
			for _, q := range []struct {
				name      string
				got, want float64
			}{
				{"equinorm_means", *rep.EquinormMeans, tc.equinorm}, {"self_duality", *rep.SelfDuality, tc.sd},
				{"equiangularity", *rep.Equiangularity, 0}, {"gnc2", *rep.GNC2, 0}, {"cdnv", *rep.CDNV, delta * delta / 6},
				{"bias_relation", rep.BiasRelation, br}, {"nc4", *rep.NC4, 1}, {"accuracy", rep.Accuracy, 1},
			} {
				if math.Abs(q.got-q.want) > 1e-15 {
					t.Errorf("%s: %s = %.17g, want %.17g", tc.g, q.name, q.got, q.want)
				}
			}
		}
	})
}

// TestMergedClasses: two majority classes on one coordinate, the first
// classified as the second. The paper's margin stays positive; the worst
// margin, the accuracy, NC4 and the merged status see it, and the collapse
// agreement with a prediction that keeps every class alive fails.
func TestMergedClasses(t *testing.T) {
	means := mat.NewDense(2, 3, []float64{2, 3, 0, 0, 0, 1})
	data, labels := collapsedPoint(means, []int{5, 5, 5})
	w := mat.DenseCopyOf(means.T()) // w_k = mu_k
	m, err := Measure(FromRows(data, 2, labels), w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{HTH: m.HTH, WWT: m.WWT, WH: m.WH, Alive: []bool{true, true, true}}
	rep, classes, err := m.Report(ReportOptions{Criteria: Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-2}, Target: &tg})
	if err != nil {
		t.Fatal(err)
	}
	if rep.CollapseAgree == nil || *rep.CollapseAgree || len(rep.Disagree) != 2 || rep.Disagree[0] != 0 || rep.Disagree[1] != 1 {
		t.Errorf("collapse agree %v, disagree %v; want false, [0 1]", rep.CollapseAgree, rep.Disagree)
	}
	if math.Abs(rep.Accuracy-2.0/3) > 1e-15 || math.Abs(*rep.NC4-2.0/3) > 1e-15 {
		t.Errorf("accuracy %g nc4 %g, want 2/3", rep.Accuracy, *rep.NC4)
	}
	c0 := classes[0]
	if c0.Margin != 1 || c0.WorstMargin != -2 || c0.Accuracy != 0 || *c0.NC4 != 0 || c0.Status != Merged || *c0.MergedWith != 1 {
		t.Errorf("class 0: margin %g (want 1), worst %g (want -2), accuracy %g, nc4 %g, %s with %v", c0.Margin, c0.WorstMargin,
			c0.Accuracy, *c0.NC4, c0.Status, c0.MergedWith)
	}
	if classes[1].Status != Merged || *classes[1].MergedWith != 0 || classes[2].Status != Alive || classes[2].MergedWith != nil {
		t.Errorf("classes 1, 2: %+v %+v", classes[1], classes[2])
	}
}

// TestCollapsedClasses: a class at h = 0 is collapsed (and agrees with a
// prediction that collapses it); two of them have equal means, so CDNV and
// GNC2 are undefined with a reason, never NaN; everything at 0 voids the
// normalised metrics.
func TestCollapsedClasses(t *testing.T) {
	crit := Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6}
	means := mat.NewDense(4, 4, nil)
	means.Set(0, 0, 2)
	means.Set(1, 1, 2)
	w := mat.NewDense(4, 4, nil)
	w.Mul(BalancedRule(4), means.T())
	data, labels := collapsedPoint(means, []int{4, 4, 2, 2})
	m, err := Measure(FromRows(data, 4, labels), w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{HTH: m.HTH, WWT: m.WWT, WH: m.WH, Alive: []bool{true, true, false, false}}
	rep, classes, err := m.Report(ReportOptions{Criteria: crit, Target: &tg})
	if err != nil {
		t.Fatal(err)
	}
	if !*rep.CollapseAgree || !classes[2].Collapsed || !classes[3].Collapsed || classes[0].Collapsed {
		t.Errorf("collapse agree %v, classes %+v", *rep.CollapseAgree, classes)
	}
	if rep.CDNV != nil || !strings.Contains(rep.Undefined["cdnv"], "classes 2 and 3") {
		t.Errorf("cdnv %v, reason %q", rep.CDNV, rep.Undefined["cdnv"])
	}
	if rep.GNC2 != nil || !strings.Contains(rep.Undefined["gnc2"], "classes 2 and 3") {
		t.Errorf("gnc2 %v, reason %q", rep.GNC2, rep.Undefined["gnc2"])
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}

	zero := make([]float64, len(data))
	m, err = Measure(FromRows(zero, 4, labels), w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err = m.Report(ReportOptions{Criteria: crit, ClassifierRule: BalancedRule(4)})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.AllCollapsed || rep.NC1 != nil || rep.CDNV != nil || rep.EquinormMeans != nil || rep.Undefined["equinorm_means"] == "" {
		t.Errorf("all collapsed: %+v", rep)
	}
	b, err := json.Marshal(rep)
	if err != nil || strings.Contains(string(b), "NaN") {
		t.Fatalf("JSON %s, %v", b, err)
	}
}

// TestReportJSON: the keys of the report, the form of an undefined metric
// (null, and the reason under "undefined"), and the per-class keys.
func TestReportJSON(t *testing.T) {
	w, data, labels := randomPoint(2, []int{5, 6, 7}, 4, 0.1)
	m, err := Measure(FromRows(data, 4, labels), w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, classes, err := m.Report(ReportOptions{Criteria: Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	b, _ := json.Marshal(rep)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"nc1", "nc2_h", "nc2_w", "nc2_w_balanced", "nc2_wwt", "nc3_wh", "margin_error", "max_cos",
		"mean_norm", "measured_margin", "collapse_agree", "all_collapsed", "nc4", "accuracy", "equinorm_means",
		"equinorm_classifier", "equiangularity", "self_duality", "cdnv", "gnc2", "bias_relation", "global_mean", "undefined"} {
		if _, ok := got[key]; !ok {
			t.Errorf("key %q missing from %s", key, b)
		}
	}
	und := got["undefined"].(map[string]any)
	if got["nc2_h"] != nil || und["nc2_h"] != "no prediction" || got["global_mean"] != "weighted" {
		t.Errorf("nc2_h %v (reason %v), global_mean %v", got["nc2_h"], und["nc2_h"], got["global_mean"])
	}
	var cl map[string]any
	b, _ = json.Marshal(classes[0])
	if err := json.Unmarshal(b, &cl); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"n", "margin", "worst_margin", "feature_norm_sq", "classifier_norm_sq", "cos_w_mu", "status",
		"collapsed", "merged_with", "accuracy", "nc4", "probability"} {
		if _, ok := cl[key]; !ok {
			t.Errorf("class key %q missing from %s", key, b)
		}
	}
}

func TestObjectiveGap(t *testing.T) {
	for _, tc := range []struct{ f, fstar, want float64 }{
		{2.5, 2, 0.25}, {0.3, 0.2, 0.1}, {1, 1, 0}, {0.5, 2, -0.75},
	} {
		if got := ObjectiveGap(tc.f, tc.fstar); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("ObjectiveGap(%g, %g) = %g, want %g", tc.f, tc.fstar, got, tc.want)
		}
	}
}

func TestParseGlobalMean(t *testing.T) {
	for _, s := range []string{"weighted", "classes"} {
		g, err := ParseGlobalMean(s)
		if err != nil || g.String() != s {
			t.Errorf("%q: %v %v", s, g, err)
		}
	}
	if _, err := ParseGlobalMean("mean"); err == nil || !strings.Contains(err.Error(), "weighted or classes") {
		t.Errorf("error %v", err)
	}
}
