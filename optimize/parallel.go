package optimize

import "sync"

// chunker runs loops over [0, n) in chunks on up to threads goroutines.
// The chunks depend on n only (never on the thread count), and partial
// results are reduced in chunk order, so results are bit-for-bit the same
// for every thread count.
type chunker struct {
	threads int
	part    [maxChunks][5]float64 // per-chunk partial results
}

const (
	chunkMin  = 8192 // at least this many elements per chunk
	maxChunks = 16
)

// numChunks is a power of two (so that it splits evenly over 2, 4, ...
// threads) with at least chunkMin elements per chunk, at most maxChunks.
func numChunks(n int) int {
	c := 1
	for 2*c <= maxChunks && 2*c*chunkMin <= n {
		c *= 2
	}
	return c
}

// run calls fn(c, lo, hi) for every chunk c of [0, n).
func (ch *chunker) run(n int, fn func(c, lo, hi int)) {
	nc := numChunks(n)
	t := min(ch.threads, nc)
	if t <= 1 {
		for c := 0; c < nc; c++ {
			fn(c, c*n/nc, (c+1)*n/nc)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < t; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for c := w; c < nc; c += t {
				fn(c, c*n/nc, (c+1)*n/nc)
			}
		}(w)
	}
	for c := 0; c < nc; c += t {
		fn(c, c*n/nc, (c+1)*n/nc)
	}
	wg.Wait()
}

// sum returns the sum over chunks (in order) of partial result k.
func (ch *chunker) sum(n, k int) float64 {
	s := 0.0
	for c := 0; c < numChunks(n); c++ {
		s += ch.part[c][k]
	}
	return s
}

// max returns the maximum over chunks of partial result k.
func (ch *chunker) max(n, k int) float64 {
	m := ch.part[0][k]
	for c := 1; c < numChunks(n); c++ {
		m = max(m, ch.part[c][k])
	}
	return m
}

// dot returns a.b.
func (ch *chunker) dot(a, b []float64) float64 {
	n := len(a)
	ch.run(n, func(c, lo, hi int) { ch.part[c][0] = dot(a[lo:hi], b[lo:hi]) })
	return ch.sum(n, 0)
}

// axpyDot sets d = sd*d + a*u and returns w.d (new d).
func (ch *chunker) axpyDot(sd, a float64, u, d, w []float64) float64 {
	n := len(d)
	ch.run(n, func(c, lo, hi int) { ch.part[c][0] = axpyDot(sd, a, u[lo:hi], d[lo:hi], w[lo:hi]) })
	return ch.sum(n, 0)
}

// axpy sets d += a*u.
func (ch *chunker) axpy(a float64, u, d []float64) {
	ch.run(len(d), func(c, lo, hi int) { axpy(a, u[lo:hi], d[lo:hi]) })
}

// scale sets d *= a.
func (ch *chunker) scale(a float64, d []float64) {
	ch.run(len(d), func(c, lo, hi int) {
		for i := lo; i < hi; i++ {
			d[i] *= a
		}
	})
}
