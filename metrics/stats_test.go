package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sameJSON compares two values through their JSON forms: every number to a
// relative tol, everything else exactly; it returns the differences.
func sameJSON(a, b any, tol float64) []string {
	var x, y any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if err := json.Unmarshal(ja, &x); err != nil {
		return []string{err.Error()}
	}
	if err := json.Unmarshal(jb, &y); err != nil {
		return []string{err.Error()}
	}
	var diffs []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		switch xv := x.(type) {
		case float64:
			yv, ok := y.(float64)
			if !ok || math.Abs(xv-yv) > tol*math.Max(math.Abs(xv), math.Abs(yv))+1e-300 {
				diffs = append(diffs, fmt.Sprintf("%s: %v vs %v", path, x, y))
			}
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok || len(xv) != len(yv) {
				diffs = append(diffs, fmt.Sprintf("%s: %v vs %v", path, x, y))
				return
			}
			for k := range xv {
				walk(path+"."+k, xv[k], yv[k])
			}
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				diffs = append(diffs, fmt.Sprintf("%s: %v vs %v", path, x, y))
				return
			}
			for i := range xv {
				walk(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i])
			}
		default:
			if x != y {
				diffs = append(diffs, fmt.Sprintf("%s: %v vs %v", path, x, y))
			}
		}
	}
	walk("", x, y)
	return diffs
}

// TestStatsMatchFeatures: the statistics of a point give every metric the
// features give, to 1e-12, for random points (bias, shuffled labels, both
// conventions) and the committed fixture; without nc4_agree, NC4 is
// undefined and everything else is unchanged.
func TestStatsMatchFeatures(t *testing.T) {
	type point struct {
		name   string
		data   []float64
		labels []int
		w      *mat.Dense
		b      []float64
		d      int
	}
	var points []point
	w, data, labels := randomPoint(21, []int{40, 70, 30, 55}, 12, 0.7)
	points = append(points, point{"random, bias", data, labels, w, []float64{0.5, -0.2, 0.1, 0}, 12})
	w, data, labels = randomPoint(22, []int{300, 200, 100}, 3, 0.4)
	points = append(points, point{"random, d < K", data, labels, w, nil, 3})
	for _, f := range fixtureFiles(t) {
		data, labels, w, d := readFixture(t, f)
		points = append(points, point{filepath.Base(f), data, labels, w, nil, d})
	}
	crit := Criteria{LambdaW: 1e-3, LambdaH: 1e-5, CollapseTol: 1e-2}
	for _, p := range points {
		for _, g := range []GlobalMean{Weighted, ClassAverage} {
			t.Run(p.name+" "+g.String(), func(t *testing.T) {
				x := FromRows(p.data, p.d, p.labels)
				mf, err := Measure(x, p.w, p.b, Options{GlobalMean: g})
				if err != nil {
					t.Fatal(err)
				}
				st, err := AccumulateStats(x, p.w, p.b, true)
				if err != nil {
					t.Fatal(err)
				}
				ms, err := st.Measure(Options{GlobalMean: g})
				if err != nil {
					t.Fatal(err)
				}
				type full struct {
					R *Report
					C []Class
					L float64
					H float64
				}
				rf, cf, err := mf.Report(ReportOptions{Criteria: crit, ClassifierRule: BalancedRule(mf.K)})
				if err != nil {
					t.Fatal(err)
				}
				rs, cs, err := ms.Report(ReportOptions{Criteria: crit, ClassifierRule: BalancedRule(ms.K)})
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range sameJSON(full{rf, cf, mf.Loss, mf.FeatureNormSq}, full{rs, cs, ms.Loss, ms.FeatureNormSq}, 1e-12) {
					t.Error(d)
				}
				st.NC4Agree = nil
				ms, err = st.Measure(Options{GlobalMean: g})
				if err != nil {
					t.Fatal(err)
				}
				rs, _, err = ms.Report(ReportOptions{Criteria: crit, ClassifierRule: BalancedRule(ms.K)})
				if err != nil {
					t.Fatal(err)
				}
				if rs.NC4 != nil || !strings.Contains(rs.Undefined["nc4"], "nc4_agree") {
					t.Errorf("nc4 %v without nc4_agree (reason %q)", rs.NC4, rs.Undefined["nc4"])
				}
				rs.NC4, rs.Undefined = rf.NC4, rf.Undefined
				for _, d := range sameJSON(rf, rs, 1e-12) {
					t.Error("without nc4_agree: " + d)
				}
			})
		}
	}
}

// TestStatsAgainstLoops checks AccumulateStats itself against sums written
// here.
func TestStatsAgainstLoops(t *testing.T) {
	d := 5
	w, data, labels := randomPoint(4, []int{7, 9, 4}, d, 0.5)
	b := []float64{1, 0, -1}
	st, err := AccumulateStats(FromRows(data, d, labels), w, b, false)
	if err != nil {
		t.Fatal(err)
	}
	k := 3
	gram := make([]float64, d*d)
	sums := make([]float64, k*d)
	norms, cnt := make([]float64, k), make([]int, k)
	loss := 0.0
	for i, y := range labels {
		h := data[i*d : (i+1)*d]
		cnt[y]++
		for a := 0; a < d; a++ {
			sums[y*d+a] += h[a]
			norms[y] += h[a] * h[a]
			for c := 0; c < d; c++ {
				gram[a*d+c] += h[a] * h[c]
			}
		}
		z := make([]float64, k)
		s := 0.0
		for j := range z {
			z[j] = b[j]
			for a := 0; a < d; a++ {
				z[j] += w.At(j, a) * h[a]
			}
			s += math.Exp(z[j])
		}
		loss += math.Log(s) - z[y]
	}
	for a := 0; a < d; a++ {
		for c := 0; c < d; c++ {
			if !near(st.FeatureGram.At(a, c), gram[a*d+c], 1e-13) {
				t.Errorf("gram[%d][%d] = %g, want %g", a, c, st.FeatureGram.At(a, c), gram[a*d+c])
			}
		}
	}
	for c := 0; c < k; c++ {
		if st.Counts[c] != cnt[c] || !near(st.NormSqSums[c], norms[c], 1e-13) || !near(st.FeatureSums.At(c, 0), sums[c*d], 1e-13) {
			t.Errorf("class %d: count %d (want %d), norms %g (want %g)", c, st.Counts[c], cnt[c], st.NormSqSums[c], norms[c])
		}
	}
	if !near(st.LossSum, loss, 1e-12) || st.NC4Agree != nil {
		t.Errorf("loss sum %g, want %g; nc4_agree %v", st.LossSum, loss, st.NC4Agree)
	}
}

// TestStatsValidate: malformed statistics are refused with the array named.
func TestStatsValidate(t *testing.T) {
	w, data, labels := randomPoint(5, []int{6, 8}, 3, 0.5)
	good, err := AccumulateStats(FromRows(data, 3, labels), w, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("good statistics: %v", err)
	}
	for _, tc := range []struct {
		name, array string
		edit        func(s *Stats)
	}{
		{"no classifier", StatsClassifier, func(s *Stats) { s.W = nil }},
		{"short counts", StatsCounts, func(s *Stats) { s.Counts = s.Counts[:1] }},
		{"empty class", StatsCounts, func(s *Stats) { s.Counts[1] = 0 }},
		{"correct above count", StatsCorrect, func(s *Stats) { s.Correct[0] = 7 }},
		{"nc4 negative", StatsNC4Agree, func(s *Stats) { s.NC4Agree[1] = -1 }},
		{"sums shape", StatsFeatureSums, func(s *Stats) { s.FeatureSums = mat.NewDense(2, 2, nil) }},
		{"gram shape", StatsFeatureGram, func(s *Stats) { s.FeatureGram = mat.NewSymDense(2, nil) }},
		{"gram trace", StatsFeatureGram, func(s *Stats) { s.FeatureGram.SetSym(0, 0, s.FeatureGram.At(0, 0)+1) }},
		{"softmax rows", StatsSoftmaxSums, func(s *Stats) { s.SoftmaxSums.Set(0, 0, s.SoftmaxSums.At(0, 0)+0.5) }},
		{"NaN loss", StatsLossSum, func(s *Stats) { s.LossSum = math.NaN() }},
		{"negative loss", StatsLossSum, func(s *Stats) { s.LossSum = -1 }},
		{"norms below sums", StatsNormSqSums, func(s *Stats) {
			s.NormSqSums[0] /= 10
			s.FeatureGram.SetSym(0, 0, s.FeatureGram.At(0, 0)-s.NormSqSums[0]*9)
		}},
		{"bias length", StatsBias, func(s *Stats) { s.B = []float64{1} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := *good
			s.Counts = append([]int(nil), good.Counts...)
			s.Correct = append([]int(nil), good.Correct...)
			s.NC4Agree = append([]int(nil), good.NC4Agree...)
			s.NormSqSums = append([]float64(nil), good.NormSqSums...)
			s.FeatureGram = mat.NewSymDense(3, append([]float64(nil), good.FeatureGram.RawSymmetric().Data...))
			s.SoftmaxSums = mat.DenseCopyOf(good.SoftmaxSums)
			tc.edit(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.array) {
				t.Errorf("error %v, want one naming %s", err, tc.array)
			}
			if _, err := s.Measure(Options{}); err == nil {
				t.Error("Measure accepted them")
			}
		})
	}
}

// TestSplit: a held-out split against the independent computation (the
// classifier's accuracy, the agreement with the nearest training mean, NC1
// of the split about the training means with the training Sigma_B), the
// same numbers from the split's statistics (NC4 undefined), and the
// training set as its own split.
func TestSplit(t *testing.T) {
	counts := []int{60, 40, 80, 20}
	d := 6
	w, train, trainLabels := randomPoint(31, counts, d, 0.6)
	_, test, testLabels := randomPoint(31, []int{30, 0, 25, 10}, d, 0.9) // same centres, more noise, no class 1
	b := []float64{0.1, 0.2, -0.3, 0}
	m, err := Measure(FromRows(train, d, trainLabels), w, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := m.Split(FromRows(test, d, testLabels))
	if err != nil {
		t.Fatal(err)
	}
	tr := reference(train, trainLabels, rowsOf(w), b, false, []bool{true, true, true, true}, 1)
	hit, agree, loss := 0, 0, 0.0
	for i, y := range testLabels {
		h := test[i*d : (i+1)*d]
		top, best, near, nd := -1, math.Inf(-1), -1, math.Inf(1)
		se := 0.0
		z := make([]float64, len(counts))
		for j := range z {
			z[j] = b[j]
			dd := 0.0
			for a := 0; a < d; a++ {
				z[j] += w.At(j, a) * h[a]
				dd += (h[a] - tr.means[j][a]) * (h[a] - tr.means[j][a])
			}
			if z[j] > best {
				top, best = j, z[j]
			}
			if dd < nd {
				near, nd = j, dd
			}
		}
		for _, v := range z {
			se += math.Exp(v - best)
		}
		loss += (math.Log(se) + best - z[y]) / float64(len(testLabels))
		if top == y {
			hit++
		}
		if top == near {
			agree++
		}
	}
	n := float64(len(testLabels))
	nc1 := nc1About(test, testLabels, tr.means, tr.means, tr.global)
	if !near(sp.Accuracy, float64(hit)/n, 1e-15) || !near(*sp.NC4, float64(agree)/n, 1e-15) || !near(sp.Loss, loss, 1e-12) ||
		!near(*sp.NC1, nc1, 1e-10) {
		t.Errorf("split: accuracy %g nc4 %g loss %g nc1 %g; reference %g %g %g %g", sp.Accuracy, *sp.NC4, sp.Loss, *sp.NC1,
			float64(hit)/n, float64(agree)/n, loss, nc1)
	}
	if sp.Classes[1].N != 0 || sp.Classes[1].Accuracy != nil || sp.Classes[1].Undefined["accuracy"] == "" {
		t.Errorf("class 1 without test samples: %+v", sp.Classes[1])
	}
	st, err := AccumulateStats(FromRows(test, d, testLabels), w, b, false)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := m.SplitStats(st)
	if err != nil {
		t.Fatal(err)
	}
	if ss.NC4 != nil || ss.Undefined["nc4"] == "" {
		t.Errorf("split statistics gave nc4 %v", ss.NC4)
	}
	ss.NC4, ss.Undefined = sp.NC4, sp.Undefined
	for c := range ss.Classes {
		ss.Classes[c].NC4, ss.Classes[c].Undefined = sp.Classes[c].NC4, sp.Classes[c].Undefined
	}
	for _, diff := range sameJSON(sp, ss, 1e-12) {
		t.Error("statistics: " + diff)
	}
	self, err := m.Split(FromRows(train, d, trainLabels))
	if err != nil {
		t.Fatal(err)
	}
	nc4, _ := m.NC4()
	if self.Accuracy != m.Accuracy() || *self.NC4 != nc4 || !near(*self.NC1, *m.NC1, 1e-15) || !near(self.Loss, m.Loss, 1e-15) {
		t.Errorf("training set as a split: %+v, measurement accuracy %g nc4 %g nc1 %g", self, m.Accuracy(), nc4, *m.NC1)
	}
	wrong := mat.DenseCopyOf(w)
	wrong.Set(0, 0, 9)
	st.W = wrong
	if _, err := m.SplitStats(st); err == nil {
		t.Error("statistics of another classifier accepted")
	}
}
