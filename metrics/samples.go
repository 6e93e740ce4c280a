package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Samples are the per-sample features of a point with their labels.
type Samples interface {
	// Dims returns the number of samples N and the feature dimension d.
	Dims() (n, d int)
	// Labels returns the class of every sample (0-based), in sample order.
	// The caller does not modify it.
	Labels() []int
	// Scan calls fn on consecutive blocks of samples, in sample order, once
	// each: rows holds len(rows)/d samples' features row by row, the first
	// being sample first. fn must not keep rows after it returns. Each call
	// of Scan is one pass over the data; an error from fn stops the pass and
	// is returned.
	Scan(fn func(first int, rows []float64) error) error
}

// Float32Samples are Samples whose values are float32 (a network's
// features): Measure reads them with Scan32, without a float64 copy of a
// block, and gives the same bits as from Scan (the values are widened
// exactly) for the same blocks.
type Float32Samples interface {
	Samples
	// Scan32 is Scan with the values as float32, in the same blocks.
	Scan32(fn func(first int, rows []float32) error) error
}

// blockRows is the number of samples per block of the in-memory Samples.
const blockRows = 256

// rows are in-memory features, one row of d values per sample (N x d,
// row-major, as a network's feature matrix or the solver's variable vector
// stores them).
type rows struct {
	data   []float64 // len N*d
	d      int
	labels []int // len N
}

// FromRows returns Samples over in-memory features: data is N x d,
// row-major (row i the features of sample i), labels has length N. Blocks
// are passed without copying.
func FromRows(data []float64, d int, labels []int) Samples {
	return &rows{data: data, d: d, labels: labels}
}

func (r *rows) Dims() (n, d int) { return len(r.labels), r.d }

func (r *rows) Labels() []int { return r.labels }

func (r *rows) Scan(fn func(first int, rows []float64) error) error {
	return scanRowBlocks(r.data, r.d, len(r.labels), fn)
}

// scanRowBlocks passes data (n rows of d values, row-major) to fn in blocks
// of blockRows rows, without copying, after checking its length.
func scanRowBlocks[T float32 | float64](data []T, d, n int, fn func(first int, rows []T) error) error {
	if len(data) != n*d {
		return fmt.Errorf("metrics: %d values for %d samples of dimension %d", len(data), n, d)
	}
	for i := 0; i < n; i += blockRows {
		j := min(n, i+blockRows)
		if err := fn(i, data[i*d:j*d]); err != nil {
			return err
		}
	}
	return nil
}

// rows32 are in-memory float32 features, one row per sample.
type rows32 struct {
	data   []float32 // len N*d
	d      int
	labels []int // len N
	buf    []float64
}

// FromFloat32Rows returns Float32Samples over in-memory float32 features:
// data is N x d, row-major, labels has length N. Scan32 passes blocks
// without copying; Scan converts each block to float64. The blocks are
// FromRows' (the same bits for the same values).
func FromFloat32Rows(data []float32, d int, labels []int) Float32Samples {
	return &rows32{data: data, d: d, labels: labels}
}

func (r *rows32) Dims() (n, d int) { return len(r.labels), r.d }

func (r *rows32) Labels() []int { return r.labels }

func (r *rows32) Scan32(fn func(first int, rows []float32) error) error {
	return scanRowBlocks(r.data, r.d, len(r.labels), fn)
}

func (r *rows32) Scan(fn func(first int, rows []float64) error) error {
	return r.Scan32(func(first int, rows []float32) error {
		if len(r.buf) < len(rows) {
			r.buf = make([]float64, blockRows*r.d)
		}
		b := r.buf[:len(rows)]
		for i, v := range rows {
			b[i] = float64(v)
		}
		return fn(first, b)
	})
}

// columns are features stored one column per sample (d x N), as the
// solver's Point.H.
type columns struct {
	h      *mat.Dense
	labels []int
}

// FromColumns returns Samples over a d x N matrix, column s the features of
// sample s.
func FromColumns(h *mat.Dense, labels []int) Samples { return &columns{h: h, labels: labels} }

func (c *columns) Dims() (n, d int) {
	d, n = c.h.Dims()
	return n, d
}

func (c *columns) Labels() []int { return c.labels }

func (c *columns) Scan(fn func(first int, rows []float64) error) error {
	d, n := c.h.Dims()
	if len(c.labels) != n {
		return fmt.Errorf("metrics: %d labels for %d samples", len(c.labels), n)
	}
	buf := make([]float64, blockRows*d)
	for i := 0; i < n; i += blockRows {
		j := min(n, i+blockRows)
		for s := i; s < j; s++ {
			row := buf[(s-i)*d : (s-i+1)*d]
			for a := 0; a < d; a++ {
				row[a] = c.h.At(a, s)
			}
		}
		if err := fn(i, buf[:(j-i)*d]); err != nil {
			return err
		}
	}
	return nil
}

// ClassLabels returns the labels of samples laid out class by class:
// counts[0] samples of class 0, then counts[1] of class 1, and so on.
func ClassLabels(counts []int) []int {
	n := 0
	for _, c := range counts {
		n += c
	}
	labels := make([]int, 0, n)
	for k, c := range counts {
		for i := 0; i < c; i++ {
			labels = append(labels, k)
		}
	}
	return labels
}
