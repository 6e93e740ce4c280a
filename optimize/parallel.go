package optimize

import (
	"runtime"
	"sync/atomic"
)

// chunker runs loops over [0, n) in chunks on up to threads goroutines.
// The chunks depend on n only (never on the thread count), and partial
// results are reduced in chunk order, so results are bit-for-bit the same
// for every thread count.
type chunker struct {
	threads int
	part    [maxChunks][5]float64 // per-chunk partial results
	pool    *pool                 // helper goroutines (nil: start one per loop)
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
	if min(ch.threads, nc) <= 1 {
		for c := 0; c < nc; c++ {
			fn(c, c*n/nc, (c+1)*n/nc)
		}
		return
	}
	pl := ch.pool
	if pl == nil {
		pl = newPool(ch.threads)
		ch.pool = pl
	}
	pl.run(nc, func(c int) { fn(c, c*n/nc, (c+1)*n/nc) })
}

// pool runs the iterations of short parallel loops on threads-1 helper
// goroutines and the caller. A helper spins for the next loop (a few tens
// of microseconds, yielding the processor now and then) and exits when
// none comes; run starts it again when needed. Between the many short
// vector loops of an L-BFGS iteration and the evaluations this avoids
// starting a goroutine and waking a thread per loop (about 14 loops and
// one evaluation per iteration; on setting (b) with 2 threads the futex
// wake-ups were ~5% of the CPU profile, and the local run measured ~40%
// faster with the pool, see BENCHMARKS.md).
// Which goroutine runs an iteration does not affect any result.
type pool struct {
	threads int
	fn      func(c int)
	nc, t   int
	hs      []helper
}

type helper struct {
	gen  atomic.Uint64 // number of the last loop posted
	done atomic.Uint64 // number of the last loop finished
	live atomic.Bool   // a goroutine serves this helper
	_    [40]byte      // keep helpers on separate cache lines
}

// spinLimit is the number of polls (about 0.1 ms) after which an idle
// helper exits.
const spinLimit = 1 << 15

func newPool(threads int) *pool {
	return &pool{threads: threads, hs: make([]helper, max(0, threads-1))}
}

// run calls fn(c) for c in [0, nc): iteration c on worker c mod t,
// t = min(threads, nc), worker 0 being the caller. It returns when all
// are done. Not safe for concurrent use.
func (pl *pool) run(nc int, fn func(c int)) {
	t := min(pl.threads, nc)
	if t <= 1 {
		for c := 0; c < nc; c++ {
			fn(c)
		}
		return
	}
	pl.fn, pl.nc, pl.t = fn, nc, t
	for w := 1; w < t; w++ {
		h := &pl.hs[w-1]
		job := h.gen.Load() + 1
		h.gen.Store(job)
		if h.live.CompareAndSwap(false, true) {
			go pl.serve(w, h, job-1)
		}
	}
	for c := 0; c < nc; c += t {
		fn(c)
	}
	for w := 1; w < t; w++ {
		h := &pl.hs[w-1]
		job := h.gen.Load()
		for i := 1; h.done.Load() != job; i++ {
			if i%64 == 0 {
				runtime.Gosched()
			}
		}
	}
	pl.fn = nil
}

// serve is the loop of helper w, which has finished loop seen.
func (pl *pool) serve(w int, h *helper, seen uint64) {
	for {
		g := h.gen.Load()
		for spins := 1; g == seen; spins++ {
			if spins > spinLimit {
				h.live.Store(false)
				if h.gen.Load() == seen || !h.live.CompareAndSwap(false, true) {
					// No loop posted, or run started a new goroutine
					// for it.
					return
				}
				spins = 0
			} else if spins%64 == 0 {
				runtime.Gosched()
			}
			g = h.gen.Load()
		}
		for c := w; c < pl.nc; c += pl.t {
			pl.fn(c)
		}
		h.done.Store(g)
		seen = g
	}
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
