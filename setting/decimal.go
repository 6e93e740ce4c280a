package setting

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decimal is a real number given by its decimal text, kept exactly.
//
// The zero Decimal is 0. A Decimal is immutable once parsed: Rat returns a
// copy, so callers cannot change it.
type Decimal struct {
	text string
	rat  *big.Rat
}

// decimalSyntax accepts plain and scientific decimal notation, with an
// optional sign: 5e-3, 0.0001, 1E+2, -3.5, .5, 7.
var decimalSyntax = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// maxExponent bounds the decimal exponent so that parsing cannot be asked to
// build a number with millions of digits.
const maxExponent = 1000

// maxDecimalLen bounds the length of a decimal's text, for the same reason:
// big.Rat's decimal conversion takes time quadratic in the number of digits
// (seconds for a million digits).
const maxDecimalLen = 10000

// ParseDecimal parses s as an exact decimal number. It accepts the usual
// decimal and scientific notations (1e-4, 0.0001, 2.5E+3) and nothing else:
// no hexadecimal, no fractions, no "inf" or "nan".
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if len(t) > maxDecimalLen {
		return Decimal{}, fmt.Errorf("too long for a decimal number (%d characters, limit %d)", len(t), maxDecimalLen)
	}
	if !decimalSyntax.MatchString(t) {
		return Decimal{}, fmt.Errorf("not a decimal number")
	}
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		// Decimal digits only: fmt.Sscan took a leading 0 for an octal
		// prefix, so 1e0800000 passed with exponent 0.
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || e > maxExponent || e < -maxExponent {
			return Decimal{}, fmt.Errorf("exponent out of range (|e| <= %d)", maxExponent)
		}
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return Decimal{}, fmt.Errorf("not a decimal number")
	}
	return Decimal{text: t, rat: r}, nil
}

// MustDecimal is ParseDecimal for constants in code and tests; it panics on
// malformed input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("setting.MustDecimal(%q): %v", s, err))
	}
	return d
}

// String returns the decimal text the number was parsed from ("0" for the
// zero Decimal).
func (d Decimal) String() string {
	if d.rat == nil {
		return "0"
	}
	return d.text
}

// Rat returns the exact value as a new big.Rat.
func (d Decimal) Rat() *big.Rat {
	if d.rat == nil {
		return new(big.Rat)
	}
	return new(big.Rat).Set(d.rat)
}

// Float returns the value rounded to nearest at prec bits of mantissa.
func (d Decimal) Float(prec uint) *big.Float {
	return new(big.Float).SetPrec(prec).SetRat(d.Rat())
}

// Float64 returns the float64 nearest to the value (±Inf or 0 when it is out
// of range; Validate rejects those for regularisation strengths).
func (d Decimal) Float64() float64 {
	if d.rat == nil {
		return 0
	}
	f, _ := d.rat.Float64()
	return f
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.rat == nil {
		return 0
	}
	return d.rat.Sign()
}

// IsZero reports whether the value is 0 (including the zero Decimal).
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Equal reports whether two decimals have the same exact value.
func (d Decimal) Equal(e Decimal) bool { return d.Rat().Cmp(e.Rat()) == 0 }

// finitePositiveFloat64 reports whether the value is positive and its float64
// rounding is a positive normal number, so that the float64 paths see the same
// problem (up to rounding) as the exact path.
func (d Decimal) finitePositiveFloat64() bool {
	f := d.Float64()
	return d.Sign() > 0 && f >= math.SmallestNonzeroFloat64*(1<<52) && !math.IsInf(f, 0)
}

// MarshalText returns the decimal text, so Decimals appear in JSON as
// strings that round-trip exactly.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the decimal text.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return fmt.Errorf("%q: %w", clip(string(b)), err)
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts a JSON string ("1e-4") or a JSON number (1e-4); both
// are read from their text, exactly.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		if len(s) < 2 || !strings.HasSuffix(s, `"`) {
			return fmt.Errorf("malformed string %s", s)
		}
		s = s[1 : len(s)-1]
	}
	return d.UnmarshalText([]byte(s))
}

// maxShown bounds the quoted length of the input text an error message shows.
const maxShown = 64

// clip returns s if it quotes to at most maxShown characters, and otherwise
// its longest prefix (cut between runes) that does, followed by "...": error
// messages quote clip(input), so they stay short whatever the input.
func clip(s string) string {
	if len(s) <= maxShown && len(strconv.Quote(s)) <= maxShown+2 {
		return s
	}
	n := min(len(s), maxShown)
	for n > 0 && ((n < len(s) && !utf8.RuneStart(s[n])) || len(strconv.Quote(s[:n])) > maxShown+2) {
		n--
	}
	return s[:n] + "..."
}
