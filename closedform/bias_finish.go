package closedform

import (
	"math/big"
)

// finish rounds the solution to prec bits and derives the prediction: per
// class the biased margin, rho_k, ||w_k||^2, cos(w_k, h_k) and p_k; the
// matrices W Hbar (the unbiased logits y_k as columns), W W^T =
// sum_k a_k a_k^T and Hbar^T Hbar = diag(rho); b*; the reduced-problem
// report; and the explicit point: the alive classes, in order, take the
// coordinate directions of R^d with h_k = t_k e_{c(k)}, t_k = sqrt(rho_k);
// column c(k) of W is a_k = y_k / t_k (so W h_k = y_k); b = b*.
func (r *reduced) finish(st *state, ys [][]*big.Float, b []*big.Float, alive []bool, prec uint) *Prediction {
	k := r.k
	out := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Set(x) }
	p := NewPrediction(BiasOrthogonal{}.Name(), r.s, prec)
	p.Model = ModelBias
	p.Reduced = &Reduced{Classes: make([]ReducedClass, k)}
	p.Objective = out(st.f)
	p.Bias = make([]*big.Float, k)
	for j := range b {
		p.Bias[j] = out(b[j])
	}
	// Working-precision pieces of the explicit point: t_k = sqrt(rho_k) and
	// a_k = y_k / t_k for the alive classes.
	rhos := make([]*big.Float, k)
	ts := make([]*big.Float, k)
	as := make([][]*big.Float, k)
	p.GlobalCollapse = countTrue(alive) == 0
	for cls := 0; cls < k; cls++ {
		rhos[cls] = r.newF()
		if alive[cls] {
			rhos[cls] = r.rho(cls, st.norms[cls])
			ts[cls] = r.newF().Sqrt(rhos[cls])
			as[cls] = make([]*big.Float, k)
			for j := range ys[cls] {
				as[cls][j] = r.newF().Quo(ys[cls][j], ts[cls])
			}
		}
		p.Reduced.Classes[cls] = r.reducedClass(st, ys, as, cls, out)
		p.Classes[cls] = Class{N: r.s.Counts[cls], Alive: alive[cls], Margin: out(r.biasedMargin(ys, b, cls)),
			FeatureNormSq: out(rhos[cls]), ProbCorrect: out(st.p[cls][cls])}
	}
	p.Reduced.Residual = out(r.residual(st, ys, b, alive))
	r.biasMatrices(p, ys, as, rhos, alive)
	for cls := 0; cls < k; cls++ {
		wn := r.newF().Set(p.WWT.at(cls, cls))
		p.Classes[cls].ClassifierNormSq = out(wn)
		if alive[cls] && wn.Sign() > 0 {
			cos := r.newF().Quo(as[cls][cls], r.newF().Sqrt(wn))
			p.Classes[cls].CosWH = out(cos)
		}
	}
	s, wp, ab := r.s, r.wp, append([]bool(nil), alive...)
	col := func(cls, j int, v *big.Float) { v.Set(as[cls][j]) }
	p.SetMinimizerFunc(func() (*Minimizer, error) { return coordMinimizer(s, prec, wp, ab, ts, col, b), nil })
	return p
}

// reducedClass returns the reduced-problem report of one class: its logits
// y_k, ||y_k||, the classifier column a_k (nil when collapsed) and the
// subgradient ratio.
func (r *reduced) reducedClass(st *state, ys, as [][]*big.Float, cls int, out func(*big.Float) *big.Float) ReducedClass {
	rc := ReducedClass{Logits: make([]*big.Float, r.k), LogitNorm: out(st.norms[cls])}
	for j := range ys[cls] {
		rc.Logits[j] = out(ys[cls][j])
	}
	sg := r.norm(r.smoothGrad(st, cls))
	rc.SubgradientRatio = out(sg.Quo(sg, r.sk[cls]))
	if as[cls] != nil {
		rc.Classifier = make([]*big.Float, r.k)
		for j := range as[cls] {
			rc.Classifier[j] = out(as[cls][j])
		}
	}
	return rc
}

// biasedMargin returns (y_k + b)_k - max_{j != k} (y_k + b)_j.
func (r *reduced) biasedMargin(ys [][]*big.Float, b []*big.Float, cls int) *big.Float {
	var best *big.Float
	for j := 0; j < r.k; j++ {
		if j == cls {
			continue
		}
		z := r.newF().Add(ys[cls][j], b[j])
		if best == nil || z.Cmp(best) > 0 {
			best = z
		}
	}
	zk := r.newF().Add(ys[cls][cls], b[cls])
	return zk.Sub(zk, best)
}

// residual returns the infinity norm of the reduced problem's optimality
// conditions (Reduced.Residual).
func (r *reduced) residual(st *state, ys [][]*big.Float, b []*big.Float, alive []bool) *big.Float {
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
	for cls := 0; cls < r.k; cls++ {
		if alive[cls] {
			for _, v := range gy[cls] {
				upd(v)
			}
			continue
		}
		sg := r.norm(r.smoothGrad(st, cls))
		excess := sg.Sub(sg, r.sk[cls])
		if excess.Sign() > 0 {
			upd(excess)
		}
	}
	return res
}

// biasMatrices sets W Hbar (column i: the logits y_i of class i's mean),
// W W^T = sum_{l alive} a_l a_l^T and Hbar^T Hbar = diag(rho).
func (r *reduced) biasMatrices(p *Prediction, ys, as [][]*big.Float, rhos []*big.Float, alive []bool) {
	k, prec := r.k, p.Prec
	t := r.newF()
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
			p.WH.at(j, i).Set(ys[i][j])
		}
		p.HTH.at(i, i).Set(rhos[i])
	}
}
