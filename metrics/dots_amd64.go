//go:build amd64 && !noasm

package metrics

import "golang.org/x/sys/cpu"

// dots4AVX2 is dots on 4 rows at once (dots_amd64.s): the same bits. The
// caller checks the bounds.
//
//go:noescape
func dots4AVX2(d int, x *float64, xs int, q *float64, kp int, z *float64, zs int, cols int)

// dots4AVX512 is dots4AVX2 for a multiple of 16 columns, with AVX-512.
//
//go:noescape
func dots4AVX512(d int, x *float64, xs int, q *float64, kp int, z *float64, zs int, cols int)

// dots8AVX512 is dots4AVX512 on 8 rows.
//
//go:noescape
func dots8AVX512(d int, x *float64, xs int, q *float64, kp int, z *float64, zs int, cols int)

// bestLevel is the fastest kernel the CPU and the OS support (AVX2,
// AVX-512F), as golang.org/x/sys/cpu reads them at package initialisation;
// never changed.
var bestLevel = func() kernelLevel {
	switch {
	case cpu.X86.HasAVX2 && cpu.X86.HasAVX512F:
		return levelAVX512
	case cpu.X86.HasAVX2:
		return levelAVX2
	}
	return levelGo
}()

// dotsAsm runs the assembly of level on the rows of x in groups of 8 and 4
// (AVX-512 for the first multiple of 16 columns, 8 rows at a time, AVX2
// for the rest) and returns the number of rows done (a multiple of 4; 0
// for levelGo).
func dotsAsm(level kernelLevel, z, x, q []float64, d, kp int) int {
	rows := len(x) / d
	if level == levelGo || rows < 4 {
		return 0
	}
	_, _ = q[d*kp-1], z[rows*kp-1]
	wide := 0 // columns done with AVX-512
	if level == levelAVX512 {
		wide = kp &^ 15
	}
	r := 0
	for ; wide > 0 && r+8 <= rows; r += 8 {
		dots8AVX512(d, &x[r*d], d, &q[0], kp, &z[r*kp], kp, wide)
		if wide < kp {
			dots4AVX2(d, &x[r*d], d, &q[wide], kp, &z[r*kp+wide], kp, kp-wide)
			dots4AVX2(d, &x[(r+4)*d], d, &q[wide], kp, &z[(r+4)*kp+wide], kp, kp-wide)
		}
	}
	for ; r+4 <= rows; r += 4 {
		if wide > 0 {
			dots4AVX512(d, &x[r*d], d, &q[0], kp, &z[r*kp], kp, wide)
		}
		if wide < kp {
			dots4AVX2(d, &x[r*d], d, &q[wide], kp, &z[r*kp+wide], kp, kp-wide)
		}
	}
	return r
}

// The row loops of rows_amd64.s: n a multiple of 16, the slices checked by
// the callers.

//go:noescape
func widen32AVX2(n int, dst, sum *float64, src *float32, s *[lanes]float64)

//go:noescape
func widen64AVX2(n int, dst, sum *float64, src *float64, s *[lanes]float64)

//go:noescape
func centre32AVX2(n int, dst *float64, src *float32, mu *float64, s *[lanes]float64)

//go:noescape
func centre64AVX2(n int, dst *float64, src *float64, mu *float64, s *[lanes]float64)

// widenAsm runs widen's loop on the first multiple of 16 elements in
// assembly and returns how many it did (0 without AVX2). dst and sum have
// len(src) elements.
func widenAsm[T float32 | float64](level kernelLevel, dst, sum []float64, src []T, s *[lanes]float64) int {
	n := len(src) &^ (lanes - 1)
	if level == levelGo || n == 0 {
		return 0
	}
	_, _ = dst[n-1], sum[n-1]
	switch v := any(src).(type) {
	case []float32:
		widen32AVX2(n, &dst[0], &sum[0], &v[0], s)
	case []float64:
		widen64AVX2(n, &dst[0], &sum[0], &v[0], s)
	}
	return n
}

// centreAsm is widenAsm for centre's loop.
func centreAsm[T float32 | float64](level kernelLevel, dst []float64, src []T, mu []float64, s *[lanes]float64) int {
	n := len(src) &^ (lanes - 1)
	if level == levelGo || n == 0 {
		return 0
	}
	_, _ = dst[n-1], mu[n-1]
	switch v := any(src).(type) {
	case []float32:
		centre32AVX2(n, &dst[0], &v[0], &mu[0], s)
	case []float64:
		centre64AVX2(n, &dst[0], &v[0], &mu[0], s)
	}
	return n
}

// expRowAVX2 sets dst[j] = expNonPos(z[j] - zmax) for j < n (a multiple of
// 4), with the constants of table (exp_amd64.s).
//
//go:noescape
func expRowAVX2(n int, dst, z *float64, zmax float64, table *[24]float64)

// expAsm runs expRowAVX2 on the first multiple of 4 elements and returns
// how many it did (0 for levelGo).
func expAsm(level kernelLevel, dst, z []float64, zmax float64) int {
	n := len(z) &^ 3
	if level == levelGo || n == 0 {
		return 0
	}
	_ = dst[n-1]
	expRowAVX2(n, &dst[0], &z[0], zmax, &expTable)
	return n
}
