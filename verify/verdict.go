package verify

import "fmt"

// Verdict is the outcome of one row. The zero value is not a verdict (a row
// that was never judged); it does not marshal.
type Verdict int

// The verdicts. Their values are stable (row files store names, but
// programs may store values); Verdicts lists them in the order summaries
// use.
const (
	// Agree: every deviation within its tolerance, and the prediction's
	// own big-float certificate proves its f* is the global minimum (to
	// 2^-ProofBits relative).
	Agree Verdict = iota + 1
	// Counterexample: the numerical objective is below f* by more than the
	// tolerance: the prediction is not the global minimum.
	Counterexample
	// SolverGap: the numerical objective is above f*: the solver missed the
	// minimum.
	SolverGap
	// Mismatch: the objectives agree; the geometry does not, or the
	// prediction's certificate does not prove its f*.
	Mismatch
	// OutOfScope: the theory makes no prediction for the setting; the
	// prediction-free measurements are still reported.
	OutOfScope
	// Failed: the row could not be computed (Row.Error says why).
	Failed
	// Refuted: the predicted f* lies below a certified lower bound on the
	// global minimum (the solver point's, or the prediction's own) by more
	// than the tolerance: no point attains f*.
	Refuted
	// Certified: the theory makes no prediction, and the certificate at
	// the solver's point brackets the global minimum, [LowerBound,
	// NumericObjective], to the objective tolerance.
	Certified
)

// Verdicts lists every verdict in the order summaries use.
func Verdicts() []Verdict {
	return []Verdict{Agree, Certified, Refuted, Counterexample, SolverGap, Mismatch, OutOfScope, Failed}
}

// valid reports whether v is one of the verdicts.
func (v Verdict) valid() bool { return v >= Agree && v <= Certified }

// String returns the verdict's name: agree, certified, refuted,
// counterexample, solver-gap, mismatch, out-of-scope or error.
func (v Verdict) String() string {
	switch v {
	case Agree:
		return "agree"
	case Certified:
		return "certified"
	case Refuted:
		return "refuted"
	case Counterexample:
		return "counterexample"
	case SolverGap:
		return "solver-gap"
	case Mismatch:
		return "mismatch"
	case OutOfScope:
		return "out-of-scope"
	case Failed:
		return "error"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText encodes the verdict by name.
func (v Verdict) MarshalText() ([]byte, error) {
	if !v.valid() {
		return nil, fmt.Errorf("verify: invalid verdict %d", int(v))
	}
	return []byte(v.String()), nil
}

// UnmarshalText decodes a verdict name.
func (v *Verdict) UnmarshalText(b []byte) error {
	for _, x := range Verdicts() {
		if x.String() == string(b) {
			*v = x
			return nil
		}
	}
	return fmt.Errorf("verify: unknown verdict %q", string(b))
}
