//go:build amd64 && !noasm

#include "textflag.h"

// func dots4AVX2(d int, x *float64, xs int, q *float64, kp int, z *float64, zs int, cols int)
//
// For the 4 rows r of x (row r at x + r*xs, d values) and the first cols
// columns j of q (d rows of kp values; cols a multiple of 4):
// z[r*zs + j] = sum_{a<d} q[a*kp + j] * x[r*xs + a], each product rounded
// (VMULPD) and added in the order of a (VADDPD) into an accumulator that
// starts at 0: the bits of metrics.dots. Strides are in elements; d >= 1.
// Requires AVX2.
TEXT ·dots4AVX2(SB), NOSPLIT, $0-64
	MOVQ x+8(FP), SI
	MOVQ xs+16(FP), BX
	SHLQ $3, BX
	MOVQ q+24(FP), DI
	MOVQ kp+32(FP), R12
	SHLQ $3, R12
	MOVQ z+40(FP), DX
	MOVQ zs+48(FP), R13
	SHLQ $3, R13
	MOVQ cols+56(FP), R14

chunk8:
	CMPQ R14, $8
	JLT chunk4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ SI, R8
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	LEAQ (R10)(BX*1), R11
	MOVQ DI, AX
	MOVQ d+0(FP), CX

loop8:
	VMOVUPD 0(AX), Y8
	VMOVUPD 32(AX), Y9
	VBROADCASTSD (R8), Y10
	VBROADCASTSD (R9), Y11
	VBROADCASTSD (R10), Y12
	VBROADCASTSD (R11), Y13
	VMULPD Y8, Y10, Y14
	VADDPD Y14, Y0, Y0
	VMULPD Y9, Y10, Y15
	VADDPD Y15, Y1, Y1
	VMULPD Y8, Y11, Y14
	VADDPD Y14, Y2, Y2
	VMULPD Y9, Y11, Y15
	VADDPD Y15, Y3, Y3
	VMULPD Y8, Y12, Y14
	VADDPD Y14, Y4, Y4
	VMULPD Y9, Y12, Y15
	VADDPD Y15, Y5, Y5
	VMULPD Y8, Y13, Y14
	VADDPD Y14, Y6, Y6
	VMULPD Y9, Y13, Y15
	VADDPD Y15, Y7, Y7
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $8, R10
	ADDQ $8, R11
	ADDQ R12, AX
	DECQ CX
	JNZ loop8

	MOVQ DX, R8
	VMOVUPD Y0, 0(R8)
	VMOVUPD Y1, 32(R8)
	ADDQ R13, R8
	VMOVUPD Y2, 0(R8)
	VMOVUPD Y3, 32(R8)
	ADDQ R13, R8
	VMOVUPD Y4, 0(R8)
	VMOVUPD Y5, 32(R8)
	ADDQ R13, R8
	VMOVUPD Y6, 0(R8)
	VMOVUPD Y7, 32(R8)
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $8, R14
	JMP chunk8

chunk4:
	CMPQ R14, $4
	JLT done
	VXORPD Y0, Y0, Y0
	VXORPD Y2, Y2, Y2
	VXORPD Y4, Y4, Y4
	VXORPD Y6, Y6, Y6
	MOVQ SI, R8
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	LEAQ (R10)(BX*1), R11
	MOVQ DI, AX
	MOVQ d+0(FP), CX

loop4:
	VMOVUPD 0(AX), Y8
	VBROADCASTSD (R8), Y10
	VBROADCASTSD (R9), Y11
	VBROADCASTSD (R10), Y12
	VBROADCASTSD (R11), Y13
	VMULPD Y8, Y10, Y14
	VADDPD Y14, Y0, Y0
	VMULPD Y8, Y11, Y15
	VADDPD Y15, Y2, Y2
	VMULPD Y8, Y12, Y14
	VADDPD Y14, Y4, Y4
	VMULPD Y8, Y13, Y15
	VADDPD Y15, Y6, Y6
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $8, R10
	ADDQ $8, R11
	ADDQ R12, AX
	DECQ CX
	JNZ loop4

	MOVQ DX, R8
	VMOVUPD Y0, 0(R8)
	ADDQ R13, R8
	VMOVUPD Y2, 0(R8)
	ADDQ R13, R8
	VMOVUPD Y4, 0(R8)
	ADDQ R13, R8
	VMOVUPD Y6, 0(R8)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $4, R14
	JMP chunk4

done:
	VZEROUPPER
	RET
