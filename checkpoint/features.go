package checkpoint

import (
	"fmt"
	"io"
	"math"
	"runtime"

	"nccheck/metrics"
)

// blockElems bounds the number of feature values of a block (1 Mi values:
// 4 MiB of float32, 8 MiB of float64).
const blockElems = 1 << 20

// MaxInMemoryBytes is the largest features array, in bytes as the file
// stores it (4 or 8 per value), that a measurement holds in memory: read
// once, its CRC-32 checked, and both passes over it. A larger array, or one
// whose measurement in memory would exceed the memory limit of OpenWith,
// is streamed from the file, once per pass, in blocks of blockElems values.
// Features in Fortran order are always held (they cannot be streamed by
// rows).
const MaxInMemoryBytes = 4 << 30

// features are a checkpoint's features as metrics.Samples: held in memory
// (read by the first Scan) or streamed from the file by every Scan. Both
// hand out blocks of rowsPerBlock samples, so a measurement gives the same
// bits either way.
type features struct {
	c     *Checkpoint
	all32 []float32 // the whole array (C or Fortran order) in memory, float32 features
	all64 []float64 // the same, float64 features
	blk32 []float32 // a block: transposed (Fortran order) or decoded (streamed)
	blk64 []float64 // the same for float64 features
	cvt   []float64 // Scan's float64 copy of a float32 block
	raw   [][]byte  // the two buffers of the file's bytes of a block
}

// features32 are float32 features: they are also metrics.Float32Samples,
// whose Scan32 hands out the file's values without a float64 copy.
type features32 struct{ *features }

// Samples returns the checkpoint's features as metrics.Samples
// (metrics.Float32Samples for float32 features). Features held in memory
// (InMemory) are read by the first Scan, with npyio, block by block into
// the array the next passes read, and checked (every value finite, the
// member read to its end so that its CRC-32 is checked; in Fortran order
// the array is read whole first); streamed features are decoded block by
// block by every Scan, with the same checks. A problem is an *Error naming
// the array (and the sample and feature of a non-finite value).
func (c *Checkpoint) Samples() metrics.Samples {
	f := &features{c: c}
	if c.FeatureType == "float32" {
		return features32{f}
	}
	return f
}

// InMemory reports whether a measurement holds the features in memory
// (see MaxInMemoryBytes), decided by OpenWith.
func (c *Checkpoint) InMemory() bool { return c.inMemory }

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

func (f *features) fail(err error) error {
	return &Error{File: f.c.Path, Array: ArrayFeatures, Reason: err.Error()}
}

// nonFinite is the error of a non-finite value: the i-th of a block of
// samples from first on, or of the whole array in Fortran order.
func (f *features) nonFinite(i, first int, v float64) error {
	c := f.c
	sample, feature := first+i/c.D, i%c.D
	if c.fortran && c.inMemory {
		sample, feature = i%c.N, i/c.N
	}
	return &Error{File: c.Path, Array: ArrayFeatures, Reason: fmt.Sprintf("feature %d of sample %d is %v", feature, sample, v)}
}

// load reads the whole array (in Fortran order) into memory once, as the
// file stores it.
func (f *features) load() error {
	if f.all32 != nil || f.all64 != nil {
		return nil
	}
	a, m, err := f.c.openFeatures()
	if err != nil {
		return err
	}
	defer a.Close()
	defer m.Close()
	nd := f.c.N * f.c.D
	if f.c.FeatureType == "float32" {
		all := make([]float32, nd)
		if err := readAll(m, all); err != nil {
			return f.fail(err)
		}
		if i := firstNonFinite32(all); i >= 0 {
			return f.nonFinite(i, 0, float64(all[i]))
		}
		f.all32 = all
		return nil
	}
	all := make([]float64, nd)
	if err := readAll(m, all); err != nil {
		return f.fail(err)
	}
	if i := firstNonFinite(all); i >= 0 {
		return f.nonFinite(i, 0, all[i])
	}
	f.all64 = all
	return nil
}

// readAll decodes the member's values into dst with one call of the
// library, then reads the member to its end.
func readAll[T float32 | float64](m *member, dst []T) error {
	if err := m.read(&dst); err != nil {
		return err
	}
	return m.finish()
}

// inMemoryBlocks hands out the blocks of an array held in memory: slices
// of it in C order, transposed copies into buf in Fortran order.
func inMemoryBlocks[T float32 | float64](c *Checkpoint, all []T, buf *[]T, fn func(first int, rows []T) error) error {
	n, d := c.N, c.D
	rowsPer := rowsPerBlock(n, d)
	if c.fortran && len(*buf) < rowsPer*d {
		*buf = make([]T, rowsPer*d)
	}
	for first := 0; first < n; first += rowsPer {
		nb := min(rowsPer, n-first)
		if !c.fortran {
			if err := fn(first, all[first*d:(first+nb)*d]); err != nil {
				return err
			}
			continue
		}
		blk := (*buf)[:nb*d]
		for s := 0; s < nb; s++ {
			for j := 0; j < d; j++ {
				blk[s*d+j] = all[j*n+first+s] // column-major: feature j of sample i at j N + i
			}
		}
		if err := fn(first, blk); err != nil {
			return err
		}
	}
	return nil
}

// Scan32 hands out the float32 features in blocks of rowsPerBlock samples.
func (f features32) Scan32(fn func(first int, rows []float32) error) error {
	return scanHeld(f.features, &f.all32, &f.blk32, fn)
}

// Scan hands out the features in float64, in blocks of rowsPerBlock
// samples (float32 features converted block by block).
func (f *features) Scan(fn func(first int, rows []float64) error) error {
	if f.c.FeatureType == "float64" {
		return scanHeld(f, &f.all64, &f.blk64, fn)
	}
	return features32{f}.Scan32(func(first int, rows []float32) error {
		if len(f.cvt) < len(rows) {
			f.cvt = make([]float64, rowsPerBlock(f.c.N, f.c.D)*f.c.D)
		}
		b := f.cvt[:len(rows)]
		for i, v := range rows {
			b[i] = float64(v)
		}
		return fn(first, b)
	})
}

// scanHeld is one pass over features of type T: from the array held in
// memory (*all) once it is read; features to hold in C order are read by
// the first pass, which streams them from the file into the array (the
// reading overlaps the work of fn) and keeps it when the pass succeeds;
// features in Fortran order are read whole first; the others are streamed
// through the block buffer buf.
func scanHeld[T float32 | float64](f *features, all *[]T, buf *[]T, fn func(first int, rows []T) error) error {
	c := f.c
	switch {
	case *all != nil:
	case c.fortran:
		if err := f.load(); err != nil {
			return err
		}
	case c.inMemory:
		collectBefore(c.N * c.D * c.fSize)
		hold := make([]T, c.N*c.D)
		if err := stream(f, hold, fn); err != nil {
			return err
		}
		*all = hold
		return nil
	default:
		if *buf == nil {
			*buf = make([]T, rowsPerBlock(c.N, c.D)*c.D)
		}
		return stream(f, *buf, fn)
	}
	return inMemoryBlocks(c, *all, buf, fn)
}

// stream is one pass that reads the features from the file: each block of
// rowsPerBlock samples is decoded (on two goroutines) into dst, the
// consecutive blocks of the array to hold when dst has N d values, or the
// one block buffer otherwise, and handed to fn.
func stream[T float32 | float64](f *features, dst []T, fn func(first int, rows []T) error) error {
	d := f.c.D
	hold := len(dst) == f.c.N*d
	return f.scanRaw(func(first int, raw []byte) error {
		nb := len(raw) / (f.c.fSize * d)
		blk := dst[:nb*d]
		if hold {
			blk = dst[first*d : (first+nb)*d]
		}
		if err := f.decode(blk, raw, first); err != nil {
			return err
		}
		return fn(first, blk)
	})
}

// decode decodes a block's bytes into blk, the two halves of its rows on
// two goroutines (each value is decoded on its own: the split does not
// change the values), and checks that the values are finite: the first
// non-finite one is an *Error.
func (f *features) decode(blk any, raw []byte, first int) error {
	d, size := f.c.D, f.c.fSize
	nb := len(raw) / (size * d)
	half := nb / 2 * d // values of the first half
	bad := [2]int{-1, -1}
	part := func(h int) {
		lo, hi := 0, half
		if h == 1 {
			lo, hi = half, nb*d
		}
		switch b := blk.(type) {
		case []float32:
			bad[h] = decodeFloat32s(b[lo:hi], raw[lo*4:hi*4], f.c.order)
		case []float64:
			bad[h] = decodeFloat64s(b[lo:hi], raw[lo*8:hi*8], f.c.order)
		}
		if bad[h] >= 0 {
			bad[h] += lo
		}
	}
	if half == 0 {
		part(0)
		part(1)
	} else {
		done := make(chan struct{})
		go func() { part(1); close(done) }()
		part(0)
		<-done
	}
	for _, i := range bad {
		if i >= 0 {
			v := 0.0
			switch b := blk.(type) {
			case []float32:
				v = float64(b[i])
			case []float64:
				v = b[i]
			}
			return f.nonFinite(i, first, v)
		}
	}
	return nil
}

// scanRaw reads the features' data from the file, a block of rowsPerBlock
// samples at a time, in a goroutine one block ahead of fn (two buffers of
// bytes, allocated by the first pass), so that on two cores the reading
// of block i+1 (and its inflation and CRC-32) overlaps the work on block
// i (one buffer when there is one block); it reads the member to its end
// (so that its CRC-32 is checked) after the last block. Blocks reach fn in
// order.
func (f *features) scanRaw(fn func(first int, raw []byte) error) error {
	c := f.c
	a, m, err := c.openFeatures()
	if err != nil {
		return err
	}
	defer a.Close()
	defer m.Close()
	n, d := c.N, c.D
	rowsPer := rowsPerBlock(n, d)
	if f.raw == nil {
		for i := 0; i < rawBuffers(n, d); i++ {
			f.raw = append(f.raw, make([]byte, rowsPer*d*c.fSize))
		}
	}
	type block struct {
		first int
		raw   []byte
		err   error
	}
	free := make(chan []byte, 2)
	for _, b := range f.raw {
		free <- b
	}
	ready := make(chan block, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	// Runs before the files close: the reader has stopped reading.
	defer func() { close(stop); <-done }()
	go func() {
		defer close(done)
		defer close(ready)
		for first := 0; first < n; first += rowsPer {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			nb := min(rowsPer, n-first)
			raw := buf[:nb*d*c.fSize]
			_, err := io.ReadFull(m.br, raw)
			if err != nil {
				err = readReason(err)
			} else if first+nb == n {
				err = m.finish()
			}
			if err != nil {
				err = f.fail(err)
			}
			select {
			case ready <- block{first: first, raw: raw, err: err}:
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
			return b.err
		}
		if err := fn(b.first, b.raw); err != nil {
			return err
		}
		free <- b.raw[:cap(b.raw)]
	}
	return nil
}

// collectBefore runs the garbage collector before an allocation of size
// bytes of at least 64 MiB: the arrays a measurement held before are
// garbage by then, and a collection lets this one reuse their memory
// instead of growing the heap to both (measuring a directory of
// checkpoints kept two arrays' worth resident). The collection costs
// about a millisecond: the live heap is small and the arrays hold no
// pointers.
func collectBefore(size int) {
	if size >= 64<<20 {
		runtime.GC()
	}
}

// rawBuffers is the number of buffers of scanRaw: two, one for a single
// block.
func rawBuffers(n, d int) int { return min(2, (n+rowsPerBlock(n, d)-1)/rowsPerBlock(n, d)) }

// firstNonFinite32 is the index of the first NaN or infinity of v, -1 when
// there is none (an all-ones exponent).
func firstNonFinite32(v []float32) int {
	for i, x := range v {
		if math.Float32bits(x)&0x7f800000 == 0x7f800000 {
			return i
		}
	}
	return -1
}
