package setting

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// LossKind names a family of losses l(z; k) of the logits z of one sample
// of class k (theory.md sections 1 and 12).
type LossKind int

const (
	// CrossEntropy is l(z; k) = log sum_j exp(z_j) - z_k (theory.md
	// section 1), written "ce".
	CrossEntropy LossKind = iota
	// LabelSmoothing is l(z; k) = log sum_j exp(z_j) - t_k . z with the
	// smoothed target t_k = (1 - a) e_k + (a/K) 1, smoothing a in [0, 1)
	// (theory.md section 12a), written "ls:A" ("ls:0.1").
	LabelSmoothing
	// SquaredError is l(z; k) = ||z - e_k||^2 / 2 (theory.md section 12b),
	// written "mse".
	SquaredError
)

// Loss is the loss of a setting: a kind and, for label smoothing, the
// smoothing a as an exact decimal. The zero Loss is cross-entropy, so a
// Setting literal without a Loss is the problem of theory.md section 1.
// A Loss is immutable and comparable with Equal.
type Loss struct {
	kind      LossKind
	smoothing Decimal
}

// CE returns the cross-entropy loss (the zero Loss).
func CE() Loss { return Loss{} }

// MSE returns the squared-error loss ||z - e_k||^2 / 2.
func MSE() Loss { return Loss{kind: SquaredError} }

// Smoothed returns label-smoothed cross-entropy with smoothing a, which must
// lie in [0, 1); errors are *InputError naming FieldLoss. a = 0 is a
// separate Loss value from CE (written "ls:0") with the same objective.
func Smoothed(a Decimal) (Loss, error) {
	if a.Sign() < 0 || a.Rat().Cmp(big.NewRat(1, 1)) >= 0 {
		return Loss{}, inputErr(FieldLoss, "ls:"+clip(a.String()), "the smoothing must be in [0, 1)")
	}
	return Loss{kind: LabelSmoothing, smoothing: a}, nil
}

// ParseLoss reads a loss as written on the command line and in grid files:
// "ce" (also "" and "cross-entropy"), "ls:A" with A a decimal in [0, 1)
// ("ls:0.1"), or "mse". Errors are *InputError naming FieldLoss.
func ParseLoss(text string) (Loss, error) {
	t := strings.TrimSpace(text)
	switch strings.ToLower(t) {
	case "", "ce", "cross-entropy":
		return CE(), nil
	case "mse":
		return MSE(), nil
	}
	if rest, ok := strings.CutPrefix(t, "ls:"); ok {
		a, err := ParseDecimal(rest)
		if err != nil {
			return Loss{}, inputErr(FieldLoss, strconv.Quote(clip(t)), "the smoothing %v", err)
		}
		return Smoothed(a)
	}
	return Loss{}, inputErr(FieldLoss, strconv.Quote(clip(t)), "unknown loss: want ce, ls:A (smoothing A in [0, 1), e.g. ls:0.1) or mse")
}

// Kind returns the family of the loss.
func (l Loss) Kind() LossKind { return l.kind }

// Smoothing returns a for label smoothing, and 0 for the other losses.
func (l Loss) Smoothing() Decimal { return l.smoothing }

// IsCE reports whether l is plain cross-entropy (not "ls:0", which has the
// same objective but is a separate value).
func (l Loss) IsCE() bool { return l.kind == CrossEntropy }

// Softmax reports whether the loss is a cross-entropy of the softmax of the
// logits (ce and ls:A), whose value is invariant under adding a constant to
// every logit.
func (l Loss) Softmax() bool { return l.kind == CrossEntropy || l.kind == LabelSmoothing }

// Equal reports whether two losses are the same (smoothings compared exactly).
func (l Loss) Equal(m Loss) bool { return l.kind == m.kind && l.smoothing.Equal(m.smoothing) }

// String returns the text ParseLoss reads: "ce", "ls:0.1", "mse".
func (l Loss) String() string {
	switch l.kind {
	case LabelSmoothing:
		return "ls:" + l.smoothing.String()
	case SquaredError:
		return "mse"
	default:
		return "ce"
	}
}

// MarshalText returns String, so a Loss is a JSON string.
func (l Loss) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses the text with ParseLoss.
func (l *Loss) UnmarshalText(b []byte) error {
	v, err := ParseLoss(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Losses lists the loss syntaxes, for help texts.
func Losses() string { return "ce|ls:A|mse" }

func (k LossKind) String() string {
	switch k {
	case CrossEntropy:
		return "cross-entropy"
	case LabelSmoothing:
		return "label-smoothing"
	case SquaredError:
		return "squared-error"
	}
	return fmt.Sprintf("LossKind(%d)", int(k))
}
