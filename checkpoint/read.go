package checkpoint

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"nccheck/metrics"
)

// Error is a problem with a checkpoint file: File is its path, Array the
// array concerned ("" for the file as a whole) and Reason what is wrong.
type Error struct {
	File, Array, Reason string
}

func (e *Error) Error() string {
	if e.Array == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s: array %q: %s", e.File, e.Array, e.Reason)
}

// Array names.
const (
	ArrayFeatures   = "features"
	ArrayLabels     = "labels"
	ArrayClassifier = "classifier"
	ArrayBias       = "bias"
	ArrayEpoch      = "epoch"
)

// MaxClasses bounds K, the number of rows of the classifier.
const MaxClasses = 100000

// Checkpoint is an opened checkpoint file: everything but the features,
// which are streamed from the file by Samples.
type Checkpoint struct {
	Path string
	// Epoch is the checkpoint's epoch, nil when the file has none.
	Epoch *int64
	// N samples, feature dimension D, K classes.
	N, D, K int
	// W is the classifier (K x d) and B the bias (nil when the file has
	// none), converted to float64 exactly.
	W *mat.Dense
	B []float64
	// Labels are the samples' classes, 0..K-1.
	Labels []int
	// Counts are the class counts n_k read from the labels (every class has
	// at least one sample).
	Counts []int
	// FeatureType is the dtype of the features: "float32" or "float64".
	FeatureType string

	fortran bool   // features stored in Fortran (column-major) order
	entry   string // the features' name inside the archive
	size    int64  // file size in bytes
}

// MemoryBytes predicts the memory a measurement of the checkpoint takes,
// in bytes, before it starts: the labels (16 N: the labels and their
// decoded copy), W and its product matrices (8 K d + 5 * 8 K^2), a block of
// features (12 Mi values: float32 and float64 copies, and the products of a
// block), and for features stored in Fortran order the whole array (12 N d:
// decoded, then converted to float64).
func (c *Checkpoint) MemoryBytes() int64 {
	n, d, k := int64(c.N), int64(c.D), int64(c.K)
	b := 16*n + 8*k*d + 40*k*k + 12*blockElems + 8*min(n, blockElems/max(d, 1)+1)*k
	if c.fortran {
		b += 12 * n * d
	}
	return b
}

// Size returns the file's size in bytes.
func (c *Checkpoint) Size() int64 { return c.size }

// Open reads a checkpoint's header data: the classifier, the bias, the
// labels and the epoch, and the shape and dtype of the features, and checks
// them (shapes agree, labels in 0..K-1, every class present, W and b
// finite, dtypes supported). Errors are *Error.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Reason: err.Error()}
	}
	r, err := npz.Open(path)
	if err != nil {
		return nil, &Error{File: path, Reason: zipReason(path, err)}
	}
	defer r.Close()
	c := &Checkpoint{Path: path, size: st.Size()}
	names := map[string]string{} // array name -> entry name
	for _, k := range r.Keys() {
		names[strings.TrimSuffix(k, ".npy")] = k
	}
	fail := func(array, format string, args ...any) (*Checkpoint, error) {
		return nil, &Error{File: path, Array: array, Reason: fmt.Sprintf(format, args...)}
	}
	for _, a := range []string{ArrayFeatures, ArrayLabels, ArrayClassifier} {
		if _, ok := names[a]; !ok {
			var have []string
			for n := range names {
				have = append(have, n)
			}
			sort.Strings(have)
			return fail(a, "missing (the file has: %s)", strings.Join(have, ", "))
		}
	}
	hdr := func(a string) (*npy.Header, error) {
		h := r.Header(names[a])
		if h == nil {
			// Read it again to get the library's error.
			rc, err := r.Open(names[a])
			if err == nil {
				_, err = npy.NewReader(rc)
				rc.Close()
			}
			reason := "not a readable .npy array"
			if err != nil {
				reason += ": " + oneLine(err.Error())
			}
			return nil, &Error{File: path, Array: a, Reason: reason}
		}
		return h, nil
	}

	// Features: shape and dtype only.
	fh, err := hdr(ArrayFeatures)
	if err != nil {
		return nil, err
	}
	if len(fh.Descr.Shape) != 2 {
		return fail(ArrayFeatures, "has shape %v; want 2 dimensions (N x d)", fh.Descr.Shape)
	}
	c.N, c.D = fh.Descr.Shape[0], fh.Descr.Shape[1]
	if c.N < 1 || c.D < 1 {
		return fail(ArrayFeatures, "has shape %v; want N >= 1 samples and d >= 1", fh.Descr.Shape)
	}
	if c.FeatureType = floatType(fh.Descr.Type); c.FeatureType == "" {
		return fail(ArrayFeatures, "has dtype %s; want float32 or float64", fh.Descr.Type)
	}
	c.fortran = fh.Descr.Fortran
	c.entry = names[ArrayFeatures]

	// Classifier.
	ch, err := hdr(ArrayClassifier)
	if err != nil {
		return nil, err
	}
	if len(ch.Descr.Shape) != 2 {
		return fail(ArrayClassifier, "has shape %v; want 2 dimensions (K x d)", ch.Descr.Shape)
	}
	c.K = ch.Descr.Shape[0]
	if ch.Descr.Shape[1] != c.D {
		return fail(ArrayClassifier, "has shape %v; want K x %d (d of the features)", ch.Descr.Shape, c.D)
	}
	if c.K < 2 || c.K > MaxClasses {
		return fail(ArrayClassifier, "has %d rows; want K between 2 and %d classes", c.K, MaxClasses)
	}
	wdata, err := readFloats(r, names[ArrayClassifier], ch)
	if err != nil {
		return fail(ArrayClassifier, "%s", err)
	}
	if i := firstNonFinite(wdata); i >= 0 {
		return fail(ArrayClassifier, "entry (%d, %d) is %v", i/c.D, i%c.D, wdata[i])
	}
	if ch.Descr.Fortran {
		wdata = transpose(wdata, c.D, c.K)
	}
	c.W = mat.NewDense(c.K, c.D, wdata)

	// Bias.
	if name, ok := names[ArrayBias]; ok {
		bh, err := hdr(ArrayBias)
		if err != nil {
			return nil, err
		}
		if len(bh.Descr.Shape) != 1 || bh.Descr.Shape[0] != c.K {
			return fail(ArrayBias, "has shape %v; want (%d,) (K of the classifier)", bh.Descr.Shape, c.K)
		}
		if c.B, err = readFloats(r, name, bh); err != nil {
			return fail(ArrayBias, "%s", err)
		}
		if i := firstNonFinite(c.B); i >= 0 {
			return fail(ArrayBias, "entry %d is %v", i, c.B[i])
		}
	}

	// Labels.
	lh, err := hdr(ArrayLabels)
	if err != nil {
		return nil, err
	}
	if len(lh.Descr.Shape) != 1 || lh.Descr.Shape[0] != c.N {
		return fail(ArrayLabels, "has shape %v; want (%d,) (one label per row of features)", lh.Descr.Shape, c.N)
	}
	if c.Labels, err = readInts(r, names[ArrayLabels], lh); err != nil {
		return fail(ArrayLabels, "%s", err)
	}
	c.Counts = make([]int, c.K)
	for i, y := range c.Labels {
		if y < 0 || y >= c.K {
			return fail(ArrayLabels, "label %d of sample %d is out of range 0..%d (K = %d classifier rows)", y, i, c.K-1, c.K)
		}
		c.Counts[y]++
	}
	for k, n := range c.Counts {
		if n == 0 {
			return fail(ArrayLabels, "class %d has no samples (every class 0..%d needs one)", k, c.K-1)
		}
	}

	// Epoch.
	if name, ok := names[ArrayEpoch]; ok {
		eh, err := hdr(ArrayEpoch)
		if err != nil {
			return nil, err
		}
		if len(eh.Descr.Shape) != 0 && !(len(eh.Descr.Shape) == 1 && eh.Descr.Shape[0] == 1) {
			return fail(ArrayEpoch, "has shape %v; want a scalar", eh.Descr.Shape)
		}
		var v []int
		if intType(eh.Descr.Type) {
			v, err = readInts(r, name, eh)
		} else if floatType(eh.Descr.Type) != "" {
			var f []float64
			if f, err = readFloats(r, name, eh); err == nil && (f[0] != math.Trunc(f[0]) || math.Abs(f[0]) > 1e15) {
				err = fmt.Errorf("%v is not a whole number", f[0])
			} else if err == nil {
				v = []int{int(f[0])}
			}
		} else {
			err = fmt.Errorf("has dtype %s; want an integer", eh.Descr.Type)
		}
		if err != nil {
			return fail(ArrayEpoch, "%s", err)
		}
		e := int64(v[0])
		c.Epoch = &e
	}
	return c, nil
}

// zipReason says why a file is not a readable zip archive: a file that
// starts like a zip archive but cannot be read is truncated or corrupt.
func zipReason(path string, err error) string {
	switch {
	case errors.Is(err, zip.ErrFormat):
		if f, ferr := os.Open(path); ferr == nil {
			var magic [4]byte
			_, rerr := io.ReadFull(f, magic[:])
			f.Close()
			if rerr == nil && string(magic[:]) == "PK\x03\x04" {
				return "truncated or corrupt zip archive (it starts like one but has no readable directory)"
			}
		}
		return "not a zip file (an .npz file is a zip archive of .npy arrays)"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated: " + oneLine(err.Error())
	}
	return "cannot read: " + oneLine(err.Error())
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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

// dtypeCode strips the quotes and the byte-order mark of a dtype
// descriptor as the library reports it ("'<f4'" -> "f4").
func dtypeCode(descr string) string {
	return strings.TrimLeft(strings.Trim(descr, `'"`), "<>=|")
}

// intType reports whether a dtype descriptor is an integer type.
func intType(descr string) bool {
	switch dtypeCode(descr) {
	case "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8":
		return true
	}
	return false
}

// openArray opens an array's .npy stream, buffered, and parses its header
// with the library.
func openArray(r *npz.Reader, name string) (*npy.Reader, io.Closer, error) {
	rc, err := r.Open(name)
	if err != nil {
		return nil, nil, err
	}
	nr, err := npy.NewReader(bufio.NewReaderSize(rc, 1<<16))
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return nr, rc, nil
}

// readFloats reads a whole float32 or float64 array as float64.
func readFloats(r *npz.Reader, name string, h *npy.Header) ([]float64, error) {
	nr, rc, err := openArray(r, name)
	if err != nil {
		return nil, readReason(err)
	}
	defer rc.Close()
	n := numElems(h.Descr.Shape)
	switch floatType(h.Descr.Type) {
	case "float32":
		v := make([]float32, n)
		if err := readInto(nr, &v, n); err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, nil
	case "float64":
		v := make([]float64, n)
		if err := readInto(nr, &v, n); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("has dtype %s; want float32 or float64", h.Descr.Type)
}

// readInts reads a whole integer array as int.
func readInts(r *npz.Reader, name string, h *npy.Header) ([]int, error) {
	nr, rc, err := openArray(r, name)
	if err != nil {
		return nil, readReason(err)
	}
	defer rc.Close()
	n := numElems(h.Descr.Shape)
	switch dtypeCode(h.Descr.Type) {
	case "i1":
		return readIntsOf[int8](nr, n)
	case "i2":
		return readIntsOf[int16](nr, n)
	case "i4":
		return readIntsOf[int32](nr, n)
	case "i8":
		return readIntsOf[int64](nr, n)
	case "u1":
		return readIntsOf[uint8](nr, n)
	case "u2":
		return readIntsOf[uint16](nr, n)
	case "u4":
		return readIntsOf[uint32](nr, n)
	case "u8":
		return readIntsOf[uint64](nr, n)
	}
	return nil, fmt.Errorf("has dtype %s; want an integer dtype", h.Descr.Type)
}

// readIntsOf decodes n values of one integer type with the library and
// converts them to int; a value that int64 cannot hold is an error.
func readIntsOf[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](nr *npy.Reader, n int) ([]int, error) {
	v := make([]T, n)
	if err := readInto(nr, &v, n); err != nil {
		return nil, err
	}
	out := make([]int, n)
	for i, x := range v {
		y := int64(x)
		if x > 0 && y < 0 {
			return nil, fmt.Errorf("value %d at %d does not fit an int", uint64(x), i)
		}
		out[i] = int(y)
	}
	return out, nil
}

// readInto reads exactly n elements into *ptr (a slice of length n) with the
// library's decoder.
func readInto(nr *npy.Reader, ptr any, n int) error {
	if n == 0 {
		return nil
	}
	if err := nr.Read(ptr); err != nil {
		return readReason(err)
	}
	return nil
}

// readReason turns a read error into a reason.
func readReason(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("truncated (the data ends early)")
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("corrupt (zip checksum mismatch)")
	case errors.Is(err, npy.ErrTypeMismatch):
		return fmt.Errorf("dtype mismatch: %s", oneLine(err.Error()))
	}
	return errors.New(oneLine(err.Error()))
}

func numElems(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
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

var _ metrics.Samples = (*features)(nil)
