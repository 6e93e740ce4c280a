// Copyright 2016 The npyio Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// nccheck's patch: Reader.Read decodes slices of numbers in bulk, a chunk of
// bulkBytes at a time, instead of one io.ReadFull per element.

package npy

import (
	"encoding/binary"
	"math"
)

// bulkBytes is the size of the buffer readBulk reads into.
const bulkBytes = 1 << 17

// readBulk fills dst with elements of size bytes each, decoded by decode
// from chunks of at most bulkBytes read with r.read into r.bulk (allocated
// once per reader, at most bulkBytes: reading an array in many calls
// allocates no more than one). It returns r.err
// (set by r.read on a short read, as the element-wise loop did).
func readBulk[T any](r *Reader, dst []T, size int, decode func(dst []T, b []byte)) error {
	if len(dst) == 0 {
		return r.err
	}
	per := max(1, min(len(dst), bulkBytes/size))
	if len(r.bulk) < per*size {
		r.bulk = make([]byte, per*size)
	}
	buf := r.bulk
	for i := 0; i < len(dst); i += per {
		m := min(per, len(dst)-i)
		if _, err := r.read(buf[:m*size]); err != nil {
			return err
		}
		decode(dst[i:i+m], buf[:m*size])
	}
	return r.err
}

// The decoders are top-level functions, not closures: a closure inside
// Reader.Read, a very large function, gets a smaller inlining budget, and
// its calls of binary.LittleEndian were not inlined (4x slower). The
// little-endian ones decode four elements per bounds check (2.5x faster
// than one per element).

func isLittle(bo binary.ByteOrder) bool { return bo == binary.ByteOrder(binary.LittleEndian) }

func decode8[T ~int8 | ~uint8](dst []T, b []byte) {
	b = b[:len(dst)]
	for i := range dst {
		dst[i] = T(b[i])
	}
}

func decode16[T ~int16 | ~uint16](bo binary.ByteOrder) func([]T, []byte) {
	if isLittle(bo) {
		return decode16LE[T]
	}
	return func(dst []T, b []byte) {
		for i := range dst {
			dst[i] = T(bo.Uint16(b[2*i:]))
		}
	}
}

func decode16LE[T ~int16 | ~uint16](dst []T, b []byte) {
	for len(dst) >= 4 && len(b) >= 8 {
		dst[0] = T(binary.LittleEndian.Uint16(b[0:2]))
		dst[1] = T(binary.LittleEndian.Uint16(b[2:4]))
		dst[2] = T(binary.LittleEndian.Uint16(b[4:6]))
		dst[3] = T(binary.LittleEndian.Uint16(b[6:8]))
		dst, b = dst[4:], b[8:]
	}
	for len(dst) >= 1 && len(b) >= 2 {
		dst[0] = T(binary.LittleEndian.Uint16(b[0:2]))
		dst, b = dst[1:], b[2:]
	}
}

func decode32[T ~int32 | ~uint32](bo binary.ByteOrder) func([]T, []byte) {
	if isLittle(bo) {
		return decode32LE[T]
	}
	return func(dst []T, b []byte) {
		for i := range dst {
			dst[i] = T(bo.Uint32(b[4*i:]))
		}
	}
}

func decode32LE[T ~int32 | ~uint32](dst []T, b []byte) {
	for len(dst) >= 4 && len(b) >= 16 {
		dst[0] = T(binary.LittleEndian.Uint32(b[0:4]))
		dst[1] = T(binary.LittleEndian.Uint32(b[4:8]))
		dst[2] = T(binary.LittleEndian.Uint32(b[8:12]))
		dst[3] = T(binary.LittleEndian.Uint32(b[12:16]))
		dst, b = dst[4:], b[16:]
	}
	for len(dst) >= 1 && len(b) >= 4 {
		dst[0] = T(binary.LittleEndian.Uint32(b[0:4]))
		dst, b = dst[1:], b[4:]
	}
}

func decode64[T ~int64 | ~uint64](bo binary.ByteOrder) func([]T, []byte) {
	if isLittle(bo) {
		return decode64LE[T]
	}
	return func(dst []T, b []byte) {
		for i := range dst {
			dst[i] = T(bo.Uint64(b[8*i:]))
		}
	}
}

func decode64LE[T ~int64 | ~uint64](dst []T, b []byte) {
	for len(dst) >= 4 && len(b) >= 32 {
		dst[0] = T(binary.LittleEndian.Uint64(b[0:8]))
		dst[1] = T(binary.LittleEndian.Uint64(b[8:16]))
		dst[2] = T(binary.LittleEndian.Uint64(b[16:24]))
		dst[3] = T(binary.LittleEndian.Uint64(b[24:32]))
		dst, b = dst[4:], b[32:]
	}
	for len(dst) >= 1 && len(b) >= 8 {
		dst[0] = T(binary.LittleEndian.Uint64(b[0:8]))
		dst, b = dst[1:], b[8:]
	}
}

func decodeFloat32(bo binary.ByteOrder) func([]float32, []byte) {
	if isLittle(bo) {
		return decodeFloat32LE
	}
	return func(dst []float32, b []byte) {
		for i := range dst {
			dst[i] = math.Float32frombits(bo.Uint32(b[4*i:]))
		}
	}
}

func decodeFloat32LE(dst []float32, b []byte) {
	for len(dst) >= 4 && len(b) >= 16 {
		dst[0] = math.Float32frombits(binary.LittleEndian.Uint32(b[0:4]))
		dst[1] = math.Float32frombits(binary.LittleEndian.Uint32(b[4:8]))
		dst[2] = math.Float32frombits(binary.LittleEndian.Uint32(b[8:12]))
		dst[3] = math.Float32frombits(binary.LittleEndian.Uint32(b[12:16]))
		dst, b = dst[4:], b[16:]
	}
	for len(dst) >= 1 && len(b) >= 4 {
		dst[0] = math.Float32frombits(binary.LittleEndian.Uint32(b[0:4]))
		dst, b = dst[1:], b[4:]
	}
}

func decodeFloat64(bo binary.ByteOrder) func([]float64, []byte) {
	if isLittle(bo) {
		return decodeFloat64LE
	}
	return func(dst []float64, b []byte) {
		for i := range dst {
			dst[i] = math.Float64frombits(bo.Uint64(b[8*i:]))
		}
	}
}

func decodeFloat64LE(dst []float64, b []byte) {
	for len(dst) >= 4 && len(b) >= 32 {
		dst[0] = math.Float64frombits(binary.LittleEndian.Uint64(b[0:8]))
		dst[1] = math.Float64frombits(binary.LittleEndian.Uint64(b[8:16]))
		dst[2] = math.Float64frombits(binary.LittleEndian.Uint64(b[16:24]))
		dst[3] = math.Float64frombits(binary.LittleEndian.Uint64(b[24:32]))
		dst, b = dst[4:], b[32:]
	}
	for len(dst) >= 1 && len(b) >= 8 {
		dst[0] = math.Float64frombits(binary.LittleEndian.Uint64(b[0:8]))
		dst, b = dst[1:], b[8:]
	}
}
