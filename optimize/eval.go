package optimize

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// ErrNonFinite is returned (wrapped) when the objective or its gradient is
// not a finite number.
var ErrNonFinite = errors.New("non-finite objective or gradient")

// evalBlock is the number of samples per block of the evaluation. The
// blocks are fixed by N alone, and their partial sums are reduced in block
// order, so the result does not depend on how many threads evaluate them.
const evalBlock = 512

// Evaluator computes the objective and its gradient on variable vectors
// (layout: see Problem.Vector). It owns preallocated workspaces, so
// FuncGrad does not allocate with one thread; it is not safe for concurrent
// use (use one Evaluator per goroutine).
type Evaluator struct {
	p       *Problem
	k, d    int
	n       int
	labels  []int     // class of each sample
	z       []float64 // N x K logits, then (P - Y)/N
	nb      int       // number of blocks
	loss    []float64 // per block: sum of cross-entropies
	sh      []float64 // per block: sum of squared features
	gw      []float64 // per block: K x d partial G H^T
	gb      []float64 // per block: K partial G 1
	wt      []float64 // W^T, d x K
	threads int
	pool    *pool // helper goroutines, shared with the solver's vector loops
	evals   int
}

// NewEvaluator returns an evaluator for p, using one thread.
func NewEvaluator(p *Problem) (*Evaluator, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("optimize: invalid problem: %w", err)
	}
	e := &Evaluator{p: p, k: p.K(), d: p.Dim, n: p.N(), threads: 1}
	e.labels = make([]int, 0, e.n)
	for k, c := range p.Counts {
		for i := 0; i < c; i++ {
			e.labels = append(e.labels, k)
		}
	}
	e.z = make([]float64, e.n*e.k)
	e.nb = (e.n + evalBlock - 1) / evalBlock
	e.loss = make([]float64, e.nb)
	e.sh = make([]float64, e.nb)
	e.gw = make([]float64, e.nb*e.k*e.d)
	e.gb = make([]float64, e.nb*e.k)
	e.wt = make([]float64, e.k*e.d)
	return e, nil
}

// SetThreads sets the number of goroutines FuncGrad uses (at least 1). The
// results are bit-for-bit the same for every thread count.
func (e *Evaluator) SetThreads(n int) {
	e.threads = max(1, n)
	e.pool = nil
	if e.threads > 1 {
		e.pool = newPool(e.threads)
	}
}

// Problem returns the evaluator's problem.
func (e *Evaluator) Problem() *Problem { return e.p }

// Evaluations returns the number of FuncGrad calls so far.
func (e *Evaluator) Evaluations() int { return e.evals }

// FuncGrad returns f(x) and stores the gradient in grad (same length as x).
// The softmax uses the max-shifted log-sum-exp. A non-finite f or gradient
// is reported as an error wrapping ErrNonFinite.
func (e *Evaluator) FuncGrad(x, grad []float64) (float64, error) {
	p := e.p
	k, d := e.k, e.d
	if len(x) != p.NumVars() || len(grad) != len(x) {
		return 0, fmt.Errorf("optimize: vector length %d / gradient length %d, want %d", len(x), len(grad), p.NumVars())
	}
	e.evals++
	oh, ob := p.offH(), p.offB()
	for j := 0; j < k; j++ {
		for l := 0; l < d; l++ {
			e.wt[l*k+j] = x[j*d+l]
		}
	}
	if t := min(e.threads, e.nb); t > 1 {
		e.pool.run(e.nb, func(b int) { e.block(b, x, grad) })
	} else {
		for b := 0; b < e.nb; b++ {
			e.block(b, x, grad)
		}
	}
	// Reduce the blocks in order.
	lw, lh := p.LambdaW, p.LambdaH
	gw := grad[:oh]
	copy(gw, e.gw[:k*d])
	loss, sh := e.loss[0], e.sh[0]
	for b := 1; b < e.nb; b++ {
		floats.Add(gw, e.gw[b*k*d:(b+1)*k*d])
		loss += e.loss[b]
		sh += e.sh[b]
	}
	sw := 0.0
	for i, v := range x[:oh] {
		gw[i] += lw * v
		sw += v * v
	}
	f := loss/float64(e.n) + 0.5*lw*sw + 0.5*lh*sh
	if p.Bias {
		b, gb := x[ob:ob+k], grad[ob:ob+k]
		copy(gb, e.gb[:k])
		for bl := 1; bl < e.nb; bl++ {
			floats.Add(gb, e.gb[bl*k:(bl+1)*k])
		}
		sb := 0.0
		for j, v := range b {
			gb[j] += p.LambdaB * v
			sb += v * v
		}
		f += 0.5 * p.LambdaB * sb
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f, fmt.Errorf("optimize: objective %v: %w", f, ErrNonFinite)
	}
	for _, v := range grad {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return f, fmt.Errorf("optimize: gradient entry %v: %w", v, ErrNonFinite)
		}
	}
	return f, nil
}

// block computes the partial sums of block b and the feature gradients of
// its samples. The logits W h and the feature gradients W^T g + lH h are
// computed per sample while h and g are in cache (for these shapes, K and d
// small and N large, this measured faster than gonum Dgemm calls, which
// also spawn goroutines); the partial G H^T of the block is one gonum
// Dgemm.
func (e *Evaluator) block(b int, x, grad []float64) {
	p := e.p
	k, d := e.k, e.d
	r0, r1 := b*evalBlock, min((b+1)*evalBlock, e.n)
	oh, ob := p.offH(), p.offB()
	w := x[:oh]
	var bias, gb []float64
	if p.Bias {
		bias = x[ob : ob+k]
		gb = e.gb[b*k : (b+1)*k]
		for j := range gb {
			gb[j] = 0
		}
	}
	gw := e.gw[b*k*d : (b+1)*k*d]
	wt := e.wt
	lh := p.LambdaH
	invN := 1 / float64(e.n)
	loss, sh := 0.0, 0.0
	for i := r0; i < r1; i++ {
		h := x[oh+i*d : oh+(i+1)*d]
		row := e.z[i*k : (i+1)*k]
		// Logits, two classes at a time with two accumulators each (four
		// independent chains of additions).
		j := 0
		for ; j+2 <= k; j += 2 {
			wa := w[j*d : (j+1)*d]
			wb := w[(j+1)*d : (j+2)*d]
			wa, wb = wa[:len(h)], wb[:len(h)]
			var a0, a1, b0, b1 float64
			l := 0
			for ; l+2 <= len(h); l += 2 {
				a0 += wa[l] * h[l]
				b0 += wb[l] * h[l]
				a1 += wa[l+1] * h[l+1]
				b1 += wb[l+1] * h[l+1]
			}
			if l < len(h) {
				a0 += wa[l] * h[l]
				b0 += wb[l] * h[l]
			}
			row[j], row[j+1] = a0+a1, b0+b1
		}
		if j < k {
			wa := w[j*d : (j+1)*d]
			wa = wa[:len(h)]
			var a0 float64
			for l, v := range h {
				a0 += wa[l] * v
			}
			row[j] = a0
		}
		if bias != nil {
			for j := range row {
				row[j] += bias[j]
			}
		}
		am := 0
		for j, v := range row {
			if v > row[am] {
				am = j
			}
		}
		m := row[am]
		y := e.labels[i]
		zy := row[y]
		// log sum_j exp(z_j) - z_y = log1p(sum_{j != argmax} exp(z_j - m)) + m - z_y.
		expShifted(row, m)
		rest := 0.0
		for j, ev := range row {
			if j != am {
				rest += ev
			}
		}
		loss += math.Log1p(rest) + (m - zy)
		inv := invN / (1 + rest)
		for j := range row {
			row[j] *= inv
		}
		row[y] -= invN
		// grad_h = W^T g + lH h (W^T is kept in e.wt, d x K).
		gh := grad[oh+i*d : oh+(i+1)*d]
		gh = gh[:len(h)]
		// Four features at a time: four independent chains of additions
		// of length K (two chains left the loop bound by add latency).
		l := 0
		for ; l+4 <= len(h); l += 4 {
			wa := wt[l*k : (l+1)*k]
			wb := wt[(l+1)*k : (l+2)*k]
			wc := wt[(l+2)*k : (l+3)*k]
			wd := wt[(l+3)*k : (l+4)*k]
			wa, wb, wc, wd = wa[:len(row)], wb[:len(row)], wc[:len(row)], wd[:len(row)]
			va, vb, vc, vd := h[l], h[l+1], h[l+2], h[l+3]
			a, b, c, dd := lh*va, lh*vb, lh*vc, lh*vd
			for j, gj := range row {
				a += gj * wa[j]
				b += gj * wb[j]
				c += gj * wc[j]
				dd += gj * wd[j]
			}
			gh[l], gh[l+1], gh[l+2], gh[l+3] = a, b, c, dd
			sh += va*va + vb*vb
			sh += vc*vc + vd*vd
		}
		for ; l+2 <= len(h); l += 2 {
			wa := wt[l*k : (l+1)*k]
			wb := wt[(l+1)*k : (l+2)*k]
			wa, wb = wa[:len(row)], wb[:len(row)]
			va, vb := h[l], h[l+1]
			a, b := lh*va, lh*vb
			for j, gj := range row {
				a += gj * wa[j]
				b += gj * wb[j]
			}
			gh[l], gh[l+1] = a, b
			sh += va*va + vb*vb
		}
		if l < len(h) {
			wa := wt[l*k : (l+1)*k]
			wa = wa[:len(row)]
			v := h[l]
			a := lh * v
			for j, gj := range row {
				a += gj * wa[j]
			}
			gh[l] = a
			sh += v * v
		}
		if gb != nil {
			for j, gj := range row {
				gb[j] += gj
			}
		}
	}
	// Partial G H^T = sum_i g_i h_i^T over the block, four samples at a
	// time (one load and store of G H^T per four products).
	for j := range gw {
		gw[j] = 0
	}
	i := r0
	for ; i+4 <= r1; i += 4 {
		h0 := x[oh+i*d : oh+(i+1)*d]
		h1 := x[oh+(i+1)*d : oh+(i+2)*d]
		h2 := x[oh+(i+2)*d : oh+(i+3)*d]
		h3 := x[oh+(i+3)*d : oh+(i+4)*d]
		h1, h2, h3 = h1[:len(h0)], h2[:len(h0)], h3[:len(h0)]
		z0 := e.z[i*k : (i+1)*k]
		z1 := e.z[(i+1)*k : (i+2)*k]
		z2 := e.z[(i+2)*k : (i+3)*k]
		z3 := e.z[(i+3)*k : (i+4)*k]
		z1, z2, z3 = z1[:len(z0)], z2[:len(z0)], z3[:len(z0)]
		for j, a0 := range z0 {
			a1, a2, a3 := z1[j], z2[j], z3[j]
			gwj := gw[j*d : (j+1)*d]
			gwj = gwj[:len(h0)]
			for l, v := range h0 {
				gwj[l] += a0*v + a1*h1[l] + a2*h2[l] + a3*h3[l]
			}
		}
	}
	for ; i < r1; i++ {
		h := x[oh+i*d : oh+(i+1)*d]
		for j, a := range e.z[i*k : (i+1)*k] {
			gwj := gw[j*d : (j+1)*d]
			gwj = gwj[:len(h)]
			for l, v := range h {
				gwj[l] += a * v
			}
		}
	}
	e.loss[b] = loss
	e.sh[b] = sh
}

// classGradients sets q[k] (length K) to G 1_k = sum over the samples i of
// class k of (p_i - e_k)/N, the gradient of the loss with respect to the
// logits summed over the class, at the point of the last FuncGrad call.
func (e *Evaluator) classGradients(q [][]float64) {
	k := e.k
	i := 0
	for c, n := range e.p.Counts {
		qc := q[c][:k]
		for j := range qc {
			qc[j] = 0
		}
		for ; n > 0; n-- {
			floats.Add(qc, e.z[i*k:(i+1)*k])
			i++
		}
	}
}
