package optimize

import "math"

// The vector kernels of the LBFGSB passes: each has an AVX-512 version
// (vec_amd64.s) for the part of its length that is a multiple of 8 and a
// Go version that computes the same bits (sums accumulated with fused
// multiply-adds in 8 lanes, lane l taking the elements i with i mod 8 = l,
// reduced as ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)); then the remaining
// elements one by one), so that the iterates are the same on machines
// with and without AVX-512 (tested).

// reduce8 returns ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)), the order of
// the assembly's horizontal sum.
func reduce8(a *[8]float64) float64 {
	q0, q1, q2, q3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (q0 + q2) + (q1 + q3)
}

// dot4 returns u.a, v.a, u.b, v.b (all of the same length).
func dot4(useAsm bool, u, v, a, b []float64) (out [4]float64) {
	n := len(u)
	v, a, b = v[:n], a[:n], b[:n]
	m := n &^ 7
	if m > 0 {
		if useAsm && haveAVX512 {
			dot4AVX(m, &u[0], &v[0], &a[0], &b[0], &out)
		} else {
			var ua, va, ub, vb [8]float64
			for i := 0; i < m; i += 8 {
				for l := 0; l < 8; l++ {
					ua[l] = math.FMA(u[i+l], a[i+l], ua[l])
					va[l] = math.FMA(v[i+l], a[i+l], va[l])
					ub[l] = math.FMA(u[i+l], b[i+l], ub[l])
					vb[l] = math.FMA(v[i+l], b[i+l], vb[l])
				}
			}
			out = [4]float64{reduce8(&ua), reduce8(&va), reduce8(&ub), reduce8(&vb)}
		}
	}
	for i := m; i < n; i++ {
		out[0] = math.FMA(u[i], a[i], out[0])
		out[1] = math.FMA(v[i], a[i], out[1])
		out[2] = math.FMA(u[i], b[i], out[2])
		out[3] = math.FMA(v[i], b[i], out[3])
	}
	return out
}

// dot4m returns (m u).a, (m v).a, (m u).b, (m v).b: dot4 with u and v
// multiplied elementwise by m (a mask of 0s and 1s) first.
func dot4m(useAsm bool, u, v, a, b, m []float64) (out [4]float64) {
	n := len(u)
	v, a, b, m = v[:n], a[:n], b[:n], m[:n]
	k := n &^ 7
	if k > 0 {
		if useAsm && haveAVX512 {
			dot4mAVX(k, &u[0], &v[0], &a[0], &b[0], &m[0], &out)
		} else {
			var ua, va, ub, vb [8]float64
			for i := 0; i < k; i += 8 {
				for l := 0; l < 8; l++ {
					mu, mv := u[i+l]*m[i+l], v[i+l]*m[i+l]
					ua[l] = math.FMA(mu, a[i+l], ua[l])
					va[l] = math.FMA(mv, a[i+l], va[l])
					ub[l] = math.FMA(mu, b[i+l], ub[l])
					vb[l] = math.FMA(mv, b[i+l], vb[l])
				}
			}
			out = [4]float64{reduce8(&ua), reduce8(&va), reduce8(&ub), reduce8(&vb)}
		}
	}
	for i := k; i < n; i++ {
		mu, mv := u[i]*m[i], v[i]*m[i]
		out[0] = math.FMA(mu, a[i], out[0])
		out[1] = math.FMA(mv, a[i], out[1])
		out[2] = math.FMA(mu, b[i], out[2])
		out[3] = math.FMA(mv, b[i], out[3])
	}
	return out
}

// axpy2 sets d = fma(cb, v, fma(ca, u, d)) elementwise.
func axpy2(useAsm bool, ca float64, u []float64, cb float64, v, d []float64) {
	n := len(d)
	u, v = u[:n], v[:n]
	m := 0
	if useAsm && haveAVX512 {
		if m = n &^ 7; m > 0 {
			axpy2AVX(m, ca, &u[0], cb, &v[0], &d[0])
		}
	}
	for i := m; i < n; i++ {
		d[i] = math.FMA(cb, v[i], math.FMA(ca, u[i], d[i]))
	}
}

// maskScale sets d = c*g, with 0 where bounded, x <= eps and g > 0 (the
// binding entries).
func maskScale(useAsm, bounded bool, c float64, x, g []float64, eps float64, d []float64) {
	n := len(d)
	x, g = x[:n], g[:n]
	if !bounded {
		eps = math.Inf(-1) // no x is <= -Inf
	}
	m := 0
	if useAsm && haveAVX512 {
		if m = n &^ 7; m > 0 {
			maskScaleAVX(m, c, &x[0], &g[0], eps, &d[0])
		}
	}
	for i := m; i < n; i++ {
		v := c * g[i]
		if x[i] <= eps && g[i] > 0 {
			v = 0
		}
		d[i] = v
	}
}

// finishDir sets d = -buf, or -x on the binding entries (bounded, x <= eps,
// g > 0), and with trial xt = P(x + d) (clamped at 0 when bounded). It
// returns g.d, max(dmax, ||d||_inf) and g.(xt - x) (0 without trial).
func finishDir(useAsm, bounded, trial bool, x, g, buf, d, xt []float64, eps, dmax float64) (gd, dm, dec float64) {
	n := len(d)
	x, g, buf = x[:n], g[:n], buf[:n]
	if trial {
		xt = xt[:n]
	}
	if !bounded {
		eps = math.Inf(-1)
	}
	m := n &^ 7
	out := [3]float64{0, dmax, 0}
	if m > 0 {
		if useAsm && haveAVX512 {
			flags := 0
			if bounded {
				flags |= 1
			}
			if trial {
				flags |= 2
			}
			var xtp *float64
			if trial {
				xtp = &xt[0]
			}
			finishDirAVX(m, &x[0], &g[0], &buf[0], &d[0], xtp, eps, flags, &out)
		} else {
			var sgd, sdec [8]float64
			for i := 0; i < m; i += 8 {
				for l := 0; l < 8; l++ {
					j := i + l
					v := -buf[j]
					if x[j] <= eps && g[j] > 0 {
						v = -x[j]
					}
					d[j] = v
					sgd[l] = math.FMA(g[j], v, sgd[l])
					out[1] = max(out[1], math.Abs(v))
					if trial {
						t := x[j] + v
						if bounded {
							t = max(t, 0)
						}
						xt[j] = t
						sdec[l] = math.FMA(g[j], t-x[j], sdec[l])
					}
				}
			}
			out[0], out[2] = reduce8(&sgd), reduce8(&sdec)
		}
	}
	for j := m; j < n; j++ {
		v := -buf[j]
		if x[j] <= eps && g[j] > 0 {
			v = -x[j]
		}
		d[j] = v
		out[0] = math.FMA(g[j], v, out[0])
		out[1] = max(out[1], math.Abs(v))
		if trial {
			t := x[j] + v
			if bounded {
				t = max(t, 0)
			}
			xt[j] = t
			out[2] = math.FMA(g[j], t-x[j], out[2])
		}
	}
	if !trial {
		out[2] = 0
	}
	return out[0], out[1], out[2]
}

// pairStep sets s = xt - x, y = gt - g, buf = gt with 0 on the binding
// entries (bounded, xt <= eps, gt > 0) and mk = 0 there, 1 elsewhere, and
// returns s.s, s.y, y.y, s.buf,
// y.buf, max(res, KKT residual part) and max(epsMax, |min(xt, gamma gt)|)
// (see residualEpsH; without bounds the residual part is max |gt| and
// epsMax is returned unchanged).
func pairStep(useAsm, bounded bool, x, xt, g, gt, s, y, buf, mk []float64, eps, gamma, res, epsMax float64) (out [7]float64) {
	n := len(s)
	x, xt, g, gt, y, buf, mk = x[:n], xt[:n], g[:n], gt[:n], y[:n], buf[:n], mk[:n]
	maskEps := eps
	if !bounded {
		maskEps = math.Inf(-1)
	}
	m := n &^ 7
	out[5], out[6] = res, epsMax
	if m > 0 {
		if useAsm && haveAVX512 {
			b := 0
			if bounded {
				b = 1
			}
			pairStepAVX(m, &x[0], &xt[0], &g[0], &gt[0], &s[0], &y[0], &buf[0], &mk[0], maskEps, gamma, b, &out)
		} else {
			var ss, sy, yy, sb, yb [8]float64
			for i := 0; i < m; i += 8 {
				for l := 0; l < 8; l++ {
					j := i + l
					st, yv := xt[j]-x[j], gt[j]-g[j]
					s[j], y[j] = st, yv
					ss[l] = math.FMA(st, st, ss[l])
					sy[l] = math.FMA(st, yv, sy[l])
					yy[l] = math.FMA(yv, yv, yy[l])
					gm, mv := gt[j], 1.0
					if xt[j] <= maskEps && gm > 0 {
						gm, mv = 0, 0
					}
					buf[j], mk[j] = gm, mv
					sb[l] = math.FMA(st, gm, sb[l])
					yb[l] = math.FMA(yv, gm, yb[l])
				}
			}
			out[0], out[1], out[2], out[3], out[4] = reduce8(&ss), reduce8(&sy), reduce8(&yy), reduce8(&sb), reduce8(&yb)
			out[5], out[6] = pairResidual(bounded, xt[:m], gt[:m], gamma, out[5], out[6])
		}
	}
	for j := m; j < n; j++ {
		st, yv := xt[j]-x[j], gt[j]-g[j]
		s[j], y[j] = st, yv
		out[0] = math.FMA(st, st, out[0])
		out[1] = math.FMA(st, yv, out[1])
		out[2] = math.FMA(yv, yv, out[2])
		gm, mv := gt[j], 1.0
		if xt[j] <= maskEps && gm > 0 {
			gm, mv = 0, 0
		}
		buf[j], mk[j] = gm, mv
		out[3] = math.FMA(st, gm, out[3])
		out[4] = math.FMA(yv, gm, out[4])
	}
	if m < n {
		out[5], out[6] = pairResidual(bounded, xt[m:], gt[m:], gamma, out[5], out[6])
	}
	return out
}

// pairResidual returns max(res, residual part of (xt, gt)) and max(epsMax,
// |min(xt, gamma gt)|) (bounded), or max(res, max |gt|) and epsMax.
func pairResidual(bounded bool, xt, gt []float64, gamma, res, epsMax float64) (float64, float64) {
	if bounded {
		r, e := residualEpsH(xt, gt, gamma)
		return max(res, r), max(epsMax, e)
	}
	return max(res, absMax(gt)), epsMax
}

// dot4Indexed returns u.a, v.a, u.b, v.b over the entries idx only, one
// fused multiply-add after the other in the order of idx.
func dot4Indexed(idx []int32, u, v, a, b []float64) (out [4]float64) {
	for _, i := range idx {
		out[0] = math.FMA(u[i], a[i], out[0])
		out[1] = math.FMA(v[i], a[i], out[1])
		out[2] = math.FMA(u[i], b[i], out[2])
		out[3] = math.FMA(v[i], b[i], out[3])
	}
	return out
}

// dot returns a.b (a and b of the same length) summed as gonum's amd64
// floats.Dot, the order the iterates were first recorded with: four lanes
// (element i in lane i mod 4, the last n mod 4 elements in lane 0), each
// product rounded before it is added, reduced as (l0 + l2) + (l1 + l3).
// Written out here, it gives the same bits on every machine and with the
// noasm build tag (under which gonum sums in another order).
func dot(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("optimize: dot of vectors of different lengths")
	}
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i] * b[i])
		s1 += float64(a[i+1] * b[i+1])
		s2 += float64(a[i+2] * b[i+2])
		s3 += float64(a[i+3] * b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i] * b[i])
	}
	return (s0 + s2) + (s1 + s3)
}

// axpy sets y += a x elementwise (each product rounded, as gonum's
// floats.AddScaled).
func axpy(a float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float64(a * v)
	}
}

// addTo sets dst += s elementwise.
func addTo(dst, s []float64) {
	dst = dst[:len(s)]
	for i, v := range s {
		dst[i] += v
	}
}
