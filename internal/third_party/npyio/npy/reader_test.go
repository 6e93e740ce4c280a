// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package npy

import (
	"archive/zip"
	"fmt"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/mat"
)

func TestReaderDense(t *testing.T) {
	want := map[string]map[bool]*mat.Dense{
		"2x3": map[bool]*mat.Dense{
			false: mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5}), // row-major
			true:  mat.NewDense(2, 3, []float64{0, 2, 4, 1, 3, 5}), // col-major
		},
		"6x1": map[bool]*mat.Dense{
			false: mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5}),
			true:  mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5}),
		},
		"1x1": map[bool]*mat.Dense{
			false: mat.NewDense(1, 1, []float64{42}),
			true:  mat.NewDense(1, 1, []float64{42}),
		},
		"scalar": map[bool]*mat.Dense{
			false: mat.NewDense(1, 1, []float64{42}),
			true:  mat.NewDense(1, 1, []float64{42}),
		},
	}

	for _, dt := range []string{
		"float64",
	} {
		for _, order := range []string{"f", "c"} {
			for _, shape := range []string{"2x3", "6x1", "1x1", "scalar"} {

				fname := fmt.Sprintf("../testdata/data_%s_%s_%sorder.npy", dt, shape, order)
				f, err := os.Open(fname)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}
				defer f.Close()

				r, err := NewReader(f)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}

				var m mat.Dense
				err = r.Read(&m)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}

				order := r.Header.Descr.Fortran
				if !mat.Equal(&m, want[shape][order]) {
					t.Errorf("%v: error.\n got=%v\nwant=%v\n",
						fname,
						&m,
						want[shape][order],
					)
				}
			}
		}
	}
}

func TestReaderSlice(t *testing.T) {
	want := map[string]map[string]any{
		"float32": {
			"2x3":    []float32{0, 1, 2, 3, 4, 5},
			"6x1":    []float32{0, 1, 2, 3, 4, 5},
			"1x1":    []float32{42},
			"scalar": []float32{42},
		},
		"float64": {
			"2x3":    []float64{0, 1, 2, 3, 4, 5},
			"6x1":    []float64{0, 1, 2, 3, 4, 5},
			"1x1":    []float64{42},
			"scalar": []float64{42},
		},
		"int8": {
			"2x3":    []int8{0, 1, 2, 3, 4, 5},
			"6x1":    []int8{0, 1, 2, 3, 4, 5},
			"1x1":    []int8{42},
			"scalar": []int8{42},
		},
		"int16": {
			"2x3":    []int16{0, 1, 2, 3, 4, 5},
			"6x1":    []int16{0, 1, 2, 3, 4, 5},
			"1x1":    []int16{42},
			"scalar": []int16{42},
		},
		"int32": {
			"2x3":    []int32{0, 1, 2, 3, 4, 5},
			"6x1":    []int32{0, 1, 2, 3, 4, 5},
			"1x1":    []int32{42},
			"scalar": []int32{42},
		},
		"int64": {
			"2x3":    []int64{0, 1, 2, 3, 4, 5},
			"6x1":    []int64{0, 1, 2, 3, 4, 5},
			"1x1":    []int64{42},
			"scalar": []int64{42},
		},
		"uint8": {
			"2x3":    []uint8{0, 1, 2, 3, 4, 5},
			"6x1":    []uint8{0, 1, 2, 3, 4, 5},
			"1x1":    []uint8{42},
			"scalar": []uint8{42},
		},
		"uint16": {
			"2x3":    []uint16{0, 1, 2, 3, 4, 5},
			"6x1":    []uint16{0, 1, 2, 3, 4, 5},
			"1x1":    []uint16{42},
			"scalar": []uint16{42},
		},
		"uint32": {
			"2x3":    []uint32{0, 1, 2, 3, 4, 5},
			"6x1":    []uint32{0, 1, 2, 3, 4, 5},
			"1x1":    []uint32{42},
			"scalar": []uint32{42},
		},
		"uint64": {
			"2x3":    []uint64{0, 1, 2, 3, 4, 5},
			"6x1":    []uint64{0, 1, 2, 3, 4, 5},
			"1x1":    []uint64{42},
			"scalar": []uint64{42},
		},
	}

	for _, dt := range []string{
		"float32", "float64",
		"int8", "int16", "int32", "int64",
		"uint8", "uint16", "uint32", "uint64",
	} {
		for _, order := range []string{"f", "c"} {
			for _, shape := range []string{"2x3", "6x1", "1x1", "scalar"} {

				fname := fmt.Sprintf("../testdata/data_%s_%s_%sorder.npy", dt, shape, order)
				f, err := os.Open(fname)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}
				defer f.Close()

				r, err := NewReader(f)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}

				rt := TypeFrom(dt)
				if rt == nil {
					t.Errorf("%v: no reflect type for %v\n", fname, dt)
					continue
				}
				data := reflect.New(reflect.SliceOf(rt))
				err = r.Read(data.Interface())
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}
				if !reflect.DeepEqual(data.Elem().Interface(), want[dt][shape]) {
					t.Errorf("%v: error.\n got=%v\nwant=%v\n",
						fname,
						data.Elem().Interface(),
						want[dt][shape],
					)
				}
				if wslice := want[dt][shape]; reflect.ValueOf(wslice).Len() > 1 {
					if _, err := f.Seek(0, 0); err != nil {
						t.Errorf("%v: error: %v\n", fname, err)
					}
					r.readHeader()
					const psize = 3
					pslice := reflect.MakeSlice(reflect.SliceOf(rt), psize, psize)
					data = reflect.New(pslice.Type())
					data.Elem().Set(pslice)
					err = r.Read(data.Interface())
					if err != nil {
						t.Errorf("%v: error: %v\n", fname, err)
					}
					if pwant := reflect.ValueOf(wslice).Slice(0, 3); !reflect.DeepEqual(pslice.Interface(), pwant.Interface()) {
						t.Errorf("%v: error.\n got=%v\nwant=%v\n",
							fname,
							pslice,
							pwant,
						)
					}
				}
			}
		}
	}
}

func TestReaderNDimSlice(t *testing.T) {
	want := make([]float64, 2*3*4)
	for i := range want {
		want[i] = float64(i)
	}

	f, err := os.Open("../testdata/data_float64_2x3x4_corder.npy")
	if err != nil {
		t.Errorf("error: %v\n", err)
	}
	defer f.Close()

	var data []float64
	err = Read(f, &data)
	if err != nil {
		t.Errorf("error reading data: %v\n", err)
	}

	if !reflect.DeepEqual(data, want) {
		t.Errorf("error.\n got=%v\nwant=%v\n", data, want)
	}
}

func TestReaderStringsSlice(t *testing.T) {
	want := map[string]map[string]any{
		"s6": {
			"scalar": []string{"hello"},
			"1x1":    []string{"hello"},
			"2x3":    []string{"0", "1", "2", "3", "4", "5"},
			"4x1":    []string{"one", "two", "three", "four"},
			"3x1":    []string{"hello", "world", "!"},
		},
		"u6": {
			"scalar": []string{"äëïöü"},
			"1x1":    []string{"äëïöü"},
			"2x3":    []string{"0·", "1·", "2·", "3·", "4·", "5·"},
			"4x1":    []string{"one¹", "two²", "three³", "four⁴"},
			"3x1":    []string{"hello", "äëïöüÿ", "!"},
		},
	}

	for _, dt := range []string{"s6", "u6"} {
		for _, order := range []string{"f", "c"} {
			for _, shape := range []string{"scalar", "1x1", "2x3", "4x1", "3x1"} {

				fname := fmt.Sprintf("../testdata/data_%s_%s_%sorder.npy", dt, shape, order)
				f, err := os.Open(fname)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}
				defer f.Close()

				r, err := NewReader(f)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}

				var got []string
				err = r.Read(&got)
				if err != nil {
					t.Errorf("%v: error: %v\n", fname, err)
				}
				if !reflect.DeepEqual(got, want[dt][shape]) {
					t.Errorf("%v: error.\n got=%v\nwant=%v\n",
						fname,
						got,
						want[dt][shape],
					)
				}
			}
		}
	}
}

func TestReaderNaNsInf(t *testing.T) {
	want := mat.NewDense(4, 1, []float64{math.NaN(), math.Inf(-1), 0, math.Inf(+1)})
	f, err := os.Open("../testdata/nans_inf.npy")
	if err != nil {
		t.Errorf("error: %v\n", err)
	}
	defer f.Close()

	var m mat.Dense
	err = Read(f, &m)
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

func TestReaderNpz(t *testing.T) {
	want := map[string]map[bool]*mat.Dense{
		"arr0.npy": map[bool]*mat.Dense{
			false: mat.NewDense(2, 3, []float64{0, 1, 2, 3, 4, 5}), // row-major
			true:  mat.NewDense(2, 3, []float64{0, 2, 4, 1, 3, 5}), // col-major
		},
		"arr1.npy": map[bool]*mat.Dense{
			false: mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5}),
			true:  mat.NewDense(6, 1, []float64{0, 1, 2, 3, 4, 5}),
		},
	}

	for _, order := range []string{"c", "f"} {
		fname := fmt.Sprintf("../testdata/data_float64_%sorder.npz", order)

		zr, err := zip.OpenReader(fname)
		if err != nil {
			t.Errorf("%s: error: %v\n", fname, err)
			continue
		}
		defer zr.Close()

		for _, zip := range zr.File {
			f, err := zip.Open()
			if err != nil {
				t.Errorf("%s: error opening %s entry: %v\n", fname, zip.Name, err)
				continue
			}
			defer f.Close()

			r, err := NewReader(f)
			if err != nil {
				t.Errorf("%s: error creating %s reader: %v\n", fname, zip.Name, err)
				continue
			}

			var m mat.Dense
			err = r.Read(&m)
			if err != nil {
				t.Errorf("%s: error reading %s data: %v\n", fname, zip.Name, err)
				continue
			}

			corder := r.Header.Descr.Fortran
			if !mat.Equal(&m, want[zip.Name][corder]) {
				t.Errorf("%s: error comparing %s.\n got=%v\nwant=%v\n",
					fname,
					zip.Name,
					&m,
					want[zip.Name][corder],
				)
				continue
			}
		}
	}
}

func TestReaderRaggedArrays(t *testing.T) {
	want := pylist(pylist(1, 2, 3, 4), pylist(5, 6, 7), pylist(8, 9))
	f, err := os.Open("../testdata/ragged-array.npy")
	if err != nil {
		t.Errorf("error: %v\n", err)
	}
	defer f.Close()

	var arr Array
	err = Read(f, &arr)
	if err != nil {
		t.Fatalf("error reading data: %v\n", err)
	}

	if got, want := arr.Data(), want; !reflect.DeepEqual(got, want) {
		t.Fatalf("invalid ragged-array:\ngot= %v\nwant=%v", got, want)
	}
}

func TestReaderRecordArrays(t *testing.T) {
	for _, tc := range []struct {
		fname string
		want  any
	}{
		{
			fname: "../testdata/struct-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					U4 uint32  `npy:"F1, descr='<u4'"`
					S1 string  `npy:"F2, descr='|S1'"`
					F4 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "a", 2.2},
					{2, "b", 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					U4 uint32 `npy:"F1, descr='<u4'"`
					S1 string `npy:"F2, descr='|S1'"`
					_  [3]byte
					F4 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "a", [3]byte{}, 2.2},
					{2, "b", [3]byte{}, 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-u2-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32  `npy:"F1, descr='<u4'"`
					F2 string  `npy:"F2, descr='<U2'"`
					F3 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "áà", 2.2},
					{2, "éè", 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-u2-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32  `npy:"F1, descr='<u4'"`
					F2 string  `npy:"F2, descr='<U2'"`
					F3 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "áà", 2.2},
					{2, "éè", 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-2x1-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					U4 uint32  `npy:"F1, descr='<u4'"`
					S1 string  `npy:"F2, descr='|S1'"`
					F4 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "a", 2.2},
					{2, "b", 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-2x1-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					U4 uint32  `npy:"F1, descr='<u4'"`
					S1 string  `npy:"F2, descr='|S1'"`
					F4 float32 `npy:"F3, descr='<f4'"`
				}
				return []T{
					{1, "a", 2.2},
					{2, "b", 4.4},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32     `npy:"F1, descr='<u4'"`
					F2 string     `npy:"F2, descr='|S1'"`
					F3 [6]float32 `npy:"F3"`
					F4 int16      `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]float32{1, 2, 3, 4, 5, 6}, -1},
					{2, "b", [6]float32{2, 4, 6, 8, 10, 12}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32     `npy:"F1, descr='<u4'"`
					F2 string     `npy:"F2, descr='|S1'"`
					F3 [6]float32 `npy:"F3"`
					F4 int16      `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]float32{1, 2, 3, 4, 5, 6}, -1},
					{2, "b", [6]float32{2, 4, 6, 8, 10, 12}, -2},
				}
			}(),
		},
		{
			// test with slices.
			fname: "../testdata/struct-subarr-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 []float32 `npy:"F3, descr=('<f4', (2, 3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []float32{1, 2, 3, 4, 5, 6}, -1},
					{2, "b", []float32{2, 4, 6, 8, 10, 12}, -2},
				}
			}(),
		},
		{
			// test with slices.
			fname: "../testdata/struct-subarr-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 []float32 `npy:"F3, descr=('<f4', (2, 3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []float32{1, 2, 3, 4, 5, 6}, -1},
					{2, "b", []float32{2, 4, 6, 8, 10, 12}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-s2x3-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 [6]string `npy:"F3, descr=('|S1', (2,3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]string{"a", "b", "c", "d", "e", "f"}, -1},
					{2, "b", [6]string{"g", "h", "i", "i", "j", "k"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-s2x3-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 [6]string `npy:"F3, descr=('|S1', (2,3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]string{"a", "b", "c", "d", "e", "f"}, -1},
					{2, "b", [6]string{"g", "h", "i", "i", "j", "k"}, -2},
				}
			}(),
		},
		{
			// test with slices
			fname: "../testdata/struct-subarr-s2x3-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 string   `npy:"F2, descr='|S1'"`
					F3 []string `npy:"F3, descr=('|S1', (2,3))"`
					F4 int16    `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []string{"a", "b", "c", "d", "e", "f"}, -1},
					{2, "b", []string{"g", "h", "i", "i", "j", "k"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-s2x3-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 string   `npy:"F2, descr='|S1'"`
					F3 []string `npy:"F3, descr=('|S1', (2,3))"`
					F4 int16    `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []string{"a", "b", "c", "d", "e", "f"}, -1},
					{2, "b", []string{"g", "h", "i", "i", "j", "k"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-U2x3-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 [6]string `npy:"F3, descr=('<U2', (2,3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]string{"1·", "2·", "3·", "4·", "5·", "6·"}, -1},
					{2, "b", [6]string{"2·", "3·", "4·", "5·", "6·", "7·"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-U2x3-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32    `npy:"F1, descr='<u4'"`
					F2 string    `npy:"F2, descr='|S1'"`
					F3 [6]string `npy:"F3, descr=('<U2', (2,3))"`
					F4 int16     `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", [6]string{"1·", "2·", "3·", "4·", "5·", "6·"}, -1},
					{2, "b", [6]string{"2·", "3·", "4·", "5·", "6·", "7·"}, -2},
				}
			}(),
		},
		{
			// test with slices
			fname: "../testdata/struct-subarr-U2x3-aligned-0_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 string   `npy:"F2, descr='|S1'"`
					F3 []string `npy:"F3, descr=('<U2', (2,3))"`
					F4 int16    `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []string{"1·", "2·", "3·", "4·", "5·", "6·"}, -1},
					{2, "b", []string{"2·", "3·", "4·", "5·", "6·", "7·"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/struct-subarr-U2x3-aligned-1_corder.npy",
			want: func() any {
				type T struct {
					F1 uint32   `npy:"F1, descr='<u4'"`
					F2 string   `npy:"F2, descr='|S1'"`
					F3 []string `npy:"F3, descr=('<U2', (2,3))"`
					F4 int16    `npy:"F4, descr='<i2'"`
				}
				return []T{
					{1, "a", []string{"1·", "2·", "3·", "4·", "5·", "6·"}, -1},
					{2, "b", []string{"2·", "3·", "4·", "5·", "6·", "7·"}, -2},
				}
			}(),
		},
		{
			fname: "../testdata/nested-struct-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16 `npy:"F11, descr='<u2'"`
					F12 string `npy:"F12, descr='|S1'"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a"}, 3.1},
					{2, sub{3, "z"}, 4.1},
				}
			}(),
		},
		{
			fname: "../testdata/nested-struct-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16 `npy:"F11, descr='<u2'"`
					F12 string `npy:"F12, descr='|S1'"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a"}, 3.1},
					{2, sub{3, "z"}, 4.1},
				}
			}(),
		},
		{
			fname: "../testdata/nested-struct-subarr-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16     `npy:"F11, descr='<u2'"`
					F12 string     `npy:"F12, descr='|S1'"`
					F13 [6]float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a", [6]float32{1, 2, 3, 4, 5, 6}}, 3.1},
					{2, sub{3, "z", [6]float32{2, 4, 6, 8, 10, 12}}, 4.1},
				}
			}(),
		},
		{
			fname: "../testdata/nested-struct-subarr-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16     `npy:"F11, descr='<u2'"`
					F12 string     `npy:"F12, descr='|S1'"`
					F13 [6]float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a", [6]float32{1, 2, 3, 4, 5, 6}}, 3.1},
					{2, sub{3, "z", [6]float32{2, 4, 6, 8, 10, 12}}, 4.1},
				}
			}(),
		},
		{
			// test with slices
			fname: "../testdata/nested-struct-subarr-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11, descr='<u2'"`
					F12 string    `npy:"F12, descr='|S1'"`
					F13 []float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a", []float32{1, 2, 3, 4, 5, 6}}, 3.1},
					{2, sub{3, "z", []float32{2, 4, 6, 8, 10, 12}}, 4.1},
				}
			}(),
		},
		{
			// test with slices
			fname: "../testdata/nested-struct-subarr-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11, descr='<u2'"`
					F12 string    `npy:"F12, descr='|S1'"`
					F13 []float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 sub     `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, sub{2, "a", []float32{1, 2, 3, 4, 5, 6}}, 3.1},
					{2, sub{3, "z", []float32{2, 4, 6, 8, 10, 12}}, 4.1},
				}
			}(),
		},
		{
			fname: "../testdata/nested-subarr-struct-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16     `npy:"F11, descr='<u2'"`
					F12 string     `npy:"F12, descr='|S1'"`
					F13 [6]float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, [2]sub{{2, "a", [6]float32{1, 2, 3, 4, 5, 6}}, {3, "b", [6]float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", [6]float32{2, 4, 6, 8, 10, 12}}, {4, "y", [6]float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
		{
			fname: "../testdata/nested-subarr-struct-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16     `npy:"F11, descr='<u2'"`
					F12 string     `npy:"F12, descr='|S1'"`
					F13 [6]float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, [2]sub{{2, "a", [6]float32{1, 2, 3, 4, 5, 6}}, {3, "b", [6]float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", [6]float32{2, 4, 6, 8, 10, 12}}, {4, "y", [6]float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
		{
			// with slices
			fname: "../testdata/nested-subarr-struct-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11, descr='<u2'"`
					F12 string    `npy:"F12, descr='|S1'"`
					F13 []float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, [2]sub{{2, "a", []float32{1, 2, 3, 4, 5, 6}}, {3, "b", []float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", []float32{2, 4, 6, 8, 10, 12}}, {4, "y", []float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
		{
			// with slices.
			fname: "../testdata/nested-subarr-struct-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11, descr='<u2'"`
					F12 string    `npy:"F12, descr='|S1'"`
					F13 []float32 `npy:"F13, descr=('<f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='<u4'"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03, descr='<f4'"`
				}
				return []T{
					{1, [2]sub{{2, "a", []float32{1, 2, 3, 4, 5, 6}}, {3, "b", []float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", []float32{2, 4, 6, 8, 10, 12}}, {4, "y", []float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
		{
			// with byte-order inference from disk
			fname: "../testdata/nested-subarr-struct-aligned-0_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11, descr='u2'"`
					F12 string    `npy:"F12, descr='S1'"`
					F13 []float32 `npy:"F13, descr=('f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01, descr='u4'"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03, descr='f4'"`
				}
				return []T{
					{1, [2]sub{{2, "a", []float32{1, 2, 3, 4, 5, 6}}, {3, "b", []float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", []float32{2, 4, 6, 8, 10, 12}}, {4, "y", []float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
		{
			// with byte-order inference from disk
			fname: "../testdata/nested-subarr-struct-aligned-1_corder.npy",
			want: func() any {
				type sub struct {
					F11 uint16    `npy:"F11"`
					F12 string    `npy:"F12, descr='S1'"`
					F13 []float32 `npy:"F13, descr=('f4', (2,3))"`
				}
				type T struct {
					F01 uint32  `npy:"F01"`
					F02 [2]sub  `npy:"F02"`
					F03 float32 `npy:"F03"`
				}
				return []T{
					{1, [2]sub{{2, "a", []float32{1, 2, 3, 4, 5, 6}}, {3, "b", []float32{2, 3, 4, 5, 6, 7}}}, 3.1},
					{2, [2]sub{{3, "z", []float32{2, 4, 6, 8, 10, 12}}, {4, "y", []float32{3, 4, 5, 6, 7, 8}}}, 4.1},
				}
			}(),
		},
	} {
		t.Run(tc.fname, func(t *testing.T) {
			f, err := os.Open(tc.fname)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()

			rt := reflect.TypeOf(tc.want)
			v := reflect.New(rt).Elem()

			err = Read(f, v.Addr().Interface())
			if err != nil {
				t.Fatalf("could not read data: %v", err)
			}

			if got, want := v.Interface(), tc.want; !reflect.DeepEqual(got, want) {
				t.Fatalf("invalid value:\n%s", cmp.Diff(got, want, diffOpts...))
			}
		})
	}
}
