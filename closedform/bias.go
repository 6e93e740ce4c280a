package closedform

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ALTree/bigfloat"

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
// with y_k != 0. It has no closed form; PredictBias solves it by a proximal
// gradient method in float64 (to find which classes collapse, y_k = 0) and
// then by a damped Newton method in big.Float on the smooth problem of the
// remaining classes, and certifies the collapsed ones by their subgradient
// condition ||w_k (softmax(b) - e_k)|| <= s_k.

// BiasClass holds the predicted quantities of class k with a bias. Every
// *big.Float has precision BiasPrediction.Prec.
type BiasClass struct {
	N     int  // n_k
	Alive bool // y_k != 0 at the solution
	// Logits is y_k = W h_k in R^K, the logits of class k's mean without the
	// bias (all zero when the class collapses).
	Logits []*big.Float
	// LogitNorm is ||y_k||.
	LogitNorm *big.Float
	// FeatureNormSq is rho_k = ||h_k||^2 = ||y_k|| sqrt(lambda_W / (lambda_H n_k)),
	// the optimal split of y_k = t_k a_k.
	FeatureNormSq *big.Float
	// Classifier is a_k = y_k / sqrt(rho_k), the column of W along class k's
	// feature direction, ||a_k||^2 = ||y_k|| sqrt(lambda_H n_k / lambda_W);
	// nil when the class collapses.
	Classifier []*big.Float
	// Margin is the logit gap with the bias, (y_k + b)_k - max_{j != k} (y_k + b)_j
	// (negative when the class mean is misclassified).
	Margin *big.Float
	// ProbCorrect is softmax(y_k + b)_k.
	ProbCorrect *big.Float
	// SubgradientRatio is ||w_k (softmax(y_k + b) - e_k)|| / s_k: exactly 1 for
	// an alive class at the solution, and at most 1 for a collapsed class (its
	// optimality condition; a value near 1 means the class is at the edge of
	// collapse).
	SubgradientRatio *big.Float
}

// BiasPrediction is the orthogonal-structure prediction with a bias: the
// solution of the reduced problem of theory.md section 4. Whether this
// structure is globally optimal for the full problem is not settled by the
// paper (theory.md section 6); the KKT check of package derivation and the
// full numerical solver test it.
type BiasPrediction struct {
	Setting setting.Setting
	Prec    uint // bits of mantissa of every *big.Float below

	Classes []BiasClass
	// Bias is b*, length K (it sums to 0: shifting b by a multiple of the
	// all-ones vector leaves every cross-entropy unchanged).
	Bias []*big.Float
	// Objective is F(y*, b*), equal to the full objective f at the explicit
	// minimizer (BiasPrediction.Minimizer).
	Objective *big.Float
	// Residual is the infinity norm of the reduced problem's optimality
	// conditions at the solution: the gradient with respect to b and to every
	// alive y_k, and max(0, ||w_k (softmax(b) - e_k)|| - s_k) for the
	// collapsed classes. It is at the level of 2^-Prec.
	Residual *big.Float
	// NewtonIterations counts the big.Float Newton steps, and
	// ProxIterations the float64 proximal-gradient steps of the start.
	NewtonIterations, ProxIterations int

	// Solution at the working precision, for Minimizer.
	ys    [][]*big.Float
	b     []*big.Float
	alive []bool
	wp    uint
}

// K returns the number of classes.
func (p *BiasPrediction) K() int { return len(p.Classes) }

// AliveCount returns the number of classes with y_k != 0.
func (p *BiasPrediction) AliveCount() int {
	c := 0
	for _, cl := range p.Classes {
		if cl.Alive {
			c++
		}
	}
	return c
}

// ErrNoConvergence reports that the Newton method of PredictBias did not
// reach the requested precision.
var ErrNoConvergence = errors.New("closedform: bias Newton method did not converge")

// CheckBiasScope validates s for PredictBias: s.Validate, a bias with
// lambda_b > 0, and ReLU features. (Whether d is at least the number of alive
// classes is known only after solving; PredictBias checks it then.)
func CheckBiasScope(s setting.Setting) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if !s.Bias {
		return &setting.InputError{Flag: "--bias", Reason: "is required: the bias prediction solves the reduced problem with a bias (use predict without it)"}
	}
	if s.NoReLU {
		return &setting.InputError{Flag: "--no-relu", Reason: "the bias prediction is for ReLU (non-negative) features"}
	}
	return nil
}

// PredictBias solves the reduced problem of theory.md section 4 with a bias
// (s.Bias set, lambda_b > 0) to opt.Prec bits (DefaultPrec when 0); the
// formula option must be FormulaPaper. The solution is computed at
// opt.Prec+GuardBits bits and rounded once. It returns an error when s is out
// of scope, when d is smaller than the number of alive classes of the
// solution, or when the Newton method fails to converge.
//
// Cost per Newton step: O(K^4) big.Float operations and O(K^2)
// exponentials; a handful of steps from the float64 start.
func PredictBias(s setting.Setting, opt Options) (bp *BiasPrediction, err error) {
	prec := opt.Prec
	if prec == 0 {
		prec = DefaultPrec
	}
	if prec < MinPrec || prec > MaxPrec {
		return nil, &setting.InputError{Flag: "--prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	if opt.Formula != FormulaPaper {
		return nil, &setting.InputError{Flag: "--formula", Value: opt.Formula.String(), Reason: "the bias prediction solves the exact reduced problem; only paper applies"}
	}
	if err := CheckBiasScope(s); err != nil {
		return nil, err
	}
	defer func() {
		// big.Float panics with ErrNaN on a NaN input (a float64 start gone
		// non-finite) or an undefined operation; report it as an error.
		if e := recover(); e != nil {
			if _, ok := e.(big.ErrNaN); ok {
				bp, err = nil, fmt.Errorf("predict bias %s: %w", s, ErrNonFinite)
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
	sol.ProxIterations = proxIter
	if a := sol.AliveCount(); s.Dim < a {
		return nil, &setting.InputError{Flag: "--d", Value: fmt.Sprint(s.Dim),
			Reason: fmt.Sprintf("smaller than the number of alive classes with the bias (%d); the orthogonal structure does not fit", a)}
	}
	return sol, nil
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

// proxStart runs an accelerated proximal gradient method (FISTA with
// adaptive restart) in float64 from the bias-free prediction, b = 0. The
// group soft-threshold sets y_k exactly to 0 for a class that collapses. It
// returns the iterate as big.Float vectors at the working precision and the
// number of iterations.
func (r *reduced) proxStart() (ys [][]*big.Float, b []*big.Float, iters int) {
	k := r.k
	n := float64(r.s.N())
	km1 := float64(k - 1)
	c := math.Sqrt(km1 / float64(k))
	// x = (y_1..y_K, b) flattened: y_k at [k*K, (k+1)*K), b at [K*K, K*K+K).
	dim := k*k + k
	x := make([]float64, dim)
	for cls, nk := range r.s.Counts {
		// beta_k = N sqrt(lambda_W lambda_H / n_k) = N s_k / n_k, from s_k
		// (computed exactly, so lambda_W lambda_H may underflow float64).
		beta := n * r.skf[cls] / float64(nk)
		if arg := km1 * (1/(c*beta) - 1); arg > 1 {
			m := math.Log(arg)
			for j := 0; j < k; j++ {
				x[cls*k+j] = -m / float64(k)
			}
			x[cls*k+cls] += m
		}
	}
	grad := func(x, g []float64) {
		for i := range g {
			g[i] = 0
		}
		bb := x[k*k:]
		z := make([]float64, k)
		for cls := 0; cls < k; cls++ {
			y := x[cls*k : (cls+1)*k]
			zmax := math.Inf(-1)
			for j := range z {
				z[j] = y[j] + bb[j]
				zmax = math.Max(zmax, z[j])
			}
			sum := 0.0
			for j := range z {
				z[j] = math.Exp(z[j] - zmax)
				sum += z[j]
			}
			for j := range z {
				v := z[j] / sum
				if j == cls {
					v -= 1
				}
				v *= r.wf[cls]
				g[cls*k+j] = v
				g[k*k+j] += v
			}
		}
		for j := 0; j < k; j++ {
			g[k*k+j] += r.lbf * bb[j]
		}
	}
	step := 1 / (1 + r.lbf)
	prox := func(v, out []float64) {
		copy(out, v)
		for cls := 0; cls < k; cls++ {
			y := out[cls*k : (cls+1)*k]
			nrm := 0.0
			for _, e := range y {
				nrm += e * e
			}
			nrm = math.Sqrt(nrm)
			shrink := 0.0
			if nrm > step*r.skf[cls] {
				shrink = 1 - step*r.skf[cls]/nrm
			}
			for j := range y {
				y[j] *= shrink
			}
		}
	}
	xPrev := append([]float64(nil), x...)
	yv := append([]float64(nil), x...)
	g := make([]float64, dim)
	v := make([]float64, dim)
	tk := 1.0
	const maxIter = 200000
	for iters = 0; iters < maxIter; iters++ {
		grad(yv, g)
		for i := range v {
			v[i] = yv[i] - step*g[i]
		}
		copy(xPrev, x)
		prox(v, x)
		// Gradient mapping norm, and adaptive restart when the momentum
		// points uphill.
		gm, up := 0.0, 0.0
		for i := range x {
			d := x[i] - yv[i]
			gm = math.Max(gm, math.Abs(d)/step)
			up += (yv[i] - x[i]) * (x[i] - xPrev[i])
		}
		if gm < 1e-12 {
			iters++
			break
		}
		tNext := (1 + math.Sqrt(1+4*tk*tk)) / 2
		if up > 0 {
			tNext = 1
			copy(yv, x)
		} else {
			for i := range yv {
				yv[i] = x[i] + (tk-1)/tNext*(x[i]-xPrev[i])
			}
		}
		tk = tNext
	}
	ys = make([][]*big.Float, k)
	for cls := range ys {
		ys[cls] = make([]*big.Float, k)
		for j := range ys[cls] {
			ys[cls][j] = r.newF().SetFloat64(x[cls*k+j])
		}
	}
	b = make([]*big.Float, k)
	for j := range b {
		b[j] = r.newF().SetFloat64(x[k*k+j])
	}
	return ys, b, iters
}

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
		st.p[cls], st.comp[cls], st.ce[cls] = SoftmaxCE(z, cls, r.wp)
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

// newtonDirection solves the Newton system by block elimination: the Hessian
// is block-arrow, with a K x K block A_k = w_k S_k + (s_k/||y_k||)(I - u u^T)
// per alive class (u = y_k/||y_k||, S_k = diag(p_k) - p_k p_k^T), coupling
// C_k = w_k S_k to b, and H_bb = lambda_b I + sum_k w_k S_k.
func (r *reduced) newtonDirection(st *state, ys [][]*big.Float, alive []bool, gy [][]*big.Float, gb []*big.Float) (dy [][]*big.Float, db []*big.Float, err error) {
	k := r.k
	sch := make([][]*big.Float, k)
	for i := range sch {
		sch[i] = make([]*big.Float, k)
		for j := range sch[i] {
			sch[i][j] = r.newF()
		}
		sch[i][i].Set(r.lb)
	}
	rhs := make([]*big.Float, k)
	for j := range rhs {
		rhs[j] = r.newF().Neg(gb[j])
	}
	xs := make([][][]*big.Float, k) // A_k^{-1} C_k
	vs := make([][]*big.Float, k)   // A_k^{-1} gy_k
	t := r.newF()
	for cls := 0; cls < k; cls++ {
		c := r.weightedSoftmaxHessian(st.p[cls], r.w[cls])
		addTo(sch, c)
		if !alive[cls] {
			continue
		}
		a := r.weightedSoftmaxHessian(st.p[cls], r.w[cls])
		coef := r.newF().Quo(r.sk[cls], st.norms[cls])
		for i := 0; i < k; i++ {
			ui := r.newF().Quo(ys[cls][i], st.norms[cls])
			for j := 0; j < k; j++ {
				uj := r.newF().Quo(ys[cls][j], st.norms[cls])
				v := r.newF().Mul(ui, uj)
				v.Neg(v)
				if i == j {
					v.Add(v, r.fromInt(1))
				}
				a[i][j].Add(a[i][j], v.Mul(v, coef))
			}
		}
		l, err := cholesky(a)
		if err != nil {
			return nil, nil, fmt.Errorf("class %d block: %w", cls+1, err)
		}
		x := make([][]*big.Float, k) // x[col] = A^{-1} C[:, col]
		for col := 0; col < k; col++ {
			cc := make([]*big.Float, k)
			for i := range cc {
				cc[i] = c[i][col]
			}
			x[col] = cholSolve(l, cc)
		}
		xs[cls] = x
		vs[cls] = cholSolve(l, gy[cls])
		// sch -= C X, rhs += C v
		for i := 0; i < k; i++ {
			for col := 0; col < k; col++ {
				s := r.newF()
				for m := 0; m < k; m++ {
					s.Add(s, t.Mul(c[i][m], x[col][m]))
				}
				sch[i][col].Sub(sch[i][col], s)
			}
			s := r.newF()
			for m := 0; m < k; m++ {
				s.Add(s, t.Mul(c[i][m], vs[cls][m]))
			}
			rhs[i].Add(rhs[i], s)
		}
	}
	ls, err := cholesky(sch)
	if err != nil {
		return nil, nil, fmt.Errorf("bias Schur complement: %w", err)
	}
	db = cholSolve(ls, rhs)
	dy = make([][]*big.Float, k)
	for cls := 0; cls < k; cls++ {
		if !alive[cls] {
			continue
		}
		d := make([]*big.Float, k)
		for i := range d {
			d[i] = r.newF().Neg(vs[cls][i])
			for col := 0; col < k; col++ {
				d[i].Sub(d[i], t.Mul(xs[cls][col][i], db[col]))
			}
		}
		dy[cls] = d
	}
	return dy, db, nil
}

func addTo(dst, src [][]*big.Float) {
	for i := range dst {
		for j := range dst[i] {
			dst[i][j].Add(dst[i][j], src[i][j])
		}
	}
}

// cholesky returns the lower-triangular factor L of a symmetric positive
// definite matrix a = L L^T, at the precision of a's entries.
func cholesky(a [][]*big.Float) ([][]*big.Float, error) {
	n := len(a)
	prec := a[0][0].Prec()
	l := make([][]*big.Float, n)
	t := new(big.Float).SetPrec(prec)
	for i := 0; i < n; i++ {
		l[i] = make([]*big.Float, n)
		for j := range l[i] {
			l[i][j] = new(big.Float).SetPrec(prec)
		}
	}
	for j := 0; j < n; j++ {
		d := new(big.Float).SetPrec(prec).Set(a[j][j])
		for m := 0; m < j; m++ {
			d.Sub(d, t.Mul(l[j][m], l[j][m]))
		}
		if d.Sign() <= 0 {
			return nil, fmt.Errorf("matrix not positive definite (pivot %d is %s)", j+1, d.Text('g', 5))
		}
		l[j][j].Sqrt(d)
		for i := j + 1; i < n; i++ {
			s := new(big.Float).SetPrec(prec).Set(a[i][j])
			for m := 0; m < j; m++ {
				s.Sub(s, t.Mul(l[i][m], l[j][m]))
			}
			l[i][j].Quo(s, l[j][j])
		}
	}
	return l, nil
}

// cholSolve solves L L^T x = b.
func cholSolve(l [][]*big.Float, b []*big.Float) []*big.Float {
	n := len(l)
	prec := l[0][0].Prec()
	t := new(big.Float).SetPrec(prec)
	y := make([]*big.Float, n)
	for i := 0; i < n; i++ {
		y[i] = new(big.Float).SetPrec(prec).Set(b[i])
		for m := 0; m < i; m++ {
			y[i].Sub(y[i], t.Mul(l[i][m], y[m]))
		}
		y[i].Quo(y[i], l[i][i])
	}
	for i := n - 1; i >= 0; i-- {
		for m := i + 1; m < n; m++ {
			y[i].Sub(y[i], t.Mul(l[m][i], y[m]))
		}
		y[i].Quo(y[i], l[i][i])
	}
	return y
}

// maxNewton bounds the Newton steps of one active set.
const maxNewton = 200

// newton runs damped Newton on the smooth problem of the alive classes,
// updating ys and b in place. It returns the number of steps and the class
// it dropped (its y_k went to 0: the restricted problem has its infimum at
// the kink), or -1.
func (r *reduced) newton(ys [][]*big.Float, b []*big.Float, alive []bool) (iters, dropped int, err error) {
	k := r.k
	stepTol := new(big.Float).SetMantExp(big.NewFloat(1), -int(r.wp)+32)
	tiny := new(big.Float).SetMantExp(big.NewFloat(1), -int(r.wp)/2)
	t := r.newF()
	for iters = 0; iters < maxNewton; iters++ {
		st := r.eval(ys, b)
		gy, gb := r.gradient(st, ys, b, alive)
		dy, db, err := r.newtonDirection(st, ys, alive, gy, gb)
		if err != nil {
			return iters, -1, err
		}
		// Newton decrement g.d (negative) and the step size.
		dec := r.newF()
		scale := r.fromInt(1)
		stepMax := r.newF()
		track := func(x, d *big.Float) {
			if a := new(big.Float).Abs(x); a.Cmp(scale) > 0 {
				scale = a
			}
			if a := new(big.Float).Abs(d); a.Cmp(stepMax) > 0 {
				stepMax = a
			}
		}
		for j := 0; j < k; j++ {
			dec.Add(dec, t.Mul(gb[j], db[j]))
			track(b[j], db[j])
		}
		for cls := 0; cls < k; cls++ {
			if !alive[cls] {
				continue
			}
			for j := 0; j < k; j++ {
				dec.Add(dec, t.Mul(gy[cls][j], dy[cls][j]))
				track(ys[cls][j], dy[cls][j])
			}
		}
		// Backtracking (Armijo, with slack for the rounding of F).
		slack := new(big.Float).Abs(st.f)
		slack.Mul(slack, r.epsF)
		// A Newton step that carries some y_k through 0 means the smooth
		// model ignores the kink of ||y_k||: try the collapsed y_k = 0 instead.
		var crossing []int
		for cls := 0; cls < k; cls++ {
			if !alive[cls] {
				continue
			}
			dot := r.newF()
			for j := 0; j < k; j++ {
				dot.Add(dot, t.Mul(ys[cls][j], r.newF().Add(ys[cls][j], dy[cls][j])))
			}
			if dot.Sign() <= 0 {
				crossing = append(crossing, cls)
			}
		}
		if cls := r.tryDrop(st, ys, b, crossing, slack); cls >= 0 {
			return iters + 1, cls, nil
		}
		ty := make([][]*big.Float, k)
		tb := make([]*big.Float, k)
		step := r.fromInt(1)
		accepted := false
		for ls := 0; ls < 60; ls++ {
			for cls := 0; cls < k; cls++ {
				ty[cls] = make([]*big.Float, k)
				for j := 0; j < k; j++ {
					ty[cls][j] = r.newF().Set(ys[cls][j])
					if alive[cls] {
						ty[cls][j].Add(ty[cls][j], t.Mul(step, dy[cls][j]))
					}
				}
			}
			for j := 0; j < k; j++ {
				tb[j] = r.newF().Add(b[j], t.Mul(step, db[j]))
			}
			nst := r.eval(ty, tb)
			bound := r.newF().Mul(step, dec)
			bound.Mul(bound, r.newF().SetFloat64(1e-4))
			bound.Add(bound, st.f)
			bound.Add(bound, slack)
			if nst.f.Cmp(bound) <= 0 {
				accepted = true
				break
			}
			step.Quo(step, r.fromInt(2))
		}
		small := stepMax.Cmp(new(big.Float).Mul(stepTol, scale)) <= 0
		if !accepted || step.Cmp(r.newF().SetMantExp(r.fromInt(1), -10)) < 0 {
			// Tiny or failed steps: the kink of a class that should collapse
			// is the usual cause.
			var all []int
			for cls := 0; cls < k; cls++ {
				if alive[cls] {
					all = append(all, cls)
				}
			}
			if cls := r.tryDrop(st, ys, b, all, slack); cls >= 0 {
				return iters + 1, cls, nil
			}
		}
		if !accepted {
			if small {
				return iters, -1, nil
			}
			return iters, -1, fmt.Errorf("%w: no descent along the Newton direction (step %s)", ErrNoConvergence, stepMax.Text('g', 5))
		}
		for cls := 0; cls < k; cls++ {
			for j := 0; j < k; j++ {
				ys[cls][j].Set(ty[cls][j])
			}
		}
		for j := 0; j < k; j++ {
			b[j].Set(tb[j])
		}
		for cls := 0; cls < k; cls++ {
			if alive[cls] && r.norm(ys[cls]).Cmp(new(big.Float).Mul(tiny, scale)) < 0 {
				return iters + 1, cls, nil
			}
		}
		if small && step.Cmp(r.fromInt(1)) == 0 {
			return iters + 1, -1, nil
		}
	}
	return iters, -1, fmt.Errorf("%w after %d steps", ErrNoConvergence, maxNewton)
}

// tryDrop evaluates F with y_k = 0 for each candidate class k and returns
// the class whose collapse gives the lowest F, if that is at most the current
// F (within slack); otherwise -1. F is convex, so such a move never loses.
func (r *reduced) tryDrop(st *state, ys [][]*big.Float, b []*big.Float, candidates []int, slack *big.Float) int {
	best, bestF := -1, new(big.Float).Add(st.f, slack)
	for _, cls := range candidates {
		trial := make([][]*big.Float, len(ys))
		copy(trial, ys)
		trial[cls] = make([]*big.Float, r.k)
		for j := range trial[cls] {
			trial[cls][j] = r.newF()
		}
		if f := r.eval(trial, b).f; f.Cmp(bestF) <= 0 {
			best, bestF = cls, f
		}
	}
	return best
}

// solve runs Newton on the active set found by the float64 start and
// corrects the active set until every collapsed class satisfies its
// subgradient condition.
func (r *reduced) solve(ys [][]*big.Float, b []*big.Float, prec uint) (*BiasPrediction, error) {
	k := r.k
	alive := make([]bool, k)
	for cls := range alive {
		alive[cls] = r.norm(ys[cls]).Sign() != 0
	}
	// A collapsed class becomes alive when its subgradient ratio exceeds 1
	// by more than the output rounding.
	edge := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec))
	edge.Add(edge, big.NewFloat(1))
	total := 0
	for round := 0; round < 2*k+2; round++ {
		iters, dropped, err := r.newton(ys, b, alive)
		total += iters
		if err != nil {
			return nil, err
		}
		if dropped >= 0 {
			alive[dropped] = false
			for j := range ys[dropped] {
				ys[dropped][j].SetInt64(0)
			}
			continue
		}
		st := r.eval(ys, b)
		worst, worstRatio := -1, edge
		var worstGrad []*big.Float
		for cls := 0; cls < k; cls++ {
			if alive[cls] {
				continue
			}
			g := r.smoothGrad(st, cls)
			ratio := r.norm(g)
			ratio.Quo(ratio, r.sk[cls])
			if ratio.Cmp(worstRatio) > 0 {
				worst, worstRatio, worstGrad = cls, ratio, g
			}
		}
		if worst < 0 {
			p := r.finish(st, ys, b, alive, prec)
			p.NewtonIterations = total
			return p, nil
		}
		// Activate the class along the steepest descent direction -g/||g||,
		// at the 1-D Newton step (||g|| - s_k) / (u^T w_k S_k u).
		alive[worst] = true
		gn := r.norm(worstGrad)
		u := make([]*big.Float, k)
		for j := range u {
			u[j] = r.newF().Quo(worstGrad[j], gn)
		}
		sw := r.weightedSoftmaxHessian(st.p[worst], r.w[worst])
		curv := r.newF()
		t := r.newF()
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				curv.Add(curv, t.Mul(u[i], t.Mul(sw[i][j], u[j])))
			}
		}
		tstep := r.newF().Sub(gn, r.sk[worst])
		tstep.Quo(tstep, curv)
		for j := range u {
			ys[worst][j].Neg(t.Mul(tstep, u[j]))
		}
	}
	return nil, fmt.Errorf("%w: the set of collapsed classes did not settle", ErrNoConvergence)
}

// finish rounds the solution to prec bits and derives the per-class
// quantities.
func (r *reduced) finish(st *state, ys [][]*big.Float, b []*big.Float, alive []bool, prec uint) *BiasPrediction {
	k := r.k
	out := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Set(x) }
	p := &BiasPrediction{Setting: r.s.Clone(), Prec: prec, Classes: make([]BiasClass, k),
		ys: ys, b: b, alive: append([]bool(nil), alive...), wp: r.wp}
	p.Objective = out(st.f)
	gy, gb := r.gradient(st, ys, b, alive)
	res := r.newF()
	upd := func(v *big.Float) {
		if a := new(big.Float).Abs(v); a.Cmp(res) > 0 {
			res = a
		}
	}
	for _, v := range gb {
		upd(v)
	}
	p.Bias = make([]*big.Float, k)
	for j := range b {
		p.Bias[j] = out(b[j])
	}
	for cls := 0; cls < k; cls++ {
		c := BiasClass{N: r.s.Counts[cls], Alive: alive[cls], Logits: make([]*big.Float, k)}
		for j := range ys[cls] {
			c.Logits[j] = out(ys[cls][j])
		}
		norm := st.norms[cls]
		c.LogitNorm = out(norm)
		sg := r.norm(r.smoothGrad(st, cls))
		sg.Quo(sg, r.sk[cls])
		c.SubgradientRatio = out(sg)
		if alive[cls] {
			for _, v := range gy[cls] {
				upd(v)
			}
			rho := r.rho(cls, norm)
			c.FeatureNormSq = out(rho)
			tk := r.newF().Sqrt(rho)
			c.Classifier = make([]*big.Float, k)
			for j := range ys[cls] {
				c.Classifier[j] = out(r.newF().Quo(ys[cls][j], tk))
			}
		} else {
			c.FeatureNormSq = new(big.Float).SetPrec(prec)
			excess := r.newF().Sub(sg, r.fromInt(1))
			if excess.Sign() > 0 {
				upd(excess.Mul(excess, r.sk[cls]))
			}
		}
		// Margin and correct-class probability with the bias.
		var best *big.Float
		for j := 0; j < k; j++ {
			if j == cls {
				continue
			}
			z := r.newF().Add(ys[cls][j], b[j])
			if best == nil || z.Cmp(best) > 0 {
				best = z
			}
		}
		zk := r.newF().Add(ys[cls][cls], b[cls])
		c.Margin = out(zk.Sub(zk, best))
		c.ProbCorrect = out(st.p[cls][cls])
		p.Classes[cls] = c
	}
	p.Residual = out(res)
	return p
}

// rho returns ||h_k||^2 = ||y_k|| sqrt(lambda_W / (lambda_H n_k)).
func (r *reduced) rho(cls int, norm *big.Float) *big.Float {
	q := new(big.Rat).Quo(r.lw, r.lh)
	q.Quo(q, big.NewRat(int64(r.s.Counts[cls]), 1))
	x := r.newF().SetRat(q)
	x.Sqrt(x)
	return x.Mul(x, norm)
}

// BiasMinimizer is one explicit point of the predicted structure with a
// bias: the alive classes, in order, take the coordinate directions e_1,
// e_2, ... of R^d with h_k = t_k e_{c(k)}, t_k = sqrt(rho_k); collapsed
// classes have h_k = 0; every sample of class k equals h_k; the column c(k)
// of W is a_k = y_k / t_k (so W h_k = y_k), every other column of W is 0; and
// the bias is b*. Entries are rounded once from the working precision.
type BiasMinimizer struct {
	Minimizer
	// B is b*, length K.
	B []*big.Float
}

// BDense returns b* rounded to float64.
func (m *BiasMinimizer) BDense() []float64 {
	v := make([]float64, len(m.B))
	for i, x := range m.B {
		v[i], _ = x.Float64()
	}
	return v
}

// Minimizer returns the explicit point described on BiasMinimizer. The
// promoted methods WDense, MeansDense, HDense and H give W, the class means
// and the per-sample features as mat.Dense (float64) or big.Float.
func (p *BiasPrediction) Minimizer() (*BiasMinimizer, error) {
	s := p.Setting
	k, d := s.K(), s.Dim
	if a := p.AliveCount(); d < a {
		return nil, &setting.InputError{Flag: "--d", Value: fmt.Sprint(d), Reason: fmt.Sprintf("smaller than the number of alive classes (%d)", a)}
	}
	r := newReduced(s, p.wp)
	m := &BiasMinimizer{Minimizer: *newZeroMinimizer(s, p.Prec)}
	zero := func() *big.Float { return new(big.Float).SetPrec(p.Prec) }
	next := 0
	for cls := 0; cls < k; cls++ {
		if !p.alive[cls] {
			continue
		}
		coord := next
		next++
		m.Coord[cls] = coord
		tk := r.rho(cls, r.norm(p.ys[cls]))
		tk.Sqrt(tk)
		m.Means[coord][cls].Set(tk)
		for j := 0; j < k; j++ {
			m.W[j][coord].Set(r.newF().Quo(p.ys[cls][j], tk))
		}
	}
	m.B = make([]*big.Float, k)
	for j := range m.B {
		m.B[j] = zero().Set(p.b[j])
	}
	return m, nil
}

// BiasReport is the JSON form of a BiasPrediction: every big number is a
// decimal string with a fixed number of significant digits.
type BiasReport struct {
	PrecisionBits    uint              `json:"precision_bits"`
	Digits           int               `json:"digits"`
	LambdaB          string            `json:"lambda_b"`
	Objective        string            `json:"objective"`
	Residual         string            `json:"reduced_residual"`
	NewtonIterations int               `json:"newton_iterations"`
	ProxIterations   int               `json:"prox_iterations"`
	AliveClasses     int               `json:"alive_classes"`
	Bias             []string          `json:"bias"`
	Classes          []BiasClassReport `json:"classes"`
}

// BiasClassReport is one class of a BiasReport; Classifier is null for a
// collapsed class.
type BiasClassReport struct {
	Class            int      `json:"class"` // 1-based
	N                int      `json:"n"`
	Alive            bool     `json:"alive"`
	Logits           []string `json:"logits"`
	LogitNorm        string   `json:"logit_norm"`
	FeatureNormSq    string   `json:"feature_norm_sq"`
	Classifier       []string `json:"classifier"`
	Margin           string   `json:"margin"`
	ProbCorrect      string   `json:"prob_correct"`
	SubgradientRatio string   `json:"subgradient_ratio"`
}

// Report returns the JSON form with the given number of significant digits;
// digits <= 0 means Digits(p.Prec).
func (p *BiasPrediction) Report(digits int) BiasReport {
	if digits <= 0 {
		digits = Digits(p.Prec)
	}
	f := func(x *big.Float) string { return x.Text('g', digits) }
	fs := func(xs []*big.Float) []string {
		if xs == nil {
			return nil
		}
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = f(x)
		}
		return out
	}
	r := BiasReport{PrecisionBits: p.Prec, Digits: digits, LambdaB: p.Setting.LambdaB.String(), Objective: f(p.Objective),
		Residual: f(p.Residual), NewtonIterations: p.NewtonIterations, ProxIterations: p.ProxIterations,
		AliveClasses: p.AliveCount(), Bias: fs(p.Bias)}
	for i, c := range p.Classes {
		r.Classes = append(r.Classes, BiasClassReport{Class: i + 1, N: c.N, Alive: c.Alive, Logits: fs(c.Logits),
			LogitNorm: f(c.LogitNorm), FeatureNormSq: f(c.FeatureNormSq), Classifier: fs(c.Classifier),
			Margin: f(c.Margin), ProbCorrect: f(c.ProbCorrect), SubgradientRatio: f(c.SubgradientRatio)})
	}
	return r
}

// SoftmaxCE returns, at prec bits, p = softmax(z), the complement
// c = 1 - p_y = sum_{j != y} p_j and the cross-entropy
// CE(z, y) = log sum_j exp(z_j) - z_y. Nothing is computed by cancellation:
// c is a sum of positive terms, and CE = (z_max - z_y) + log1p(r) with
// r = sum_{j != argmax} exp(z_j - z_max), so both keep their full relative
// precision when tiny (a correct-class probability within 2^-prec of 1 would
// otherwise give c = 0 and CE = 0). Sums are formed with 32 guard bits.
func SoftmaxCE(z []*big.Float, y int, prec uint) (p []*big.Float, c, ce *big.Float) {
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
			e[j] = bigfloat.Exp(t)
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
	l := log1p(rest, wp)
	l.Add(l, new(big.Float).SetPrec(wp).Sub(z[jmax], z[y]))
	return p, c, new(big.Float).SetPrec(prec).Set(l)
}

// log1p returns log(1 + r) for r >= 0 at wp bits: by its series when
// r < 2^-16 (no rounding of 1 + r), by Log(1 + r) at wp+64 bits otherwise.
func log1p(r *big.Float, wp uint) *big.Float {
	if r.Sign() == 0 {
		return new(big.Float).SetPrec(wp)
	}
	if r.MantExp(nil) < -16 {
		// r - r^2/2 + r^3/3 - ...: each term is below 2^-16 of the last.
		sum := new(big.Float).SetPrec(wp + 16)
		pow := new(big.Float).SetPrec(wp + 16).Set(r)
		term := new(big.Float).SetPrec(wp + 16)
		for n := int64(1); ; n++ {
			term.Quo(pow, new(big.Float).SetInt64(n))
			if n%2 == 0 {
				sum.Sub(sum, term)
			} else {
				sum.Add(sum, term)
			}
			if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-int(wp)-8 {
				break
			}
			pow.Mul(pow, r)
		}
		return new(big.Float).SetPrec(wp).Set(sum)
	}
	x := new(big.Float).SetPrec(wp + 64).SetInt64(1)
	x.Add(x, r)
	return new(big.Float).SetPrec(wp).Set(bigfloat.Log(x))
}
