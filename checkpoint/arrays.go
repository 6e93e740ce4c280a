package checkpoint

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// One reader per array: the ...Header methods read and check an array's
// .npy header (shape, dtype, size) and leave its member open; the read...
// methods read the data, to the member's end, and check the values.

// featuresHeader checks the features' header: N x d, float32 or float64.
func (c *Checkpoint) featuresHeader(a *archive) error {
	m, err := a.open(ArrayFeatures)
	if err != nil {
		return err
	}
	defer m.Close()
	fail := func(format string, args ...any) error {
		return &Error{File: a.path, Array: ArrayFeatures, Reason: fmt.Sprintf(format, args...)}
	}
	shape := m.h.Descr.Shape
	if c.FeatureType = floatType(m.h.Descr.Type); c.FeatureType == "" {
		return fail("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
	}
	if len(shape) != 2 {
		return fail("has shape %v; want 2 dimensions (N x d)", shape)
	}
	c.N, c.D = shape[0], shape[1]
	if c.N < 1 || c.D < 1 {
		return fail("has shape %v; want N >= 1 samples and d >= 1", shape)
	}
	c.fortran = m.h.Descr.Fortran
	c.fSize = elemSize(m.h.Descr.Type)
	c.order = byteOrder(m.h.Descr.Type)
	c.entry = m.zf.Name
	return nil
}

// classifierHeader checks the classifier's header: K x d (d of the
// features), 2 <= K <= MaxClasses, float32 or float64.
func (c *Checkpoint) classifierHeader(a *archive) (*member, error) {
	m, err := a.open(ArrayClassifier)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*member, error) {
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayClassifier, Reason: fmt.Sprintf(format, args...)}
	}
	shape := m.h.Descr.Shape
	switch {
	case floatType(m.h.Descr.Type) == "":
		return fail("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
	case len(shape) != 2:
		return fail("has shape %v; want 2 dimensions (K x d)", shape)
	case shape[1] != c.D && shape[1] == c.N && c.labelCount(a) == c.D:
		// The features' rows match the classifier's columns and their
		// columns the labels: the features were saved d x N, the
		// transpose of what the format says.
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayFeatures, Reason: fmt.Sprintf(
			"has shape [%d %d], d x N it seems (the classifier %v has %d columns): save features.T, N x d, one row per sample",
			c.N, c.D, shape, shape[1])}
	case shape[1] != c.D && shape[0] == c.D:
		return fail("has shape %v, d x K it seems (the features have d = %d columns): save classifier.T, K x d", shape, c.D)
	case shape[1] != c.D:
		return fail("has shape %v; want K x %d (d of the features)", shape, c.D)
	case shape[0] < 2 || shape[0] > MaxClasses:
		return fail("has %d rows; want K between 2 and %d classes", shape[0], MaxClasses)
	}
	c.K = shape[0]
	c.wFortran = m.h.Descr.Fortran
	c.wSize = elemSize(m.h.Descr.Type)
	return m, nil
}

// labelCount is the length of a 1-D labels array, -1 when it cannot say
// (no such array, another shape): a hint for a mismatch of the others.
func (c *Checkpoint) labelCount(a *archive) int {
	if _, ok := a.members[ArrayLabels]; !ok {
		return -1
	}
	m, err := a.open(ArrayLabels)
	if err != nil {
		return -1
	}
	defer m.Close()
	if shape := m.h.Descr.Shape; len(shape) == 1 {
		return shape[0]
	}
	return -1
}

// labelsHeader checks the labels' header: N integers.
func (c *Checkpoint) labelsHeader(a *archive) (*member, error) {
	m, err := a.open(ArrayLabels)
	if err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) (*member, error) {
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayLabels, Reason: fmt.Sprintf(format, args...)}
	}
	shape := m.h.Descr.Shape
	if !intType(m.h.Descr.Type) {
		return fail("has dtype %s; want an integer dtype", dtypeName(m.h.Descr.Type))
	}
	if len(shape) != 1 || shape[0] != c.N {
		return fail("has shape %v; want (%d,) (one label per row of features)", shape, c.N)
	}
	c.labelSz = elemSize(m.h.Descr.Type)
	return m, nil
}

// biasHeader checks the bias's header: K floats.
func (c *Checkpoint) biasHeader(a *archive) (*member, error) {
	m, err := a.open(ArrayBias)
	if err != nil {
		return nil, err
	}
	shape := m.h.Descr.Shape
	reason := ""
	switch {
	case floatType(m.h.Descr.Type) == "":
		reason = fmt.Sprintf("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
	case len(shape) != 1 || shape[0] != c.K:
		reason = fmt.Sprintf("has shape %v; want (%d,) (K of the classifier)", shape, c.K)
	}
	if reason != "" {
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayBias, Reason: reason}
	}
	c.bias = true
	c.bSize = elemSize(m.h.Descr.Type)
	return m, nil
}

// epochHeader checks the epoch's header: a scalar (or one element) of an
// integer or float dtype.
func (c *Checkpoint) epochHeader(a *archive) (*member, error) {
	m, err := a.open(ArrayEpoch)
	if err != nil {
		return nil, err
	}
	shape := m.h.Descr.Shape
	reason := ""
	switch {
	case len(shape) != 0 && !(len(shape) == 1 && shape[0] == 1):
		reason = fmt.Sprintf("has shape %v; want a scalar", shape)
	case !intType(m.h.Descr.Type) && floatType(m.h.Descr.Type) == "":
		reason = fmt.Sprintf("has dtype %s; want an integer", dtypeName(m.h.Descr.Type))
	}
	if reason != "" {
		m.Close()
		return nil, &Error{File: a.path, Array: ArrayEpoch, Reason: reason}
	}
	return m, nil
}

// readClassifier reads W (K x d) as float64; every entry must be finite.
func (c *Checkpoint) readClassifier(m *member) error {
	fail := func(format string, args ...any) error {
		return &Error{File: c.Path, Array: ArrayClassifier, Reason: fmt.Sprintf(format, args...)}
	}
	data := make([]float64, c.K*c.D)
	if err := m.readFloats(data); err != nil {
		return fail("%s", err)
	}
	if err := m.finish(); err != nil {
		return fail("%s", err)
	}
	if c.wFortran {
		data = transpose(data, c.D, c.K)
	}
	if i := firstNonFinite(data); i >= 0 {
		return fail("entry (%d, %d) is %v", i/c.D, i%c.D, data[i])
	}
	c.W = mat.NewDense(c.K, c.D, data)
	return nil
}

// readBias reads b (K) as float64; every entry must be finite.
func (c *Checkpoint) readBias(m *member) error {
	fail := func(format string, args ...any) error {
		return &Error{File: c.Path, Array: ArrayBias, Reason: fmt.Sprintf(format, args...)}
	}
	c.B = make([]float64, c.K)
	if err := m.readFloats(c.B); err != nil {
		return fail("%s", err)
	}
	if err := m.finish(); err != nil {
		return fail("%s", err)
	}
	if i := firstNonFinite(c.B); i >= 0 {
		return fail("entry %d is %v", i, c.B[i])
	}
	return nil
}

// readLabels reads the N labels and counts the classes: every label in
// 0..K-1, every class present (but in a split).
func (c *Checkpoint) readLabels(m *member) error {
	fail := func(format string, args ...any) error {
		return &Error{File: c.Path, Array: ArrayLabels, Reason: fmt.Sprintf(format, args...)}
	}
	c.Labels = make([]int, c.N)
	if err := m.readInts(c.Labels); err != nil {
		return fail("%s", err)
	}
	if err := m.finish(); err != nil {
		return fail("%s", err)
	}
	c.Counts = make([]int, c.K)
	for i, y := range c.Labels {
		if y < 0 || y >= c.K {
			return fail("label %d of sample %d is out of range 0..%d (K = %d classifier rows)", y, i, c.K-1, c.K)
		}
		c.Counts[y]++
	}
	for k, n := range c.Counts {
		if n == 0 && !c.split {
			return fail("class %d has no samples (every class 0..%d needs one)", k, c.K-1)
		}
	}
	return nil
}

// readEpoch reads the epoch: an integer, or a float holding a whole number
// of magnitude at most 1e15.
func (c *Checkpoint) readEpoch(m *member) error {
	fail := func(format string, args ...any) error {
		return &Error{File: c.Path, Array: ArrayEpoch, Reason: fmt.Sprintf(format, args...)}
	}
	var e int64
	if intType(m.h.Descr.Type) {
		v := make([]int, 1)
		if err := m.readInts(v); err != nil {
			return fail("%s", err)
		}
		e = int64(v[0])
	} else {
		v := make([]float64, 1)
		if err := m.readFloats(v); err != nil {
			return fail("%s", err)
		}
		if v[0] != math.Trunc(v[0]) || math.Abs(v[0]) > 1e15 {
			return fail("%v is not a whole number", v[0])
		}
		e = int64(v[0])
	}
	if err := m.finish(); err != nil {
		return fail("%s", err)
	}
	c.Epoch = &e
	return nil
}
