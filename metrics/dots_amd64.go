//go:build amd64 && !noasm

package metrics

import "golang.org/x/sys/cpu"

// dots4AVX2 is dots on 4 rows at once (dots_amd64.s): the same bits. The
// caller checks the bounds.
//
//go:noescape
func dots4AVX2(d int, x *float64, xs int, q *float64, kp int, z *float64, zs int, cols int)

// haveAVX2 reports whether the CPU and the OS support AVX2 (read once, at
// package initialisation, by golang.org/x/sys/cpu; never changed).
var haveAVX2 = cpu.X86.HasAVX2

// dotsAsm runs dots4AVX2 on the rows of x in groups of 4 and returns the
// number of rows done (a multiple of 4; 0 without AVX2).
func dotsAsm(z, x, q []float64, d, kp int) int {
	rows := len(x) / d
	if !haveAVX2 || rows < 4 {
		return 0
	}
	_, _ = q[d*kp-1], z[rows*kp-1]
	r := 0
	for ; r+4 <= rows; r += 4 {
		dots4AVX2(d, &x[r*d], d, &q[0], kp, &z[r*kp], kp, kp)
	}
	return r
}
