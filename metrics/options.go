package metrics

import (
	"strconv"

	"nccheck/setting"
)

// GlobalMean is the convention for the global mean mu_G of the metrics that
// centre the class means (NC1's Sigma_B, equinorm, equiangularity,
// self-duality, GNC2, the bias relation).
type GlobalMean int

const (
	// Weighted is mu_G = (1/N) sum_i h_i = sum_k (n_k/N) mu_k, the mean of
	// all N features (theory.md section 8; Papyan, Han, Donoho 2020). The
	// default.
	Weighted GlobalMean = iota
	// ClassAverage is mu_G = (1/K) sum_k mu_k, the mean of the class means
	// (what code written for balanced data computes when it averages the
	// class means; equal to Weighted when every n_k is the same).
	ClassAverage
)

// String returns "weighted" or "classes", the names ParseGlobalMean reads.
func (g GlobalMean) String() string {
	if g == ClassAverage {
		return "classes"
	}
	return "weighted"
}

// ParseGlobalMean reads "weighted" or "classes". The error is a
// *setting.InputError with Field "GlobalMean".
func ParseGlobalMean(text string) (GlobalMean, error) {
	switch text {
	case "weighted":
		return Weighted, nil
	case "classes":
		return ClassAverage, nil
	}
	return Weighted, &setting.InputError{Field: "GlobalMean", Value: strconv.Quote(text), Reason: "must be weighted or classes"}
}

// MarshalText writes the name of String.
func (g GlobalMean) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText reads a name with ParseGlobalMean.
func (g *GlobalMean) UnmarshalText(b []byte) error {
	v, err := ParseGlobalMean(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// Options configure Measure and Stats.Measure. The zero value is the
// default.
type Options struct {
	// GlobalMean is the convention for mu_G (default Weighted).
	GlobalMean GlobalMean
	// Logits, when not nil, is called by Measure's first pass with the
	// logits of every block of samples, in sample order: logits is nb x K
	// row-major, row r the logits W h_i + b of sample i = first + r, and
	// labels their classes (labels[r] for row r). It sees each sample once,
	// so a caller can feed a one-pass consumer (a certificate accumulator)
	// without a second read of the samples. It must not modify or keep
	// either slice; an error stops the pass (at the next block) and is
	// returned by Measure. It runs on a goroutine of its own, one block
	// behind the pass (two buffers of 8 nb K bytes), one call at a time.
	// Stats.Measure has no logits and ignores it.
	Logits func(first int, logits []float64, labels []int) error
}
