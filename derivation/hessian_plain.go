package derivation

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// The plain UFM (no constraint H >= 0) in the second-order test.
//
// Every entry of H is a free variable, so there is no cone: the entries of
// H that are 0 are ordinary variables. Two things change.
//
// Unused coordinates. A coordinate i with W[:, i] = 0 and H[i, :] = 0
// decouples exactly: every mixed second derivative between (W[:, i], H[i, :])
// and the other variables carries a factor W[:, i] or H[i, :]. With the
// samples grouped (m_g identical samples with G column G_g = (p_g - e_y)/N),
// the aggregated variables of the coordinate, a = W[:, i] and
// u_g = (1/sqrt(m_g)) sum of the group's H[i, s], have the Hessian block
//
//	[[lambda_W I_K, B], [B^T, lambda_H I_G]],   B = [sqrt(m_g) G_g],
//
// and the within-group variations (summing to zero in a group) have
// curvature lambda_H, m_g - 1 times per group. The block is positive
// semi-definite iff lambda_W lambda_H >= the largest eigenvalue of B^T B;
// its zero eigenvalues are, at a minimizer, rotations of the span of the
// point into the unused coordinate.
//
// Symmetries. f is invariant under W -> W Q^T, H -> Q H for every Q in
// O(d). The orbit through a point X = [W^T H] (d x (K+N)) has tangent space
// {A X : A skew-symmetric}, of dimension dim so(d) - dim so(d - r) =
// r d - r (r+1)/2 for r = rank X: the rotations fixing span X pointwise
// (O(d - r)) are the stabiliser. At the simplex ETF, r = K-1: (K-1)(K-2)/2
// rotations inside the span of the ETF and (K-1)(d-K+1) rotations turning one
// of its directions into one of the d-K+1 unused coordinates. At W = 0, H = 0
// the orbit is a point: no zero eigenvalue is expected.

// unusedSpectrum returns the eigenvalues of the unused coordinates: the
// block of one coordinate (kept in h.unusedEig) repeated count times, and
// lambda_H for each within-group variation of each coordinate. The block has
// K + G rows (G groups) and must fit HessianOptions.MaxDim (ErrTooLarge).
func (h *hessian) unusedSpectrum(count int) ([]float64, error) {
	if count == 0 {
		return nil, nil
	}
	k, ng := h.k, len(h.groups)
	if k+ng > h.opt.MaxDim {
		return nil, fmt.Errorf("%w: an unused coordinate's block has %d variables after grouping, limit %d", ErrTooLarge, k+ng, h.opt.MaxDim)
	}
	blk := mat.NewSymDense(k+ng, nil)
	for j := 0; j < k; j++ {
		blk.SetSym(j, j, h.lw)
	}
	within := 0
	for g, gr := range h.groups {
		blk.SetSym(k+g, k+g, h.lh)
		sm := math.Sqrt(gr.m)
		for j := 0; j < k; j++ {
			blk.SetSym(j, k+g, sm*gr.g[j])
		}
		within += h.pt.Mult[g] - 1
	}
	vals, _, err := eigenSym(blk, false)
	if err != nil {
		return nil, err
	}
	h.unusedEig = vals
	out := make([]float64, 0, count*(len(vals)+within))
	for c := 0; c < count; c++ {
		out = append(out, vals...)
		for w := 0; w < within; w++ {
			out = append(out, h.lh)
		}
	}
	return out, nil
}

// spanRank returns the numerical rank of X = [W^T H] restricted to the
// coordinates that are not unused (the unused ones are zero rows): the
// number of eigenvalues of X X^T above symRelTol times the largest (the
// tolerance symmetryDim uses for its Gram matrices). Grouped columns count
// once; multiplicities do not change the rank.
func (h *hessian) spanRank() int {
	var act []int
	for i := 0; i < h.d; i++ {
		if !h.zeroCoord[i] {
			act = append(act, i)
		}
	}
	na := len(act)
	if na == 0 {
		return 0
	}
	g := mat.NewSymDense(na, nil)
	for x, i := range act {
		for y := 0; y <= x; y++ {
			i2 := act[y]
			v := 0.0
			for j := 0; j < h.k; j++ {
				v += h.pt.W.At(j, i) * h.pt.W.At(j, i2)
			}
			for _, gr := range h.groups {
				v += gr.h[i] * gr.h[i2]
			}
			g.SetSym(x, y, v)
		}
	}
	vals, _, err := eigenSym(g, false)
	if err != nil {
		return 0
	}
	top := vals[len(vals)-1]
	if !(top > 0) {
		return 0
	}
	r := 0
	for _, v := range vals {
		if v > symRelTol*top {
			r++
		}
	}
	return r
}

// orbitDim is the dimension of the O(d) orbit through a point of rank r:
// d(d-1)/2 - (d-r)(d-r-1)/2 = r d - r (r+1)/2.
func orbitDim(r, d int) int { return r*d - r*(r+1)/2 }
