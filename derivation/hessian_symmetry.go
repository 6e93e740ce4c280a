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
	k, d := h.k, h.d
	var act []int
	pos := make([]int, d) // position of a coordinate in act, -1 if inactive
	for i := 0; i < d; i++ {
		pos[i] = -1
		if !h.zeroCoord[i] {
			pos[i] = len(act)
			act = append(act, i)
		}
	}
	na := len(act)
	nsk := na * (na - 1) / 2
	if nsk == 0 {
		return 0
	}
	if nsk > maxSkew {
		return -1
	}
	// Generator q <-> pair (a, b), a < b (positions in act): A = E_ab - E_ba.
	pairIndex := func(x, y int) int { // x < y
		return x*na - x*(x+1)/2 + (y - x - 1)
	}
	type entry struct {
		q int
		v float64
	}
	// rowOf returns the sparse row of (A H)_{i,g} over generators: row a of
	// A H is H[b, g] for pairs (a, b), and -H[a', g] for pairs (a', i).
	rowOf := func(gr *hgroup, i int) []entry {
		x := pos[i]
		var row []entry
		for y := 0; y < na; y++ {
			if y == x {
				continue
			}
			if y > x {
				if v := gr.h[act[y]]; v != 0 {
					row = append(row, entry{pairIndex(x, y), v})
				}
			} else if v := gr.h[act[y]]; v != 0 {
				row = append(row, entry{pairIndex(y, x), -v})
			}
		}
		return row
	}
	isFree := func(gr *hgroup, i int) bool {
		for _, f := range gr.free {
			if f == i {
				return true
			}
		}
		return false
	}
	// Constraint Gram matrix.
	if float64(len(h.groups))*float64(na)*float64(na)*float64(na) > maxSymWork {
		return -1
	}
	cg := mat.NewSymDense(nsk, nil)
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range act {
			if isFree(gr, i) {
				continue
			}
			row := rowOf(gr, i)
			for _, e1 := range row {
				for _, e2 := range row {
					if e2.q <= e1.q {
						cg.SetSym(e1.q, e2.q, cg.At(e1.q, e2.q)+e1.v*e2.v)
					}
				}
			}
		}
	}
	kernel := nullSpace(cg)
	if kernel == nil {
		return 0
	}
	_, nk := kernel.Dims()
	rowsCount := float64(k*na) + float64(len(h.groups)*na)
	if rowsCount*float64(nk)*float64(nk) > maxSymWork {
		return -1
	}
	// Image Gram matrix: rows (-W A)_{j,i} and sqrt(m) (A H)_{i,g} on free
	// entries, each a combination of the kernel columns.
	ig := mat.NewSymDense(nk, nil)
	addRow := func(row []entry, scale float64) {
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
	for j := 0; j < k; j++ {
		for x := range act {
			// (W A)_{j,i} = sum_l W_{j,l} A_{l,i}: A_{a,i} = 1 for pairs (a, i),
			// A_{b,i} = -1 for pairs (i, b).
			var row []entry
			for y := 0; y < na; y++ {
				if y < x {
					row = append(row, entry{pairIndex(y, x), -h.pt.W.At(j, act[y])})
				} else if y > x {
					row = append(row, entry{pairIndex(x, y), h.pt.W.At(j, act[y])})
				}
			}
			addRow(row, 1)
		}
	}
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range gr.free {
			if pos[i] < 0 {
				continue
			}
			addRow(rowOf(gr, i), gr.m)
		}
	}
	vals, _, err := eigenSym(ig, false)
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
