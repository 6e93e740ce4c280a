package optimize

import "math"

// exp2Table holds 2^(j/32), j = 0..31, correctly rounded (generated with
// 60-digit decimal arithmetic).
var exp2Table = [32]float64{
	1.0,                // 2^(0/32),
	1.0218971486541166, // 2^(1/32),
	1.0442737824274138, // 2^(2/32),
	1.0671404006768237, // 2^(3/32),
	1.0905077326652577, // 2^(4/32),
	1.1143867425958924, // 2^(5/32),
	1.1387886347566916, // 2^(6/32),
	1.1637248587775775, // 2^(7/32),
	1.189207115002721,  // 2^(8/32),
	1.215247359980469,  // 2^(9/32),
	1.241857812073484,  // 2^(10/32),
	1.2690509571917332, // 2^(11/32),
	1.2968395546510096, // 2^(12/32),
	1.3252366431597413, // 2^(13/32),
	1.3542555469368927, // 2^(14/32),
	1.383909881963832,  // 2^(15/32),
	1.4142135623730951, // 2^(16/32),
	1.4451808069770467, // 2^(17/32),
	1.4768261459394993, // 2^(18/32),
	1.5091644275934228, // 2^(19/32),
	1.5422108254079407, // 2^(20/32),
	1.5759808451078865, // 2^(21/32),
	1.6104903319492543, // 2^(22/32),
	1.645755478153965,  // 2^(23/32),
	1.681792830507429,  // 2^(24/32),
	1.718619298122478,  // 2^(25/32),
	1.7562521603732995, // 2^(26/32),
	1.7947090750031072, // 2^(27/32),
	1.8340080864093424, // 2^(28/32),
	1.8741676341103,    // 2^(29/32),
	1.9152065613971474, // 2^(30/32),
	1.9571441241754002, // 2^(31/32),
}

// expNonPos returns exp(x) for x <= 0 (the max-shifted logits of the
// softmax), with relative error below 1e-15 (about 4.5 ulp; tested against
// math.Exp), and faster: x = (32m + j) ln2/32 + r with |r| <= ln2/64, then
// exp(x) = 2^m 2^(j/32) exp(r) with a degree-6 Taylor polynomial for exp(r)
// (truncation error below 4e-18). The integer 32m + j = round(32 x / ln2)
// is obtained by adding 1.5*2^52, which leaves it in the low bits of the
// sum (no floor and no float-to-integer conversion). Results below the
// normal range are flushed to 0 (they are at most 2^-1022 of the largest
// term of a sum that contains 1).
func expNonPos(x float64) float64 {
	v := [1]float64{x}
	expShifted(v[:], 0)
	return v[0]
}

// expShifted sets v[j] = expNonPos(v[j] - m) for every j (v[j] <= m), in
// one call per softmax row: expNonPos is too large to be inlined, and a
// call per logit measured 10% of an evaluation.
func expShifted(v []float64, m float64) {
	for j, z := range v {
		x := z - m
		if x < -708 {
			v[j] = 0
			continue
		}
		v[j] = expReduced(x)
	}
}

// expReduced is the body of expShifted for -708 <= x <= 0. Every product
// is rounded on its own (the explicit conversions forbid fused
// multiply-adds, which the Go specification otherwise allows), so that the
// AVX-512 version (softmaxRowAVX) computes the same bits.
func expReduced(x float64) float64 {
	const (
		inv   = 32 / math.Ln2
		hi    = 0x1.62e42fefa0000p-6
		lo    = 0x1.cf79abc9e3b3ap-45
		shift = 0x1.8p52
	)
	kd := float64(x*inv) + shift
	k := int64(math.Float64bits(kd) - math.Float64bits(shift))
	kf := kd - shift
	r := (x - float64(kf*hi)) - float64(kf*lo)
	r2 := float64(r * r)
	t3 := 0.5 + float64(r*(1.0/6))
	t5 := 1.0/24 + float64(r*(1.0/120))
	t7 := t5 + float64(r2*(1.0/720))
	t9 := t3 + float64(r2*t7)
	p := (1 + r) + float64(r2*t9)
	return float64(p*exp2Table[k&31]) * math.Float64frombits(uint64((k>>5)+1023)<<52)
}
