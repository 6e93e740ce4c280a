//go:build !amd64 || noasm

// Without amd64 assembly (another architecture, or the noasm build tag)
// every kernel runs in Go: these stubs are never called.

package optimize

const (
	haveAVX512 = false
	haveAVX2   = false
)

// asmRows leaves every row to the Go code.
func asmRows(level kernelLevel, v, rows, mode int, a []float64, ars, ats int, b []float64, bs, n int, c []float64, cs int, x []float64, xs int, s float64) int {
	return 0
}

func dot4AVX(n int, u, v, a, b *float64, out *[4]float64) { panic("unreachable") }

func axpy2AVX(n int, ca float64, u *float64, cb float64, v, d *float64) { panic("unreachable") }

func maskScaleAVX(n int, c float64, x, grad *float64, eps float64, d *float64) { panic("unreachable") }

func finishDirAVX(n int, x, grad, buf, d, xt *float64, eps float64, flags int, out *[3]float64) {
	panic("unreachable")
}

func pairStepAVX(n int, x, xt, grad, gradt, s, y, buf, mk *float64, eps, gamma float64, bounded int, out *[7]float64) {
	panic("unreachable")
}

func dot4mAVX(n int, u, v, a, b, m *float64, out *[4]float64) { panic("unreachable") }

func softmaxRowAVX(k int, row *float64, table *[32]float64, invN float64, out *[3]float64) {
	panic("unreachable")
}
