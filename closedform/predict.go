package closedform

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ALTree/bigfloat"
	"gonum.org/v1/gonum/mat"

	"nccheck/internal/bigmath"
	"nccheck/metrics"
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
// Every *big.Float has precision Prediction.Prec; a quantity the theory does
// not define is nil (Gamma and CBeta with a bias).
type Class struct {
	N     int  // n_k
	Alive bool // M_k > 0 (decided exactly)
	// Margin is M_k, the logit gap of class k at the optimum (0 when
	// collapsed): (W h_k)_k - (W h_k)_j for every j != k. With a bias it is
	// the smallest gap of the biased logits, (y_k + b)_k - max_{j != k} (y_k + b)_j.
	Margin *big.Float
	// FeatureNormSq is rho_k = ||h_k||^2 = M_k sqrt((K-1) lambda_W / (K lambda_H n_k))
	// (with a bias: ||y_k|| sqrt(lambda_W / (lambda_H n_k))).
	FeatureNormSq *big.Float
	// Gamma is gamma_k = M_k^2 / rho_k = M_k sqrt(K lambda_H n_k / ((K-1) lambda_W)),
	// the k-th diagonal entry in W W^T = (I - J/K) diag(gamma) (I - J/K).
	Gamma *big.Float
	// ClassifierNormSq is ||w_k||^2, the squared norm of row k of W:
	// ((K-1)^2 gamma_k + sum_{j != k} gamma_j) / K^2 without a bias.
	ClassifierNormSq *big.Float
	// CosWH is cos(w_k, h_k) (((K-1) M_k / K) / (||w_k|| sqrt(rho_k)) without
	// a bias); nil when the class collapses (h_k = 0, the angle is
	// undefined).
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
	// (and Lo, Hi nil) when 4 a R > 1: then the class collapses for every n;
	// and for theories without a closed-form threshold.
	CollapseRoots Roots
}

// Roots are the two real roots of a quadratic, or none.
type Roots struct {
	Real   bool
	Lo, Hi *big.Float
}

// Prediction is the predicted global minimizer geometry of one setting, as
// a Theory makes it: the same type whatever the theory (the paper's closed
// form, the authors' formula, the orthogonal structure with a bias, a user's
// margin formula), so that package verify and package derivation take one
// argument. Fields a theory does not define are nil (or false).
type Prediction struct {
	Setting setting.Setting
	// Theory is the Name of the theory that made the prediction; Model says
	// what the prediction is when that is not the theorem of section 2
	// ("bias, vs sec. 4"); "" otherwise.
	Theory string
	Model  string
	Prec   uint // bits of mantissa of every *big.Float below

	Classes []Class // in the setting's class order
	// Objective is f*, the objective f of theory.md section 1 at the
	// predicted point: sum_k (n_k/N) [log(1 + (K-1) exp(-M_k)) + c beta_k M_k]
	// for the orthogonal structure without bias (log K when every class
	// collapses).
	Objective *big.Float
	// CollapseThreshold is K N^2 lambda_W lambda_H / (K-1) (for the authors'
	// code K N^2 lambda_W^2 / (4 (K-1))): class k collapses iff n_k <= it.
	// nil for theories without a closed-form threshold.
	CollapseThreshold *big.Float
	// GlobalCollapse is true iff every class collapses (W = 0, H = 0).
	GlobalCollapse bool

	// WH is W Hbar, the logits of the class means without the bias: for the
	// orthogonal structure (I - J/K) diag(M), entry (j, k) = M_k (delta_jk - 1/K).
	WH *Matrix
	// WWT is W W^T; (I - J/K) diag(gamma) (I - J/K) without a bias.
	WWT *Matrix
	// HTH is Hbar^T Hbar = diag(rho) for orthogonal class means.
	HTH *Matrix
	// Bias is the predicted bias b* (length K), nil for a bias-free theory.
	Bias []*big.Float
	// ClassifierRule is the K x K matrix A with W = c A Hbar^T for some
	// c > 0 at the predicted point: the classifier as a combination of the
	// class means, the reference of the metric NC2_W (theory.md section 8).
	// For the theorem of section 2, A = K diag(sqrt(n)) - 1 sqrt(n)^T (rows
	// K sqrt(n_k) e_k - sqrt(n), PaperClassifierRule); for the simplex ETF of
	// section 9, A = I; nil when the theory has no such rule (with a bias).
	// Float64: it only enters normalised distances.
	ClassifierRule *mat.Dense
	// MeanCos is the predicted cosine between two distinct alive class means
	// (0 for orthogonal means).
	MeanCos float64
	// Reduced holds the solution of the reduced problem of theory.md
	// section 4 for a prediction with a bias; nil otherwise.
	Reduced *Reduced

	// minimizer builds the explicit point from values kept at the working
	// precision (no second calculation, no second alive decision).
	minimizer func() (*Minimizer, error)
}

// ErrNonFinite reports a computation that produced an infinity or NaN.
var ErrNonFinite = errors.New("closedform: non-finite intermediate result")

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
//	paper:        A_k = (K-1) (1/(c beta_k) - 1)
//	authors-code: A_k = (K-1) (x_k - 1), x_k = sqrt(n_k) / (N (lambda_W/2) c)
func (c *calc) marginArgument(f Formula, i int) *big.Float {
	x := c.newF()
	switch f {
	case FormulaAuthorsCode:
		// x_k^2 = 4 K n_k / (N^2 lambda_W^2 (K-1)), exact rational.
		n := big.NewInt(int64(c.n))
		num := new(big.Int).Mul(n, n)
		num.Mul(num, big.NewInt(int64(c.k-1)))
		r := new(big.Rat).Mul(c.lw, c.lw)
		r.Mul(r, new(big.Rat).SetFrac(num, big.NewInt(4*int64(c.k)*int64(c.s.Counts[i]))))
		x = c.sqrtRat(r.Inv(r))
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

// formulaMargin returns M_k of a built-in formula and (K-1) exp(-M_k). The
// latter needs no second transcendental call: exp(-M_k) = 1/A_k exactly when
// M_k = log A_k, and exp(-0) = 1 for a collapsed class.
func (c *calc) formulaMargin(f Formula, i int, alive bool) (m, kExpNeg *big.Float, err error) {
	m = c.newF()
	kExpNeg = c.newF().Set(c.kMinus1)
	if !alive {
		return m, kExpNeg, nil
	}
	arg := c.marginArgument(f, i)
	if arg.Cmp(c.fromInt(1)) <= 0 {
		// Alive is decided exactly; an argument <= 1 here would mean the two
		// decisions disagree, which the guard bits rule out.
		return nil, nil, fmt.Errorf("class %d: margin argument %s <= 1 for an alive class", i+1, arg.Text('g', 20))
	}
	return bigfloat.Log(arg), kExpNeg.Quo(c.kMinus1, arg), nil
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
// (K-1) exp(-M_k) and the alive flags: rho_k = M_k sH_k, gamma_k = M_k sW_k,
// ||w_k||^2, cos(w_k, h_k), p_k, the objective at the point, the three
// K x K matrices, the classifier rule, and the explicit minimizer (built on
// demand from the working-precision values).
func (c *calc) orthogonal(theory string, margins, kExpNeg []*big.Float, alive []bool) (*Prediction, error) {
	k := c.k
	p := &Prediction{Setting: c.s.Clone(), Theory: theory, Prec: c.prec, Classes: make([]Class, k)}
	one := c.fromInt(1)
	kf := c.fromInt(int64(k))

	gammas := make([]*big.Float, k)
	rhos := make([]*big.Float, k)
	gammaSum := c.newF()
	objective := c.newF()
	allCollapsed := true

	for i, ni := range c.s.Counts {
		cbeta := c.cBeta(i)
		margin := margins[i]
		if alive[i] {
			allCollapsed = false
		}
		rhos[i] = c.newF().Mul(margin, c.sH(i))
		gammas[i] = c.newF().Mul(margin, c.sW(i))
		gammaSum.Add(gammaSum, gammas[i])

		// log(1 + (K-1) exp(-M_k)) = -log p_k.
		denom := c.newF().Add(one, kExpNeg[i])
		prob := c.newF().Quo(one, denom)
		term := bigmath.Log1p(kExpNeg[i], c.wp)
		term.Add(term, c.newF().Mul(cbeta, margin))
		term.Mul(term, c.fromRat(big.NewRat(int64(ni), int64(c.n))))
		objective.Add(objective, term)

		p.Classes[i] = Class{N: ni, Alive: alive[i], Margin: c.out(margin), FeatureNormSq: c.out(rhos[i]),
			Gamma: c.out(gammas[i]), ProbCorrect: c.out(prob), CBeta: c.out(cbeta)}
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
		if alive[i] {
			num := c.newF().Mul(km1OverK, margins[i])
			den := c.newF().Mul(wn, rhos[i])
			den.Sqrt(den)
			p.Classes[i].CosWH = c.out(num.Quo(num, den))
		}
	}

	p.Objective = c.out(objective)
	p.GlobalCollapse = allCollapsed
	p.WH, p.WWT, p.HTH = c.matrices(margins, gammas, rhos, gammaSum)
	p.ClassifierRule = PaperClassifierRule(c.s.Counts)
	if err := p.checkFinite(); err != nil {
		return nil, err
	}

	// The explicit point needs sqrt(rho_k) and the classifier column scale
	// sW_k sqrt(rho_k), kept at the working precision.
	hs := make([]*big.Float, k)
	cols := make([]*big.Float, k)
	for i := range hs {
		if alive[i] {
			hs[i] = c.newF().Sqrt(rhos[i])
			cols[i] = c.newF().Mul(c.sW(i), hs[i])
		}
	}
	s, prec, wp := c.s, c.prec, c.wp
	p.minimizer = func() (*Minimizer, error) { return orthogonalMinimizer(s, prec, wp, alive, hs, cols), nil }
	return p, nil
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

func (p *Prediction) checkFinite() error {
	vals := []*big.Float{p.Objective}
	for _, cl := range p.Classes {
		vals = append(vals, cl.Margin, cl.FeatureNormSq, cl.ClassifierNormSq, cl.ProbCorrect, cl.Gamma, cl.CBeta, cl.CosWH)
	}
	for _, v := range vals {
		if v != nil && v.IsInf() {
			return ErrNonFinite
		}
	}
	if p.Objective == nil {
		return ErrNonFinite
	}
	return nil
}

// K returns the number of classes.
func (p *Prediction) K() int { return len(p.Classes) }

// Alive returns, per class, whether the prediction keeps it alive (a new
// slice).
func (p *Prediction) Alive() []bool {
	a := make([]bool, len(p.Classes))
	for i, cl := range p.Classes {
		a[i] = cl.Alive
	}
	return a
}

// AliveCount returns the number of alive classes.
func (p *Prediction) AliveCount() int { return countTrue(p.Alive()) }

// Minimizer returns one explicit point of the predicted geometry (see the
// type Minimizer). It is built from values the prediction kept at its
// working precision, and rounded once to Prec bits; each call builds a new
// one.
func (p *Prediction) Minimizer() (*Minimizer, error) {
	if p.minimizer == nil {
		return nil, fmt.Errorf("closedform: the %s prediction has no explicit point", p.Theory)
	}
	return p.minimizer()
}

// Target returns the prediction as the float64 target of package metrics:
// Hbar^T Hbar, W W^T, W Hbar, the classifier rule, the alive set, the bias
// and the predicted cosine of the class means, each rounded to float64.
func (p *Prediction) Target() metrics.Target {
	t := metrics.Target{HTH: p.HTH.Dense(), WWT: p.WWT.Dense(), WH: p.WH.Dense(), ClassifierRule: p.ClassifierRule,
		Alive: p.Alive(), MeanCos: p.MeanCos}
	if p.Bias != nil {
		t.B = make([]float64, len(p.Bias))
		for i, b := range p.Bias {
			t.B[i], _ = b.Float64()
		}
	}
	return t
}
