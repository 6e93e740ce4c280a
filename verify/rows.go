package verify

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
)

// A row file (verify --out) is JSON lines: a header line (RowHeader), then
// one Row per line. A run resumed with other settings (--force) appends a
// new header, which applies to the rows after it.

// RowFileVersion is the version of the row file format this package
// writes and reads.
const RowFileVersion = 1

// MaxRowBytes bounds a line of a row file: a row of K = 100000 classes
// (setting.MaxClasses, out of scope) takes about 5 MB. Lines are read in
// memory bounded by it.
const MaxRowBytes = 16 << 20

// RowHeader is the first line of a row file: the version, the hash of the
// run's cases (GridHash) and the parameters that change results, by
// command-line flag name (HeaderOf).
type RowHeader struct {
	Version int               `json:"nccheck_rows"`
	Grid    string            `json:"grid"`
	Params  map[string]string `json:"params"`
}

// HeaderOf returns the header of a run of cases with cfg: the grid hash,
// "theory" (the theories' names, comma-separated), "prec", "seed", "kkt",
// the tolerances ("tol-objective", "tol-geometry", "tol-nc1",
// "tol-margin", "tol-cos", "tol-collapse", "proof-bits"; headers of older
// versions have no "proof-bits", and their rows no certificates) and the solver's own parameters
// when it is a ParamSolver ("restarts", "tol", "max-iter" for NewSolver).
func HeaderOf(cases []Case, cfg Config) RowHeader {
	cfg = cfg.withDefaults()
	names := make([]string, len(cfg.Theories))
	for i, th := range cfg.Theories {
		names[i] = th.Name()
	}
	p := map[string]string{
		"theory": strings.Join(names, ","),
		"prec":   strconv.FormatUint(uint64(cfg.Prec), 10),
		"seed":   strconv.FormatUint(cfg.Seed, 10),
		"kkt":    strconv.FormatBool(cfg.ExactKKT),
	}
	for name, v := range tolParams(cfg.Tol) {
		p[name] = v
	}
	if ps, ok := cfg.Solver.(ParamSolver); ok {
		for k, v := range ps.Params() {
			p[k] = v
		}
	}
	return RowHeader{Version: RowFileVersion, Grid: GridHash(cases), Params: p}
}

// tolParams names the tolerances by flag.
func tolParams(t Tolerances) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	p := map[string]string{"tol-objective": f(t.Objective), "tol-geometry": f(t.Geometry), "tol-nc1": f(t.NC1),
		"tol-margin": f(t.Margin), "tol-cos": f(t.Cos), "tol-collapse": f(t.Collapse)}
	if t.ProofBits > 0 {
		p["proof-bits"] = strconv.Itoa(t.ProofBits)
	}
	return p
}

// Tolerances reads the tolerances the rows after the header were judged
// with; ProofBits is 0 when the header has no "proof-bits" (an older
// version's, whose rows were judged without certificates).
func (h RowHeader) Tolerances() (Tolerances, error) {
	var t Tolerances
	for _, f := range []struct {
		name string
		v    *float64
	}{{"tol-objective", &t.Objective}, {"tol-geometry", &t.Geometry}, {"tol-nc1", &t.NC1}, {"tol-margin", &t.Margin}, {"tol-cos", &t.Cos}, {"tol-collapse", &t.Collapse}} {
		v, err := strconv.ParseFloat(h.Params[f.name], 64)
		if err != nil || !(v > 0) || v > 1e300 {
			return t, fmt.Errorf("the header's %s is %s, not a positive tolerance", f.name, clipQuote(h.Params[f.name]))
		}
		*f.v = v
	}
	if text, ok := h.Params["proof-bits"]; ok {
		v, err := strconv.Atoi(text)
		if err != nil || v < 1 || v > 1<<16 {
			return t, fmt.Errorf("the header's proof-bits is %s, not a positive whole number", clipQuote(text))
		}
		t.ProofBits = v
	}
	return t, nil
}

// Theories returns the theories' names of the header's "theory".
func (h RowHeader) Theories() []string { return strings.Split(h.Params["theory"], ",") }

// HeaderMismatchError is the refusal of a row file written with other
// settings than the run's: Param is the differing parameter ("grid" for the
// cases, else a flag name without its dashes).
type HeaderMismatchError struct {
	Param, File, Run string
}

func (e *HeaderMismatchError) Error() string {
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
func (h RowHeader) Mismatch(run RowHeader) *HeaderMismatchError {
	if h.Grid != run.Grid {
		return &HeaderMismatchError{Param: "grid", File: h.Grid, Run: run.Grid}
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
			return &HeaderMismatchError{Param: k, File: h.Params[k], Run: run.Params[k]}
		}
	}
	return nil
}

// RowWriter streams rows as JSON lines, one object per line, each written
// in one call and, for a file, synced to disk: an interrupted run loses no
// row that finished. It is safe for concurrent use.
type RowWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewRowWriter returns a RowWriter on w.
func NewRowWriter(w io.Writer) *RowWriter { return &RowWriter{w: w} }

// Write appends one row.
func (rw *RowWriter) Write(r Row) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("verify: row %q: %w", r.Key, err)
	}
	return rw.line(b)
}

// WriteHeader appends a header line.
func (rw *RowWriter) WriteHeader(h RowHeader) error {
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("verify: header: %w", err)
	}
	return rw.line(b)
}

func (rw *RowWriter) line(b []byte) error {
	if len(b) >= MaxRowBytes {
		return fmt.Errorf("verify: a row of %d bytes exceeds the %d bytes a row file line may have", len(b), MaxRowBytes)
	}
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if _, err := rw.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("verify: writing row: %w", err)
	}
	if f, ok := rw.w.(*os.File); ok {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("verify: writing row: %w", err)
		}
	}
	return nil
}

// RowFileError is a line of a row file that is not what it should be.
type RowFileError struct {
	Line   int
	Reason string
}

func (e *RowFileError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Rows is the content of a row file.
type Rows struct {
	// Headers are the file's header lines; Rows[i] was written under
	// Headers[Under[i]], on line Lines[i] of the file.
	Headers []RowHeader
	Rows    []Row
	Under   []int
	Lines   []int
	// End is the byte offset just past the last complete line, and Torn
	// reports a torn last line (an interrupted write) left out.
	End  int64
	Torn bool
}

// ReadRows reads a row file in memory bounded by MaxRowBytes per line:
// its first line that is not blank must be a header; every row is decoded
// strictly (unknown keys are errors) and checked against itself
// (CheckRow: its key, its setting, its verdict recomputed from its numbers
// with the tolerances of its header). A torn last line (not JSON, or JSON
// without its newline) is left out, with Torn set. Any other problem is a
// *RowFileError naming the line.
func ReadRows(r io.Reader) (*Rows, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	out := &Rows{}
	var tol Tolerances
	var buf []byte
	for line := 1; ; line++ {
		text, complete, err := readLine(br, &buf)
		if err != nil {
			return nil, &RowFileError{Line: line, Reason: err.Error()}
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
			return nil, &RowFileError{Line: line, Reason: err.Error()}
		}
		if header != nil {
			if tol, err = header.Tolerances(); err != nil {
				return nil, &RowFileError{Line: line, Reason: err.Error()}
			}
			out.Headers = append(out.Headers, *header)
		} else {
			if err := CheckRow(*row, tol); err != nil {
				return nil, &RowFileError{Line: line, Reason: err.Error()}
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
		if need > MaxRowBytes {
			return nil, false, fmt.Errorf("longer than %d bytes, the most a row file line may have", MaxRowBytes)
		}
		if need > cap(*buf) {
			// Doubling: a line of n bytes costs at most 2n of allocations.
			grown := make([]byte, len(*buf), min(max(2*cap(*buf), need), MaxRowBytes))
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
func parseLine(text []byte, first bool) (*RowHeader, *Row, error) {
	if first || bytes.Contains(text, []byte(`"nccheck_rows"`)) {
		var h RowHeader
		if err := strictDecode(text, &h); err != nil || h.Version == 0 {
			if first {
				return nil, nil, errors.New("not a row file header (verify --out writes one as the first line; a file of an older nccheck has none)")
			}
			return nil, nil, errors.New("not a row file header")
		}
		if h.Version != RowFileVersion {
			return nil, nil, fmt.Errorf("row file version %d; this nccheck reads version %d", h.Version, RowFileVersion)
		}
		if h.Grid == "" || h.Params == nil {
			return nil, nil, errors.New("the header has no grid hash or no parameters")
		}
		return &h, nil, nil
	}
	var r Row
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
// another grid or suite is a *RowFileError naming its line.
func (rs *Rows) Check(cases []Case, theories []string) error {
	for i, r := range rs.Rows {
		if err := checkInGrid(r, cases, theories); err != nil {
			return &RowFileError{Line: rs.Lines[i], Reason: err.Error()}
		}
	}
	return nil
}

func checkInGrid(r Row, cases []Case, theories []string) error {
	if r.Index < 0 || r.Index >= len(cases) {
		return fmt.Errorf("row %s has index %d, outside the %d settings of the grid", clipQuote(r.Name), r.Index, len(cases))
	}
	c := cases[r.Index]
	if r.Name != c.Name || r.Key != KeyOf(c, r.Theory) || r.SolverTol != c.SolverTol {
		return fmt.Errorf("row %s is not setting %d of the grid (%s): a row of another grid or suite", clipQuote(r.Key), r.Index+1, clipQuote(KeyOf(c, r.Theory)))
	}
	for _, th := range theories {
		if r.Theory == th {
			return nil
		}
	}
	return fmt.Errorf("row %s has theory %s, not one of this run's (%s)", clipQuote(r.Key), clipQuote(r.Theory), strings.Join(theories, ", "))
}

// RowFile is a JSON-lines file of rows open for streaming, locked for this
// process until it is closed.
type RowFile struct {
	*RowWriter
	f *os.File
}

// Close closes the file and releases its lock.
func (rf *RowFile) Close() error { return rf.f.Close() }

// RowFileOptions configure OpenRowFile.
type RowFileOptions struct {
	// Header is the run's header (HeaderOf), Cases and Theories its cases
	// and theories' names, against which kept rows are checked.
	Header   RowHeader
	Cases    []Case
	Theories []string
	// Resume keeps the rows already in the file; Force keeps them even
	// when the file's header differs from the run's (a new header is then
	// written before the run's rows).
	Resume, Force bool
}

// OpenRowFile opens path to stream rows into, refusing a path that exists
// and is not a regular file (a FIFO would block) and taking an exclusive
// lock on it: a second writer is refused with a *regfile.LockedError naming
// the holder's process id. Without Resume the file is truncated (after the
// lock is taken) and the header written. With Resume the rows already in it
// are read (ReadRows: each checked against itself), checked against the
// run (Rows.Check) and returned; a file whose header differs from the
// run's is a *HeaderMismatchError unless Force; a torn last line is cut
// off and new rows are appended. A missing or empty file is created.
func OpenRowFile(path string, opt RowFileOptions) (*RowFile, *Rows, error) {
	f, _, err := regfile.OpenWrite(path, 0o644)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*RowFile, *Rows, error) {
		f.Close()
		return nil, nil, err
	}
	if err := regfile.Lock(f); err != nil {
		return fail(err)
	}
	kept := &Rows{}
	if opt.Resume {
		if kept, err = ReadRows(f); err != nil {
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
	rf := &RowFile{RowWriter: NewRowWriter(f), f: f}
	if opt.Header.Version != 0 {
		if err := rf.WriteHeader(opt.Header); err != nil {
			return fail(err)
		}
	}
	return rf, kept, nil
}

// Keys returns the set of the rows' keys (for Config.SkipKeys).
func Keys(rows []Row) map[string]bool {
	m := make(map[string]bool, len(rows))
	for _, r := range rows {
		m[r.Key] = true
	}
	return m
}

// Merge combines row sets (from shards, resumed runs or several files)
// into one set ordered by setting index, then by the order in which each key
// first appears. Rows with the same key must be identical apart from their
// wall time (Seconds); one of them is kept. Rows that differ are an error
// naming the key, and so are two rows of one index with different names
// (rows of two grids).
func Merge(sets ...[]Row) ([]Row, error) {
	byKey := map[string]Row{}
	nameOf := map[int]string{}
	var order []string
	for _, set := range sets {
		for _, r := range set {
			if n, ok := nameOf[r.Index]; ok && n != r.Name {
				return nil, fmt.Errorf("verify: rows %s and %s both have index %d: rows of different grids", clipQuote(n), clipQuote(r.Name), r.Index)
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
				return nil, fmt.Errorf("verify: conflicting rows for %q (verdicts %s and %s)", r.Key, prev.Verdict, r.Verdict)
			}
		}
	}
	out := make([]Row, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	// Stable by index: rows of one setting keep their first-seen order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

// sameRow compares two rows apart from Seconds.
func sameRow(a, b Row) (bool, error) {
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
