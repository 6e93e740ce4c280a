package closedform

import (
	"math/big"

	"nccheck/internal/bigmath"
)

// softmaxCE returns, at prec bits, p = softmax(z), the complement
// c = 1 - p_y = sum_{j != y} p_j and the cross-entropy
// CE(z, y) = log sum_j exp(z_j) - z_y. Nothing is computed by cancellation:
// c is a sum of positive terms, and CE = (z_max - z_y) + log1p(r) with
// r = sum_{j != argmax} exp(z_j - z_max), so both keep their full relative
// precision when tiny (a correct-class probability within 2^-prec of 1 would
// otherwise give c = 0 and CE = 0). Sums are formed with 32 guard bits.
func softmaxCE(z []*big.Float, y int, prec uint) (p []*big.Float, c, ce *big.Float) {
	wp := prec + 32
	jmax := 0
	for j, v := range z {
		if v.Cmp(z[jmax]) > 0 {
			jmax = j
		}
	}
	e := make([]*big.Float, len(z))
	rest := new(big.Float).SetPrec(wp) // sum_{j != jmax} e_j
	notY := new(big.Float).SetPrec(wp) // sum_{j != y} e_j
	for j, v := range z {
		t := new(big.Float).SetPrec(wp).Sub(v, z[jmax])
		if j == jmax {
			e[j] = new(big.Float).SetPrec(wp).SetInt64(1)
		} else {
			e[j] = expRepeated(t, e[:j], z[:j], v)
			rest.Add(rest, e[j])
		}
		if j != y {
			notY.Add(notY, e[j])
		}
	}
	sum := new(big.Float).SetPrec(wp).SetInt64(1)
	sum.Add(sum, rest)
	p = make([]*big.Float, len(z))
	for j := range e {
		p[j] = new(big.Float).SetPrec(prec).Quo(e[j], sum)
	}
	c = new(big.Float).SetPrec(prec).Quo(notY, sum)
	l := bigmath.Log1p(rest, wp)
	l.Add(l, new(big.Float).SetPrec(wp).Sub(z[jmax], z[y]))
	return p, c, new(big.Float).SetPrec(prec).Set(l)
}

// expRepeated returns exp(t) for t = v - z_max, reusing the value of an
// earlier entry with the same logit (z[i] == v, so the same t exactly):
// points with a few distinct logits per class (the orthogonal structures:
// two) cost a few exponentials instead of K. Only the last eight entries
// are searched, so the cost stays O(K).
func expRepeated(t *big.Float, e, z []*big.Float, v *big.Float) *big.Float {
	for i := len(z) - 1; i >= 0 && i >= len(z)-8; i-- {
		if z[i].Cmp(v) == 0 && e[i] != nil && e[i].Prec() == t.Prec() {
			return e[i]
		}
	}
	return bigmath.Exp(t)
}
