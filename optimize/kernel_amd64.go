//go:build amd64 && !noasm

package optimize

import "golang.org/x/sys/cpu"

// fmaTile4 is the AVX-512 tile of mulAdd: 4 rows, 8v columns (v = 1..4);
// see kernel_amd64.s. The caller checks the bounds.
//
//go:noescape
func fmaTile4(v, mode int, a *float64, ars, ats int, b *float64, bs, n int, c *float64, cs int, x *float64, xs int, s float64)

// fmaTile4x8AVX2 is the AVX2 (with FMA) tile of mulAdd: 4 rows, 8
// columns, for machines without AVX-512.
//
//go:noescape
func fmaTile4x8AVX2(mode int, a *float64, ars, ats int, b *float64, bs, n int, c *float64, cs int, x *float64, xs int, s float64)

// asmRows runs the assembly tiles of level on the rows 0..r0-1 of a column
// chunk of 8v columns (the chunk's first column at b[0], c[0] and x[0]),
// r0 = rows rounded down to a multiple of 4, and returns r0 (0 for levelGo:
// every row is left to the Go code). The bounds were checked by mulAdd.
func asmRows(level kernelLevel, v, rows, mode int, a []float64, ars, ats int, b []float64, bs, n int, c []float64, cs int, x []float64, xs int, s float64) int {
	r0 := 0
	switch level {
	case levelAVX512:
		for ; r0+4 <= rows; r0 += 4 {
			var xp *float64
			if mode == modeScale {
				xp = &x[r0*xs]
			}
			fmaTile4(v, mode, &a[r0*ars], ars, ats, &b[0], bs, n, &c[r0*cs], cs, xp, xs, s)
		}
	case levelAVX2:
		for ; r0+4 <= rows; r0 += 4 {
			for q := 0; q < v; q++ {
				e := 8 * q
				var xp *float64
				if mode == modeScale {
					xp = &x[r0*xs+e]
				}
				fmaTile4x8AVX2(mode, &a[r0*ars], ars, ats, &b[e], bs, n, &c[r0*cs+e], cs, xp, xs, s)
			}
		}
	}
	return r0
}

// haveAVX512 reports whether the CPU and the OS support AVX-512F and
// AVX-512VL (the ZMM registers and the mask registers are saved by the
// OS), as golang.org/x/sys/cpu reads them at initialisation; it is never
// changed.
var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// haveAVX2 reports whether the CPU and the OS support AVX2 and FMA (read
// once, at package initialisation).
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The kernels of vec.go (vec_amd64.s); n is a positive multiple of 8.

//go:noescape
func dot4AVX(n int, u, v, a, b *float64, out *[4]float64)

//go:noescape
func axpy2AVX(n int, ca float64, u *float64, cb float64, v, d *float64)

//go:noescape
func maskScaleAVX(n int, c float64, x, grad *float64, eps float64, d *float64)

//go:noescape
func finishDirAVX(n int, x, grad, buf, d, xt *float64, eps float64, flags int, out *[3]float64)

//go:noescape
func pairStepAVX(n int, x, xt, grad, gradt, s, y, buf, mk *float64, eps, gamma float64, bounded int, out *[7]float64)

//go:noescape
func dot4mAVX(n int, u, v, a, b, m *float64, out *[4]float64)

// softmaxRowAVX is softmaxRow (softmax_amd64.s); out = m, rest, and the
// first index of m as int64 bits.
//
//go:noescape
func softmaxRowAVX(k int, row *float64, table *[32]float64, invN float64, out *[3]float64)
