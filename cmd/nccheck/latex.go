package main

import (
	"strings"
	"unicode"
)

// latexHeader sets a column header written in nccheck's ASCII notation
// ("NC2_W bal", "||w_k||^2 pred", "lambda_W (fit)", "cos(w_k,mu_k)") in
// LaTeX: every word with a subscript, a superscript, a norm or a Greek
// letter becomes math ($\mathrm{NC2}_{W}$ bal, $\|w_{k}\|^{2}$ pred); the
// other words stay text, for report.Table to escape.
func latexHeader(h string) string {
	words := strings.Split(h, " ")
	for i, w := range words {
		if strings.ContainsAny(w, "_^|") || greekWord(w) {
			words[i] = "$" + latexMath(w) + "$"
		}
	}
	return strings.Join(words, " ")
}

// greekNames are the Greek letters nccheck's headers spell out.
func greekNames() []string { return []string{"lambda", "gamma", "sigma", "rho", "mu"} }

// greekWord reports whether w starts with a spelled-out Greek letter.
func greekWord(w string) bool {
	for _, g := range greekNames() {
		if strings.HasPrefix(w, g) && (len(w) == len(g) || !unicode.IsLetter(rune(w[len(g)]))) {
			return true
		}
	}
	return false
}

// latexMath is the math-mode text of one ASCII word: || and | as norms,
// the alphanumeric run after _ or ^ braced, NC1..NC3 upright, cos as \cos,
// Greek names as their letters.
func latexMath(w string) string {
	var b strings.Builder
	for i := 0; i < len(w); {
		rest := w[i:]
		switch {
		case strings.HasPrefix(rest, "||"):
			b.WriteString(`\|`)
			i += 2
			continue
		case rest[0] == '|':
			b.WriteString(`|`)
			i++
			continue
		case rest[0] == '_' || rest[0] == '^':
			j := i + 1
			for j < len(w) && isWordByte(w[j]) {
				j++
			}
			b.WriteString(w[i:i+1] + "{" + latexMath(w[i+1:j]) + "}")
			i = j
			continue
		case strings.HasPrefix(rest, "NC") && len(rest) > 2 && rest[2] >= '1' && rest[2] <= '4':
			b.WriteString(`\mathrm{` + rest[:3] + `}`)
			i += 3
			continue
		case strings.HasPrefix(rest, "cos") && (i == 0 || !isWordByte(w[i-1])):
			b.WriteString(`\cos` + spaceBeforeLetter(w, i+3))
			i += 3
			continue
		}
		if g := greekAt(w, i); g != "" {
			b.WriteString(`\` + g + spaceBeforeLetter(w, i+len(g)))
			i += len(g)
			continue
		}
		b.WriteByte(w[i])
		i++
	}
	return strings.TrimSpace(b.String())
}

// greekAt is the Greek name starting at w[i] (at a word start), or "".
func greekAt(w string, i int) string {
	if i > 0 && isWordByte(w[i-1]) {
		return ""
	}
	for _, g := range greekNames() {
		if strings.HasPrefix(w[i:], g) && (i+len(g) == len(w) || !unicode.IsLetter(rune(w[i+len(g)]))) {
			return g
		}
	}
	return ""
}

// spaceBeforeLetter is the space that ends a control word before a letter
// at w[i], else "".
func spaceBeforeLetter(w string, i int) string {
	if i < len(w) && unicode.IsLetter(rune(w[i])) {
		return " "
	}
	return ""
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
