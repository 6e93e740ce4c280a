package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"strings"
	"testing"
)

// Crafted archives: the tests build every hostile file themselves, byte
// by byte where the library would not write it.

// npyV1 is a version 1.0 .npy stream with the header text as given (no
// padding added) followed by data.
func npyV1(header string, data []byte) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	return append(append(b, header...), data...)
}

// npyHeader is numpy's canonical header of a C-order array, padded and
// newline-terminated as numpy writes it.
func npyHeader(descr string, shape ...int) string {
	s := make([]string, len(shape))
	for i, v := range shape {
		s[i] = fmt.Sprint(v)
	}
	sh := "(" + strings.Join(s, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	sh += ")"
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	return h + "\n"
}

func f32s(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func i64s(v ...int64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

// rawMember is one member of a crafted archive. With raw set the bytes are
// written as they are (stored) with the given CRC and sizes, which may lie.
type rawMember struct {
	name    string
	data    []byte
	deflate bool
	raw     bool
	crc     uint32
	usize   uint64
}

func writeZip(t testing.TB, path string, members ...rawMember) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		if m.raw {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: m.name, Method: zip.Store, CRC32: m.crc,
				CompressedSize64: uint64(len(m.data)), UncompressedSize64: m.usize})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(m.data)
			continue
		}
		method := zip.Store
		if m.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goodMembers is a valid 3-sample, 2-class, d = 2 checkpoint.
func goodMembers() []rawMember {
	return []rawMember{
		{name: "features.npy", data: npyV1(npyHeader("<f4", 3, 2), f32s(1, 0, 0, 1, 0, 2))},
		{name: "labels.npy", data: npyV1(npyHeader("<i8", 3), i64s(0, 1, 1))},
		{name: "classifier.npy", data: npyV1(npyHeader("<f4", 2, 2), f32s(1, -1, -1, 1))},
	}
}

// replaced returns goodMembers with the named member's data replaced.
func replaced(name string, data []byte) []rawMember {
	ms := goodMembers()
	for i := range ms {
		if ms[i].name == name {
			ms[i].data = data
		}
	}
	return ms
}

// rawOf returns m written raw with its true CRC and size.
func rawOf(m rawMember) rawMember {
	m.raw, m.crc, m.usize = true, crc32.ChecksumIEEE(m.data), uint64(len(m.data))
	return m
}
