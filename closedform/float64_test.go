package closedform

// An independent float64 implementation of theory.md section 2, written along
// a different path than predict.go: the margin from c and beta_k as the theory
// states them, gamma as M^2/rho, ||w_k||^2 and cos(w_k, h_k) from an explicit
// float64 minimizer with gonum matrix products, p_k as 1 - c beta_k, and f*
// as the full objective evaluated at that point with log-sum-exp.

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

type float64Prediction struct {
	alive     []bool
	margin    []float64
	rho       []float64
	gamma     []float64
	wNormSq   []float64
	cos       []float64 // NaN for collapsed classes
	prob      []float64
	objective float64 // the full objective at the explicit point
	wh, wwt   *mat.Dense
	hth       *mat.Dense
}

func predictFloat64(s setting.Setting) float64Prediction {
	k := s.K()
	n := float64(s.N())
	lw, lh := s.LambdaW.Float64(), s.LambdaH.Float64()
	kf := float64(k)
	c := math.Sqrt((kf - 1) / kf)
	var p float64Prediction
	// Explicit point: class k on its own coordinate (K coordinates suffice).
	hbar := mat.NewDense(k, k, nil) // d = K here; column k = h_k
	w := mat.NewDense(k, k, nil)
	for i, ni := range s.Counts {
		nk := float64(ni)
		beta := n * math.Sqrt(lw*lh/nk)
		arg := (kf - 1) * (1/(c*beta) - 1)
		m := 0.0
		alive := arg > 1
		if alive {
			m = math.Log(arg)
		}
		rho := m * math.Sqrt((kf-1)*lw/(kf*lh*nk))
		gamma := 0.0
		if rho > 0 {
			gamma = m * m / rho
		}
		prob := 1 / kf
		if alive {
			prob = 1 - c*beta
		}
		p.alive = append(p.alive, alive)
		p.margin = append(p.margin, m)
		p.rho = append(p.rho, rho)
		p.gamma = append(p.gamma, gamma)
		p.prob = append(p.prob, prob)
		hbar.Set(i, i, math.Sqrt(rho))
		scale := math.Sqrt(kf * lh * nk / ((kf - 1) * lw))
		for j := 0; j < k; j++ {
			e := -1 / kf
			if j == i {
				e += 1
			}
			w.Set(j, i, scale*e*math.Sqrt(rho))
		}
	}
	p.wh = new(mat.Dense)
	p.wh.Mul(w, hbar)
	p.wwt = new(mat.Dense)
	p.wwt.Mul(w, w.T())
	p.hth = new(mat.Dense)
	p.hth.Mul(hbar.T(), hbar)
	for i := 0; i < k; i++ {
		wn := p.wwt.At(i, i)
		p.wNormSq = append(p.wNormSq, wn)
		if p.alive[i] {
			wi := mat.Row(nil, i, w)
			hi := mat.Col(nil, i, hbar)
			p.cos = append(p.cos, floats.Dot(wi, hi)/(floats.Norm(wi, 2)*floats.Norm(hi, 2)))
		} else {
			p.cos = append(p.cos, math.NaN())
		}
	}
	// Full objective: every sample of class k has feature h_k.
	loss := 0.0
	for i, ni := range s.Counts {
		z := mat.Col(nil, i, p.wh) // logits W h_k of a class-k sample
		mx := floats.Max(z)
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(v - mx)
		}
		loss += float64(ni) * (mx + math.Log(sum) - z[i])
	}
	hNorm := 0.0
	for i, ni := range s.Counts {
		hNorm += float64(ni) * p.hth.At(i, i)
	}
	wFro := mat.Norm(w, 2) // gonum: the Frobenius norm for p = 2
	p.objective = loss/n + lw/2*wFro*wFro + lh/2*hNorm
	return p
}
