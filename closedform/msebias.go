package closedform

import (
	"fmt"
	"math"
	"math/big"
	"sort"

	"nccheck/setting"
)

// ModelMSEBias is Prediction.Model for the squared error with an
// unregularised bias (theory.md section 12b).
const ModelMSEBias = "MSE, unreg. bias, sec. 12b"

// MSEBias is the unregularised-bias statement of theory.md section 12b as a
// [Theory] (derived, unconfirmed: package verify and the certificate
// confirm or refute it): for the squared error with a bias b that is not
// penalised (lambda_b = 0),
//
//	b* = n/N,   W Hbar diag(sqrt(n)) = SVT_{N s}((I - n 1^T/N) diag(sqrt(n))),   s = sqrt(lambda_W lambda_H),
//
// SVT_t the singular-value soft threshold at t. Writing P = I - n 1^T/N and
// P diag(n) P^T = diag(n) - n n^T/N = U diag(lambda) U^T (eigenvalues
// lambda_i, singular values sigma_i = sqrt(lambda_i) of P diag(sqrt(n))), the
// r singular values above N s give sigma'_i = sigma_i - N s and the explicit
// point
//
//	W = c U_r diag(sqrt(sigma')),  Hbar = c^-1 diag(sqrt(sigma') / sigma) U_r^T P,  c = (lambda_H / lambda_W)^(1/4),
//
// in the first r coordinates of R^d: W Hbar = U_r diag(sigma'/sigma) U_r^T P,
// the SVT above, and the penalties equal s ||W Hbar diag(sqrt(n))||_* (the
// balanced factorisation of the nuclear norm). The objective is f evaluated
// at that point; it equals (1/2N) (r N^2 s^2 + sum_{i>r} lambda_i) + s sum_{i<=r}
// sigma'_i.
//
// Scope: the loss mse, a bias with lambda_b = 0, d >= r, and the plain UFM.
// Every factorisation W Hbar that attains the penalty s ||W Hbar
// diag(sqrt(n))||_* is W = c U_r diag(sqrt(sigma')) R, Hbar diag(sqrt(n)) =
// c^-1 R^T diag(sqrt(sigma')) V_r^T with R R^T = I and V_r, the right
// singular vectors, orthogonal to sqrt(n) (P diag(sqrt(n)) sqrt(n) = P n = 0):
// so Hbar n = 0, sum_k n_k h_k = 0, which non-negative class means satisfy
// only when all are zero. With ReLU features the statement therefore holds
// only when every class collapses (r = 0: W = 0, H = 0, b = n/N); for r > 0
// it is out of scope (the ReLU optimum is another point). The rank r and the
// collapsed classes are decided exactly (mseBiasRank).
type MSEBias struct{}

// Name returns "mse-bias".
func (MSEBias) Name() string { return "mse-bias" }

// Predict returns the prediction at prec bits (0 means DefaultPrec): the
// eigen-decomposition of diag(n) - n n^T/N by cyclic Jacobi at
// prec+GuardBits bits, the point above, its matrices and its objective, all
// rounded once. Errors: a *setting.InputError for an invalid setting or
// precision or K > MaxEigenClasses; a *ScopeError outside the scope above.
//
// Cost: O(K^3) big.Float operations per Jacobi sweep (about ten sweeps),
// O(K^2 d) for the products at the point.
func (th MSEBias) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if err := checkEigenClasses(s.K()); err != nil {
		return nil, err
	}
	if se := th.scope(s); se != nil {
		return nil, se
	}
	t := MSE{}.CollapseThreshold(s) // (N s)^2
	rank, alive := mseBiasRank(s.Counts, t)
	switch {
	case s.ReLU() && rank > 0:
		return nil, &ScopeError{Theory: th.Name(), Field: setting.FieldNoReLU, Short: "ReLU features", Alive: countTrue(alive),
			Reason: "is required: the statement's class means have a negative inner product, so no factorisation with H >= 0 exists unless every class collapses"}
	case s.Dim < rank:
		return nil, &ScopeError{Theory: th.Name(), Field: setting.FieldDim, Value: fmt.Sprint(s.Dim), Alive: countTrue(alive),
			Short:  fmt.Sprintf("d=%d < rank %d", s.Dim, rank),
			Reason: fmt.Sprintf("smaller than the rank of W Hbar (%d); the statement's point does not fit", rank)}
	}
	wp := prec + GuardBits
	w, hbar, err := mseBiasFactors(s, t, rank, alive, wp)
	if err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	return mseBiasPrediction(th.Name(), s, prec, wp, w, hbar, alive)
}

// scope returns the *ScopeError for the loss and the bias, or nil.
func (th MSEBias) scope(s setting.Setting) *ScopeError {
	switch {
	case s.Loss.Kind() != setting.SquaredError:
		return lossScope(th.Name(), s, "the squared error (mse, theory.md section 12b)")
	case !s.Bias:
		return &ScopeError{Theory: th.Name(), Field: setting.FieldBias, Short: "no bias", Alive: -1,
			Reason: "is required: the mse-bias theory is for an unregularised bias (the bias-free one is mse)"}
	case !s.Unregularised():
		return &ScopeError{Theory: th.Name(), Field: setting.FieldLambdaB, Value: s.LambdaB.String(), Short: "penalised bias", Alive: -1,
			Reason: "must be 0: the mse-bias theory is for an unregularised bias"}
	}
	return nil
}

// mseBiasRank returns, exactly, the number r of eigenvalues of
// A = diag(n) - n n^T/N above t (the rank of the SVT) and the classes with
// h_k != 0. With c_1 < ... < c_m the distinct counts and m_j their
// multiplicities, A has the eigenvalue c_j with multiplicity m_j - 1
// (vectors supported on class group j with zero sum) and m roots of the
// secular equation g(x) = 1 - (1/N) sum_j m_j c_j^2 / (c_j - x) = 0: x = 0
// and one in each (c_j, c_{j+1}), where g decreases from +inf to -inf, so
// that root exceeds t in (c_j, c_{j+1}) iff g(t) > 0. A kept secular
// eigenvector u (entries proportional to n_k/(n_k - x)) gives every class
// h_k != 0, since (U^T P)_{ik} = u_k - u.n/N is proportional to
// n_k/(n_k - x) - 1 = x/(n_k - x) != 0; otherwise only the classes of a
// group with m_j > 1 and c_j > t are alive.
func mseBiasRank(counts []int, t *big.Rat) (rank int, alive []bool) {
	mult := map[int]int{}
	n := int64(0)
	for _, c := range counts {
		mult[c]++
		n += int64(c)
	}
	distinct := make([]int, 0, len(mult))
	for c := range mult {
		distinct = append(distinct, c)
	}
	sort.Ints(distinct)
	above := func(c int) bool { return big.NewRat(int64(c), 1).Cmp(t) > 0 }
	for _, c := range distinct {
		if above(c) {
			rank += mult[c] - 1
		}
	}
	secular := 0
	for j := 0; j+1 < len(distinct); j++ {
		lo, hi := big.NewRat(int64(distinct[j]), 1), big.NewRat(int64(distinct[j+1]), 1)
		switch {
		case hi.Cmp(t) <= 0:
		case lo.Cmp(t) >= 0:
			secular++
		default: // t in (c_j, c_{j+1})
			g := big.NewRat(1, 1)
			for _, c := range distinct {
				cr := big.NewRat(int64(c), 1)
				term := new(big.Rat).Mul(cr, cr)
				term.Mul(term, big.NewRat(int64(mult[c]), n))
				g.Sub(g, term.Quo(term, new(big.Rat).Sub(cr, t)))
			}
			if g.Sign() > 0 {
				secular++
			}
		}
	}
	rank += secular
	alive = make([]bool, len(counts))
	for i, c := range counts {
		alive[i] = secular > 0 || (mult[c] > 1 && above(c))
	}
	return rank, alive
}

// mseBiasFactors returns W (K x r) and Hbar (r x K) of the statement at wp
// bits (see MSEBias), the columns of collapsed classes exactly 0.
func mseBiasFactors(s setting.Setting, t *big.Rat, rank int, alive []bool, wp uint) (w, hbar [][]*big.Float, err error) {
	k, n := s.K(), s.N()
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	w, hbar = make([][]*big.Float, k), make([][]*big.Float, rank)
	for i := range w {
		w[i] = make([]*big.Float, rank)
	}
	if rank == 0 {
		return w, hbar, nil
	}
	// A = diag(n) - n n^T / N, exact entries rounded once.
	a := make([][]*big.Float, k)
	for i := range a {
		a[i] = make([]*big.Float, k)
		for j := range a[i] {
			e := big.NewRat(-int64(s.Counts[i])*int64(s.Counts[j]), int64(n))
			if i == j {
				e.Add(e, big.NewRat(int64(s.Counts[i]), 1))
			}
			a[i][j] = nf().SetRat(e)
		}
	}
	vals, u, err := symEigen(a, wp)
	if err != nil {
		return nil, nil, err
	}
	tf := nf().SetRat(t)
	if err := checkRank(vals, tf, rank, frobenius(a, wp), wp); err != nil {
		return nil, nil, err
	}
	ns := nf().Sqrt(tf) // N s
	c := nf().SetRat(new(big.Rat).Quo(s.LambdaH.Rat(), s.LambdaW.Rat()))
	c.Sqrt(c.Sqrt(c)) // (lambda_H / lambda_W)^(1/4)
	for i := 0; i < rank; i++ {
		sigma := nf().Sqrt(vals[i])
		// sigma' = sigma - N s = (lambda - t) / (sigma + N s), without cancellation.
		sp := nf().Sub(vals[i], tf)
		sp.Quo(sp, nf().Add(sigma, ns))
		root := nf().Sqrt(sp)
		for j := 0; j < k; j++ {
			w[j][i] = nf().Mul(c, u[j][i])
			w[j][i].Mul(w[j][i], root)
		}
		// (U^T P)_{ik} = U_ki - (u_i . n) / N.
		un := nf()
		for j := 0; j < k; j++ {
			un.Add(un, nf().Mul(u[j][i], nf().SetInt64(int64(s.Counts[j]))))
		}
		un.Quo(un, nf().SetInt64(int64(n)))
		scale := nf().Quo(root, sigma)
		scale.Quo(scale, c)
		hbar[i] = make([]*big.Float, k)
		for cls := 0; cls < k; cls++ {
			hbar[i][cls] = nf()
			if alive[cls] {
				hbar[i][cls].Sub(u[cls][i], un)
				hbar[i][cls].Mul(hbar[i][cls], scale)
			}
		}
	}
	return w, hbar, nil
}

// checkRank checks the numerical eigenvalues against the exact rank: the
// r-th largest above t and the next at or below it, within the Jacobi
// accuracy 2^-(wp-16) ||A||_F (an eigenvalue within it of t contributes
// sigma' below 2^-(wp/2) and is decided by the exact count).
func checkRank(vals []*big.Float, t *big.Float, rank int, norm *big.Float, wp uint) error {
	slack := new(big.Float).SetPrec(wp).SetMantExp(big.NewFloat(1), -int(wp)+20)
	slack.Mul(slack, norm)
	lo := new(big.Float).SetPrec(wp).Sub(t, slack)
	hi := new(big.Float).SetPrec(wp).Add(t, slack)
	if vals[rank-1].Cmp(lo) <= 0 || (rank < len(vals) && vals[rank].Cmp(hi) > 0) {
		return fmt.Errorf("closedform: the eigenvalues of diag(n) - n n^T/N disagree with the exact rank %d of the threshold", rank)
	}
	if vals[rank-1].Cmp(t) <= 0 {
		vals[rank-1] = new(big.Float).SetPrec(wp).Set(t) // sigma' = 0 to the accuracy of the decomposition
	}
	return nil
}

// mseBiasPrediction derives the prediction from the point's factors at wp
// bits: its matrices, per-class values, b* = n/N and the objective at the
// point, rounded to prec bits.
func mseBiasPrediction(name string, s setting.Setting, prec, wp uint, w, hbar [][]*big.Float, alive []bool) (*Prediction, error) {
	k, rank := s.K(), len(hbar)
	mw := newZeroMinimizer(s, wp)
	for j := 0; j < k; j++ {
		for i := 0; i < rank; i++ {
			mw.W[j][i].Set(w[j][i])
			mw.Means[i][j].Set(hbar[i][j])
		}
	}
	mw.B = make([]*big.Float, k)
	for j, nj := range s.Counts {
		mw.B[j] = new(big.Float).SetPrec(wp).SetRat(big.NewRat(int64(nj), int64(s.N())))
	}
	f, wh := pointObjective(s, mw, wp)
	wwt := multiply(mw.W, transpose(mw.W), wp)
	hth := multiply(transpose(mw.Means), mw.Means, wp)
	p := NewPrediction(name, s, prec)
	p.Model = ModelMSEBias
	out := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Set(x) }
	p.Objective = out(f)
	p.WH, p.WWT, p.HTH = roundMatrix(wh, prec), roundMatrix(wwt, prec), roundMatrix(hth, prec)
	p.Bias = make([]*big.Float, k)
	for j := range p.Bias {
		p.Bias[j] = out(mw.B[j])
	}
	for cls := 0; cls < k; cls++ {
		cl := &p.Classes[cls]
		cl.Alive = alive[cls]
		cl.FeatureNormSq, cl.ClassifierNormSq = out(hth[cls][cls]), out(wwt[cls][cls])
		cl.Margin = out(biasedGap(wh, mw.B, cls, wp))
		if alive[cls] && wwt[cls][cls].Sign() > 0 {
			den := new(big.Float).SetPrec(wp).Mul(wwt[cls][cls], hth[cls][cls])
			cl.CosWH = out(den.Quo(wh[cls][cls], den.Sqrt(den)))
		}
	}
	p.GlobalCollapse = rank == 0
	p.MeanCos = midrangeCos(hth, alive)
	if err := p.checkFinite(); err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	sc := s.Clone()
	p.SetMinimizerFunc(func() (*Minimizer, error) {
		return NewMinimizer(sc, prec, mw.W, mw.Means, mw.B)
	})
	return p, nil
}

// biasedGap returns (z + b)_k - max_{j != k} (z + b)_j for z column k of wh.
func biasedGap(wh [][]*big.Float, b []*big.Float, cls int, wp uint) *big.Float {
	var best *big.Float
	for j := range wh {
		if j == cls {
			continue
		}
		z := new(big.Float).SetPrec(wp).Add(wh[j][cls], b[j])
		if best == nil || z.Cmp(best) > 0 {
			best = z
		}
	}
	z := new(big.Float).SetPrec(wp).Add(wh[cls][cls], b[cls])
	return z.Sub(z, best)
}

// midrangeCos returns the midpoint of the smallest and largest predicted
// cosine between two alive class means, HTH_kl / sqrt(HTH_kk HTH_ll) (0
// with fewer than two alive classes). For balanced counts every pair has
// the same cosine; otherwise Prediction.MeanCos, one number, cannot say
// more, and the midrange makes max |cos - MeanCos| half their spread, the
// least any one number allows (the full geometry is in HTH).
func midrangeCos(hth [][]*big.Float, alive []bool) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for a := range hth {
		for b := a + 1; b < len(hth); b++ {
			if !alive[a] || !alive[b] {
				continue
			}
			num, _ := hth[a][b].Float64()
			da, _ := hth[a][a].Float64()
			db, _ := hth[b][b].Float64()
			c := num / math.Sqrt(da*db)
			lo, hi = math.Min(lo, c), math.Max(hi, c)
		}
	}
	if lo > hi {
		return 0
	}
	return (lo + hi) / 2
}

// roundMatrix returns a as a Matrix rounded to prec bits.
func roundMatrix(a [][]*big.Float, prec uint) *Matrix {
	m := newMatrix(len(a), prec)
	for i := range a {
		for j, x := range a[i] {
			m.at(i, j).Set(x)
		}
	}
	return m
}
