package derivation

import (
	"math/big"

	"nccheck/internal/bigmath"
)

// The checker's own softmax and cross-entropy.
//
// This is the checker's own code, written apart from the closed form's
// (package closedform minimises a reduced problem with its own softmax) and
// from the float64 solver's: a mistake in one cannot pass through the other.
// It works relative to the correct logit, which big.Float allows because its
// exponent range is practically unbounded (exp(z_j - z_y) cannot overflow or
// underflow):
//
//	q_j = exp(z_j - z_y) for j != y,  Q = sum_{j != y} q_j,
//	CE = log(1 + Q),  p_j = q_j / (1 + Q),  p_y = 1 / (1 + Q),  c = Q / (1 + Q).
//
// Q is a sum of positive terms and log(1 + Q) is taken by bigmath.Log1p, so
// CE and c = 1 - p_y keep their full relative precision when p_y is within
// 2^-prec of 1.

// guardBits is the number of bits carried above the requested precision by
// the intermediate values of the losses.
const guardBits = 32

// relativeSoftmax holds q_j = exp(z_j - z_y) (j != y; q[y] is nil), their
// sum Q and the denominator 1 + Q, at the working precision wp.
type relativeSoftmax struct {
	y   int
	q   []*big.Float
	sum *big.Float // Q
	den *big.Float // 1 + Q
	wp  uint
}

func newRelativeSoftmax(z []*big.Float, y int, wp uint) *relativeSoftmax {
	r := &relativeSoftmax{y: y, q: make([]*big.Float, len(z)), sum: new(big.Float).SetPrec(wp), wp: wp}
	for j, v := range z {
		if j == y {
			continue
		}
		d := new(big.Float).SetPrec(wp).Sub(v, z[y])
		r.q[j] = bigmath.Exp(d)
		r.sum.Add(r.sum, r.q[j])
	}
	r.den = new(big.Float).SetPrec(wp).SetInt64(1)
	r.den.Add(r.den, r.sum)
	return r
}

// prob returns p_j at precision prec, correctly rounded from the working
// values (one division).
func (r *relativeSoftmax) prob(j int, prec uint) *big.Float {
	if j == r.y {
		return new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(r.wp).SetInt64(1), r.den)
	}
	return new(big.Float).SetPrec(prec).Quo(r.q[j], r.den)
}

// complement returns 1 - p_j = (sum of the other numerators) / (1 + Q) at
// precision prec, as a sum of positive terms (no cancellation, also when p_j
// is near 1, for the correct or a wrong class).
func (r *relativeSoftmax) complement(j int, prec uint) *big.Float {
	if j == r.y {
		return new(big.Float).SetPrec(prec).Quo(r.sum, r.den)
	}
	num := new(big.Float).SetPrec(r.wp).SetInt64(1)
	for l, q := range r.q {
		if l != r.y && l != j {
			num.Add(num, q)
		}
	}
	return new(big.Float).SetPrec(prec).Quo(num, r.den)
}

// crossEntropyWP returns CE(z, y) = log(1 + Q) at the working precision.
func (r *relativeSoftmax) crossEntropyWP() *big.Float { return bigmath.Log1p(r.sum, r.wp) }

// crossEntropy returns, at prec bits, p = softmax(z), the complement
// c = 1 - p_y and the cross-entropy CE(z, y) = log sum_j exp(z_j) - z_y of
// theory.md section 1, each correctly rounded from values carried with
// guardBits more bits.
func crossEntropy(z []*big.Float, y int, prec uint) (p []*big.Float, c, ce *big.Float) {
	r := newRelativeSoftmax(z, y, prec+guardBits)
	p = make([]*big.Float, len(z))
	for j := range z {
		p[j] = r.prob(j, prec)
	}
	c = r.complement(y, prec)
	ce = new(big.Float).SetPrec(prec).Set(r.crossEntropyWP())
	return p, c, ce
}

// softmaxCurvature returns the Hessian of log sum_j exp(z_j) in z,
// S = diag(p) - p p^T, at prec bits: S_jj = p_j (1 - p_j) with 1 - p_j
// formed without cancellation, S_jl = -p_j p_l. Every entry is the product of
// two values correctly rounded at prec + guardBits, rounded to prec.
func (r *relativeSoftmax) softmaxCurvature(prec uint) [][]*big.Float {
	k := len(r.q)
	p := make([]*big.Float, k)
	for j := range p {
		p[j] = r.prob(j, r.wp)
	}
	s := make([][]*big.Float, k)
	for j := range s {
		s[j] = make([]*big.Float, k)
		for l := range s[j] {
			v := new(big.Float).SetPrec(prec)
			if l == j {
				v.Mul(p[j], r.complement(j, r.wp))
			} else {
				v.Mul(p[j], p[l]).Neg(v)
			}
			s[j][l] = v
		}
	}
	return s
}
