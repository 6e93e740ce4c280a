package setting

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Limits on the inputs. They keep every quantity representable: N and N^2 are
// exact in float64 (N <= 2^53 is far above MaxTotal), and the big-float path
// never needs more than a few hundred bits of exponent.
const (
	MaxClasses = 100000            // K
	MaxCount   = 1_000_000_000_000 // each n_k
	MaxTotal   = 1_000_000_000_000 // N = sum n_k
	MaxDim     = 1_000_000         // d
)

// Setting is one instance of the training problem of theory.md section 1.
//
// The zero value is not valid; build one with a literal and call Validate, or
// use Parse helpers such as ParseCounts.
type Setting struct {
	// Counts holds n_1..n_K, the number of samples of each class, in the
	// user's order. K = len(Counts).
	Counts []int
	// Dim is the feature dimension d.
	Dim int
	// LambdaW, LambdaH are the weight-decay strengths on W and H, > 0.
	LambdaW, LambdaH Decimal
	// Bias adds a bias vector b to the logits, with penalty (LambdaB/2)||b||^2.
	// LambdaB must be >= 0 when Bias is set; 0 is an unregularised bias
	// (no penalty), which not every path supports (each says so). The closed
	// form of theory.md section 2 is bias-free.
	Bias    bool
	LambdaB Decimal
	// NoReLU drops the constraint H >= 0 (the plain UFM). The default, false,
	// is the UFM+ model of the theorem.
	NoReLU bool
	// Loss is the loss of the logits (theory.md section 12); the zero value
	// is cross-entropy, the loss of section 1.
	Loss Loss
}

// K returns the number of classes.
func (s Setting) K() int { return len(s.Counts) }

// N returns the total number of samples, sum_k n_k.
func (s Setting) N() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// ReLU reports whether the features are constrained to H >= 0.
func (s Setting) ReLU() bool { return !s.NoReLU }

// Unregularised reports whether the setting has a bias without a penalty
// (Bias set, LambdaB = 0).
func (s Setting) Unregularised() bool { return s.Bias && s.LambdaB.IsZero() }

// Clone returns a deep copy.
func (s Setting) Clone() Setting {
	c := s
	c.Counts = append([]int(nil), s.Counts...)
	return c
}

// String is a compact, human-readable description such as
// "n=(40,20,10,5) d=8 lW=5e-3 lH=5e-3".
func (s Setting) String() string {
	var b strings.Builder
	b.WriteString("n=(")
	b.WriteString(FormatCounts(s.Counts))
	fmt.Fprintf(&b, ") d=%d lW=%s lH=%s", s.Dim, s.LambdaW, s.LambdaH)
	if s.Bias {
		fmt.Fprintf(&b, " lb=%s", s.LambdaB)
	}
	if s.NoReLU {
		b.WriteString(" no-relu")
	}
	if !s.Loss.IsCE() {
		fmt.Fprintf(&b, " loss=%s", s.Loss)
	}
	return b.String()
}

// FormatCounts joins counts with commas, the syntax ParseCounts reads.
func FormatCounts(counts []int) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ",")
}

// InputError is a validation error about one input. Field names the input:
// a field of Setting ("Counts", "Dim", "LambdaW", "LambdaH", "LambdaB",
// "Bias", "NoReLU", "Loss") or an option of the package that reports it ("Prec",
// "Formula", ...). Value is the offending text ("" when there is none to
// show) and Reason says what is wrong. A command maps fields to its own
// flag names (see WithField).
type InputError struct {
	Field  string
	Value  string
	Reason string
}

func (e *InputError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("%s %s: %s", e.Field, e.Value, e.Reason)
}

// WithField returns a copy of e naming field instead of e.Field, for a
// caller that spells its inputs differently (a command-line flag, a JSON
// key).
func (e *InputError) WithField(field string) *InputError {
	c := *e
	c.Field = field
	return &c
}

// Field names of Setting, as InputError reports them.
const (
	FieldCounts  = "Counts"
	FieldDim     = "Dim"
	FieldLambdaW = "LambdaW"
	FieldLambdaH = "LambdaH"
	FieldLambdaB = "LambdaB"
	FieldBias    = "Bias"
	FieldNoReLU  = "NoReLU"
	FieldLoss    = "Loss"
)

func inputErr(field, value, format string, args ...any) *InputError {
	return &InputError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// ParseCounts parses a comma-separated list of class counts such as
// "1000,1000,2000". Every entry must be a whole number (a decimal like "1e3" is
// accepted when it is an integer); errors name the field Counts.
func ParseCounts(text string) ([]int, error) {
	fields := strings.Split(text, ",")
	counts := make([]int, 0, len(fields))
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, inputErr(FieldCounts, strconv.Quote(clip(text)), "entry %d is empty", i+1)
		}
		d, err := ParseDecimal(f)
		if err != nil {
			return nil, inputErr(FieldCounts, strconv.Quote(clip(text)), "entry %d (%q) is not a number", i+1, clip(f))
		}
		r := d.Rat()
		if !r.IsInt() {
			return nil, inputErr(FieldCounts, strconv.Quote(clip(text)), "entry %d (%s) is not an integer", i+1, clip(f))
		}
		if r.Sign() < 1 {
			return nil, inputErr(FieldCounts, strconv.Quote(clip(text)), "entry %d (%s) is below 1: every class needs a sample", i+1, clip(f))
		}
		if r.Num().Cmp(big.NewInt(MaxCount)) > 0 {
			return nil, inputErr(FieldCounts, strconv.Quote(clip(text)), "entry %d (%s) exceeds the limit %d", i+1, clip(f), int64(MaxCount))
		}
		counts = append(counts, int(r.Num().Int64()))
	}
	return counts, nil
}

// ParseLambda parses a regularisation strength for the named field
// (FieldLambdaW, ...) and checks that it is a finite positive number whose
// float64 rounding is a normal number.
func ParseLambda(field, text string) (Decimal, error) {
	d, err := ParseDecimal(text)
	if err != nil {
		return Decimal{}, inputErr(field, strconv.Quote(clip(text)), "%v", err)
	}
	if err := checkLambda(field, d); err != nil {
		return Decimal{}, err
	}
	return d, nil
}

func checkLambda(field string, d Decimal) error {
	if d.Sign() <= 0 {
		return inputErr(field, clip(d.String()), "must be a finite positive number")
	}
	if !d.finitePositiveFloat64() {
		return inputErr(field, clip(d.String()), "out of the float64 range the numerical path needs (about 1e-292 to 1e308)")
	}
	return nil
}

// Validate checks the setting for every path: K >= 2, each n_k in
// [1, MaxCount], N <= MaxTotal, d in [1, MaxDim], lambda_W and lambda_H (and
// lambda_b when Bias is set, where 0 means an unregularised bias) finite and
// positive, a smoothing in [0, 1). It does not check a
// theorem's scope: that is the theory's business (closedform.Theory).
func (s Setting) Validate() error {
	k := s.K()
	if k < 2 {
		return inputErr(FieldCounts, strconv.Quote(FormatCounts(s.Counts)), "needs at least 2 classes, got %d", k)
	}
	if k > MaxClasses {
		return inputErr(FieldCounts, "", "%d classes exceed the limit %d", k, MaxClasses)
	}
	total := 0
	for i, c := range s.Counts {
		if c < 1 {
			return inputErr(FieldCounts, strconv.Quote(FormatCounts(s.Counts)), "entry %d (%d) is below 1: every class needs a sample", i+1, c)
		}
		if c > MaxCount {
			return inputErr(FieldCounts, strconv.Quote(FormatCounts(s.Counts)), "entry %d (%d) exceeds the limit %d", i+1, c, int64(MaxCount))
		}
		total += c
		if total > MaxTotal {
			return inputErr(FieldCounts, "", "the total N exceeds the limit %d", int64(MaxTotal))
		}
	}
	if s.Dim < 1 {
		return inputErr(FieldDim, strconv.Itoa(s.Dim), "must be at least 1")
	}
	if s.Dim > MaxDim {
		return inputErr(FieldDim, strconv.Itoa(s.Dim), "exceeds the limit %d", MaxDim)
	}
	if err := checkLambda(FieldLambdaW, s.LambdaW); err != nil {
		return err
	}
	if err := checkLambda(FieldLambdaH, s.LambdaH); err != nil {
		return err
	}
	if s.Bias {
		if s.LambdaB.Sign() != 0 {
			if err := checkLambda(FieldLambdaB, s.LambdaB); err != nil {
				return err
			}
		}
	} else if !s.LambdaB.IsZero() {
		return inputErr(FieldLambdaB, s.LambdaB.String(), "given without --bias")
	}
	if s.Loss.Kind() == LabelSmoothing {
		if _, err := Smoothed(s.Loss.Smoothing()); err != nil {
			return err
		}
	}
	return nil
}

// ErrNonFinite reports a computation that met an infinity or a NaN (an
// input entry, an intermediate result or an output). It is the one such
// error of the repository: every package wraps it with its context
// ("optimize: objective at restart 2: ...") instead of defining its own, so
// errors.Is(err, setting.ErrNonFinite) holds whichever path failed.
var ErrNonFinite = errors.New("non-finite value")
