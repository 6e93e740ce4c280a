package optimize

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// LBFGSB is a projected limited-memory BFGS method for the bound H >= 0,
// in the L-BFGS-B family (two-metric projection form, Bertsekas 1982):
//
//   - variables at (or within eps = min(1e-3, ||x - P(x - gamma g)||_inf)
//     of) the bound H = 0 whose gradient pushes them out of the box form
//     the binding set: they are excluded from the quasi-Newton step and
//     moved straight to the bound (d_i = -x_i);
//   - on the others the direction is the L-BFGS two-loop recursion applied
//     to the gradient, with the initial matrix gamma*I, gamma = s'y/y'y of
//     the last pair (a per-block scaling of features by N was measured and
//     converged 3-5x slower, so the variables are not rescaled);
//   - the step is a backtracking search along the projected path
//     P(x + t d), accepting Armijo sufficient decrease, or, once the decrease
//     is at the rounding level of f, an approximate-Wolfe condition on the
//     slope; a non-finite trial value is never accepted. If no step is
//     found the memory is dropped and a scaled gradient step is tried; if
//     that fails too the run stops with LineSearchFailed.
//
// The vector loops run on the evaluator's threads (Evaluator.SetThreads)
// over chunks fixed by the vector length, reduced in order: the iterates do
// not depend on the thread count.
//
// The zero value uses the defaults.
type LBFGSB struct {
	// Memory is the number of (s, y) pairs kept; default 5 (10 and 20
	// were measured to save few iterations for more work per iteration).
	Memory int
}

const (
	armijo    = 1e-4
	maxTrials = 60
)

// Minimize implements Method.
func (m LBFGSB) Minimize(e *Evaluator, x0 []float64, lim Limits) (Local, error) {
	p := e.p
	nv := p.NumVars()
	if len(x0) != nv {
		return Local{}, fmt.Errorf("optimize: lbfgsb: x has length %d, want %d", len(x0), nv)
	}
	mem := m.Memory
	if mem <= 0 {
		mem = 5
	}
	start := e.evals
	x := x0
	project(p, x)
	g := make([]float64, nv)
	f, err := e.FuncGrad(x, g)
	if err != nil {
		return Local{}, fmt.Errorf("optimize: lbfgsb: start point: %w", err)
	}
	// mem+1 slots for the (s, y) pairs: the pairs in use, oldest first, and
	// always a free slot in which a trial step writes its pair.
	s := make([][]float64, mem+1)
	y := make([][]float64, mem+1)
	for i := range s {
		s[i] = make([]float64, nv)
		y[i] = make([]float64, nv)
	}
	rho := make([]float64, mem+1)
	alpha := make([]float64, mem+1)
	pairs := make([]int, 0, mem+1)
	gamma := 1.0
	d := make([]float64, nv)
	xt := make([]float64, nv)
	gt := make([]float64, nv)
	fixed := make([]bool, nv)
	oh, ob := p.offH(), p.offB()

	ch := &chunker{threads: e.threads, pool: e.pool}
	res, eps := residualEps(ch, p, x, g, gamma)
	it := 0
	status := Converged
	for {
		if st, done := lim.stop(res, it, true); done {
			status = st
			break
		}
		it++
		// Binding set: H entries within eps of the bound whose gradient
		// points out of the box. eps = min(1e-3, ||x - P(x - gamma g)||_inf).
		// The same pass computes the first inner product of the two-loop
		// recursion, s_last.d, while the chunk of d is in cache.
		var sLast []float64
		if len(pairs) > 0 {
			sLast = s[pairs[len(pairs)-1]]
		}
		ch.run(nv, func(c, lo, hi int) {
			copy(d[lo:hi], g[lo:hi])
			if p.ReLU {
				for i := max(lo, oh); i < min(hi, ob); i++ {
					f := x[i] <= eps && g[i] > 0
					fixed[i] = f
					if f {
						d[i] = 0
					}
				}
			}
			if sLast != nil {
				ch.part[c][0] = dot(sLast[lo:hi], d[lo:hi])
			}
		})
		acc0 := 0.0
		if sLast != nil {
			acc0 = ch.sum(nv, 0)
		}
		accepted := false
		for attempt := 0; attempt < 2 && !accepted; attempt++ {
			// d = H g by the two-loop recursion (on the free variables).
			if attempt > 0 {
				for i := range d {
					if fixed[i] {
						d[i] = 0
					} else {
						d[i] = g[i]
					}
				}
			}
			cf, u := twoLoop(ch, d, s, y, rho, alpha, pairs, gamma, acc0)
			// Search direction: -H g on free variables, straight to the
			// bound on binding ones. One pass finishes the two-loop
			// recursion (its last update of d), sets the direction, its
			// slope g.d, and, when the first trial step is t = 1 (there
			// are pairs), the first trial point P(x + d).
			xtReady := len(pairs) > 0
			ch.run(nv, func(c, lo, hi int) {
				ds := d[lo:hi]
				if u == nil {
					for i := range ds {
						ds[i] *= cf
					}
				} else {
					axpy(cf, u[lo:hi], ds)
				}
				fs, xs, gs := fixed[lo:hi], x[lo:hi], g[lo:hi]
				fs, xs, gs = fs[:len(ds)], xs[:len(ds)], gs[:len(ds)]
				gd := 0.0
				for i, v := range ds {
					v = -v
					if fs[i] {
						v = -xs[i]
					}
					ds[i] = v
					gd += gs[i] * v
				}
				ch.part[c][0] = gd
				if xtReady {
					xts := xt[lo:hi]
					xts = xts[:len(ds)]
					for i, v := range xs {
						xts[i] = v + ds[i]
					}
					if p.ReLU {
						for i := max(lo, oh); i < min(hi, ob); i++ {
							xt[i] = max(xt[i], 0)
						}
					}
				}
			})
			gd := ch.sum(nv, 0)
			if !(gd < 0) {
				xtReady = false
				// Not a descent direction: scaled steepest descent.
				gd = 0
				for i := range d {
					if fixed[i] {
						d[i] = -x[i]
					} else {
						d[i] = -gamma * g[i]
					}
					gd += g[i] * d[i]
				}
			}
			t := 1.0
			if len(pairs) == 0 {
				// No curvature information yet: move by at most 1e-2 in
				// the max norm.
				if dn := absMax(d); dn > 0 {
					t = math.Min(1, 1e-2/dn)
				}
			}
			slot := freeSlot(pairs, mem+1)
			si, yi := s[slot], y[slot]
			var ft, sy, yy, ss float64
			for trial := 0; trial < maxTrials; trial++ {
				if trial == 0 && xtReady && t == 1 {
					// P(x + d) was set with the direction.
				} else {
					ch.run(nv, func(c, lo, hi int) {
						xs, xts, ds := x[lo:hi], xt[lo:hi], d[lo:hi]
						xts, ds = xts[:len(xs)], ds[:len(xs)]
						for i, v := range xs {
							xts[i] = v + t*ds[i]
						}
						if p.ReLU {
							for i := max(lo, oh); i < min(hi, ob); i++ {
								xt[i] = max(xt[i], 0)
							}
						}
					})
				}
				ft, err = e.FuncGrad(xt, gt)
				if err != nil {
					t *= 0.1
					continue
				}
				// One pass: the decrease g.(xt-x), the slope gt.(xt-x),
				// and the pair (s, y) with its inner products.
				ch.run(nv, func(c, lo, hi int) {
					xs, xts, gs, gts, sis, yis := x[lo:hi], xt[lo:hi], g[lo:hi], gt[lo:hi], si[lo:hi], yi[lo:hi]
					n := len(xs)
					xts, gs, gts, sis, yis = xts[:n], gs[:n], gts[:n], sis[:n], yis[:n]
					var dec, slope, sy, yy, ss float64
					for i, xv := range xs {
						st := xts[i] - xv
						yv := gts[i] - gs[i]
						sis[i] = st
						yis[i] = yv
						dec += gs[i] * st
						slope += gts[i] * st
						sy += st * yv
						yy += yv * yv
						ss += st * st
					}
					ch.part[c] = [5]float64{dec, slope, sy, yy, ss}
				})
				dec, slope := ch.sum(nv, 0), ch.sum(nv, 1)
				sy, yy, ss = ch.sum(nv, 2), ch.sum(nv, 3), ch.sum(nv, 4)
				if dec >= 0 {
					break // the projection killed the step
				}
				if ft <= f+armijo*dec {
					accepted = true
					break
				}
				// Approximate Wolfe (Hager-Zhang) once f is at its
				// rounding level: no increase beyond the noise and the
				// slope at the trial point has not turned strongly up.
				if ft <= f+1e-14*math.Abs(f) && slope <= -0.8*dec {
					accepted = true
					break
				}
				// Quadratic interpolation, safeguarded to [0.1t, 0.5t].
				den := 2 * (ft - f - dec)
				tn := 0.5 * t
				if den > 0 {
					tn = math.Min(0.5*t, math.Max(0.1*t, -dec*t/den))
				}
				t = tn
			}
			if !accepted {
				if len(pairs) == 0 {
					break
				}
				pairs = pairs[:0] // drop the memory, retry as steepest descent
				gamma = 1
				continue
			}
			if sy > 1e-12*math.Sqrt(yy*ss) && yy > 0 {
				rho[slot] = 1 / sy
				if len(pairs) == mem {
					copy(pairs, pairs[1:])
					pairs = pairs[:mem-1]
				}
				pairs = append(pairs, slot)
				gamma = sy / yy
			}
			x, xt = xt, x
			g, gt = gt, g
			f = ft
		}
		if !accepted {
			status = LineSearchFailed
			break
		}
		res, eps = residualEps(ch, p, x, g, gamma)
	}
	if &x[0] != &x0[0] {
		copy(x0, x)
	}
	return Local{F: f, Residual: res, Status: status, Iterations: it, Evaluations: e.evals - start}, nil
}

// twoLoop applies to d all but the last step of the L-BFGS
// inverse-Hessian approximation with the pairs (oldest first) and initial
// matrix gamma*I; acc must be s[pairs[L-1]].d (unused when there are no
// pairs). The caller finishes H d with d *= cf when u is nil, else
// d += cf*u, fused with its next pass. Each dot product is fused with the
// preceding update of d, so the recursion makes 2L-1 passes over memory
// (plus the caller's) instead of 4L+1.
func twoLoop(ch *chunker, d []float64, s, y [][]float64, rho, alpha []float64, pairs []int, gamma, acc float64) (cf float64, u []float64) {
	L := len(pairs)
	if L == 0 {
		return gamma, nil
	}
	for j := L - 1; j >= 0; j-- {
		k := pairs[j]
		a := rho[k] * acc
		alpha[k] = a
		if j > 0 {
			acc = ch.axpyDot(1, -a, y[k], d, s[pairs[j-1]])
		} else {
			acc = ch.axpyDot(gamma, -gamma*a, y[k], d, y[pairs[0]])
		}
	}
	for j := 0; j < L-1; j++ {
		k := pairs[j]
		c := alpha[k] - rho[k]*acc
		acc = ch.axpyDot(1, c, s[k], d, y[pairs[j+1]])
	}
	k := pairs[L-1]
	return alpha[k] - rho[k]*acc, s[k]
}

// axpyDot sets d = sd*d + a*u and returns w.d (new d). With sd = 1 it uses
// gonum's assembly AddScaled and Dot (two vectorised passes measured faster
// than one scalar pass); otherwise one pass with four independent
// accumulators (a single one would serialise the loop on the latency of
// floating-point addition).
func axpyDot(sd, a float64, u, d, w []float64) float64 {
	if sd == 1 {
		floats.AddScaled(d, a, u)
		return floats.Dot(w, d)
	}
	n := len(d)
	u, w = u[:n], w[:n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		v0 := sd*d[i] + a*u[i]
		v1 := sd*d[i+1] + a*u[i+1]
		v2 := sd*d[i+2] + a*u[i+2]
		v3 := sd*d[i+3] + a*u[i+3]
		d[i], d[i+1], d[i+2], d[i+3] = v0, v1, v2, v3
		s0 += w[i] * v0
		s1 += w[i+1] * v1
		s2 += w[i+2] * v2
		s3 += w[i+3] * v3
	}
	for ; i < n; i++ {
		v := sd*d[i] + a*u[i]
		d[i] = v
		s0 += w[i] * v
	}
	return (s0 + s1) + (s2 + s3)
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
// non-finite gradients), gamma > 0, without branches: the absolute values
// of non-negative floats are ordered like their bit patterns, and
// |min(h, g)| is |g| when g < 0 (then h is replaced by +Inf) and
// min(h, |g|) otherwise. The data-dependent branches of the float
// comparisons measured about twice slower.
func residualEpsH(h, g []float64, gamma float64) (float64, float64) {
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
	return math.Float64frombits(r), math.Float64frombits(e)
}

func dot(a, b []float64) float64 { return floats.Dot(a, b) }

func axpy(a float64, x, y []float64) { floats.AddScaled(y, a, x) }
