//go:build amd64 && !noasm

#include "textflag.h"

// REDUCE as in vec_amd64.s.
#define REDUCE(Zr, Yr, Xr, Yt, Xt) \
	VEXTRACTF64X4 $1, Zr, Yt \
	VADDPD Yt, Yr, Yr \
	VEXTRACTF32X4 $1, Yr, Xt \
	VADDPD Xt, Xr, Xr \
	VPERMILPD $1, Xr, Xt \
	VADDSD Xt, Xr, Xr

// Constants of softmaxRowAVX (see expReduced): 32/ln2, 1.5*2^52, ln2/32
// split high and low, 1, the Taylor coefficients, -708, 1023 and 16
// (int64), and -Inf (the start of the maximum). The table 2^(j/32) is
// exp2Table, passed as an argument.
DATA smconst<>+0(SB)/8, $0x40471547652b82fe   // 32/ln2
DATA smconst<>+8(SB)/8, $0x4338000000000000   // 1.5*2^52
DATA smconst<>+16(SB)/8, $0x3f962e42fefa0000  // hi
DATA smconst<>+24(SB)/8, $0x3d2cf79abc9e3b3a  // lo
DATA smconst<>+32(SB)/8, $0x3ff0000000000000  // 1
DATA smconst<>+40(SB)/8, $0x3fc5555555555555  // 1/6
DATA smconst<>+48(SB)/8, $0x3fe0000000000000  // 0.5
DATA smconst<>+56(SB)/8, $0x3f81111111111111  // 1/120
DATA smconst<>+64(SB)/8, $0x3fa5555555555555  // 1/24
DATA smconst<>+72(SB)/8, $0x3f56c16c16c16c17  // 1/720
DATA smconst<>+80(SB)/8, $0xc086200000000000  // -708
DATA smconst<>+88(SB)/8, $1023
DATA smconst<>+96(SB)/8, $16
DATA smconst<>+104(SB)/8, $0xfff0000000000000 // -Inf
GLOBL smconst<>(SB), RODATA|NOPTR, $112

// func softmaxRowAVX(k int, row *float64, table *[32]float64, invN float64, out *[3]float64)
//
// For the logits row[0:k] (only those are read and written: the last
// vector's loads and stores are masked by K7, see softmaxRow): m = the
// largest, am = the first index of m, e_j = exp(row_j - m) as expReduced
// (0 below -708), rest = the sum of e_j over j != am in 8 lanes (lane
// j mod 8) reduced as REDUCE, and row_j = e_j * invN / (1 + rest).
// out = m, rest, am.
TEXT ·softmaxRowAVX(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ row+8(FP), SI
	MOVQ table+16(FP), DI
	MOVQ out+32(FP), R10
	// Mask of the valid lanes of the last vector in K7 (all 8 if k%8 == 0);
	// R8 = offset in bytes of the last vector.
	MOVQ CX, AX
	ANDQ $7, AX
	MOVL $0xff, DX
	TESTQ AX, AX
	JEQ smfull
	MOVL $1, DX
	MOVQ AX, R9
	SHLXL R9, DX, DX
	DECL DX
smfull:
	KMOVW DX, K7
	LEAQ 7(CX), R8
	SHRQ $3, R8
	DECQ R8
	SHLQ $6, R8
	MOVQ $0xff, DX
	KMOVW DX, K6
	// Pass 1: the largest logit.
	VBROADCASTSD smconst<>+104(SB), Z13
	XORQ AX, AX
smmax:
	KMOVW K6, K1
	CMPQ AX, R8
	JNE smmax1
	KMOVW K7, K1
smmax1:
	VMOVUPD (SI)(AX*1), K1, Z0
	VMAXPD Z0, Z13, K1, Z13
	ADDQ $64, AX
	CMPQ AX, R8
	JLE smmax
	VEXTRACTF64X4 $1, Z13, Y8
	VMAXPD Y8, Y13, Y13
	VEXTRACTF32X4 $1, Y13, X8
	VMAXPD X8, X13, X13
	VPERMILPD $1, X13, X8
	VMAXSD X8, X13, X13
	VMOVSD X13, 0(R10)
	VBROADCASTSD X13, Z15
	// The first index of the largest: BX.
	XORQ AX, AX
smarg:
	KMOVW K6, K1
	CMPQ AX, R8
	JNE smarg1
	KMOVW K7, K1
smarg1:
	VMOVUPD (SI)(AX*1), K1, Z0
	VCMPPD $0, Z15, Z0, K1, K2
	KMOVW K2, DX
	TESTL DX, DX
	JNE smfound
	ADDQ $64, AX
	CMPQ AX, R8
	JLE smarg
	XORQ BX, BX                   // not found (a NaN logit): index 0
	JMP smgotarg
smfound:
	BSFL DX, DX
	MOVQ AX, BX
	SHRQ $3, BX
	ADDQ DX, BX
smgotarg:
	MOVQ BX, 16(R10)
	// Constants.
	VBROADCASTSD smconst<>+0(SB), Z31
	VBROADCASTSD smconst<>+8(SB), Z30
	VBROADCASTSD smconst<>+16(SB), Z29
	VBROADCASTSD smconst<>+24(SB), Z28
	VBROADCASTSD smconst<>+32(SB), Z27
	VBROADCASTSD smconst<>+40(SB), Z26
	VBROADCASTSD smconst<>+48(SB), Z25
	VBROADCASTSD smconst<>+56(SB), Z24
	VBROADCASTSD smconst<>+64(SB), Z23
	VBROADCASTSD smconst<>+72(SB), Z22
	VBROADCASTSD smconst<>+80(SB), Z21
	VPBROADCASTQ smconst<>+88(SB), Z16
	VPBROADCASTQ smconst<>+96(SB), Z12
	VMOVUPD 0(DI), Z17
	VMOVUPD 64(DI), Z18
	VMOVUPD 128(DI), Z19
	VMOVUPD 192(DI), Z20
	VPXORQ Z14, Z14, Z14          // lane sums
	VPXORQ Z11, Z11, Z11          // 0
	// Pass 2: the exponentials and their lane sums without index BX.
	XORQ AX, AX
	XORQ R9, R9                   // element index of the vector
smexp:
	KMOVW K6, K1
	CMPQ AX, R8
	JNE smexp1
	KMOVW K7, K1
smexp1:
	VMOVUPD (SI)(AX*1), K1, Z0
	VSUBPD Z15, Z0, Z0            // x = z - m
	VCMPPD $1, Z21, Z0, K2        // x < -708
	VMULPD Z31, Z0, Z1
	VADDPD Z30, Z1, Z1            // kd
	VPSUBQ Z30, Z1, Z2            // k
	VSUBPD Z30, Z1, Z3            // kf
	VMULPD Z29, Z3, Z4
	VSUBPD Z4, Z0, Z4             // x - kf*hi
	VMULPD Z28, Z3, Z5
	VSUBPD Z5, Z4, Z4             // r
	VMULPD Z4, Z4, Z5             // r2
	VADDPD Z27, Z4, Z6            // 1 + r
	VMULPD Z26, Z4, Z7
	VADDPD Z25, Z7, Z7            // t3 = 0.5 + r/6
	VMULPD Z24, Z4, Z8
	VADDPD Z23, Z8, Z8            // t5 = 1/24 + r/120
	VMULPD Z22, Z5, Z9
	VADDPD Z9, Z8, Z8             // t7 = t5 + r2/720
	VMULPD Z8, Z5, Z8
	VADDPD Z8, Z7, Z7             // t9 = t3 + r2 t7
	VMULPD Z7, Z5, Z7
	VADDPD Z7, Z6, Z6             // p = (1 + r) + r2 t9
	VMOVDQA64 Z2, Z9
	VPERMI2PD Z18, Z17, Z9        // 2^(j/32), j = k mod 16
	VMOVDQA64 Z2, Z10
	VPERMI2PD Z20, Z19, Z10       // 2^((16+j)/32)
	VPTESTMQ Z12, Z2, K3          // k & 16
	VMOVAPD Z10, K3, Z9
	VMULPD Z9, Z6, Z6             // p 2^((k mod 32)/32)
	VPSRAQ $5, Z2, Z2
	VPADDQ Z16, Z2, Z2
	VPSLLQ $52, Z2, Z2
	VMULPD Z2, Z6, Z6             // times 2^(k div 32)
	VMOVAPD Z11, K2, Z6
	VMOVUPD Z6, K1, (SI)(AX*1)
	// Leave index BX out of the sums.
	MOVQ BX, DX
	SUBQ R9, DX
	CMPQ DX, $8
	JAE smexpsum
	MOVL $1, R11
	SHLXL DX, R11, R11
	NOTL R11
	KMOVW R11, K4
	KANDW K4, K1, K1
smexpsum:
	VADDPD Z6, Z14, K1, Z14
	ADDQ $64, AX
	ADDQ $8, R9
	CMPQ AX, R8
	JLE smexp
	REDUCE(Z14, Y14, X14, Y8, X8)
	VMOVSD X14, 8(R10)
	// Pass 3: scale by invN / (1 + rest).
	VADDSD X27, X14, X14
	VMOVSD invN+24(FP), X8
	VDIVSD X14, X8, X8
	VBROADCASTSD X8, Z8
	XORQ AX, AX
smscale:
	KMOVW K6, K1
	CMPQ AX, R8
	JNE smscale1
	KMOVW K7, K1
smscale1:
	VMOVUPD (SI)(AX*1), K1, Z0
	VMULPD Z8, Z0, Z0
	VMOVUPD Z0, K1, (SI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, R8
	JLE smscale
	VZEROUPPER
	RET
