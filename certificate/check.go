package certificate

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// checkSetting validates s and bounds K.
func checkSetting(s setting.Setting, maxK int) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if k := s.K(); k > maxK {
		return &setting.InputError{Field: setting.FieldCounts, Value: fmt.Sprintf("(%d classes)", k),
			Reason: fmt.Sprintf("the certificate works with K x K matrices; at most %d classes", maxK)}
	}
	if _, err := LossOf(s.Loss); err != nil {
		return err
	}
	return nil
}

// checkPoint checks the shapes, finiteness and feasibility of a float64
// point and returns its labels (the class-by-class layout when nil) and
// ||W||_F^2, ||H||_F^2.
func checkPoint(s setting.Setting, w, h *mat.Dense, b []float64, labels []int) ([]int, float64, float64, error) {
	labels, err := checkShapes(s, w, h, b, labels)
	if err != nil {
		return nil, 0, 0, err
	}
	ww, _ := scan(w)
	if math.IsNaN(ww) || math.IsInf(ww, 0) {
		if err := checkFinite("W", w); err != nil {
			return nil, 0, 0, err
		}
	}
	hh, hmin := scan(h)
	if math.IsNaN(hh) || math.IsInf(hh, 0) {
		if err := checkFinite("H", h); err != nil {
			return nil, 0, 0, err
		}
	}
	for j, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, 0, fmt.Errorf("certificate: b(%d) is %v: %w", j, v, setting.ErrNonFinite)
		}
	}
	if s.ReLU() && hmin < 0 {
		d, _ := h.Dims()
		for i := 0; i < d; i++ {
			for c, v := range h.RawRowView(i) {
				if v < 0 {
					return nil, 0, 0, &setting.InputError{Field: "H", Value: strconv.FormatFloat(v, 'g', 6, 64),
						Reason: fmt.Sprintf("entry (%d, %d) is negative: the point is not feasible with ReLU features", i, c)}
				}
			}
		}
	}
	return labels, ww, hh, nil
}

// checkShapes checks the shapes of a float64 point and returns its labels.
func checkShapes(s setting.Setting, w, h *mat.Dense, b []float64, labels []int) ([]int, error) {
	if w == nil || h == nil {
		return nil, &setting.InputError{Field: "W", Reason: "W and H are required"}
	}
	k, d := w.Dims()
	hd, n := h.Dims()
	switch {
	case k != s.K():
		return nil, &setting.InputError{Field: "W", Value: fmt.Sprintf("%dx%d", k, d), Reason: fmt.Sprintf("has %d rows, the setting has K = %d classes", k, s.K())}
	case hd != d:
		return nil, &setting.InputError{Field: "H", Value: fmt.Sprintf("%dx%d", hd, n), Reason: fmt.Sprintf("has %d rows, W has d = %d columns", hd, d)}
	case n != s.N():
		return nil, &setting.InputError{Field: "H", Value: fmt.Sprintf("%dx%d", hd, n), Reason: fmt.Sprintf("has %d columns (samples), the setting's counts sum to N = %d", n, s.N())}
	case s.Bias && len(b) != k:
		return nil, &setting.InputError{Field: "b", Reason: fmt.Sprintf("has %d entries, the setting has a bias of length K = %d", len(b), k)}
	case !s.Bias && len(b) != 0:
		return nil, &setting.InputError{Field: "b", Reason: fmt.Sprintf("%d entries given for a bias-free setting", len(b))}
	}
	if labels == nil {
		labels = make([]int, 0, n)
		for c, nc := range s.Counts {
			for i := 0; i < nc; i++ {
				labels = append(labels, c)
			}
		}
	} else if len(labels) != n {
		return nil, &setting.InputError{Field: "labels", Reason: fmt.Sprintf("%d labels for %d samples", len(labels), n)}
	}
	return labels, nil
}

// scan returns the sum of the squares and the smallest entry of a, in one
// pass (the sum is NaN or infinite when an entry is, or when it overflows).
func scan(a *mat.Dense) (ss, lo float64) {
	r, _ := a.Dims()
	lo = math.Inf(1)
	for i := 0; i < r; i++ {
		for _, v := range a.RawRowView(i) {
			ss += v * v
			if v < lo {
				lo = v
			}
		}
	}
	return ss, lo
}

// checkFinite names the first non-finite entry of a, if any.
func checkFinite(name string, a *mat.Dense) error {
	r, _ := a.Dims()
	for i := 0; i < r; i++ {
		for j, v := range a.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("certificate: %s(%d, %d) is %v: %w", name, i, j, v, setting.ErrNonFinite)
			}
		}
	}
	return nil
}
