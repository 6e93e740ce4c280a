package checkpoint

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"nccheck/certificate"
	"nccheck/metrics"
	"nccheck/setting"
)

// Descent is the strongest descent direction the certificate found at a
// checkpoint (certificate.Descent): moving Classes together on a feature
// coordinate that no sample uses lowers the objective.
type Descent struct {
	// Classes are the classes to move (0-based, increasing).
	Classes []int `json:"classes"`
	// Ratio is c^T Q c / (lambda_W lambda_H) > 1.
	Ratio float64 `json:"ratio"`
	// Perron is true when c is the Perron vector of Q+, false when it is a
	// unit vector e_k (one class alone).
	Perron bool `json:"perron"`
}

// descentTol is the margin of the per-class test r_k > 1 + descentTol, the
// certificate's own (certificate.Result.Descent).
const descentTol = 1e-6

// boundSetting is the problem the objective of a checkpoint is measured
// in, as the certificate takes it: the checkpoint's counts and d, the
// lambdas, ReLU features, the loss, and the checkpoint's bias,
// unregularised (the objective has no bias penalty), when it has one.
func boundSetting(c *Checkpoint, lw, lh setting.Decimal, loss setting.Loss) setting.Setting {
	return setting.Setting{Counts: c.Counts, Dim: c.D, LambdaW: lw, LambdaH: lh, Bias: c.B != nil, Loss: loss}
}

// newAccumulator returns the certificate's accumulator for the samples of
// c under the loss (placeholder lambdas: the sums it keeps do not depend on
// them, and certify passes the real ones), or the reason it cannot have
// one.
func newAccumulator(c *Checkpoint, loss setting.Loss) (*certificate.Accumulator, string) {
	one := setting.MustDecimal("1")
	acc, err := certificate.NewAccumulator(boundSetting(c, one, one, loss))
	if err != nil {
		return nil, oneLine(err.Error())
	}
	return acc, ""
}

// certify returns the float64 certificate of theory.md section 11 for the
// setting s from the accumulator fed with every sample's logits (nil: why
// is the reason), or the reason there is none.
func certify(acc *certificate.Accumulator, why string, s setting.Setting) (*certificate.Result, string) {
	if acc == nil {
		return nil, why
	}
	res, err := acc.BoundFor(s)
	if err != nil {
		return nil, oneLine(err.Error())
	}
	return res, ""
}

// setBound fills the report's bound, per-class r_k, descent classes and
// diagnosis from the certificate (nil: why says why there is none).
func setBound(r *Report, m *metrics.Measurement, res *certificate.Result, why string) {
	r.FreeCoordinates = freeCoordinates(m)
	if res == nil {
		r.Undefined = map[string]string{}
		for _, key := range []string{"lower_bound", "bound_gap", "dual_norm_ratio", "perron_ratio", "r"} {
			r.Undefined[key] = why
		}
		r.Diagnosis = "no bound: " + why
		return
	}
	gap := r.Objective - res.LowerBound
	r.LowerBound, r.BoundGap = &res.LowerBound, &gap
	r.DualNormRatio, r.PerronRatio = &res.DualNormRatio, &res.PerronRatio
	for k := range r.Classes {
		v := res.R[k]
		r.Classes[k].R = &v
		if v > 1+descentTol {
			r.DescentClasses = append(r.DescentClasses, k)
		}
	}
	if d := res.Descent; d != nil {
		r.Descent = &Descent{Classes: d.Classes, Ratio: d.Ratio, Perron: d.Perron}
		if len(r.DescentClasses) == 0 {
			r.DescentClasses = append([]int(nil), d.Classes...)
		}
	}
	if r.DescentClasses == nil {
		r.DescentClasses = []int{}
	}
	r.Diagnosis = diagnose(r, m)
}

// freeCoordinates counts the feature coordinates on which every class mean
// is 0: with ReLU features (>= 0), the coordinates no sample uses.
func freeCoordinates(m *metrics.Measurement) int {
	free := 0
	for a := 0; a < m.D; a++ {
		zero := true
		for c := 0; c < m.K && zero; c++ {
			zero = m.Means.At(a, c) == 0
		}
		if zero {
			free++
		}
	}
	return free
}

// diagnose reads the bound in one line: which classes can still lower the
// objective f and why (two classes sharing one feature direction, a class
// that has collapsed), or that no descent direction is found and how far f
// can be from the global minimum.
func diagnose(r *Report, m *metrics.Measurement) string {
	rk := func(k int) string {
		return "r_" + strconv.Itoa(k) + " = " + strconv.FormatFloat(*r.Classes[k].R, 'g', 3, 64)
	}
	if len(r.DescentClasses) == 0 {
		return fmt.Sprintf("no descent direction (omega/s = %.6g); f - min f <= f - LB = %.1e for every d (float64, not a proof)",
			*r.DualNormRatio, *r.BoundGap)
	}
	where := "a free coordinate"
	if r.FreeCoordinates == 0 {
		where = "a new coordinate"
	}
	if r.Descent != nil && r.Descent.Perron && !anyAbove(r) {
		return fmt.Sprintf("%s lower f together on %s (c^T Q c / (lambda_W lambda_H) = %.3g)", classWord(r.Descent.Classes), where, r.Descent.Ratio)
	}
	var parts []string
	done := map[int]bool{}
	for _, k := range r.DescentClasses {
		cl := r.Classes[k]
		if done[k] || cl.MergedWith == nil {
			continue
		}
		l := *cl.MergedWith
		cos := m.HTH.At(k, l) / math.Sqrt(m.HTH.At(k, k)*m.HTH.At(l, l))
		if r.Classes[l].R != nil && *r.Classes[l].R > 1+descentTol {
			a, b := min(k, l), max(k, l)
			done[a], done[b] = true, true
			parts = append(parts, fmt.Sprintf("classes %d, %d share one feature direction (cos %.4f): each lowers f on a coordinate of its own (%s, %s)",
				a, b, cos, rk(a), rk(b)))
		} else {
			done[k] = true
			parts = append(parts, fmt.Sprintf("class %d shares class %d's feature direction (cos %.4f) and lowers f on a coordinate of its own (%s)",
				k, l, cos, rk(k)))
		}
	}
	var collapsed, others []int
	for _, k := range r.DescentClasses {
		switch {
		case done[k]:
		case r.Classes[k].Status == metrics.Collapsed:
			collapsed = append(collapsed, k)
		default:
			others = append(others, k)
		}
	}
	largest := func(ks []int) string {
		if len(ks) == 1 {
			return rk(ks[0])
		}
		return "max " + rk(argmaxR(r, ks))
	}
	if len(collapsed) > 0 {
		parts = append(parts, fmt.Sprintf("collapsed %s would lower f on %s (%s)", classWord(collapsed), where, largest(collapsed)))
	}
	if len(others) > 0 {
		verb := " each lower"
		if len(others) == 1 {
			verb = " lowers"
		}
		parts = append(parts, fmt.Sprintf("%s%s f on %s (%s)", classWord(others), verb, where, largest(others)))
	}
	if r.FreeCoordinates == 0 {
		parts = append(parts, "no feature coordinate is free (d is too small for the move)")
	}
	return strings.Join(parts, "; ")
}

// anyAbove reports whether some class has r_k > 1 + descentTol.
func anyAbove(r *Report) bool {
	for _, c := range r.Classes {
		if c.R != nil && *c.R > 1+descentTol {
			return true
		}
	}
	return false
}

func argmaxR(r *Report, ks []int) int {
	best := ks[0]
	for _, k := range ks {
		if *r.Classes[k].R > *r.Classes[best].R {
			best = k
		}
	}
	return best
}

// classWord is "class 3" or "classes 0-2,5".
func classWord(ks []int) string {
	if len(ks) == 1 {
		return "class " + strconv.Itoa(ks[0])
	}
	return "classes " + ClassList(ks)
}

// ClassList writes 0-based classes compactly, runs of three or more as
// ranges: [0 1 2 3 5 7 8] -> "0-3,5,7,8"; "-" for none.
func ClassList(ks []int) string {
	if len(ks) == 0 {
		return "-"
	}
	s := append([]int(nil), ks...)
	sort.Ints(s)
	var out []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			out = append(out, fmt.Sprintf("%d-%d", s[i], s[j]))
		case j == i+1:
			out = append(out, strconv.Itoa(s[i]), strconv.Itoa(s[j]))
		default:
			out = append(out, strconv.Itoa(s[i]))
		}
		i = j + 1
	}
	return strings.Join(out, ",")
}
