package setting_test

import (
	"encoding/json"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"

	"nccheck/setting"
)

// Fuzz tests for the two text parsers of this package. The properties:
//
//   - no input makes a parser panic;
//   - every rejection is a clean error: non-nil, with a non-empty, single-line
//     message of at most maxErrLen bytes (whatever the size of the input);
//   - every acceptance satisfies the parser's invariants (see checkDecimal
//     and FuzzParseCounts).
//
// The seed corpus is the f.Add calls below plus the files under
// testdata/fuzz/<FuzzName>/. `go test ./setting` runs every seed;
// `go test -run '^$' -fuzz '^FuzzParseDecimal$' -fuzztime 1m ./setting`
// explores further (failing inputs are written to testdata/fuzz).

// maxErrLen bounds the length of an error message of ParseDecimal and
// ParseCounts: a message quotes (a clipped form of) the input, never all of it.
const maxErrLen = 300

// checkCleanError fails unless err is a non-nil error with a short,
// non-empty, single-line message.
func checkCleanError(t *testing.T, in string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%.80q: rejected with a nil error", in)
	}
	msg := err.Error()
	switch {
	case strings.TrimSpace(msg) == "":
		t.Errorf("%.80q: empty error message", in)
	case strings.ContainsAny(msg, "\n\r"):
		t.Errorf("%.80q: multi-line error message %.200q", in, msg)
	case len(msg) > maxErrLen:
		t.Errorf("%.80q: error message of %d bytes (limit %d): %.200q", in, len(msg), maxErrLen, msg)
	}
}

// decimalSeeds are inputs for ParseDecimal, good and bad, used by both fuzz
// targets (ParseCounts reads each entry as a decimal).
var decimalSeeds = []string{
	// accepted
	"1e-4", "0.0001", "5e-3", "2.5E+3", ".5", "5.", "7", "-3.25", "+1", "-0", "0",
	"00012.3400", " 1e-4\t", "1e1000", "1e-1000", "9.99e999", "1E+0",
	"123456789012345678901234567890.123456789012345678901234567890",
	"0.00000000000000000000000000000000000000000000000000001",
	"1e-300", "2e308", "4.9e-324", "1.7976931348623157e308",
	// rejected
	"", " ", "1e1001", "1e-1001", "1e99999999999999999999", "NaN", "nan", "inf",
	"-Inf", "Infinity", "0x10", "0X1p-2", "1_000", "1/2", "1,5", "1e", "e5",
	".", "-", "+-1", "1..2", "1.2.3", "--1", "1e+-3", "١٢٣", "1\u00a0e3",
	"\u20001", "1e3\x00", "\xff", "½", "1 2", "1e3 x", "\"1e-4\"", "null",
	"1\n2", "0b101", "0o17", "1i",
	// exponents with leading zeros (fmt.Sscan once read them as octal)
	"1e0800000", "1E-0999999", "1e00001001", "1e0001000", "1e-01000", "5e+0009",
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range decimalSeeds {
		f.Add(s)
	}
	// Long inputs are in TestParseLongInput: as seeds they make the fuzzer
	// spend most of its time minimizing.
	f.Add(strings.Repeat("9", 60))
	f.Add("0." + strings.Repeat("0", 40) + "1e-999")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := setting.ParseDecimal(s)
		if err != nil {
			checkCleanError(t, s, err)
			if !d.IsZero() || d.String() != "0" {
				t.Errorf("%.80q: rejected, but returned %q, not the zero Decimal", s, d)
			}
		} else {
			checkDecimal(t, s, d)
		}

		// UnmarshalJSON on arbitrary bytes: no panic, a non-empty error or
		// the value ParseDecimal gives for the text.
		var j setting.Decimal
		if err := j.UnmarshalJSON([]byte(s)); err != nil {
			if err.Error() == "" {
				t.Errorf("%.80q: UnmarshalJSON: empty error message", s)
			}
			if json.Valid([]byte(s)) && strings.ContainsAny(err.Error(), "\n\r") {
				// Only valid JSON reaches UnmarshalJSON through encoding/json.
				t.Errorf("%.80q: UnmarshalJSON: multi-line error message %.200q", s, err)
			}
		} else {
			text := strings.TrimSpace(s)
			if strings.HasPrefix(text, `"`) {
				text = text[1 : len(text)-1]
			}
			want, err := setting.ParseDecimal(text)
			if err != nil {
				t.Fatalf("%.80q: UnmarshalJSON accepted it, ParseDecimal(%.80q) rejects it: %v", s, text, err)
			}
			if !j.Equal(want) || j.String() != want.String() {
				t.Errorf("%.80q: UnmarshalJSON gave %q, ParseDecimal %q", s, j, want)
			}
		}
	})
}

// checkDecimal checks the invariants of an accepted decimal d parsed from s.
func checkDecimal(t *testing.T, s string, d setting.Decimal) {
	t.Helper()
	text := d.String()
	if text == "" {
		t.Fatalf("%.80q: accepted with an empty String()", s)
	}
	if text != strings.TrimSpace(s) {
		t.Errorf("%.80q: String() = %.80q, want the trimmed input", s, text)
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return !strings.ContainsRune("0123456789+-.eE", r) }); i >= 0 {
		t.Errorf("%.80q: accepted with a character %q outside decimal notation", s, text[i:])
	}

	// The value is a finite rational, and Rat returns a copy.
	r := d.Rat()
	if r.Denom().Sign() <= 0 {
		t.Fatalf("%.80q: Rat() has denominator %s", s, r.Denom())
	}
	// The exponent bound holds: with nd mantissa digits and |e| <= 1000,
	// |numerator| < 10^(nd+1000) and denominator <= 10^(nd+1000).
	mant, _, _ := strings.Cut(strings.ToLower(text), "e")
	nd := 0
	for _, c := range mant {
		if '0' <= c && c <= '9' {
			nd++
		}
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(nd+1000)), nil)
	if r.Num().CmpAbs(limit) >= 0 || r.Denom().Cmp(limit) > 0 {
		t.Errorf("%.80q: accepted a value beyond the exponent limit (%d/%d bits)", s, r.Num().BitLen(), r.Denom().BitLen())
	}
	if d.Sign() != r.Sign() || d.IsZero() != (r.Sign() == 0) {
		t.Errorf("%.80q: Sign() = %d, IsZero() = %v, Rat().Sign() = %d", s, d.Sign(), d.IsZero(), r.Sign())
	}
	want := d.Rat()
	r.SetFrac64(-12345, 678) // scribble on the copy: d must not change
	if d.Rat().Cmp(want) != 0 {
		t.Fatalf("%.80q: the value changed after writing to the Rat() copy", s)
	}

	// float64 rounding agrees with strconv (both round to nearest).
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		if got := d.Float64(); got != f || math.IsNaN(got) {
			t.Errorf("%.80q: Float64() = %v, strconv.ParseFloat = %v", s, got, f)
		}
	}

	// ParseDecimal(d.String()) gives the same decimal.
	d2, err := setting.ParseDecimal(text)
	if err != nil {
		t.Fatalf("%.80q: ParseDecimal(String() = %.80q) fails: %v", s, text, err)
	}
	if !d2.Equal(d) || d2.String() != text {
		t.Errorf("%.80q: ParseDecimal(String()) = %q, want %q", s, d2, text)
	}

	// MarshalText / UnmarshalText.
	b, err := d.MarshalText()
	if err != nil {
		t.Fatalf("%.80q: MarshalText: %v", s, err)
	}
	var d3 setting.Decimal
	if err := d3.UnmarshalText(b); err != nil {
		t.Fatalf("%.80q: UnmarshalText(%.80q): %v", s, b, err)
	}
	if !d3.Equal(d) || d3.String() != text {
		t.Errorf("%.80q: text round trip gives %q", s, d3)
	}

	// UnmarshalJSON of a JSON string and of the bare number text.
	for _, js := range []string{`"` + text + `"`, text} {
		var d4 setting.Decimal
		if err := d4.UnmarshalJSON([]byte(js)); err != nil {
			t.Fatalf("%.80q: UnmarshalJSON(%.80q): %v", s, js, err)
		}
		if !d4.Equal(d) || d4.String() != text {
			t.Errorf("%.80q: UnmarshalJSON(%.80q) = %q", s, js, d4)
		}
	}

	// encoding/json: Marshal then Unmarshal, and the text as a JSON number
	// when it is one.
	jb, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("%.80q: json.Marshal: %v", s, err)
	}
	var d5 setting.Decimal
	if err := json.Unmarshal(jb, &d5); err != nil || !d5.Equal(d) || d5.String() != text {
		t.Errorf("%.80q: JSON round trip via %s gives %q, %v", s, jb, d5, err)
	}
	if json.Valid([]byte(text)) {
		var d6 setting.Decimal
		if err := json.Unmarshal([]byte(text), &d6); err != nil || !d6.Equal(d) {
			t.Errorf("%.80q: json.Unmarshal of the JSON number gives %q, %v", s, d6, err)
		}
	}
}

func FuzzParseCounts(f *testing.F) {
	for _, s := range []string{
		// accepted
		"1,2,3", "1000,1000,2000", "1e3,5", "5", " 40 , 20,10 ,5 ", "1.0,2.50e1",
		"1e12,1", "1000000000000", "+3,007", "1e-0,2E+1",
		"0.1e1,1", strings.Repeat("1,", 30) + "1",
		// rejected
		"", ",", "0,1", "1,0", "-1,2", "1.5,2", "1,,2", "1,2,", ",1", "1e13",
		"1000000000001", "99999999999999999999999999", "1e1000", "1e-4", "1e1001,1",
		"NaN,1", "inf", "0x10", "1;2", "1 2", "1\n,2", "١,٢", "1,\u00a0", "\xff,1",
		"-0", "1,-0", "1e3.5", strings.Repeat("1,", 30) + "x",
		strings.Repeat("7", 40) + ",1",
	} {
		f.Add(s)
	}
	for _, s := range decimalSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		counts, err := setting.ParseCounts(text)
		if err != nil {
			checkCleanError(t, text, err)
			if counts != nil {
				t.Errorf("%.80q: rejected, but returned %v", text, counts)
			}
			return
		}
		if len(counts) < 1 {
			t.Fatalf("%.80q: accepted with no counts", text)
		}
		if want := strings.Count(text, ",") + 1; len(counts) != want {
			t.Errorf("%.80q: %d counts, want one per comma-separated entry (%d)", text, len(counts), want)
		}
		for i, c := range counts {
			if c < 1 || c > setting.MaxCount {
				t.Errorf("%.80q: entry %d = %d, outside [1, %d]", text, i+1, c, int64(setting.MaxCount))
			}
		}
		// Every entry is the value of its text as a decimal.
		for i, field := range strings.Split(text, ",") {
			d, err := setting.ParseDecimal(strings.TrimSpace(field))
			if err != nil {
				t.Fatalf("%.80q: entry %d (%.80q) accepted, but ParseDecimal rejects it: %v", text, i+1, field, err)
			}
			if r := d.Rat(); !r.IsInt() || r.Num().Int64() != int64(counts[i]) {
				t.Errorf("%.80q: entry %d (%.80q) gave %d", text, i+1, field, counts[i])
			}
		}
		// FormatCounts round-trips.
		formatted := setting.FormatCounts(counts)
		again, err := setting.ParseCounts(formatted)
		if err != nil {
			t.Fatalf("%.80q: ParseCounts(FormatCounts(...) = %.80q): %v", text, formatted, err)
		}
		if !slices.Equal(again, counts) {
			t.Errorf("%.80q: FormatCounts round trip gives %v, want %v", text, again, counts)
		}
	})
}

// TestParseDecimalExponentDigits checks that the exponent is read in decimal
// whatever its leading zeros: fmt.Sscan, used before, took "0800000" for an
// octal 0, so 1e0800000 slipped past the |e| <= 1000 bound and cost a
// 10^800000 computation.
func TestParseDecimalExponentDigits(t *testing.T) {
	for _, s := range []string{"1e0800000", "1E-0999999", "1e00001001", "1e-01001"} {
		if _, err := setting.ParseDecimal(s); err == nil {
			t.Errorf("%q: accepted, want exponent out of range", s)
		}
	}
	for s, want := range map[string]float64{"1e08": 1e8, "5e+0009": 5e9, "1e0001000": math.Inf(1), "1e-01000": 0} {
		if d, err := setting.ParseDecimal(s); err != nil || d.Float64() != want {
			t.Errorf("%q = %v, %v; want %v", s, d.Float64(), err, want)
		}
	}
}

// TestParseLongInput checks, without timing, the inputs that used to be slow
// or to give huge error messages: a decimal with a million digits is refused
// up front (big.Rat's decimal conversion is quadratic in the digit count), and
// the errors quote a clipped form of the input.
func TestParseLongInput(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("9", 1_000_000),
		"0." + strings.Repeat("0", 1_000_000) + "1",
		"1" + strings.Repeat("0", 100_000) + "e1000",
	} {
		_, err := setting.ParseDecimal(s)
		checkCleanError(t, s, err)
		var d setting.Decimal
		if err := d.UnmarshalText([]byte(s)); err == nil || len(err.Error()) > maxErrLen {
			t.Errorf("UnmarshalText of %d bytes: error %.200v", len(s), err)
		}
	}
	// The length limit is 10000 characters, after trimming spaces.
	if _, err := setting.ParseDecimal(" " + strings.Repeat("9", 10_000) + " "); err != nil {
		t.Errorf("10000 digits: %v", err)
	}
	if _, err := setting.ParseDecimal(strings.Repeat("9", 10_001)); err == nil {
		t.Errorf("10001 digits: accepted")
	}
	for _, s := range []string{
		strings.Repeat("1,", 100_000) + "x",
		strings.Repeat("1,", 100_000) + "0",
		strings.Repeat("1,", 1_000) + strings.Repeat("5", 5000) + ".5",
		strings.Repeat("1,", 1_000) + strings.Repeat("5", 5000),
		strings.Repeat("1,", 1_000) + "\n",
	} {
		_, err := setting.ParseCounts(s)
		checkCleanError(t, s, err)
	}
}
