package optimize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// escaper moves a converged restart off stationary points that are not
// local minima because a class would gain from features on a coordinate
// that no class uses: classes whose features are all zero ("dead" ReLU
// classes), and live classes that share their feature coordinates with
// other classes while a coordinate is unused or can be freed.
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
// (e_k - 1/K 1): the classical rank-one revival.)
//
// Escape steps, repeated at most Settings.MaxEscapes times per restart:
//
//  1. Compute r_k for every class; the candidates are the classes with
//     r_k above 1 by more than the noise that the KKT residual allows
//     (see candidates), largest first (ties by index). None: stop.
//  2. Find an unused coordinate. When none is (ReLU), free one if a class
//     owns several coordinates that no other class uses: a Householder
//     reflection of those coordinates, applied to the class's features and
//     to the same columns of W, maps the class mean onto one coordinate.
//     This leaves W H, the norms and so f unchanged (up to rounding, and
//     up to clipping negative entries when the class is not collapsed).
//  3. For each candidate, scan t on a grid of created logit margins and
//     keep the best trial point if f is lower than at the stationary
//     point; then run the local method from it.
//  4. If no move was accepted and dead classes remain, once per restart:
//     random revival of all dead classes (random non-negative features of
//     the size of the live classes' means, the matching classifier row
//     along their mean), followed by a local run; kept only if its final
//     objective is lower.
type escaper struct {
	p   *Problem
	e   *Evaluator
	set Settings
	lim Limits
	rng *rand.Rand
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
	nv := p.NumVars()
	xt := make([]float64, nv)
	xc := make([]float64, nv)
	g := make([]float64, nv)
	q := make([][]float64, p.K())
	for k := range q {
		q[k] = make([]float64, p.K())
	}
	triedRandom := false
	for rep.Escapes < s.set.MaxEscapes {
		if !s.lim.Deadline.IsZero() && time.Now().After(s.lim.Deadline) {
			break
		}
		if _, err := s.e.FuncGrad(x, g); err != nil {
			break // cannot happen at a point the local method accepted
		}
		cands := s.candidates(x, g, q)
		zero := ZeroClasses(p, x)
		if len(cands) == 0 && len(zero) == 0 {
			break
		}
		moved := false
		base := x
		j, ok := unusedCoordinate(p, x)
		if !ok && p.ReLU && len(cands) > 0 {
			// Free a coordinate first: rotate a class that owns several
			// coordinates onto one of them (f is unchanged).
			copy(xc, x)
			if consolidate(p, xc) {
				if _, err := s.e.FuncGrad(xc, g); err == nil {
					base = xc
					j, ok = unusedCoordinate(p, xc)
					cands = s.candidates(xc, g, q)
				}
			}
		}
		if ok {
			for _, c := range cands {
				ft, ok, err := s.rankOne(base, xt, g, loc.F, c.k, j, q[c.k])
				if err != nil {
					return loc, err
				}
				if ok && lower(ft, loc.F) {
					copy(x, xt)
					moved = true
					break
				}
			}
		}
		if moved {
			l, err := s.set.Method.Minimize(s.e, x, s.lim)
			if err != nil {
				return loc, fmt.Errorf("local run after rank-one escape: %w", err)
			}
			rep.Iterations += l.Iterations
			rep.Escapes++
			loc = l
			continue
		}
		if triedRandom || len(zero) == 0 {
			break
		}
		triedRandom = true
		copy(xt, x)
		s.randomRevival(xt, zero)
		l, err := s.set.Method.Minimize(s.e, xt, s.lim)
		if err != nil {
			// A revived start that is not finite is simply rejected.
			continue
		}
		rep.Iterations += l.Iterations
		if lower(l.F, loc.F) {
			copy(x, xt)
			loc = l
			rep.Escapes++
			continue
		}
		break
	}
	return loc, nil
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
// delta_k = 0 for a class whose mean is ~0 (see ZeroClasses), whose r_k
// does not depend on the accuracy of its own features.
func (s *escaper) candidates(x, g []float64, q [][]float64) []candidate {
	p := s.p
	K := p.K()
	s.e.classGradients(q)
	eps := p.Residual(x, g)
	means := ClassMeans(p, x)
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

// unusedCoordinate returns a coordinate j whose row of H is zero (at most
// 1e-12 of the largest row mass), the lowest such j.
func unusedCoordinate(p *Problem, x []float64) (int, bool) {
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
	for j, m := range mass {
		if m <= 1e-12*big {
			return j, true
		}
	}
	return 0, false
}

// rankOne tries the escape of class k along the unused coordinate j from x
// (objective f), with qk = G 1_k at x. It leaves the best trial point in
// xt and returns its value.
func (s *escaper) rankOne(x, xt, g []float64, f float64, k, j int, qk []float64) (float64, bool, error) {
	p := s.p
	nk := float64(p.Counts[k])
	qn := math.Sqrt(dot(qk, qk))
	if !(qn > 0) {
		return f, false, nil
	}
	// Balanced scales: W[:, j] = -t c qk/||qk||, h[j] = t.
	c := math.Sqrt(p.LambdaH * nk / p.LambdaW)
	best, bestT := f, 0.0
	found := false
	// The logit change created is about t^2 c: scan it from 1e-3 to 1e2.
	for m := -3.0; m <= 2; m += 0.5 {
		t := math.Sqrt(math.Pow(10, m) / c)
		s.shift(x, xt, k, j, t, -c/qn, qk)
		ft, err := s.e.FuncGrad(xt, g)
		if err != nil {
			continue // a non-finite trial is not a move
		}
		if ft < best {
			best, bestT, found = ft, t, true
		}
	}
	if !found {
		return f, false, nil
	}
	s.shift(x, xt, k, j, bestT, -c/qn, qk)
	return best, true, nil
}

// shift sets xt = x + (h[j] = t on the samples of class k, W[:, j] = t a u).
func (s *escaper) shift(x, xt []float64, k, j int, t, a float64, u []float64) {
	p := s.p
	K, d := p.K(), p.Dim
	copy(xt, x)
	for l := 0; l < K; l++ {
		xt[l*d+j] += t * a * u[l]
	}
	o := p.offH() + p.ClassStart(k)*d
	for i := 0; i < p.Counts[k]; i++ {
		xt[o+i*d+j] += t
	}
}

// randomRevival gives every class in zero random non-negative features with
// the norm of the live classes' means, and sets its classifier row along
// their mean with the typical row norm of W.
func (s *escaper) randomRevival(x []float64, zero []int) {
	p := s.p
	K, d := p.K(), p.Dim
	means := ClassMeans(p, x)
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
		tmp := make([]float64, p.NumVars())
		InitialPoint(p, s.rng.Uint64(), s.set.InitScale, tmp)
		copy(x, tmp)
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
// other owned coordinates (in H and W) and clips negative features to 0. It returns false when no class owns several
// coordinates.
func consolidate(p *Problem, x []float64) bool {
	K, d := p.K(), p.Dim
	mass := make([][]float64, K)
	big := 0.0
	o := p.offH()
	for k, c := range p.Counts {
		mass[k] = make([]float64, d)
		for i := 0; i < c; i++ {
			for j := 0; j < d; j++ {
				mass[k][j] += math.Abs(x[o+i*d+j])
			}
		}
		o += c * d
		for _, m := range mass[k] {
			big = math.Max(big, m)
		}
	}
	tiny := 1e-12 * big
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
		return true
	}
	return false
}
