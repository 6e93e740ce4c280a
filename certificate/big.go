package certificate

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"nccheck/setting"
)

// Precision limits of the big-float bound, and its guard bits: every
// intermediate quantity is computed at Prec + GuardBits bits and the bound
// is rounded down to Prec bits at the end.
const (
	MinPrec   uint = 64
	MaxPrec   uint = 4096
	GuardBits uint = 64
	// MaxBigClasses bounds K for the big-float bound, whose cost is O(K^3)
	// big-float operations (K = 100 at 256 bits: about a second).
	MaxBigClasses = 512
)

// BigBound returns the rigorous big-float certificate at a point given by
// its logits, grouped: logits[g] holds the K logits z = W h + b of mult[g]
// samples of class labels[g] (0-based) that share them (mult nil: one sample
// each). Every class must receive exactly its count of s. prec is the
// precision of the result (MinPrec..MaxPrec bits).
//
// The logits only choose the dual point: the bound is valid whatever their
// accuracy, and tight to about 2^-prec at a global minimum whose logits are
// given to prec bits.
//
// Errors: *setting.InputError naming "logits", "labels", "mult" or "Prec"
// for mismatched shapes or counts; an error wrapping setting.ErrNonFinite
// for a nil or infinite logit.
func BigBound(s setting.Setting, logits [][]*big.Float, labels, mult []int, prec uint) (*BigResult, error) {
	start := time.Now()
	loss, mult, err := checkBig(s, len(logits), labels, mult, prec)
	if err != nil {
		return nil, err
	}
	for g, z := range logits {
		if len(z) != s.K() {
			return nil, &setting.InputError{Field: "logits",
				Reason: fmt.Sprintf("group %d has %d logits, want K = %d", g, len(z), s.K())}
		}
		if err := checkBigFinite(z, fmt.Sprintf("logit of group %d", g)); err != nil {
			return nil, err
		}
	}
	res, err := bigFromLogits(s, loss, logits, labels, mult, prec)
	if err != nil {
		return nil, err
	}
	res.Stats.Time = time.Since(start)
	return res, nil
}

// BigAtPoint returns the rigorous certificate at an explicit point with
// grouped feature columns (the shape of closedform.Minimizer and
// derivation.Point): W is K x d (W[j][i] the weight of class j on
// coordinate i), columns[g] (length d) the features of mult[g] samples of
// class labels[g] (mult nil: one each), b the bias (length K with a bias,
// nil without). It forms the logits W h + b at prec + GuardBits bits and
// calls BigBound's computation; Objective is f at the point, this
// package's own evaluation (rounded to nearest at prec bits). With ReLU
// features every column must be >= 0.
func BigAtPoint(s setting.Setting, w [][]*big.Float, columns [][]*big.Float, labels, mult []int, b []*big.Float, prec uint) (*BigResult, error) {
	start := time.Now()
	loss, mult, err := checkBig(s, len(columns), labels, mult, prec)
	if err != nil {
		return nil, err
	}
	if err := checkBigPoint(s, w, columns, b); err != nil {
		return nil, err
	}
	wp := prec + GuardBits
	logits := make([][]*big.Float, len(columns))
	t := near(wp)
	for g, col := range columns {
		z := make([]*big.Float, s.K())
		for j := range z {
			z[j] = near(wp)
			for i, h := range col {
				z[j].Add(z[j], t.Mul(w[j][i], h))
			}
			if b != nil {
				z[j].Add(z[j], b[j])
			}
		}
		logits[g] = z
	}
	res, err := bigFromLogits(s, loss, logits, labels, mult, prec)
	if err != nil {
		return nil, err
	}
	pen := bigPenalty(s, w, columns, mult, b, wp)
	obj := near(wp).Set(res.Loss)
	res.Objective = near(prec).Add(obj, pen)
	res.Stats.Time = time.Since(start)
	return res, nil
}

// BigAtClassMeans is BigAtPoint at a class-collapsed point in the shape of
// closedform.Minimizer: W is K x d, means is d x K (means[i][k] coordinate i
// of the class mean h_k), every sample of class k equals h_k (one column of
// multiplicity n_k per class), b as for BigAtPoint.
func BigAtClassMeans(s setting.Setting, w, means [][]*big.Float, b []*big.Float, prec uint) (*BigResult, error) {
	k := s.K()
	for i, row := range means {
		if len(row) != k {
			return nil, &setting.InputError{Field: "means", Reason: fmt.Sprintf("row %d has %d entries, want K = %d (means is d x K)", i, len(row), k)}
		}
	}
	cols := make([][]*big.Float, k)
	labels := make([]int, k)
	for c := range cols {
		cols[c] = make([]*big.Float, len(means))
		for i := range means {
			cols[c][i] = means[i][c]
		}
		labels[c] = c
	}
	return BigAtPoint(s, w, cols, labels, s.Counts, b, prec)
}

// bigPenalty returns (lambda_W/2)||W||^2 + (lambda_H/2) sum_g mult_g
// ||h_g||^2 + (lambda_b/2)||b||^2 at wp bits.
func bigPenalty(s setting.Setting, w, columns [][]*big.Float, mult []int, b []*big.Float, wp uint) *big.Float {
	sumsq := func(v []*big.Float) *big.Float {
		ss := near(wp)
		for _, x := range v {
			ss.Add(ss, near(wp).Mul(x, x))
		}
		return ss
	}
	ww, hh := near(wp), near(wp)
	for _, row := range w {
		ww.Add(ww, sumsq(row))
	}
	for g, col := range columns {
		ss := sumsq(col)
		hh.Add(hh, ss.Mul(ss, near(wp).SetInt64(int64(mult[g]))))
	}
	pen := near(wp).Mul(s.LambdaW.Float(wp), ww)
	pen.Add(pen, near(wp).Mul(s.LambdaH.Float(wp), hh))
	if b != nil {
		pen.Add(pen, near(wp).Mul(s.LambdaB.Float(wp), sumsq(b)))
	}
	return pen.Quo(pen, near(wp).SetInt64(2))
}

// bigFromLogits accumulates the class means of -grad l, makes them exact
// admissible directions and computes the bound.
func bigFromLogits(s setting.Setting, loss Loss, logits [][]*big.Float, labels, mult []int, prec uint) (*BigResult, error) {
	wp := prec + GuardBits
	k := s.K()
	dir := square(k, wp)
	sum := near(wp)
	for g, z := range logits {
		l := loss.BigDirection(z, labels[g], mult[g], wp, dir[labels[g]])
		sum.Add(sum, l.Mul(l, near(wp).SetInt64(int64(mult[g]))))
	}
	nTot := int64(s.N())
	res := &BigResult{Prec: prec, Loss: near(prec).Quo(sum, near(wp).SetInt64(nTot)),
		Stats: Stats{Samples: int(nTot), Groups: len(logits)}}
	if res.Loss.IsInf() {
		return nil, fmt.Errorf("certificate: the mean loss overflows: %w", setting.ErrNonFinite)
	}
	for c, row := range dir {
		n := near(wp).SetInt64(int64(s.Counts[c]))
		for _, v := range row {
			v.Quo(v, n)
		}
	}
	g, err := loss.ExactDirections(dir, s.Counts, s.Unregularised())
	if err != nil {
		return nil, err
	}
	if err := bigClassBound(s, loss, g, res, wp); err != nil {
		return nil, err
	}
	return res, nil
}

// checkBig validates the setting, the precision and the group labels and
// multiplicities (nil mult: all 1), and returns the loss and mult.
func checkBig(s setting.Setting, groups int, labels, mult []int, prec uint) (Loss, []int, error) {
	if err := checkSetting(s, MaxBigClasses); err != nil {
		return nil, nil, err
	}
	if prec < MinPrec || prec > MaxPrec {
		return nil, nil, &setting.InputError{Field: "Prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	loss, err := LossOf(s.Loss)
	if err != nil {
		return nil, nil, err
	}
	if len(labels) != groups {
		return nil, nil, &setting.InputError{Field: "labels", Reason: fmt.Sprintf("%d labels for %d groups", len(labels), groups)}
	}
	if mult == nil {
		mult = make([]int, groups)
		for i := range mult {
			mult[i] = 1
		}
	} else if len(mult) != groups {
		return nil, nil, &setting.InputError{Field: "mult", Reason: fmt.Sprintf("%d multiplicities for %d groups", len(mult), groups)}
	}
	seen := make([]int, s.K())
	for g, y := range labels {
		if y < 0 || y >= s.K() {
			return nil, nil, &setting.InputError{Field: "labels", Value: strconv.Itoa(y), Reason: fmt.Sprintf("label of group %d is outside 0..%d", g, s.K()-1)}
		}
		if mult[g] < 1 {
			return nil, nil, &setting.InputError{Field: "mult", Value: strconv.Itoa(mult[g]), Reason: fmt.Sprintf("multiplicity of group %d is below 1", g)}
		}
		seen[y] += mult[g]
	}
	for c, n := range s.Counts {
		if seen[c] != n {
			return nil, nil, &setting.InputError{Field: "labels",
				Reason: fmt.Sprintf("class %d has %d samples in the groups, the setting's Counts say %d", c, seen[c], n)}
		}
	}
	return loss, mult, nil
}

// checkBigPoint checks the shapes, finiteness and feasibility of an
// explicit big-float point.
func checkBigPoint(s setting.Setting, w, columns [][]*big.Float, b []*big.Float) error {
	k := s.K()
	if len(w) != k {
		return &setting.InputError{Field: "W", Reason: fmt.Sprintf("has %d rows, the setting has K = %d classes", len(w), k)}
	}
	d := len(w[0])
	for j, row := range w {
		if len(row) != d {
			return &setting.InputError{Field: "W", Reason: fmt.Sprintf("row %d has %d entries, row 0 has %d", j, len(row), d)}
		}
		if err := checkBigFinite(row, fmt.Sprintf("W row %d", j)); err != nil {
			return err
		}
	}
	for g, col := range columns {
		if len(col) != d {
			return &setting.InputError{Field: "columns", Reason: fmt.Sprintf("column %d has %d entries, W has d = %d", g, len(col), d)}
		}
		if err := checkBigFinite(col, fmt.Sprintf("column %d", g)); err != nil {
			return err
		}
		for i, v := range col {
			if s.ReLU() && v.Sign() < 0 {
				return &setting.InputError{Field: "columns", Value: v.Text('g', 6),
					Reason: fmt.Sprintf("entry %d of column %d is negative: the point is not feasible with ReLU features", i, g)}
			}
		}
	}
	switch {
	case s.Bias && len(b) != k:
		return &setting.InputError{Field: "b", Reason: fmt.Sprintf("has %d entries, the setting has a bias of length K = %d", len(b), k)}
	case !s.Bias && len(b) != 0:
		return &setting.InputError{Field: "b", Reason: fmt.Sprintf("%d entries given for a bias-free setting", len(b))}
	}
	return checkBigFinite(b, "b")
}

func checkBigFinite(v []*big.Float, what string) error {
	for i, x := range v {
		switch {
		case x == nil:
			return fmt.Errorf("certificate: %s, entry %d is missing (nil): %w", what, i, setting.ErrNonFinite)
		case x.IsInf():
			return fmt.Errorf("certificate: %s, entry %d is %v: %w", what, i, x, setting.ErrNonFinite)
		}
	}
	return nil
}
