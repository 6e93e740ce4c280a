package closedform

import (
	"fmt"
	"math/big"

	"nccheck/internal/bigmath"
	"nccheck/setting"
)

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
		l, err := bigmath.Cholesky(a)
		if err != nil {
			return nil, nil, fmt.Errorf("class %d block: %w", cls+1, err)
		}
		x := make([][]*big.Float, k) // x[col] = A^{-1} C[:, col]
		for col := 0; col < k; col++ {
			cc := make([]*big.Float, k)
			for i := range cc {
				cc[i] = c[i][col]
			}
			x[col] = bigmath.CholSolve(l, cc)
		}
		xs[cls] = x
		vs[cls] = bigmath.CholSolve(l, gy[cls])
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
	ls, err := bigmath.Cholesky(sch)
	if err != nil {
		return nil, nil, fmt.Errorf("bias Schur complement: %w", err)
	}
	db = bigmath.CholSolve(ls, rhs)
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
func (r *reduced) solve(ys [][]*big.Float, b []*big.Float, prec uint) (*Prediction, error) {
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
			p.Reduced.NewtonIterations = total
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

// finish rounds the solution to prec bits and derives the prediction: per
// class the biased margin, rho_k, ||w_k||^2, cos(w_k, h_k) and p_k; the
// matrices W Hbar (the unbiased logits y_k as columns), W W^T =
// sum_k a_k a_k^T and Hbar^T Hbar = diag(rho); b*; and the reduced-problem
// report.
func (r *reduced) finish(st *state, ys [][]*big.Float, b []*big.Float, alive []bool, prec uint) *Prediction {
	k := r.k
	out := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Set(x) }
	p := &Prediction{Setting: r.s.Clone(), Theory: FormulaPaper.Name(), Model: ModelBias, Prec: prec,
		Classes: make([]Class, k), Reduced: &Reduced{Classes: make([]ReducedClass, k)}}
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
	// Working-precision pieces of the explicit point: t_k = sqrt(rho_k) and
	// a_k = y_k / t_k for the alive classes.
	rhos := make([]*big.Float, k)
	ts := make([]*big.Float, k)
	as := make([][]*big.Float, k)
	t := r.newF()
	p.GlobalCollapse = true
	for cls := 0; cls < k; cls++ {
		rc := ReducedClass{Logits: make([]*big.Float, k)}
		for j := range ys[cls] {
			rc.Logits[j] = out(ys[cls][j])
		}
		norm := st.norms[cls]
		rc.LogitNorm = out(norm)
		sg := r.norm(r.smoothGrad(st, cls))
		sg.Quo(sg, r.sk[cls])
		rc.SubgradientRatio = out(sg)
		rhos[cls] = r.newF()
		if alive[cls] {
			p.GlobalCollapse = false
			for _, v := range gy[cls] {
				upd(v)
			}
			rhos[cls] = r.rho(cls, norm)
			ts[cls] = r.newF().Sqrt(rhos[cls])
			as[cls] = make([]*big.Float, k)
			rc.Classifier = make([]*big.Float, k)
			for j := range ys[cls] {
				as[cls][j] = r.newF().Quo(ys[cls][j], ts[cls])
				rc.Classifier[j] = out(as[cls][j])
			}
		} else {
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
		p.Classes[cls] = Class{N: r.s.Counts[cls], Alive: alive[cls], Margin: out(zk.Sub(zk, best)),
			FeatureNormSq: out(rhos[cls]), ProbCorrect: out(st.p[cls][cls])}
		p.Reduced.Classes[cls] = rc
	}
	p.Reduced.Residual = out(res)
	// W W^T = sum_{l alive} a_l a_l^T; row norms and cos(w_k, h_k) = a_k[k] / ||w_k||.
	p.WH, p.WWT, p.HTH = newMatrix(k, prec), newMatrix(k, prec), newMatrix(k, prec)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := r.newF()
			for l := 0; l < k; l++ {
				if alive[l] {
					v.Add(v, t.Mul(as[l][i], as[l][j]))
				}
			}
			p.WWT.at(i, j).Set(v)
			p.WH.at(j, i).Set(ys[i][j]) // column i: the logits y_i of class i's mean
		}
		p.HTH.at(i, i).Set(rhos[i])
	}
	for cls := 0; cls < k; cls++ {
		wn := r.newF().Set(p.WWT.at(cls, cls))
		p.Classes[cls].ClassifierNormSq = out(wn)
		if alive[cls] && wn.Sign() > 0 {
			cos := r.newF().Quo(as[cls][cls], r.newF().Sqrt(wn))
			p.Classes[cls].CosWH = out(cos)
		}
	}
	s, ab := r.s, append([]bool(nil), alive...)
	p.minimizer = func() (*Minimizer, error) { return biasMinimizer(s, prec, ab, ts, as, b), nil }
	return p
}

// biasMinimizer builds the explicit point with a bias: the alive classes,
// in order, take the coordinate directions e_1, e_2, ... of R^d with
// h_k = t_k e_{c(k)}; the column c(k) of W is a_k (so W h_k = y_k), every
// other column of W is 0; and b = b*.
func biasMinimizer(s setting.Setting, prec uint, alive []bool, ts []*big.Float, as [][]*big.Float, b []*big.Float) *Minimizer {
	k := s.K()
	m := newZeroMinimizer(s, prec)
	next := 0
	for cls := 0; cls < k; cls++ {
		if !alive[cls] {
			continue
		}
		coord := next
		next++
		m.Coord[cls] = coord
		m.Means[coord][cls].Set(ts[cls])
		for j := 0; j < k; j++ {
			m.W[j][coord].Set(as[cls][j])
		}
	}
	m.B = make([]*big.Float, k)
	for j := range m.B {
		m.B[j] = new(big.Float).SetPrec(prec).Set(b[j])
	}
	return m
}
