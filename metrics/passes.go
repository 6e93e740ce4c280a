package metrics

import (
	"fmt"
	"math"

	"nccheck/setting"
)

// firstPart is one part's running sums of the first pass.
type firstPart struct {
	sums      []float64 // K x d: class sums
	soft      []float64 // K x K: softmax sums
	correct   []int
	loss, hsq float64
	h, z      []float64 // a group of samples in float64 (group x d) and their logits (group x padded K)
	err       error     // the first error of the part
}

// firstPass is the state of the first pass: W^T in dots' layout, the
// parts, the current block (first, and rows64 or rows32) and, with a hook
// (Options.Logits), the logits of the block.
type firstPass struct {
	m      *Measurement
	wt     []float64 // d x padded(K)
	labels []int
	pred   []int32
	parts  [parts]firstPart
	hook   func(first int, logits []float64, labels []int) error
	logits []float64 // nb x K, the block's logits W h + b for the hook
	feeder *feeder   // runs the hook, one block behind
	block
}

// feeder calls a hook on the logits of the blocks in order, on a goroutine
// of its own, one block behind the pass (two buffers of logits), so that
// the hook's work overlaps the next block's.
type feeder struct {
	hook func(first int, logits []float64, labels []int) error
	jobs chan feedJob
	free chan feedToken // the buffers the pass may fill, with the hook's error so far
	done chan struct{}
	err  error // the hook's first error, read after done
}

type feedJob struct {
	first  int
	logits []float64
	labels []int
}

type feedToken struct {
	logits []float64
	err    error
}

func newFeeder(hook func(int, []float64, []int) error) *feeder {
	fd := &feeder{hook: hook, jobs: make(chan feedJob), free: make(chan feedToken, 2), done: make(chan struct{})}
	fd.free <- feedToken{} // two buffers, allocated by the pass on first use
	fd.free <- feedToken{}
	go func() {
		defer close(fd.done)
		for j := range fd.jobs {
			if fd.err == nil {
				fd.err = fd.hook(j.first, j.logits, j.labels)
			}
			fd.free <- feedToken{logits: j.logits[:cap(j.logits)], err: fd.err}
		}
	}()
	return fd
}

// stop waits for the hook to finish the blocks handed to it and returns
// its error.
func (fd *feeder) stop() error {
	close(fd.jobs)
	<-fd.done
	return fd.err
}

// block is the block of samples a pass works on: rows64 or rows32 holds
// its rows, the first being sample first.
type block struct {
	first  int
	rows64 []float64
	rows32 []float32
}

// scanBlocks runs one pass over the samples: for each block of nb rows,
// set it in b, call before(nb), run its parts with t and call after,
// stopping with the error of before or after (either may be nil); with
// Scan32 when the samples are Float32Samples, with Scan otherwise.
func scanBlocks(x Samples, d int, b *block, t *team, before func(nb int) error, after func() error) error {
	defer t.stop()
	run := func() error {
		nb := len(b.rows64)/d + len(b.rows32)/d
		if before != nil {
			if err := before(nb); err != nil {
				return err
			}
		}
		t.block(nb)
		if after != nil {
			return after()
		}
		return nil
	}
	if x32, ok := x.(Float32Samples); ok {
		return x32.Scan32(func(first int, rows []float32) error {
			*b = block{first: first, rows32: rows}
			return run()
		})
	}
	return x.Scan(func(first int, rows []float64) error {
		*b = block{first: first, rows64: rows}
		return run()
	})
}

func newFirstPass(m *Measurement, labels []int, pred []int32, hook func(int, []float64, []int) error) *firstPass {
	k, d := m.K, m.D
	f := &firstPass{m: m, wt: transposed(k, d, m.W.At), labels: labels, pred: pred, hook: hook}
	for p := range f.parts {
		f.parts[p] = firstPart{sums: make([]float64, k*d), soft: make([]float64, k*k), correct: make([]int, k),
			h: make([]float64, group*d), z: make([]float64, group*padded(k))}
	}
	return f
}

func (f *firstPass) runPart(p, lo, hi int) {
	pt := &f.parts[p]
	if pt.err != nil {
		return
	}
	if f.rows32 != nil {
		pt.err = firstRows(f, pt, f.first, f.rows32, lo, hi)
	} else {
		pt.err = firstRows(f, pt, f.first, f.rows64, lo, hi)
	}
}

// before takes a free buffer for the hook's logits of a block of nb rows
// (allocated for the largest block); it returns the hook's error, if any,
// from the blocks before.
func (f *firstPass) before(nb int) error {
	if f.hook == nil {
		return nil
	}
	if f.feeder == nil {
		f.feeder = newFeeder(f.hook)
	}
	tok := <-f.feeder.free // the hook is done with it
	if tok.err != nil {
		return tok.err
	}
	f.logits = tok.logits
	if len(f.logits) < nb*f.m.K {
		f.logits = make([]float64, nb*f.m.K)
	}
	return nil
}

// after returns the error of the lowest part that has one, or hands the
// block's logits to the hook's goroutine.
func (f *firstPass) after() error {
	for p := range f.parts {
		if err := f.parts[p].err; err != nil {
			return err
		}
	}
	if f.hook == nil {
		return nil
	}
	nb := len(f.rows64)/f.m.D + len(f.rows32)/f.m.D
	f.feeder.jobs <- feedJob{first: f.first, logits: f.logits[:nb*f.m.K], labels: f.labels[f.first : f.first+nb]}
	return nil
}

// stopHook waits for the hook to finish and returns its error (nil without
// a hook).
func (f *firstPass) stopHook() error {
	if f.feeder == nil {
		return nil
	}
	return f.feeder.stop()
}

// group is the number of samples whose products one call of dotsRows
// computes (the assembly's 8 rows).
const group = 8

// firstRows accumulates rows lo..hi-1 of a block into a part: the class
// sums, ||h||^2, the logits W h + b, the cross-entropy, the softmax sums
// and the decisions, group samples at a time.
func firstRows[T float32 | float64](f *firstPass, pt *firstPart, first int, rows []T, lo, hi int) error {
	m := f.m
	k, d := m.K, m.D
	kp := padded(k)
	for g := lo; g < hi; g += group {
		ng := min(group, hi-g)
		for s := 0; s < ng; s++ {
			i := first + g + s
			y := f.labels[i]
			src := rows[(g+s)*d : (g+s+1)*d]
			sq := widen(pt.h[s*d:(s+1)*d], pt.sums[y*d:(y+1)*d], src)
			if (math.IsNaN(sq) || math.IsInf(sq, 0)) && !finiteOf(src) {
				return fmt.Errorf("metrics: features of sample %d: %w", i, setting.ErrNonFinite)
			}
			pt.hsq += sq
		}
		dotsRows(pt.z, pt.h[:ng*d], f.wt, d, kp)
		for s := 0; s < ng; s++ {
			i := first + g + s
			y := f.labels[i]
			z := pt.z[s*kp : s*kp+k]
			if m.B != nil {
				for j := range z {
					z[j] += m.B[j]
				}
			}
			if f.hook != nil {
				r := g + s // the row in the block
				copy(f.logits[r*k:(r+1)*k], z)
			}
			ce, top := softmaxInto(z, y, pt.soft[y*k:(y+1)*k])
			pt.loss += ce
			f.pred[i] = int32(top)
			if top == y {
				pt.correct[y]++
			}
		}
	}
	return nil
}

// finish adds the parts' sums in part order into the measurement and
// returns the class sums.
func (f *firstPass) finish() []float64 {
	m := f.m
	sums := f.parts[0].sums
	soft := m.SoftmaxSums.RawMatrix()
	loss, hsq := 0.0, 0.0
	for p := range f.parts {
		pt := &f.parts[p]
		if p > 0 {
			for i, v := range pt.sums {
				sums[i] += v
			}
		}
		for c := 0; c < m.K; c++ {
			row := soft.Data[c*soft.Stride : c*soft.Stride+m.K]
			for j, v := range pt.soft[c*m.K : (c+1)*m.K] {
				row[j] += v
			}
			m.Correct[c] += pt.correct[c]
		}
		loss += pt.loss
		hsq += pt.hsq
	}
	m.Loss = loss / float64(m.N)
	m.FeatureNormSq = hsq
	return sums
}

// secondPart is one part's running sums of the second pass.
type secondPart struct {
	within []float64
	agree  []int
	nc1    float64
	c, z   []float64 // a group of centred samples (group x d) and their products (group x padded)
	p      []float64 // the group's K products, row by row (d > K)
	proj   []float64 // their projections (group x padded(r))
}

// secondPass is the state of the second pass. The products of a centred
// sample c_i = h_i - mu_{y_i} are P_j = c_i . (mu_j - mu_G) for the K
// classes, then (when d <= K) its projections on the r pinv directions of
// Sigma_B. The nearest class mean is argmin_j ||mu_{y_i} - mu_j||^2 - 2 P_j
// (= ||h_i - mu_j||^2 - ||c_i||^2 - 2 P_{y_i}); NC1's projections are the
// direct ones when d <= K, and coef^T P when d > K (the directions are
// combinations of the centred means, dirs = Mc coef).
type secondPass struct {
	m      *Measurement
	q      []float64 // d x padded(K + r or K)
	kq, r  int       // columns of q used; r directions
	coef   []float64 // K x padded(r), coef in dots' layout (d > K), nil otherwise
	sep    []float64 // K x K: ||mu_a - mu_b||^2
	labels []int
	pred   []int32
	parts  [parts]secondPart
	block
}

func newSecondPass(m *Measurement, labels []int, pred []int32) *secondPass {
	k, d := m.K, m.D
	s := &secondPass{m: m, labels: labels, pred: pred, kq: k}
	if m.dirs != nil {
		_, s.r = m.dirs.Dims()
		if m.dirCoef != nil {
			s.coef = transposed(s.r, k, func(l, j int) float64 { return m.dirCoef.At(j, l) })
		} else {
			s.kq += s.r
		}
	}
	s.q = transposed(s.kq, d, func(j, a int) float64 {
		if j < k {
			return m.meanRows[j*d+a] - m.Global[a]
		}
		return m.dirs.At(a, j-k)
	})
	s.sep = make([]float64, k*k)
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			t := 0.0
			ra, rb := m.meanRows[a*d:(a+1)*d], m.meanRows[b*d:(b+1)*d]
			for j := range ra {
				v := ra[j] - rb[j]
				t += v * v
			}
			s.sep[a*k+b] = t
		}
	}
	for p := range s.parts {
		s.parts[p] = secondPart{within: make([]float64, k), agree: make([]int, k), c: make([]float64, group*d), z: make([]float64, group*padded(s.kq))}
		if s.coef != nil {
			s.parts[p].p, s.parts[p].proj = make([]float64, group*k), make([]float64, group*padded(s.r))
		}
	}
	return s
}

func (s *secondPass) runPart(p, lo, hi int) {
	if s.rows32 != nil {
		secondRows(s, &s.parts[p], s.first, s.rows32, lo, hi)
	} else {
		secondRows(s, &s.parts[p], s.first, s.rows64, lo, hi)
	}
}

// secondRows accumulates rows lo..hi-1 of a block into a part: the
// within-class sums, NC1's squared projections and the NC4 agreement,
// group samples at a time.
func secondRows[T float32 | float64](s *secondPass, pt *secondPart, first int, rows []T, lo, hi int) {
	m := s.m
	k, d, r := m.K, m.D, s.r
	kp := padded(s.kq)
	for g := lo; g < hi; g += group {
		ng := min(group, hi-g)
		for t := 0; t < ng; t++ {
			y := s.labels[first+g+t]
			pt.within[y] += centre(pt.c[t*d:(t+1)*d], rows[(g+t)*d:(g+t+1)*d], m.meanRows[y*d:(y+1)*d])
		}
		dotsRows(pt.z, pt.c[:ng*d], s.q, d, kp)
		for t := 0; t < ng; t++ {
			i := first + g + t
			y := s.labels[i]
			z := pt.z[t*kp : (t+1)*kp]
			prod := z[:k]
			sep := s.sep[y*k : (y+1)*k]
			nearest, best := 0, sep[0]-2*prod[0]
			for j := 1; j < k; j++ {
				if v := sep[j] - 2*prod[j]; v < best {
					nearest, best = j, v
				}
			}
			if int(s.pred[i]) == nearest {
				pt.agree[y]++
			}
			if s.coef == nil {
				for _, v := range z[k : k+r] {
					pt.nc1 += v * v
				}
			}
		}
		if s.coef != nil {
			// The projections coef^T P of the group: dots with the K
			// products of each sample as its row (the products are the
			// first K of each row of z, whose stride is kp).
			rp := padded(r)
			for t := 0; t < ng; t++ {
				copy(pt.p[t*k:(t+1)*k], pt.z[t*kp:t*kp+k])
			}
			dotsRows(pt.proj, pt.p[:ng*k], s.coef, k, rp)
			for t := 0; t < ng; t++ {
				for _, v := range pt.proj[t*rp : t*rp+r] {
					pt.nc1 += v * v
				}
			}
		}
	}
}

// finish adds the parts' sums in part order into the measurement and
// returns sum_i ||D^T c_i||^2.
func (s *secondPass) finish() float64 {
	m := s.m
	nc1 := 0.0
	for p := range s.parts {
		pt := &s.parts[p]
		for c := 0; c < m.K; c++ {
			m.WithinSq[c] += pt.within[c]
			m.NC4Agree[c] += pt.agree[c]
		}
		nc1 += pt.nc1
	}
	return nc1
}

func finiteOf[T float32 | float64](v []T) bool {
	for _, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}
