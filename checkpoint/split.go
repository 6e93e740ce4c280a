package checkpoint

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
)

// TestReport is a held-out split of the network (a test set) measured with
// the training checkpoint's class means and classifier
// (metrics.Measurement.Split): accuracy, NC4 against the training means and
// NC1 about them (Sigma_W of the split, Sigma_B of the training set).
type TestReport struct {
	File string `json:"file"`
	metrics.Split
}

// measureSplit measures the split checkpoint t with the training
// measurement m of c. t must have c's classifier and bias, bit for bit.
func measureSplit(c, t *Checkpoint, m *metrics.Measurement) (*TestReport, error) {
	if err := sameNetwork(c, t); err != nil {
		return nil, err
	}
	var sp *metrics.Split
	var err error
	if t.stats != nil {
		sp, err = m.SplitStats(t.stats)
	} else {
		sp, err = m.Split(t.Samples())
	}
	if err != nil {
		return nil, &Error{File: t.Path, Reason: "as the test split of " + quoteName(c.Path) + ": " + err.Error()}
	}
	return &TestReport{File: t.Path, Split: *sp}, nil
}

// sameNetwork checks that the split checkpoint t has the training
// checkpoint c's classifier and bias, bit for bit.
func sameNetwork(c, t *Checkpoint) error {
	fail := func(array, reason string) error {
		return &Error{File: t.Path, Array: array, Reason: reason + " (a test split must come from the same network as " + quoteName(c.Path) + ")"}
	}
	switch {
	case t.K != c.K || t.D != c.D:
		return fail(ArrayClassifier, fmt.Sprintf("is %d x %d, the training checkpoint's %d x %d", t.K, t.D, c.K, c.D))
	case !mat.Equal(t.W, c.W):
		return fail(ArrayClassifier, "differs from the training checkpoint's")
	case (t.B == nil) != (c.B == nil):
		return fail(ArrayBias, "is present in one checkpoint only")
	}
	for j := range t.B {
		if t.B[j] != c.B[j] {
			return fail(ArrayBias, fmt.Sprintf("entry %d differs from the training checkpoint's", j))
		}
	}
	return nil
}

// SameNetwork reports whether the checkpoints c and t have the same
// classifier and bias, bit for bit (a training checkpoint and a test split
// of the same network).
func SameNetwork(c, t *Checkpoint) bool { return sameNetwork(c, t) == nil }
