// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// nccheck's patch of npyio v0.14.0: the tokens of a header dictionary.

package npy

import (
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokPunct
	tokString
	tokNumber
	tokName
)

type pyToken struct {
	kind tokKind
	text string
	val  pyValue
	pos  int
}

func (t pyToken) describe() string {
	switch t.kind {
	case tokEOF:
		return "the end of the header"
	case tokString:
		return "a string"
	case tokNumber:
		return "the number " + clip(t.text)
	case tokName:
		return "the name " + clipQuote(t.text)
	}
	return strconv.Quote(t.text)
}

// pyLexer splits Python source into the tokens of literals. longs accepts
// the "L" suffix of Python 2 long integers (numpy's _filter_header).
type pyLexer struct {
	s     string
	pos   int
	longs bool
}

func (l *pyLexer) skipSpace() {
	for l.pos < len(l.s) {
		switch c := l.s[l.pos]; {
		case c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n':
			l.pos++
		case c == '\\' && strings.HasPrefix(l.s[l.pos+1:], "\n"):
			l.pos += 2
		case c == '\\' && strings.HasPrefix(l.s[l.pos+1:], "\r\n"):
			l.pos += 3
		case c == '#':
			for l.pos < len(l.s) && l.s[l.pos] != '\n' {
				l.pos++
			}
		default:
			return
		}
	}
}

func (l *pyLexer) next() (pyToken, error) {
	l.skipSpace()
	start := l.pos
	if l.pos >= len(l.s) {
		return pyToken{kind: tokEOF, pos: start}, nil
	}
	c := l.s[l.pos]
	switch {
	case strings.IndexByte("{}()[],:+-", c) >= 0:
		l.pos++
		return pyToken{kind: tokPunct, text: l.s[start:l.pos], pos: start}, nil
	case c == '\'' || c == '"':
		return l.str(start, "")
	case c >= '0' && c <= '9' || c == '.' && l.pos+1 < len(l.s) && l.s[l.pos+1] >= '0' && l.s[l.pos+1] <= '9':
		return l.number(start)
	case c == 0:
		return pyToken{}, headerErr("a NUL byte at byte %d", start)
	}
	r, size := utf8.DecodeRuneInString(l.s[l.pos:])
	if r != '_' && !unicode.IsLetter(r) {
		return pyToken{}, headerErr("unexpected character %q at byte %d", r, start)
	}
	for l.pos < len(l.s) {
		r, size = utf8.DecodeRuneInString(l.s[l.pos:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		l.pos += size
	}
	name := l.s[start:l.pos]
	if l.pos < len(l.s) && (l.s[l.pos] == '\'' || l.s[l.pos] == '"') {
		return l.str(start, name)
	}
	return pyToken{kind: tokName, text: name, pos: start}, nil
}

// str reads a string or bytes literal (prefix r, u, b, br or rb in any
// case; f-strings are not literals) with single, double or triple quotes.
func (l *pyLexer) str(start int, prefix string) (pyToken, error) {
	raw, bytesLit := false, false
	switch strings.ToLower(prefix) {
	case "":
	case "u":
	case "r":
		raw = true
	case "b":
		bytesLit = true
	case "br", "rb":
		raw, bytesLit = true, true
	default:
		return pyToken{}, headerErr("%s at byte %d is not a string literal prefix", clipQuote(prefix), start)
	}
	q := l.s[l.pos : l.pos+1]
	if strings.HasPrefix(l.s[l.pos:], q+q+q) {
		q = q + q + q
	}
	l.pos += len(q)
	var b strings.Builder
	for {
		if l.pos >= len(l.s) {
			return pyToken{}, headerErr("the string starting at byte %d is not closed", start)
		}
		if strings.HasPrefix(l.s[l.pos:], q) {
			l.pos += len(q)
			break
		}
		c := l.s[l.pos]
		if c == 0 {
			return pyToken{}, headerErr("a NUL byte at byte %d", l.pos)
		}
		if c == '\n' && len(q) == 1 {
			return pyToken{}, headerErr("the string starting at byte %d is not closed on its line", start)
		}
		if bytesLit && c >= 0x80 {
			return pyToken{}, headerErr("a non-ASCII character in the bytes literal at byte %d", l.pos)
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(l.s[l.pos:])
			b.WriteRune(r)
			l.pos += size
			continue
		}
		if l.pos+1 >= len(l.s) {
			return pyToken{}, headerErr("the string starting at byte %d is not closed", start)
		}
		if raw {
			// A raw string keeps the backslash and the character after it.
			r, size := utf8.DecodeRuneInString(l.s[l.pos+1:])
			b.WriteByte('\\')
			b.WriteRune(r)
			l.pos += 1 + size
			continue
		}
		if err := l.escape(&b, bytesLit); err != nil {
			return pyToken{}, err
		}
	}
	kind := pyStr
	if bytesLit {
		kind = pyBytes
	}
	return pyToken{kind: tokString, text: l.s[start:l.pos], val: pyValue{kind: kind, str: b.String()}, pos: start}, nil
}

// escape decodes the escape sequence at l.pos (a backslash) into b.
func (l *pyLexer) escape(b *strings.Builder, bytesLit bool) error {
	at := l.pos
	l.pos++ // the backslash
	c := l.s[l.pos]
	l.pos++
	simple := map[byte]string{'\n': "", '\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v"}
	if s, ok := simple[c]; ok {
		b.WriteString(s)
		return nil
	}
	hexDigits := func(n int) (int64, bool) {
		if l.pos+n > len(l.s) {
			return 0, false
		}
		v, err := strconv.ParseUint(l.s[l.pos:l.pos+n], 16, 32)
		if err != nil {
			return 0, false
		}
		l.pos += n
		return int64(v), true
	}
	switch {
	case c >= '0' && c <= '7':
		v := int64(c - '0')
		for i := 0; i < 2 && l.pos < len(l.s) && l.s[l.pos] >= '0' && l.s[l.pos] <= '7'; i++ {
			v = v*8 + int64(l.s[l.pos]-'0')
			l.pos++
		}
		return writeCode(b, v, bytesLit, at)
	case c == 'x':
		v, ok := hexDigits(2)
		if !ok {
			return headerErr("a truncated \\x escape at byte %d", at)
		}
		return writeCode(b, v, bytesLit, at)
	case (c == 'u' || c == 'U') && !bytesLit:
		n := 4
		if c == 'U' {
			n = 8
		}
		v, ok := hexDigits(n)
		if !ok || v > unicode.MaxRune {
			return headerErr("a bad \\%c escape at byte %d", c, at)
		}
		b.WriteRune(rune(v))
		return nil
	case c == 'N' && !bytesLit:
		return headerErr("a \\N{...} escape at byte %d (named characters are not supported)", at)
	}
	// An unknown escape keeps its backslash (Python warns).
	b.WriteByte('\\')
	l.pos--
	r, size := utf8.DecodeRuneInString(l.s[l.pos:])
	b.WriteRune(r)
	l.pos += size
	return nil
}

func writeCode(b *strings.Builder, v int64, bytesLit bool, at int) error {
	if bytesLit {
		if v > 0xff {
			return headerErr("an octal escape above \\377 in a bytes literal at byte %d", at)
		}
		b.WriteByte(byte(v))
		return nil
	}
	b.WriteRune(rune(v))
	return nil
}

// number reads a Python 3 number: a decimal, hexadecimal, octal or binary
// integer with single underscores between digits, or a float or imaginary
// number (kept only to be refused by the header's checks).
func (l *pyLexer) number(start int) (pyToken, error) {
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		isExpSign := (c == '+' || c == '-') && l.pos > start && (l.s[l.pos-1] == 'e' || l.s[l.pos-1] == 'E') &&
			!strings.HasPrefix(strings.ToLower(l.s[start:]), "0x")
		if c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isExpSign {
			l.pos++
			continue
		}
		break
	}
	text := l.s[start:l.pos]
	if l.longs && len(text) > 1 && strings.HasSuffix(text, "L") {
		// The L of a Python 2 long integer ("3L", "0x1FL"), which numpy
		// drops from headers of versions 1.0 and 2.0.
		text = text[:len(text)-1]
		if n, ok := parseInt(text); ok {
			return pyToken{kind: tokNumber, text: text, val: pyValue{kind: pyInt, int: n}, pos: start}, nil
		}
		return pyToken{}, headerErr("invalid number %s at byte %d", clipQuote(l.s[start:l.pos]), start)
	}
	if n, ok := parseInt(text); ok {
		return pyToken{kind: tokNumber, text: text, val: pyValue{kind: pyInt, int: n}, pos: start}, nil
	}
	if validFloat(text) {
		return pyToken{kind: tokNumber, text: text, val: pyValue{kind: pyFloat, str: text}, pos: start}, nil
	}
	return pyToken{}, headerErr("invalid number %s at byte %d", clipQuote(text), start)
}

// parseInt parses a Python 3 integer literal.
func parseInt(text string) (*big.Int, bool) {
	base, digits := 10, text
	if len(text) > 1 && text[0] == '0' {
		switch text[1] {
		case 'x', 'X':
			base, digits = 16, text[2:]
		case 'o', 'O':
			base, digits = 8, text[2:]
		case 'b', 'B':
			base, digits = 2, text[2:]
		}
		if base != 10 {
			digits = strings.TrimPrefix(digits, "_")
		}
	}
	if digits == "" || digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") {
		return nil, false
	}
	plain := strings.ReplaceAll(digits, "_", "")
	if base == 10 && len(plain) > 1 && plain[0] == '0' && strings.Trim(plain, "0") != "" {
		return nil, false // leading zeros: "07" is a syntax error in Python 3
	}
	n, ok := new(big.Int).SetString(plain, base)
	if !ok || len(plain) > 4300 {
		return nil, false // Python limits int conversion to 4300 digits
	}
	return n, true
}

// validFloat reports whether text is a Python float or imaginary literal.
func validFloat(text string) bool {
	t := strings.TrimSuffix(strings.TrimSuffix(text, "j"), "J")
	if t == "" || strings.Contains(t, "__") || strings.HasPrefix(t, "_") || strings.HasSuffix(t, "_") {
		return false
	}
	for _, bad := range []string{"_.", "._", "_e", "e_", "_E", "E_"} {
		if strings.Contains(t, bad) {
			return false
		}
	}
	t = strings.ReplaceAll(t, "_", "")
	if strings.ContainsAny(t, "xXoObBpP") || strings.Contains(strings.ToLower(t), "inf") || strings.Contains(strings.ToLower(t), "nan") {
		return false
	}
	_, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return true
		}
		return false
	}
	return true
}
