// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type ut1 struct {
	F float32
}

var (
	_ Descr       = (*ut1)(nil)
	_ Marshaler   = (*ut1)(nil)
	_ Unmarshaler = (*ut1)(nil)
)

func (ut1) DescrNPy() string { return "'f4'" }

func (v ut1) MarshalNPy(bo binary.ByteOrder) ([]byte, error) {
	var buf [4]byte
	bo.PutUint32(buf[:], math.Float32bits(v.F))
	return buf[:], nil
}

func (v *ut1) UnmarshalNPy(bo binary.ByteOrder, buf []byte) error {
	v.F = math.Float32frombits(bo.Uint32(buf))
	return nil
}

type ut2 struct {
	F1 float32
	F2 float32
}

var (
	_ Descr       = (*ut2)(nil)
	_ Marshaler   = (*ut2)(nil)
	_ Unmarshaler = (*ut2)(nil)
)

func (ut2) DescrNPy() string { return `('|f4', (2,1))` }

func (v ut2) MarshalNPy(bo binary.ByteOrder) ([]byte, error) {
	var buf [8]byte
	bo.PutUint32(buf[:4], math.Float32bits(v.F1))
	bo.PutUint32(buf[4:], math.Float32bits(v.F2))
	return buf[:], nil
}

func (v *ut2) UnmarshalNPy(bo binary.ByteOrder, buf []byte) error {
	v.F1 = math.Float32frombits(bo.Uint32(buf[:4]))
	v.F2 = math.Float32frombits(bo.Uint32(buf[4:]))
	return nil
}

type ut3 struct {
	F1 uint16
	F2 float32
	F3 uint8
}

var (
	_ Descr       = (*ut3)(nil)
	_ Marshaler   = (*ut3)(nil)
	_ Unmarshaler = (*ut3)(nil)
)

func (ut3) DescrNPy() string { return `[('F1', '|u2'), ('F2', '|f4'), ('F3', 'u1')]` }

func (v ut3) MarshalNPy(bo binary.ByteOrder) ([]byte, error) {
	var buf [7]byte
	bo.PutUint16(buf[:2], uint16(v.F1))
	bo.PutUint32(buf[2:], math.Float32bits(v.F2))
	buf[6] = uint8(v.F3)
	return buf[:], nil
}

func (v *ut3) UnmarshalNPy(bo binary.ByteOrder, buf []byte) error {
	v.F1 = bo.Uint16(buf[:2])
	v.F2 = math.Float32frombits(bo.Uint32(buf[2:]))
	v.F3 = uint8(buf[6])
	return nil
}

func TestWriter(t *testing.T) {
	type t1 struct {
		F0 uint8   `npy:"F0"`
		F1 string  `npy:"F1"`
		F2 float32 `npy:"F2"`
	}

	type sub2 struct {
		G0 string
		G1 float64
	}

	type t2 struct {
		F0 uint8   `npy:"F0"`
		F1 [2]sub2 `npy:"F1"`
		F2 float32
	}

	type t3 struct {
		F0 uint8  `npy:"F0"`
		F1 []sub2 `npy:"F1"`
		F2 float32
	}

	for _, tc := range []struct {
		name string
		want any
		err  error
	}{
		{name: "dense_2x3", want: mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5})},
		{name: "dense_6x1", want: mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5})},
		{name: "dense_1x6", want: mat.NewDense(1, 6, []float64{0, 1, 2, 3, 4, 5})},
		{name: "dense_1x1", want: mat.NewDense(1, 1, []float64{42})},

		// user type with (un)marshaling
		{name: "ut1", want: ut1{F: 42}},
		{name: "ut2", want: ut2{F1: 1, F2: 2}},
		{name: "ut3", want: ut3{F1: 1, F2: 2, F3: 3}},

		// scalars
		{name: "bool-true", want: true},
		{name: "bool-false", want: false},
		{name: "uint8", want: uint8(42)},
		{name: "uint16", want: uint16(42)},
		{name: "uint32", want: uint32(42)},
		{name: "uint64", want: uint64(42)},
		{name: "int8", want: int8(42)},
		{name: "int16", want: int16(42)},
		{name: "int32", want: int32(42)},
		{name: "int64", want: int64(42)},
		{name: "float32", want: float32(42)},
		{name: "float64", want: float64(42)},
		{name: "cplx64", want: complex64(42 + 66i)},
		{name: "cplx128", want: complex128(42 + 66i)},

		// arrays
		{name: "bool-array", want: [6]bool{true, true, false, false, true, false}},
		{name: "uint8-array", want: [6]uint8{0, 1, 2, 3, 4, 5}},
		{name: "uint16-array", want: [6]uint16{0, 1, 2, 3, 4, 5}},
		{name: "uint32-array", want: [6]uint32{0, 1, 2, 3, 4, 5}},
		{name: "uint64-array", want: [6]uint64{0, 1, 2, 3, 4, 5}},
		{name: "int8-array", want: [6]int8{0, 1, 2, 3, 4, 5}},
		{name: "int16-array", want: [6]int16{0, 1, 2, 3, 4, 5}},
		{name: "int32-array", want: [6]int32{0, 1, 2, 3, 4, 5}},
		{name: "int64-array", want: [6]int64{0, 1, 2, 3, 4, 5}},
		{name: "float32-array", want: [6]float32{0, 1, 2, 3, 4, 5}},
		{name: "float64-array", want: [6]float64{0, 1, 2, 3, 4, 5}},
		{name: "cplx64-array", want: [6]complex64{0, 1 + 1i, 2 + 2i, 3 + 3i, 4 + 4i, 5 + 5i}},
		{name: "cplx128-array", want: [6]complex128{0, 1 + 1i, 2 + 2i, 3 + 3i, 4 + 4i, 5 + 5i}},

		// strings
		{name: "u5-0", want: "hello"},
		{name: "u5-1", want: "áàéèï"},
		{name: "str-array", want: [...]string{"hello", "世界!"}},
		{name: "str-slice", want: []string{"hello", "世界!"}},

		// slices
		{name: "bool-slice", want: []bool{true, true, false, false, true, false}},
		{name: "uint8-slice", want: []uint8{0, 1, 2, 3, 4, 5}},
		{name: "uint16-slice", want: []uint16{0, 1, 2, 3, 4, 5}},
		{name: "uint32-slice", want: []uint32{0, 1, 2, 3, 4, 5}},
		{name: "uint64-slice", want: []uint64{0, 1, 2, 3, 4, 5}},
		{name: "int8-slice", want: []int8{0, 1, 2, 3, 4, 5}},
		{name: "int16-slice", want: []int16{0, 1, 2, 3, 4, 5}},
		{name: "int32-slice", want: []int32{0, 1, 2, 3, 4, 5}},
		{name: "int64-slice", want: []int64{0, 1, 2, 3, 4, 5}},
		{name: "float32-slice", want: []float32{0, 1, 2, 3, 4, 5}},
		{name: "float64-slice", want: []float64{0, 1, 2, 3, 4, 5}},
		{name: "cplx64-slice", want: []complex64{0, 1 + 1i, 2 + 2i, 3 + 3i, 4 + 4i, 5 + 5i}},
		{name: "cplx128-slice", want: []complex128{0, 1 + 1i, 2 + 2i, 3 + 3i, 4 + 4i, 5 + 5i}},

		// structs
		{
			name: "struct-t1",
			want: t1{F0: 42, F1: "hello", F2: 42.2},
		},
		{
			name: "struct-t1-array",
			want: [2]t1{{F0: 42, F1: "hello", F2: 42.2}, {F0: 33, F1: "bye", F2: 12.3}},
		},
		{
			name: "struct-t1-slice",
			want: []t1{{F0: 1, F1: "hello", F2: 42.2}, {F0: 2, F1: "world", F2: 12.3}, {F0: 3, F1: "bye", F2: 45.6}},
		},
		{
			name: "struct-t2",
			want: t2{1, [2]sub2{{"a", 11}, {"bb", 22}}, 3.3},
		},
		{
			name: "struct-t2-array",
			want: [2]t2{
				{1, [2]sub2{{"a", 11}, {"bb", 22}}, 3.3},
				{2, [2]sub2{{"b", 21}, {"cc", 32}}, 4.4},
			},
		},
		{
			name: "struct-t2-slice",
			want: []t2{
				{1, [2]sub2{{"a", 11}, {"bb", 22}}, 3.3},
				{2, [2]sub2{{"b", 21}, {"cc", 32}}, 4.4},
				{3, [2]sub2{{"c", 31}, {"dd", 42}}, 5.5},
			},
		},

		{
			name: "struct-t3",
			want: t3{1, []sub2{{"a", 11}, {"bb", 22}}, 3.3},
		},
		{
			name: "struct-t3-array",
			want: [2]t3{
				{1, []sub2{{"a", 11}, {"bb", 22}}, 3.3},
				{2, []sub2{{"b", 22}, {"cc", 33}}, 4.4},
			},
		},
		{
			name: "struct-t3-slice",
			want: []t3{
				{1, []sub2{{"a", 11}, {"bb", 22}}, 3.3},
				{2, []sub2{{"b", 22}, {"cc", 33}}, 4.4},
				{3, []sub2{{"c", 33}, {"dd", 44}}, 5.5},
			},
		},
		// expected errors.
		{
			// test pickling fails.
			name: "struct-t3-with-ragged-array",
			want: []t3{
				{1, []sub2{{"a", 11}, {"bb", 22}}, 3.3},
				{2, []sub2{{"b", 22}, {"cc", 33}}, 4.4},
				{3, []sub2{{"c", 33}, {"dd", 44}, {"ee", 55}}, 5.5}, // << ragged-array
			},
			err: fmt.Errorf(`writing python objects: not implemented`),
		},
		{
			name: "struct-with-chan",
			want: struct {
				F0 chan int
			}{F0: make(chan int)},
			err: fmt.Errorf(`no support for "chan": npy: no legal type conversion`),
		},
		{
			name: "struct-with-map",
			want: struct {
				F0 map[string]string
			}{F0: make(map[string]string)},
			err: fmt.Errorf(`no support for "map": npy: no legal type conversion`),
		},
		{
			name: "struct-with-interface",
			want: struct {
				F0 any
			}{F0: nil},
			err: fmt.Errorf(`no support for "interface": npy: no legal type conversion`),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := new(bytes.Buffer)
			err := Write(buf, tc.want)
			switch {
			case err == nil && tc.err != nil:
				t.Fatalf("expected an error. (got=%v, want=%s)", err, tc.err)
			case err != nil && tc.err == nil:
				t.Fatalf("%v: error writing data: %v\n", tc.name, err)
			case err != nil && tc.err != nil:
				if got, want := err.Error(), tc.err.Error(); got != want {
					t.Fatalf("invalid error:\ngot= %s\nwant=%s", got, want)
				}
				return
			case err == nil && tc.err == nil:
				// ok.
			}

			got := reflect.New(reflect.Indirect(reflect.ValueOf(tc.want)).Type()).Elem()
			err = Read(buf, got.Addr().Interface())
			if err != nil {
				t.Errorf("%v: error reading data: %v\n", tc.name, err)
			}

			want := reflect.Indirect(reflect.ValueOf(tc.want))
			rv := reflect.Indirect(got)
			if !reflect.DeepEqual(rv.Interface(), want.Interface()) {
				t.Errorf("%v: error.\n got=%v\nwant=%v\n", tc.name, rv.Interface(), want.Interface())
			}
		})
	}
}

func TestWriterNaNsInf(t *testing.T) {
	want := mat.NewDense(4, 1, []float64{math.NaN(), math.Inf(-1), 0, math.Inf(+1)})

	buf := new(bytes.Buffer)
	err := Write(buf, want)
	if err != nil {
		t.Errorf("error writing data: %v\n", err)
	}

	var m mat.Dense
	err = Read(buf, &m)
	if err != nil {
		t.Errorf("error reading data: %v\n", err)
	}

	for i, v := range []bool{
		math.IsNaN(m.At(0, 0)),
		math.IsInf(m.At(1, 0), -1),
		m.At(2, 0) == 0,
		math.IsInf(m.At(3, 0), +1),
	} {
		if !v {
			t.Errorf("read test m.At(%d,0) failed\n got=%#v\nwant=%#v\n", i, m.At(i, 0), want.At(i, 0))
		}
	}
}

func TestShapeFrom(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want []int
		err  error
	}{
		{
			v:    "hello",
			want: nil,
		},
		{
			v:    1,
			want: nil,
		},
		{
			v:    0.1,
			want: nil,
		},
		{
			v:    [0]int{},
			want: []int{0},
		},
		{
			v:    []int{},
			want: []int{0},
		},
		{
			v:    []int{1},
			want: []int{1},
		},
		{
			v:    [3][]int{nil, nil, nil},
			want: []int{3, 0},
		},
		{
			v:    [3][]int{{}, {}, {}},
			want: []int{3, 0},
		},
		{
			v:    [3][]int{{1, 2}, {3, 4}, {5, 6}},
			want: []int{3, 2},
		},
		{
			v:    [][]int{nil, nil, nil},
			want: []int{3, 0},
		},
		{
			v:    [][]int{{}, {}, {}},
			want: []int{3, 0},
		},
		{
			v:    [][]int{{1, 2}, {3, 4}, {5, 6}},
			want: []int{3, 2},
		},
		{
			v:    [][][]int{{{1}, {2}}, {{3}, {4}}, {{5}, {6}}},
			want: []int{3, 2, 1},
		},
		{
			v:    [][]float64{{1, 2}, {3, 4}, {5, 6}},
			want: []int{3, 2},
		},
		{
			v:    mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6}),
			want: nil, // shapeFrom takes a deref-iface
		},
		{
			v:    *mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6}),
			want: []int{2, 3},
		},
		{
			v:   make(map[int]int),
			err: fmt.Errorf("npy: type map[int]int not supported"),
		},
		{
			v:   make(chan int),
			err: fmt.Errorf("npy: type chan int not supported"),
		},
		{
			v:   struct{}{},
			err: fmt.Errorf("npy: type struct {} not supported"),
		},
	} {
		t.Run("", func(t *testing.T) {
			got, err := shapeFrom(reflect.ValueOf(tc.v))
			switch {
			case err != nil && tc.err != nil:
				if err.Error() != tc.err.Error() {
					t.Fatalf("invalid error:\ngot= %+v\nwant=%+v",
						err, tc.err,
					)
				}
				return
			case err != nil && tc.err == nil:
				t.Fatalf("unexpected error: %+v", err)
			case err == nil && tc.err != nil:
				t.Fatalf("expected an error")
			case err == nil && tc.err == nil:
				// ok.
			}

			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("invalid shape.\ngot= %+v\nwant=%+v", got, tc.want)
			}
		})
	}
}
