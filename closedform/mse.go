package closedform

import (
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// ModelMSE is Prediction.Model for the squared error without a bias
// (theory.md section 12b).
const ModelMSE = "MSE, sec. 12b"

// MSE is the theorem of theory.md section 12b (Dang, Tran, Osher, Tran-The,
// Ho, Nguyen, ICML 2023, one layer) as a [Theory]: the global minimizer for
// the squared error l(z; k) = ||z - e_k||^2 / 2 without a bias, the same with
// and without ReLU features (its class means are non-negative and
// orthogonal):
//
//	z_k = max(0, 1 - N sqrt(lambda_W lambda_H / n_k)),  W Hbar = diag(z),
//	rho_k = ||h_k||^2 = z_k sqrt(lambda_W / (lambda_H n_k)),  w_k = sqrt(lambda_H n_k / lambda_W) h_k,
//	W W^T = diag(z_k sqrt(lambda_H n_k / lambda_W)),  Hbar^T Hbar = diag(rho),
//	f* = sum_k [n_k (1 - z_k)^2 / (2N) + sqrt(lambda_W lambda_H n_k) z_k].
//
// Class k collapses iff n_k <= N^2 lambda_W lambda_H, decided exactly
// (cross-entropy's threshold, theory.md section 3, is K/(K-1) times larger).
// It applies to the loss mse, no bias and d at least the number of alive
// classes; an unregularised bias is [MSEBias].
type MSE struct{}

// Name returns "mse".
func (MSE) Name() string { return "mse" }

// Alive reports, per class, n_k > N^2 lambda_W lambda_H, exactly.
func (MSE) Alive(s setting.Setting) []bool {
	t := MSE{}.CollapseThreshold(s)
	alive := make([]bool, s.K())
	for i, n := range s.Counts {
		alive[i] = big.NewRat(int64(n), 1).Cmp(t) > 0
	}
	return alive
}

// CollapseThreshold returns, exactly, N^2 lambda_W lambda_H: a class
// collapses under the squared error iff its count is at or below it.
func (MSE) CollapseThreshold(s setting.Setting) *big.Rat {
	n := big.NewRat(int64(s.N()), 1)
	t := new(big.Rat).Mul(s.LambdaW.Rat(), s.LambdaH.Rat())
	t.Mul(t, n)
	return t.Mul(t, n)
}

// Predict returns the prediction of section 12b at prec bits (0 means
// DefaultPrec), computed at prec+GuardBits bits from the exact rational
// inputs and rounded once, with Model ModelMSE. With q_k = N^2 lambda_W
// lambda_H / n_k (exact), 1 - z_k = sqrt(q_k) and z_k = (1 - q_k) / (1 +
// sqrt(q_k)), so neither loses precision near the threshold. Errors: a
// *setting.InputError for an invalid setting or precision, a *ScopeError
// for another loss, a bias, or d below the number of alive classes.
//
// Cost: O(K) square roots and O(K^2) assignments for the matrices.
func (th MSE) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	prec, err := checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	switch {
	case s.Loss.Kind() != setting.SquaredError:
		return nil, lossScope(th.Name(), s, "the squared error (mse, theory.md section 12b)")
	case s.Unregularised():
		return nil, &ScopeError{Theory: th.Name(), Field: setting.FieldBias, Short: "unregularised bias", Alive: -1,
			Reason: "the mse theory is bias-free; an unregularised bias is the theory mse-bias"}
	case s.Bias:
		return nil, biasScope(th.Name(), "the mse theory is bias-free (no closed form is known with a penalised bias)")
	}
	alive := th.Alive(s)
	if n := countTrue(alive); s.Dim < n {
		return nil, dimScope(th.Name(), s.Dim, n, "the theorem")
	}
	c := newCalc(s, prec)
	p := NewPrediction(th.Name(), s, prec)
	p.Model = ModelMSE
	k := c.k
	zs, rhos, wns := make([]*big.Float, k), make([]*big.Float, k), make([]*big.Float, k)
	obj := c.newF()
	half := c.fromRat(big.NewRat(1, 2))
	for i, ni := range s.Counts {
		zs[i], rhos[i], wns[i] = c.newF(), c.newF(), c.newF()
		gap := c.fromInt(1) // 1 - z_k
		if alive[i] {
			q := new(big.Rat).Quo(th.CollapseThreshold(s), big.NewRat(int64(ni), 1))
			gap = c.sqrtRat(q)
			zs[i] = c.fromRat(new(big.Rat).Sub(big.NewRat(1, 1), q))
			zs[i].Quo(zs[i], c.newF().Add(c.fromInt(1), gap))
			rhos[i].Mul(zs[i], c.sqrtRat(new(big.Rat).Quo(c.lw, new(big.Rat).Mul(c.lh, big.NewRat(int64(ni), 1)))))
			wns[i].Mul(zs[i], c.sqrtRat(new(big.Rat).Quo(new(big.Rat).Mul(c.lh, big.NewRat(int64(ni), 1)), c.lw)))
		}
		// n_k (1 - z_k)^2 / (2N) + sqrt(lambda_W lambda_H n_k) z_k
		term := c.newF().Mul(gap, gap)
		term.Mul(term, c.fromRat(big.NewRat(int64(ni), int64(c.n))))
		term.Mul(term, half)
		pen := c.sqrtRat(new(big.Rat).Mul(new(big.Rat).Mul(c.lw, c.lh), big.NewRat(int64(ni), 1)))
		obj.Add(obj, term.Add(term, pen.Mul(pen, zs[i])))
		cl := Class{N: ni, Alive: alive[i], Margin: c.out(zs[i]), FeatureNormSq: c.out(rhos[i]), Gamma: c.out(wns[i]),
			ClassifierNormSq: c.out(wns[i]), CollapseRoots: c.collapseRoots(new(big.Rat).Mul(c.lw, c.lh), i)}
		if alive[i] {
			cl.CosWH = c.out(c.fromInt(1))
		}
		p.Classes[i] = cl
	}
	p.Objective = c.out(obj)
	p.GlobalCollapse = countTrue(alive) == 0
	p.CollapseThreshold = c.out(c.fromRat(th.CollapseThreshold(s)))
	p.WH, p.WWT, p.HTH = c.diagonal(zs), c.diagonal(wns), c.diagonal(rhos)
	p.ClassifierRule = sqrtCountsRule(s.Counts)
	if err := p.checkFinite(); err != nil {
		return nil, fmt.Errorf("predict %s: %w", s, err)
	}
	// The point: h_k = sqrt(rho_k) e_{c(k)}, column c(k) of W = (z_k / sqrt(rho_k)) e_k.
	ts := make([]*big.Float, k)
	for i := range ts {
		if alive[i] {
			ts[i] = c.newF().Sqrt(rhos[i])
		}
	}
	col := func(cls, j int, v *big.Float) {
		if j == cls {
			v.Quo(zs[cls], ts[cls])
		}
	}
	sc, wp := s.Clone(), c.wp
	p.SetMinimizerFunc(func() (*Minimizer, error) { return coordMinimizer(sc, prec, wp, alive, ts, col, nil), nil })
	return p, nil
}

// diagonal returns diag(v) at the output precision.
func (c *calc) diagonal(v []*big.Float) *Matrix {
	m := newMatrix(c.k, c.prec)
	for i, x := range v {
		m.at(i, i).Set(x)
	}
	return m
}

// sqrtCountsRule returns diag(sqrt(n)), the classifier rule of the squared
// error: w_k = sqrt(lambda_H n_k / lambda_W) h_k, so W = c diag(sqrt(n)) Hbar^T.
func sqrtCountsRule(counts []int) *mat.Dense {
	a := mat.NewDense(len(counts), len(counts), nil)
	for i, n := range counts {
		a.Set(i, i, math.Sqrt(float64(n)))
	}
	return a
}
