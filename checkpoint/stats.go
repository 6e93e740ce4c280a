package checkpoint

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
)

// A statistics checkpoint is the .npz file of experiments/ncstats.py: the
// sufficient statistics of the last layer (package metrics, Stats) instead
// of the features,
//
//	counts        K, integer: n_k
//	feature_sums  K x d, float: sum_{i in k} h_i
//	feature_gram  d x d, float: sum_i h_i h_i^T
//	norm_sq_sums  K, float: sum_{i in k} ||h_i||^2
//	loss_sum      a scalar, float: sum_i CE(W h_i + b, y_i)
//	softmax_sums  K x K, float: row k = sum_{i in k} softmax(W h_i + b)
//	correct       K, integer: samples of class k the classifier gets right
//	nc4_agree     K, integer, optional: samples of class k where the
//	              classifier agrees with the nearest class mean
//	classifier    K x d, bias K (optional), epoch (optional): as in a
//	              features checkpoint.
//
// Open reads one when the file has feature_gram and no features array.

// isStats reports whether the archive is a statistics checkpoint.
func isStats(a *archive) bool {
	_, gram := a.members[metrics.StatsFeatureGram]
	_, feat := a.members[ArrayFeatures]
	return gram && !feat
}

// statsArray is one array of a statistics checkpoint as openStats checks
// it: its name, whether it holds integers (else floats), and its shape in
// units of K and d.
type statsArray struct {
	name     string
	integer  bool
	shape    func(k, d int) []int
	optional bool
}

func statsArrays() []statsArray {
	vec := func(k, _ int) []int { return []int{k} }
	return []statsArray{
		{name: metrics.StatsCounts, integer: true, shape: vec},
		{name: metrics.StatsFeatureSums, shape: func(k, d int) []int { return []int{k, d} }},
		{name: metrics.StatsFeatureGram, shape: func(_, d int) []int { return []int{d, d} }},
		{name: metrics.StatsNormSqSums, shape: vec},
		{name: metrics.StatsLossSum, shape: func(int, int) []int { return nil }},
		{name: metrics.StatsSoftmaxSums, shape: func(k, _ int) []int { return []int{k, k} }},
		{name: metrics.StatsCorrect, integer: true, shape: vec},
		{name: metrics.StatsNC4Agree, integer: true, shape: vec, optional: true},
		{name: ArrayBias, shape: vec, optional: true},
	}
}

// openStats reads a statistics checkpoint: every header first (shapes and
// dtypes against the classifier's K x d), then the memory check, then the
// data, which metrics.Stats validates (ValidateSplit for a split).
func (c *Checkpoint) openStats(a *archive, set OpenSettings) (*Checkpoint, error) {
	c.FeatureType = FeatureStatistics
	cm, err := c.statsClassifierHeader(a)
	if err != nil {
		return nil, err
	}
	defer cm.Close()
	members := map[string]*member{ArrayClassifier: cm}
	for _, sa := range statsArrays() {
		if _, ok := a.members[sa.name]; !ok && sa.optional {
			continue
		}
		m, err := c.statsHeader(a, sa)
		if err != nil {
			return nil, err
		}
		defer m.Close()
		members[sa.name] = m
	}
	if _, ok := a.members[ArrayEpoch]; ok {
		em, err := c.epochHeader(a)
		if err != nil {
			return nil, err
		}
		defer em.Close()
		if err := c.checkMemory(set); err != nil {
			return nil, err
		}
		if err := c.readEpoch(em); err != nil {
			return nil, err
		}
	} else if err := c.checkMemory(set); err != nil {
		return nil, err
	}
	if err := c.readStats(members, set.Split); err != nil {
		return nil, err
	}
	return c, nil
}

// FeatureStatistics is the FeatureType of a statistics checkpoint.
const FeatureStatistics = "statistics"

// statsClassifierHeader checks the classifier's header and sets K and d.
func (c *Checkpoint) statsClassifierHeader(a *archive) (*member, error) {
	m, err := a.open(ArrayClassifier)
	if err != nil {
		return nil, err
	}
	shape := m.h.Descr.Shape
	reason := ""
	switch {
	case floatType(m.h.Descr.Type) == "":
		reason = fmt.Sprintf("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
	case len(shape) != 2:
		reason = fmt.Sprintf("has shape %v; want 2 dimensions (K x d)", shape)
	case shape[0] < 2 || shape[0] > MaxClasses:
		reason = fmt.Sprintf("has %d rows; want K between 2 and %d classes", shape[0], MaxClasses)
	case shape[1] < 1:
		reason = fmt.Sprintf("has shape %v; want d >= 1", shape)
	}
	if reason != "" {
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayClassifier, Reason: reason}
	}
	c.K, c.D, c.wFortran = shape[0], shape[1], m.h.Descr.Fortran
	if c.wFortran {
		c.statsFortran += 8 * int64(c.K) * int64(c.D)
	}
	return m, nil
}

// statsHeader opens an array of a statistics checkpoint and checks its
// dtype and shape.
func (c *Checkpoint) statsHeader(a *archive, sa statsArray) (*member, error) {
	m, err := a.open(sa.name)
	if err != nil {
		return nil, err
	}
	want := sa.shape(c.K, c.D)
	shape := m.h.Descr.Shape
	reason := ""
	switch {
	case sa.integer && !intType(m.h.Descr.Type):
		reason = fmt.Sprintf("has dtype %s; want an integer dtype", dtypeName(m.h.Descr.Type))
	case !sa.integer && floatType(m.h.Descr.Type) == "":
		reason = fmt.Sprintf("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
	case !slices.Equal(shape, want) && !(len(want) == 0 && slices.Equal(shape, []int{1})):
		reason = fmt.Sprintf("has shape %v; want %v (K = %d, d = %d of the classifier)", shape, want, c.K, c.D)
	}
	if reason != "" {
		m.Close()
		return nil, &Error{File: a.path, Array: sa.name, Reason: reason}
	}
	if sa.name == ArrayBias {
		c.bias = true
	}
	if m.h.Descr.Fortran && len(want) == 2 {
		c.statsFortran += 8 * int64(want[0]) * int64(want[1])
	}
	return m, nil
}

// readStats reads the data of every opened array into c.stats and checks it.
func (c *Checkpoint) readStats(members map[string]*member, split bool) error {
	s := &metrics.Stats{}
	k, d := c.K, c.D
	floats := func(name string, rows, cols int) ([]float64, error) {
		m := members[name]
		data := make([]float64, rows*cols)
		err := m.readFloats(data)
		if err == nil {
			err = m.finish()
		}
		if err != nil {
			return nil, &Error{File: c.Path, Array: name, Reason: err.Error()}
		}
		if m.h.Descr.Fortran && rows > 1 && cols > 1 {
			data = transpose(data, cols, rows)
		}
		if i := firstNonFinite(data); i >= 0 {
			return nil, &Error{File: c.Path, Array: name, Reason: fmt.Sprintf("entry %d is %v", i, data[i])}
		}
		return data, nil
	}
	ints := func(name string) ([]int, error) {
		m := members[name]
		v := make([]int, k)
		err := m.readInts(v)
		if err == nil {
			err = m.finish()
		}
		if err != nil {
			return nil, &Error{File: c.Path, Array: name, Reason: err.Error()}
		}
		return v, nil
	}
	var err error
	if s.Counts, err = ints(metrics.StatsCounts); err != nil {
		return err
	}
	if s.Correct, err = ints(metrics.StatsCorrect); err != nil {
		return err
	}
	if _, ok := members[metrics.StatsNC4Agree]; ok {
		if s.NC4Agree, err = ints(metrics.StatsNC4Agree); err != nil {
			return err
		}
	}
	w, err := floats(ArrayClassifier, k, d)
	if err != nil {
		return err
	}
	c.W, s.W = mat.NewDense(k, d, w), mat.NewDense(k, d, w)
	if _, ok := members[ArrayBias]; ok {
		if c.B, err = floats(ArrayBias, k, 1); err != nil {
			return err
		}
		s.B = c.B
	}
	sums, err := floats(metrics.StatsFeatureSums, k, d)
	if err != nil {
		return err
	}
	s.FeatureSums = mat.NewDense(k, d, sums)
	gram, err := floats(metrics.StatsFeatureGram, d, d)
	if err != nil {
		return err
	}
	s.FeatureGram = mat.NewSymDense(d, gram)
	if s.NormSqSums, err = floats(metrics.StatsNormSqSums, k, 1); err != nil {
		return err
	}
	loss, err := floats(metrics.StatsLossSum, 1, 1)
	if err != nil {
		return err
	}
	s.LossSum = loss[0]
	soft, err := floats(metrics.StatsSoftmaxSums, k, k)
	if err != nil {
		return err
	}
	s.SoftmaxSums = mat.NewDense(k, k, soft)
	return c.setStats(s, gram, split)
}

// setStats checks the statistics (the Gram matrix symmetric to 1e-12 of
// its diagonal, the upper triangle used; then
// metrics.Stats' validation) and sets the checkpoint's counts from them.
func (c *Checkpoint) setStats(s *metrics.Stats, gram []float64, split bool) error {
	d := c.D
	for i := 0; i < d; i++ {
		for j := 0; j < i; j++ {
			if a, b := gram[i*d+j], gram[j*d+i]; math.Abs(a-b) > 1e-12*math.Sqrt(math.Abs(gram[i*d+i]*gram[j*d+j])) {
				return &Error{File: c.Path, Array: metrics.StatsFeatureGram, Reason: fmt.Sprintf("is not symmetric: entry (%d, %d) = %v, (%d, %d) = %v", i, j, a, j, i, b)}
			}
		}
	}
	validate := s.Validate
	if split {
		validate = s.ValidateSplit
	}
	if err := validate(); err != nil {
		return &Error{File: c.Path, Reason: err.Error()}
	}
	c.stats = s
	c.Counts = append([]int(nil), s.Counts...)
	c.N = s.N()
	return nil
}

// Statistics returns the sufficient statistics of a statistics checkpoint,
// nil for a features checkpoint.
func (c *Checkpoint) Statistics() *metrics.Stats { return c.stats }
