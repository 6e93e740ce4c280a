package closedform

import (
	"fmt"
	"math"
	"math/big"

	"github.com/ALTree/bigfloat"
	"gonum.org/v1/gonum/mat"

	"nccheck/internal/bigmath"
	"nccheck/setting"
)

// calc holds the exact inputs and the working precision of one prediction
// with orthogonal class means.
type calc struct {
	s       setting.Setting
	prec    uint // output precision
	wp      uint // working precision
	k       int
	n       int
	lw, lh  *big.Rat
	kMinus1 *big.Float
}

func newCalc(s setting.Setting, prec uint) *calc {
	c := &calc{s: s, prec: prec, wp: prec + GuardBits, k: s.K(), n: s.N(), lw: s.LambdaW.Rat(), lh: s.LambdaH.Rat()}
	c.kMinus1 = c.fromInt(int64(c.k - 1))
	return c
}

func (c *calc) newF() *big.Float              { return new(big.Float).SetPrec(c.wp) }
func (c *calc) fromRat(r *big.Rat) *big.Float { return c.newF().SetRat(r) }
func (c *calc) fromInt(i int64) *big.Float    { return c.newF().SetInt64(i) }

// sqrtRat returns sqrt(r) at working precision (0 for r = 0).
func (c *calc) sqrtRat(r *big.Rat) *big.Float {
	x := c.fromRat(r)
	if x.Sign() == 0 {
		return x
	}
	return x.Sqrt(x)
}

// out rounds a working-precision value to the output precision.
func (c *calc) out(x *big.Float) *big.Float { return new(big.Float).SetPrec(c.prec).Set(x) }

// marginArgument returns the argument A_k of the logarithm, M_k = log(A_k),
// for an alive class:
//
//	paper:           A_k = (K-1) (1/(c beta_k) - 1)
//	authors-code:    A_k = (K-1) (x_k - 1), x_k = sqrt(n_k) / (N (lambda_W/2) c)
//	label-smoothing: A_k = (K-1) (1/u_k - 1), u_k = s (K-1)/K + c beta_k (s the smoothing)
func (c *calc) marginArgument(r marginRule, i int) *big.Float {
	x := c.newF()
	switch r {
	case authorsRule:
		// x_k^2 = 4 K n_k / (N^2 lambda_W^2 (K-1)), exact rational.
		n := big.NewInt(int64(c.n))
		num := new(big.Int).Mul(n, n)
		num.Mul(num, big.NewInt(int64(c.k-1)))
		q := new(big.Rat).Mul(c.lw, c.lw)
		q.Mul(q, new(big.Rat).SetFrac(num, big.NewInt(4*int64(c.k)*int64(c.s.Counts[i]))))
		x = c.sqrtRat(q.Inv(q))
	case smoothedRule:
		u := c.cBeta(i)
		u.Add(u, c.lossSlope(r))
		x.Quo(c.fromInt(1), u)
	default:
		x.Quo(c.fromInt(1), c.cBeta(i))
	}
	x.Sub(x, c.fromInt(1))
	return x.Mul(x, c.kMinus1)
}

// cBeta returns c beta_k = N sqrt((K-1) lambda_W lambda_H / (K n_k)).
func (c *calc) cBeta(i int) *big.Float {
	r := new(big.Rat).Mul(c.lw, c.lh)
	r.Mul(r, big.NewRat(int64(c.k-1), int64(c.k)*int64(c.s.Counts[i])))
	x := c.sqrtRat(r)
	return x.Mul(x, c.fromInt(int64(c.n)))
}

// ruleMargin returns M_k of a margin rule and (K-1) exp(-M_k). The latter
// needs no second transcendental call: exp(-M_k) = 1/A_k exactly when
// M_k = log A_k, and exp(-0) = 1 for a collapsed class.
func (c *calc) ruleMargin(r marginRule, i int, alive bool) (m, kExpNeg *big.Float, err error) {
	m = c.newF()
	kExpNeg = c.newF().Set(c.kMinus1)
	if !alive {
		return m, kExpNeg, nil
	}
	arg := c.marginArgument(r, i)
	if arg.Cmp(c.fromInt(1)) <= 0 {
		// Alive is decided exactly; an argument <= 1 here would mean the two
		// decisions disagree, which the guard bits rule out.
		return nil, nil, fmt.Errorf("class %d: margin argument %s <= 1 for an alive class", i+1, arg.Text('g', 20))
	}
	return bigfloat.Log(arg), kExpNeg.Quo(c.kMinus1, arg), nil
}

// lossSlope returns the coefficient of M_k that the loss adds to the
// per-class objective at the orthogonal point, beyond cross-entropy's
// log(1 + (K-1) e^{-M_k}): s (K-1)/K for label smoothing with smoothing s
// (theory.md section 12a: at z = M (e_k - 1/K), lse(z) - t_k.z =
// log(1 + (K-1) e^{-M}) + s M (K-1)/K); nil (none) for sections 2 and 7.
func (c *calc) lossSlope(r marginRule) *big.Float {
	if r != smoothedRule {
		return nil
	}
	a := new(big.Rat).Mul(c.s.Loss.Smoothing().Rat(), big.NewRat(int64(c.k-1), int64(c.k)))
	return c.fromRat(a)
}

// sH returns sqrt((K-1) lambda_W / (K lambda_H n_k)), so rho_k = M_k sH_k.
func (c *calc) sH(i int) *big.Float {
	r := new(big.Rat).Quo(c.lw, c.lh)
	r.Mul(r, big.NewRat(int64(c.k-1), int64(c.k)*int64(c.s.Counts[i])))
	return c.sqrtRat(r)
}

// sW returns sqrt(K lambda_H n_k / ((K-1) lambda_W)) = 1/(n_k sH_k), so
// gamma_k = M_k sW_k and the classifier column of class k is sW_k (e_k - 1/K) h_k^T.
func (c *calc) sW(i int) *big.Float {
	r := new(big.Rat).Quo(c.lh, c.lw)
	r.Mul(r, big.NewRat(int64(c.k)*int64(c.s.Counts[i]), int64(c.k-1)))
	return c.sqrtRat(r)
}

// orthogonal derives the bias-free geometry of theory.md section 2 from the
// margins M_k (working precision, 0 for a collapsed class), the values
// (K-1) exp(-M_k), the alive flags and the loss slope (nil for
// cross-entropy; see lossSlope): rho_k = M_k sH_k, gamma_k = M_k sW_k,
// ||w_k||^2, cos(w_k, h_k), p_k, the objective at the point, the three
// K x K matrices, the classifier rule, and the explicit minimizer (built on
// demand from the working-precision values).
func (c *calc) orthogonal(theory string, margins, kExpNeg []*big.Float, alive []bool, slope *big.Float) (*Prediction, error) {
	k := c.k
	p := NewPrediction(theory, c.s, c.prec)
	gammas := make([]*big.Float, k)
	rhos := make([]*big.Float, k)
	gammaSum := c.newF()
	p.GlobalCollapse = countTrue(alive) == 0
	for i := range c.s.Counts {
		rhos[i] = c.newF().Mul(margins[i], c.sH(i))
		gammas[i] = c.newF().Mul(margins[i], c.sW(i))
		gammaSum.Add(gammaSum, gammas[i])
		prob := c.newF().Add(c.fromInt(1), kExpNeg[i])
		prob.Quo(c.fromInt(1), prob)
		p.Classes[i] = Class{N: c.s.Counts[i], Alive: alive[i], Margin: c.out(margins[i]), FeatureNormSq: c.out(rhos[i]),
			Gamma: c.out(gammas[i]), ProbCorrect: c.out(prob), CBeta: c.out(c.cBeta(i))}
	}
	c.classifierNorms(p, margins, gammas, rhos, gammaSum, alive)
	p.Objective = c.out(c.orthogonalObjective(margins, kExpNeg, slope))
	p.WH, p.WWT, p.HTH = c.matrices(margins, gammas, rhos, gammaSum)
	p.ClassifierRule = PaperClassifierRule(c.s.Counts)
	if err := p.checkFinite(); err != nil {
		return nil, err
	}

	// The explicit point needs sqrt(rho_k) and the classifier column scale
	// sW_k sqrt(rho_k), kept at the working precision: column c(k) of W is
	// sW_k sqrt(rho_k) (e_k - 1/K).
	hs := make([]*big.Float, k)
	cols := make([]*big.Float, k)
	kf := c.fromInt(int64(k))
	for i := range hs {
		if alive[i] {
			hs[i] = c.newF().Sqrt(rhos[i])
			cols[i] = c.newF().Mul(c.sW(i), hs[i])
		}
	}
	col := func(cls, j int, v *big.Float) {
		v.Quo(cols[cls], kf)
		v.Neg(v)
		if j == cls {
			v.Add(v, cols[cls])
		}
	}
	s, prec, wp := c.s, c.prec, c.wp
	p.SetMinimizerFunc(func() (*Minimizer, error) { return coordMinimizer(s, prec, wp, alive, hs, col, nil), nil })
	return p, nil
}

// orthogonalObjective returns f at the orthogonal point,
// sum_k (n_k/N) [log(1 + (K-1) exp(-M_k)) + (c beta_k + slope) M_k], where
// log(1 + (K-1) exp(-M_k)) = -log p_k is computed by log1p.
func (c *calc) orthogonalObjective(margins, kExpNeg []*big.Float, slope *big.Float) *big.Float {
	objective := c.newF()
	for i, ni := range c.s.Counts {
		coef := c.cBeta(i)
		if slope != nil {
			coef.Add(coef, slope)
		}
		term := bigmath.Log1p(kExpNeg[i], c.wp)
		term.Add(term, coef.Mul(coef, margins[i]))
		term.Mul(term, c.fromRat(big.NewRat(int64(ni), int64(c.n))))
		objective.Add(objective, term)
	}
	return objective
}

// classifierNorms sets ||w_k||^2 = ((K-1)^2 gamma_k + S - gamma_k) / K^2 =
// ((K^2 - 2K) gamma_k + S) / K^2 and, for the alive classes,
// cos(w_k, h_k) = ((K-1) M_k / K) / (||w_k|| sqrt(rho_k)).
func (c *calc) classifierNorms(p *Prediction, margins, gammas, rhos []*big.Float, gammaSum *big.Float, alive []bool) {
	k := c.k
	kf := c.fromInt(int64(k))
	k2 := c.fromInt(int64(k) * int64(k))
	k2m2k := c.fromInt(int64(k)*int64(k) - 2*int64(k))
	km1OverK := c.newF().Quo(c.kMinus1, kf)
	for i := range p.Classes {
		wn := c.newF().Mul(k2m2k, gammas[i])
		wn.Add(wn, gammaSum)
		wn.Quo(wn, k2)
		p.Classes[i].ClassifierNormSq = c.out(wn)
		if alive[i] {
			num := c.newF().Mul(km1OverK, margins[i])
			den := c.newF().Mul(wn, rhos[i])
			den.Sqrt(den)
			p.Classes[i].CosWH = c.out(num.Quo(num, den))
		}
	}
}

// PaperClassifierRule returns the classifier rule of the bias-free theorem,
// A = K diag(sqrt(n)) - 1 sqrt(n)^T: at the predicted point W = c A Hbar^T,
// row k of W proportional to K sqrt(n_k) mu_k - sum_j sqrt(n_j) mu_j
// (theory.md sections 2 and 8), in float64.
func PaperClassifierRule(counts []int) *mat.Dense {
	k := len(counts)
	a := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j, nj := range counts {
			v := -math.Sqrt(float64(nj))
			if i == j {
				v += float64(k) * math.Sqrt(float64(nj))
			}
			a.Set(i, j, v)
		}
	}
	return a
}

// collapseRoots solves a (R + n)^2 = n, i.e. a n^2 + (2aR - 1) n + a R^2 = 0,
// with discriminant 1 - 4 a R, for the collapse coefficient a. The larger
// root is (1 - 2aR + sqrt(1 - 4aR)) / (2a); the smaller is R^2 / n_hi (the
// product of the roots is R^2), which avoids cancellation.
func (c *calc) collapseRoots(a *big.Rat, i int) Roots {
	r := big.NewRat(int64(c.n-c.s.Counts[i]), 1)
	ar := new(big.Rat).Mul(a, r)
	disc := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(big.NewRat(4, 1), ar))
	if disc.Sign() < 0 {
		return Roots{}
	}
	hi := c.sqrtRat(disc)
	hi.Add(hi, c.fromRat(new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(big.NewRat(2, 1), ar))))
	hi.Quo(hi, c.fromRat(new(big.Rat).Mul(big.NewRat(2, 1), a)))
	lo := c.fromRat(new(big.Rat).Mul(r, r))
	lo.Quo(lo, hi)
	return Roots{Real: true, Lo: c.out(lo), Hi: c.out(hi)}
}

// matrices fills W Hbar, W W^T and Hbar^T Hbar from O(K) per-class values:
//
//	(W Hbar)_{jk}  = M_k (delta_jk - 1/K)
//	(W W^T)_{ij}   = gamma_i delta_ij - (gamma_i + gamma_j)/K + S/K^2,  S = sum gamma
//	(Hbar^T Hbar)  = diag(rho)
func (c *calc) matrices(margins, gammas, rhos []*big.Float, gammaSum *big.Float) (wh, wwt, hth *Matrix) {
	k := c.k
	kf := c.fromInt(int64(k))
	wh, wwt, hth = newMatrix(k, c.prec), newMatrix(k, c.prec), newMatrix(k, c.prec)
	mOverK := make([]*big.Float, k)
	gOverK := make([]*big.Float, k)
	for i := 0; i < k; i++ {
		mOverK[i] = c.newF().Quo(margins[i], kf)
		gOverK[i] = c.newF().Quo(gammas[i], kf)
	}
	sOverK2 := c.newF().Quo(gammaSum, c.fromInt(int64(k)*int64(k)))
	t := c.newF()
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			// W Hbar
			switch {
			case i == j:
				t.Sub(margins[j], mOverK[j])
				wh.at(i, j).Set(t)
			case mOverK[j].Sign() != 0: // a collapsed class keeps +0, not -0
				wh.at(i, j).Neg(mOverK[j])
			}
			// W W^T
			t.Sub(sOverK2, gOverK[i])
			t.Sub(t, gOverK[j])
			if i == j {
				t.Add(t, gammas[i])
			}
			wwt.at(i, j).Set(t)
		}
		hth.at(i, i).Set(rhos[i])
	}
	return wh, wwt, hth
}
