package closedform

import (
	"fmt"
	"math/big"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"nccheck/internal/bigmath"
	"nccheck/setting"
)

// The plain UFM (no constraint H >= 0) with balanced classes: the simplex
// equiangular tight frame of theory.md section 9 (Zhu et al., NeurIPS 2021,
// restated in this project's normalisation). With n_k = n for every class,
// s = sqrt(n lambda_W lambda_H) and t = m (K-1)/K:
//
//	s >= 1/K:  global collapse, W = 0, H = 0, f* = log K;
//	s <  1/K:  m = log(1/s - (K-1)) > 0,  w_k = a u_k,  h_{k,i} = b u_k,
//	           a^2 = t sqrt(n lambda_H / lambda_W),  b^2 = t sqrt(lambda_W / (n lambda_H)),
//	           f* = log(1 + (K-1) e^{-m}) + (K-1) s m,  p_k = 1 / (1 + (K-1) e^{-m}) = 1 - (K-1) s,
//
// with u_1..u_K the unit vectors of a simplex ETF (u_k . u_j = -1/(K-1) for
// j != k; sum_k u_k = 0). (Section 9 writes a^2 = t sqrt(N lambda_H / (K
// lambda_W)) and the regulariser t sqrt(K N lambda_W lambda_H): with N = K n
// these are the expressions above.)

// ModelETF is Prediction.Model for the simplex ETF of the balanced plain UFM.
const ModelETF = "plain UFM, ETF sec. 9"

// ETF is the theorem of theory.md section 9 as a [Theory]: the simplex ETF
// global minimizer of the bias-free plain UFM (s.NoReLU) with cross-entropy
// and balanced classes. [Default] chooses it for every cross-entropy setting
// of the plain UFM without a bias (imbalanced counts are then its
// *ScopeError: no closed form is known).
type ETF struct{}

// Name returns "plain-etf".
func (ETF) Name() string { return "plain-etf" }

// Predict returns the simplex-ETF prediction of s at prec bits (0 means
// DefaultPrec), computed at prec+GuardBits bits from the exact rational
// inputs and rounded once. Errors: a *setting.InputError for an invalid
// setting or precision; a *ScopeError for another loss, a bias, ReLU
// features (the ETF is not non-negative), imbalanced counts (no closed form
// is known) and d < K-1 unless every class collapses.
//
// Cost: one logarithm and a few square roots at prec+GuardBits bits, O(K^2)
// assignments for the three K x K matrices; the explicit point costs O(K^2)
// more when it is built.
func (th ETF) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if se := etfScope(s, th.Name()); se != nil {
		return nil, se
	}
	return predictETF(s, prec, th.Name())
}

// ETFCollapseRatio returns, exactly, K^2 n lambda_W lambda_H = (K s)^2 for
// a balanced setting s with at least one class (n = n_1; the caller checks
// that the counts are equal): the plain UFM collapses globally (W = 0,
// H = 0) iff it is >= 1, i.e. s = sqrt(n lambda_W lambda_H) >= 1/K
// (theory.md section 9).
func ETFCollapseRatio(s setting.Setting) *big.Rat {
	k := big.NewInt(int64(s.K()))
	kkn := new(big.Int).Mul(k, k)
	kkn.Mul(kkn, big.NewInt(int64(s.Counts[0])))
	r := new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
	return r.Mul(r, new(big.Rat).SetInt(kkn))
}

// Balanced reports whether every class has the same count.
func Balanced(counts []int) bool {
	for _, n := range counts {
		if n != counts[0] {
			return false
		}
	}
	return len(counts) > 0
}

// etfScope returns the *ScopeError of the ETF theorem for s, or nil when it
// applies. theory is the name the error carries.
func etfScope(s setting.Setting, theory string) *ScopeError {
	k := s.K()
	switch {
	case !s.Loss.IsCE():
		return lossScope(theory, s, "cross-entropy")
	case s.Bias:
		return biasScope(theory, "the simplex ETF of the plain UFM is bias-free (theory.md section 9)")
	case !s.NoReLU:
		return &ScopeError{Theory: theory, Field: setting.FieldNoReLU, Short: "ReLU features", Alive: -1,
			Reason: "is required: the simplex ETF is the minimizer of the plain UFM; with ReLU features (H >= 0) it is not feasible"}
	case !Balanced(s.Counts):
		return &ScopeError{Theory: theory, Field: setting.FieldNoReLU + "/" + setting.FieldCounts,
			Value: strconv.Quote(setting.FormatCounts(s.Counts)), Short: "plain UFM, imbalanced", Alive: -1,
			Reason: "no closed form is known for the imbalanced plain UFM (Hong & Ling 2023 reduce it to a convex program)"}
	case s.Dim < k-1 && ETFCollapseRatio(s).Cmp(big.NewRat(1, 1)) < 0:
		return &ScopeError{Theory: theory, Field: setting.FieldDim, Value: strconv.Itoa(s.Dim), Alive: k,
			Short:  fmt.Sprintf("d=%d < K-1=%d", s.Dim, k-1),
			Reason: fmt.Sprintf("smaller than K-1 = %d: the simplex ETF of %d classes spans K-1 dimensions; the theorem does not apply", k-1, k)}
	}
	return nil
}

// predictETF computes the prediction of theory.md section 9 at prec bits
// for a validated setting in its scope (etfScope).
//
// Everything is derived from the exact rationals q = n lambda_W lambda_H and
// x = 1 - K^2 q (> 0 iff the classes are alive, decided exactly), at the
// working precision prec+GuardBits, without cancellation near the collapse
// boundary:
//
//	s = sqrt(q),  y = 1/s - K = x / (s (1 + K s)),  m = log1p(y),
//	(K-1) e^{-m} = (K-1) / (1 + y),  log(1 + (K-1) e^{-m}) by log1p,
//
// so m keeps its full relative precision as s approaches 1/K (where m -> 0).
func predictETF(s setting.Setting, prec uint, theory string) (*Prediction, error) {
	c := newCalc(s, prec)
	k := c.k
	n := s.Counts[0]
	kf := c.fromInt(int64(k))
	one := c.fromInt(1)

	q := new(big.Rat).Mul(c.lw, c.lh)
	q.Mul(q, big.NewRat(int64(n), 1))
	x := new(big.Rat).Sub(big.NewRat(1, 1), ETFCollapseRatio(s))
	alive := x.Sign() > 0

	sq := c.sqrtRat(q) // s
	m := c.newF()
	// (K-1) e^{-m} = (K-1) / (1 + y); K-1 when collapsed (m = 0).
	kExpNeg := c.newF().Set(c.kMinus1)
	if alive {
		den := c.newF().Mul(kf, sq)
		den.Add(den, one)
		den.Mul(den, sq)
		y := c.fromRat(x)
		y.Quo(y, den)
		m = bigmath.Log1p(y, c.wp)
		if m.Sign() <= 0 {
			// x > 0 exactly, so y > 0 and log1p(y) > 0 at any precision:
			// this would be a defect, not a rounding.
			return nil, fmt.Errorf("predict %s: margin %s <= 0 for alive classes", s, m.Text('g', 10))
		}
		kExpNeg.Quo(c.kMinus1, y.Add(y, one))
	}
	prob := c.newF().Add(one, kExpNeg)
	prob.Quo(one, prob)
	logTerm := bigmath.Log1p(kExpNeg, c.wp)

	// t = m (K-1)/K; a^2 = t sqrt(n lambda_H / lambda_W); b^2 = t sqrt(lambda_W / (n lambda_H)).
	t := c.newF().Mul(m, c.kMinus1)
	t.Quo(t, kf)
	ra := new(big.Rat).Quo(c.lh, c.lw)
	ra.Mul(ra, big.NewRat(int64(n), 1))
	a2 := c.sqrtRat(ra)
	a2.Mul(a2, t)
	rb := new(big.Rat).Inv(ra)
	b2 := c.sqrtRat(rb)
	b2.Mul(b2, t)

	// f* = log(1 + (K-1) e^{-m}) + t K s.
	obj := c.newF().Mul(t, kf)
	obj.Mul(obj, sq)
	obj.Add(obj, logTerm)

	// gamma = a^2 K/(K-1): W W^T = gamma (I - J/K) = (I - J/K) diag(gamma) (I - J/K).
	kOverKm1 := c.newF().Quo(kf, c.kMinus1)
	gamma := c.newF().Mul(a2, kOverKm1)
	hthDiag := c.newF().Mul(b2, kOverKm1)

	p := NewPrediction(theory, s, prec)
	p.Model, p.GlobalCollapse = ModelETF, !alive
	for i := range p.Classes {
		cl := Class{N: n, Alive: alive, Margin: c.out(m), FeatureNormSq: c.out(b2), Gamma: c.out(gamma),
			ClassifierNormSq: c.out(a2), ProbCorrect: c.out(prob)}
		if alive {
			cl.CosWH = c.out(one) // w_k = a u_k and h_k = b u_k are parallel
		}
		p.Classes[i] = cl
	}
	p.Objective = c.out(obj)
	p.WH = c.centredMatrix(m)
	p.WWT = c.centredMatrix(gamma)
	p.HTH = c.centredMatrix(hthDiag)
	p.ClassifierRule = identity(k)
	if alive {
		p.MeanCos = -1 / float64(k-1)
	}
	if err := p.checkFinite(); err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	sc := s.Clone()
	if !alive {
		p.SetMinimizerFunc(func() (*Minimizer, error) { return newZeroMinimizer(sc, prec), nil })
		return p, nil
	}
	sa := c.newF().Sqrt(a2)
	sb := c.newF().Sqrt(b2)
	wp := c.wp
	p.SetMinimizerFunc(func() (*Minimizer, error) { return etfMinimizer(sc, prec, wp, sa, sb), nil })
	return p, nil
}

// centredMatrix returns v (I - J/K) at the output precision: v (1 - 1/K) on
// the diagonal, -v/K off it.
func (c *calc) centredMatrix(v *big.Float) *Matrix {
	k := c.k
	kf := c.fromInt(int64(k))
	off := c.newF().Quo(v, kf)
	diag := c.newF().Sub(v, off)
	if off.Sign() != 0 {
		off.Neg(off) // no -0 when v = 0
	}
	out := newMatrix(k, c.prec)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			if i == j {
				out.at(i, j).Set(diag)
			} else {
				out.at(i, j).Set(off)
			}
		}
	}
	return out
}

// identity returns the K x K identity, the classifier rule of the ETF:
// w_k = a u_k = (a/b) h_k, so W = (a/b) I Hbar^T.
func identity(k int) *mat.Dense {
	a := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		a.Set(i, i, 1)
	}
	return a
}

// etfMinimizer builds the explicit simplex-ETF point in R^d (d >= K-1):
// u_k = sqrt(K/(K-1)) (e_k - 1/K) written in the Helmert basis of the
// sum-zero subspace of R^K, placed on the first K-1 coordinates of R^d. The
// Helmert vector v_J (J = 1..K-1) is (1, ..., 1, -J, 0, ..., 0) / sqrt(J (J+1))
// with J ones, so coordinate J-1 of u_k is
//
//	sqrt(K/(K-1)) / sqrt(J (J+1)) * (1 if k < J, -J if k = J, 0 if k > J)   (0-based k).
//
// h_k = b u_k and row k of W is a u_k; the remaining d-K+1 coordinates are 0.
// Entries are computed at wp bits from sqrt(a^2) = sa and sqrt(b^2) = sb and
// rounded once to prec bits.
func etfMinimizer(s setting.Setting, prec, wp uint, sa, sb *big.Float) *Minimizer {
	k := s.K()
	mz := newZeroMinimizer(s, prec)
	newF := func() *big.Float { return new(big.Float).SetPrec(wp) }
	scale := newF().SetRat(big.NewRat(int64(k), int64(k-1)))
	scale.Sqrt(scale)
	for j := 0; j < k-1; j++ {
		bigJ := int64(j + 1)
		base := newF().SetInt64(bigJ * (bigJ + 1))
		base.Sqrt(base)
		base.Quo(scale, base)
		hv := newF().Mul(sb, base)
		wv := newF().Mul(sa, base)
		for cls := 0; cls < j+1; cls++ {
			mz.Means[j][cls].Set(hv)
			mz.W[cls][j].Set(wv)
		}
		mz.Means[j][j+1].Set(newF().Mul(hv, newF().SetInt64(-bigJ)))
		mz.W[j+1][j].Set(newF().Mul(wv, newF().SetInt64(-bigJ)))
	}
	return mz
}
