package derivation

import (
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// hessianLossPrec is the precision at which Hessian evaluates the loss's
// gradient and curvature at the float64 logits: 53 bits, so that each is the
// correctly rounded float64 of a value carried with guardBits more bits.
const hessianLossPrec = 53

// prepare computes the per-group quantities, classifies the entries of H
// and takes the first-order residual.
func (h *hessian) prepare() (*HessianReport, error) {
	k, d := h.k, h.d
	rep := &HessianReport{FreeW: k * d, ExpectedZero: -1, Plain: h.plain}
	if h.s.Bias {
		rep.FreeB = k
	}
	h.findZeroCoordinates(rep)
	gradNorm := 0.0
	gradW := mat.NewDense(k, d, nil)
	gradB := make([]float64, k)
	absB := make([]float64, k) // |G| 1, the per-sample terms of G 1
	for g := range h.pt.Labels {
		gr, err := h.group(g)
		if err != nil {
			return nil, err
		}
		gradNorm = math.Max(gradNorm, h.classify(&gr, h.pt.Mult[g], rep))
		for j := 0; j < k; j++ {
			for i := 0; i < d; i++ {
				gradW.Set(j, i, gradW.At(j, i)+gr.m*gr.g[j]*gr.h[i])
			}
			gradB[j] += gr.m * gr.g[j]
			absB[j] += gr.m * math.Abs(gr.g[j])
		}
		h.groups = append(h.groups, gr)
	}
	w := h.pt.W
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			gradNorm = math.Max(gradNorm, math.Abs(gradW.At(j, i)+h.lw*w.At(j, i)))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lw*w.At(j, i)))
		}
		if h.pt.B != nil {
			gradNorm = math.Max(gradNorm, math.Abs(gradB[j]+h.lb*h.pt.B[j]))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lb*h.pt.B[j]))
			if h.s.Unregularised() {
				rep.GradientScale = math.Max(rep.GradientScale, absB[j])
			}
		}
	}
	rep.GradientNorm = gradNorm
	return rep, nil
}

// findZeroCoordinates marks the zero coordinates: W[:, i] ~ 0 (to
// SlackTol relative to the largest entry of W) and H[i, :] = 0.
func (h *hessian) findZeroCoordinates(rep *HessianReport) {
	w := h.pt.W
	wmax := 0.0
	for j := 0; j < h.k; j++ {
		for i := 0; i < h.d; i++ {
			wmax = math.Max(wmax, math.Abs(w.At(j, i)))
		}
	}
	h.zeroCoord = make([]bool, h.d)
	for i := 0; i < h.d; i++ {
		z := true
		for j := 0; j < h.k && z; j++ {
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
}

// group returns the data of column g: its features, the float64 logits
// z = W h + b, and the loss's gradient (divided by N: the G column) and
// curvature there, evaluated by the package's big-float loss (sampleLoss)
// at the exact values of the float64 logits and rounded to float64.
func (h *hessian) group(g int) (hgroup, error) {
	k, d := h.k, h.d
	gr := hgroup{y: h.pt.Labels[g], m: float64(h.pt.Mult[g]), h: mat.Col(nil, g, h.pt.Columns)}
	zb := make([]*big.Float, k)
	for j := 0; j < k; j++ {
		z := 0.0
		for i := 0; i < d; i++ {
			z += h.pt.W.At(j, i) * gr.h[i]
		}
		if h.pt.B != nil {
			z += h.pt.B[j]
		}
		if math.IsNaN(z) || math.IsInf(z, 0) {
			return gr, fmt.Errorf("derivation: hessian: logit %d of column %d is %v: %w", j+1, g+1, z, setting.ErrNonFinite)
		}
		zb[j] = new(big.Float).SetFloat64(z)
	}
	_, grad := h.loss.value(zb, gr.y)
	curv := h.loss.curvature(zb, gr.y)
	gr.g = make([]float64, k)
	gr.curv = make([][]float64, k)
	for j := 0; j < k; j++ {
		v, _ := grad[j].Float64()
		gr.g[j] = v / h.n
		gr.curv[j] = make([]float64, k)
		for l := 0; l < k; l++ {
			gr.curv[j][l], _ = curv[j][l].Float64()
		}
	}
	return gr, nil
}

// classify sorts the entries of the group's features (free, fixed, zero
// slack, negative) into rep, counting each mult times, and returns the
// largest |grad_H| over the free entries.
func (h *hessian) classify(gr *hgroup, mult int, rep *HessianReport) float64 {
	w := h.pt.W
	gradNorm := 0.0
	gr.zeroC = make([]bool, h.d)
	for i := 0; i < h.d; i++ {
		slack, scale := h.lh*gr.h[i], 0.0
		for j := 0; j < h.k; j++ {
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
	return gradNorm
}
