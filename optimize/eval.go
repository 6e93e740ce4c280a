package optimize

import (
	"fmt"
	"math"

	"nccheck/setting"
)

// Samples are evaluated in blocks of blockSize(d) samples (about 256 KB
// of features, so that a block's features, logits and feature gradients
// stay in the L2 cache between the three products), and the blocks in
// evalGroups groups of consecutive blocks: each group accumulates its own
// partial sums (loss, squared features, G H^T, G 1) block after block, and
// FuncGrad adds the groups' partials in group order. Blocks and groups are
// fixed by N and d alone, so the result does not depend on how many
// threads evaluate the groups.
const evalGroups = 16

// blockSize returns the number of samples per block for dimension d.
func blockSize(d int) int { return max(16, min(2048, 32768/d)) }

// Evaluator computes the objective and its gradient on variable vectors
// (layout: see Problem.Vector), for the problem's loss (see Problem.Loss).
// It owns preallocated workspaces, so FuncGrad does not allocate with one
// thread; it is not safe for concurrent use (use one Evaluator per
// goroutine). It is the Objective the methods of Solve run on.
type Evaluator struct {
	p       *Problem
	k, d    int
	n       int
	kp      int       // K rounded up to a multiple of 8: the row stride of z and wt
	k4      int       // K rounded up to a multiple of 4: the rows of the G H^T partials
	labels  []int     // class of each sample
	z       []float64 // N x kp logits, then (P - Y)/N (columns K..kp-1 are 0)
	bs      int       // samples per block
	nb      int       // number of blocks
	ng      int       // number of groups of blocks
	part    []float64 // per group: sum of the samples' losses
	sh      []float64 // per group: sum of squared features
	gw      []float64 // per group: k4 x d partial G H^T
	gb      []float64 // per group: K partial G 1
	wt      []float64 // W^T, d x kp (columns K..kp-1 are 0)
	asm     bool      // use the assembly tiles of mulAdd (when the CPU has them)
	threads int
	pool    *pool // helper goroutines, shared with the solver's vector loops
	evals   int
	loss    setting.LossKind // the problem's loss
	smooth  float64          // its smoothing a (label smoothing)
	// sampleLoss, when not nil, receives the loss of every sample (see
	// funcGradLoss).
	sampleLoss []float64
}

// NewEvaluator returns an evaluator for p, using one thread.
func NewEvaluator(p *Problem) (*Evaluator, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("optimize: invalid problem: %w", err)
	}
	e := &Evaluator{p: p, k: p.K(), d: p.Dim, n: p.N(), threads: 1, asm: true, loss: p.Loss.Kind()}
	if e.loss == setting.LabelSmoothing {
		e.smooth = p.Loss.Smoothing().Float64()
	}
	e.kp = (e.k + 7) &^ 7
	e.k4 = (e.k + 3) &^ 3
	e.labels = make([]int, 0, e.n)
	for k, c := range p.Counts {
		for i := 0; i < c; i++ {
			e.labels = append(e.labels, k)
		}
	}
	e.z = make([]float64, e.n*e.kp)
	e.bs = blockSize(e.d)
	e.nb = (e.n + e.bs - 1) / e.bs
	e.ng = min(e.nb, evalGroups)
	e.part = make([]float64, e.ng)
	e.sh = make([]float64, e.ng)
	e.gw = make([]float64, e.ng*e.k4*e.d)
	e.gb = make([]float64, e.ng*e.k)
	e.wt = make([]float64, e.d*e.kp)
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
// The softmax of the cross-entropies uses the max-shifted log-sum-exp. A
// non-finite f or gradient is reported as an error wrapping
// setting.ErrNonFinite.
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
			e.wt[l*e.kp+j] = x[j*d+l]
		}
	}
	if t := min(e.threads, e.ng); t > 1 {
		e.pool.run(e.ng, func(g int) { e.group(g, x, grad) })
	} else {
		for g := 0; g < e.ng; g++ {
			e.group(g, x, grad)
		}
	}
	// Reduce the groups in order.
	lw, lh := p.LambdaW, p.LambdaH
	gw := grad[:oh]
	kd := e.k4 * d
	copy(gw, e.gw[:k*d])
	loss, sh := e.part[0], e.sh[0]
	for g := 1; g < e.ng; g++ {
		addTo(gw, e.gw[g*kd:g*kd+k*d])
		loss += e.part[g]
		sh += e.sh[g]
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
		for g := 1; g < e.ng; g++ {
			addTo(gb, e.gb[g*k:(g+1)*k])
		}
		sb := 0.0
		for j, v := range b {
			gb[j] += p.LambdaB * v
			sb += v * v
		}
		f += 0.5 * p.LambdaB * sb
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f, fmt.Errorf("optimize: objective %v: %w", f, setting.ErrNonFinite)
	}
	// With f finite, every entry of W, H and b is finite (their squares
	// are terms of f) and every softmax is (a NaN or infinite logit makes
	// its loss non-finite), so for the cross-entropies, whose G has entries
	// of at most 1/N, the feature gradients lambda_H h + W^T g are finite:
	// only the W and b parts, sums over the samples, are checked. The G of
	// the squared error is not bounded: its feature gradients are checked
	// too.
	check := grad[:oh]
	if e.loss == setting.SquaredError {
		check = grad[:ob]
	}
	for _, v := range check {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return f, fmt.Errorf("optimize: gradient entry %v: %w", v, setting.ErrNonFinite)
		}
	}
	for _, v := range grad[ob:] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return f, fmt.Errorf("optimize: gradient entry %v: %w", v, setting.ErrNonFinite)
		}
	}
	return f, nil
}

// funcGradLoss is FuncGrad that also stores the loss of each sample in
// loss (length N).
func (e *Evaluator) funcGradLoss(x, grad, loss []float64) (float64, error) {
	e.sampleLoss = loss[:e.n]
	defer func() { e.sampleLoss = nil }()
	return e.FuncGrad(x, grad)
}

// group evaluates the blocks of group g in order, accumulating the group's
// partial sums.
func (e *Evaluator) group(g int, x, grad []float64) {
	b0, b1 := g*e.nb/e.ng, (g+1)*e.nb/e.ng
	gw := e.gw[g*e.k4*e.d : (g+1)*e.k4*e.d]
	var gb []float64
	if e.p.Bias {
		gb = e.gb[g*e.k : (g+1)*e.k]
		for j := range gb {
			gb[j] = 0
		}
	}
	loss, sh := 0.0, 0.0
	for b := b0; b < b1; b++ {
		l, s := e.block(b, x, grad, gw, gb, b == b0)
		loss += l
		sh += s
	}
	e.part[g] = loss
	e.sh[g] = sh
}

// block computes the feature gradients of the samples of block b and adds
// its loss and squared features (returned), its G H^T to gw (set when
// first) and its G 1 to gb (with a bias). The three products are mulAdd
// calls (assembly tiles where available); the loss and the gradient G of
// each sample's logits (loss.go) are computed in between.
func (e *Evaluator) block(b int, x, grad, gw, gb []float64, first bool) (loss, sh float64) {
	p := e.p
	k, d, kp := e.k, e.d, e.kp
	r0, r1 := b*e.bs, min((b+1)*e.bs, e.n)
	rows := r1 - r0
	oh, ob := p.offH(), p.offB()
	h := x[oh+r0*d : oh+r1*d]
	z := e.z[r0*kp : r1*kp]
	// Logits Z = H^T W^T (W^T zero-padded to kp columns).
	mulAdd(bestLevel(e.asm), rows, kp, modeZero, h, d, 1, e.wt, kp, d, z, kp, nil, 0, 0)
	var bias []float64
	if p.Bias {
		bias = x[ob : ob+k]
	}
	invN := 1 / float64(e.n)
	switch e.loss {
	case setting.LabelSmoothing:
		loss = e.smoothedRows(r0, r1, bias, gb, invN)
	case setting.SquaredError:
		loss = e.squaredRows(r0, r1, bias, gb, invN)
	default:
		loss = e.crossEntropyRows(r0, r1, bias, gb, invN)
	}
	// Feature gradients lambda_H H + W^T G.
	gh := grad[oh+r0*d : oh+r1*d]
	mulAdd(bestLevel(e.asm), rows, d, modeScale, z, kp, 1, x[:k*d], d, k, gh, d, h, d, p.LambdaH)
	sh = sumSquares(h)
	// G H^T of the block, added to the group's partial.
	mode := modeAcc
	if first {
		mode = modeZero
	}
	mulAdd(bestLevel(e.asm), e.k4, d, mode, z, 1, kp, h, d, rows, gw, d, nil, 0, 0)
	return loss, sh
}

// sumSquares returns sum_i v_i^2 with four accumulators.
func sumSquares(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		a, b, c, d := v[i], v[i+1], v[i+2], v[i+3]
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(v); i++ {
		s0 += v[i] * v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// classGradients sets q[k] (length K) to G 1_k, the gradient of the loss
// term with respect to the logits summed over the samples of class k (for
// cross-entropy sum_i (p_i - e_k)/N), at the point of the last FuncGrad
// call.
func (e *Evaluator) classGradients(q [][]float64) {
	k, kp := e.k, e.kp
	i := 0
	for c, n := range e.p.Counts {
		qc := q[c][:k]
		for j := range qc {
			qc[j] = 0
		}
		for ; n > 0; n-- {
			addTo(qc, e.z[i*kp:i*kp+k])
			i++
		}
	}
}
