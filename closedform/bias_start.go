package closedform

import (
	"math"
	"math/big"
)

// proxStart runs an accelerated proximal gradient method (FISTA with
// adaptive restart) in float64 from the bias-free prediction, b = 0. The
// group soft-threshold sets y_k exactly to 0 for a class that collapses. It
// returns the iterate as big.Float vectors at the working precision and the
// number of iterations.
//
// The variables are x = (y_1..y_K, b) flattened: y_k at [k*K, (k+1)*K), b at
// [K*K, K*K+K).
func (r *reduced) proxStart() (ys [][]*big.Float, b []*big.Float, iters int) {
	k := r.k
	x := r.biasFreeStart()
	step := 1 / (1 + r.lbf)
	dim := len(x)
	xPrev := append([]float64(nil), x...)
	yv := append([]float64(nil), x...)
	g := make([]float64, dim)
	v := make([]float64, dim)
	tk := 1.0
	const maxIter = 200000
	for iters = 0; iters < maxIter; iters++ {
		r.smoothGradF64(yv, g)
		for i := range v {
			v[i] = yv[i] - step*g[i]
		}
		copy(xPrev, x)
		r.proxF64(v, x, step)
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

// biasFreeStart returns the flattened bias-free prediction of theory.md
// section 2 in float64: y_k = M_k (e_k - 1/K), b = 0.
func (r *reduced) biasFreeStart() []float64 {
	k := r.k
	n := float64(r.s.N())
	km1 := float64(k - 1)
	c := math.Sqrt(km1 / float64(k))
	x := make([]float64, k*k+k)
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
	return x
}

// smoothGradF64 sets g to the gradient of the smooth part of the reduced
// problem at x: w_k (softmax(y_k + b) - e_k) for y_k, their sum plus
// lambda_b b for b (log-sum-exp shifted by the largest logit).
func (r *reduced) smoothGradF64(x, g []float64) {
	k := r.k
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

// proxF64 sets out to the proximal map of step * sum_k s_k ||y_k|| at v: the
// group soft-threshold of each y_k (b unchanged).
func (r *reduced) proxF64(v, out []float64, step float64) {
	k := r.k
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
