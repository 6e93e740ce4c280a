package closedform

import (
	"errors"
	"fmt"
	"math/big"

	"nccheck/setting"
)

// The bias case (theory.md section 4). With orthonormal class directions
// u_k (disjoint supports) and h_k = t_k u_k, the logits of class k are
// y_k = W h_k, and the optimal split of the penalties at fixed y_k gives the
// reduced problem
//
//	F(y, b) = sum_k w_k CE(y_k + b, k) + sum_k s_k ||y_k|| + (lambda_b/2) ||b||^2,
//	w_k = n_k/N,  s_k = sqrt(lambda_W lambda_H n_k),
//
// convex in (y_1..y_K, b) in R^{K x K} x R^K, strictly convex on the classes
// with y_k != 0. It has no closed form; BiasOrthogonal solves it by a
// proximal gradient method in float64 (to find which classes collapse,
// y_k = 0) and then by a damped Newton method in big.Float on the smooth
// problem of the remaining classes, and certifies the collapsed ones by
// their subgradient condition ||w_k (softmax(b) - e_k)|| <= s_k.

// Reduced is the solution of the reduced problem of theory.md section 4
// behind a prediction with a bias (Prediction.Reduced). Every *big.Float has
// the prediction's precision.
type Reduced struct {
	Classes []ReducedClass
	// Residual is the infinity norm of the reduced problem's optimality
	// conditions at the solution: the gradient with respect to b and to every
	// alive y_k, and max(0, ||w_k (softmax(b) - e_k)|| - s_k) for the
	// collapsed classes. It is at the level of 2^-Prec.
	Residual *big.Float
	// NewtonIterations counts the big.Float Newton steps, and
	// ProxIterations the float64 proximal-gradient steps of the start.
	NewtonIterations, ProxIterations int
}

// ReducedClass holds the reduced-problem quantities of one class.
type ReducedClass struct {
	// Logits is y_k = W h_k in R^K, the logits of class k's mean without the
	// bias (all zero when the class collapses).
	Logits []*big.Float
	// LogitNorm is ||y_k||.
	LogitNorm *big.Float
	// Classifier is a_k = y_k / sqrt(rho_k), the column of W along class k's
	// feature direction, ||a_k||^2 = ||y_k|| sqrt(lambda_H n_k / lambda_W);
	// nil when the class collapses.
	Classifier []*big.Float
	// SubgradientRatio is ||w_k (softmax(y_k + b) - e_k)|| / s_k: exactly 1 for
	// an alive class at the solution, and at most 1 for a collapsed class (its
	// optimality condition; a value near 1 means the class is at the edge of
	// collapse).
	SubgradientRatio *big.Float
}

// ModelBias is Prediction.Model for the orthogonal structure with a bias.
const ModelBias = "bias, vs sec. 4"

// ErrNoConvergence reports that the Newton method of BiasOrthogonal did not
// reach the requested precision.
var ErrNoConvergence = errors.New("closedform: bias Newton method did not converge")

// BiasOrthogonal is the orthogonal structure of theory.md section 4 with a
// penalised bias as a [Theory]: disjoint nonnegative class means, the
// classifier and the bias b* that solve the reduced problem above, for
// cross-entropy, ReLU features, lambda_b > 0 and d at least the number of
// alive classes of the solution. Whether this structure is globally optimal
// for the full problem is not settled by the paper (theory.md section 6):
// the KKT check of package derivation and the full numerical solver test
// it.
type BiasOrthogonal struct{}

// Name returns "bias-orthogonal".
func (BiasOrthogonal) Name() string { return "bias-orthogonal" }

// Predict solves the reduced problem of s to prec bits (0 means
// DefaultPrec) at prec+GuardBits bits and rounds the solution once: the
// prediction has Model ModelBias and Reduced set. Errors: a
// *setting.InputError for an invalid setting or precision; a *ScopeError for
// another loss, no bias, an unregularised bias, the plain UFM, and d smaller
// than the number of alive classes of the solution; an error wrapping
// ErrNoConvergence when the Newton method fails.
//
// Cost per Newton step: O(K^4) big.Float operations and O(K^2)
// exponentials; a handful of steps from the float64 start.
func (th BiasOrthogonal) Predict(s setting.Setting, prec uint) (bp *Prediction, err error) {
	prec, err = checkInputs(s, prec)
	if err != nil {
		return nil, err
	}
	if se := biasOrthogonalScope(th.Name(), s); se != nil {
		return nil, se
	}
	defer func() {
		// big.Float panics with ErrNaN on a NaN input (a float64 start gone
		// non-finite) or an undefined operation; report it as an error.
		if e := recover(); e != nil {
			if _, ok := e.(big.ErrNaN); ok {
				bp, err = nil, fmt.Errorf("predict bias %s: %w", s, setting.ErrNonFinite)
				return
			}
			panic(e)
		}
	}()
	r := newReduced(s, prec+GuardBits)
	ys, b, proxIter := r.proxStart()
	sol, err := r.solve(ys, b, prec)
	if err != nil {
		return nil, fmt.Errorf("predict bias %s: %w", s, err)
	}
	sol.Reduced.ProxIterations = proxIter
	if a := sol.AliveCount(); s.Dim < a {
		return nil, &ScopeError{Theory: th.Name(), Field: setting.FieldDim, Value: fmt.Sprint(s.Dim), Alive: a,
			Short:  "bias, d=" + fmt.Sprint(s.Dim) + " < " + fmt.Sprint(a) + " alive classes",
			Reason: fmt.Sprintf("smaller than the number of alive classes with the bias (%d); the orthogonal structure does not fit", a)}
	}
	return sol, nil
}

// biasOrthogonalScope returns the *ScopeError of BiasOrthogonal for s
// (before the solve), or nil.
func biasOrthogonalScope(name string, s setting.Setting) *ScopeError {
	switch {
	case !s.Loss.IsCE():
		return lossScope(name, s, "cross-entropy")
	case !s.Bias:
		return &ScopeError{Theory: name, Field: setting.FieldBias, Short: "no bias", Alive: -1,
			Reason: "is required: the bias prediction solves the reduced problem with a bias"}
	case s.NoReLU:
		return noReLUScope(name, "the bias prediction is for ReLU (non-negative) features")
	case s.Unregularised():
		return &ScopeError{Theory: name, Field: setting.FieldLambdaB, Value: "0", Short: "unregularised bias", Alive: -1,
			Reason: "the bias prediction needs a penalised bias (lambda_b > 0)"}
	}
	return nil
}

// reduced is the reduced problem at working precision wp.
type reduced struct {
	s    setting.Setting
	k    int
	wp   uint
	w    []*big.Float // n_k / N
	sk   []*big.Float // sqrt(lambda_W lambda_H n_k)
	lb   *big.Float
	lw   *big.Rat
	lh   *big.Rat
	wf   []float64 // float64 copies for the start
	skf  []float64
	lbf  float64
	epsF *big.Float // 2^-(wp-8): relative rounding slack of F
}

func newReduced(s setting.Setting, wp uint) *reduced {
	r := &reduced{s: s, k: s.K(), wp: wp, lw: s.LambdaW.Rat(), lh: s.LambdaH.Rat()}
	n := int64(s.N())
	for _, nk := range s.Counts {
		w := r.newF().SetRat(big.NewRat(int64(nk), n))
		q := new(big.Rat).Mul(r.lw, r.lh)
		q.Mul(q, big.NewRat(int64(nk), 1))
		sk := r.newF().SetRat(q)
		sk.Sqrt(sk)
		r.w = append(r.w, w)
		r.sk = append(r.sk, sk)
		wf, _ := w.Float64()
		skf, _ := sk.Float64()
		r.wf = append(r.wf, wf)
		r.skf = append(r.skf, skf)
	}
	r.lb = r.newF().SetRat(s.LambdaB.Rat())
	r.lbf = s.LambdaB.Float64()
	r.epsF = new(big.Float).SetMantExp(big.NewFloat(1), -int(wp)+8)
	return r
}

func (r *reduced) newF() *big.Float           { return new(big.Float).SetPrec(r.wp) }
func (r *reduced) fromInt(i int64) *big.Float { return r.newF().SetInt64(i) }

func (r *reduced) norm(v []*big.Float) *big.Float {
	s := r.newF()
	t := r.newF()
	for _, e := range v {
		s.Add(s, t.Mul(e, e))
	}
	return s.Sqrt(s)
}

// state is the objective and the per-class quantities at one point.
type state struct {
	f     *big.Float
	p     [][]*big.Float // softmax(y_k + b) per class
	comp  []*big.Float   // 1 - p_k[k], without cancellation
	ce    []*big.Float
	norms []*big.Float // ||y_k||
}

func (r *reduced) eval(ys [][]*big.Float, b []*big.Float) *state {
	k := r.k
	st := &state{f: r.newF(), p: make([][]*big.Float, k), comp: make([]*big.Float, k), ce: make([]*big.Float, k), norms: make([]*big.Float, k)}
	t := r.newF()
	z := make([]*big.Float, k)
	for cls := 0; cls < k; cls++ {
		for j := range z {
			z[j] = r.newF().Add(ys[cls][j], b[j])
		}
		st.p[cls], st.comp[cls], st.ce[cls] = softmaxCE(z, cls, r.wp)
		st.f.Add(st.f, t.Mul(r.w[cls], st.ce[cls]))
		st.norms[cls] = r.norm(ys[cls])
		st.f.Add(st.f, t.Mul(r.sk[cls], st.norms[cls]))
	}
	bn := r.norm(b)
	bn.Mul(bn, bn)
	bn.Mul(bn, r.lb)
	st.f.Add(st.f, bn.Quo(bn, r.fromInt(2)))
	return st
}

// smoothGrad returns w_k (p_k - e_k) for class k (the k-th entry as
// -w_k (1 - p_k[k]), without cancellation).
func (r *reduced) smoothGrad(st *state, cls int) []*big.Float {
	g := make([]*big.Float, r.k)
	for j := range g {
		if j == cls {
			g[j] = r.newF().Neg(st.comp[cls])
		} else {
			g[j] = r.newF().Set(st.p[cls][j])
		}
		g[j].Mul(g[j], r.w[cls])
	}
	return g
}

// gradient returns the gradient of F with respect to every alive y_k (nil
// for the collapsed ones) and to b.
func (r *reduced) gradient(st *state, ys [][]*big.Float, b []*big.Float, alive []bool) (gy [][]*big.Float, gb []*big.Float) {
	k := r.k
	gy = make([][]*big.Float, k)
	gb = make([]*big.Float, k)
	for j := range gb {
		gb[j] = r.newF().Mul(r.lb, b[j])
	}
	t := r.newF()
	for cls := 0; cls < k; cls++ {
		g := r.smoothGrad(st, cls)
		for j := range g {
			gb[j].Add(gb[j], g[j])
		}
		if !alive[cls] {
			continue
		}
		for j := range g {
			g[j].Add(g[j], t.Quo(t.Mul(r.sk[cls], ys[cls][j]), st.norms[cls]))
		}
		gy[cls] = g
	}
	return gy, gb
}

// weightedSoftmaxHessian returns w (diag(p) - p p^T) as a K x K slab; the
// diagonal is w p_i (1 - p_i) with 1 - p_i = sum_{l != i} p_l (no
// cancellation when p_i is near 1).
func (r *reduced) weightedSoftmaxHessian(p []*big.Float, w *big.Float) [][]*big.Float {
	k := r.k
	m := make([][]*big.Float, k)
	for i := range m {
		m[i] = make([]*big.Float, k)
		for j := range m[i] {
			v := r.newF()
			if i == j {
				for l := range p {
					if l != i {
						v.Add(v, p[l])
					}
				}
				v.Mul(v, p[i])
			} else {
				v.Mul(p[i], p[j])
				v.Neg(v)
			}
			m[i][j] = v.Mul(v, w)
		}
	}
	return m
}

// rho returns ||h_k||^2 = ||y_k|| sqrt(lambda_W / (lambda_H n_k)).
func (r *reduced) rho(cls int, norm *big.Float) *big.Float {
	q := new(big.Rat).Quo(r.lw, r.lh)
	q.Quo(q, big.NewRat(int64(r.s.Counts[cls]), 1))
	x := r.newF().SetRat(q)
	x.Sqrt(x)
	return x.Mul(x, norm)
}
