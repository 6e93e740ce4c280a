package metrics

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// The names of the arrays of a statistics file (.npz), the Stats fields
// they hold, as errors name them.
const (
	StatsCounts      = "counts"       // (K,) int64: n_k
	StatsFeatureSums = "feature_sums" // (K, d) float64: sum_{i in k} h_i
	StatsFeatureGram = "feature_gram" // (d, d) float64: sum_i h_i h_i^T
	StatsNormSqSums  = "norm_sq_sums" // (K,) float64: sum_{i in k} ||h_i||^2
	StatsLossSum     = "loss_sum"     // () float64: sum_i CE(W h_i + b, y_i)
	StatsSoftmaxSums = "softmax_sums" // (K, K) float64: row k = sum_{i in k} softmax(W h_i + b)
	StatsCorrect     = "correct"      // (K,) int64: #{i in k: argmax_j (W h_i + b)_j = k}
	StatsNC4Agree    = "nc4_agree"    // (K,) int64, optional: #{i in k: argmax_j (W h_i + b)_j = argmin_j ||h_i - mu_j||}
	StatsClassifier  = "classifier"   // (K, d): W
	StatsBias        = "bias"         // (K,), optional: b
	StatsEpoch       = "epoch"        // (), optional
)

// Stats are sufficient statistics of a point (W, b, features): what a
// training loop accumulates batch by batch, in float64, instead of keeping
// the N x d features (the .npz format of the arrays Stats* names; the
// forward hook in python/ writes it). They must be gathered with W and b
// fixed (an evaluation pass after an epoch, not during the updates).
//
// From them Stats.Measure computes every metric of a features checkpoint
// except NC4, which needs each sample against the class means (a second
// pass): it comes from NC4Agree when the file has it, and is undefined
// otherwise; likewise the NC4 of a test split (Measurement.SplitStats).
// NC1 and CDNV come from differences of sums, tr(D^T G D) - sum_k n_k
// ||D^T mu_k||^2 and sum ||h_i||^2 - n_k ||mu_k||^2: they lose relative
// accuracy when the within-class spread is far below the means (about eps
// times the ratio of ||mu||^2 to the spread), where Measure subtracts the
// means sample by sample.
type Stats struct {
	// Counts are n_k (every class present).
	Counts []int
	// FeatureSums is K x d (row k the sum of class k's features) and
	// FeatureGram the d x d sum_i h_i h_i^T.
	FeatureSums *mat.Dense
	FeatureGram *mat.SymDense
	// NormSqSums[k] is sum_{i in k} ||h_i||^2 and LossSum sum_i CE(W h_i + b, y_i).
	NormSqSums []float64
	LossSum    float64
	// SoftmaxSums is K x K, row k the sum over class k of softmax(W h_i + b).
	SoftmaxSums *mat.Dense
	// Correct and NC4Agree count, per class, the samples the classifier
	// gets right and those where it agrees with the nearest class mean
	// (NC4Agree nil when not gathered).
	Correct, NC4Agree []int
	// W is the classifier (K x d) and B the bias (nil without).
	W *mat.Dense
	B []float64
}

// Validate checks the shapes, the ranges and the consistency of the
// statistics: every count >= 1, correct and nc4_agree in 0..n_k, finite
// values, the trace of the Gram equal to the sum of norm_sq_sums, each row
// of softmax_sums summing to n_k, and sum ||h_i||^2 >= ||sum h_i||^2 / n_k
// per class (Cauchy-Schwarz), each to a relative 1e-8. Errors name the
// array.
func (s *Stats) Validate() error { return s.validate(false) }

// ValidateSplit is Validate for the statistics of a split: a class may have
// no samples (n_k = 0, all its sums 0), but N >= 1.
func (s *Stats) ValidateSplit() error { return s.validate(true) }

func (s *Stats) validate(allowEmpty bool) error {
	if s.W == nil {
		return fmt.Errorf("metrics: statistics: %s missing", StatsClassifier)
	}
	k, d := s.W.Dims()
	bad := func(array, format string, args ...any) error {
		return fmt.Errorf("metrics: statistics: %s: %s", array, fmt.Sprintf(format, args...))
	}
	shape := func(array string, m mat.Matrix, r, c int) error {
		if m == nil {
			return bad(array, "missing")
		}
		if mr, mc := m.Dims(); mr != r || mc != c {
			return bad(array, "shape (%d, %d), want (%d, %d)", mr, mc, r, c)
		}
		return nil
	}
	for _, e := range []error{shape(StatsFeatureSums, s.FeatureSums, k, d), shape(StatsSoftmaxSums, s.SoftmaxSums, k, k)} {
		if e != nil {
			return e
		}
	}
	if s.FeatureGram == nil {
		return bad(StatsFeatureGram, "missing")
	}
	if g := s.FeatureGram.SymmetricDim(); g != d {
		return bad(StatsFeatureGram, "shape (%d, %d), want (%d, %d)", g, g, d, d)
	}
	for _, a := range []struct {
		name string
		n    int
	}{{StatsCounts, len(s.Counts)}, {StatsNormSqSums, len(s.NormSqSums)}, {StatsCorrect, len(s.Correct)}} {
		if a.n != k {
			return bad(a.name, "length %d, want K = %d", a.n, k)
		}
	}
	if s.NC4Agree != nil && len(s.NC4Agree) != k {
		return bad(StatsNC4Agree, "length %d, want K = %d", len(s.NC4Agree), k)
	}
	if s.B != nil && len(s.B) != k {
		return bad(StatsBias, "length %d, want K = %d", len(s.B), k)
	}
	for c, n := range s.Counts {
		if n < 1 && !(allowEmpty && n == 0) {
			return bad(StatsCounts, "class %d has %d samples, want >= 1", c, n)
		}
		if s.Correct[c] < 0 || s.Correct[c] > n {
			return bad(StatsCorrect, "class %d: %d of %d samples", c, s.Correct[c], n)
		}
		if s.NC4Agree != nil && (s.NC4Agree[c] < 0 || s.NC4Agree[c] > n) {
			return bad(StatsNC4Agree, "class %d: %d of %d samples", c, s.NC4Agree[c], n)
		}
	}
	if s.N() < 1 {
		return bad(StatsCounts, "no samples")
	}
	return s.validateValues(k, d)
}

// validateValues checks finiteness and the consistency relations.
func (s *Stats) validateValues(k, d int) error {
	bad := func(array, format string, args ...any) error {
		return fmt.Errorf("metrics: statistics: %s: %s", array, fmt.Sprintf(format, args...))
	}
	for _, a := range []struct {
		name string
		v    []float64
	}{{StatsClassifier, s.W.RawMatrix().Data}, {StatsBias, s.B}, {StatsFeatureSums, s.FeatureSums.RawMatrix().Data},
		{StatsFeatureGram, s.FeatureGram.RawSymmetric().Data}, {StatsNormSqSums, s.NormSqSums},
		{StatsLossSum, []float64{s.LossSum}}, {StatsSoftmaxSums, s.SoftmaxSums.RawMatrix().Data}} {
		if !finite(a.v) {
			return bad(a.name, "%v", setting.ErrNonFinite)
		}
	}
	const rel = 1e-8
	if s.LossSum < 0 {
		return bad(StatsLossSum, "%g < 0 (a cross-entropy is >= 0)", s.LossSum)
	}
	tr, sq := 0.0, 0.0
	for a := 0; a < d; a++ {
		tr += s.FeatureGram.At(a, a)
	}
	for c := 0; c < k; c++ {
		n := float64(s.Counts[c])
		sq += s.NormSqSums[c]
		row := s.FeatureSums.RawRowView(c)
		if n == 0 {
			if s.NormSqSums[c] != 0 || dot(row, row) != 0 {
				return bad(StatsFeatureSums, "class %d has no samples but nonzero sums", c)
			}
		} else if s.NormSqSums[c] < dot(row, row)/n-rel*math.Abs(s.NormSqSums[c]) {
			return bad(StatsNormSqSums, "class %d: %g, below ||sum h_i||^2 / n_k = %g", c, s.NormSqSums[c], dot(row, row)/n)
		}
		p := 0.0
		for _, v := range s.SoftmaxSums.RawRowView(c) {
			if v < 0 {
				return bad(StatsSoftmaxSums, "row %d has the negative entry %g", c, v)
			}
			p += v
		}
		if math.Abs(p-n) > rel*n {
			return bad(StatsSoftmaxSums, "row %d sums to %.17g, want n_k = %d (sums of probabilities)", c, p, s.Counts[c])
		}
	}
	if math.Abs(tr-sq) > rel*math.Max(tr, sq) {
		return bad(StatsFeatureGram, "trace %.17g, but norm_sq_sums add up to %.17g", tr, sq)
	}
	return nil
}

// N returns the number of samples, sum_k n_k.
func (s *Stats) N() int { return sum(s.Counts) }

// Measure returns the measurement the statistics determine (see Stats for
// what they cannot give), after Validate.
func (s *Stats) Measure(opt Options) (*Measurement, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	k, d := s.W.Dims()
	n := s.N()
	m, err := newMeasurement(n, d, s.W, s.B, opt)
	if err != nil {
		return nil, err
	}
	copy(m.Counts, s.Counts)
	copy(m.Correct, s.Correct)
	if s.NC4Agree != nil {
		m.NC4Agree = append([]int(nil), s.NC4Agree...)
	}
	m.SoftmaxSums.Copy(s.SoftmaxSums)
	m.Loss = s.LossSum / float64(n)
	for _, v := range s.NormSqSums {
		m.FeatureNormSq += v
	}
	sums := mat.DenseCopyOf(s.FeatureSums).RawMatrix().Data
	if err := m.setMeans(sums); err != nil {
		return nil, err
	}
	for c := 0; c < k; c++ {
		row := s.FeatureSums.RawRowView(c)
		m.WithinSq[c] = math.Max(0, s.NormSqSums[c]-dot(row, row)/float64(s.Counts[c]))
	}
	if m.dirs != nil {
		v := math.Max(0, quadAbout(s.FeatureGram, s.FeatureSums, s.Counts, m.dirs, m.meanRows)) / float64(n) / float64(k)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errNonFinite("NC1 from the statistics")
		}
		m.NC1 = &v
	}
	return m, nil
}

// quadAbout returns sum_i ||D^T (h_i - mu_{y_i})||^2 from the statistics of
// the samples h_i (Gram G, class sums S_k, counts n_k) and means mu_k (K x d
// row-major): tr(D^T G D) - 2 sum_k (D^T S_k).(D^T mu_k) + sum_k n_k
// ||D^T mu_k||^2.
func quadAbout(g *mat.SymDense, sums *mat.Dense, counts []int, dirs *mat.Dense, meanRows []float64) float64 {
	d, r := dirs.Dims()
	var gd mat.Dense
	gd.Mul(g, dirs) // d x r
	t := 0.0
	for a := 0; a < d; a++ {
		for j := 0; j < r; j++ {
			t += dirs.At(a, j) * gd.At(a, j)
		}
	}
	k := len(counts)
	var ps, pm mat.Dense
	ps.Mul(sums, dirs)                         // K x r: D^T S_k
	pm.Mul(mat.NewDense(k, d, meanRows), dirs) // K x r: D^T mu_k
	for c := 0; c < k; c++ {
		for j := 0; j < r; j++ {
			t += -2*ps.At(c, j)*pm.At(c, j) + float64(counts[c])*pm.At(c, j)*pm.At(c, j)
		}
	}
	return t
}

// AccumulateStats reads the samples and returns their statistics with the
// classifier (W, b): one pass, and a second for NC4Agree when nc4 is true
// (it needs the class means). It is the Go counterpart of the Python hook,
// for a loop written in Go and for tests. Cost: O(N d (d + K)) flops (the
// Gram dominates) and O(d^2 + K d) memory.
func AccumulateStats(x Samples, w *mat.Dense, b []float64, nc4 bool) (*Stats, error) {
	n, d := x.Dims()
	labels := x.Labels()
	if _, err := newMeasurement(n, d, w, b, Options{}); err != nil {
		return nil, err
	}
	k, _ := w.Dims()
	if len(labels) != n {
		return nil, fmt.Errorf("metrics: %d labels for %d samples", len(labels), n)
	}
	s := &Stats{Counts: make([]int, k), FeatureSums: mat.NewDense(k, d, nil), FeatureGram: mat.NewSymDense(d, nil),
		NormSqSums: make([]float64, k), SoftmaxSums: mat.NewDense(k, k, nil), Correct: make([]int, k), W: w, B: b}
	var pred []int32
	if nc4 {
		pred = make([]int32, n)
	}
	wT := w.T()
	var zbuf []float64
	err := x.Scan(func(first int, rows []float64) error {
		nb := len(rows) / d
		if nb == 0 {
			return nil
		}
		if !finite(rows) {
			return fmt.Errorf("metrics: features of samples %d..%d: %w", first, first+nb-1, setting.ErrNonFinite)
		}
		blk := mat.NewDense(nb, d, rows)
		blas64.Syrk(blas.Trans, 1, blk.RawMatrix(), 1, s.FeatureGram.RawSymmetric())
		if len(zbuf) < nb*k {
			zbuf = make([]float64, nb*k)
		}
		logits := mat.NewDense(nb, k, zbuf[:nb*k])
		logits.Mul(blk, wT)
		for r := 0; r < nb; r++ {
			y := labels[first+r]
			if y < 0 || y >= k {
				return fmt.Errorf("metrics: sample %d has label %d, want 0..%d", first+r, y, k-1)
			}
			s.Counts[y]++
			h := rows[r*d : (r+1)*d]
			sumRow := s.FeatureSums.RawRowView(y)
			for a, v := range h {
				sumRow[a] += v
				s.NormSqSums[y] += v * v
			}
			z := logits.RawRowView(r)
			for j := range z {
				if b != nil {
					z[j] += b[j]
				}
			}
			ce, top := softmaxInto(z, y, s.SoftmaxSums.RawRowView(y))
			s.LossSum += ce
			if top == y {
				s.Correct[y]++
			}
			if pred != nil {
				pred[first+r] = int32(top)
			}
		}
		return nil
	})
	if err != nil || !nc4 {
		return s, err
	}
	return s, s.agreement(x, labels, pred)
}

// agreement fills NC4Agree with a second pass over the samples.
func (s *Stats) agreement(x Samples, labels []int, pred []int32) error {
	m, err := s.Measure(Options{})
	if err != nil {
		return err
	}
	kn := newNCCKernel(m)
	s.NC4Agree = make([]int, m.K)
	within := make([]float64, m.K)
	return x.Scan(func(first int, rows []float64) error {
		_, err := kn.block(rows, labels[first:], func(i, _ int) int { return int(pred[first+i]) }, s.NC4Agree, within)
		return err
	})
}

// SplitStats is Split from the statistics of the split (same W and b as
// m): loss, accuracy and NC1 about the training means; NC4 is undefined
// (it needs each sample against the training means).
func (m *Measurement) SplitStats(s *Stats) (*Split, error) {
	if err := s.ValidateSplit(); err != nil {
		return nil, err
	}
	if !mat.Equal(s.W, m.W) || !slices.Equal(s.B, m.B) {
		return nil, fmt.Errorf("metrics: the split's statistics have another classifier or bias than the training measurement")
	}
	n := s.N()
	sp := &Split{N: n, Loss: s.LossSum / float64(n)}
	if m.dirs != nil {
		v := math.Max(0, quadAbout(s.FeatureGram, s.FeatureSums, s.Counts, m.dirs, m.meanRows)) / float64(n) / float64(m.K)
		sp.NC1 = &v
	}
	if err := sp.finish(s.Counts, s.Correct, nil); err != nil {
		return nil, err
	}
	return sp, nil
}
