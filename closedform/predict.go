package closedform

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ALTree/bigfloat"

	"nccheck/setting"
)

// Precision limits and default, in bits of mantissa.
const (
	DefaultPrec uint = 256
	MinPrec     uint = 64
	MaxPrec     uint = 4096
	// GuardBits is the extra working precision used inside Predict.
	GuardBits uint = 64
)

// Options choose the precision and the formula set. The zero value means
// DefaultPrec bits and FormulaPaper.
type Options struct {
	Prec    uint    // bits of mantissa of every result; 0 means DefaultPrec
	Formula Formula // margin formula; the zero value is FormulaPaper
}

// Class holds the per-class quantities of theory.md section 2 for class k.
// Every *big.Float has precision Prediction.Prec.
type Class struct {
	N     int  // n_k
	Alive bool // M_k > 0 (decided exactly)
	// Margin is M_k, the logit gap of class k at the optimum (0 when collapsed).
	Margin *big.Float
	// FeatureNormSq is rho_k = ||h_k||^2 = M_k sqrt((K-1) lambda_W / (K lambda_H n_k)).
	FeatureNormSq *big.Float
	// Gamma is gamma_k = M_k^2 / rho_k = M_k sqrt(K lambda_H n_k / ((K-1) lambda_W)),
	// the k-th diagonal entry in W W^T = (I - J/K) diag(gamma) (I - J/K).
	Gamma *big.Float
	// ClassifierNormSq is ||w_k||^2 = ((K-1)^2 gamma_k + sum_{j != k} gamma_j) / K^2.
	ClassifierNormSq *big.Float
	// CosWH is cos(w_k, h_k) = ((K-1) M_k / K) / (||w_k|| sqrt(rho_k)); nil when
	// the class collapses (h_k = 0, the angle is undefined).
	CosWH *big.Float
	// ProbCorrect is the softmax probability of the correct class at the
	// optimum, 1 / (1 + (K-1) exp(-M_k)); for the paper's formula this equals
	// 1 - c beta_k when alive and 1/K when collapsed.
	ProbCorrect *big.Float
	// CBeta is c beta_k = N sqrt((K-1) lambda_W lambda_H / (K n_k)).
	CBeta *big.Float
	// CollapseRoots are the two roots n_lo <= n_hi of a (R + n)^2 = n in n,
	// with R = N - n_k the other classes' samples and a the collapse
	// coefficient (K lambda_W lambda_H / (K-1) for the paper): with the other
	// counts fixed, class k collapses for n <= n_lo or n >= n_hi. Real is false
	// (and Lo, Hi nil) when 4 a R > 1: then the class collapses for every n.
	CollapseRoots Roots
}

// Roots are the two real roots of a quadratic, or none.
type Roots struct {
	Real   bool
	Lo, Hi *big.Float
}

// Prediction is the closed-form global minimizer geometry of one setting.
type Prediction struct {
	Setting setting.Setting
	Formula Formula
	Prec    uint // bits of mantissa of every *big.Float below

	Classes []Class // in the setting's class order
	// Objective is f* = sum_k (n_k/N) [log(1 + (K-1) exp(-M_k)) + c beta_k M_k],
	// the objective f at the predicted point (log K when every class collapses).
	Objective *big.Float
	// CollapseThreshold is K N^2 lambda_W lambda_H / (K-1) (for the authors'
	// code K N^2 lambda_W^2 / (4 (K-1))): class k collapses iff n_k <= it.
	CollapseThreshold *big.Float
	// GlobalCollapse is true iff every class collapses (W = 0, H = 0).
	GlobalCollapse bool

	// WH is W Hbar = (I - J/K) diag(M): entry (j, k) = M_k (delta_jk - 1/K).
	WH *Matrix
	// WWT is W W^T = (I - J/K) diag(gamma) (I - J/K).
	WWT *Matrix
	// HTH is Hbar^T Hbar = diag(rho).
	HTH *Matrix
}

// ErrNonFinite reports a computation that produced an infinity or NaN.
var ErrNonFinite = errors.New("closedform: non-finite intermediate result")

// Predict computes the prediction for s. It returns an error when s is out of
// the theorem's scope (see CheckScope) or the precision is outside
// [MinPrec, MaxPrec].
//
// Cost: O(K) logarithms and square roots at Prec+GuardBits bits, and O(K^2)
// additions to fill the three K x K matrices.
func Predict(s setting.Setting, opt Options) (*Prediction, error) {
	prec := opt.Prec
	if prec == 0 {
		prec = DefaultPrec
	}
	if prec < MinPrec || prec > MaxPrec {
		return nil, &setting.InputError{Flag: "--prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	if _, err := ParseFormula(opt.Formula.String()); err != nil {
		return nil, err
	}
	if err := CheckScope(s, opt.Formula); err != nil {
		return nil, err
	}
	c := newCalc(s, opt.Formula, prec)
	p, err := c.predict()
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	return p, nil
}

// calc holds the exact inputs and the working precision.
type calc struct {
	s       setting.Setting
	f       Formula
	prec    uint // output precision
	wp      uint // working precision
	k       int
	n       int
	lw, lh  *big.Rat
	alive   []bool
	coefA   *big.Rat // collapse coefficient a
	kMinus1 *big.Float
}

func newCalc(s setting.Setting, f Formula, prec uint) *calc {
	c := &calc{s: s, f: f, prec: prec, wp: prec + GuardBits, k: s.K(), n: s.N(),
		lw: s.LambdaW.Rat(), lh: s.LambdaH.Rat(), alive: Alive(s, f), coefA: collapseCoefficient(s, f)}
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
//	paper:        A_k = (K-1) (1/(c beta_k) - 1)
//	authors-code: A_k = (K-1) (x_k - 1), x_k = sqrt(n_k) / (N (lambda_W/2) c)
func (c *calc) marginArgument(i int, cbeta *big.Float) *big.Float {
	x := c.newF()
	switch c.f {
	case FormulaAuthorsCode:
		// x_k^2 = 4 K n_k / (N^2 lambda_W^2 (K-1)), exact rational.
		n := big.NewInt(int64(c.n))
		num := new(big.Int).Mul(n, n)
		num.Mul(num, big.NewInt(int64(c.k-1)))
		r := new(big.Rat).Mul(c.lw, c.lw)
		r.Mul(r, new(big.Rat).SetFrac(num, big.NewInt(4*int64(c.k)*int64(c.s.Counts[i]))))
		x = c.sqrtRat(r.Inv(r))
	default:
		x.Quo(c.fromInt(1), cbeta)
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

// margin returns M_k and (K-1) exp(-M_k). The latter needs no second
// transcendental call: exp(-M_k) = 1/A_k exactly when M_k = log A_k, and
// exp(-0) = 1 for a collapsed class.
func (c *calc) margin(i int) (m, kExpNeg *big.Float, err error) {
	m = c.newF()
	kExpNeg = c.newF().Set(c.kMinus1)
	if !c.alive[i] {
		return m, kExpNeg, nil
	}
	arg := c.marginArgument(i, c.cBeta(i))
	if arg.Cmp(c.fromInt(1)) <= 0 {
		// Alive is decided exactly; an argument <= 1 here would mean the two
		// decisions disagree, which the guard bits rule out.
		return nil, nil, fmt.Errorf("class %d: margin argument %s <= 1 for an alive class", i+1, arg.Text('g', 20))
	}
	return bigfloat.Log(arg), kExpNeg.Quo(c.kMinus1, arg), nil
}

// log1p returns log(1 + x) for x >= 0 at working precision without losing
// a small x to the rounding of 1 + x: below 2^-16 it sums the series
// x - x^2/2 + x^3/3 - ... until a term drops below 2^-wp of the sum.
func (c *calc) log1p(x *big.Float) *big.Float {
	if x.Sign() == 0 {
		return c.newF()
	}
	if x.MantExp(nil) > -16 {
		return bigfloat.Log(c.newF().Add(c.fromInt(1), x))
	}
	sum := c.newF().Set(x)
	pow := c.newF().Set(x)
	for i := int64(2); ; i++ {
		pow.Mul(pow, x)
		pow.Neg(pow)
		term := c.newF().Quo(pow, c.fromInt(i))
		if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-int(c.wp)-2 {
			break
		}
		sum.Add(sum, term)
	}
	return sum
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

// rho returns rho_k = M_k sH_k at working precision.
func (c *calc) rho(i int) (*big.Float, error) {
	m, _, err := c.margin(i)
	if err != nil {
		return nil, err
	}
	return m.Mul(m, c.sH(i)), nil
}

func (c *calc) predict() (*Prediction, error) {
	k := c.k
	p := &Prediction{Setting: c.s.Clone(), Formula: c.f, Prec: c.prec, Classes: make([]Class, k)}
	one := c.fromInt(1)
	kf := c.fromInt(int64(k))

	margins := make([]*big.Float, k)
	gammas := make([]*big.Float, k)
	rhos := make([]*big.Float, k)
	gammaSum := c.newF()
	objective := c.newF()
	allCollapsed := true

	for i, ni := range c.s.Counts {
		cbeta := c.cBeta(i)
		margin, kExpNeg, err := c.margin(i)
		if err != nil {
			return nil, err
		}
		if c.alive[i] {
			allCollapsed = false
		}
		margins[i] = margin
		rhos[i] = c.newF().Mul(margin, c.sH(i))
		gammas[i] = c.newF().Mul(margin, c.sW(i))
		gammaSum.Add(gammaSum, gammas[i])

		// log(1 + (K-1) exp(-M_k)) = -log p_k.
		denom := c.newF().Add(one, kExpNeg)
		prob := c.newF().Quo(one, denom)
		term := c.log1p(kExpNeg)
		term.Add(term, c.newF().Mul(cbeta, margin))
		term.Mul(term, c.fromRat(big.NewRat(int64(ni), int64(c.n))))
		objective.Add(objective, term)

		p.Classes[i] = Class{N: ni, Alive: c.alive[i], Margin: c.out(margin), FeatureNormSq: c.out(rhos[i]),
			Gamma: c.out(gammas[i]), ProbCorrect: c.out(prob), CBeta: c.out(cbeta),
			CollapseRoots: c.collapseRoots(i)}
	}

	// ||w_k||^2 = ((K-1)^2 gamma_k + S - gamma_k) / K^2 = ((K^2 - 2K) gamma_k + S) / K^2.
	k2 := c.fromInt(int64(k) * int64(k))
	k2m2k := c.fromInt(int64(k)*int64(k) - 2*int64(k))
	km1OverK := c.newF().Quo(c.kMinus1, kf)
	for i := range p.Classes {
		wn := c.newF().Mul(k2m2k, gammas[i])
		wn.Add(wn, gammaSum)
		wn.Quo(wn, k2)
		p.Classes[i].ClassifierNormSq = c.out(wn)
		if c.alive[i] {
			num := c.newF().Mul(km1OverK, margins[i])
			den := c.newF().Mul(wn, rhos[i])
			den.Sqrt(den)
			p.Classes[i].CosWH = c.out(num.Quo(num, den))
		}
	}

	p.Objective = c.out(objective)
	p.GlobalCollapse = allCollapsed
	p.CollapseThreshold = c.out(c.fromRat(CollapseThreshold(c.s, c.f)))
	p.WH, p.WWT, p.HTH = c.matrices(margins, gammas, rhos, gammaSum)
	if err := p.checkFinite(); err != nil {
		return nil, err
	}
	return p, nil
}

// collapseRoots solves a (R + n)^2 = n, i.e. a n^2 + (2aR - 1) n + a R^2 = 0,
// with discriminant 1 - 4 a R. The larger root is (1 - 2aR + sqrt(1 - 4aR)) / (2a);
// the smaller is R^2 / n_hi (the product of the roots is R^2), which avoids
// cancellation.
func (c *calc) collapseRoots(i int) Roots {
	a := c.coefA
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
			if i == j {
				t.Sub(margins[j], mOverK[j])
				wh.at(i, j).Set(t)
			} else {
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

func (p *Prediction) checkFinite() error {
	vals := []*big.Float{p.Objective, p.CollapseThreshold}
	for _, cl := range p.Classes {
		vals = append(vals, cl.Margin, cl.FeatureNormSq, cl.Gamma, cl.ClassifierNormSq, cl.ProbCorrect, cl.CBeta)
		if cl.CosWH != nil {
			vals = append(vals, cl.CosWH)
		}
	}
	for _, v := range vals {
		if v == nil || v.IsInf() {
			return ErrNonFinite
		}
	}
	return nil
}

// K returns the number of classes.
func (p *Prediction) K() int { return len(p.Classes) }

// AliveCount returns the number of alive classes.
func (p *Prediction) AliveCount() int {
	c := 0
	for _, cl := range p.Classes {
		if cl.Alive {
			c++
		}
	}
	return c
}
