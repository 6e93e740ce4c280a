package verify

import "fmt"

// Verdict is the outcome of one row. The zero value is not a verdict (a row
// that was never judged); it does not marshal.
type Verdict int

// The verdicts, in the order summaries list them.
const (
	// Agree: every deviation within its tolerance.
	Agree Verdict = iota + 1
	// Counterexample: the numerical objective is below f* by more than the
	// tolerance: the prediction is not the global minimum.
	Counterexample
	// SolverGap: the numerical objective is above f*: the solver missed the
	// minimum.
	SolverGap
	// Mismatch: the objectives agree, the geometry does not.
	Mismatch
	// OutOfScope: the theory makes no prediction for the setting; the
	// prediction-free measurements are still reported.
	OutOfScope
	// Failed: the row could not be computed (Row.Error says why).
	Failed
)

// Verdicts lists every verdict in order.
func Verdicts() []Verdict {
	return []Verdict{Agree, Counterexample, SolverGap, Mismatch, OutOfScope, Failed}
}

// String returns the verdict's name: agree, counterexample, solver-gap,
// mismatch, out-of-scope or error.
func (v Verdict) String() string {
	switch v {
	case Agree:
		return "agree"
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
	if v < Agree || v > Failed {
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
