package optimize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"nccheck/setting"
)

// escaper moves a restart off stationary points that are not local minima
// because a class would gain from features on a coordinate that no class
// uses: classes whose features are all zero ("dead" ReLU classes), and live
// classes that share their feature coordinates with other classes while a
// coordinate is unused or can be freed.
//
// The test is one of second order, computed from the point, not from the
// predicted minimizer. Let j be an unused coordinate (row j of H is zero,
// hence column j of W is zero at a stationary point), G = (P - Y)/N the
// K x N matrix of the gradient of the loss with respect to the logits, and
// q_k = G 1_k its sum over the samples of class k. Moving along
//
//	h_{k,i}[j] = t (every sample of class k),   W[:, j] = -t a q_k,
//
// changes f by t^2 (-a ||q_k||^2 + (lambda_W/2) a^2 ||q_k||^2 +
// (lambda_H/2) n_k) + O(t^3), which with the balancing
// a = sqrt(lambda_H n_k / lambda_W) / ||q_k|| is
//
//	t^2 lambda_H n_k (1 - sqrt(r_k)),   r_k = ||q_k||^2 / (lambda_W lambda_H n_k).
//
// So r_k > 1 is a direction of negative curvature (the point is a saddle).
// At a true minimum every class has r_k <= 1, and a minimum whose classes
// share coordinates would be kept: a move is accepted only if it lowers f.
// (For a dead class, whose probabilities are uniform, the direction of W is
// (e_k - 1/K 1): the classical rank-one revival. Its r_k does not depend on
// the other variables, so it can be tested before the local run has
// converged.)
//
// Escape steps, repeated at most Settings.MaxEscapes times per restart:
//
//  0. The local run is left early (pauseHook) once the same dead classes
//     with r_k > 1 have been seen at three polls five iterations apart, and enough
//     coordinates can be freed for all of them: a dead class stays dead
//     under the local method, and converging first only to revive it
//     afterwards repeats the final phase of convergence.
//  1. Compute r_k for every class; the candidates are the classes with
//     r_k above 1 by more than the noise that the KKT residual allows
//     (see candidates), largest first (ties by index).
//  2. Find unused coordinates, one per candidate. When there are too few
//     (ReLU), free some: a class that owns several coordinates no other
//     class uses is rotated by a Householder reflection of those
//     coordinates, applied to the class's features and to the same
//     columns of W, that maps the class mean onto one coordinate. This
//     leaves W H, the norms and so f unchanged (up to rounding, and up to
//     clipping negative entries when the class is not collapsed).
//  3. Move all the candidates at once, each along its own coordinate
//     (batch). The moves do not interact, so one evaluation gives the
//     change of f of every move (per-class losses): the step of each is
//     chosen on a grid of created logit margins and refined by a
//     golden-section search, all classes in the same 21 evaluations; the
//     moves that lower f are applied together (checked by one more
//     evaluation), then the local method runs from the new point.
//  4. If nothing moved and a dead class still has r_k > 1 (no coordinate
//     could be freed, or no step lowered f), once per restart: random
//     revival of all dead classes (random non-negative features of the
//     size of the live classes' means, the matching classifier row along
//     their mean), followed by a local run; kept only if its final
//     objective is lower. Dead classes with r_k <= 1 are not revived: the
//     point is second-order stationary in their directions.
type escaper struct {
	p      *Problem
	e      *Evaluator
	method Method
	set    Settings
	// lim are the limits of the local runs, with the pause hook (see
	// pauseHook) until the escapes turn it off.
	lim  Limits
	rng  *rand.Rand
	work *escapeWork
}

// escapeWork holds the work vectors of the escapes of one worker: a trial
// point, a consolidated point, a gradient and the per-sample losses,
// allocated by the first escape step and kept for the worker's later
// restarts (see Problem.PredictMemory).
type escapeWork struct {
	xt, xc, g, loss []float64
}

// vectors returns the work vectors for p, allocating them on first use.
func (w *escapeWork) vectors(p *Problem) (xt, xc, g []float64) {
	if w.xt == nil {
		w.xt = make([]float64, p.NumVars())
		w.xc = make([]float64, p.NumVars())
		w.g = make([]float64, p.NumVars())
		w.loss = make([]float64, p.N())
	}
	return w.xt, w.xc, w.g
}

// curvatureTol is the least margin by which r_k must exceed 1 for class k
// to be an escape candidate (see escaper.candidates).
const curvatureTol = 1e-9

// lower reports whether a is below b by more than the rounding level.
func lower(a, b float64) bool { return a < b-1e-13*math.Abs(b) }

// candidate is a class with a direction of negative curvature.
type candidate struct {
	k int
	r float64 // the ratio r_k > 1
}

func (s *escaper) run(x []float64, loc Local, rep *RestartReport) (Local, error) {
	p := s.p
	xt, xc, g := s.work.vectors(p)
	q := make([][]float64, p.K())
	for k := range q {
		q[k] = make([]float64, p.K())
	}
	local := func(x []float64) (Local, error) {
		l, err := s.method.Minimize(s.e, x, s.lim)
		rep.Iterations += l.Iterations
		return l, err
	}
	triedRandom := false
	for {
		if st, stop := s.lim.interrupted(); stop {
			loc.Status = st
			break
		}
		if rep.Escapes >= s.set.MaxEscapes {
			if loc.Status == Paused {
				s.lim.Pause = nil
				l, err := local(x)
				if err != nil {
					return loc, err
				}
				loc = l
			}
			break
		}
		f, err := s.e.FuncGrad(x, g)
		if err != nil {
			break // cannot happen at a point the local method accepted
		}
		cands := s.candidates(x, g, q)
		zero := ZeroMeanClasses(p, x)
		if len(cands) > 0 {
			moved, err := s.batch(x, xt, xc, g, f, cands, q)
			if err != nil {
				return loc, err
			}
			if moved > 0 {
				l, err := local(x)
				if err != nil {
					return loc, fmt.Errorf("local run after rank-one escape: %w", err)
				}
				rep.Escapes++
				rep.EscapedClasses += moved
				loc = l
				continue
			}
		}
		if loc.Status == Paused {
			// Nothing to move at a point the local run left early:
			// converge first (without pausing again), then test again.
			s.lim.Pause = nil
			l, err := local(x)
			if err != nil {
				return loc, err
			}
			loc = l
			continue
		}
		// Random revival, once, of the zero classes when one of them has
		// a direction of negative curvature that the rank-one moves did
		// not take (no coordinate could be freed, or no step lowered f).
		// Zero classes without one (r_k <= 1) are left: the point is a
		// second-order stationary point in their directions.
		if triedRandom || !anyZeroCandidate(zero, cands) {
			break
		}
		triedRandom = true
		copy(xt, x)
		s.randomRevival(xt, zero)
		l, err := local(xt)
		if err != nil {
			// A revived start that is not finite is simply rejected.
			continue
		}
		if lower(l.F, loc.F) {
			copy(x, xt)
			loc = l
			rep.Escapes++
			rep.EscapedClasses += len(zero)
			continue
		}
		break
	}
	return loc, nil
}

// pauseHook returns the function with which a local run is left early
// (Limits.Pause, acting every pauseEvery iterations) to escape before
// full convergence: when some zero classes (ZeroMeanClasses) have a direction
// of negative curvature, r_k > 1 + curvatureTol (for a class whose features
// are all zero this does not depend on the accuracy of the other
// variables), and that set of classes has not changed over the last
// pauseChecks polls. A dead class stays dead under the local method, so
// waiting for full convergence before reviving it only repeats the final
// phase of convergence.
func (s *escaper) pauseHook() func(it int, x []float64) bool {
	p := s.p
	q := make([][]float64, p.K())
	for k := range q {
		q[k] = make([]float64, p.K())
	}
	var last, zero []int
	means := make([][]float64, p.K())
	for k := range means {
		means[k] = make([]float64, p.Dim)
	}
	var mass [][]float64
	same := 0
	return func(it int, x []float64) bool {
		if it%pauseEvery != 0 {
			return false
		}
		s.e.classGradients(q)
		var dead []int
		classMeansInto(p, x, means)
		zero = zeroMeanClassesOf(means, zero[:0])
		for _, k := range zero {
			if dot(q[k], q[k])/(p.LambdaW*p.LambdaH*float64(p.Counts[k])) > 1+curvatureTol {
				dead = append(dead, k)
			}
		}
		if len(dead) == 0 || !slices.Equal(dead, last) {
			last, same = dead, 0
			return false
		}
		same++
		if same < pauseChecks-1 {
			return false
		}
		var free int
		mass, free = freeableCoordinates(p, x, mass)
		return free >= len(dead)
	}
}

// freeableCoordinates returns the number of coordinates an escape step
// could use at x: the unused ones (see unusedCoordinates) and those that
// consolidate would free (all but one of the coordinates each class owns).
func freeableCoordinates(p *Problem, x []float64, mass [][]float64) ([][]float64, int) {
	d := p.Dim
	mass, big := classCoordinateMass(p, x, mass)
	tiny := unusedMass(p) * big
	owned := make([]int, p.K())
	free := 0
	for j := 0; j < d; j++ {
		owner, users := -1, 0
		for k := range mass {
			if mass[k][j] > tiny {
				owner = k
				users++
			}
		}
		switch users {
		case 0:
			free++
		case 1:
			owned[owner]++
		}
	}
	for _, n := range owned {
		free += max(0, n-1)
	}
	return mass, free
}

// classCoordinateMass returns mass[k][j], the sum over the samples of
// class k of |h_j| (in mass when it has the right shape), and the largest
// entry.
func classCoordinateMass(p *Problem, x []float64, mass [][]float64) ([][]float64, float64) {
	d := p.Dim
	if len(mass) != p.K() {
		mass = make([][]float64, p.K())
		for k := range mass {
			mass[k] = make([]float64, d)
		}
	}
	big := 0.0
	o := p.offH()
	for k, c := range p.Counts {
		for j := range mass[k] {
			mass[k][j] = 0
		}
		for i := 0; i < c; i++ {
			for j, v := range x[o+i*d : o+(i+1)*d] {
				mass[k][j] += math.Abs(v)
			}
		}
		o += c * d
		for _, m := range mass[k] {
			big = math.Max(big, m)
		}
	}
	return mass, big
}

const (
	pauseEvery  = 5 // iterations between the tests of the pause hook
	pauseChecks = 3 // polls with the same dead classes before pausing
)

// anyZeroCandidate reports whether a class in zero is in cands.
func anyZeroCandidate(zero []int, cands []candidate) bool {
	for _, k := range zero {
		for _, c := range cands {
			if c.k == k {
				return true
			}
		}
	}
	return false
}

// move is the rank-one escape of class k along the unused coordinate j:
// features h_{k,i}[j] += t, W[:, j] += t a q_k.
type move struct {
	k, j int
	a    float64
	best float64 // the t chosen (0: none)
	u    float64 // its level (see batch)
	df   float64 // the change of f it makes alone
}

// batch tries the escapes of all candidates at once, each along its own
// unused coordinate (freed first by consolidate when there are too few), and
// stores the moved point in x when f decreases. It returns the number of
// classes moved (0: x unchanged).
//
// The moves of different classes touch disjoint entries of H (each class's
// own samples) and different columns of W, and a coordinate that no sample
// uses carries no logit of any other class, so the change of f is the sum
// of the changes each move makes alone: the per-class part of the loss
// (Evaluator.sampleLoss) plus the penalties of the move's own entries.
// Each trial step is therefore evaluated for all classes in one
// evaluation (moveSearch), every class keeps its best step, and the
// combination is checked by one more evaluation (apply).
func (s *escaper) batch(x, xt, xc, g []float64, f float64, cands []candidate, q [][]float64) (int, error) {
	base, free, cands := s.freeCoordinates(x, xc, g, cands, q)
	moves := s.plan(cands, free, q)
	if len(moves) == 0 {
		return 0, nil
	}
	ms, err := s.newMoveSearch(base, xt, g, moves, q)
	if err != nil {
		return 0, nil // the base point is not finite: nothing to try
	}
	ms.search()
	return s.apply(x, ms, f)
}

// freeCoordinates returns the point the moves start from and its unused
// coordinates: x, or, when x has fewer unused coordinates than candidates
// (ReLU), xc = x with classes that own several coordinates rotated onto one
// (consolidate: f unchanged up to rounding and clipping), evaluated into g
// and with its candidates recomputed (returned).
func (s *escaper) freeCoordinates(x, xc, g []float64, cands []candidate, q [][]float64) ([]float64, []int, []candidate) {
	p := s.p
	free := unusedCoordinates(p, x)
	if len(free) >= len(cands) || !p.ReLU {
		return x, free, cands
	}
	copy(xc, x)
	changed := false
	var mass [][]float64
	for len(free) < len(cands) {
		var ok bool
		if mass, ok = consolidate(p, xc, mass); !ok {
			break
		}
		changed = true
		free = unusedCoordinates(p, xc)
	}
	if !changed {
		return x, free, cands
	}
	if _, err := s.e.FuncGrad(xc, g); err != nil {
		return x, unusedCoordinates(p, x), cands
	}
	return xc, free, s.candidates(xc, g, q)
}

// plan pairs the candidates (largest r_k first) with the free coordinates,
// one each, with the balanced scales of the move: W[:, j] = -t c q_k /
// ||q_k||, h[j] = t, c = sqrt(lambda_H n_k / lambda_W).
func (s *escaper) plan(cands []candidate, free []int, q [][]float64) []move {
	p := s.p
	n := min(len(cands), len(free))
	if n == 0 {
		return nil
	}
	moves := make([]move, 0, n)
	for i, c := range cands[:n] {
		qn := math.Sqrt(dot(q[c.k], q[c.k]))
		if !(qn > 0) {
			continue
		}
		cc := math.Sqrt(p.LambdaH * float64(p.Counts[c.k]) / p.LambdaW)
		moves = append(moves, move{k: c.k, j: free[i], a: -cc / qn})
	}
	return moves
}

// moveSearch is the line search of the moves of one escape step, all
// classes at once: a step is given by its level u = log10 of the logit
// margin t^2 c it creates (c = sqrt(lambda_H n_k / lambda_W)); one
// evaluation (eval) measures the change of f that every move makes alone at
// its own level, and each move keeps its best step (move.best, .u, .df).
type moveSearch struct {
	s        *escaper
	base, xt []float64 // the point the moves start from, and the trial point
	g        []float64 // gradient scratch
	moves    []move
	q        [][]float64
	baseLoss []float64 // per-class loss sums at base
	trial    []float64 // per-class loss sums at the trial point
	ts       []float64 // the steps of the trial
	dfs      []float64 // the change of f of every move at the trial
}

// newMoveSearch evaluates the per-class losses at base.
func (s *escaper) newMoveSearch(base, xt, g []float64, moves []move, q [][]float64) (*moveSearch, error) {
	K := s.p.K()
	ms := &moveSearch{s: s, base: base, xt: xt, g: g, moves: moves, q: q,
		baseLoss: make([]float64, K)}
	if _, err := s.e.funcGradLoss(base, g, s.work.loss); err != nil {
		return nil, err
	}
	s.classSums(s.work.loss, ms.baseLoss)
	ms.trial = make([]float64, K)
	ms.ts = make([]float64, len(moves))
	ms.dfs = make([]float64, len(moves))
	return ms, nil
}

// step returns the step t of move m at level u.
func (ms *moveSearch) step(m move, u float64) float64 {
	p := ms.s.p
	cc := math.Sqrt(p.LambdaH * float64(p.Counts[m.k]) / p.LambdaW)
	return math.Sqrt(math.Pow(10, u) / cc)
}

// eval evaluates every move i at level us[i] in one evaluation, stores the
// change of f each makes alone in dfs, and updates each move's best step.
// It reports false when the run is interrupted (run notices it before the
// next step) or the trial point is not finite.
func (ms *moveSearch) eval(us []float64) bool {
	s := ms.s
	p := s.p
	if _, stop := s.lim.interrupted(); stop {
		return false
	}
	for i, m := range ms.moves {
		ms.ts[i] = ms.step(m, us[i])
	}
	s.shiftAll(ms.base, ms.xt, ms.moves, ms.ts, ms.q)
	if _, err := s.e.funcGradLoss(ms.xt, ms.g, s.work.loss); err != nil {
		return false
	}
	s.classSums(s.work.loss, ms.trial)
	for i := range ms.moves {
		m := &ms.moves[i]
		ms.dfs[i] = (ms.trial[m.k]-ms.baseLoss[m.k])/float64(p.N()) + s.penaltyChange(ms.base, m, ms.ts[i], ms.q[m.k])
		if ms.dfs[i] < m.df {
			m.df, m.best, m.u = ms.dfs[i], ms.ts[i], us[i]
		}
	}
	return true
}

// The grid of the move search: margins from 1e-3 to 1e2 by factors of
// sqrt(10).
const uMin, uMax, uStep = -3.0, 2.0, 0.5

// search runs the grid of levels, the same level for every move, then
// escapeRefine golden-section steps of each move's level around its best
// grid point, all moves in the same evaluations: 11 + 2 + escapeRefine
// evaluations. A revived dead class is then at the minimum of f along its
// move: on its own coordinate it is decoupled from the other classes, and
// the balanced scales are those of the optimum, so the local run that
// follows has little left to do for it.
func (ms *moveSearch) search() {
	n := len(ms.moves)
	us := make([]float64, n)
	for u := uMin; u <= uMax; u += uStep {
		for i := range us {
			us[i] = u
		}
		ms.eval(us)
	}
	const phi = 0.6180339887498949
	lo, hi := make([]float64, n), make([]float64, n)
	c, d := make([]float64, n), make([]float64, n)
	fc, fd := make([]float64, n), make([]float64, n)
	for i, m := range ms.moves {
		lo[i], hi[i] = math.Max(m.u-uStep, uMin), math.Min(m.u+uStep, uMax)
		c[i] = hi[i] - phi*(hi[i]-lo[i])
		d[i] = lo[i] + phi*(hi[i]-lo[i])
	}
	if ms.eval(c) {
		copy(fc, ms.dfs)
	}
	if ms.eval(d) {
		copy(fd, ms.dfs)
	}
	for it := 0; it < escapeRefine; it++ {
		for i := range ms.moves {
			if fc[i] < fd[i] {
				hi[i], d[i], fd[i] = d[i], c[i], fc[i]
				c[i] = hi[i] - phi*(hi[i]-lo[i])
				us[i] = c[i]
			} else {
				lo[i], c[i], fc[i] = c[i], d[i], fd[i]
				d[i] = lo[i] + phi*(hi[i]-lo[i])
				us[i] = d[i]
			}
		}
		ok := ms.eval(us)
		for i := range ms.moves {
			v := math.Inf(1)
			if ok {
				v = ms.dfs[i]
			}
			if us[i] == c[i] {
				fc[i] = v
			} else {
				fd[i] = v
			}
		}
	}
}

// apply keeps the moves of the search that lower f by more than its
// rounding level and stores base plus all of them in x if that lowers f
// (checked by one evaluation); if it does not, it tries the best single
// move. It returns the number of classes moved.
func (s *escaper) apply(x []float64, ms *moveSearch, f float64) (int, error) {
	kept := ms.moves[:0]
	for _, m := range ms.moves {
		if m.best > 0 && m.df < -1e-13*math.Abs(f) {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		return 0, nil
	}
	try := func(moves []move) bool {
		if _, stop := s.lim.interrupted(); stop {
			return false
		}
		for i, m := range moves {
			ms.ts[i] = m.best
		}
		s.shiftAll(ms.base, ms.xt, moves, ms.ts[:len(moves)], ms.q)
		ft, err := s.e.FuncGrad(ms.xt, ms.g)
		if err != nil || !lower(ft, f) {
			return false
		}
		copy(x, ms.xt)
		return true
	}
	if try(kept) {
		return len(kept), nil
	}
	if len(kept) > 1 {
		best := 0
		for i, m := range kept {
			if m.df < kept[best].df {
				best = i
			}
		}
		if try(kept[best : best+1]) {
			return 1, nil
		}
	}
	return 0, nil
}

// escapeRefine is the number of golden-section steps that refine the
// step of each escape move (see batch).
const escapeRefine = 8

// classSums sets out[k] to the sum of v over the samples of class k.
func (s *escaper) classSums(v, out []float64) {
	i := 0
	for k, c := range s.p.Counts {
		sum := 0.0
		for _, x := range v[i : i+c] {
			sum += x
		}
		out[k] = sum
		i += c
	}
}

// penaltyChange returns the change of the penalties made by move m with
// step t from x: (lambda_W/2) (||W[:,j] + t a q||^2 - ||W[:,j]||^2) +
// (lambda_H/2) sum_i ((h_{k,i}[j] + t)^2 - h_{k,i}[j]^2).
func (s *escaper) penaltyChange(x []float64, m *move, t float64, qk []float64) float64 {
	p := s.p
	d := p.Dim
	dw := 0.0
	for l, u := range qk {
		w := x[l*d+m.j]
		dw += 2*w*t*m.a*u + (t*m.a*u)*(t*m.a*u)
	}
	dh := 0.0
	o := p.offH() + p.ClassStart(m.k)*d
	for i := 0; i < p.Counts[m.k]; i++ {
		h := x[o+i*d+m.j]
		dh += 2*h*t + t*t
	}
	return 0.5*p.LambdaW*dw + 0.5*p.LambdaH*dh
}

// shiftAll sets xt = x plus every move i with step ts[i] (see shift).
func (s *escaper) shiftAll(x, xt []float64, ms []move, ts []float64, q [][]float64) {
	copy(xt, x)
	for i, m := range ms {
		s.addShift(xt, m.k, m.j, ts[i], m.a, q[m.k])
	}
}

// candidates stores q_k = G 1_k in q[k] (from the evaluator's last
// FuncGrad, which must have been at x, with gradient g) and returns the
// classes with r_k = ||q_k||^2 / (lambda_W lambda_H n_k) above 1 by more
// than its noise, largest r_k first, ties by class index.
//
// At a stationary point a live class whose features lie on coordinates of
// its own has r_k = 1 exactly; with a KKT residual eps the stationarity
// equations of its columns of W and of its features give
//
//	|r_k - 1| <= delta_k = eps (sqrt(K) ||q_k|| / (v_k lambda_W lambda_H n_k) + 1/(v_k lambda_H)),
//
// v_k the norm of its mean feature (measured at global minima: |r_k - 1|
// up to 0.65 delta_k). A class counts when r_k > 1 + max(1e-9, 4 delta_k);
// delta_k = 0 for a class whose mean is ~0 (see ZeroMeanClasses), whose r_k
// does not depend on the accuracy of its own features.
func (s *escaper) candidates(x, g []float64, q [][]float64) []candidate {
	p := s.p
	K := p.K()
	s.e.classGradients(q)
	eps := p.Residual(x, g)
	means := classMeans(p, x)
	norms := make([]float64, K)
	big := 0.0
	for k, m := range means {
		norms[k] = math.Sqrt(dot(m, m))
		big = math.Max(big, norms[k])
	}
	var c []candidate
	for k, n := range p.Counts {
		nk := float64(n)
		qq := dot(q[k], q[k])
		r := qq / (p.LambdaW * p.LambdaH * nk)
		tol := curvatureTol
		if v := norms[k]; v > 1e-6*big {
			delta := eps * (math.Sqrt(float64(K)*qq)/(v*p.LambdaW*p.LambdaH*nk) + 1/(v*p.LambdaH))
			tol = max(tol, 4*delta)
		}
		if r > 1+tol {
			c = append(c, candidate{k, r})
		}
	}
	sort.SliceStable(c, func(a, b int) bool { return c[a].r > c[b].r })
	return c
}

// unusedMass returns the mass, relative to the largest, below which a
// coordinate counts as unused (by a class, or by all): 1e-12 for the
// cross-entropies, whose unused coordinates carry exact zeros at a
// converged point (the feature gradient there is of first order and
// positive: the classifier's rows are centred, so another class's column
// pushes the entry to the bound), and 1e-6 for the squared error, whose
// classifier rows are not centred (W Hbar = diag(z), theory.md section
// 12b): an entry of class k on a coordinate of class m meets a gradient of
// second order only and is left at the noise level of the KKT residual
// (measured up to 4e-9 of the largest mass on a K = 24 setting at residual
// 1e-10), not at 0. A move onto a coordinate with such noise is still
// checked by its evaluation.
func unusedMass(p *Problem) float64 {
	if p.Loss.Kind() == setting.SquaredError {
		return 1e-6
	}
	return 1e-12
}

// unusedCoordinates returns the coordinates j whose row of H is zero (at
// most unusedMass of the largest row mass), in increasing order.
func unusedCoordinates(p *Problem, x []float64) []int {
	d := p.Dim
	mass := make([]float64, d)
	h := x[p.offH():p.offB()]
	for i, v := range h {
		mass[i%d] += math.Abs(v)
	}
	big := 0.0
	for _, m := range mass {
		big = math.Max(big, m)
	}
	var free []int
	for j, m := range mass {
		if m <= unusedMass(p)*big {
			free = append(free, j)
		}
	}
	return free
}

// addShift adds to x the move of class k along coordinate j with step t:
// h_{k,i}[j] += t on the samples of class k, W[:, j] += t a u.
func (s *escaper) addShift(x []float64, k, j int, t, a float64, u []float64) {
	p := s.p
	K, d := p.K(), p.Dim
	for l := 0; l < K; l++ {
		x[l*d+j] += t * a * u[l]
	}
	o := p.offH() + p.ClassStart(k)*d
	for i := 0; i < p.Counts[k]; i++ {
		x[o+i*d+j] += t
	}
}

// randomRevival gives every class in zero random non-negative features with
// the norm of the live classes' means, and sets its classifier row along
// their mean with the typical row norm of W.
func (s *escaper) randomRevival(x []float64, zero []int) {
	p := s.p
	K, d := p.K(), p.Dim
	means := classMeans(p, x)
	isZero := make([]bool, K)
	for _, k := range zero {
		isZero[k] = true
	}
	hn, alive := 0.0, 0
	for k, m := range means {
		if !isZero[k] {
			hn += math.Sqrt(dot(m, m))
			alive++
		}
	}
	wn := math.Sqrt(dot(x[:K*d], x[:K*d]) / float64(K))
	if alive == 0 || hn == 0 {
		// Everything is zero: use the scales of a fresh start.
		InitialPoint(p, s.rng.Uint64(), s.set.InitScale, x)
		return
	}
	hn /= float64(alive)
	if wn == 0 {
		wn = hn
	}
	sd := hn / math.Sqrt(float64(d))
	mean := make([]float64, d)
	for _, k := range zero {
		for j := range mean {
			mean[j] = 0
		}
		o := p.offH() + p.ClassStart(k)*d
		for i := 0; i < p.Counts[k]; i++ {
			for j := 0; j < d; j++ {
				v := sd * s.rng.NormFloat64()
				if p.ReLU {
					v = math.Abs(v)
				}
				x[o+i*d+j] = v
				mean[j] += v
			}
		}
		mn := math.Sqrt(dot(mean, mean))
		for j := 0; j < d; j++ {
			x[k*d+j] = wn * mean[j] / mn
		}
	}
}

// consolidate looks for a class that owns two or more coordinates (its
// features are non-zero there and every other class's are zero) and
// reflects those coordinates so that the class mean lies on the first of
// them; it applies the same reflection to the columns of W, clears the
// other owned coordinates (in H and W) and clips negative features to 0. It
// returns false when no class owns several coordinates. mass is scratch
// for classCoordinateMass (returned for reuse).
func consolidate(p *Problem, x []float64, mass [][]float64) ([][]float64, bool) {
	K, d := p.K(), p.Dim
	mass, big := classCoordinateMass(p, x, mass)
	tiny := unusedMass(p) * big
	for l := 0; l < K; l++ {
		var own []int
		for j := 0; j < d; j++ {
			if mass[l][j] <= tiny {
				continue
			}
			mine := true
			for k := 0; k < K; k++ {
				if k != l && mass[k][j] > tiny {
					mine = false
					break
				}
			}
			if mine {
				own = append(own, j)
			}
		}
		if len(own) < 2 {
			continue
		}
		// Householder v = m - ||m|| e_1 on the owned coordinates.
		v := make([]float64, len(own))
		for a, j := range own {
			v[a] = mass[l][j]
		}
		v[0] -= math.Sqrt(dot(v, v))
		vv := dot(v, v)
		if vv == 0 {
			continue
		}
		reflect := func(base, stride int) {
			s := 0.0
			for a, j := range own {
				s += v[a] * x[base+j*stride]
			}
			s *= 2 / vv
			for a, j := range own {
				x[base+j*stride] -= s * v[a]
			}
		}
		for k := 0; k < K; k++ { // rows of W: w_k <- Q w_k on the owned columns
			reflect(k*d, 1)
		}
		oh := p.offH() + p.ClassStart(l)*d
		for i := 0; i < p.Counts[l]; i++ {
			reflect(oh+i*d, 1)
			for a, j := range own {
				if a > 0 || x[oh+i*d+j] < 0 {
					x[oh+i*d+j] = 0
				}
			}
		}
		// The other owned coordinates now carry only the class's spread
		// around its mean (zero for a collapsed class): clear them, in H
		// and in W, so that they are free.
		for k := 0; k < K; k++ {
			for _, j := range own[1:] {
				x[k*d+j] = 0
			}
		}
		return mass, true
	}
	return mass, false
}
