package rowfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"nccheck/internal/regfile"
	"nccheck/verify"
)

// Version is the version of the row file format this package
// writes and reads.
const Version = 1

// MaxLineBytes bounds a line of a row file: a row of K = 100000 classes
// (setting.MaxClasses, out of scope) takes about 5 MB. Lines are read in
// memory bounded by it.
const MaxLineBytes = 16 << 20

// Header is the first line of a row file: the version, the hash of the
// run's cases (GridHash) and the parameters that change results, by
// command-line flag name (HeaderOf).
type Header struct {
	Version int               `json:"nccheck_rows"`
	Grid    string            `json:"grid"`
	Params  map[string]string `json:"params"`
}

// HeaderOf returns the header of a run of cases with cfg: the grid hash
// (verify.GridHash) and the parameters that change results
// (verify.Config.Params).
func HeaderOf(cases []verify.Case, cfg verify.Config) Header {
	return Header{Version: Version, Grid: verify.GridHash(cases), Params: cfg.Params()}
}

// verify.Tolerances reads the tolerances the rows after the header were judged
// with (verify.TolerancesOf); ProofBits is 0 when the header has no
// "proof-bits" (an older version's, whose rows were judged without
// certificates).
func (h Header) Tolerances() (verify.Tolerances, error) {
	t, err := verify.TolerancesOf(h.Params)
	if err != nil {
		return t, fmt.Errorf("the header's %w", err)
	}
	return t, nil
}

// Theories returns the theories' names of the header's "theory".
func (h Header) Theories() []string { return strings.Split(h.Params["theory"], ",") }

// MismatchError is the refusal of a row file written with other
// settings than the run's: Param is the differing parameter ("grid" for the
// cases, else a flag name without its dashes).
type MismatchError struct {
	Param, File, Run string
}

func (e *MismatchError) Error() string {
	if e.Param == "grid" {
		return fmt.Sprintf("its rows are of other settings (grid %s, this run's %s)", short(e.File), short(e.Run))
	}
	return fmt.Sprintf("its rows were made with --%s %s (this run: --%s %s)", e.Param, orNone(e.File), e.Param, orNone(e.Run))
}

func short(hash string) string {
	if len(hash) > 19 {
		return hash[:19] + "..."
	}
	return hash
}

func orNone(v string) string {
	if v == "" {
		return "(unset)"
	}
	return clipQuote(v)[1 : len(clipQuote(v))-1]
}

// Mismatch compares the header of a file (h) with a run's (run): the first
// differing parameter in the order grid, then flag names sorted, or nil.
func (h Header) Mismatch(run Header) *MismatchError {
	if h.Grid != run.Grid {
		return &MismatchError{Param: "grid", File: h.Grid, Run: run.Grid}
	}
	keys := map[string]bool{}
	for k := range h.Params {
		keys[k] = true
	}
	for k := range run.Params {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if h.Params[k] != run.Params[k] {
			return &MismatchError{Param: k, File: h.Params[k], Run: run.Params[k]}
		}
	}
	return nil
}

// Writer streams rows as JSON lines, one object per line, each written
// in one call and, for a file, synced to disk: an interrupted run loses no
// row that finished. It is safe for concurrent use.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends one row.
func (rw *Writer) Write(r verify.Row) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("rowfile: row %q: %w", r.Key, err)
	}
	return rw.line(b)
}

// WriteHeader appends a header line.
func (rw *Writer) WriteHeader(h Header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("rowfile: header: %w", err)
	}
	return rw.line(b)
}

func (rw *Writer) line(b []byte) error {
	if len(b) >= MaxLineBytes {
		return fmt.Errorf("rowfile: a row of %d bytes exceeds the %d bytes a row file line may have", len(b), MaxLineBytes)
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if _, err := rw.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("rowfile: writing row: %w", err)
	}
	if f, ok := rw.w.(*os.File); ok {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("rowfile: writing row: %w", err)
		}
	}
	return nil
}

// LineError is a line of a row file that is not what it should be.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Set is the content of a row file.
type Set struct {
	// Headers are the file's header lines; Rows[i] was written under
	// Headers[Under[i]], on line Lines[i] of the file.
	Headers []Header
	Rows    []verify.Row
	Under   []int
	Lines   []int
	// End is the byte offset just past the last complete line, and Torn
	// reports a torn last line (an interrupted write) left out.
	End  int64
	Torn bool
}

// Read reads a row file in memory bounded by MaxLineBytes per line:
// its first line that is not blank must be a header; every row is decoded
// strictly (unknown keys are errors) and checked against itself
// (CheckRow: its key, its setting, its verdict recomputed from its numbers
// with the tolerances of its header). A torn last line (not JSON, or JSON
// without its newline) is left out, with Torn set. Any other problem is a
// *LineError naming the line.
func Read(r io.Reader) (*Set, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	out := &Set{}
	var tol verify.Tolerances
	var buf []byte
	for line := 1; ; line++ {
		text, complete, err := readLine(br, &buf)
		if err != nil {
			return nil, &LineError{Line: line, Reason: err.Error()}
		}
		if text == nil {
			return out, nil // end of input
		}
		trimmed := bytes.TrimSpace(text)
		if len(trimmed) == 0 {
			if complete {
				out.End += int64(len(text))
			}
			continue
		}
		if !complete {
			// The last line, without its newline: an interrupted write, to
			// be written again rather than guessed at.
			out.Torn = true
			return out, nil
		}
		header, row, err := parseLine(trimmed, len(out.Headers) == 0)
		if err != nil {
			return nil, &LineError{Line: line, Reason: err.Error()}
		}
		if header != nil {
			if tol, err = header.Tolerances(); err != nil {
				return nil, &LineError{Line: line, Reason: err.Error()}
			}
			out.Headers = append(out.Headers, *header)
		} else {
			if err := verify.CheckRow(*row, tol); err != nil {
				return nil, &LineError{Line: line, Reason: err.Error()}
			}
			out.Rows = append(out.Rows, *row)
			out.Under = append(out.Under, len(out.Headers)-1)
			out.Lines = append(out.Lines, line)
		}
		out.End += int64(len(text))
	}
}

// readLine reads the next line (with its newline, if any) into *buf,
// reused; it returns nil at the end of the input and complete false for a
// last line without a newline.
func readLine(br *bufio.Reader, buf *[]byte) (text []byte, complete bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		need := len(*buf) + len(chunk)
		if need > MaxLineBytes {
			return nil, false, fmt.Errorf("longer than %d bytes, the most a row file line may have", MaxLineBytes)
		}
		if need > cap(*buf) {
			// Doubling: a line of n bytes costs at most 2n of allocations.
			grown := make([]byte, len(*buf), min(max(2*cap(*buf), need), MaxLineBytes))
			copy(grown, *buf)
			*buf = grown
		}
		*buf = append(*buf, chunk...)
		switch {
		case err == nil:
			return *buf, true, nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(*buf) == 0 {
				return nil, false, nil
			}
			return *buf, false, nil
		}
		return nil, false, err
	}
}

// parseLine decodes a header (required when first) or a row, strictly.
func parseLine(text []byte, first bool) (*Header, *verify.Row, error) {
	if first || bytes.Contains(text, []byte(`"nccheck_rows"`)) {
		var h Header
		if err := strictDecode(text, &h); err != nil || h.Version == 0 {
			if first {
				return nil, nil, errors.New("not a row file header (verify --out writes one as the first line; a file of an older nccheck has none)")
			}
			return nil, nil, errors.New("not a row file header")
		}
		if h.Version != Version {
			return nil, nil, fmt.Errorf("row file version %d; this nccheck reads version %d", h.Version, Version)
		}
		if h.Grid == "" || h.Params == nil {
			return nil, nil, errors.New("the header has no grid hash or no parameters")
		}
		return &h, nil, nil
	}
	var r verify.Row
	if err := strictDecode(text, &r); err != nil {
		return nil, nil, fmt.Errorf("not a verify row: %s", clip(oneLine(err.Error()), 120))
	}
	return nil, &r, nil
}

func strictDecode(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Check checks every row against the cases of a run and its theories'
// names: its index is in the grid, its name, key and solver_tol are those
// of the case at that index, its theory is one of the theories. A row of
// another grid or suite is a *LineError naming its line.
func (rs *Set) Check(cases []verify.Case, theories []string) error {
	for i, r := range rs.Rows {
		if err := checkInGrid(r, cases, theories); err != nil {
			return &LineError{Line: rs.Lines[i], Reason: err.Error()}
		}
	}
	return nil
}

func checkInGrid(r verify.Row, cases []verify.Case, theories []string) error {
	if r.Index < 0 || r.Index >= len(cases) {
		return fmt.Errorf("row %s has index %d, outside the %d settings of the grid", clipQuote(r.Name), r.Index, len(cases))
	}
	c := cases[r.Index]
	if r.Name != c.Name || r.Key != verify.KeyOf(c, r.Theory) || r.SolverTol != c.SolverTol {
		return fmt.Errorf("row %s is not setting %d of the grid (%s): a row of another grid or suite", clipQuote(r.Key), r.Index+1, clipQuote(verify.KeyOf(c, r.Theory)))
	}
	for _, th := range theories {
		if r.Theory == th {
			return nil
		}
	}
	return fmt.Errorf("row %s has theory %s, not one of this run's (%s)", clipQuote(r.Key), clipQuote(r.Theory), strings.Join(theories, ", "))
}

// File is a JSON-lines file of rows open for streaming, locked for this
// process until it is closed.
type File struct {
	*Writer
	f *os.File
}

// Close closes the file and releases its lock.
func (rf *File) Close() error { return rf.f.Close() }

// Options configure Open.
type Options struct {
	// Header is the run's header (HeaderOf), Cases and Theories its cases
	// and theories' names, against which kept rows are checked.
	Header   Header
	Cases    []verify.Case
	Theories []string
	// Resume keeps the rows already in the file; Force keeps them even
	// when the file's header differs from the run's (a new header is then
	// written before the run's rows).
	Resume, Force bool
}

// Open opens path to stream rows into, refusing a path that exists
// and is not a regular file (a FIFO would block) and taking an exclusive
// lock on it: a second writer is refused with a *regfile.LockedError naming
// the holder's process id. Without Resume the file is truncated (after the
// lock is taken) and the header written. With Resume the rows already in it
// are read (Read: each checked against itself), checked against the
// run (Set.Check) and returned; a file whose header differs from the
// run's is a *MismatchError unless Force; a torn last line is cut
// off and new rows are appended. A missing or empty file is created.
func Open(path string, opt Options) (*File, *Set, error) {
	f, _, err := regfile.OpenWrite(path, 0o644)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*File, *Set, error) {
		f.Close()
		return nil, nil, err
	}
	if err := regfile.Lock(f); err != nil {
		return fail(err)
	}
	kept := &Set{}
	if opt.Resume {
		if kept, err = Read(f); err != nil {
			return fail(err)
		}
	}
	if len(kept.Headers) > 0 {
		last := kept.Headers[len(kept.Headers)-1]
		for _, h := range kept.Headers {
			if m := h.Mismatch(opt.Header); m != nil && !opt.Force {
				return fail(m)
			}
		}
		if err := kept.Check(opt.Cases, opt.Theories); err != nil {
			return fail(err)
		}
		if last.Mismatch(opt.Header) == nil {
			opt.Header.Version = 0 // the file's last header is the run's
		}
	}
	if err := f.Truncate(kept.End); err != nil {
		return fail(err)
	}
	if _, err := f.Seek(kept.End, io.SeekStart); err != nil {
		return fail(err)
	}
	rf := &File{Writer: NewWriter(f), f: f}
	if opt.Header.Version != 0 {
		if err := rf.WriteHeader(opt.Header); err != nil {
			return fail(err)
		}
	}
	return rf, kept, nil
}

// Keys returns the set of the rows' keys (for Config.SkipKeys).
func Keys(rows []verify.Row) map[string]bool {
	m := make(map[string]bool, len(rows))
	for _, r := range rows {
		m[r.Key] = true
	}
	return m
}

// Merge combines row sets (from shards, resumed runs or several files)
// into one set ordered by setting index, then by the order in which each key
// first appears. Set with the same key must be identical apart from their
// wall time (Seconds); one of them is kept. Set that differ are an error
// naming the key, and so are two rows of one index with different names
// (rows of two grids).
func Merge(sets ...[]verify.Row) ([]verify.Row, error) {
	byKey := map[string]verify.Row{}
	nameOf := map[int]string{}
	var order []string
	for _, set := range sets {
		for _, r := range set {
			if n, ok := nameOf[r.Index]; ok && n != r.Name {
				return nil, fmt.Errorf("rowfile: rows %s and %s both have index %d: rows of different grids", clipQuote(n), clipQuote(r.Name), r.Index)
			}
			nameOf[r.Index] = r.Name
			prev, ok := byKey[r.Key]
			if !ok {
				byKey[r.Key] = r
				order = append(order, r.Key)
				continue
			}
			same, err := sameRow(prev, r)
			if err != nil {
				return nil, err
			}
			if !same {
				return nil, fmt.Errorf("rowfile: conflicting rows for %q (verdicts %s and %s)", r.Key, prev.Verdict, r.Verdict)
			}
		}
	}
	out := make([]verify.Row, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	// Stable by index: rows of one setting keep their first-seen order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// sameRow compares two rows apart from Seconds.
func sameRow(a, b verify.Row) (bool, error) {
	a.Seconds, b.Seconds = 0, 0
	ja, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ja, jb), nil
}

func clipQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}
