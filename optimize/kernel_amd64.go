package optimize

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

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// haveAVX512 reports whether the CPU and the OS support AVX-512F and
// AVX-512VL (the
// ZMM registers and the mask registers are saved by the OS). It is set
// once, at package initialisation, and never changed.
var haveAVX512 = detectAVX512()

// haveAVX2 reports whether the CPU and the OS support AVX2 and FMA (set
// once, at package initialisation).
var haveAVX2 = detectAVX2()

func detectAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

func detectAVX512() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave = 1 << 27
	if ecx1&osxsave == 0 {
		return false
	}
	// XCR0: SSE (bit 1), AVX (2), opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7).
	xcr0, _ := xgetbv()
	if xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const (
		avx512f  = 1 << 16
		avx512vl = 1 << 31
	)
	return ebx7&avx512f != 0 && ebx7&avx512vl != 0
}

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
