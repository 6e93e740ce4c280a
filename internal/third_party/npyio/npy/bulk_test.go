// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// nccheck's patch of npyio v0.14.0: tests of the bulk decoding.

package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"testing"
)

// bulkCase is a slice type read in bulk: its dtype letter and size, and
// the value of element i.
type bulkCase struct {
	kind string
	size int
	elem func(i int) uint64 // the element's bits
	read func(r *Reader, n int) (any, error)
	want func(n int, elem func(int) uint64) any
}

func bulkCases() []bulkCase {
	bits := func(size int) func(i int) uint64 {
		return func(i int) uint64 {
			v := uint64(i)*0x9E3779B97F4A7C15 + 12345
			return v >> (64 - 8*size)
		}
	}
	floats := func(i int) uint64 { return math.Float64bits(float64(i)*0.1 - 3) }
	floats32 := func(i int) uint64 { return uint64(math.Float32bits(float32(i)*0.1 - 3)) }
	return []bulkCase{
		mk[int8]("i", 1, bits(1), func(u uint64) int8 { return int8(u) }),
		mk[uint8]("u", 1, bits(1), func(u uint64) uint8 { return uint8(u) }),
		mk[int16]("i", 2, bits(2), func(u uint64) int16 { return int16(u) }),
		mk[uint16]("u", 2, bits(2), func(u uint64) uint16 { return uint16(u) }),
		mk[int32]("i", 4, bits(4), func(u uint64) int32 { return int32(u) }),
		mk[uint32]("u", 4, bits(4), func(u uint64) uint32 { return uint32(u) }),
		mk[int64]("i", 8, bits(8), func(u uint64) int64 { return int64(u) }),
		mk[uint64]("u", 8, bits(8), func(u uint64) uint64 { return u }),
		mk[float32]("f", 4, floats32, func(u uint64) float32 { return math.Float32frombits(uint32(u)) }),
		mk[float64]("f", 8, floats, math.Float64frombits),
	}
}

func mk[T any](kind string, size int, elem func(int) uint64, conv func(uint64) T) bulkCase {
	return bulkCase{kind: kind, size: size, elem: elem,
		read: func(r *Reader, n int) (any, error) {
			v := make([]T, n)
			err := r.Read(&v)
			return v, err
		},
		want: func(n int, elem func(int) uint64) any {
			v := make([]T, n)
			for i := range v {
				v[i] = conv(elem(i))
			}
			return v
		}}
}

// npyOf is a version 1.0 .npy stream of n elements of the case in byte
// order bo, its data cut to keep bytes when keep >= 0.
func npyOf(c bulkCase, bo binary.ByteOrder, n, keep int) []byte {
	order := "<"
	if bo == binary.ByteOrder(binary.BigEndian) {
		order = ">"
	}
	if c.size == 1 {
		order = "|"
	}
	h := fmt.Sprintf("{'descr': '%s%s%d', 'fortran_order': False, 'shape': (%d,), }\n", order, c.kind, c.size, n)
	data := make([]byte, 0, n*c.size)
	for i := 0; i < n; i++ {
		var b [8]byte
		bo.PutUint64(b[:], c.elem(i))
		if bo == binary.ByteOrder(binary.LittleEndian) {
			data = append(data, b[:c.size]...)
		} else {
			data = append(data, b[8-c.size:]...)
		}
	}
	if keep >= 0 {
		data = data[:keep]
	}
	return append(blob(1, 0, h), data...)
}

// TestReadBulk reads every integer and float slice type in both byte
// orders, with more elements than one chunk, and checks every element; a
// truncated stream is an error.
func TestReadBulk(t *testing.T) {
	for _, c := range bulkCases() {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			n := bulkBytes/c.size*2 + 3 // two chunks and a partial one
			name := fmt.Sprintf("%s%d/%v", c.kind, c.size, bo)
			t.Run(name, func(t *testing.T) {
				r, err := NewReader(bytes.NewReader(npyOf(c, bo, n, -1)))
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.read(r, n)
				if err != nil {
					t.Fatal(err)
				}
				if want := c.want(n, c.elem); !reflect.DeepEqual(got, want) {
					t.Errorf("decoded values differ from the written ones")
				}
				for _, keep := range []int{0, c.size * (n - 1), n*c.size - 1} {
					r, err := NewReader(bytes.NewReader(npyOf(c, bo, n, keep)))
					if err != nil {
						t.Fatal(err)
					}
					if _, err := c.read(r, n); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Errorf("data cut to %d of %d bytes: error %v, want EOF or ErrUnexpectedEOF", keep, n*c.size, err)
					}
				}
			})
		}
	}
}

// BenchmarkReadFloat32 decodes 1 Mi little-endian float32 values.
func BenchmarkReadFloat32(b *testing.B) {
	c := bulkCases()[8]
	const n = 1 << 20
	stream := npyOf(c, binary.LittleEndian, n, -1)
	v := make([]float32, n)
	b.SetBytes(4 * n)
	for i := 0; i < b.N; i++ {
		r, err := NewReader(bytes.NewReader(stream))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Read(&v); err != nil {
			b.Fatal(err)
		}
	}
}
