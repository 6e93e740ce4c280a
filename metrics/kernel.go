package metrics

import (
	"runtime"
	"sync"
)

// The arithmetic of Measure's passes over the samples. Each product is
// rounded before it is added (the float64 conversions forbid fusing into an
// FMA), and every sum runs in a fixed order, so the results do not depend
// on the compiler's choices or on the number of goroutines.

// parts is the number of contiguous parts every block of samples is cut
// into (rows nb p/parts .. nb (p+1)/parts - 1 of a block of nb rows). Each
// part keeps running sums of its own over the pass, and the parts' sums
// are added in part order at its end. The partition depends on the block
// sizes of the Samples alone, never on GOMAXPROCS: the same samples in the
// same blocks give the same bits on any machine. Two parts use the two
// cores of the machine nccheck is measured on.
const parts = 2

// minParallelRows is the smallest block whose parts run on goroutines of
// their own; smaller blocks run them one after the other (the same bits).
const minParallelRows = 32

// partRunner processes rows lo..hi-1 of the current block into part p.
type partRunner interface {
	runPart(p, lo, hi int)
}

// team runs the parts of every block of a pass: part 0 on the caller's
// goroutine, the others on helpers started once per pass (none when
// GOMAXPROCS is 1). Nothing is allocated per block.
type team struct {
	r    partRunner
	jobs chan [3]int // part, lo, hi
	wg   sync.WaitGroup
}

func newTeam(r partRunner) *team {
	t := &team{r: r}
	if runtime.GOMAXPROCS(0) > 1 {
		t.jobs = make(chan [3]int)
		for p := 1; p < parts; p++ {
			go t.help()
		}
	}
	return t
}

func (t *team) help() {
	for j := range t.jobs {
		t.r.runPart(j[0], j[1], j[2])
		t.wg.Done()
	}
}

// block runs every part of a block of nb rows and returns when all are
// done.
func (t *team) block(nb int) {
	if t.jobs == nil || nb < minParallelRows {
		for p := 0; p < parts; p++ {
			t.r.runPart(p, nb*p/parts, nb*(p+1)/parts)
		}
		return
	}
	t.wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		t.jobs <- [3]int{p, nb * p / parts, nb * (p + 1) / parts}
	}
	t.r.runPart(0, 0, nb/parts)
	t.wg.Wait()
}

// stop ends the helpers.
func (t *team) stop() {
	if t.jobs != nil {
		close(t.jobs)
	}
}

// padded is n rounded up to a multiple of 4, the width of dots, or of 16
// where the AVX-512 kernel runs (its 16 columns at a time; the padding's
// columns are zero and their products unused, so the layout does not
// change the bits).
func padded(n int) int {
	if bestLevel == levelAVX512 {
		return (n + 15) &^ 15
	}
	return (n + 3) &^ 3
}

// transposed returns n vectors of length d, vector j given by row(j, a),
// as a d x padded(n) matrix, row-major, zero in the padding: column j is
// vector j. It is dots' layout.
func transposed(n, d int, row func(j, a int) float64) []float64 {
	np := padded(n)
	out := make([]float64, d*np)
	for j := 0; j < n; j++ {
		for a := 0; a < d; a++ {
			out[a*np+j] = row(j, a)
		}
	}
	return out
}

// dots sets z[j] = sum_a q[a kp + j] x[a] for j < kp, q d x kp row-major
// (transposeRows' layout, kp a multiple of 4, d = len(x)): each sum runs
// over a = 0, 1, ..., d-1 in order, products rounded before they are added.
func dots(z, x, q []float64, kp int) {
	d := len(x)
	_ = q[d*kp-1]
	for j := 0; j < kp; j += 4 {
		var z0, z1, z2, z3 float64
		o := j
		for a := 0; a < d; a++ {
			xa := x[a]
			w := q[o : o+4 : o+4]
			z0 += float64(w[0] * xa)
			z1 += float64(w[1] * xa)
			z2 += float64(w[2] * xa)
			z3 += float64(w[3] * xa)
			o += kp
		}
		z[j], z[j+1], z[j+2], z[j+3] = z0, z1, z2, z3
	}
}

// kernelLevel is the instruction set of dotsRows's kernel.
type kernelLevel int

const (
	levelGo     kernelLevel = iota // dots, row by row
	levelAVX2                      // dots_amd64.s, 4 rows at a time
	levelAVX512                    // the same, 16 columns at a time in ZMM registers
)

// dotsRows is dots for each row of x (len(x)/d rows of d values): z[r kp
// + j] = sum_a q[a kp + j] x[r d + a], with the same bits at every
// kernelLevel; on amd64, 4 rows at a time in assembly (dots_amd64.s; the
// noasm build tag turns it off).
func dotsRows(z, x, q []float64, d, kp int) { dotsRowsAt(bestLevel, z, x, q, d, kp) }

// dotsRowsAt is dotsRows with the kernel of level (levelGo on any machine;
// the others where the CPU has them).
func dotsRowsAt(level kernelLevel, z, x, q []float64, d, kp int) {
	rows := len(x) / d
	for r := dotsAsm(level, z, x, q, d, kp); r < rows; r++ {
		dots(z[r*kp:(r+1)*kp], x[r*d:(r+1)*d], q, kp)
	}
}

// lanes is the number of partial sums of the squares of widen and centre:
// element a of a row is added to partial sum a mod lanes, in the order of
// a, and sumLanes adds the partial sums in a fixed tree.
const lanes = 16

// sumLanes returns ((s0 + s4) + (s8 + s12)) + ((s1 + s5) + (s9 + s13)) +
// ..., added as (t0 + t1) + (t2 + t3) with t_j = (s_j + s_{4+j}) + (s_{8+j}
// + s_{12+j}): the four accumulators of the assembly added lane by lane,
// then their lanes.
func sumLanes(s *[lanes]float64) float64 {
	var t [4]float64
	for j := range t {
		t[j] = (s[j] + s[4+j]) + (s[8+j] + s[12+j])
	}
	return (t[0] + t[1]) + (t[2] + t[3])
}

// widen sets dst[a] = float64(src[a]), adds it to sum[a] and returns sum_a
// src[a]^2 in lanes partial sums (sumLanes); on amd64 with AVX2, 16
// elements at a time in assembly (rows_amd64.s), with the same bits.
func widen[T float32 | float64](dst, sum []float64, src []T) float64 {
	return widenAt(bestLevel, dst, sum, src)
}

// widenAt is widen with the loop of level (levelGo: Go only).
func widenAt[T float32 | float64](level kernelLevel, dst, sum []float64, src []T) float64 {
	n := len(src)
	dst, sum = dst[:n], sum[:n]
	var s [lanes]float64
	a := widenAsm(level, dst, sum, src, &s)
	for ; a+lanes <= n; a += lanes {
		for j := 0; j < lanes; j++ {
			x := float64(src[a+j])
			dst[a+j] = x
			sum[a+j] += x
			s[j] += float64(x * x)
		}
	}
	for j := 0; a < n; a, j = a+1, j+1 {
		x := float64(src[a])
		dst[a] = x
		sum[a] += x
		s[j] += float64(x * x)
	}
	return sumLanes(&s)
}

// centre sets dst[a] = src[a] - mu[a] and returns sum_a dst[a]^2, summed as
// in widen.
func centre[T float32 | float64](dst []float64, src []T, mu []float64) float64 {
	return centreAt(bestLevel, dst, src, mu)
}

// centreAt is centre with the loop of level (levelGo: Go only).
func centreAt[T float32 | float64](level kernelLevel, dst []float64, src []T, mu []float64) float64 {
	n := len(src)
	dst, mu = dst[:n], mu[:n]
	var s [lanes]float64
	a := centreAsm(level, dst, src, mu, &s)
	for ; a+lanes <= n; a += lanes {
		for j := 0; j < lanes; j++ {
			c := float64(src[a+j]) - mu[a+j]
			dst[a+j] = c
			s[j] += float64(c * c)
		}
	}
	for j := 0; a < n; a, j = a+1, j+1 {
		c := float64(src[a]) - mu[a]
		dst[a] = c
		s[j] += float64(c * c)
	}
	return sumLanes(&s)
}
