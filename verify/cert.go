package verify

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"nccheck/certificate"
	"nccheck/closedform"
)

// ProofMarginBits is the default margin of the proof tolerance below the
// precision: a prediction computed at Prec bits is proved when its
// certificate gap is at most 2^-(Prec - ProofMarginBits) max(1, |f*|). The
// certificate's tightness at a global minimum given to Prec bits is about
// 2^-Prec relative (its final spectral shift is 2^-(Prec-16)), so 32 bits
// leave a factor 2^16 of room; measured gaps at 256 bits are about 1e-77,
// the tolerance is 2^-224 = 3.7e-68.
const ProofMarginBits = 32

// DefaultProofBits is the proof tolerance's exponent at prec bits:
// prec - ProofMarginBits.
func DefaultProofBits(prec uint) int { return int(prec) - ProofMarginBits }

// proofDigits is the number of significant digits of a certificate gap in
// a row (rounded up: the decimal is still an upper bound).
const proofDigits = 10

// setBracket stores the certificates at the solver's point in the row: the
// float64 LowerBound and CertifiedGap = NumericObjective - LowerBound, and
// the proved ones (LowerBoundProved, CertifiedGapProved) or the reason
// there are none (BracketNote).
func setBracket(r *Row, b *solverBracket) {
	lb := b.f64.LowerBound
	gap := r.NumericObjective - lb
	r.LowerBound, r.CertifiedGap = &lb, &gap
	r.LowerBoundProved, r.CertifiedGapProved, r.BracketNote = b.lb, b.gap, b.note
}

// proveAt computes the rigorous big-float certificate at the prediction's
// explicit point (certificate.BigAtClassMeans at prec bits) and stores in
// the row its lower bound (rounded down) and the certificate gap
// max(f*, f(point)) - LB (rounded up), f(point) the certificate's own
// evaluation of the objective. Without an explicit point, or when the
// certificate refuses the setting, ProofError says why.
func proveAt(r *Row, pred *closedform.Prediction, prec uint) {
	if !pred.HasMinimizer() {
		r.ProofError = "the prediction has no explicit point"
		return
	}
	m, err := pred.Minimizer()
	if err != nil {
		r.ProofError = "explicit point: " + err.Error()
		return
	}
	res, err := certificate.BigAtClassMeans(pred.Setting, m.W, m.Means, m.B, prec)
	if err != nil {
		r.ProofError = "certificate: " + err.Error()
		return
	}
	wp := prec + certificate.GuardBits
	top := res.Objective
	if pred.Objective.Cmp(top) > 0 {
		top = pred.Objective
	}
	gap := new(big.Float).SetPrec(wp).SetMode(big.ToPositiveInf).Sub(top, res.LowerBound)
	lb := decimalDirected(res.LowerBound, closedform.Digits(prec), false)
	g := decimalDirected(gap, proofDigits, true)
	r.PredictedLowerBound, r.PredictedCertificateGap = &lb, &g
}

// decimalDirected formats x with digits significant digits in scientific
// notation, rounded up (towards +inf) or down: the decimal is a bound on
// x, exactly.
func decimalDirected(x *big.Float, digits int, up bool) string {
	if x.Sign() == 0 {
		return "0"
	}
	r, _ := x.Rat(nil)
	neg := r.Sign() < 0
	if neg {
		r.Neg(r)
		up = !up // the magnitude rounds the other way
	}
	// e: the decimal exponent, 10^e <= r < 10^(e+1).
	bexp := x.MantExp(nil)
	e := int(math.Floor(float64(bexp-1) * math.Log10(2)))
	pow := func(k int) *big.Rat {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(k))), nil)
		if k < 0 {
			return new(big.Rat).SetFrac(big.NewInt(1), p)
		}
		return new(big.Rat).SetInt(p)
	}
	for r.Cmp(pow(e+1)) >= 0 {
		e++
	}
	for r.Cmp(pow(e)) < 0 {
		e--
	}
	// m = r / 10^(e - digits + 1), in [10^(digits-1), 10^digits).
	m := new(big.Rat).Quo(r, pow(e-digits+1))
	q, rem := new(big.Int).QuoRem(m.Num(), m.Denom(), new(big.Int))
	if up && rem.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if len(s) > digits { // rounded up to 10^digits
		s, e = s[:digits], e+1
	}
	out := s[:1]
	if len(s) > 1 {
		out += "." + strings.TrimRight(s[1:], "0")
		out = strings.TrimSuffix(out, ".")
	}
	if neg {
		out = "-" + out
	}
	return fmt.Sprintf("%se%+03d", out, e)
}

func abs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

// ratOf parses a row's decimal exactly.
func ratOf(text, field string) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("%s %s is not a decimal number", field, clipQuote(text))
	}
	return r, nil
}

// proofScale returns 2^-bits max(1, |f*|), exactly.
func proofScale(fstar *big.Rat, bits int) *big.Rat {
	scale := new(big.Rat).Abs(fstar)
	if scale.Cmp(big.NewRat(1, 1)) < 0 {
		scale.SetInt64(1)
	}
	return scale.Mul(scale, new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), uint(bits))))
}

// judgeProof applies the proof tolerance 2^-bits to a row with a
// prediction, exactly in rationals from its decimals: refuted reports f*
// below the prediction's own certified lower bound by more than the
// tolerance; failed is "proof>2^-bits" when the certificate gap exceeds
// it, or "proof unavailable" without a certificate.
func judgeProof(r Row, bits int) (refuted bool, failed string, err error) {
	if r.PredictedCertificateGap == nil || r.PredictedLowerBound == nil {
		return false, "proof unavailable", nil
	}
	fs, err := ratOf(*r.PredictedObjective, "predicted_objective")
	if err != nil {
		return false, "", err
	}
	lb, err := ratOf(*r.PredictedLowerBound, "predicted_lower_bound")
	if err != nil {
		return false, "", err
	}
	gap, err := ratOf(*r.PredictedCertificateGap, "predicted_certificate_gap")
	if err != nil {
		return false, "", err
	}
	tol := proofScale(fs, bits)
	refuted = new(big.Rat).Sub(lb, fs).Cmp(tol) > 0
	if gap.Cmp(tol) > 0 {
		failed = fmt.Sprintf("proof>2^-%d", bits)
	}
	return refuted, failed, nil
}
