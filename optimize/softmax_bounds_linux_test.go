//go:build amd64 && !noasm

package optimize

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// unsafeFloats views b (a multiple of 8 bytes long, 8-aligned) as float64s.
func unsafeFloats(b []byte) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

// TestSoftmaxRowBounds: the AVX-512 softmax touches row[0:K] only (the
// proof is in softmaxRow's comment): rows whose last entry is the last
// word before an inaccessible page (a read or write beyond it would fault
// and crash the test), and rows followed by sentinels within their
// capacity (which must stay unchanged), for K = 1..40.
func TestSoftmaxRowBounds(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	words := unsafeFloats(mem[:page])
	rng := rand.New(rand.NewPCG(1, 1))
	for k := 1; k <= 40; k++ {
		row := words[len(words)-k:]
		ref := make([]float64, k)
		for j := range row {
			row[j] = 3 * rng.NormFloat64()
			ref[j] = row[j]
		}
		m1, r1 := softmaxRow(true, row, 0.25)
		m2, r2 := softmaxRow(false, ref, 0.25)
		if m1 != m2 || r1 != r2 {
			t.Fatalf("K = %d at a page end: m, rest %v %v, Go %v %v", k, m1, r1, m2, r2)
		}
		// Sentinels after the row, within its capacity.
		buf := make([]float64, k+16)
		for j := range buf {
			buf[j] = math.NaN()
		}
		copy(buf, ref)
		row = buf[:k]
		softmaxRow(true, row, 0.25)
		for j := k; j < len(buf); j++ {
			if !math.IsNaN(buf[j]) {
				t.Fatalf("K = %d: entry %d beyond the row written (%v)", k, j, buf[j])
			}
		}
	}
}
