package metrics

import (
	"fmt"
	"math"

	"nccheck/setting"
)

// UndefinedError says why a metric has no value for a measurement (a zero
// norm, two equal class means, statistics that lack what it needs). It is
// not a failure of the computation: a report prints the metric as n/a with
// Reason (JSON: null, and the reason under "undefined").
type UndefinedError struct {
	// Metric is the metric's JSON key, Reason a short phrase.
	Metric, Reason string
}

func (e *UndefinedError) Error() string { return e.Metric + " undefined: " + e.Reason }

func undefined(metric, format string, args ...any) error {
	return &UndefinedError{Metric: metric, Reason: fmt.Sprintf(format, args...)}
}

// Accuracy returns the classifier's accuracy on the measured samples,
// (1/N) sum_i 1[argmax_j (W h_i + b)_j = y_i].
func (m *Measurement) Accuracy() float64 { return float64(sum(m.Correct)) / float64(m.N) }

// NC4 returns (1/N) sum_i 1[argmax_j (W h_i + b)_j = argmin_j ||h_i - mu_j||],
// the agreement of the classifier with the nearest class mean (Papyan,
// Han, Donoho 2020, NC4). Undefined for statistics without nc4_agree.
func (m *Measurement) NC4() (float64, error) {
	if m.NC4Agree == nil {
		return 0, undefined("nc4", "the statistics have no nc4_agree (it needs the class means: a second pass)")
	}
	return float64(sum(m.NC4Agree)) / float64(m.N), nil
}

// WorstMargins returns, per class, (W mu_k)_k - max_{j != k} (W mu_k)_j
// (without the bias, like Margins): negative when the classifier puts the
// class's own mean in another class. The paper's margin (Margins) averages
// over j != k instead and can stay positive while a single other class wins.
func (m *Measurement) WorstMargins() []float64 {
	k := m.K
	out := make([]float64, k)
	for c := 0; c < k; c++ {
		best := math.Inf(-1)
		for j := 0; j < k; j++ {
			if j != c {
				best = math.Max(best, m.WH.At(j, c))
			}
		}
		out[c] = m.WH.At(c, c) - best
	}
	return out
}

// centred returns the centred means mu_k - mu_G (K rows of d values) and
// their norms.
func (m *Measurement) centred() (rows [][]float64, norms []float64) {
	k, d := m.K, m.D
	rows = make([][]float64, k)
	norms = make([]float64, k)
	for c := 0; c < k; c++ {
		row := make([]float64, d)
		s := 0.0
		for a := 0; a < d; a++ {
			v := m.meanRows[c*d+a] - m.Global[a]
			row[a] = v
			s += v * v
		}
		rows[c], norms[c] = row, math.Sqrt(s)
	}
	return rows, norms
}

// coefficientOfVariation returns std(x) (ddof 1) / mean(x); ok is false
// when the mean is 0.
func coefficientOfVariation(x []float64) (float64, bool) {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if mean == 0 {
		return 0, false
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss/float64(len(x)-1)) / mean, true
}

// EquinormMeans returns the coefficient of variation of ||mu_k - mu_G||
// over the classes, std (ddof 1) / mean (Papyan, Han, Donoho 2020, NC2
// equinorm): 0 when every centred mean has the same length, as in a simplex
// ETF. Undefined when every class mean is mu_G.
func (m *Measurement) EquinormMeans() (float64, error) {
	_, norms := m.centred()
	v, ok := coefficientOfVariation(norms)
	if !ok {
		return 0, undefined("equinorm_means", "every class mean is the global mean")
	}
	return v, nil
}

// EquinormClassifier returns the coefficient of variation of ||w_k|| over
// the classes, std (ddof 1) / mean (Papyan, Han, Donoho 2020). Undefined
// when W = 0.
func (m *Measurement) EquinormClassifier() (float64, error) {
	norms := make([]float64, m.K)
	for c := range norms {
		norms[c] = math.Sqrt(m.WWT.At(c, c))
	}
	v, ok := coefficientOfVariation(norms)
	if !ok {
		return 0, undefined("equinorm_classifier", "W = 0")
	}
	return v, nil
}

// zeroCentred returns the first class whose mean is mu_G, or -1.
func zeroCentred(norms []float64) int {
	for c, v := range norms {
		if v == 0 {
			return c
		}
	}
	return -1
}

// Equiangularity returns (1/(K(K-1))) sum_{k != l} |cos(mu_k - mu_G,
// mu_l - mu_G) + 1/(K-1)|, the mean deviation of the centred means' cosines
// from the simplex ETF's -1/(K-1) (Papyan, Han, Donoho 2020, NC2
// equiangularity, as the mean absolute deviation): 0 for a simplex ETF.
// Undefined when a class mean is mu_G.
func (m *Measurement) Equiangularity() (float64, error) {
	rows, norms := m.centred()
	if c := zeroCentred(norms); c >= 0 {
		return 0, undefined("equiangularity", "the mean of class %d is the global mean", c)
	}
	k := m.K
	s := 0.0
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			if a != b {
				s += math.Abs(dot(rows[a], rows[b])/(norms[a]*norms[b]) + 1/float64(k-1))
			}
		}
	}
	return s / float64(k*(k-1)), nil
}

// SelfDuality returns ||W^T/||W||_F - Mt/||Mt||_F||_F^2 with Mt = [mu_k -
// mu_G] (d x K), the distance of the classifier from the centred means
// (Papyan, Han, Donoho 2020, NC3): 0 when w_k is proportional to mu_k - mu_G.
// Undefined when W = 0 or every class mean is mu_G.
func (m *Measurement) SelfDuality() (float64, error) {
	rows, norms := m.centred()
	mt := 0.0
	for _, v := range norms {
		mt += v * v
	}
	mt = math.Sqrt(mt)
	wn := math.Sqrt(m.ClassifierNormSq)
	switch {
	case wn == 0:
		return 0, undefined("self_duality", "W = 0")
	case mt == 0:
		return 0, undefined("self_duality", "every class mean is the global mean")
	}
	s := 0.0
	for c, row := range rows {
		w := m.W.RawRowView(c)
		for a, v := range row {
			e := w[a]/wn - v/mt
			s += e * e
		}
	}
	return s, nil
}

// CDNV returns the class-distance normalised variance, the mean over the
// pairs k < l of (s_k^2 + s_l^2) / (2 ||mu_k - mu_l||^2) with s_k^2 = (1/n_k)
// sum_{i in k} ||h_i - mu_k||^2 (Galanti, Gyorgy, Hutter 2022): 0 at
// within-class collapse. Undefined when two classes have the same mean.
func (m *Measurement) CDNV() (float64, error) {
	k, d := m.K, m.D
	s := 0.0
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			sep := 0.0
			ra, rb := m.meanRows[a*d:(a+1)*d], m.meanRows[b*d:(b+1)*d]
			for j := range ra {
				v := ra[j] - rb[j]
				sep += v * v
			}
			if sep == 0 {
				return 0, undefined("cdnv", "classes %d and %d have the same mean", a, b)
			}
			va := m.WithinSq[a] / float64(m.Counts[a])
			vb := m.WithinSq[b] / float64(m.Counts[b])
			s += (va + vb) / (2 * sep)
		}
	}
	return s / float64(k*(k-1)/2), nil
}

// GNC2 returns the variance (over the K(K-1)/2 pairs k < l, population
// variance) of log(1/||u_k - u_l||) with u_k = (mu_k - mu_G)/||mu_k - mu_G||,
// the hyperspherical uniformity of the centred means (Liu et al. 2023,
// generalised NC2): 0 when every pair is equally far apart, as in a simplex
// ETF. Undefined when a class mean is mu_G or two directions u_k coincide.
func (m *Measurement) GNC2() (float64, error) {
	rows, norms := m.centred()
	if c := zeroCentred(norms); c >= 0 {
		return 0, undefined("gnc2", "the mean of class %d is the global mean", c)
	}
	k := m.K
	var logs []float64
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			s := 0.0
			for j := range rows[a] {
				v := rows[a][j]/norms[a] - rows[b][j]/norms[b]
				s += v * v
			}
			if s == 0 {
				return 0, undefined("gnc2", "classes %d and %d have the same centred direction", a, b)
			}
			logs = append(logs, -0.5*math.Log(s))
		}
	}
	mean := 0.0
	for _, v := range logs {
		mean += v
	}
	mean /= float64(len(logs))
	ss := 0.0
	for _, v := range logs {
		ss += (v - mean) * (v - mean)
	}
	return ss / float64(len(logs)), nil
}

// BiasRelation returns ||W mu_G + b||_2 (b = 0 without a bias): the norm
// of the logits of the global mean, 0 when the relation b = -W mu_G of
// the balanced neural-collapse literature holds. It is scale-dependent (not
// normalised) and not invariant to adding a constant to every logit.
func (m *Measurement) BiasRelation() float64 {
	s := 0.0
	for c := 0; c < m.K; c++ {
		v := dot(m.W.RawRowView(c), m.Global)
		if m.B != nil {
			v += m.B[c]
		}
		s += v * v
	}
	return math.Sqrt(s)
}

// MeanProbabilities returns, per class, the mean over its samples of the
// softmax probability of the class itself, (1/n_k) sum_{i in k}
// softmax(W h_i + b)_k: p_k of theory.md section 2 (1 - c beta_k for an
// alive class at the prediction, 1/K for a collapsed one).
func (m *Measurement) MeanProbabilities() []float64 {
	out := make([]float64, m.K)
	for c := range out {
		out[c] = m.SoftmaxSums.At(c, c) / float64(m.Counts[c])
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func sum(x []int) int {
	s := 0
	for _, v := range x {
		s += v
	}
	return s
}

func errNonFinite(what string) error {
	return fmt.Errorf("metrics: %s: %w", what, setting.ErrNonFinite)
}
