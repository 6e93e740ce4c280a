package optimize

import (
	"fmt"
	"math"
)

// LBFGSB is a projected limited-memory BFGS method for the bound H >= 0,
// in the L-BFGS-B family (two-metric projection form, Bertsekas 1982):
//
//   - variables at (or within eps of) the bound H = 0 whose gradient
//     pushes them out of the box form the binding set: they are excluded
//     from the quasi-Newton step and moved straight to the bound
//     (d_i = -x_i). eps = min(1e-3, ||x - P(x - gamma g)||_inf) is taken
//     at the previous iterate (so that the binding set of the next
//     direction is known in the same pass that computes the new gradient's
//     inner products; at the first iterate, at the start point);
//   - on the others (the free set F) the direction is the quasi-Newton
//     step of the problem reduced to F, d_F = -(B_FF)^-1 g_F, with B the
//     L-BFGS approximation of the Hessian from the last Memory pairs
//     (s, y) and B_0 = theta I, theta = y'y/s'y of the last pair, in the
//     compact representation of Byrd, Nocedal and Schnabel (1994),
//     B = theta I - W M W', W = [Y, theta S]; the inverse of its F x F
//     block follows from the Sherman-Morrison-Woodbury formula with the
//     inner products of W restricted to F (as in the subspace step of
//     L-BFGS-B). Using the F x F block of the inverse L-BFGS matrix
//     instead (the plain two-metric projection) was measured to need 1.7x
//     the evaluations on the K = 100 settings, with the unit step rejected
//     in 38% of the iterations. A per-block scaling of features by N was
//     measured and converged 3-5x slower, so the variables are not
//     rescaled;
//   - the step is a backtracking search along the projected path
//     P(x + t d), accepting Armijo sufficient decrease, or, once the decrease
//     is at the rounding level of f, an approximate-Wolfe condition on the
//     slope; a non-finite trial value is never accepted. If no step is
//     found the memory is dropped and a scaled gradient step is tried; if
//     that fails too the run stops with LineSearchFailed.
//
// Memory traffic, not arithmetic, bounds an iteration of a large problem,
// so an iteration makes two passes over the stored pairs (the two-loop
// recursion makes 4*Memory): one that forms the direction and the first
// trial point, and one, after the step is accepted, that stores the new
// pair and computes every inner product the next direction needs (the new
// pair against the stored ones, the inner products of all pairs and of the
// gradient restricted to the next free set, the KKT residual and eps).
// Each pass works on sub-chunks of 512 entries so that the new pair, the
// masked gradient and the mask of the free set stay in the L1 cache while
// the stored pairs stream by; the arithmetic runs in AVX-512 kernels with
// Go versions that compute the same bits (vec.go).
//
// On an *Evaluator the vector loops run on the evaluator's threads
// (Evaluator.SetThreads, sharing its helper goroutines; on any other
// Objective on one thread) over chunks fixed by the vector length, reduced
// in order: the iterates do not depend on the thread count. The work
// vectors belong to the LBFGSB value: allocated by its first run and reused
// by its later runs on problems of the same size (MemoryBytes), so a value
// is used by one goroutine at a time.
//
// Limits.Pause is called after every iteration. The zero value uses the
// defaults.
type LBFGSB struct {
	// Memory is the number of (s, y) pairs kept; default 5 (10 was
	// measured to need about as many evaluations on the settings of
	// BENCHMARKS.md, for twice the memory traffic per iteration).
	Memory int

	work *lbfgsWork // the work vectors of the last run
}

const (
	armijo    = 1e-4
	maxTrials = 60
	// subChunk is the number of entries a fused pass handles at a time.
	subChunk = 512
)

// lbfgsWork holds the vectors of an LBFGSB run, kept by the LBFGSB value.
type lbfgsWork struct {
	nv, mem      int
	asm          bool // use the assembly kernels (see parallelism)
	g, gt, xt, d []float64
	// mem+1 slots for the (s, y) pairs: the pairs in use and always a
	// free slot in which an accepted step writes its pair.
	s, y [][]float64
	// Between slots: ss[a][b] = s_a.s_b, sy[a][b] = s_a.y_b (all
	// entries), and the same restricted to the free set F of the current
	// point: fyy[a][b] = y_a.y_b, fsy[a][b] = s_a.y_b, fss[a][b] = s_a.s_b
	// over F; per slot fyg[a] = y_a.gm, fsg[a] = s_a.gm, gm the gradient
	// with the entries outside F set to 0.
	ss, sy, fyy, fsy, fss [][]float64
	fyg, fsg              []float64
	// The small linear system of the direction (2 mem x 2 mem) and the
	// reduced partial sums of a pass.
	sys  [][]float64
	rhs  []float64
	sums []float64
	// Per chunk: partial sums of a pass, and a sub-chunk of scratch for
	// the masked gradient and for the mask of F.
	part [maxChunks][]float64
	buf  [maxChunks][]float64
	mk   [maxChunks][]float64
	idx  [maxChunks][]int32 // the free entries of a sub-chunk
}

// sparseFree is the most free entries in a sub-chunk for which the inner
// products over the free set are computed on their indices (see update).
const sparseFree = 24

// updateSums is the number of partial sums of lbfgsWork.update with L
// stored pairs: 7, 3 per stored pair, 4 per pair of candidates (the
// stored pairs and the new one, i <= j), 4 per candidate.
func updateSums(L int) int { return 7 + 3*L + 2*(L+1)*(L+2) + 4*(L+1) }

// memory returns the number of pairs of a run: Memory, or the default 5.
func (m *LBFGSB) memory() int {
	if m.Memory > 0 {
		return m.Memory
	}
	return 5
}

// MemoryBytes implements MemoryReporter: with nv = p.NumVars() and m pairs,
// 8 (4 + 2(m+1)) nv bytes of vectors (gradient, trial point, its gradient,
// direction, m+1 slots of s and of y) and 8 (16 (S + 1280) + 5 (m+1)^2 +
// 2m (2m+1)) bytes of scratch, S = updateSums(m) (per chunk partial sums,
// sub-chunks of the masked gradient and mask, the small matrices).
func (m *LBFGSB) MemoryBytes(p *Problem) int64 {
	nv, mem := int64(p.NumVars()), int64(m.memory())
	vec := 4 + 2*(mem+1)
	small := 16*(int64(updateSums(int(mem)))+1024+subChunk/2) + 5*(mem+1)*(mem+1) + 2*mem*(2*mem+1)
	return 8 * (vec*nv + small)
}

// workspace returns the work vectors for nv variables and mem pairs,
// allocating them on first use.
func (m *LBFGSB) workspace(nv, mem int) *lbfgsWork {
	if w := m.work; w != nil && w.nv == nv && w.mem == mem {
		return w
	}
	m.work = nil // let the old one go before allocating
	w := &lbfgsWork{nv: nv, mem: mem}
	w.g = make([]float64, nv)
	w.gt = make([]float64, nv)
	w.xt = make([]float64, nv)
	w.d = make([]float64, nv)
	w.s = make([][]float64, mem+1)
	w.y = make([][]float64, mem+1)
	sq := func() [][]float64 {
		m := make([][]float64, mem+1)
		for i := range m {
			m[i] = make([]float64, mem+1)
		}
		return m
	}
	for i := range w.s {
		w.s[i] = make([]float64, nv)
		w.y[i] = make([]float64, nv)
	}
	w.ss, w.sy, w.fyy, w.fsy, w.fss = sq(), sq(), sq(), sq(), sq()
	w.fyg = make([]float64, mem+1)
	w.fsg = make([]float64, mem+1)
	w.sys = make([][]float64, 2*mem)
	for i := range w.sys {
		w.sys[i] = make([]float64, 2*mem+1)
	}
	w.rhs = make([]float64, 2*mem)
	w.sums = make([]float64, updateSums(mem))
	for c := range w.part {
		w.part[c] = make([]float64, updateSums(mem))
		w.buf[c] = make([]float64, subChunk)
		w.mk[c] = make([]float64, subChunk)
		w.idx[c] = make([]int32, 0, subChunk)
	}
	m.work = w
	return w
}

// Minimize implements Method.
func (m *LBFGSB) Minimize(obj Objective, x0 []float64, lim Limits) (Local, error) {
	p := obj.Problem()
	nv := p.NumVars()
	if len(x0) != nv {
		return Local{}, fmt.Errorf("optimize: lbfgsb: x has length %d, want %d", len(x0), nv)
	}
	mem := m.memory()
	if lim.canceled() {
		return Local{F: math.NaN(), Residual: math.NaN(), Status: Canceled}, nil
	}
	w := m.workspace(nv, mem)
	threads, pl, asm := parallelism(obj)
	w.asm = asm
	r := &lbfgsRun{p: p, obj: obj, w: w, lim: lim, mem: mem, ch: &chunker{threads: threads, pool: pl},
		x: x0, g: w.g, gt: w.gt, xt: w.xt, gamma: 1,
		pairs: make([]int, 0, mem+1), cS: make([]float64, mem), cY: make([]float64, mem)}
	project(p, r.x)
	var err error
	if r.f, err = r.eval(r.x, r.g); err != nil {
		return Local{}, fmt.Errorf("optimize: lbfgsb: start point: %w", err)
	}
	// epsMask is the eps of the binding set at x (the one the inner
	// products over the free set were computed with); epsHere is eps
	// computed at x, used for the binding set at the next iterate.
	r.res, r.epsHere = residualEps(r.ch, p, r.x, r.g, r.gamma)
	r.epsMask = r.epsHere
	it := 0
	status := Converged
	for {
		if st, done := lim.stop(r.res, it, true); done {
			status = st
			break
		}
		it++
		ft, st, ok := r.step()
		if !ok {
			status = st
			break
		}
		r.accept(ft)
		if lim.Pause != nil && r.res > lim.Tol && lim.Pause(it, r.x) {
			status = Paused
			break
		}
	}
	if &r.x[0] != &x0[0] {
		copy(x0, r.x)
	}
	return Local{F: r.f, Residual: r.res, Status: status, Iterations: it, Evaluations: r.evals}, nil
}

// lbfgsRun is the state of one LBFGSB run: the current point x with its
// gradient g and objective f, the trial point xt with its gradient gt, the
// stored pairs (slots of the work vectors, oldest first) and the scaling
// gamma.
type lbfgsRun struct {
	p     *Problem
	obj   Objective
	w     *lbfgsWork
	lim   Limits
	mem   int
	ch    *chunker
	evals int

	x, g, xt, gt     []float64
	f, res           float64
	epsMask, epsHere float64
	pairs            []int
	cS, cY           []float64
	gamma            float64
}

// eval evaluates the objective, counting.
func (r *lbfgsRun) eval(x, g []float64) (float64, error) {
	r.evals++
	return r.obj.FuncGrad(x, g)
}

// step finds the next iterate: the quasi-Newton direction and a projected
// backtracking search along it; if no step is found, the memory is
// dropped and a scaled steepest-descent step is tried. It returns the
// objective at the accepted trial point xt (gradient gt), or ok false with
// the status to stop with (interrupted, or LineSearchFailed).
func (r *lbfgsRun) step() (ft float64, st Status, ok bool) {
	for attempt := 0; attempt < 2; attempt++ {
		if attempt > 0 {
			r.pairs = r.pairs[:0] // drop the memory, retry as steepest descent
			r.gamma = 1
		}
		ft, accepted, st, stop := r.search()
		if stop {
			return 0, st, false
		}
		if accepted {
			return ft, 0, true
		}
		if len(r.pairs) == 0 {
			break
		}
	}
	return 0, LineSearchFailed, false
}

// search computes the direction (quasi-Newton on the free set, or scaled
// steepest descent without pairs or when that is not a descent direction)
// and backtracks along the projected path P(x + t d): Armijo sufficient
// decrease, or, once the decrease is at the rounding level of f, an
// approximate-Wolfe condition on the slope; a non-finite trial value is
// never accepted. stop reports an interruption (Done closed, deadline) with
// its status.
func (r *lbfgsRun) search() (ft float64, accepted bool, st Status, stop bool) {
	p, w, ch := r.p, r.w, r.ch
	x, g, xt, gt, f := r.x, r.g, r.xt, r.gt, r.f
	cS, cY := r.cS, r.cY
	L := len(r.pairs)
	if L > 0 && !w.reducedCoefficients(r.pairs, r.gamma, cS[:L], cY[:L]) {
		L = 0 // singular system (not seen): steepest descent
	}
	// Direction, slope g.d and, when the first trial step is t = 1 (there
	// are pairs), the trial point P(x + d) and its decrease g.(P(x + d) -
	// x), in one pass.
	xtReady := L > 0
	gd, dmax, dec := w.direction(ch, p, x, g, xt, r.epsMask, r.pairs[:L], r.gamma, cS[:L], cY[:L], xtReady)
	if !(gd < 0) && L > 0 {
		// Not a descent direction: scaled steepest descent.
		xtReady = false
		L = 0
		_, dmax, _ = w.direction(ch, p, x, g, xt, r.epsMask, nil, r.gamma, nil, nil, false)
	}
	t := 1.0
	if L == 0 && dmax > 0 {
		// No curvature information yet: move by at most 1e-2 in the max
		// norm.
		t = math.Min(1, 1e-2/dmax)
	}
	for trial := 0; trial < maxTrials; trial++ {
		if st, stop := r.lim.interrupted(); stop {
			return 0, false, st, true
		}
		if !(trial == 0 && xtReady) {
			dec = w.trialPoint(ch, p, x, g, xt, t)
		}
		if !(dec < 0) {
			break // the projection killed the step
		}
		var err error
		ft, err = r.eval(xt, gt)
		if err != nil {
			t *= 0.1
			continue
		}
		if ft <= f+armijo*dec {
			return ft, true, 0, false
		}
		// Approximate Wolfe (Hager-Zhang) once f is at its rounding level:
		// no increase beyond the noise and the slope at the trial point
		// has not turned strongly up.
		if ft <= f+1e-14*math.Abs(f) && ch.slope(x, xt, gt) <= -0.8*dec {
			return ft, true, 0, false
		}
		// Quadratic interpolation, safeguarded to [0.1t, 0.5t].
		den := 2 * (ft - f - dec)
		tn := 0.5 * t
		if den > 0 {
			tn = math.Min(0.5*t, math.Max(0.1*t, -dec*t/den))
		}
		t = tn
	}
	return 0, false, 0, false
}

// accept moves to the accepted trial point (objective ft): it stores the
// new pair and the inner products of the next direction (update, store),
// keeps the pair if its curvature is positive, and swaps the points.
func (r *lbfgsRun) accept(ft float64) {
	w := r.w
	slot := freeSlot(r.pairs, r.mem+1)
	u := w.update(r.ch, r.p, r.x, r.xt, r.g, r.gt, slot, r.pairs, r.epsHere, r.gamma)
	w.store(u, slot, r.pairs)
	if u.sy > 1e-12*math.Sqrt(u.yy*u.ss) && u.yy > 0 {
		if len(r.pairs) == r.mem {
			copy(r.pairs, r.pairs[1:])
			r.pairs = r.pairs[:r.mem-1]
		}
		r.pairs = append(r.pairs, slot)
		r.gamma = u.sy / u.yy
	}
	r.x, r.xt = r.xt, r.x
	r.g, r.gt = r.gt, r.g
	r.f = ft
	r.res = u.res
	r.epsMask, r.epsHere = r.epsHere, u.eps
}

// reducedCoefficients sets the coefficients of the quasi-Newton step on
// the free set F, d_F = -(gamma gm + sum_j cS[j] s_j + cY[j] y_j) on F
// (pairs oldest first), and reports false if the small system is
// singular. With B = theta I - W M W', W = [Y, theta S], theta = 1/gamma,
// M^-1 = [[-D, L'], [L, theta S'S]] (D and L the diagonal and the strictly
// lower triangle of S'Y), the Sherman-Morrison-Woodbury formula gives
//
//	(B_FF)^-1 g_F = (1/theta) g_F + (1/theta^2) W_F z,
//	(M^-1 - W_F'W_F / theta) z = W_F' g_F,
//
// with W_F the rows of W in F (whose inner products update stored), so
// cY = z_Y / theta^2 and cS = z_S / theta. When F is everything this is the
// L-BFGS step -H g.
func (w *lbfgsWork) reducedCoefficients(pairs []int, gamma float64, cS, cY []float64) bool {
	L := len(pairs)
	n := 2 * L
	th := 1 / gamma
	A := w.sys[:n]
	b := w.rhs[:n]
	for i, a := range pairs {
		for j, c := range pairs {
			// M^-1.
			var lt, lo float64
			if j > i {
				lt = w.sy[c][a] // (L')[i][j] = L[j][i] = s_j.y_i
			}
			if i > j {
				lo = w.sy[a][c] // L[i][j] = s_i.y_j
			}
			yy := 0.0
			if i == j {
				yy = -w.sy[a][a]
			}
			// Minus W_F'W_F / theta: blocks y.y, theta y.s, theta s.y,
			// theta^2 s.s over F.
			A[i][j] = yy - w.fyy[a][c]/th
			A[i][L+j] = lt - w.fsy[c][a]
			A[L+i][j] = lo - w.fsy[a][c]
			A[L+i][L+j] = th*w.ss[a][c] - th*w.fss[a][c]
		}
		b[i] = w.fyg[a]
		b[L+i] = th * w.fsg[a]
	}
	z, ok := solveSmall(A, b)
	if !ok {
		return false
	}
	for i := range pairs {
		cY[i] = z[i] / (th * th)
		cS[i] = z[L+i] / th
	}
	return true
}

// solveSmall solves A z = b (A n x n, its rows at least n long) by Gaussian
// elimination with partial pivoting, in place; z is b. It reports false
// for a zero or non-finite pivot.
func solveSmall(A [][]float64, b []float64) ([]float64, bool) {
	n := len(b)
	for c := 0; c < n; c++ {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(A[r][c]) > math.Abs(A[piv][c]) {
				piv = r
			}
		}
		A[c], A[piv] = A[piv], A[c]
		b[c], b[piv] = b[piv], b[c]
		pv := A[c][c]
		if pv == 0 || math.IsNaN(pv) || math.IsInf(pv, 0) {
			return nil, false
		}
		for r := c + 1; r < n; r++ {
			f := A[r][c] / pv
			if f == 0 {
				continue
			}
			for j := c; j < n; j++ {
				A[r][j] -= f * A[c][j]
			}
			b[r] -= f * b[c]
		}
	}
	for c := n - 1; c >= 0; c-- {
		s := b[c]
		for j := c + 1; j < n; j++ {
			s -= A[c][j] * b[j]
		}
		b[c] = s / A[c][c]
	}
	return b, true
}

// segments calls fn for the parts of [a, b) in W (and b, free variables)
// and in H (bounded below by 0 when bound is set).
func segments(a, b, oh, ob int, relu bool, fn func(lo, hi int, bounded bool)) {
	if lo, hi := a, min(b, oh); lo < hi {
		fn(lo, hi, false)
	}
	if lo, hi := max(a, oh), min(b, ob); lo < hi {
		fn(lo, hi, relu)
	}
	if lo, hi := max(a, ob), b; lo < hi {
		fn(lo, hi, false)
	}
}

// direction sets d = -(cG gm + sum_j cS[j] s_j + cY[j] y_j) on the free
// variables and d_i = -x_i on the binding ones (x_i <= eps, g_i > 0, in
// H), with gm the gradient with binding entries 0. With trial it also sets
// xt = P(x + d). It returns g.d, ||d||_inf and g.(xt - x) (0 without
// trial).
func (w *lbfgsWork) direction(ch *chunker, p *Problem, x, g, xt []float64, eps float64, pairs []int, cG float64, cS, cY []float64, trial bool) (gd, dmax, dec float64) {
	oh, ob := p.offH(), p.offB()
	d := w.d
	asm := w.asm
	ch.run(len(x), func(c, lo, hi int) {
		buf := w.buf[c]
		var sgd, smax, sdec float64
		for a := lo; a < hi; a += subChunk {
			b := min(a+subChunk, hi)
			bf := buf[:b-a]
			segments(a, b, oh, ob, p.ReLU, func(lo, hi int, bounded bool) {
				maskScale(asm, bounded, cG, x[lo:hi], g[lo:hi], eps, bf[lo-a:hi-a])
			})
			for j, sl := range pairs {
				axpy2(asm, cS[j], w.s[sl][a:b], cY[j], w.y[sl][a:b], bf)
			}
			segments(a, b, oh, ob, p.ReLU, func(lo, hi int, bounded bool) {
				var xts []float64
				if trial {
					xts = xt[lo:hi]
				}
				g1, m, d1 := finishDir(asm, bounded, trial, x[lo:hi], g[lo:hi], bf[lo-a:hi-a], d[lo:hi], xts, eps, smax)
				sgd += g1
				smax = m
				sdec += d1
			})
		}
		ch.part[c] = [5]float64{sgd, smax, sdec}
	})
	return ch.sum(len(x), 0), ch.max(len(x), 1), ch.sum(len(x), 2)
}

// trialPoint sets xt = P(x + t d) and returns g.(xt - x).
func (w *lbfgsWork) trialPoint(ch *chunker, p *Problem, x, g, xt []float64, t float64) float64 {
	oh, ob := p.offH(), p.offB()
	d := w.d
	ch.run(len(x), func(c, lo, hi int) {
		dec := 0.0
		segments(lo, hi, oh, ob, p.ReLU, func(lo, hi int, bounded bool) {
			xs, xts, ds, gs := x[lo:hi], xt[lo:hi], d[lo:hi], g[lo:hi]
			xts, ds, gs = xts[:len(xs)], ds[:len(xs)], gs[:len(xs)]
			for i, xv := range xs {
				v := xv + t*ds[i]
				if bounded {
					v = max(v, 0)
				}
				xts[i] = v
				dec += gs[i] * (v - xv)
			}
		})
		ch.part[c][0] = dec
	})
	return ch.sum(len(x), 0)
}

// slope returns gt.(xt - x).
func (ch *chunker) slope(x, xt, gt []float64) float64 {
	ch.run(len(x), func(c, lo, hi int) {
		xs, xts, gts := x[lo:hi], xt[lo:hi], gt[lo:hi]
		xts, gts = xts[:len(xs)], gts[:len(xs)]
		s := 0.0
		for i, xv := range xs {
			s += gts[i] * (xts[i] - xv)
		}
		ch.part[c][0] = s
	})
	return ch.sum(len(x), 0)
}

// pairUpdate holds the results of lbfgsWork.update.
type pairUpdate struct {
	sy, yy, ss float64 // s.y, y.y, s.s of the new pair
	res, eps   float64 // KKT residual and eps at xt
	// The other sums (lbfgsWork.sums): for each stored pair j (in
	// order) s_j.s, y_j.s, s_j.y of the new pair (s, y); then over the
	// free set, for the candidates (the stored pairs and the new one)
	// i <= j, y_i.y_j, s_i.y_j, y_i.s_j, s_i.s_j; then y_i.gm, s_i.gm (and
	// two unused) per candidate.
	sums []float64
}

// update is the pass after the step to xt (gradient gt) was accepted: it
// stores s = xt - x and y = gt - g in slot and computes the inner products
// the next direction needs (see pairUpdate), over the free set F at xt
// (the binding entries, xt <= epsMask and gt > 0 in H, excluded), and the
// KKT residual and eps (with gamma) at xt.
func (w *lbfgsWork) update(ch *chunker, p *Problem, x, xt, g, gt []float64, slot int, pairs []int, epsMask, gamma float64) pairUpdate {
	oh, ob := p.offH(), p.offB()
	sN, yN := w.s[slot], w.y[slot]
	L := len(pairs)
	nc := L + 1 // candidates: the stored pairs, then the new one
	cand := func(i int) int {
		if i < L {
			return pairs[i]
		}
		return slot
	}
	ns := updateSums(L)
	asm := w.asm
	ch.run(len(x), func(c, lo, hi int) {
		buf, mk := w.buf[c], w.mk[c]
		part := w.part[c][:ns]
		for i := range part {
			part[i] = 0
		}
		var res, eps float64
		for a := lo; a < hi; a += subChunk {
			b := min(a+subChunk, hi)
			bf, mf := buf[:b-a], mk[:b-a]
			segments(a, b, oh, ob, p.ReLU, func(lo, hi int, bounded bool) {
				o := pairStep(asm, bounded, x[lo:hi], xt[lo:hi], g[lo:hi], gt[lo:hi], sN[lo:hi], yN[lo:hi], bf[lo-a:hi-a], mf[lo-a:hi-a], epsMask, gamma, res, eps)
				for i := 0; i < 5; i++ {
					part[i] += o[i]
				}
				res, eps = o[5], o[6]
			})
			k := 7
			for _, sl := range pairs {
				o := dot4(asm, w.s[sl][a:b], w.y[sl][a:b], sN[a:b], yN[a:b])
				part[k] += o[0]
				part[k+1] += o[1]
				part[k+2] += o[2]
				k += 3
			}
			w.freeProducts(c, part, k, a, b, nc, cand, bf, mf)
		}
		part[5], part[6] = res, eps
	})
	sums := w.sums[:ns]
	for i := range sums {
		sums[i] = 0
	}
	u := pairUpdate{sums: sums}
	for c := 0; c < numChunks(len(x)); c++ {
		part := w.part[c]
		for i := range sums {
			if i == 5 || i == 6 {
				sums[i] = max(sums[i], part[i])
			} else {
				sums[i] += part[i]
			}
		}
	}
	u.ss, u.sy, u.yy = sums[0], sums[1], sums[2]
	u.res, u.eps = sums[5], min(sums[6], 1e-3)
	if !p.ReLU {
		u.eps = 0
	}
	return u
}

// freeProducts adds to part[k:] the inner products over the free set F of
// the sub-chunk [a, b) (mask mf, masked gradient bf) that update needs: for
// the candidates i <= j (cand(0..nc-1)), y_i.y_j, s_i.y_j, y_i.s_j, s_i.s_j;
// then per candidate y_i.gm, s_i.gm (and two unused). Near a solution most
// of H is at the bound: a sub-chunk with at most sparseFree free entries is
// done on their indices only (w.idx[c] is the scratch of chunk c).
func (w *lbfgsWork) freeProducts(c int, part []float64, k, a, b, nc int, cand func(int) int, bf, mf []float64) {
	idx := w.idx[c][:0]
	for i, m := range mf {
		if m != 0 {
			idx = append(idx, int32(i))
		}
	}
	prod := func(u, v, p, q []float64) [4]float64 {
		if len(idx) <= sparseFree {
			return dot4Indexed(idx, u, v, p, q)
		}
		return dot4m(w.asm, u, v, p, q, mf)
	}
	for i := 0; i < nc; i++ {
		yi, si := w.y[cand(i)][a:b], w.s[cand(i)][a:b]
		for j := i; j < nc; j++ {
			o := prod(yi, si, w.y[cand(j)][a:b], w.s[cand(j)][a:b])
			for q, v := range o {
				part[k+q] += v
			}
			k += 4
		}
	}
	for i := 0; i < nc; i++ {
		o := prod(w.y[cand(i)][a:b], w.s[cand(i)][a:b], bf, bf)
		for q, v := range o {
			part[k+q] += v
		}
		k += 4
	}
}

// store records the inner products of update for the pairs and the new
// slot.
func (w *lbfgsWork) store(u pairUpdate, slot int, pairs []int) {
	L := len(pairs)
	nc := L + 1
	cand := func(i int) int {
		if i < L {
			return pairs[i]
		}
		return slot
	}
	k := 7
	for _, a := range pairs {
		w.ss[a][slot], w.ss[slot][a] = u.sums[k], u.sums[k]
		w.sy[slot][a] = u.sums[k+1]
		w.sy[a][slot] = u.sums[k+2]
		k += 3
	}
	w.ss[slot][slot], w.sy[slot][slot] = u.ss, u.sy
	for i := 0; i < nc; i++ {
		a := cand(i)
		for j := i; j < nc; j++ {
			c := cand(j)
			o := u.sums[k : k+4]
			w.fyy[a][c], w.fyy[c][a] = o[0], o[0]
			w.fsy[a][c] = o[1] // s_a.y_c
			w.fsy[c][a] = o[2] // s_c.y_a = y_a.s_c
			w.fss[a][c], w.fss[c][a] = o[3], o[3]
			k += 4
		}
	}
	for i := 0; i < nc; i++ {
		a := cand(i)
		w.fyg[a], w.fsg[a] = u.sums[k], u.sums[k+1]
		k += 4
	}
}

// freeSlot returns a slot index in [0, n) not in pairs.
func freeSlot(pairs []int, n int) int {
	for k := 0; k < n; k++ {
		used := false
		for _, q := range pairs {
			used = used || q == k
		}
		if !used {
			return k
		}
	}
	panic("optimize: no free L-BFGS slot") // unreachable: len(pairs) < n
}

// residualEps returns the KKT residual of (x, g) (as Problem.Residual) and,
// for the binding set, eps = min(1e-3, ||x_H - P(x_H - gamma g_H)||_inf),
// in one pass.
func residualEps(ch *chunker, p *Problem, x, g []float64, gamma float64) (res, eps float64) {
	oh, ob := p.offH(), p.offB()
	res = max(absMax(g[:oh]), absMax(g[ob:]))
	if !p.ReLU {
		return max(res, absMax(g[oh:ob])), 0
	}
	h, gh := x[oh:ob], g[oh:ob]
	ch.run(len(h), func(c, lo, hi int) {
		r, e := residualEpsH(h[lo:hi], gh[lo:hi], gamma)
		ch.part[c][0], ch.part[c][1] = r, e
	})
	return max(res, ch.max(len(h), 0)), min(ch.max(len(h), 1), 1e-3)
}

// residualEpsH returns max_i |min(h_i, g_i)| and max_i |min(h_i, gamma g_i)|
// for h >= 0 (the projected features) and finite g (FuncGrad rejects
// non-finite gradients), gamma > 0.
func residualEpsH(h, g []float64, gamma float64) (float64, float64) {
	r, e := residualEpsBits(h, g, gamma)
	return math.Float64frombits(r), math.Float64frombits(e)
}

// residualEpsBits is residualEpsH returning the bit patterns, without
// branches: the absolute values of non-negative floats are ordered like
// their bit patterns, and |min(h, g)| is |g| when g < 0 (then h is replaced
// by +Inf) and min(h, |g|) otherwise. The data-dependent branches of the
// float comparisons measured about twice slower.
func residualEpsBits(h, g []float64, gamma float64) (uint64, uint64) {
	const (
		sign = 1 << 63
		inf  = 0x7ff0000000000000
	)
	g = g[:len(h)]
	var r, e uint64
	for i, v := range h {
		gi := g[i]
		gb := math.Float64bits(gi)
		vb := math.Float64bits(v)&^sign | uint64(int64(gb)>>63)&inf
		r = max(r, min(vb, gb&^sign))
		e = max(e, min(vb, math.Float64bits(gamma*gi)&^sign))
	}
	return r, e
}
