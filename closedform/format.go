package closedform

import (
	"math"
	"math/big"
)

// Digits returns the number of significant decimal digits a prec-bit
// mantissa supports, floor(prec log10 2): 77 for 256 bits.
func Digits(prec uint) int {
	return int(math.Floor(float64(prec) * math.Log10(2)))
}

// FormatFloat formats x as a decimal string with the given number of
// significant digits ('g' format: exponent notation only for very large or
// small magnitudes). A nil x formats as "".
func FormatFloat(x *big.Float, digits int) string {
	if x == nil {
		return ""
	}
	if digits < 1 {
		digits = 1
	}
	return x.Text('g', digits)
}
