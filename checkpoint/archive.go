package checkpoint

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math/bits"
	"os"
	"sort"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"nccheck/internal/regfile"
)

// archive is an opened .npz file: its zip directory with one member per
// array name.
type archive struct {
	path    string
	f       *os.File
	size    int64
	members map[string]*zip.File // array name (the member's name without ".npy") -> member
}

// openArchive opens a regular file as a zip archive and indexes its
// members by array name. Two members for one array name (the same name
// twice, or "features" beside "features.npy") are refused: numpy would
// read one of them and ignore the other.
func openArchive(path string) (*archive, error) {
	f, st, err := regfile.Open(path)
	if err != nil {
		return nil, &Error{File: path, Reason: fileReason(err)}
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		reason := zipReason(f, err)
		f.Close()
		return nil, &Error{File: path, Reason: reason}
	}
	a := &archive{path: path, f: f, size: st.Size(), members: make(map[string]*zip.File, len(zr.File))}
	for _, zf := range zr.File {
		name := strings.TrimSuffix(zf.Name, ".npy")
		if prev, ok := a.members[name]; ok {
			f.Close()
			if prev.Name == zf.Name {
				return nil, &Error{File: path, Array: quoteName(clip(name, 40)), Reason: fmt.Sprintf("the archive has two members named %s (numpy would read the last, nccheck refuses to guess)", quoteName(clip(zf.Name, 44)))}
			}
			return nil, &Error{File: path, Array: quoteName(clip(name, 40)), Reason: fmt.Sprintf("the archive has both %s and %s for one array (ambiguous)", quoteName(clip(prev.Name, 44)), quoteName(clip(zf.Name, 44)))}
		}
		a.members[name] = zf
	}
	return a, nil
}

func (a *archive) Close() error { return a.f.Close() }

// names lists the array names of the archive, sorted, for messages.
func (a *archive) names() string {
	have := make([]string, 0, len(a.members))
	for n := range a.members {
		have = append(have, quoteName(clip(n, 40)))
	}
	sort.Strings(have)
	const most = 20
	if len(have) > most {
		return strings.Join(have[:most], ", ") + fmt.Sprintf(" and %d more", len(have)-most)
	}
	return strings.Join(have, ", ")
}

// member is one array of the archive open for reading: its header read by
// npyio and its declared data size checked against the member's size.
type member struct {
	array string
	zf    *zip.File
	rc    io.ReadCloser
	br    *bufio.Reader
	crc   hash.Hash32 // our own CRC-32 when the directory records 0
	nr    *npy.Reader
	h     *npy.Header
	elems int   // number of elements the shape declares
	data  int64 // bytes of data: elems times the element size
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// open opens the array's member and reads its .npy header with npyio. The
// returned error is an *Error naming the array.
func (a *archive) open(array string) (*member, error) {
	zf, ok := a.members[array]
	if !ok {
		return nil, &Error{File: a.path, Array: array, Reason: "missing (the file has: " + a.names() + ")"}
	}
	fail := func(reason string) (*member, error) {
		return nil, &Error{File: a.path, Array: array, Reason: reason}
	}
	rc, err := zf.Open()
	if err != nil {
		return fail("cannot read the member: " + oneLine(err.Error()))
	}
	m := &member{array: array, zf: zf, rc: rc}
	var src io.Reader = rc
	if zf.CRC32 == 0 {
		m.crc = crc32.NewIEEE()
		src = io.TeeReader(rc, m.crc)
	}
	count := &countingReader{r: src}
	m.br = bufio.NewReaderSize(count, 1<<16)
	err = safely(func() error {
		var err error
		m.nr, err = npy.NewReader(m.br)
		return err
	})
	if err != nil {
		rc.Close()
		return fail("not a readable .npy array: " + readReason(err).Error())
	}
	m.h = &m.nr.Header
	m.elems = numElems(m.h.Descr.Shape)
	header := count.n - int64(m.br.Buffered())
	size := int64(elemSize(m.h.Descr.Type))
	if size == 0 {
		return m, nil // an unsupported dtype: the caller names it
	}
	hi, lo := bits.Mul64(uint64(m.elems), uint64(size))
	if hi != 0 || lo > 1<<62 {
		rc.Close()
		return fail(fmt.Sprintf("has shape %v of %s: more data than any file holds", m.h.Descr.Shape, dtypeName(m.h.Descr.Type)))
	}
	m.data = int64(lo)
	if u := zf.UncompressedSize64; u != uint64(header+m.data) {
		rc.Close()
		if u < uint64(header+m.data) {
			return fail(fmt.Sprintf("declares shape %v of %s (%d bytes of data) but its member holds %d bytes after its %d-byte header",
				m.h.Descr.Shape, dtypeName(m.h.Descr.Type), m.data, int64(u)-header, header))
		}
		return fail(fmt.Sprintf("has %d bytes after the %d bytes of data of its shape %v of %s (a wrong shape or dtype?)",
			u-uint64(header+m.data), m.data, m.h.Descr.Shape, dtypeName(m.h.Descr.Type)))
	}
	return m, nil
}

// read decodes len(*ptr) elements into the slice ptr points to.
func (m *member) read(ptr any) error {
	if err := safely(func() error { return m.nr.Read(ptr) }); err != nil {
		return readReason(err)
	}
	return nil
}

// finish reads the member to its end, so that the zip reader checks its
// size and CRC-32 (or we do, when the directory records a CRC of 0), and
// closes it.
func (m *member) finish() error {
	defer m.rc.Close()
	var one [1]byte
	n, err := io.ReadFull(m.br, one[:])
	switch {
	case n > 0:
		return errors.New("has data after its declared end")
	case err != io.EOF:
		return readReason(err)
	case m.crc != nil && m.crc.Sum32() != 0:
		return errors.New("corrupt (its data does not match the CRC-32 of 0 the zip directory records)")
	}
	return nil
}

func (m *member) Close() error { return m.rc.Close() }

// safely runs f, turning a panic (of the npyio library) into an error: no
// panic of a dependency reaches the user.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the .npy library failed on it: %v", r)
		}
	}()
	return f()
}

// fileReason says why a path cannot be read.
func fileReason(err error) string {
	var nr *regfile.NotRegularError
	if errors.As(err, &nr) {
		return "is " + regfile.Kind(nr.Mode) + ", not a regular file"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return "cannot read: " + oneLine(pe.Err.Error())
	}
	return "cannot read: " + oneLine(err.Error())
}

// zipReason says why a file is not a readable zip archive: a file that
// starts like a zip archive but cannot be read is truncated or corrupt.
func zipReason(f *os.File, err error) string {
	switch {
	case errors.Is(err, zip.ErrFormat):
		var magic [4]byte
		if _, rerr := f.ReadAt(magic[:], 0); rerr == nil && string(magic[:]) == "PK\x03\x04" {
			return "truncated or corrupt zip archive (it starts like one but has no readable directory)"
		}
		return "not a zip file (an .npz file is a zip archive of .npy arrays)"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated: " + oneLine(err.Error())
	}
	return "cannot read: " + oneLine(err.Error())
}

// readReason turns a read error into a reason.
func readReason(err error) error {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("corrupt (zip checksum mismatch)")
	case errors.Is(err, npy.ErrHeader), errors.Is(err, npy.ErrInvalidNumPyFormat):
		return errors.New(clip(oneLine(strings.TrimPrefix(err.Error(), "npy: ")), 200))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("truncated (the data ends early)")
	case errors.Is(err, zip.ErrFormat):
		return fmt.Errorf("corrupt (%s)", oneLine(err.Error()))
	case errors.Is(err, npy.ErrTypeMismatch):
		return fmt.Errorf("dtype mismatch: %s", oneLine(err.Error()))
	}
	return errors.New(clip(oneLine(err.Error()), 200))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
