package derivation

import (
	"fmt"
	"math/big"

	"nccheck/setting"
)

// sampleLoss is a loss l(z; y) of the logits z in R^K of one sample of
// class y (theory.md sections 1 and 12), evaluated in big.Float arithmetic
// at the precision it was made for. Evaluate and Hessian meet the loss only
// through it: the columns of G of theory.md section 5 are the gradients of
// value divided by N, and the Hessian's blocks in the logits are the
// matrices of curvature divided by N. Each loss is implemented once, here,
// apart from every other package's loss code.
type sampleLoss interface {
	// value returns l(z; y) and its gradient dl/dz (length K), each rounded
	// to the loss's precision.
	value(z []*big.Float, y int) (l *big.Float, grad []*big.Float)
	// curvature returns the Hessian d^2 l / dz^2 at z (K x K, symmetric),
	// each entry rounded to the loss's precision.
	curvature(z []*big.Float, y int) [][]*big.Float
}

// newSampleLoss returns the implementation of l for K classes at prec bits.
func newSampleLoss(l setting.Loss, k int, prec uint) (sampleLoss, error) {
	switch l.Kind() {
	case setting.CrossEntropy:
		return crossEntropyLoss{prec: prec}, nil
	case setting.LabelSmoothing:
		return newSmoothedLoss(l.Smoothing(), k, prec), nil
	case setting.SquaredError:
		return squaredErrorLoss{prec: prec}, nil
	}
	return nil, fmt.Errorf("derivation: loss %s is not implemented", l)
}

// crossEntropyLoss is CE(z; y) = log sum_j exp(z_j) - z_y (theory.md
// section 1), with gradient p - e_y (p = softmax(z); the entry y is
// -(1 - p_y), formed without cancellation) and curvature diag(p) - p p^T.
type crossEntropyLoss struct{ prec uint }

func (c crossEntropyLoss) value(z []*big.Float, y int) (*big.Float, []*big.Float) {
	p, comp, ce := crossEntropy(z, y, c.prec)
	p[y].Neg(comp)
	return ce, p
}

func (c crossEntropyLoss) curvature(z []*big.Float, y int) [][]*big.Float {
	return newRelativeSoftmax(z, y, c.prec+guardBits).softmaxCurvature(c.prec)
}

// smoothedLoss is label-smoothed cross-entropy (theory.md section 12a),
// l(z; y) = log sum_j exp(z_j) - t_y . z with t_y = (1 - a) e_y + (a/K) 1,
// evaluated as
//
//	l = CE(z; y) + (a/K) sum_{j != y} (z_y - z_j),
//
// (the two agree because the entries of t_y sum to 1), with gradient
// p - t_y: p_j - a/K for j != y and -(1 - p_y) + a (K-1)/K for j = y, and
// the curvature of cross-entropy, diag(p) - p p^T (the linear term has
// none). Every value is formed at prec + guardBits bits and rounded once;
// the value loses relative precision only when the two terms cancel by more
// than guardBits bits, which l >= (entropy of t_y) > 0 limits to logits
// larger than about 2^32 (for a > 0).
type smoothedLoss struct {
	prec uint
	// aOverK = a/K and aRest = a (K-1)/K at prec + guardBits bits, from the
	// exact decimal a.
	aOverK, aRest *big.Float
}

func newSmoothedLoss(a setting.Decimal, k int, prec uint) smoothedLoss {
	wp := prec + guardBits
	r := new(big.Rat).Quo(a.Rat(), big.NewRat(int64(k), 1))
	rest := new(big.Rat).Mul(r, big.NewRat(int64(k-1), 1))
	return smoothedLoss{prec: prec, aOverK: new(big.Float).SetPrec(wp).SetRat(r), aRest: new(big.Float).SetPrec(wp).SetRat(rest)}
}

func (s smoothedLoss) value(z []*big.Float, y int) (*big.Float, []*big.Float) {
	wp := s.prec + guardBits
	r := newRelativeSoftmax(z, y, wp)
	lin := new(big.Float).SetPrec(wp)
	d := new(big.Float).SetPrec(wp)
	for j, v := range z {
		if j != y {
			lin.Add(lin, d.Sub(z[y], v))
		}
	}
	lin.Mul(lin, s.aOverK)
	l := new(big.Float).SetPrec(wp).Add(r.crossEntropyWP(), lin)
	grad := make([]*big.Float, len(z))
	for j := range z {
		g := new(big.Float).SetPrec(wp)
		if j == y {
			g.Sub(s.aRest, r.complement(y, wp))
		} else {
			g.Sub(r.prob(j, wp), s.aOverK)
		}
		grad[j] = new(big.Float).SetPrec(s.prec).Set(g)
	}
	return new(big.Float).SetPrec(s.prec).Set(l), grad
}

func (s smoothedLoss) curvature(z []*big.Float, y int) [][]*big.Float {
	return newRelativeSoftmax(z, y, s.prec+guardBits).softmaxCurvature(s.prec)
}

// squaredErrorLoss is the squared error (theory.md section 12b),
// l(z; y) = ||z - e_y||^2 / 2, with gradient z - e_y (each entry one
// correctly rounded subtraction) and curvature the identity. The value is
// summed at prec + guardBits bits and rounded once.
type squaredErrorLoss struct{ prec uint }

func (q squaredErrorLoss) value(z []*big.Float, y int) (*big.Float, []*big.Float) {
	wp := q.prec + guardBits
	sum := new(big.Float).SetPrec(wp)
	d := new(big.Float).SetPrec(wp)
	grad := make([]*big.Float, len(z))
	one := big.NewFloat(1)
	for j, v := range z {
		grad[j] = new(big.Float).SetPrec(q.prec).Set(v)
		d.Set(v)
		if j == y {
			grad[j].Sub(v, one)
			d.Sub(v, one)
		}
		sum.Add(sum, d.Mul(d, d))
	}
	sum.Quo(sum, big.NewFloat(2))
	return new(big.Float).SetPrec(q.prec).Set(sum), grad
}

func (q squaredErrorLoss) curvature(z []*big.Float, _ int) [][]*big.Float {
	s := make([][]*big.Float, len(z))
	for j := range s {
		s[j] = make([]*big.Float, len(z))
		for l := range s[j] {
			s[j][l] = new(big.Float).SetPrec(q.prec)
			if l == j {
				s[j][l].SetInt64(1)
			}
		}
	}
	return s
}
