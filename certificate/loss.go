package certificate

import (
	"math/big"

	"nccheck/setting"
)

// Conjugate is a loss l(z; y) of the K logits z of one sample of class y,
// convex in z, seen through what the certificate of theory.md sections 11
// and 12 needs, in float64. The certificate uses class-constant dual
// points: for class k it takes a direction g_k (the class mean of
// -grad_z l at the point) and a scale alpha, and evaluates the negated
// conjugate
//
//	V_k(alpha) = -l*(-alpha g_k; k),   l*(u; k) = sup_z (u.z - l(z; k)),
//
// which is concave in alpha; the bound is sum_k (n_k/N) V_k(alpha) minus the
// bias term (see [Result]).
type Conjugate interface {
	// Direction returns l(z; y) and adds -grad_z l(z; y) to dir (length K);
	// work is scratch space of length at least K.
	Direction(z []float64, y int, dir, work []float64) float64
	// Value returns V(alpha) = -l*(-alpha g; y) and its first and second
	// derivatives in alpha, for alpha in [0, AlphaMax(g, y)].
	Value(g []float64, y int, alpha float64) (v, d1, d2 float64)
	// AlphaMax returns the largest alpha >= 0 for which -alpha g lies in
	// the domain of l*(.; y) (V finite); +Inf when every alpha does.
	AlphaMax(g []float64, y int) float64
	// Centre changes the class directions g (g[k] of class k, which has
	// counts[k] samples) so that sum_k counts[k] g[k] = 0, keeping every
	// alpha g[k] in the domain for alpha in a non-empty interval [0, a]:
	// the condition Y 1 = 0 of an unregularised bias (theory.md section 11).
	Centre(g [][]float64, counts []int) error
}

// BigConjugate is Conjugate in math/big arithmetic, with the extra
// methods that make the big-float bound rigorous: exact class directions
// (big.Rat) and a lower bound of V that carries its rounding errors.
type BigConjugate interface {
	// BigDirection returns l(z; y) and adds w times -grad_z l(z; y) to dir
	// (length K), at prec bits with rounding to nearest: an approximation,
	// used only to choose the dual point.
	BigDirection(z []*big.Float, y, w int, prec uint, dir []*big.Float) *big.Float
	// ExactDirections returns class directions g (K x K, exact) close to the
	// approximate class means gbar of -grad l and admissible for the loss
	// (for the softmax losses, each g[k] sums to exactly 0); with centre,
	// also sum_k counts[k] g[k] = 0 exactly (an unregularised bias).
	ExactDirections(gbar [][]*big.Float, counts []int, centre bool) ([][]*big.Rat, error)
	// ExactAlphaMax is AlphaMax, exactly; nil when every alpha >= 0 is
	// admissible.
	ExactAlphaMax(g []*big.Rat, y int) *big.Rat
	// BigValue is Value at prec bits, rounded to nearest (for the search
	// of alpha only).
	BigValue(g []*big.Float, y int, alpha *big.Float, prec uint) (v, d1, d2 *big.Float)
	// LowerValue returns a lower bound of V(alpha) = -l*(-alpha g; y) at
	// prec bits for an exact admissible alpha (0 <= alpha <= ExactAlphaMax):
	// every operation is rounded in the safe direction, and a logarithm,
	// which has no directed rounding, is widened by the error bound stated
	// in the package documentation.
	LowerValue(g []*big.Rat, y int, alpha *big.Rat, prec uint) *big.Float
}

// Loss is a loss with both forms of its conjugate.
type Loss interface {
	Conjugate
	BigConjugate
	// Name is the loss as setting.ParseLoss reads it ("ce", "ls:0.1",
	// "mse").
	Name() string
}

// LossOf returns the conjugate of a setting's loss: [CrossEntropy],
// [LabelSmoothing] or [SquaredError].
func LossOf(l setting.Loss) (Loss, error) {
	switch l.Kind() {
	case setting.CrossEntropy:
		return CrossEntropy{}, nil
	case setting.LabelSmoothing:
		sl := newSoftmaxLoss(l.Smoothing())
		return LabelSmoothing{A: l.Smoothing(), prepared: &sl}, nil
	case setting.SquaredError:
		return SquaredError{}, nil
	}
	return nil, &setting.InputError{Field: setting.FieldLoss, Value: l.String(), Reason: "the certificate has no conjugate for this loss"}
}

// CrossEntropy is l(z; y) = log sum_j exp(z_j) - z_y (theory.md section 1).
// Its negated conjugate is the entropy, V(alpha) = Ent(e_y - alpha g),
// finite where e_y - alpha g is a probability vector (section 11).
type CrossEntropy struct{}

// LabelSmoothing is l(z; y) = log sum_j exp(z_j) - t_y . z with the smoothed
// target t_y = (1 - A) e_y + (A/K) 1, A in [0, 1) (theory.md section 12a):
// V(alpha) = Ent(t_y - alpha g), finite where t_y - alpha g is a
// probability vector.
type LabelSmoothing struct {
	A setting.Decimal

	// prepared caches the converted smoothing (set by LossOf; a literal
	// converts A on every call).
	prepared *softmaxLoss
}

// SquaredError is l(z; y) = ||z - e_y||^2 / 2 (theory.md section 12b):
// V(alpha) = alpha g_y - alpha^2 ||g||^2 / 2, finite for every alpha.
type SquaredError struct{}

// Name returns "ce".
func (CrossEntropy) Name() string { return "ce" }

// Name returns "ls:A".
func (l LabelSmoothing) Name() string { return "ls:" + l.A.String() }

// Name returns "mse".
func (SquaredError) Name() string { return "mse" }

func (CrossEntropy) soft() softmaxLoss { return softmaxLoss{} }
func (l LabelSmoothing) soft() softmaxLoss {
	if l.prepared != nil {
		return *l.prepared
	}
	return newSoftmaxLoss(l.A)
}

// Direction implements Conjugate.
func (l CrossEntropy) Direction(z []float64, y int, dir, work []float64) float64 {
	return l.soft().direction(z, y, dir, work)
}

// Value implements Conjugate.
func (l CrossEntropy) Value(g []float64, y int, alpha float64) (v, d1, d2 float64) {
	return l.soft().value(g, y, alpha)
}

// AlphaMax implements Conjugate.
func (l CrossEntropy) AlphaMax(g []float64, y int) float64 { return l.soft().alphaMax(g, y) }

// Centre implements Conjugate.
func (l CrossEntropy) Centre(g [][]float64, counts []int) error { return l.soft().centre(g, counts) }

// BigDirection implements BigConjugate.
func (l CrossEntropy) BigDirection(z []*big.Float, y, w int, prec uint, dir []*big.Float) *big.Float {
	return l.soft().bigDirection(z, y, w, prec, dir)
}

// ExactDirections implements BigConjugate.
func (l CrossEntropy) ExactDirections(gbar [][]*big.Float, counts []int, centre bool) ([][]*big.Rat, error) {
	return l.soft().exactDirections(gbar, counts, centre)
}

// ExactAlphaMax implements BigConjugate.
func (l CrossEntropy) ExactAlphaMax(g []*big.Rat, y int) *big.Rat {
	return l.soft().exactAlphaMax(g, y)
}

// BigValue implements BigConjugate.
func (l CrossEntropy) BigValue(g []*big.Float, y int, alpha *big.Float, prec uint) (v, d1, d2 *big.Float) {
	return l.soft().bigValue(g, y, alpha, prec)
}

// LowerValue implements BigConjugate.
func (l CrossEntropy) LowerValue(g []*big.Rat, y int, alpha *big.Rat, prec uint) *big.Float {
	return l.soft().lowerValue(g, y, alpha, prec)
}

// Direction implements Conjugate.
func (l LabelSmoothing) Direction(z []float64, y int, dir, work []float64) float64 {
	return l.soft().direction(z, y, dir, work)
}

// Value implements Conjugate.
func (l LabelSmoothing) Value(g []float64, y int, alpha float64) (v, d1, d2 float64) {
	return l.soft().value(g, y, alpha)
}

// AlphaMax implements Conjugate.
func (l LabelSmoothing) AlphaMax(g []float64, y int) float64 { return l.soft().alphaMax(g, y) }

// Centre implements Conjugate.
func (l LabelSmoothing) Centre(g [][]float64, counts []int) error { return l.soft().centre(g, counts) }

// BigDirection implements BigConjugate.
func (l LabelSmoothing) BigDirection(z []*big.Float, y, w int, prec uint, dir []*big.Float) *big.Float {
	return l.soft().bigDirection(z, y, w, prec, dir)
}

// ExactDirections implements BigConjugate.
func (l LabelSmoothing) ExactDirections(gbar [][]*big.Float, counts []int, centre bool) ([][]*big.Rat, error) {
	return l.soft().exactDirections(gbar, counts, centre)
}

// ExactAlphaMax implements BigConjugate.
func (l LabelSmoothing) ExactAlphaMax(g []*big.Rat, y int) *big.Rat {
	return l.soft().exactAlphaMax(g, y)
}

// BigValue implements BigConjugate.
func (l LabelSmoothing) BigValue(g []*big.Float, y int, alpha *big.Float, prec uint) (v, d1, d2 *big.Float) {
	return l.soft().bigValue(g, y, alpha, prec)
}

// LowerValue implements BigConjugate.
func (l LabelSmoothing) LowerValue(g []*big.Rat, y int, alpha *big.Rat, prec uint) *big.Float {
	return l.soft().lowerValue(g, y, alpha, prec)
}
