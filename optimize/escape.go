package optimize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// escaper moves a converged restart off stationary points where whole
// classes have zero features ("dead" ReLU classes), when that lowers the
// objective.
//
// Two moves are tried, in order:
//
//  1. Rank-one revival along an unused coordinate j (row j of H is zero,
//     hence column j of W is zero at a stationary point): every feature of
//     the dead class k gets h[j] = t, and W[:, j] = t c (e_k - 1/K 1) with
//     c^2 = lambda_H n_k K / (lambda_W (K-1)), which balances the two
//     penalties. The change of f is of order t^2 and negative exactly when
//     the class can carry a positive margin, so f is evaluated on a grid of
//     t and the best point is kept if it is lower. All unused coordinates
//     are equivalent, so one is tried.
//     When no coordinate is unused (ReLU), one is freed first if a class
//     owns several coordinates that no other class uses: a Householder
//     reflection of those coordinates, applied to the class's features and
//     to the same columns of W, maps the class mean onto one coordinate.
//     This leaves W H, the norms and so f unchanged (up to rounding, and
//     up to clipping negative entries when the class is not collapsed).
//  2. If no unused coordinate exists or move 1 fails everywhere, once per
//     restart: random revival of all dead classes (random non-negative
//     features of the size of the live classes' means, the matching
//     classifier row along their mean), followed by a local run; kept only
//     if its final objective is lower.
//
// Every accepted move is followed by a local run from the new point.
type escaper struct {
	p   *Problem
	e   *Evaluator
	set Settings
	lim Limits
	rng *rand.Rand
}

// lower reports whether a is below b by more than the rounding level.
func lower(a, b float64) bool { return a < b-1e-13*math.Abs(b) }

func (s *escaper) run(x []float64, loc Local, rep *RestartReport) (Local, error) {
	p := s.p
	nv := p.NumVars()
	xt := make([]float64, nv)
	xc := make([]float64, nv)
	g := make([]float64, nv)
	triedRandom := false
	for rep.Escapes < s.set.MaxEscapes {
		if !s.lim.Deadline.IsZero() && time.Now().After(s.lim.Deadline) {
			break
		}
		zero := ZeroClasses(p, x)
		if len(zero) == 0 {
			break
		}
		moved := false
		base := x
		j, ok := unusedCoordinate(p, x)
		if !ok && p.ReLU {
			// Free a coordinate first: rotate a class that owns several
			// coordinates onto one of them (f is unchanged).
			copy(xc, x)
			if consolidate(p, xc) {
				if _, err := s.e.FuncGrad(xc, g); err == nil {
					base = xc
					j, ok = unusedCoordinate(p, xc)
				}
			}
		}
		if ok {
			for _, k := range zero {
				ft, ok, err := s.rankOne(base, xt, g, loc.F, k, j)
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
				return loc, fmt.Errorf("local run after rank-one revival: %w", err)
			}
			rep.Iterations += l.Iterations
			rep.Escapes++
			loc = l
			continue
		}
		if triedRandom {
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

// rankOne tries the rank-one revival of class k along coordinate j from x
// (objective f). It leaves the best trial point in xt and returns its value.
func (s *escaper) rankOne(x, xt, g []float64, f float64, k, j int) (float64, bool, error) {
	p := s.p
	K := p.K()
	nk := float64(p.Counts[k])
	c := math.Sqrt(p.LambdaH * nk * float64(K) / (p.LambdaW * float64(K-1)))
	best, bestT := f, 0.0
	found := false
	// The logit margin created is about t^2 c: scan it from 1e-3 to 1e2.
	for m := -3.0; m <= 2; m += 0.5 {
		t := math.Sqrt(math.Pow(10, m) / c)
		s.shift(x, xt, k, j, t, c)
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
	s.shift(x, xt, k, j, bestT, c)
	return best, true, nil
}

// shift sets xt = x + t * (direction of the rank-one revival of class k along j).
func (s *escaper) shift(x, xt []float64, k, j int, t, c float64) {
	p := s.p
	K, d := p.K(), p.Dim
	copy(xt, x)
	for l := 0; l < K; l++ {
		v := -1 / float64(K)
		if l == k {
			v += 1
		}
		xt[l*d+j] += t * c * v
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
