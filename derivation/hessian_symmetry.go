package derivation

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Limits of symmetryDim: the number of rotation generators, and the work
// (rows times squared width) of the Gram matrices it accumulates.
const (
	maxSkew    = 1500
	maxSymWork = 2e9
	symRelTol  = 1e-12 // eigenvalue of a Gram matrix counted as 0, relative to the largest
)

// symmetryDim returns the dimension of the tangent space of the rotation
// orbit inside the free variables: generators A (skew-symmetric on the
// active coordinates) with (A H) = 0 on every entry of H that is not free,
// mapped to (-W A, A H on the free entries). Both the constraint and the
// image are handled through their Gram matrices, accumulated from sparse
// rows. -1 when too large.
func (h *hessian) symmetryDim() int {
	rg := h.generators()
	if rg.count() == 0 {
		return 0
	}
	if rg.count() > maxSkew {
		return -1
	}
	if float64(len(h.groups))*float64(rg.na)*float64(rg.na)*float64(rg.na) > maxSymWork {
		return -1
	}
	kernel := nullSpace(h.constraintGram(rg))
	if kernel == nil {
		return 0
	}
	_, nk := kernel.Dims()
	rowsCount := float64(h.k*rg.na) + float64(len(h.groups)*rg.na)
	if rowsCount*float64(nk)*float64(nk) > maxSymWork {
		return -1
	}
	vals, _, err := eigenSym(h.imageGram(rg, kernel), false)
	if err != nil {
		return -1
	}
	top := vals[len(vals)-1]
	r := 0
	for _, v := range vals {
		if v > symRelTol*top {
			r++
		}
	}
	return r
}

// rotationGenerators are the generators A = E_ab - E_ba of the rotations of
// the active coordinates (those that are not zero coordinates), one per pair
// a < b of positions in act.
type rotationGenerators struct {
	act []int // the active coordinates
	pos []int // position of a coordinate in act, -1 if inactive
	na  int
}

// sparseEntry is an entry of a sparse row over the generators.
type sparseEntry struct {
	q int
	v float64
}

func (h *hessian) generators() rotationGenerators {
	rg := rotationGenerators{pos: make([]int, h.d)}
	for i := 0; i < h.d; i++ {
		rg.pos[i] = -1
		if !h.zeroCoord[i] {
			rg.pos[i] = len(rg.act)
			rg.act = append(rg.act, i)
		}
	}
	rg.na = len(rg.act)
	return rg
}

func (rg rotationGenerators) count() int { return rg.na * (rg.na - 1) / 2 }

// pair is the index of the generator of positions x < y.
func (rg rotationGenerators) pair(x, y int) int { return x*rg.na - x*(x+1)/2 + (y - x - 1) }

// rowOf returns the sparse row of (A H)_{i,g} over generators: row a of
// A H is H[b, g] for pairs (a, b), and -H[a', g] for pairs (a', i).
func (rg rotationGenerators) rowOf(gr *hgroup, i int) []sparseEntry {
	x := rg.pos[i]
	var row []sparseEntry
	for y := 0; y < rg.na; y++ {
		v := gr.h[rg.act[y]]
		switch {
		case y == x || v == 0:
		case y > x:
			row = append(row, sparseEntry{rg.pair(x, y), v})
		default:
			row = append(row, sparseEntry{rg.pair(y, x), -v})
		}
	}
	return row
}

// constraintGram is the Gram matrix of the constraints (A H)_{i,g} = 0 over
// the entries of H that are not free.
func (h *hessian) constraintGram(rg rotationGenerators) *mat.SymDense {
	cg := mat.NewSymDense(rg.count(), nil)
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range rg.act {
			if isFree(gr, i) {
				continue
			}
			row := rg.rowOf(gr, i)
			for _, e1 := range row {
				for _, e2 := range row {
					if e2.q <= e1.q {
						cg.SetSym(e1.q, e2.q, cg.At(e1.q, e2.q)+e1.v*e2.v)
					}
				}
			}
		}
	}
	return cg
}

func isFree(gr *hgroup, i int) bool {
	for _, f := range gr.free {
		if f == i {
			return true
		}
	}
	return false
}

// imageGram is the Gram matrix of the image of the admissible generators
// (the columns of kernel): rows (-W A)_{j,i} and sqrt(m) (A H)_{i,g} on the
// free entries, each a combination of the kernel columns.
func (h *hessian) imageGram(rg rotationGenerators, kernel *mat.Dense) *mat.SymDense {
	_, nk := kernel.Dims()
	ig := mat.NewSymDense(nk, nil)
	addRow := func(row []sparseEntry, scale float64) {
		dense := make([]float64, nk)
		for _, e := range row {
			for c := 0; c < nk; c++ {
				dense[c] += e.v * kernel.At(e.q, c)
			}
		}
		for c := 0; c < nk; c++ {
			for c2 := 0; c2 <= c; c2++ {
				ig.SetSym(c, c2, ig.At(c, c2)+scale*dense[c]*dense[c2])
			}
		}
	}
	for j := 0; j < h.k; j++ {
		for x := range rg.act {
			// (W A)_{j,i} = sum_l W_{j,l} A_{l,i}: A_{a,i} = 1 for pairs (a, i),
			// A_{b,i} = -1 for pairs (i, b).
			var row []sparseEntry
			for y := 0; y < rg.na; y++ {
				if y < x {
					row = append(row, sparseEntry{rg.pair(y, x), -h.pt.W.At(j, rg.act[y])})
				} else if y > x {
					row = append(row, sparseEntry{rg.pair(x, y), h.pt.W.At(j, rg.act[y])})
				}
			}
			addRow(row, 1)
		}
	}
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range gr.free {
			if rg.pos[i] < 0 {
				continue
			}
			addRow(rg.rowOf(gr, i), gr.m)
		}
	}
	return ig
}

// nullSpace returns an orthonormal basis (columns) of the null space of a
// matrix given by its Gram matrix g = C^T C: the eigenvectors of g with
// eigenvalue at most symRelTol times the largest; nil if there are none.
func nullSpace(g *mat.SymDense) *mat.Dense {
	n := g.SymmetricDim()
	vals, vecs, err := eigenSym(g, true)
	if err != nil {
		return nil
	}
	top := math.Max(vals[len(vals)-1], 0)
	var cols []int
	for c, v := range vals {
		if v <= symRelTol*top {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	out := mat.NewDense(n, len(cols), nil)
	for c, src := range cols {
		for r := 0; r < n; r++ {
			out.Set(r, c, vecs.At(r, src))
		}
	}
	return out
}
