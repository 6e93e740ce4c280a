//go:build amd64 && !noasm

#include "textflag.h"

// func expRowAVX2(n int, dst, z *float64, zmax float64, table *[24]float64)
//
// For j < n (a multiple of 4): dst[j] = expNonPos(z[j] - zmax) (exp.go),
// 4 lanes at a time with the same operations: the same bits. Requires AVX2.
TEXT ·expRowAVX2(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ dst+8(FP), DI
	MOVQ z+16(FP), SI
	VBROADCASTSD zmax+24(FP), Y15
	MOVQ table+32(FP), AX
	VBROADCASTSD 0(AX), Y14  // log2(e)
	VBROADCASTSD 8(AX), Y13  // ln 2 high
	VBROADCASTSD 16(AX), Y12 // ln 2 low
	VBROADCASTSD 24(AX), Y11 // -708
	VBROADCASTSD 32(AX), Y10 // 2^52 + 1023
	SHRQ $2, CX
exp_loop:
	VMOVUPD (SI), Y0
	VSUBPD Y15, Y0, Y0       // x = z - zmax
	VMULPD Y14, Y0, Y1       // x log2(e)
	VROUNDPD $0, Y1, Y1      // n, to nearest even
	VMULPD Y13, Y1, Y2
	VSUBPD Y2, Y0, Y2        // x - n ln2hi
	VMULPD Y12, Y1, Y3
	VSUBPD Y3, Y2, Y2        // r
	VBROADCASTSD 144(AX), Y4 // c13
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 136(AX), Y7
	VADDPD Y7, Y4, Y4        // + c12
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 128(AX), Y7
	VADDPD Y7, Y4, Y4        // + c11
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 120(AX), Y7
	VADDPD Y7, Y4, Y4        // + c10
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 112(AX), Y7
	VADDPD Y7, Y4, Y4        // + c9
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 104(AX), Y7
	VADDPD Y7, Y4, Y4        // + c8
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 96(AX), Y7
	VADDPD Y7, Y4, Y4        // + c7
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 88(AX), Y7
	VADDPD Y7, Y4, Y4        // + c6
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 80(AX), Y7
	VADDPD Y7, Y4, Y4        // + c5
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 72(AX), Y7
	VADDPD Y7, Y4, Y4        // + c4
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 64(AX), Y7
	VADDPD Y7, Y4, Y4        // + c3
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 56(AX), Y7
	VADDPD Y7, Y4, Y4        // + c2
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 48(AX), Y7
	VADDPD Y7, Y4, Y4        // + c1
	VMULPD Y2, Y4, Y4
	VBROADCASTSD 40(AX), Y7
	VADDPD Y7, Y4, Y4        // + c0
	VADDPD Y10, Y1, Y5       // 2^52 + 1023 + n: n + 1023 in the low bits
	VPSLLQ $52, Y5, Y5       // 2^n
	VMULPD Y5, Y4, Y4
	VCMPPD $1, Y11, Y0, Y6   // x < -708
	VANDNPD Y4, Y6, Y4
	VMOVUPD Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ exp_loop
	VZEROUPPER
	RET
