package checkpoint

import (
	"fmt"
	"math"

	"codeberg.org/sbinet/npyio/npz"

	"nccheck/metrics"
)

// blockElems bounds the number of feature values read per block (1 Mi
// values: 4 MiB of float32 and 8 MiB of float64 for the converted block).
const blockElems = 1 << 20

// features streams a checkpoint's features from its file.
type features struct{ c *Checkpoint }

// Samples returns the checkpoint's features as metrics.Samples: every Scan
// re-opens the file and decodes the features block by block with the npyio
// library, converting them to float64; a non-finite value is an *Error
// naming the array and the samples. Features stored in Fortran order are
// read whole (one copy of the array in memory) and handed out by rows.
func (c *Checkpoint) Samples() metrics.Samples { return &features{c: c} }

func (f *features) Dims() (n, d int) { return f.c.N, f.c.D }

func (f *features) Labels() []int { return f.c.Labels }

func (f *features) Scan(fn func(first int, rows []float64) error) error {
	c := f.c
	if c.fortran {
		return f.scanFortran(fn)
	}
	r, err := npz.Open(c.Path)
	if err != nil {
		return &Error{File: c.Path, Reason: zipReason(c.Path, err)}
	}
	defer r.Close()
	nr, rc, err := openArray(r, c.entry)
	if err != nil {
		return &Error{File: c.Path, Array: ArrayFeatures, Reason: readReason(err).Error()}
	}
	defer rc.Close()
	fail := func(err error) error {
		return &Error{File: c.Path, Array: ArrayFeatures, Reason: err.Error()}
	}
	n, d := c.N, c.D
	rowsPer := max(1, blockElems/d)
	// Decoding (inflate and npyio's decoder) runs in a goroutine one block
	// ahead of fn, with two buffers, so that on two cores the reading of
	// block i+1 overlaps the work on block i. Blocks reach fn in order.
	type block struct {
		first int
		rows  []float64
		err   error
	}
	free := make(chan []float64, 2)
	for i := 0; i < 2; i++ {
		free <- make([]float64, min(n, rowsPer)*d)
	}
	ready := make(chan block, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	// Runs before the files close: the decoder has stopped reading.
	defer func() { close(stop); <-done }()
	go func() {
		defer close(done)
		defer close(ready)
		var b32 []float32
		if c.FeatureType == "float32" {
			b32 = make([]float32, min(n, rowsPer)*d)
		}
		for first := 0; first < n; first += rowsPer {
			var out []float64
			select {
			case out = <-free:
			case <-stop:
				return
			}
			nb := min(rowsPer, n-first)
			blk := out[:nb*d]
			var err error
			if b32 != nil {
				v := b32[:nb*d]
				if err = readInto(nr, &v, len(v)); err == nil {
					for i, x := range v {
						blk[i] = float64(x)
					}
				}
			} else {
				err = readInto(nr, &blk, len(blk))
			}
			if err == nil {
				if i := firstNonFinite(blk); i >= 0 {
					err = fmt.Errorf("feature %d of sample %d is %v", i%d, first+i/d, blk[i])
				}
			}
			select {
			case ready <- block{first: first, rows: blk, err: err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for b := range ready {
		if b.err != nil {
			return fail(b.err)
		}
		if err := fn(b.first, b.rows); err != nil {
			return err
		}
		free <- b.rows[:cap(b.rows)]
	}
	return nil
}

// scanFortran reads column-major features whole and passes them by rows.
func (f *features) scanFortran(fn func(first int, rows []float64) error) error {
	c := f.c
	r, err := npz.Open(c.Path)
	if err != nil {
		return &Error{File: c.Path, Reason: zipReason(c.Path, err)}
	}
	defer r.Close()
	h := r.Header(c.entry)
	if h == nil {
		return &Error{File: c.Path, Array: ArrayFeatures, Reason: "not a readable .npy array"}
	}
	all, err := readFloats(r, c.entry, h) // column-major: feature j of sample i at j*N + i
	if err != nil {
		return &Error{File: c.Path, Array: ArrayFeatures, Reason: err.Error()}
	}
	n, d := c.N, c.D
	rowsPer := max(1, blockElems/d)
	blk := make([]float64, min(n, rowsPer)*d)
	for first := 0; first < n; first += rowsPer {
		nb := min(rowsPer, n-first)
		for s := 0; s < nb; s++ {
			for j := 0; j < d; j++ {
				v := all[j*n+first+s]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return &Error{File: c.Path, Array: ArrayFeatures, Reason: fmt.Sprintf("feature %d of sample %d is %v", j, first+s, v)}
				}
				blk[s*d+j] = v
			}
		}
		if err := fn(first, blk[:nb*d]); err != nil {
			return err
		}
	}
	return nil
}
