package derivation

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// prepare computes the per-group quantities, classifies the entries of H
// and takes the first-order residual.
func (h *hessian) prepare() *HessianReport {
	k, d := h.k, h.d
	rep := &HessianReport{FreeW: k * d, ExpectedZero: -1, Plain: h.plain}
	if h.s.Bias {
		rep.FreeB = k
	}
	w := h.pt.W
	wmax := 0.0
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			wmax = math.Max(wmax, math.Abs(w.At(j, i)))
		}
	}
	// Zero coordinates: W[:, i] ~ 0 and H[i, :] = 0.
	h.zeroCoord = make([]bool, d)
	for i := 0; i < d; i++ {
		z := true
		for j := 0; j < k && z; j++ {
			z = math.Abs(w.At(j, i)) <= h.opt.SlackTol*wmax
		}
		for g := range h.pt.Labels {
			if h.pt.Columns.At(i, g) != 0 {
				z = false
			}
		}
		h.zeroCoord[i] = z
		switch {
		case z && h.plain:
			rep.Unused++
		case z:
			rep.Cone.Coordinates++
		}
	}
	// Per group: softmax, G column, classification of the entries of H.
	gradNorm := 0.0
	gradW := mat.NewDense(k, d, nil)
	gradB := make([]float64, k)
	for g := range h.pt.Labels {
		gr := hgroup{y: h.pt.Labels[g], m: float64(h.pt.Mult[g]), h: mat.Col(nil, g, h.pt.Columns)}
		z := make([]float64, k)
		for j := 0; j < k; j++ {
			for i := 0; i < d; i++ {
				z[j] += w.At(j, i) * gr.h[i]
			}
			if h.pt.B != nil {
				z[j] += h.pt.B[j]
			}
		}
		gr.p = softmax64(z)
		gr.g = make([]float64, k)
		for j := range gr.g {
			gr.g[j] = gr.p[j] / h.n
		}
		gr.g[gr.y] = -complement(gr.p, gr.y) / h.n
		gr.zeroC = make([]bool, d)
		mult := h.pt.Mult[g]
		for i := 0; i < d; i++ {
			slack, scale := h.lh*gr.h[i], 0.0
			for j := 0; j < k; j++ {
				slack += w.At(j, i) * gr.g[j]
				scale += math.Abs(w.At(j, i) * gr.g[j])
			}
			if h.plain {
				// No constraint: every entry is free and grad_H must vanish.
				// Unused coordinates are left to their own block.
				if !h.zeroCoord[i] {
					gr.free = append(gr.free, i)
				}
				rep.FreeH += mult
				gradNorm = math.Max(gradNorm, math.Abs(slack))
				rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lh*gr.h[i]))
				continue
			}
			switch {
			case gr.h[i] > 0:
				gr.free = append(gr.free, i)
				rep.FreeH += mult
				gradNorm = math.Max(gradNorm, math.Abs(slack))
				rep.GradientScale = math.Max(rep.GradientScale, h.lh*gr.h[i])
			case gr.h[i] < 0:
				rep.NegativeH += mult
				gr.free = append(gr.free, i)
				rep.FreeH += mult
			case h.zeroCoord[i]:
				// W[:, i] = 0 (to tolerance): the slack is 0.
				rep.ZeroSlackH += mult
				gr.zeroC[i] = true
			case math.Abs(slack) <= h.opt.SlackTol*scale:
				rep.ZeroSlackH += mult
				rep.Cone.Other += mult
				gr.free = append(gr.free, i)
				rep.FreeH += mult
			case slack > 0:
				rep.FixedH += mult
			default:
				rep.NegativeSlackH += mult
			}
		}
		for j := 0; j < k; j++ {
			for i := 0; i < d; i++ {
				gradW.Set(j, i, gradW.At(j, i)+gr.m*gr.g[j]*gr.h[i])
			}
			gradB[j] += gr.m * gr.g[j]
		}
		h.groups = append(h.groups, gr)
	}
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			gradNorm = math.Max(gradNorm, math.Abs(gradW.At(j, i)+h.lw*w.At(j, i)))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lw*w.At(j, i)))
		}
		if h.pt.B != nil {
			gradNorm = math.Max(gradNorm, math.Abs(gradB[j]+h.lb*h.pt.B[j]))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lb*h.pt.B[j]))
		}
	}
	rep.GradientNorm = gradNorm
	return rep
}
