package checkpoint

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// chunkElems is the number of elements decoded per call of the library
// when a whole array is read (a buffer of at most 512 KiB).
const chunkElems = 1 << 16

// dtypeCode strips the quotes and the byte-order mark of a dtype
// descriptor as the library reports it ("'<f4'" -> "f4").
func dtypeCode(descr string) string {
	return strings.TrimLeft(strings.Trim(descr, `'"`), "<>=|")
}

// byteOrder is the byte order of a dtype descriptor: '>' big-endian, '<'
// little-endian, '=', '|' or none the machine's (as npyio reads it),
// binary.LittleEndian or binary.BigEndian.
func byteOrder(descr string) binary.ByteOrder {
	switch d := strings.Trim(descr, `'"`); {
	case strings.HasPrefix(d, ">"):
		return binary.BigEndian
	case strings.HasPrefix(d, "<"), binary.NativeEndian.Uint16([]byte{1, 0}) == 1:
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// decodeFloat32s decodes len(dst) float32 values of byte order bo from raw
// (4 len(dst) bytes) and returns the index of the first NaN or infinity,
// -1 when every value is finite. Little-endian data is decoded four values
// per bounds check, with the check of the exponents in the same loop.
func decodeFloat32s(dst []float32, raw []byte, bo binary.ByteOrder) int {
	const exp = 0x7f800000
	if bo != binary.ByteOrder(binary.LittleEndian) {
		for i := range dst {
			u := bo.Uint32(raw[4*i:])
			dst[i] = math.Float32frombits(u)
			if u&exp == exp {
				return i
			}
		}
		return -1
	}
	i := 0
	for ; i+4 <= len(dst) && 4*i+16 <= len(raw); i += 4 {
		b := raw[4*i : 4*i+16]
		u0 := binary.LittleEndian.Uint32(b[0:4])
		u1 := binary.LittleEndian.Uint32(b[4:8])
		u2 := binary.LittleEndian.Uint32(b[8:12])
		u3 := binary.LittleEndian.Uint32(b[12:16])
		v := dst[i : i+4 : i+4]
		v[0], v[1], v[2], v[3] = math.Float32frombits(u0), math.Float32frombits(u1), math.Float32frombits(u2), math.Float32frombits(u3)
		if u0&exp == exp || u1&exp == exp || u2&exp == exp || u3&exp == exp {
			return i + firstNonFinite32(v)
		}
	}
	for ; i < len(dst); i++ {
		u := binary.LittleEndian.Uint32(raw[4*i:])
		dst[i] = math.Float32frombits(u)
		if u&exp == exp {
			return i
		}
	}
	return -1
}

// decodeFloat64s is decodeFloat32s for float64 values (8 bytes each).
func decodeFloat64s(dst []float64, raw []byte, bo binary.ByteOrder) int {
	const exp = 0x7ff0000000000000
	if bo != binary.ByteOrder(binary.LittleEndian) {
		for i := range dst {
			u := bo.Uint64(raw[8*i:])
			dst[i] = math.Float64frombits(u)
			if u&exp == exp {
				return i
			}
		}
		return -1
	}
	i := 0
	for ; i+4 <= len(dst) && 8*i+32 <= len(raw); i += 4 {
		b := raw[8*i : 8*i+32]
		u0 := binary.LittleEndian.Uint64(b[0:8])
		u1 := binary.LittleEndian.Uint64(b[8:16])
		u2 := binary.LittleEndian.Uint64(b[16:24])
		u3 := binary.LittleEndian.Uint64(b[24:32])
		v := dst[i : i+4 : i+4]
		v[0], v[1], v[2], v[3] = math.Float64frombits(u0), math.Float64frombits(u1), math.Float64frombits(u2), math.Float64frombits(u3)
		if u0&exp == exp || u1&exp == exp || u2&exp == exp || u3&exp == exp {
			return i + firstNonFinite(v)
		}
	}
	for ; i < len(dst); i++ {
		u := binary.LittleEndian.Uint64(raw[8*i:])
		dst[i] = math.Float64frombits(u)
		if u&exp == exp {
			return i
		}
	}
	return -1
}

// dtypeName is the descriptor for messages, without quotes ("<f4").
func dtypeName(descr string) string { return quoteName(strings.Trim(descr, `'`)) }

// floatType returns "float32" or "float64" for a float dtype descriptor
// ("<f4", ">f8", "=f4", ...), "" otherwise.
func floatType(descr string) string {
	switch dtypeCode(descr) {
	case "f4":
		return "float32"
	case "f8":
		return "float64"
	}
	return ""
}

// intType reports whether a dtype descriptor is an integer type.
func intType(descr string) bool {
	switch dtypeCode(descr) {
	case "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8":
		return true
	}
	return false
}

// elemSize is the size in bytes of an element of a float or integer dtype
// read here, 0 for any other dtype.
func elemSize(descr string) int {
	switch dtypeCode(descr) {
	case "i1", "u1":
		return 1
	case "i2", "u2":
		return 2
	case "i4", "u4", "f4":
		return 4
	case "i8", "u8", "f8":
		return 8
	}
	return 0
}

func numElems(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s // the library refuses shapes whose element count overflows
	}
	return n
}

// readFloats decodes the member's float32 or float64 elements into dst
// (one per element), chunkElems at a time.
func (m *member) readFloats(dst []float64) error {
	switch floatType(m.h.Descr.Type) {
	case "float32":
		buf := make([]float32, min(len(dst), chunkElems))
		for i := 0; i < len(dst); i += len(buf) {
			v := buf[:min(len(buf), len(dst)-i)]
			if err := m.read(&v); err != nil {
				return err
			}
			for j, x := range v {
				dst[i+j] = float64(x)
			}
		}
		return nil
	case "float64":
		for i := 0; i < len(dst); i += chunkElems {
			v := dst[i:min(i+chunkElems, len(dst))]
			if err := m.read(&v); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("has dtype %s; want float32 or float64", dtypeName(m.h.Descr.Type))
}

// readInts decodes the member's integer elements into dst.
func (m *member) readInts(dst []int) error {
	switch dtypeCode(m.h.Descr.Type) {
	case "i1":
		return readIntsOf[int8](m, dst)
	case "i2":
		return readIntsOf[int16](m, dst)
	case "i4":
		return readIntsOf[int32](m, dst)
	case "i8":
		return readIntsOf[int64](m, dst)
	case "u1":
		return readIntsOf[uint8](m, dst)
	case "u2":
		return readIntsOf[uint16](m, dst)
	case "u4":
		return readIntsOf[uint32](m, dst)
	case "u8":
		return readIntsOf[uint64](m, dst)
	}
	return fmt.Errorf("has dtype %s; want an integer dtype", dtypeName(m.h.Descr.Type))
}

// readIntsOf decodes values of one integer type with the library, chunk
// by chunk, and converts them to int; a value an int64 cannot hold is an
// error.
func readIntsOf[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](m *member, dst []int) error {
	buf := make([]T, min(len(dst), chunkElems))
	for i := 0; i < len(dst); i += len(buf) {
		v := buf[:min(len(buf), len(dst)-i)]
		if err := m.read(&v); err != nil {
			return err
		}
		for j, x := range v {
			y := int64(x)
			if x > 0 && y < 0 {
				return fmt.Errorf("value %d at %d does not fit an int", uint64(x), i+j)
			}
			dst[i+j] = int(y)
		}
	}
	return nil
}

func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

// transpose turns column-major data of an r x c matrix (stored as c x r
// row-major) into row-major r x c.
func transpose(data []float64, cols, rows int) []float64 {
	out := make([]float64, len(data))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out[i*cols+j] = data[j*rows+i]
		}
	}
	return out
}
