package certificate

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// MaxClasses bounds K for the float64 bound: it keeps a few K x K float64
// matrices (K = 2048: about 200 MB) and an O(K^3) eigendecomposition.
const MaxClasses = 2048

// Accumulator computes the float64 certificate of one point from its
// logits, fed in blocks of samples in any order (one pass, O(K) work and no
// allocation per sample): it keeps, per class, the sum of -grad_z l over the
// class's samples (for the softmax losses the off-target softmax
// probabilities) and the sum of the losses. Bound then works at class level,
// in O(K^3). This is how a streamed pass over a checkpoint's features feeds
// it (each block's logits W h_i + b, as package metrics forms them).
//
// An Accumulator is not safe for concurrent use.
type Accumulator struct {
	s     setting.Setting
	m     model
	loss  Loss
	k     int
	n     int       // samples added
	seen  []int     // samples added per class
	dir   []float64 // K x K row-major: row y sums -grad l over class y
	sum   float64   // sum of the losses
	work  []float64
	spent time.Duration
}

// NewAccumulator returns an empty accumulator for the points of s (its
// counts, lambdas, bias, loss and ReLU constraint; d is not used: the bound
// holds for every d). Errors: the setting's validation errors
// (*setting.InputError), K above MaxClasses.
func NewAccumulator(s setting.Setting) (*Accumulator, error) {
	if err := checkSetting(s, MaxClasses); err != nil {
		return nil, err
	}
	l, err := LossOf(s.Loss)
	if err != nil {
		return nil, err
	}
	m := newModel(s.Clone())
	if m.s2 < 1e-290 {
		return nil, &setting.InputError{Field: setting.FieldLambdaW, Value: s.LambdaW.String(),
			Reason: fmt.Sprintf("lambda_W lambda_H = %s x %s is below the float64 range of the bound (1e-290); use BigBound", s.LambdaW, s.LambdaH)}
	}
	k := s.K()
	return &Accumulator{s: s.Clone(), m: m, loss: l, k: k, seen: make([]int, k),
		dir: make([]float64, k*k), work: make([]float64, k)}, nil
}

// Reset empties the accumulator for another point of the same setting.
func (a *Accumulator) Reset() {
	a.n, a.sum, a.spent = 0, 0, 0
	clear(a.seen)
	clear(a.dir)
}

// Samples returns the number of samples added so far.
func (a *Accumulator) Samples() int { return a.n }

// Add feeds the logits of a block of samples: logits is len(labels) x K,
// row-major (row i the K logits z_i = W h_i + b of the sample with label
// labels[i], 0-based). The block is checked before anything is added:
// *setting.InputError for a length mismatch ("logits") or a label out of
// range ("labels"), an error wrapping setting.ErrNonFinite for an infinite
// or NaN logit (naming the sample by its index in the order added).
func (a *Accumulator) Add(logits []float64, labels []int) error {
	start := time.Now()
	k := a.k
	if len(logits) != len(labels)*k {
		return &setting.InputError{Field: "logits",
			Reason: fmt.Sprintf("%d entries for %d labels and K = %d (want %d: one row of K logits per sample)", len(logits), len(labels), k, len(labels)*k)}
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			return &setting.InputError{Field: "labels", Value: strconv.Itoa(y),
				Reason: fmt.Sprintf("label of sample %d is outside 0..%d", a.n+i, k-1)}
		}
	}
	for i, v := range logits {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("certificate: logit %d of sample %d is %v: %w", i%k, a.n+i/k, v, setting.ErrNonFinite)
		}
	}
	for i, y := range labels {
		a.sum += a.loss.Direction(logits[i*k:(i+1)*k], y, a.dir[y*k:(y+1)*k], a.work)
		a.seen[y]++
	}
	a.n += len(labels)
	a.spent += time.Since(start)
	return nil
}

// AddSums feeds class-level sums instead of logits, for a point known only
// through sufficient statistics (a training loop's per-class sums):
// counts[k] samples of class k, dir (K x K, row-major) with row k the sum
// over those samples of -grad_z l(z_i; k) (for the cross-entropy, minus the
// gradient is e_k - softmax(z_i): row k is n_k e_k minus the sum of the
// class's softmax vectors, best formed with entry k as the sum of the row's
// off-target softmax sums), and lossSum the sum of their losses. It adds
// what Add would add for those samples. Errors: *setting.InputError for a
// length mismatch ("counts", "dir") or a negative count ("counts"), an
// error wrapping setting.ErrNonFinite for a non-finite sum.
func (a *Accumulator) AddSums(counts []int, dir []float64, lossSum float64) error {
	k := a.k
	switch {
	case len(counts) != k:
		return &setting.InputError{Field: "counts", Reason: fmt.Sprintf("%d entries, want K = %d", len(counts), k)}
	case len(dir) != k*k:
		return &setting.InputError{Field: "dir", Reason: fmt.Sprintf("%d entries, want K x K = %d", len(dir), k*k)}
	}
	for c, n := range counts {
		if n < 0 {
			return &setting.InputError{Field: "counts", Value: strconv.Itoa(n), Reason: fmt.Sprintf("class %d has a negative count", c)}
		}
	}
	if !finite(dir) || math.IsNaN(lossSum) || math.IsInf(lossSum, 0) {
		return fmt.Errorf("certificate: class sums: %w", setting.ErrNonFinite)
	}
	for i, v := range dir {
		a.dir[i] += v
	}
	for c, n := range counts {
		a.seen[c] += n
		a.n += n
	}
	a.sum += lossSum
	return nil
}

// BoundFor returns the float64 certificate of the added samples for the
// setting t instead of the accumulator's: the sums an accumulator keeps do
// not depend on the lambdas, the bias penalty or the ReLU constraint, so t
// may change those (lambdas known only after the pass, such as lambdas
// fitted to the point). t must have the accumulator's counts and loss
// (*setting.InputError otherwise) and is validated as NewAccumulator
// validates its setting.
func (a *Accumulator) BoundFor(t setting.Setting) (*Result, error) {
	b, err := NewAccumulator(t)
	if err != nil {
		return nil, err
	}
	if !t.Loss.Equal(a.s.Loss) {
		return nil, &setting.InputError{Field: setting.FieldLoss, Value: t.Loss.String(), Reason: "differs from the accumulator's loss " + a.s.Loss.String()}
	}
	if t.K() != a.k {
		return nil, &setting.InputError{Field: setting.FieldCounts, Reason: fmt.Sprintf("%d classes, the accumulator's %d", t.K(), a.k)}
	}
	for c, n := range t.Counts {
		if n != a.s.Counts[c] {
			return nil, &setting.InputError{Field: setting.FieldCounts, Reason: fmt.Sprintf("class %d has count %d, the accumulator's %d", c, n, a.s.Counts[c])}
		}
	}
	b.merge(a)
	b.spent = a.spent
	return b.Bound()
}

// Bound returns the float64 certificate of the point whose samples were
// added (see Result). Every class must have received exactly its count of
// the setting: otherwise a *setting.InputError naming "labels".
func (a *Accumulator) Bound() (*Result, error) {
	start := time.Now()
	for c, n := range a.s.Counts {
		if a.seen[c] != n {
			return nil, &setting.InputError{Field: "labels",
				Reason: fmt.Sprintf("class %d has %d samples, the setting's Counts say %d", c, a.seen[c], n)}
		}
	}
	g := make([][]float64, a.k)
	for c := range g {
		g[c] = make([]float64, a.k)
		for j := range g[c] {
			g[c][j] = a.dir[c*a.k+j] / float64(a.seen[c])
		}
	}
	res := &Result{Loss: a.sum / float64(a.n), Stats: Stats{Samples: a.n, Groups: a.n}}
	if math.IsInf(res.Loss, 0) {
		return nil, fmt.Errorf("certificate: the mean loss overflows: %w", setting.ErrNonFinite)
	}
	if err := classBound(a.m, a.loss, g, res); err != nil {
		return nil, err
	}
	res.Stats.Time = a.spent + time.Since(start)
	return res, nil
}

// logitBlock is the number of samples whose logits AtPoint forms at once.
const logitBlock = 1024

// AtPoint returns the float64 certificate at the point (W, H, b) of s and
// its objective f (Result.Objective, this package's own evaluation): W is
// K x d, H is d x N (one column per sample), b has length K with a bias
// and is nil without; labels[i] is the class of column i, or nil for the
// solver's layout (class by class, as s.Counts says). The logits
// W H + b 1^T are formed in blocks of 1024 samples (by gonum, or from the
// nonzero entries of H when at most a quarter are nonzero, as at a ReLU
// solver point) and fed to
// accumulators, one per fixed chunk of samples (at most 8, run on up to
// GOMAXPROCS goroutines) merged in chunk order: the result does not depend
// on the number of cores. With ReLU features H must be >= 0.
//
// Errors: *setting.InputError naming "W", "H", "b" or "labels" for
// mismatched shapes, labels or counts, or a negative feature with ReLU; an
// error wrapping setting.ErrNonFinite for an infinite or NaN entry.
func AtPoint(s setting.Setting, w, h *mat.Dense, b []float64, labels []int) (*Result, error) {
	start := time.Now()
	acc, err := NewAccumulator(s)
	if err != nil {
		return nil, err
	}
	labels, ww, hh, err := checkPoint(s, w, h, b, labels)
	if err != nil {
		return nil, err
	}
	k, _ := w.Dims()
	_, n := h.Dims()
	chunks := max(1, min(8, n/logitBlock, (1<<22)/(k*k))) // at most 32 MB of chunk sums
	parts := make([]*Accumulator, chunks)
	errs := make([]error, chunks)
	jobs := make(chan int, chunks)
	for c := range parts {
		jobs <- c
	}
	close(jobs)
	var wg sync.WaitGroup
	for range min(chunks, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				parts[c], errs[c] = acc.chunk(w, h, b, labels, c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
	for c, p := range parts {
		if errs[c] != nil {
			return nil, errs[c]
		}
		acc.merge(p)
	}
	res, err := acc.Bound()
	if err != nil {
		return nil, err
	}
	pen := acc.m.lw/2*ww + acc.m.lh/2*hh
	if b != nil {
		pen += s.LambdaB.Float64() / 2 * dotf(b, b)
	}
	res.Objective = res.Loss + pen
	if math.IsInf(res.Objective, 0) {
		return nil, fmt.Errorf("certificate: the objective overflows: %w", setting.ErrNonFinite)
	}
	res.Stats.Time = time.Since(start)
	return res, nil
}

// chunk returns an accumulator (of a's setting) fed with the samples
// c0..c1-1 of the point.
func (a *Accumulator) chunk(w, h *mat.Dense, b []float64, labels []int, c0, c1 int) (*Accumulator, error) {
	p := &Accumulator{s: a.s, m: a.m, loss: a.loss, k: a.k, n: c0, seen: make([]int, a.k),
		dir: make([]float64, a.k*a.k), work: make([]float64, a.k)}
	k, d := w.Dims()
	buf := make([]float64, min(c1-c0, logitBlock)*k)
	var wt *mat.Dense // W^T, rows W[:, i], for sparse blocks
	for b0 := c0; b0 < c1; b0 += logitBlock {
		b1 := min(c1, b0+logitBlock)
		z := mat.NewDense(b1-b0, k, buf[:(b1-b0)*k])
		if sparse(h, b0, b1) {
			if wt == nil {
				wt = mat.DenseCopyOf(w.T())
			}
			sparseLogits(z, h, wt, b0, b1)
		} else {
			z.Mul(h.Slice(0, d, b0, b1).T(), w.T())
		}
		if b != nil {
			for i := 0; i < b1-b0; i++ {
				row := z.RawRowView(i)
				for j := range row {
					row[j] += b[j]
				}
			}
		}
		if err := p.Add(z.RawMatrix().Data, labels[b0:b1]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// sparse reports whether at most a quarter of the entries of the columns
// b0..b1-1 of H are nonzero (as at a ReLU minimizer, where a sample's
// feature has one or a few positive coordinates).
func sparse(h *mat.Dense, b0, b1 int) bool {
	d, _ := h.Dims()
	nnz, limit := 0, d*(b1-b0)/4
	for i := 0; i < d; i++ {
		for _, v := range h.RawRowView(i)[b0:b1] {
			if v != 0 {
				if nnz++; nnz > limit {
					return false
				}
			}
		}
	}
	return true
}

// sparseLogits sets z (row s: sample b0+s) to H[:, b0:b1]^T W^T from the
// nonzero entries of H only: z_s = sum_i h_{i,s} W[:, i], rows of wt = W^T.
func sparseLogits(z, h, wt *mat.Dense, b0, b1 int) {
	d, _ := h.Dims()
	z.Zero()
	for i := 0; i < d; i++ {
		wi := wt.RawRowView(i)
		for s, v := range h.RawRowView(i)[b0:b1] {
			if v == 0 {
				continue
			}
			zs := z.RawRowView(s)
			for j, x := range wi {
				zs[j] += v * x
			}
		}
	}
}

// merge adds the sums of p (a chunk's accumulator) to a.
func (a *Accumulator) merge(p *Accumulator) {
	for i, v := range p.dir {
		a.dir[i] += v
	}
	for c, v := range p.seen {
		a.seen[c] += v
	}
	a.sum += p.sum
	a.n += sumInts(p.seen)
}

func sumInts(v []int) int {
	t := 0
	for _, x := range v {
		t += x
	}
	return t
}
