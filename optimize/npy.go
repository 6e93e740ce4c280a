package optimize

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// WriteNPY writes m as a NumPy .npy file (format version 1.0, dtype '<f8',
// C order), which numpy.load reads. The header is padded with spaces and
// ends with a newline so that the data starts at a multiple of 64 bytes.
func WriteNPY(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	return writeNPY(w, fmt.Sprintf("(%d, %d)", r, c), r*c, func(i int) float64 { return m.At(i/c, i%c) })
}

// WriteNPYVector writes v as a one-dimensional .npy array of shape (len(v),).
func WriteNPYVector(w io.Writer, v []float64) error {
	return writeNPY(w, fmt.Sprintf("(%d,)", len(v)), len(v), func(i int) float64 { return v[i] })
}

func writeNPY(w io.Writer, shape string, n int, at func(int) float64) error {
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }"
	// magic (6) + version (2) + header length (2) + dict + padding + '\n'.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	header := dict + strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy header of %d bytes is too long for format 1.0", len(header))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	var b [8]byte
	binary.LittleEndian.PutUint16(b[:2], uint16(len(header)))
	bw.Write(b[:2])
	bw.WriteString(header)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(at(i)))
		bw.Write(b[:])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing npy: %w", err)
	}
	return nil
}

// WriteCSV writes m as comma-separated rows, every number with the shortest
// text that reads back to the same float64.
func WriteCSV(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 32)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if j > 0 {
				bw.WriteByte(',')
			}
			buf = strconv.AppendFloat(buf[:0], m.At(i, j), 'g', -1, 64)
			bw.Write(buf)
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	return nil
}
