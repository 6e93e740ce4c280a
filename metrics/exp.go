package metrics

import "math"

// expTable holds expNonPos's constants, which the assembly reads from it
// (never written): log2(e), ln 2 in two parts (fdlibm's), the cut -708,
// 2^52 + 1023 and the Taylor coefficients 1/k! for k = 0..13.
var expTable = [24]float64{
	1.44269504088896338700e+00, // log2(e)
	6.93147180369123816490e-01, // ln 2, high part
	1.90821492927058770002e-10, // ln 2, low part
	-708,
	0x1p52 + 1023,
	1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
	1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800,
}

// expNonPos returns e^x for x <= 0 to about 1 ulp (0 below -708, where e^x
// is below 2^-1021): n = round(x log2 e) (to even), r = x - n ln 2 (in two
// parts), e^r by Horner's rule on its Taylor polynomial of degree 13
// (|r| <= ln2/2: truncation below 1e-17), times 2^n. Every product is
// rounded before it is added, so the assembly's lanes (exp_amd64.s) give
// the same bits. It replaces math.Exp in the softmax of the first pass
// (the logits shifted by their largest), where math.Exp was a third of
// the pass's time for K = 100.
func expNonPos(x float64) float64 {
	t := &expTable
	if x < t[3] {
		return 0
	}
	n := math.RoundToEven(float64(x * t[0]))
	r := float64(x-float64(n*t[1])) - float64(n*t[2])
	c := t[5:19]
	p := c[13]
	for k := 12; k >= 0; k-- {
		p = float64(p*r) + c[k]
	}
	return p * math.Float64frombits(uint64(int64(n)+1023)<<52)
}

// expShifted sets dst[j] = expNonPos(z[j] - zmax) (z[j] <= zmax), 4 at a
// time in assembly on amd64 with AVX2 (the same bits).
func expShifted(dst, z []float64, zmax float64) {
	dst = dst[:len(z)]
	j := expAsm(bestLevel, dst, z, zmax)
	for ; j < len(z); j++ {
		dst[j] = expNonPos(z[j] - zmax)
	}
}
