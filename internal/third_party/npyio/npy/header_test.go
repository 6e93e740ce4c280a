// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// nccheck's patch of npyio v0.14.0: tests of the header reader.

package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// blob is a .npy stream: magic, version, little-endian header length and
// the header bytes.
func blob(major, minor byte, header string) []byte {
	b := append([]byte{}, Magic[:]...)
	b = append(b, major, minor)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(b, header...)
}

type headerWant struct {
	accepted, dtypeRefused bool
	descr                  string
	shape                  []int
	fortran                bool
}

func ok(descr string, shape []int, fortran bool) headerWant {
	return headerWant{accepted: true, descr: descr, shape: shape, fortran: fortran}
}

var (
	refused      = headerWant{}
	dtypeRefused = headerWant{accepted: true, dtypeRefused: true}
)

// TestHeaderLikeNumPy: every header of the table is read as numpy 1.24.2
// reads it (np.load of the header followed by its data; the verdicts were
// recorded with numpy.lib.format._read_array_header and np.load): the
// headers numpy loads give the same shape, order and dtype, the others an
// error (for a dtype numpy refuses, at Read rather than NewReader).
func TestHeaderLikeNumPy(t *testing.T) {
	for _, tc := range []struct {
		name         string
		major, minor byte
		header       string
		want         headerWant
	}{
		{"canonical", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }    \n", ok("'<f4'", []int{2, 3}, false)}, // numpy 1.24: ok
		{"other key order", 1, 0, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}\n", ok("'<f4'", []int{2, 3}, false)}, // numpy 1.24: ok
		{"no final newline", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", ok("'<f4'", []int{2, 3}, false)},  // numpy 1.24: ok
		{"length 0", 1, 0, "", refused},      // numpy 1.24: refused: ValueError: Cannot parse header: ''
		{"short", 1, 0, "{'descr'", refused}, // numpy 1.24: refused: TokenError: ('EOF in multi-line statement', (2, 0))
		{"no closing brace", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", refused},                                                 // numpy 1.24: refused: TokenError: ('EOF in multi-line statement', (2, 0))
		{"shape 2^62 x 2", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 2), }\n", refused},                              // numpy 1.24: refused: ValueError: array is too big; `arr.size * arr.dtype
		{"three dims without trailing comma", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (60, 8, 2)}", ok("'<f4'", []int{60, 8, 2}, false)}, // numpy 1.24: ok
		{"double quotes", 1, 0, "{\"descr\": \"<f8\", \"fortran_order\": True, \"shape\": (3,)}\n", ok("'<f8'", []int{3}, true)},                          // numpy 1.24: ok
		{"scalar", 1, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n", ok("'<i8'", []int{}, false)},                                        // numpy 1.24: ok
		{"shape int in parentheses", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (3)}\n", refused},                                           // numpy 1.24: refused: ValueError: shape is not valid: 3
		{"shape list", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': [3]}\n", refused},                                                         // numpy 1.24: refused: ValueError: shape is not valid: [3]
		{"python2 longs v1", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }\n", ok("'<f4'", []int{3, 2}, false)},                    // numpy 1.24: ok
		{"python2 longs v3", 3, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }\n", refused},                                            // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr': '<f4',
		{"negative dimension", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2)}\n", refused},                                             // numpy 1.24: refused: ValueError: negative dimensions are not allowed
		{"extra key", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", refused},                                                 // numpy 1.24: refused: ValueError: Header does not contain the correct key
		{"missing key", 1, 0, "{'descr': '<f4', 'shape': (2,)}\n", refused},                                                                               // numpy 1.24: refused: ValueError: Header does not contain the correct key
		{"fortran_order 1", 1, 0, "{'descr': '<f4', 'fortran_order': 1, 'shape': (2,)}\n", refused},                                                       // numpy 1.24: refused: ValueError: fortran_order is not a valid bool: 1
		{"duplicate key, last wins", 1, 0, "{'descr': '<i8', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},     // numpy 1.24: ok
		{"comment", 1, 0, "{'descr': '<f4', # a comment\n 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                        // numpy 1.24: ok
		{"trailing junk", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n", refused},                                                   // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr': '<f4',
		{"not a dict", 1, 0, "[1, 2]\n", refused},        // numpy 1.24: refused: ValueError: Header is not a dictionary: [1, 2]
		{"a set", 1, 0, "{'descr', 'shape'}\n", refused}, // numpy 1.24: refused: ValueError: Header is not a dictionary: {'shape', '
		{"hex and binary dims", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (0x2, 0b11)}\n", ok("'<f4'", []int{2, 3}, false)}, // numpy 1.24: ok
		{"underscores", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1_0,)}\n", ok("'<f4'", []int{10}, false)},                // numpy 1.24: ok
		{"leading zero", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (07,)}\n", refused},                                      // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr': '<f4',
		{"zero zero", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (00, 2)}\n", ok("'<f4'", []int{0, 2}, false)},               // numpy 1.24: ok
		{"float dimension", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}\n", refused},                                  // numpy 1.24: refused: ValueError: shape is not valid: (2.0,)
		{"bool dimension", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (True, 3)}\n", refused},                                // numpy 1.24: refused: TypeError: an integer is required
		{"version 1.1", 1, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", refused},                                    // numpy 1.24: refused: ValueError: Invalid version (1, 1)
		{"version 4.0", 4, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", refused},                                    // numpy 1.24: refused: ValueError: Invalid version (4, 0)
		{"version 2.0", 2, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", ok("'<f4'", []int{2, 3}, false)},            // numpy 1.24: ok
		{"version 3.0 utf-8", 3, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", ok("'<f4'", []int{2, 3}, false)},      // numpy 1.24: ok
		{"leading spaces", 1, 0, "   {'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},             // numpy 1.24: ok
		{"leading newline", 1, 0, "\n{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},             // numpy 1.24: ok
		{"leading tab newline", 1, 0, "\t\n {'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", refused},                           // numpy 1.24: refused: ValueError: Cannot parse header: "   {'descr': '<f
		{"NUL padding", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\x00\x00\n", refused},                                // numpy 1.24: refused: ValueError: source code string cannot contain null
		{"u prefix", 1, 0, "{u'descr': u'<f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                    // numpy 1.24: ok
		{"r prefix", 1, 0, "{r'descr': R'<f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                    // numpy 1.24: ok
		{"bytes descr", 1, 0, "{'descr': b'<f4', 'fortran_order': False, 'shape': (2,)}\n", refused},                                       // numpy 1.24: refused: ValueError: descr is not a valid dtype descriptor:
		{"bytes key", 1, 0, "{b'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", refused},                                         // numpy 1.24: refused: TypeError: '<' not supported between instances of '
		{"f-string", 1, 0, "{'descr': f'<f4', 'fortran_order': False, 'shape': (2,)}\n", refused},                                          // numpy 1.24: refused: ValueError: malformed node or string on line 1: <as
		{"implicit concatenation", 1, 0, "{'descr': '<' 'f4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},     // numpy 1.24: ok
		{"hex escape", 1, 0, "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                // numpy 1.24: ok
		{"triple quotes", 1, 0, "{'''descr''': \"\"\"<f4\"\"\", 'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},   // numpy 1.24: ok
		{"no space after colons", 1, 0, "{'descr':'<f4','fortran_order':False,'shape':(2,3),}\n", ok("'<f4'", []int{2, 3}, false)},         // numpy 1.24: ok
		{"empty dict", 1, 0, "{}\n", refused}, // numpy 1.24: refused: ValueError: Header does not contain the correct key
		{"huge dimension", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1180591620717411303424,)}\n", refused},                                                 // numpy 1.24: refused: ValueError: Maximum allowed dimension exceeded
		{"minus zero", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (-0, 2)}\n", ok("'<f4'", []int{0, 2}, false)},                                               // numpy 1.24: ok
		{"plus sign", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (+2,)}\n", ok("'<f4'", []int{2}, false)},                                                     // numpy 1.24: ok
		{"double sign", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (--2,)}\n", refused},                                                                       // numpy 1.24: refused: ValueError: malformed node or string on line 1: <as
		{"complex dimension", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1+2j,)}\n", refused},                                                                // numpy 1.24: refused: ValueError: shape is not valid: ((1+2j),)
		{"spaces before commas", 1, 0, "{'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , 3 , ) }\n", ok("'<f4'", []int{2, 3}, false)},                           // numpy 1.24: ok
		{"line continuation", 1, 0, "{'descr': '<f4', \\\n'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                                          // numpy 1.24: ok
		{"newlines inside", 1, 0, "{\n'descr':\n'<f4',\n'fortran_order':\nFalse,\n'shape':\n(2,\n3)\n}\n", ok("'<f4'", []int{2, 3}, false)},                                 // numpy 1.24: ok
		{"None descr", 1, 0, "{'descr': None, 'fortran_order': False, 'shape': (2,)}\n", refused},                                                                           // numpy 1.24: refused: ValueError: descr is not a valid dtype descriptor:
		{"structured descr", 1, 0, "{'descr': [('x', '<f4'), ('y', '<i8')], 'fortran_order': False, 'shape': (2,)}\n", ok("[('x', '<f4'), ('y', '<i8')]", []int{2}, false)}, // numpy 1.24: ok
		{"fortran True", 1, 0, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n", ok("'<f8'", []int{2, 3}, true)},                                              // numpy 1.24: ok
		{"true lowercase", 1, 0, "{'descr': '<f8', 'fortran_order': true, 'shape': (2, 3), }\n", refused},                                                                   // numpy 1.24: refused: ValueError: malformed node or string on line 1: <as
		{"unclosed string", 1, 0, "{'descr: '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", refused},                                                                  // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr: '<f8', '
		{"string across lines", 1, 0, "{'descr': '<f\n8', 'fortran_order': False, 'shape': (2, 3), }\n", refused},                                                           // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr': '<f 8'
		{"tuple in parentheses twice", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': ((2, 3))}\n", ok("'<f4'", []int{2, 3}, false)},                              // numpy 1.24: ok
		{"unknown escape kept", 1, 0, "{'descr': '<f4\\q', 'fortran_order': False, 'shape': (2,)}\n", dtypeRefused},                                                         // numpy 1.24: refused: ValueError: descr is not a valid dtype descriptor:
		{"a call", 1, 0, "{'descr': '<f4', 'fortran_order': bool(0), 'shape': (2,)}\n", refused},                                                                            // numpy 1.24: refused: ValueError: malformed node or string on line 1: <as
		{"big-endian", 1, 0, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }\n", ok("'>f8'", []int{2, 3}, false)},                                              // numpy 1.24: ok
		{"tabs and formfeeds", 1, 0, "{'descr':\t'<f4',\x0c'fortran_order': False, 'shape': (2,)}\n", ok("'<f4'", []int{2}, false)},                                         // numpy 1.24: ok
		{"shape with trailing comma and spaces only", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, ), }\n", ok("'<f4'", []int{2, 3}, false)},             // numpy 1.24: ok
		{"int key", 1, 0, "{1: 2, 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", refused},                                                                       // numpy 1.24: refused: TypeError: '<' not supported between instances of '
		{"empty tuple with comma", 1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}\n", refused},                                                               // numpy 1.24: refused: ValueError: Cannot parse header: "{'descr': '<f4',
		{"latin1 char", 1, 0, "{'descr': '<f4\xe9', 'fortran_order': False, 'shape': (2,)}\n", dtypeRefused},                                                                // numpy 1.24: refused: ValueError: descr is not a valid dtype descriptor:
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(blob(tc.major, tc.minor, tc.header)))
			if !tc.want.accepted {
				if err == nil {
					t.Fatalf("accepted %+v; numpy refuses it", r.Header)
				}
				checkMessage(t, err)
				return
			}
			if err != nil {
				t.Fatalf("refused (%v); numpy reads it", err)
			}
			if tc.want.dtypeRefused {
				var v []float32
				if err := r.Read(&v); err == nil {
					t.Errorf("dtype %s read; numpy refuses it", r.Header.Descr.Type)
				}
				return
			}
			h := r.Header.Descr
			if h.Type != tc.want.descr || h.Fortran != tc.want.fortran || len(h.Shape) != len(tc.want.shape) {
				t.Fatalf("header %+v, want %+v", h, tc.want)
			}
			for i := range h.Shape {
				if h.Shape[i] != tc.want.shape[i] {
					t.Fatalf("shape %v, want %v", h.Shape, tc.want.shape)
				}
			}
		})
	}
}

func checkMessage(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || len(msg) > 200 {
		t.Errorf("message %q: want one short line", msg)
	}
	if !errors.Is(err, ErrHeader) && !errors.Is(err, ErrInvalidNumPyFormat) {
		t.Errorf("error %v wraps neither ErrHeader nor ErrInvalidNumPyFormat", err)
	}
}

// TestHeaderLimits: a header length above MaxHeaderLen is refused before
// anything is allocated for it; a stream that ends early is an error; data
// after an accepted header is read with the shape it declares.
func TestHeaderLimits(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	huge := append(append([]byte{}, Magic[:]...), 2, 0, 0xf0, 0xff, 0xff, 0xff, '{')
	if _, err := NewReader(bytes.NewReader(huge)); err == nil || !errors.Is(err, ErrHeader) {
		t.Errorf("length 0xFFFFFFF0: %v, want ErrHeader", err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("refusing a 4 GiB header length allocated %d bytes", d)
	}
	full := blob(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n")
	for n := 0; n < len(full); n++ {
		if _, err := NewReader(bytes.NewReader(full[:n])); err == nil {
			t.Fatalf("stream cut at %d bytes: no error", n)
		} else {
			checkMessage(t, err)
		}
	}
	data := binary.LittleEndian.AppendUint32(nil, 0x3f800000) // 1.0
	r, err := NewReader(bytes.NewReader(append(blob(1, 0, "{'shape': (1,), 'descr': '<f4', 'fortran_order': False}"), data...)))
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, 1)
	if err := r.Read(&v); err != nil || v[0] != 1 {
		t.Errorf("data after a reordered header without newline: %v %v", v, err)
	}
}

// FuzzHeader: no header makes NewReader panic; a refusal is one short
// line; an accepted header has a shape of non-negative dimensions and a
// non-empty dtype.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }    \n",
		"{'shape': (2, 3), 'fortran_order': True, 'descr': '>i8'}",
		"{'descr': [('x', '<f4'), ('y', '<i8', (2,))], 'fortran_order': False, 'shape': (3L,)}\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 2), }\n",
		"{u'descr': r'<f4' '' , 'fortran_order': False, # c\n 'shape': (0x2, 1_0, -0)}",
		"", "{", "{'descr'", "((((((((((((((((((((", "'\\x", "1e+", "{'a': b'\\777'}",
	} {
		f.Add(byte(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, major byte, header []byte) {
		r, err := NewReader(bytes.NewReader(blob(major%4, 0, string(header))))
		if err != nil {
			checkMessage(t, err)
			return
		}
		if r.Header.Descr.Type == "" {
			t.Errorf("accepted with an empty dtype: %q", header)
		}
		for _, s := range r.Header.Descr.Shape {
			if s < 0 {
				t.Errorf("accepted a negative dimension: %q", header)
			}
		}
	})
}
