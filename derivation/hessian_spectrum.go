package derivation

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// analyse forms and decomposes the Hessian and decides.
func (h *hessian) analyse(rep *HessianReport) (*HessianReport, error) {
	// Reduced Hessian and the within-group blocks.
	red, within, err := h.matrices()
	if err != nil {
		return nil, err
	}
	var eig []float64
	if red != nil {
		rep.ReducedDim = red.SymmetricDim()
		var err error
		if eig, _, err = eigenSym(red, false); err != nil {
			return nil, err
		}
	}
	if h.plain {
		// Each unused coordinate's own block (plain UFM).
		extra, err := h.unusedSpectrum(rep.Unused)
		if err != nil {
			return nil, err
		}
		eig = append(eig, extra...)
	} else {
		// The W columns of the zero coordinates, left out of the matrix.
		for c := 0; c < h.k*rep.Cone.Coordinates; c++ {
			eig = append(eig, h.lw)
		}
	}
	for _, wb := range within {
		vals, _, err := eigenSym(wb.block, false)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			for c := 0; c < wb.copies; c++ {
				eig = append(eig, v)
			}
		}
	}
	sort.Float64s(eig)
	for _, v := range eig {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("derivation: hessian eigenvalue: %w", setting.ErrNonFinite)
		}
	}
	rep.Largest = eig[len(eig)-1]
	tol := h.opt.ZeroTol * math.Max(math.Abs(rep.Largest), math.Abs(eig[0]))
	for _, v := range eig {
		switch {
		case v < -tol:
			rep.Negative++
		case v <= tol:
			rep.NearZero++
		default:
			if rep.SmallestNonzero == 0 {
				rep.SmallestNonzero = v
			}
		}
	}
	rep.Smallest = append([]float64(nil), eig[:min(h.opt.Smallest, len(eig))]...)
	if h.plain {
		rep.SpanRank = h.spanRank()
		rep.ExpectedZero = orbitDim(rep.SpanRank, h.d)
		if rep.Unused > 0 && len(h.unusedEig) > 0 {
			v := h.unusedEig[0]
			rep.UnusedMin = &v
			for _, e := range h.unusedEig {
				if math.Abs(e) <= tol {
					rep.UnusedZero++
				}
			}
		}
	} else {
		rep.ExpectedZero = h.symmetryDim()
	}
	if h.s.Unregularised() && h.s.Loss.Softmax() {
		rep.BiasShift = 1
		if rep.ExpectedZero >= 0 {
			rep.ExpectedZero++
		}
	}
	rep.Cone = h.cone(rep.Cone, tol)
	h.verdict(rep, tol)
	return rep, nil
}

// eigenSym returns the eigenvalues (ascending) and, if vectors is set, the
// eigenvectors of a. The matrix is scaled by a power of two that brings its
// largest entry near 1 (exact, and it keeps LAPACK away from the subnormal
// range); a failure or a panic of the solver is an error.
func eigenSym(a *mat.SymDense, vectors bool) (vals []float64, vecs *mat.Dense, err error) {
	n := a.SymmetricDim()
	top := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			top = math.Max(top, math.Abs(a.At(i, j)))
		}
	}
	if math.IsNaN(top) || math.IsInf(top, 0) {
		return nil, nil, fmt.Errorf("derivation: hessian: %w", setting.ErrNonFinite)
	}
	scale := 1.0
	if top > 0 {
		_, e := math.Frexp(top)
		scale = math.Ldexp(1, -e)
	}
	b := mat.NewSymDense(n, nil)
	b.ScaleSym(scale, a)
	defer func() {
		if r := recover(); r != nil {
			vals, vecs, err = nil, nil, fmt.Errorf("derivation: symmetric eigensolver failed: %v", r)
		}
	}()
	var es mat.EigenSym
	if !es.Factorize(b, vectors) {
		return nil, nil, errors.New("derivation: symmetric eigendecomposition did not converge")
	}
	vals = es.Values(nil)
	for i := range vals {
		vals[i] /= scale
	}
	if vectors {
		vecs = new(mat.Dense)
		es.VectorsTo(vecs)
	}
	return vals, vecs, nil
}

type withinBlock struct {
	block  *mat.SymDense
	copies int
}

// hessianLayout is the order of the variables of the reduced Hessian: W
// row-major over the coordinates that are not zero coordinates, b (K, with
// a bias), then for each group its aggregated free features
// u = (1/sqrt(m)) sum of the group's samples' variations.
type hessianLayout struct {
	na   int   // number of coordinates that are not zero coordinates
	wpos []int // position of coordinate i among them; -1 for a zero coordinate
	nb   int   // K with a bias, 0 without
	offB int   // index of b_0
	offs []int // index of the first free feature of each group
	dim  int
}

// w is the index of W[j, i].
func (l *hessianLayout) w(j, i int) int { return j*l.na + l.wpos[i] }

func (h *hessian) layout() hessianLayout {
	l := hessianLayout{wpos: make([]int, h.d)}
	for i := range l.wpos {
		l.wpos[i] = -1
		if !h.zeroCoord[i] {
			l.wpos[i] = l.na
			l.na++
		}
	}
	if h.s.Bias {
		l.nb = h.k
	}
	l.offB = h.k * l.na
	l.dim = l.offB + l.nb
	l.offs = make([]int, len(h.groups))
	for g, gr := range h.groups {
		l.offs[g] = l.dim
		l.dim += len(gr.free)
	}
	return l
}

// symAccum accumulates entries into the lower triangle of a symmetric
// matrix.
type symAccum struct{ a *mat.SymDense }

func (s symAccum) add(i, j int, v float64) { s.a.SetSym(i, j, s.a.At(i, j)+v) }

// matrices assembles the reduced Hessian (variables in the order of
// hessianLayout) and the per-sample blocks of the groups with m > 1. The W
// columns of zero coordinates decouple (eigenvalue lambda_W, K each) and are
// left out.
func (h *hessian) matrices() (*mat.SymDense, []withinBlock, error) {
	lay := h.layout()
	if lay.dim > h.opt.MaxDim {
		return nil, nil, fmt.Errorf("%w: %d variables after grouping, limit %d", ErrTooLarge, lay.dim, h.opt.MaxDim)
	}
	if lay.dim == 0 {
		// Everything is 0 on zero coordinates (global collapse, no bias).
		return nil, nil, nil
	}
	acc := symAccum{mat.NewSymDense(lay.dim, nil)}
	for i := 0; i < lay.offB; i++ {
		acc.add(i, i, h.lw)
	}
	for j := 0; j < lay.nb; j++ {
		acc.add(lay.offB+j, lay.offB+j, h.lb)
	}
	var within []withinBlock
	for g := range h.groups {
		blk := h.addGroup(acc, &lay, g)
		if blk != nil && h.groups[g].m > 1 {
			within = append(within, withinBlock{block: blk, copies: h.pt.Mult[g] - 1})
		}
	}
	return acc.a, within, nil
}

// addGroup adds the terms of group g to the reduced Hessian and returns its
// per-sample block W_F^T S W_F / N + lambda_H I (F the free coordinates, S
// the loss's curvature), nil when it has no free feature.
func (h *hessian) addGroup(acc symAccum, lay *hessianLayout, g int) *mat.SymDense {
	k, nb := h.k, lay.nb
	gr := &h.groups[g]
	w := h.pt.W
	// S/N and (S W)/N.
	sn := make([][]float64, k)
	for j := range sn {
		sn[j] = make([]float64, k)
		for l := range sn[j] {
			sn[j][l] = gr.curv[j][l] / h.n
		}
	}
	sw := make([][]float64, k) // (S W / N)[j][i]
	for j := range sw {
		sw[j] = make([]float64, h.d)
		for i := 0; i < h.d; i++ {
			for l := 0; l < k; l++ {
				sw[j][i] += sn[j][l] * w.At(l, i)
			}
		}
	}
	var nz []int
	for i, v := range gr.h {
		if v != 0 {
			nz = append(nz, i)
		}
	}
	m, sm := gr.m, math.Sqrt(gr.m)
	for j := 0; j < k; j++ {
		for l := 0; l <= j; l++ {
			for _, i := range nz {
				for _, i2 := range nz {
					r, c := lay.w(j, i), lay.w(l, i2)
					if l == j && c > r {
						continue
					}
					acc.add(r, c, m*sn[j][l]*gr.h[i]*gr.h[i2])
				}
			}
		}
		for l := 0; l < nb; l++ {
			for _, i := range nz {
				acc.add(lay.w(j, i), lay.offB+l, m*sn[j][l]*gr.h[i])
			}
			if l <= j {
				acc.add(lay.offB+j, lay.offB+l, m*sn[j][l])
			}
		}
	}
	// Couplings with the aggregated free features.
	for q, i2 := range gr.free {
		col := lay.offs[g] + q
		for j := 0; j < k; j++ {
			for _, i := range nz {
				acc.add(lay.w(j, i), col, sm*sw[j][i2]*gr.h[i])
			}
			acc.add(lay.w(j, i2), col, sm*gr.g[j])
			if nb > 0 {
				acc.add(lay.offB+j, col, sm*sw[j][i2])
			}
		}
	}
	// The per-sample block.
	nf := len(gr.free)
	if nf == 0 {
		return nil
	}
	blk := mat.NewSymDense(nf, nil)
	for q, i := range gr.free {
		for q2 := 0; q2 <= q; q2++ {
			i2 := gr.free[q2]
			v := 0.0
			for j := 0; j < k; j++ {
				v += w.At(j, i) * sw[j][i2]
			}
			if q == q2 {
				v += h.lh
			}
			blk.SetSym(q, q2, v)
			acc.add(lay.offs[g]+q, lay.offs[g]+q2, v)
		}
	}
	return blk
}
