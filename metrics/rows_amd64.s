//go:build amd64 && !noasm

#include "textflag.h"

// The rows' loops of the passes (kernel.go's widen and centre) on 16
// elements at a time: four YMM accumulators hold the 16 partial sums of
// squares, lane j the elements a = j mod 16; the caller adds the rest and
// combines the lanes (sumLanes). VSUBPD computes float64(src) - mu, VADDPD
// sum + x: the operands of the Go code, so the same bits.

// func widen32AVX2(n int, dst, sum *float64, src *float32, s *[16]float64)
//
// For a < n (a multiple of 16): x = float64(src[a]), dst[a] = x, sum[a] += x,
// and s[a mod 16] += x*x (the product rounded, then added, in the order
// of a): the operations of metrics.widen. Requires AVX2.
TEXT ·widen32AVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ sum+16(FP), SI
	MOVQ src+24(FP), DX
	MOVQ s+32(FP), AX
	VMOVUPD 0(AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	SHRQ $4, CX
widen32AVX2_loop:
	VCVTPS2PD 0(DX), Y4
	VMOVUPD Y4, 0(DI)
	VADDPD 0(SI), Y4, Y8
	VMOVUPD Y8, 0(SI)
	VMULPD Y4, Y4, Y12
	VADDPD Y12, Y0, Y0
	VCVTPS2PD 16(DX), Y5
	VMOVUPD Y5, 32(DI)
	VADDPD 32(SI), Y5, Y9
	VMOVUPD Y9, 32(SI)
	VMULPD Y5, Y5, Y13
	VADDPD Y13, Y1, Y1
	VCVTPS2PD 32(DX), Y6
	VMOVUPD Y6, 64(DI)
	VADDPD 64(SI), Y6, Y10
	VMOVUPD Y10, 64(SI)
	VMULPD Y6, Y6, Y14
	VADDPD Y14, Y2, Y2
	VCVTPS2PD 48(DX), Y7
	VMOVUPD Y7, 96(DI)
	VADDPD 96(SI), Y7, Y11
	VMOVUPD Y11, 96(SI)
	VMULPD Y7, Y7, Y15
	VADDPD Y15, Y3, Y3
	ADDQ $64, DX
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ widen32AVX2_loop
	VMOVUPD Y0, 0(AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	VZEROUPPER
	RET


// func widen64AVX2(n int, dst, sum *float64, src *float64, s *[16]float64)
//
// For a < n (a multiple of 16): x = float64(src[a]), dst[a] = x, sum[a] += x,
// and s[a mod 16] += x*x (the product rounded, then added, in the order
// of a): the operations of metrics.widen. Requires AVX2.
TEXT ·widen64AVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ sum+16(FP), SI
	MOVQ src+24(FP), DX
	MOVQ s+32(FP), AX
	VMOVUPD 0(AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	SHRQ $4, CX
widen64AVX2_loop:
	VMOVUPD 0(DX), Y4
	VMOVUPD Y4, 0(DI)
	VADDPD 0(SI), Y4, Y8
	VMOVUPD Y8, 0(SI)
	VMULPD Y4, Y4, Y12
	VADDPD Y12, Y0, Y0
	VMOVUPD 32(DX), Y5
	VMOVUPD Y5, 32(DI)
	VADDPD 32(SI), Y5, Y9
	VMOVUPD Y9, 32(SI)
	VMULPD Y5, Y5, Y13
	VADDPD Y13, Y1, Y1
	VMOVUPD 64(DX), Y6
	VMOVUPD Y6, 64(DI)
	VADDPD 64(SI), Y6, Y10
	VMOVUPD Y10, 64(SI)
	VMULPD Y6, Y6, Y14
	VADDPD Y14, Y2, Y2
	VMOVUPD 96(DX), Y7
	VMOVUPD Y7, 96(DI)
	VADDPD 96(SI), Y7, Y11
	VMOVUPD Y11, 96(SI)
	VMULPD Y7, Y7, Y15
	VADDPD Y15, Y3, Y3
	ADDQ $128, DX
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ widen64AVX2_loop
	VMOVUPD Y0, 0(AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	VZEROUPPER
	RET


// func centre32AVX2(n int, dst *float64, src *float32, mu *float64, s *[16]float64)
//
// For a < n (a multiple of 16): c = float64(src[a]) - mu[a], dst[a] = c,
// and s[a mod 16] += c*c (the product rounded, then added, in the order
// of a): the operations of metrics.centre. Requires AVX2.
TEXT ·centre32AVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), DX
	MOVQ mu+24(FP), SI
	MOVQ s+32(FP), AX
	VMOVUPD 0(AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	SHRQ $4, CX
centre32AVX2_loop:
	VCVTPS2PD 0(DX), Y4
	VSUBPD 0(SI), Y4, Y4
	VMOVUPD Y4, 0(DI)
	VMULPD Y4, Y4, Y12
	VADDPD Y12, Y0, Y0
	VCVTPS2PD 16(DX), Y5
	VSUBPD 32(SI), Y5, Y5
	VMOVUPD Y5, 32(DI)
	VMULPD Y5, Y5, Y13
	VADDPD Y13, Y1, Y1
	VCVTPS2PD 32(DX), Y6
	VSUBPD 64(SI), Y6, Y6
	VMOVUPD Y6, 64(DI)
	VMULPD Y6, Y6, Y14
	VADDPD Y14, Y2, Y2
	VCVTPS2PD 48(DX), Y7
	VSUBPD 96(SI), Y7, Y7
	VMOVUPD Y7, 96(DI)
	VMULPD Y7, Y7, Y15
	VADDPD Y15, Y3, Y3
	ADDQ $64, DX
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ centre32AVX2_loop
	VMOVUPD Y0, 0(AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	VZEROUPPER
	RET


// func centre64AVX2(n int, dst *float64, src *float64, mu *float64, s *[16]float64)
//
// For a < n (a multiple of 16): c = float64(src[a]) - mu[a], dst[a] = c,
// and s[a mod 16] += c*c (the product rounded, then added, in the order
// of a): the operations of metrics.centre. Requires AVX2.
TEXT ·centre64AVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), DX
	MOVQ mu+24(FP), SI
	MOVQ s+32(FP), AX
	VMOVUPD 0(AX), Y0
	VMOVUPD 32(AX), Y1
	VMOVUPD 64(AX), Y2
	VMOVUPD 96(AX), Y3
	SHRQ $4, CX
centre64AVX2_loop:
	VMOVUPD 0(DX), Y4
	VSUBPD 0(SI), Y4, Y4
	VMOVUPD Y4, 0(DI)
	VMULPD Y4, Y4, Y12
	VADDPD Y12, Y0, Y0
	VMOVUPD 32(DX), Y5
	VSUBPD 32(SI), Y5, Y5
	VMOVUPD Y5, 32(DI)
	VMULPD Y5, Y5, Y13
	VADDPD Y13, Y1, Y1
	VMOVUPD 64(DX), Y6
	VSUBPD 64(SI), Y6, Y6
	VMOVUPD Y6, 64(DI)
	VMULPD Y6, Y6, Y14
	VADDPD Y14, Y2, Y2
	VMOVUPD 96(DX), Y7
	VSUBPD 96(SI), Y7, Y7
	VMOVUPD Y7, 96(DI)
	VMULPD Y7, Y7, Y15
	VADDPD Y15, Y3, Y3
	ADDQ $128, DX
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ centre64AVX2_loop
	VMOVUPD Y0, 0(AX)
	VMOVUPD Y1, 32(AX)
	VMOVUPD Y2, 64(AX)
	VMOVUPD Y3, 96(AX)
	VZEROUPPER
	RET
