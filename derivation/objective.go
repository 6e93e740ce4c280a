package derivation

import (
	"math/big"

	"github.com/ALTree/bigfloat"

	"nccheck/internal/bigmath"
)

// crossEntropy returns, at prec bits, p = softmax(z), the complement
// c = 1 - p_y and the cross-entropy CE(z, y) = log sum_j exp(z_j) - z_y of
// theory.md section 1.
//
// This is the checker's own code, written apart from the closed form's
// (package closedform minimises a reduced problem with its own softmax): a
// mistake in one cannot pass through the other. It works relative to the
// correct logit, which big.Float allows because its exponent range is
// practically unbounded (exp(z_j - z_y) cannot overflow or underflow):
//
//	q_j = exp(z_j - z_y) for j != y,  Q = sum_{j != y} q_j,
//	CE = log(1 + Q),  p_j = q_j / (1 + Q),  p_y = 1 / (1 + Q),  c = Q / (1 + Q).
//
// Q is a sum of positive terms and log(1 + Q) is taken by bigmath.Log1p, so
// CE and c keep their full relative precision when p_y is within 2^-prec of
// 1. Intermediate values carry 32 guard bits.
func crossEntropy(z []*big.Float, y int, prec uint) (p []*big.Float, c, ce *big.Float) {
	wp := prec + 32
	q := make([]*big.Float, len(z))
	sum := new(big.Float).SetPrec(wp)
	for j, v := range z {
		if j == y {
			continue
		}
		d := new(big.Float).SetPrec(wp).Sub(v, z[y])
		q[j] = bigfloat.Exp(d)
		sum.Add(sum, q[j])
	}
	den := new(big.Float).SetPrec(wp).SetInt64(1)
	den.Add(den, sum)
	p = make([]*big.Float, len(z))
	for j := range z {
		if j == y {
			p[j] = new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(wp).SetInt64(1), den)
			continue
		}
		p[j] = new(big.Float).SetPrec(prec).Quo(q[j], den)
	}
	c = new(big.Float).SetPrec(prec).Quo(sum, den)
	ce = new(big.Float).SetPrec(prec).Set(bigmath.Log1p(sum, wp))
	return p, c, ce
}
