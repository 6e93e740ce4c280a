package closedform

// Independent float64 paths for the theories of theory.md sections 12 and
// 13, written from the formulas of theory.md along other routes than the
// big-float code: label smoothing and the squared error build their explicit
// point with gonum and evaluate the full objective there; the unregularised
// bias uses gonum's SVD of P diag(sqrt(n)) and its soft threshold directly;
// SELI uses gonum's symmetric eigen-decomposition of Sigma itself (not the
// Helmert-deflated matrix). And a big-float objective of the test's own for
// every loss, with direct log-sum-exp (no log1p) at high precision.

import (
	"math"
	"math/big"

	"github.com/ALTree/bigfloat"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// ref64 is a float64 prediction: per-class values, the three matrices, the
// objective at the point, and the bias.
type ref64 struct {
	alive        []bool
	margin, rho  []float64
	wNormSq      []float64
	wh, wwt, hth *mat.Dense
	objective    float64
	b            []float64
}

// objective64 evaluates f at the class-level point (W, Hbar, b) in float64
// for the setting's loss, log-sum-exp shifted by the largest logit.
func objective64(s setting.Setting, w, hbar *mat.Dense, b []float64) float64 {
	k := s.K()
	n := float64(s.N())
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	z := new(mat.Dense)
	z.Mul(w, hbar)
	loss := 0.0
	a := s.Loss.Smoothing().Float64()
	for cls, nk := range s.Counts {
		col := mat.Col(nil, cls, z)
		if b != nil {
			floats.Add(col, b)
		}
		var l float64
		switch s.Loss.Kind() {
		case setting.SquaredError:
			for j, v := range col {
				d := v
				if j == cls {
					d -= 1
				}
				l += d * d / 2
			}
		default:
			mx := floats.Max(col)
			sum := 0.0
			for _, v := range col {
				sum += math.Exp(v - mx)
			}
			lse := mx + math.Log(sum)
			// lse - t.z, t = (1-a) e_k + (a/K) 1.
			l = lse - (1-a)*col[cls] - a/float64(k)*floats.Sum(col)
		}
		loss += float64(nk) * l
	}
	hsq := 0.0
	for cls, nk := range s.Counts {
		c := mat.Col(nil, cls, hbar)
		hsq += float64(nk) * floats.Dot(c, c)
	}
	wf := mat.Norm(w, 2)
	return loss/n + lw/2*wf*wf + lh/2*hsq
}

// smoothed64 is theory.md 12a in float64: u_k = a (K-1)/K + c beta_k,
// M_k = log((K-1)(1/u_k - 1)) when > 0, the structure of section 2, and the
// objective evaluated at the explicit point (d = K).
func smoothed64(s setting.Setting) ref64 {
	k := s.K()
	kf, n := float64(k), float64(s.N())
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	a := s.Loss.Smoothing().Float64()
	c := math.Sqrt((kf - 1) / kf)
	r := ref64{}
	w, hbar := mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
	for i, ni := range s.Counts {
		nk := float64(ni)
		u := a*(kf-1)/kf + c*n*math.Sqrt(lw*lh/nk)
		m := 0.0
		if arg := (kf - 1) * (1/u - 1); arg > 1 {
			m = math.Log(arg)
		}
		rho := m * math.Sqrt((kf-1)*lw/(kf*lh*nk))
		r.alive = append(r.alive, m > 0)
		r.margin = append(r.margin, m)
		r.rho = append(r.rho, rho)
		hbar.Set(i, i, math.Sqrt(rho))
		scale := math.Sqrt(kf * lh * nk / ((kf - 1) * lw))
		for j := 0; j < k; j++ {
			e := -1 / kf
			if j == i {
				e++
			}
			w.Set(j, i, scale*e*math.Sqrt(rho))
		}
	}
	r.fill(s, w, hbar, nil)
	return r
}

// squared64 is theory.md 12b without a bias in float64:
// z_k = max(0, 1 - N sqrt(lW lH / n_k)), h_k = sqrt(rho_k) e_k,
// w_k = sqrt(lH n_k / lW) h_k, the objective at the point.
func squared64(s setting.Setting) ref64 {
	k := s.K()
	n := float64(s.N())
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	r := ref64{}
	w, hbar := mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
	for i, ni := range s.Counts {
		nk := float64(ni)
		z := math.Max(0, 1-n*math.Sqrt(lw*lh/nk))
		rho := z * math.Sqrt(lw/(lh*nk))
		r.alive = append(r.alive, z > 0)
		r.margin = append(r.margin, z)
		r.rho = append(r.rho, rho)
		hbar.Set(i, i, math.Sqrt(rho))
		w.Set(i, i, math.Sqrt(lh*nk/lw)*math.Sqrt(rho))
	}
	r.fill(s, w, hbar, nil)
	return r
}

// unregularised64 is the unregularised-bias statement of 12b in float64:
// the SVD of X0 = P diag(sqrt(n)), P = I - n 1^T/N, soft-thresholded at N s,
// the balanced factorisation W = c U diag(sqrt(sigma')), Hbar diag(sqrt(n))
// = c^-1 diag(sqrt(sigma')) V^T, b = n/N.
func unregularised64(s setting.Setting) ref64 {
	k := s.K()
	n := float64(s.N())
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	x0 := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j, nj := range s.Counts {
			v := -float64(s.Counts[i]) / n
			if i == j {
				v++
			}
			x0.Set(i, j, v*math.Sqrt(float64(nj)))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(x0, mat.SVDFull) {
		panic("svd")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sig := svd.Values(nil)
	thr := n * math.Sqrt(lw*lh)
	c := math.Pow(lh/lw, 0.25)
	w, hbar := mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
	for i, sv := range sig {
		sp := math.Max(0, sv-thr)
		for j := 0; j < k; j++ {
			w.Set(j, i, c*u.At(j, i)*math.Sqrt(sp))
			hbar.Set(i, j, math.Sqrt(sp)*v.At(j, i)/c/math.Sqrt(float64(s.Counts[j])))
		}
	}
	r := ref64{}
	b := make([]float64, k)
	for j, nj := range s.Counts {
		b[j] = float64(nj) / n
	}
	r.fill(s, w, hbar, b)
	return r
}

// fill sets the matrices, the norms and the objective from the point.
func (r *ref64) fill(s setting.Setting, w, hbar *mat.Dense, b []float64) {
	r.wh, r.wwt, r.hth = new(mat.Dense), new(mat.Dense), new(mat.Dense)
	r.wh.Mul(w, hbar)
	r.wwt.Mul(w, w.T())
	r.hth.Mul(hbar.T(), hbar)
	k := s.K()
	r.wNormSq = make([]float64, k)
	for i := 0; i < k; i++ {
		r.wNormSq[i] = r.wwt.At(i, i)
	}
	r.b = b
	r.objective = objective64(s, w, hbar, b)
}

// seli64 returns Sigma^{1/2}, (Sigma^+)^{1/2} (both centred by S) for the
// counts in float64, from gonum's eigen-decomposition of Sigma = S diag(n) S.
func seli64(counts []int) (root, invRoot *mat.Dense) {
	k := len(counts)
	sigma := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			v := 0.0
			for l, nl := range counts {
				si, sj := -1/float64(k), -1/float64(k)
				if i == l {
					si++
				}
				if j == l {
					sj++
				}
				v += si * float64(nl) * sj
			}
			sigma.SetSym(i, j, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sigma, true) {
		panic("eigen")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	root, invRoot = mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
	top := floats.Max(vals)
	for l, lam := range vals {
		if lam <= 1e-12*top {
			continue // the kernel, the all-ones vector
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				p := vecs.At(i, l) * vecs.At(j, l)
				root.Set(i, j, root.At(i, j)+math.Sqrt(lam)*p)
				invRoot.Set(i, j, invRoot.At(i, j)+p/math.Sqrt(lam))
			}
		}
	}
	return root, invRoot
}

// bigObjectiveLoss evaluates f of theory.md section 1 with the setting's
// loss (and bias) at the explicit point in big-float at prec bits, with its
// own log-sum-exp: log(sum exp(z_j - max)) + max, no log1p. For tiny
// losses choose prec above -log2 of the loss's smallest term.
func bigObjectiveLoss(p *Prediction, m *Minimizer, prec uint) *big.Float {
	nf := func() *big.Float { return new(big.Float).SetPrec(prec) }
	s := p.Setting
	k := m.K
	loss, hSq, wSq, bSq := nf(), nf(), nf(), nf()
	a := s.Loss.Smoothing().Float(prec)
	for cls, nk := range s.Counts {
		z := make([]*big.Float, k)
		for j := 0; j < k; j++ {
			z[j] = nf()
			for i := 0; i < m.D; i++ {
				z[j].Add(z[j], nf().Mul(m.W[j][i], m.Means[i][cls]))
			}
			if m.B != nil {
				z[j].Add(z[j], m.B[j])
			}
		}
		l := nf()
		if s.Loss.Kind() == setting.SquaredError {
			for j := range z {
				d := nf().Set(z[j])
				if j == cls {
					d.Sub(d, nf().SetInt64(1))
				}
				l.Add(l, nf().Mul(d, d))
			}
			l.Quo(l, nf().SetInt64(2))
		} else {
			mx := z[0]
			for _, v := range z {
				if v.Cmp(mx) > 0 {
					mx = v
				}
			}
			sum := nf()
			for _, v := range z {
				sum.Add(sum, bigfloat.Exp(nf().Sub(v, mx)))
			}
			l = bigfloat.Log(sum)
			l.Add(l, mx)
			// - t.z = -(1-a) z_k - (a/K) sum z
			tz := nf().Mul(nf().Sub(nf().SetInt64(1), a), z[cls])
			zs := nf()
			for _, v := range z {
				zs.Add(zs, v)
			}
			tz.Add(tz, nf().Quo(nf().Mul(a, zs), nf().SetInt64(int64(k))))
			l.Sub(l, tz)
		}
		loss.Add(loss, l.Mul(l, nf().SetInt64(int64(nk))))
		for i := 0; i < m.D; i++ {
			hSq.Add(hSq, nf().Mul(nf().Mul(m.Means[i][cls], m.Means[i][cls]), nf().SetInt64(int64(nk))))
		}
	}
	for _, row := range m.W {
		for _, x := range row {
			wSq.Add(wSq, nf().Mul(x, x))
		}
	}
	for _, x := range m.B {
		bSq.Add(bSq, nf().Mul(x, x))
	}
	loss.Quo(loss, nf().SetInt64(int64(s.N())))
	two := nf().SetInt64(2)
	f := loss.Add(loss, nf().Quo(nf().Mul(s.LambdaW.Float(prec), wSq), two))
	f.Add(f, nf().Quo(nf().Mul(s.LambdaH.Float(prec), hSq), two))
	if s.Bias {
		f.Add(f, nf().Quo(nf().Mul(s.LambdaB.Float(prec), bSq), two))
	}
	return f
}
