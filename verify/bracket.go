package verify

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/setting"
)

// DefaultProofBudget is the default Config.ProofBudget: 1e5 softmax terms
// G K, G the distinct feature columns of the solver's point (N at a
// generic point). Each term is an exponential at Prec + 64 bits, about
// 27 us at 256 bits (measured on N = 3000, K = 10: 0.8 s), which dominates
// the G K d multiply-adds of the logits and the O(K^3) class-level bound
// for d up to hundreds; the budget is then about 3 s of CPU per row at 256
// bits. The paper suite's N = 3000 rows are within it, its N = 30000 rows
// are not.
const DefaultProofBudget = 100_000

// solverBracket is the certificate at the solver's point: the float64 one
// always, the proved one (decimals) when it was computed, else the reason.
type solverBracket struct {
	f64     *certificate.Result
	lb, gap *string
	note    string
}

// bracketAt computes the certificates at the solver's point: the float64
// one (certificate.AtPoint), and the rigorous one (certificate.BigAtPoint
// at cfg.Prec bits, the point converted exactly) when ProofCost is within
// cfg.ProofBudget. A solver objective below either lower bound at its own
// point is an error.
func bracketAt(s setting.Setting, num *Numeric, cfg Config) (*solverBracket, error) {
	res, err := certificate.AtPoint(s, num.W, num.H, num.B, nil)
	if err != nil {
		return nil, fmt.Errorf("certificate at the solver's point: %w", err)
	}
	if math.IsNaN(res.LowerBound) || math.IsInf(res.LowerBound, 0) {
		return nil, fmt.Errorf("certificate at the solver's point: the lower bound is %v: %w", res.LowerBound, setting.ErrNonFinite)
	}
	if err := checkBracket(num.Objective, res.LowerBound, cfg.Tol); err != nil {
		return nil, err
	}
	b := &solverBracket{f64: res}
	groups := distinctColumns(s, num)
	cost := groups.cost(s)
	switch {
	case cfg.ProofBudget < 0:
		b.note = "float64 bracket only: no proof budget"
		return b, nil
	case cost > cfg.ProofBudget:
		b.note = fmt.Sprintf("float64 bracket only: G K above the proof budget %.3g", float64(cfg.ProofBudget))
		return b, nil
	}
	pr, err := bigBracketAt(s, num, groups, cfg.Prec)
	if err != nil {
		b.note = "float64 bracket only: " + err.Error()
		return b, nil
	}
	if err := checkProvedBracket(pr, cfg.Prec); err != nil {
		return nil, err
	}
	wp := cfg.Prec + certificate.GuardBits
	gap := new(big.Float).SetPrec(wp).SetMode(big.ToPositiveInf).Sub(pr.Objective, pr.LowerBound)
	lb := decimalDirected(pr.LowerBound, closedform.Digits(cfg.Prec), false)
	g := decimalDirected(gap, proofDigits, true)
	b.lb, b.gap = &lb, &g
	return b, nil
}

// checkBracket refuses a solver objective below the lower bound at its own
// point by more than the objective tolerance: the solver's objective is
// then wrong (the bound is valid at every point).
func checkBracket(f, lb float64, tol Tolerances) error {
	if f-lb < -tol.Objective*math.Max(1, math.Abs(f)) {
		return fmt.Errorf("the solver's objective %.17g is below the certified lower bound %.17g at its own point", f, lb)
	}
	return nil
}

// checkProvedBracket refuses a proved lower bound above the objective at
// its own point (f(point), the certificate's evaluation) by more than
// 2^-(prec - ProofMarginBits) relative: the certificate is then wrong.
func checkProvedBracket(res *certificate.BigResult, prec uint) error {
	wp := prec + certificate.GuardBits
	scale := new(big.Float).SetPrec(wp).Abs(res.Objective)
	if scale.Cmp(big.NewFloat(1)) < 0 {
		scale.SetInt64(1)
	}
	scale.SetMantExp(scale, -DefaultProofBits(prec))
	if new(big.Float).SetPrec(wp).Sub(res.Objective, res.LowerBound).Cmp(new(big.Float).Neg(scale)) < 0 {
		fp, _ := res.Objective.Float64()
		lb, _ := res.LowerBound.Float64()
		return fmt.Errorf("the proved lower bound %.17g is above the objective %.17g at its own point", lb, fp)
	}
	return nil
}

// columnGroups are the solver's feature columns grouped class by class:
// first[g] is the first sample of group g, labels[g] its class and mult[g]
// the number of samples of that class whose column equals it bit for bit.
type columnGroups struct {
	first, labels, mult []int
}

// cost is the work of the proved bracket at the solver's point in
// softmax terms, G K for its G distinct feature columns (the samples of a
// collapsed class cost one column).
func (g columnGroups) cost(s setting.Setting) int64 {
	return int64(len(g.first)) * int64(s.K())
}

// distinctColumns groups the solver's feature columns (columnGroups).
func distinctColumns(s setting.Setting, num *Numeric) columnGroups {
	var g columnGroups
	d, _ := num.H.Dims()
	i := 0
	key := make([]byte, 0, 8*d)
	for c, n := range s.Counts {
		seen := map[string]int{}
		for ; n > 0; n, i = n-1, i+1 {
			key = key[:0]
			for r := 0; r < d; r++ {
				key = binary.LittleEndian.AppendUint64(key, math.Float64bits(num.H.At(r, i)))
			}
			if j, ok := seen[string(key)]; ok {
				g.mult[j]++
				continue
			}
			seen[string(key)] = len(g.first)
			g.first, g.labels, g.mult = append(g.first, i), append(g.labels, c), append(g.mult, 1)
		}
	}
	return g
}

// bigBracketAt is certificate.BigAtPoint at the solver's point, every
// float64 converted exactly.
func bigBracketAt(s setting.Setting, num *Numeric, groups columnGroups, prec uint) (*certificate.BigResult, error) {
	exact := func(x float64) *big.Float { return new(big.Float).SetPrec(53).SetFloat64(x) }
	k, d := num.W.Dims()
	w := make([][]*big.Float, k)
	for j := range w {
		w[j] = make([]*big.Float, d)
		for i := range w[j] {
			w[j][i] = exact(num.W.At(j, i))
		}
	}
	cols := make([][]*big.Float, len(groups.first))
	for g, i := range groups.first {
		cols[g] = make([]*big.Float, d)
		for r := range cols[g] {
			cols[g][r] = exact(num.H.At(r, i))
		}
	}
	var b []*big.Float
	for _, v := range num.B {
		b = append(b, exact(v))
	}
	return certificate.BigAtPoint(s, w, cols, groups.labels, groups.mult, b, prec)
}

// provedBracket parses the proved bracket of a row: nil, nil without one.
func provedBracket(r Row) (lb, gap *big.Rat, err error) {
	if r.LowerBoundProved == nil || r.CertifiedGapProved == nil {
		return nil, nil, nil
	}
	if lb, err = ratOf(*r.LowerBoundProved, "lower_bound_proved"); err != nil {
		return nil, nil, err
	}
	if gap, err = ratOf(*r.CertifiedGapProved, "certified_gap_proved"); err != nil {
		return nil, nil, err
	}
	return lb, gap, nil
}

// objectiveTol returns tol.Objective max(1, |f|), exactly.
func objectiveTol(f *big.Rat, tol Tolerances) *big.Rat {
	scale := new(big.Rat).Abs(f)
	if scale.Cmp(big.NewRat(1, 1)) < 0 {
		scale.SetInt64(1)
	}
	t := new(big.Rat)
	if !math.IsInf(tol.Objective, 0) && !math.IsNaN(tol.Objective) {
		t.SetFloat64(tol.Objective)
	}
	return t.Mul(t, scale)
}

// bracketWithin reports whether the row's bracket at the solver's point is
// at most the objective tolerance wide relative to max(1, |f_num|): the
// proved bracket when the row has one (exactly, in rationals), else the
// float64 one.
func bracketWithin(r Row, tol Tolerances) bool {
	_, gap, err := provedBracket(r)
	switch {
	case err != nil:
		return false
	case gap != nil:
		f := new(big.Rat).SetFloat64(r.NumericObjective)
		return f != nil && gap.Cmp(objectiveTol(f, tol)) <= 0
	}
	return r.CertifiedGap != nil && *r.CertifiedGap <= tol.Objective*math.Max(1, math.Abs(r.NumericObjective))
}

// belowSolverBound reports whether f* lies below the lower bound at the
// solver's point by more than the objective tolerance relative to max(1,
// |f*|): the proved bound when the row has one (exactly), else the
// float64 one.
func belowSolverBound(r Row, tol Tolerances) (bool, error) {
	lb, _, err := provedBracket(r)
	if err != nil {
		return false, err
	}
	if lb != nil {
		fs, err := ratOf(*r.PredictedObjective, "predicted_objective")
		if err != nil {
			return false, err
		}
		return new(big.Rat).Sub(lb, fs).Cmp(objectiveTol(fs, tol)) > 0, nil
	}
	if r.LowerBound == nil {
		return false, nil
	}
	fs, _ := strconv.ParseFloat(*r.PredictedObjective, 64)
	return fs < *r.LowerBound-tol.Objective*math.Max(1, math.Abs(fs)), nil
}
