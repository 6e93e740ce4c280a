package checkpoint

import (
	"fmt"

	"nccheck/metrics"
)

// blockElems bounds the number of feature values read per block (1 Mi
// values: 4 MiB of float32 and 8 MiB of float64 for the converted block).
const blockElems = 1 << 20

// features streams a checkpoint's features from its file. The block
// buffers (and for Fortran order the whole array) are allocated by the
// first Scan and reused by the next ones.
type features struct {
	c    *Checkpoint
	free [][]float64 // the two block buffers
	b32  []float32   // the float32 block
	all  []float64   // Fortran order: the whole array, column-major
}

// Samples returns the checkpoint's features as metrics.Samples: every Scan
// re-opens the file and decodes the features block by block with the npyio
// library, converting them to float64, and reads the member to its end (so
// that its CRC-32 is checked); a non-finite value is an *Error naming the
// array and the samples. Features stored in Fortran order are read whole
// by the first Scan (one float64 copy of the array in memory) and handed
// out by rows.
func (c *Checkpoint) Samples() metrics.Samples { return &features{c: c} }

func (f *features) Dims() (n, d int) { return f.c.N, f.c.D }

func (f *features) Labels() []int { return f.c.Labels }

// rowsPerBlock is the number of samples of a block.
func rowsPerBlock(n, d int) int { return min(n, max(1, blockElems/d)) }

// openFeatures opens the checkpoint's features member, checking that it is
// still the one Open read.
func (c *Checkpoint) openFeatures() (*archive, *member, error) {
	a, err := openArchive(c.Path)
	if err != nil {
		return nil, nil, err
	}
	m, err := a.open(ArrayFeatures)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	if s := m.h.Descr.Shape; len(s) != 2 || s[0] != c.N || s[1] != c.D || floatType(m.h.Descr.Type) != c.FeatureType || m.h.Descr.Fortran != c.fortran {
		m.Close()
		a.Close()
		return nil, nil, &Error{File: c.Path, Array: ArrayFeatures, Reason: "changed since the file was opened"}
	}
	return a, m, nil
}

func (f *features) Scan(fn func(first int, rows []float64) error) error {
	c := f.c
	if c.fortran {
		return f.scanFortran(fn)
	}
	a, m, err := c.openFeatures()
	if err != nil {
		return err
	}
	defer a.Close()
	defer m.Close()
	fail := func(err error) error {
		return &Error{File: c.Path, Array: ArrayFeatures, Reason: err.Error()}
	}
	n, d := c.N, c.D
	rowsPer := rowsPerBlock(n, d)
	if f.free == nil {
		f.free = [][]float64{make([]float64, rowsPer*d), make([]float64, rowsPer*d)}
		if c.FeatureType == "float32" {
			f.b32 = make([]float32, rowsPer*d)
		}
	}
	// Decoding (inflate and npyio's decoder) runs in a goroutine one block
	// ahead of fn, with two buffers, so that on two cores the reading of
	// block i+1 overlaps the work on block i. Blocks reach fn in order.
	type block struct {
		first int
		rows  []float64
		err   error
	}
	free := make(chan []float64, 2)
	for _, b := range f.free {
		free <- b
	}
	ready := make(chan block, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	// Runs before the files close: the decoder has stopped reading.
	defer func() { close(stop); <-done }()
	go func() {
		defer close(done)
		defer close(ready)
		for first := 0; first < n; first += rowsPer {
			var out []float64
			select {
			case out = <-free:
			case <-stop:
				return
			}
			nb := min(rowsPer, n-first)
			blk := out[:nb*d]
			err := f.decodeBlock(m, blk, first, d)
			if err == nil && first+nb == n {
				err = m.finish()
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

// decodeBlock decodes the block of samples first.. (len(blk)/d of them)
// into blk, checking that the values are finite.
func (f *features) decodeBlock(m *member, blk []float64, first, d int) error {
	if f.b32 != nil {
		v := f.b32[:len(blk)]
		if err := m.read(&v); err != nil {
			return err
		}
		for i, x := range v {
			blk[i] = float64(x)
		}
	} else if err := m.read(&blk); err != nil {
		return err
	}
	if i := firstNonFinite(blk); i >= 0 {
		return fmt.Errorf("feature %d of sample %d is %v", i%d, first+i/d, blk[i])
	}
	return nil
}

// scanFortran reads column-major features whole (once) and passes them by
// rows.
func (f *features) scanFortran(fn func(first int, rows []float64) error) error {
	c := f.c
	n, d := c.N, c.D
	if f.all == nil {
		a, m, err := c.openFeatures()
		if err != nil {
			return err
		}
		all := make([]float64, n*d) // column-major: feature j of sample i at j*N + i
		err = m.readFloats(all)
		if err == nil {
			err = m.finish()
		}
		m.Close()
		a.Close()
		if err != nil {
			return &Error{File: c.Path, Array: ArrayFeatures, Reason: err.Error()}
		}
		if i := firstNonFinite(all); i >= 0 {
			return &Error{File: c.Path, Array: ArrayFeatures, Reason: fmt.Sprintf("feature %d of sample %d is %v", i/n, i%n, all[i])}
		}
		f.all = all
	}
	rowsPer := rowsPerBlock(n, d)
	if f.free == nil {
		f.free = [][]float64{make([]float64, rowsPer*d)}
	}
	blk := f.free[0]
	for first := 0; first < n; first += rowsPer {
		nb := min(rowsPer, n-first)
		for s := 0; s < nb; s++ {
			for j := 0; j < d; j++ {
				blk[s*d+j] = f.all[j*n+first+s]
			}
		}
		if err := fn(first, blk[:nb*d]); err != nil {
			return err
		}
	}
	return nil
}
