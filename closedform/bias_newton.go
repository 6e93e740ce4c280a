package closedform

import (
	"fmt"
	"math/big"

	"nccheck/internal/bigmath"
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
	for iters = 0; iters < maxNewton; iters++ {
		st := r.eval(ys, b)
		gy, gb := r.gradient(st, ys, b, alive)
		dy, db, err := r.newtonDirection(st, ys, alive, gy, gb)
		if err != nil {
			return iters, -1, err
		}
		dec, scale, stepMax := r.decrement(ys, b, alive, gy, gb, dy, db)
		// Backtracking (Armijo, with slack for the rounding of F).
		slack := new(big.Float).Abs(st.f)
		slack.Mul(slack, r.epsF)
		// A Newton step that carries some y_k through 0 means the smooth
		// model ignores the kink of ||y_k||: try the collapsed y_k = 0 instead.
		if cls := r.tryDrop(st, ys, b, r.crossing(ys, alive, dy), slack); cls >= 0 {
			return iters + 1, cls, nil
		}
		ty, tb, step, accepted := r.lineSearch(st, ys, b, alive, dy, db, dec, slack)
		small := stepMax.Cmp(new(big.Float).Mul(stepTol, scale)) <= 0
		if !accepted || step.Cmp(r.newF().SetMantExp(r.fromInt(1), -10)) < 0 {
			// Tiny or failed steps: the kink of a class that should collapse
			// is the usual cause.
			if cls := r.tryDrop(st, ys, b, trueIndices(alive), slack); cls >= 0 {
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

// decrement returns the Newton decrement g.d (negative), the scale
// max(1, |x|) of the variables and the largest step entry |d|.
func (r *reduced) decrement(ys [][]*big.Float, b []*big.Float, alive []bool, gy [][]*big.Float, gb []*big.Float,
	dy [][]*big.Float, db []*big.Float) (dec, scale, stepMax *big.Float) {
	dec, scale, stepMax = r.newF(), r.fromInt(1), r.newF()
	t := r.newF()
	track := func(x, d *big.Float) {
		if a := new(big.Float).Abs(x); a.Cmp(scale) > 0 {
			scale = a
		}
		if a := new(big.Float).Abs(d); a.Cmp(stepMax) > 0 {
			stepMax = a
		}
	}
	for j := 0; j < r.k; j++ {
		dec.Add(dec, t.Mul(gb[j], db[j]))
		track(b[j], db[j])
	}
	for cls := 0; cls < r.k; cls++ {
		if !alive[cls] {
			continue
		}
		for j := 0; j < r.k; j++ {
			dec.Add(dec, t.Mul(gy[cls][j], dy[cls][j]))
			track(ys[cls][j], dy[cls][j])
		}
	}
	return dec, scale, stepMax
}

// crossing returns the alive classes whose full Newton step carries y_k
// through 0 (y_k . (y_k + d_k) <= 0).
func (r *reduced) crossing(ys [][]*big.Float, alive []bool, dy [][]*big.Float) []int {
	var out []int
	t := r.newF()
	for cls := 0; cls < r.k; cls++ {
		if !alive[cls] {
			continue
		}
		dot := r.newF()
		for j := 0; j < r.k; j++ {
			dot.Add(dot, t.Mul(ys[cls][j], r.newF().Add(ys[cls][j], dy[cls][j])))
		}
		if dot.Sign() <= 0 {
			out = append(out, cls)
		}
	}
	return out
}

// lineSearch halves the step from 1 until the Armijo condition
// F(x + step d) <= F(x) + 1e-4 step g.d + slack holds (at most 60 times). It
// returns the trial point, the step and whether it was accepted.
func (r *reduced) lineSearch(st *state, ys [][]*big.Float, b []*big.Float, alive []bool, dy [][]*big.Float, db []*big.Float,
	dec, slack *big.Float) (ty [][]*big.Float, tb []*big.Float, step *big.Float, accepted bool) {
	k := r.k
	t := r.newF()
	ty = make([][]*big.Float, k)
	tb = make([]*big.Float, k)
	step = r.fromInt(1)
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
			return ty, tb, step, true
		}
		step.Quo(step, r.fromInt(2))
	}
	return ty, tb, step, false
}

// trueIndices returns the indices of the true entries.
func trueIndices(b []bool) []int {
	var out []int
	for i, v := range b {
		if v {
			out = append(out, i)
		}
	}
	return out
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
