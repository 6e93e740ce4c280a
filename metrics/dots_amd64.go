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

// dotsAsm runs the assembly of level on the rows of x in groups of 4
// (AVX-512 for the first multiple of 16 columns, AVX2 for the rest) and
// returns the number of rows done (a multiple of 4; 0 for levelGo).
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
