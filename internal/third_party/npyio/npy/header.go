// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file is nccheck's patch of npyio v0.14.0 (see the README of this
// copy): the header reader below replaces the original readHeader and
// readDescr, which depended on the order of the keys and panicked on
// malformed headers.

package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/sbinet/npyio/internal/dtp"
)

// MaxHeaderLen is the largest header dictionary NewReader reads, in bytes
// (numpy's np.load refuses more than 10000 unless the file is trusted; a
// longer length field is refused before anything is allocated for it).
const MaxHeaderLen = 1 << 20

// ErrHeader is wrapped by every error about a malformed header.
var ErrHeader = errors.New("npy: invalid header")

func headerErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrHeader, fmt.Sprintf(format, args...))
}

// readHeader reads the magic string, the version, the header length and
// the header dictionary, the way numpy.lib.format does: versions 1.0, 2.0
// and 3.0; the dictionary is a Python literal (ast.literal_eval) with
// exactly the keys 'descr', 'fortran_order' and 'shape' in any order, a
// tuple of non-negative integers for the shape and a bool for the order.
// Python 2 long integers ("3L") are read in versions 1.0 and 2.0, as numpy
// does.
func (r *Reader) readHeader() {
	if r.err != nil {
		return
	}
	r.order = binary.LittleEndian
	var magic [6]byte
	if _, err := io.ReadFull(r.r, magic[:]); err != nil {
		r.err = ErrInvalidNumPyFormat
		return
	}
	if magic != Magic {
		r.err = ErrInvalidNumPyFormat
		return
	}
	var version [2]byte
	if _, err := io.ReadFull(r.r, version[:]); err != nil {
		r.err = headerErr("truncated before the version")
		return
	}
	r.Header.Major, r.Header.Minor = version[0], version[1]
	if r.Header.Minor != 0 || r.Header.Major < 1 || r.Header.Major > 3 {
		r.err = headerErr("unsupported format version %d.%d (numpy reads 1.0, 2.0 and 3.0)", r.Header.Major, r.Header.Minor)
		return
	}
	var hdrLen uint32
	if r.Header.Major == 1 {
		var v [2]byte
		if _, err := io.ReadFull(r.r, v[:]); err != nil {
			r.err = headerErr("truncated in the header length")
			return
		}
		hdrLen = uint32(binary.LittleEndian.Uint16(v[:]))
	} else {
		var v [4]byte
		if _, err := io.ReadFull(r.r, v[:]); err != nil {
			r.err = headerErr("truncated in the header length")
			return
		}
		hdrLen = binary.LittleEndian.Uint32(v[:])
	}
	if hdrLen > MaxHeaderLen {
		r.err = headerErr("header length %d exceeds the limit %d", hdrLen, MaxHeaderLen)
		return
	}
	buf := make([]byte, hdrLen)
	if n, err := io.ReadFull(r.r, buf); err != nil {
		r.err = fmt.Errorf("%w: truncated: the header declares %d bytes, %d follow: %w", ErrHeader, hdrLen, n, io.ErrUnexpectedEOF)
		return
	}
	var text string
	if r.Header.Major == 3 {
		if !utf8.Valid(buf) {
			r.err = headerErr("a version 3.0 header must be UTF-8")
			return
		}
		text = string(buf)
	} else {
		runes := make([]rune, len(buf)) // latin1
		for i, b := range buf {
			runes[i] = rune(b)
		}
		text = string(runes)
	}
	r.err = r.Header.parseDict(text, r.Header.Major <= 2)
}

// parseDict sets the header's dtype, order and shape from the text of its
// dictionary.
func (h *Header) parseDict(text string, python2Longs bool) error {
	text, err := stripIndent(text)
	if err != nil {
		return err
	}
	p := &pyParser{lex: pyLexer{s: text, longs: python2Longs}}
	p.next()
	v, err := p.value(0)
	if err != nil {
		return err
	}
	if p.tok.kind != tokEOF {
		return headerErr("unexpected %s after the dictionary at byte %d", p.tok.describe(), p.tok.pos)
	}
	if v.kind != pyDict {
		return headerErr("the header is %s, not a dictionary", v.kind)
	}
	fields := map[string]pyValue{}
	for i := 0; i < len(v.items); i += 2 {
		k := v.items[i]
		if k.kind != pyStr {
			return headerErr("the header has a key that is %s, not a string", k.kind)
		}
		fields[k.str] = v.items[i+1] // the last of duplicate keys wins, as in Python
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := fields[key]; !ok {
			return headerErr("the header has no key %q", key)
		}
	}
	if len(fields) != 3 {
		for k := range fields {
			if k != "descr" && k != "fortran_order" && k != "shape" {
				return headerErr("the header has the key %s besides descr, fortran_order and shape", clipQuote(k))
			}
		}
	}
	order := fields["fortran_order"]
	if order.kind != pyBool {
		return headerErr("fortran_order is %s, not True or False", order.kind)
	}
	shape, err := shapeOf(fields["shape"])
	if err != nil {
		return err
	}
	descr := fields["descr"]
	switch descr.kind {
	case pyStr:
		h.Descr.Type = descr.repr()
	case pyList, pyTuple:
		h.Descr.Type = descr.repr()
	default:
		return headerErr("descr is %s, not a dtype description", descr.kind)
	}
	if err := checkBytes(h.Descr.Type, shape); err != nil {
		return err
	}
	h.Descr.Fortran = order.b
	h.Descr.Shape = shape
	return nil
}

// checkBytes refuses an array whose data would not fit an int64 of bytes
// (numpy: "array is too big"), when the dtype has a fixed element size.
// A dtype the library cannot describe is left to Read to refuse.
func checkBytes(descr string, shape []int) error {
	node, err := dtp.Parse(descr)
	if err != nil {
		return nil
	}
	d, err := newDescrFrom(node, false)
	if err != nil || d.esize <= 0 {
		return nil
	}
	n := new(big.Int).SetInt64(int64(d.esize))
	for _, s := range shape {
		n.Mul(n, big.NewInt(int64(s)))
	}
	if !n.IsInt64() {
		return headerErr("the array is too big: %s bytes of data", clip(n.String()))
	}
	return nil
}

// stripIndent removes what Python's ast.literal_eval ignores before an
// expression (spaces and tabs, then blank lines) and refuses an indented
// first line, as it does.
func stripIndent(text string) (string, error) {
	text = strings.TrimLeft(text, " \t")
	for {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok || strings.Trim(line, " \t\f\r") != "" && !strings.HasPrefix(strings.TrimLeft(line, " \t\f"), "#") {
			break
		}
		text = rest
	}
	if strings.HasPrefix(text, " ") || strings.HasPrefix(text, "\t") {
		return "", headerErr("the dictionary is indented after a blank line")
	}
	return text, nil
}

// shapeOf checks the shape: a tuple of non-negative integers whose
// product fits an int.
func shapeOf(v pyValue) ([]int, error) {
	if v.kind != pyTuple {
		return nil, headerErr("shape is %s, not a tuple", v.kind)
	}
	if len(v.items) == 0 {
		return nil, nil
	}
	shape := make([]int, len(v.items))
	total := big.NewInt(1)
	for i, x := range v.items {
		// numpy's header check takes a bool for an integer, its array
		// constructor does not: a bool dimension is refused.
		if x.kind != pyInt {
			return nil, headerErr("dimension %d of the shape is %s, not an integer", i, x.kind)
		}
		n := x.int
		if n.Sign() < 0 {
			return nil, headerErr("dimension %d of the shape is negative (%s)", i, clip(n.String()))
		}
		if !n.IsInt64() || n.Int64() > math.MaxInt {
			return nil, headerErr("dimension %d of the shape (%s) is too large", i, clip(n.String()))
		}
		shape[i] = int(n.Int64())
		total.Mul(total, n)
	}
	if !total.IsInt64() || total.Int64() > math.MaxInt {
		return nil, headerErr("the shape %s has more elements than an int can count", clip(v.repr()))
	}
	return shape, nil
}

func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func clipQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// pyKind is the type of a Python literal value.
type pyKind int

const (
	pyStr pyKind = iota
	pyBytes
	pyInt
	pyBool
	pyNone
	pyFloat // float or complex: never valid in a header, kept for messages
	pyTuple
	pyList
	pyDict
	pySet
)

func (k pyKind) String() string {
	switch k {
	case pyStr:
		return "a string"
	case pyBytes:
		return "a bytes literal"
	case pyInt:
		return "an integer"
	case pyBool:
		return "a bool"
	case pyNone:
		return "None"
	case pyFloat:
		return "a float"
	case pyTuple:
		return "a tuple"
	case pyList:
		return "a list"
	case pyDict:
		return "a dictionary"
	case pySet:
		return "a set"
	}
	return "a value"
}

// pyValue is a Python literal: dictionaries alternate keys and values in
// items.
type pyValue struct {
	kind  pyKind
	str   string
	int   *big.Int
	b     bool
	items []pyValue
}

// repr writes v as Python's repr does for the values a dtype description
// holds, the form package dtp parses.
func (v pyValue) repr() string {
	switch v.kind {
	case pyStr:
		if strings.ContainsRune(v.str, '\'') && !strings.ContainsRune(v.str, '"') {
			return `"` + v.str + `"`
		}
		return "'" + strings.ReplaceAll(v.str, "'", `\'`) + "'"
	case pyBytes:
		return "b'" + v.str + "'"
	case pyInt:
		return v.int.String()
	case pyBool:
		if v.b {
			return "True"
		}
		return "False"
	case pyNone:
		return "None"
	case pyFloat:
		return v.str
	case pyTuple, pyList, pySet:
		parts := make([]string, len(v.items))
		for i, x := range v.items {
			parts[i] = x.repr()
		}
		open, end := "(", ")"
		if v.kind == pyList {
			open, end = "[", "]"
		} else if v.kind == pySet {
			open, end = "{", "}"
		}
		s := strings.Join(parts, ", ")
		if v.kind == pyTuple && len(parts) == 1 {
			s += ","
		}
		return open + s + end
	case pyDict:
		parts := make([]string, 0, len(v.items)/2)
		for i := 0; i < len(v.items); i += 2 {
			parts = append(parts, v.items[i].repr()+": "+v.items[i+1].repr())
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

// maxDepth bounds the nesting of brackets in a header.
const maxDepth = 64

// pyParser reads the subset of Python expressions ast.literal_eval
// evaluates: strings (adjacent ones concatenated), numbers with one sign,
// complex sums, True, False, None, tuples, lists, sets and dictionaries.
type pyParser struct {
	lex pyLexer
	tok pyToken
	err error
}

func (p *pyParser) next() {
	if p.err == nil {
		p.tok, p.err = p.lex.next()
	}
}

func (p *pyParser) fail(format string, args ...any) (pyValue, error) {
	if p.err != nil {
		return pyValue{}, p.err
	}
	return pyValue{}, headerErr(format, args...)
}

func (p *pyParser) value(depth int) (pyValue, error) {
	if p.err != nil {
		return pyValue{}, p.err
	}
	if depth > maxDepth {
		return p.fail("brackets nested deeper than %d", maxDepth)
	}
	t := p.tok
	switch t.kind {
	case tokString:
		v := t.val
		p.next()
		for p.err == nil && p.tok.kind == tokString {
			if p.tok.val.kind != v.kind {
				return p.fail("bytes and string literals concatenated at byte %d", p.tok.pos)
			}
			v.str += p.tok.val.str
			p.next()
		}
		return v, p.err
	case tokNumber:
		p.next()
		return p.complexTail(t.val)
	case tokName:
		p.next()
		switch t.text {
		case "True":
			return pyValue{kind: pyBool, b: true}, p.err
		case "False":
			return pyValue{kind: pyBool}, p.err
		case "None":
			return pyValue{kind: pyNone}, p.err
		}
		return p.fail("the name %s at byte %d is not a literal", clipQuote(t.text), t.pos)
	case tokPunct:
		switch t.text {
		case "+", "-":
			p.next()
			if p.tok.kind != tokNumber {
				return p.fail("a sign at byte %d is not followed by a number", t.pos)
			}
			v := p.tok.val
			if t.text == "-" {
				v = negate(v)
			}
			p.next()
			return p.complexTail(v)
		case "(":
			return p.sequence(depth, ")", pyTuple)
		case "[":
			return p.sequence(depth, "]", pyList)
		case "{":
			return p.braces(depth)
		}
	case tokEOF:
		return p.fail("the header ends before a value")
	}
	return p.fail("unexpected %s at byte %d", t.describe(), t.pos)
}

// complexTail reads the "+ 2j" of a complex literal after a number.
func (p *pyParser) complexTail(v pyValue) (pyValue, error) {
	if p.err != nil || p.tok.kind != tokPunct || (p.tok.text != "+" && p.tok.text != "-") {
		return v, p.err
	}
	op := p.tok
	p.next()
	if p.tok.kind != tokNumber || !strings.HasSuffix(strings.ToLower(p.tok.text), "j") {
		return p.fail("%q at byte %d is not part of a literal", op.text, op.pos)
	}
	p.next()
	return pyValue{kind: pyFloat, str: "complex"}, p.err
}

func negate(v pyValue) pyValue {
	if v.kind == pyInt {
		return pyValue{kind: pyInt, int: new(big.Int).Neg(v.int)}
	}
	return v
}

// sequence reads a tuple or a list after its opening bracket; a
// parenthesised value without a comma is the value itself.
func (p *pyParser) sequence(depth int, closing string, kind pyKind) (pyValue, error) {
	p.next()
	var items []pyValue
	comma := false
	for {
		if p.err != nil {
			return pyValue{}, p.err
		}
		if p.tok.kind == tokPunct && p.tok.text == closing {
			p.next()
			if kind == pyTuple && len(items) == 1 && !comma {
				return items[0], p.err
			}
			return pyValue{kind: kind, items: items}, p.err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return pyValue{}, err
		}
		items = append(items, v)
		comma = false
		if p.tok.kind == tokPunct && p.tok.text == "," {
			comma = true
			p.next()
			continue
		}
		if p.tok.kind != tokPunct || p.tok.text != closing {
			return p.fail("expected ',' or %q at byte %d, found %s", closing, p.tok.pos, p.tok.describe())
		}
	}
}

// braces reads a dictionary or a set after its opening brace.
func (p *pyParser) braces(depth int) (pyValue, error) {
	p.next()
	out := pyValue{kind: pyDict}
	for first := true; ; first = false {
		if p.err != nil {
			return pyValue{}, p.err
		}
		if p.tok.kind == tokPunct && p.tok.text == "}" {
			p.next()
			return out, p.err
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return pyValue{}, err
		}
		if first && (p.tok.kind != tokPunct || p.tok.text != ":") {
			out.kind = pySet
		}
		if out.kind == pyDict {
			if p.tok.kind != tokPunct || p.tok.text != ":" {
				return p.fail("expected ':' at byte %d, found %s", p.tok.pos, p.tok.describe())
			}
			if k.kind == pyList || k.kind == pyDict || k.kind == pySet {
				return p.fail("a dictionary key is %s (unhashable)", k.kind)
			}
			p.next()
			v, err := p.value(depth + 1)
			if err != nil {
				return pyValue{}, err
			}
			out.items = append(out.items, k, v)
		} else {
			out.items = append(out.items, k)
		}
		if p.tok.kind == tokPunct && p.tok.text == "," {
			p.next()
			continue
		}
		if p.tok.kind != tokPunct || p.tok.text != "}" {
			return p.fail("expected ',' or '}' at byte %d, found %s", p.tok.pos, p.tok.describe())
		}
	}
}
