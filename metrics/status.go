package metrics

import (
	"fmt"
	"math"
)

// Criteria decide the status of each measured class (alive, collapsed,
// merged); see Statuses.
type Criteria struct {
	// LambdaW and LambdaH are the lambdas of the margin equivalent (the
	// setting's, or the ones fitted to a network).
	LambdaW, LambdaH float64
	// CollapseTol is in (0, 1): a class counts as collapsed when its margin
	// equivalent is at most CollapseTol times max(1, the largest).
	CollapseTol float64
	// MergeTol is in (0, 1): two classes that are not collapsed count as
	// merged when cos(mu_k, mu_l) > 1 - MergeTol; 0 means DefaultMergeTol.
	MergeTol float64
}

// DefaultMergeTol merges two classes whose means are within about 8
// degrees (cos > 0.99). Every theorem nccheck checks predicts orthogonal
// means (cos 0) or a simplex ETF (cos -1/(K-1)) for alive classes.
const DefaultMergeTol = 1e-2

func (c Criteria) check() (Criteria, error) {
	if c.MergeTol == 0 {
		c.MergeTol = DefaultMergeTol
	}
	switch {
	case !(c.LambdaW > 0) || !(c.LambdaH > 0) || math.IsInf(c.LambdaW, 0) || math.IsInf(c.LambdaH, 0):
		return c, fmt.Errorf("metrics: the collapse test needs lambdas > 0, have lambda_W = %g, lambda_H = %g", c.LambdaW, c.LambdaH)
	case !(c.CollapseTol > 0 && c.CollapseTol < 1):
		return c, fmt.Errorf("metrics: collapse tolerance %g not in (0, 1)", c.CollapseTol)
	case !(c.MergeTol > 0 && c.MergeTol < 1):
		return c, fmt.Errorf("metrics: merge tolerance %g not in (0, 1)", c.MergeTol)
	}
	return c, nil
}

// Status is the measured state of a class.
type Status int

const (
	// Alive: neither collapsed nor merged.
	Alive Status = iota
	// Collapsed: the class's margin equivalent is ~0 (see Statuses).
	Collapsed
	// Merged: not collapsed, and its mean points the same way as another
	// class's that is not collapsed either.
	Merged
)

// String returns "alive", "collapsed" or "merged".
func (s Status) String() string {
	switch s {
	case Collapsed:
		return "collapsed"
	case Merged:
		return "merged"
	}
	return "alive"
}

// MarshalText writes String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Statuses returns the status of every class and, for a merged class, the
// class it is merged with (-1 otherwise).
//
// Collapsed is the one definition of a collapsed class in nccheck: its
// margin equivalent rho_k sqrt(K lambda_H n_k / ((K-1) lambda_W)), rho_k =
// ||mu_k||^2, is at most CollapseTol times max(1, the largest over the
// classes). At the bias-free prediction (theory.md section 2, rho_k = M_k
// sqrt((K-1) lambda_W / (K lambda_H n_k))) the margin equivalent is M_k, so
// the test is scale-free: O(1) for an alive class, ~0 for a collapsed one
// (M_k = 0, h_k = 0), whatever the lambdas. (The solver's "zero classes",
// optimize.ZeroClasses, are a different, lambda-free test of ||mu_k|| against
// the largest mean norm, used to steer its escapes; they are not this.)
//
// Merged: two classes k != l that are not collapsed with cos(mu_k, mu_l) >
// 1 - MergeTol; a merged class is merged with the class of largest cosine
// (the first on a tie). A theorem's alive classes have orthogonal (ReLU)
// or simplex (plain UFM) means, so a merged class is never what a
// prediction calls alive.
func (m *Measurement) Statuses(c Criteria) ([]Status, []int, error) {
	c, err := c.check()
	if err != nil {
		return nil, nil, err
	}
	k := m.K
	equiv := make([]float64, k)
	maxEquiv := 1.0
	for j := 0; j < k; j++ {
		equiv[j] = m.HTH.At(j, j) * math.Sqrt(float64(k)*c.LambdaH*float64(m.Counts[j])/(float64(k-1)*c.LambdaW))
		maxEquiv = math.Max(maxEquiv, equiv[j])
	}
	st := make([]Status, k)
	with := make([]int, k)
	for j := range st {
		with[j] = -1
		if equiv[j] <= c.CollapseTol*maxEquiv {
			st[j] = Collapsed
		}
	}
	for a := 0; a < k; a++ {
		if st[a] == Collapsed {
			continue
		}
		best := 1 - c.MergeTol
		for b := 0; b < k; b++ {
			if b == a || st[b] == Collapsed {
				continue
			}
			if cos := m.HTH.At(a, b) / math.Sqrt(m.HTH.At(a, a)*m.HTH.At(b, b)); cos > best {
				best, with[a] = cos, b
			}
		}
	}
	for a := range st {
		if with[a] >= 0 {
			st[a] = Merged
		}
	}
	return st, with, nil
}
