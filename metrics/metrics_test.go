package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// randomPoint draws W (K x d), features (N x d row-major) with class-dependent
// means plus noise, and labels in a shuffled order.
func randomPoint(seed uint64, counts []int, d int, noise float64) (w *mat.Dense, data []float64, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	k := len(counts)
	w = mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			w.Set(i, j, rng.NormFloat64())
		}
	}
	centers := make([][]float64, k)
	for c := range centers {
		centers[c] = make([]float64, d)
		for j := range centers[c] {
			centers[c][j] = rng.Float64() * 2
		}
	}
	labels = ClassLabels(counts)
	rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	data = make([]float64, len(labels)*d)
	for i, y := range labels {
		for j := 0; j < d; j++ {
			data[i*d+j] = centers[y][j] + noise*rng.NormFloat64()
		}
	}
	return w, data, labels
}

// nc1Direct is tr(Sigma_W pinv(Sigma_B)) / K with the d x d matrices formed
// explicitly and the pseudo-inverse from an SVD: the definition of theory.md
// section 8, written independently of Measure's projection.
func nc1Direct(data []float64, labels []int, k, d int) float64 {
	n := len(labels)
	means := make([][]float64, k)
	cnt := make([]float64, k)
	global := make([]float64, d)
	for c := range means {
		means[c] = make([]float64, d)
	}
	for i, y := range labels {
		cnt[y]++
		for j := 0; j < d; j++ {
			means[y][j] += data[i*d+j]
			global[j] += data[i*d+j] / float64(n)
		}
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= cnt[c]
		}
	}
	sw := mat.NewDense(d, d, nil)
	for i, y := range labels {
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				sw.Set(a, b, sw.At(a, b)+(data[i*d+a]-means[y][a])*(data[i*d+b]-means[y][b])/float64(n))
			}
		}
	}
	sb := mat.NewDense(d, d, nil)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				sb.Set(a, b, sb.At(a, b)+(means[c][a]-global[a])*(means[c][b]-global[b])/float64(k))
			}
		}
	}
	var svd mat.SVD
	svd.Factorize(sb, mat.SVDFull)
	vals := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	cut := vals[0] * math.Max(1e-15, float64(d)*2.220446049250313e-16)
	pinv := mat.NewDense(d, d, nil)
	for i, s := range vals {
		if s <= cut {
			continue
		}
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				pinv.Set(a, b, pinv.At(a, b)+v.At(a, i)*u.At(b, i)/s)
			}
		}
	}
	var prod mat.Dense
	prod.Mul(sw, pinv)
	return mat.Trace(&prod) / float64(k)
}

func TestNC1AgainstDefinition(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		d      int
	}{
		{"d < K", []int{30, 20, 50, 10, 25}, 3},
		{"d = K", []int{30, 20, 50, 10}, 4},
		{"d > K", []int{300, 200, 500}, 40},
		{"d >> K, many blocks", []int{700, 300}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, data, labels := randomPoint(3, tc.counts, tc.d, 0.3)
			m, err := Measure(FromRows(data, tc.d, labels), w, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := nc1Direct(data, labels, len(tc.counts), tc.d)
			if m.NC1 == nil || math.Abs(*m.NC1-want) > 1e-10*want {
				t.Errorf("NC1 = %v, definition gives %g", *m.NC1, want)
			}
		})
	}
}

// TestMeasureBasics checks the first pass against direct loops: class
// means, ||H||^2, the loss with a bias, and that rows and columns give the
// same bits.
func TestMeasureBasics(t *testing.T) {
	counts := []int{40, 25, 300}
	d := 5
	w, data, labels := randomPoint(5, counts, d, 0.5)
	b := []float64{0.3, -1, 0.7}
	m, err := Measure(FromRows(data, d, labels), w, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(labels)
	loss, hsq := 0.0, 0.0
	for i, y := range labels {
		z := make([]float64, len(counts))
		for c := range z {
			z[c] = b[c]
			for j := 0; j < d; j++ {
				z[c] += w.At(c, j) * data[i*d+j]
			}
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v)
		}
		loss += (math.Log(s) - z[y]) / float64(n)
		for j := 0; j < d; j++ {
			hsq += data[i*d+j] * data[i*d+j]
		}
	}
	if math.Abs(m.Loss-loss) > 1e-12 || math.Abs(m.FeatureNormSq-hsq) > 1e-9*hsq {
		t.Errorf("loss %g (want %g), ||H||^2 %g (want %g)", m.Loss, loss, m.FeatureNormSq, hsq)
	}
	if m.Counts[2] != 300 {
		t.Errorf("counts %v", m.Counts)
	}
	h := mat.NewDense(d, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			h.Set(j, i, data[i*d+j])
		}
	}
	m2, err := Measure(FromColumns(h, labels), w, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Loss != m.Loss || *m2.NC1 != *m.NC1 || !mat.Equal(m2.Means, m.Means) {
		t.Errorf("columns differ from rows: loss %v vs %v", m2.Loss, m.Loss)
	}
	lw, lh := 1e-3, 2e-4
	if got, want := m.Objective(lw, lh, 0), loss+lw/2*math.Pow(mat.Norm(w, 2), 2)+lh/2*hsq; math.Abs(got-want) > 1e-12 {
		t.Errorf("objective %g, want %g", got, want)
	}
}

// TestCompareExact: a point built from a target measures at zero deviation,
// and the deviation grows with a perturbation of the target.
func TestCompareExact(t *testing.T) {
	counts := []int{4, 3, 9}
	k, d := 3, 4
	rho := []float64{2, 0.5, 1}
	means := mat.NewDense(d, k, nil)
	for c := 0; c < k; c++ {
		means.Set(c, c, math.Sqrt(rho[c]))
	}
	a := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := -math.Sqrt(float64(counts[j]))
			if i == j {
				v += float64(k) * math.Sqrt(float64(counts[j]))
			}
			a.Set(i, j, v)
		}
	}
	var w mat.Dense
	w.Mul(a, means.T())
	w.Scale(0.1, &w)
	labels := ClassLabels(counts)
	data := make([]float64, len(labels)*d)
	for i, y := range labels {
		for j := 0; j < d; j++ {
			data[i*d+j] = means.At(j, y)
		}
	}
	m, err := Measure(FromRows(data, d, labels), &w, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var hth, wwt, wh mat.Dense
	hth.Mul(means.T(), means)
	wwt.Mul(&w, w.T())
	wh.Mul(&w, means)
	tg := Target{HTH: &hth, WWT: &wwt, WH: &wh, ClassifierRule: a, Alive: []bool{true, true, true}}
	dv, err := m.Compare(tg, Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*float64{"nc2_h": dv.NC2H, "nc2_w": dv.NC2W, "nc2_wwt": dv.NC2WWT, "nc3_wh": dv.NC3WH} {
		if v == nil || *v > 1e-15 {
			t.Errorf("%s = %v, want ~0", name, v)
		}
	}
	if dv.MarginError > 1e-15 || dv.MeanCosError != 0 || !dv.CollapseAgree || dv.AllCollapsed {
		t.Errorf("deviations %+v", dv)
	}
	if *m.NC1 != 0 {
		t.Errorf("NC1 = %g at collapsed features", *m.NC1)
	}
	prev := 0.0
	for _, eps := range []float64{1e-6, 1e-4, 1e-2} {
		p := mat.DenseCopyOf(&hth)
		p.Set(0, 0, p.At(0, 0)*(1+eps))
		tg.HTH = p
		dv, err := m.Compare(tg, Criteria{LambdaW: 1e-3, LambdaH: 1e-3, CollapseTol: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		if !(*dv.NC2H > prev) {
			t.Errorf("eps %g: NC2_H %g not above %g", eps, *dv.NC2H, prev)
		}
		prev = *dv.NC2H
	}
	if got := GapMeans(&wh); math.Abs(got[0]-m.Margins()[0]) > 1e-15 {
		t.Errorf("margins %v vs %v", got, m.Margins())
	}
}

func TestMeasureErrors(t *testing.T) {
	w := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	for _, tc := range []struct {
		name   string
		data   []float64
		labels []int
	}{
		{"label out of range", []float64{1, 0, 0, 1}, []int{0, 2}},
		{"class without samples", []float64{1, 0, 0, 1}, []int{0, 0}},
		{"NaN", []float64{1, math.NaN(), 0, 1}, []int{0, 1}},
		{"Inf", []float64{1, 0, math.Inf(1), 1}, []int{0, 1}},
		{"short data", []float64{1, 0, 0}, []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Measure(FromRows(tc.data, 2, tc.labels), w, nil, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if (tc.name == "NaN" || tc.name == "Inf") && !errors.Is(err, setting.ErrNonFinite) {
				t.Errorf("%v does not wrap ErrNonFinite", err)
			}
		})
	}
}

func TestDistUndefined(t *testing.T) {
	if Dist(mat.NewDense(2, 2, nil), mat.NewDense(2, 2, []float64{1, 0, 0, 1})) != nil {
		t.Error("zero matrix gave a distance")
	}
}
