//go:build amd64 && !noasm

#include "textflag.h"

// AVX-512 kernels of the LBFGSB vector passes (see vec.go). Every n is a
// positive multiple of 8. Sums are accumulated per lane (lane l takes the
// elements i with i mod 8 = l) with fused multiply-adds and reduced by
// REDUCE, in the order vec.go's Go versions use.

// REDUCE(Z, Y, X, T) leaves in the low element of X (the low parts of Z)
// ((z0+z4) + (z2+z6)) + ((z1+z5) + (z3+z7)), using T (Y and X of one
// register) as scratch.
#define REDUCE(Zr, Yr, Xr, Yt, Xt) \
	VEXTRACTF64X4 $1, Zr, Yt \
	VADDPD Yt, Yr, Yr \
	VEXTRACTF32X4 $1, Yr, Xt \
	VADDPD Xt, Xr, Xr \
	VPERMILPD $1, Xr, Xt \
	VADDSD Xt, Xr, Xr

// func dot4AVX(n int, u, v, a, b *float64, out *[4]float64)
// out = u.a, v.a, u.b, v.b.
TEXT ·dot4AVX(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), DI
	MOVQ a+24(FP), R8
	MOVQ b+32(FP), R9
	MOVQ out+40(FP), R10
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	XORQ AX, AX
dot4loop:
	VMOVUPD (SI)(AX*1), Z4
	VMOVUPD (DI)(AX*1), Z5
	VMOVUPD (R8)(AX*1), Z6
	VMOVUPD (R9)(AX*1), Z7
	VFMADD231PD Z6, Z4, Z0
	VFMADD231PD Z6, Z5, Z1
	VFMADD231PD Z7, Z4, Z2
	VFMADD231PD Z7, Z5, Z3
	ADDQ $64, AX
	CMPQ AX, CX
	JLT dot4loop
	REDUCE(Z0, Y0, X0, Y8, X8)
	REDUCE(Z1, Y1, X1, Y8, X8)
	REDUCE(Z2, Y2, X2, Y8, X8)
	REDUCE(Z3, Y3, X3, Y8, X8)
	VMOVSD X0, 0(R10)
	VMOVSD X1, 8(R10)
	VMOVSD X2, 16(R10)
	VMOVSD X3, 24(R10)
	VZEROUPPER
	RET

// func axpy2AVX(n int, ca float64, u *float64, cb float64, v, d *float64)
// d = fma(cb, v, fma(ca, u, d)) elementwise.
TEXT ·axpy2AVX(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	VBROADCASTSD ca+8(FP), Z8
	MOVQ u+16(FP), SI
	VBROADCASTSD cb+24(FP), Z9
	MOVQ v+32(FP), DI
	MOVQ d+40(FP), DX
	XORQ AX, AX
axpy2loop:
	VMOVUPD (DX)(AX*1), Z0
	VFMADD231PD (SI)(AX*1), Z8, Z0
	VFMADD231PD (DI)(AX*1), Z9, Z0
	VMOVUPD Z0, (DX)(AX*1)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT axpy2loop
	VZEROUPPER
	RET

// func maskScaleAVX(n int, c float64, x, grad *float64, eps float64, d *float64)
// d = c*g, or 0 where x <= eps and g > 0.
TEXT ·maskScaleAVX(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	VBROADCASTSD c+8(FP), Z8
	MOVQ x+16(FP), SI
	MOVQ grad+24(FP), DI
	VBROADCASTSD eps+32(FP), Z9
	MOVQ d+40(FP), DX
	VPXORQ Z10, Z10, Z10
	XORQ AX, AX
maskloop:
	VMOVUPD (DI)(AX*1), Z0
	VMOVUPD (SI)(AX*1), Z1
	VCMPPD $2, Z9, Z1, K1
	VCMPPD $0x1e, Z10, Z0, K2
	KANDW K1, K2, K1
	VMULPD Z8, Z0, Z2
	VMOVAPD Z10, K1, Z2
	VMOVUPD Z2, (DX)(AX*1)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT maskloop
	VZEROUPPER
	RET

// func finishDirAVX(n int, x, grad, buf, d, xt *float64, eps float64, flags int, out *[3]float64)
// v = -buf, or -x where (flags&1) and x <= eps and g > 0; d = v;
// out[0] = sum g v, out[1] = max(out[1], max |v|); with flags&2:
// xt = x + v (clamped at 0 with flags&1), out[2] = sum g (xt - x).
TEXT ·finishDirAVX(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	MOVQ x+8(FP), SI
	MOVQ grad+16(FP), DI
	MOVQ buf+24(FP), R8
	MOVQ d+32(FP), R9
	MOVQ xt+40(FP), R10
	VBROADCASTSD eps+48(FP), Z9
	MOVQ flags+56(FP), BX
	MOVQ out+64(FP), R11
	VPXORQ Z10, Z10, Z10          // 0
	VPXORQ Z11, Z11, Z11          // sum g v
	VPXORQ Z12, Z12, Z12          // max |v|
	VPXORQ Z13, Z13, Z13          // sum g (xt - x)
	MOVQ $0x7fffffffffffffff, DX
	VPBROADCASTQ DX, Z14          // abs mask
	MOVQ $0x8000000000000000, DX
	VPBROADCASTQ DX, Z15          // sign mask
	XORQ AX, AX
finloop:
	VMOVUPD (SI)(AX*1), Z1        // x
	VMOVUPD (DI)(AX*1), Z0        // g
	VMOVUPD (R8)(AX*1), Z2
	VPXORQ Z15, Z2, Z2            // v = -buf
	TESTQ $1, BX
	JEQ finfree
	VCMPPD $2, Z9, Z1, K1         // x <= eps
	VCMPPD $0x1e, Z10, Z0, K2     // g > 0
	KANDW K1, K2, K1
	VPXORQ Z15, Z1, Z3            // -x
	VMOVAPD Z3, K1, Z2
finfree:
	VMOVUPD Z2, (R9)(AX*1)
	VFMADD231PD Z2, Z0, Z11
	VPANDQ Z14, Z2, Z3
	VMAXPD Z3, Z12, Z12
	TESTQ $2, BX
	JEQ finnext
	VADDPD Z2, Z1, Z4             // x + v
	TESTQ $1, BX
	JEQ finnoclamp
	VMAXPD Z10, Z4, Z4
finnoclamp:
	VMOVUPD Z4, (R10)(AX*1)
	VSUBPD Z1, Z4, Z5             // xt - x
	VFMADD231PD Z5, Z0, Z13
finnext:
	ADDQ $64, AX
	CMPQ AX, CX
	JLT finloop
	REDUCE(Z11, Y11, X11, Y8, X8)
	REDUCE(Z13, Y13, X13, Y8, X8)
	VEXTRACTF64X4 $1, Z12, Y8
	VMAXPD Y8, Y12, Y12
	VEXTRACTF32X4 $1, Y12, X8
	VMAXPD X8, X12, X12
	VPERMILPD $1, X12, X8
	VMAXSD X8, X12, X12
	VMOVSD X11, 0(R11)
	VMAXSD 8(R11), X12, X12
	VMOVSD X12, 8(R11)
	VMOVSD X13, 16(R11)
	VZEROUPPER
	RET

// func pairStepAVX(n int, x, xt, grad, gradt, s, y, buf, mk *float64, eps, gamma float64, bounded int, out *[7]float64)
// s = xt - x, y = gt - g, buf = gt or 0 where bounded and xt <= eps and
// gt > 0 (the binding entries), mk = 1 or 0 there; out[0..4] = sums of s s, s y, y y, s buf, y buf;
// out[5] = max(out[5], max |min(xt, gt)|) (bounded) or max |gt|;
// out[6] = max(out[6], max |min(xt, gamma gt)|) (bounded only).
TEXT ·pairStepAVX(SB), NOSPLIT, $0-104
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	MOVQ x+8(FP), SI
	MOVQ xt+16(FP), DI
	MOVQ grad+24(FP), R8
	MOVQ gradt+32(FP), R9
	MOVQ s+40(FP), R10
	MOVQ y+48(FP), R11
	MOVQ buf+56(FP), R12
	VBROADCASTSD eps+72(FP), Z9
	VBROADCASTSD gamma+80(FP), Z16
	MOVQ bounded+88(FP), BX
	MOVQ out+96(FP), R13
	MOVQ $0x3ff0000000000000, DX
	VPBROADCASTQ DX, Z21          // 1.0
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11          // s s
	VPXORQ Z12, Z12, Z12          // s y
	VPXORQ Z13, Z13, Z13          // y y
	VPXORQ Z17, Z17, Z17          // s buf
	VPXORQ Z18, Z18, Z18          // y buf
	VPXORQ Z19, Z19, Z19          // residual
	VPXORQ Z20, Z20, Z20          // eps
	MOVQ $0x7fffffffffffffff, DX
	VPBROADCASTQ DX, Z14
	MOVQ mk+64(FP), DX
	XORQ AX, AX
pairloop:
	VMOVUPD (SI)(AX*1), Z0        // x
	VMOVUPD (DI)(AX*1), Z1        // xt
	VMOVUPD (R8)(AX*1), Z2        // g
	VMOVUPD (R9)(AX*1), Z3        // gt
	VSUBPD Z0, Z1, Z4             // s
	VSUBPD Z2, Z3, Z5             // y
	VMOVUPD Z4, (R10)(AX*1)
	VMOVUPD Z5, (R11)(AX*1)
	VFMADD231PD Z4, Z4, Z11
	VFMADD231PD Z5, Z4, Z12
	VFMADD231PD Z5, Z5, Z13
	VMOVAPD Z3, Z6                // buf
	VMOVAPD Z21, Z15              // mk
	TESTQ BX, BX
	JEQ pairfree
	VCMPPD $2, Z9, Z1, K1         // xt <= eps
	VCMPPD $0x1e, Z10, Z3, K2     // gt > 0
	KANDW K1, K2, K1
	VMOVAPD Z10, K1, Z6
	VMOVAPD Z10, K1, Z15
	VMINPD Z3, Z1, Z7             // min(xt, gt)
	VPANDQ Z14, Z7, Z7
	VMAXPD Z7, Z19, Z19
	VMULPD Z16, Z3, Z7            // gamma gt
	VMINPD Z7, Z1, Z7
	VPANDQ Z14, Z7, Z7
	VMAXPD Z7, Z20, Z20
	JMP pairsums
pairfree:
	VPANDQ Z14, Z3, Z7
	VMAXPD Z7, Z19, Z19
pairsums:
	VMOVUPD Z6, (R12)(AX*1)
	VMOVUPD Z15, (DX)(AX*1)
	VFMADD231PD Z6, Z4, Z17
	VFMADD231PD Z6, Z5, Z18
	ADDQ $64, AX
	CMPQ AX, CX
	JLT pairloop
	REDUCE(Z11, Y11, X11, Y8, X8)
	REDUCE(Z12, Y12, X12, Y8, X8)
	REDUCE(Z13, Y13, X13, Y8, X8)
	REDUCE(Z17, Y17, X17, Y8, X8)
	REDUCE(Z18, Y18, X18, Y8, X8)
	VMOVSD X11, 0(R13)
	VMOVSD X12, 8(R13)
	VMOVSD X13, 16(R13)
	VMOVSD X17, 24(R13)
	VMOVSD X18, 32(R13)
	VEXTRACTF64X4 $1, Z19, Y8
	VMAXPD Y8, Y19, Y19
	VEXTRACTF32X4 $1, Y19, X8
	VMAXPD X8, X19, X19
	VPERMILPD $1, X19, X8
	VMAXSD X8, X19, X19
	VMAXSD 40(R13), X19, X19
	VMOVSD X19, 40(R13)
	VEXTRACTF64X4 $1, Z20, Y8
	VMAXPD Y8, Y20, Y20
	VEXTRACTF32X4 $1, Y20, X8
	VMAXPD X8, X20, X20
	VPERMILPD $1, X20, X8
	VMAXSD X8, X20, X20
	VMAXSD 48(R13), X20, X20
	VMOVSD X20, 48(R13)
	VZEROUPPER
	RET

// func dot4mAVX(n int, u, v, a, b, m *float64, out *[4]float64)
// out = (m u).a, (m v).a, (m u).b, (m v).b.
TEXT ·dot4mAVX(SB), NOSPLIT, $0-56
	MOVQ n+0(FP), CX
	SHLQ $3, CX
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), DI
	MOVQ a+24(FP), R8
	MOVQ b+32(FP), R9
	MOVQ m+40(FP), R11
	MOVQ out+48(FP), R10
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	XORQ AX, AX
dot4mloop:
	VMOVUPD (R11)(AX*1), Z9
	VMULPD (SI)(AX*1), Z9, Z4
	VMULPD (DI)(AX*1), Z9, Z5
	VMOVUPD (R8)(AX*1), Z6
	VMOVUPD (R9)(AX*1), Z7
	VFMADD231PD Z6, Z4, Z0
	VFMADD231PD Z6, Z5, Z1
	VFMADD231PD Z7, Z4, Z2
	VFMADD231PD Z7, Z5, Z3
	ADDQ $64, AX
	CMPQ AX, CX
	JLT dot4mloop
	REDUCE(Z0, Y0, X0, Y8, X8)
	REDUCE(Z1, Y1, X1, Y8, X8)
	REDUCE(Z2, Y2, X2, Y8, X8)
	REDUCE(Z3, Y3, X3, Y8, X8)
	VMOVSD X0, 0(R10)
	VMOVSD X1, 8(R10)
	VMOVSD X2, 16(R10)
	VMOVSD X3, 24(R10)
	VZEROUPPER
	RET
