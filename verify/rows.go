package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

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

// ReadRows reads a JSON-lines file of rows. It returns the rows and the
// byte offset just past the last complete row (with its newline). A torn
// last line (an interrupted write: not JSON, or JSON without its newline)
// is ignored; any other line that is not a row is an error naming it.
func ReadRows(r io.Reader) ([]Row, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, err
	}
	var rows []Row
	var end int64
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, line := range lines {
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			end += int64(len(line))
			continue
		}
		var row Row
		if err := json.Unmarshal(text, &row); err != nil || row.Key == "" {
			if i == len(lines)-1 {
				break // torn last line
			}
			return nil, 0, fmt.Errorf("line %d is not a verify row", i+1)
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			break // complete JSON but no newline: rerun it rather than guess
		}
		rows = append(rows, row)
		end += int64(len(line))
	}
	return rows, end, nil
}

// RowFile is a JSON-lines file of rows open for streaming.
type RowFile struct {
	*RowWriter
	f *os.File
}

// Close closes the file.
func (rf *RowFile) Close() error { return rf.f.Close() }

// OpenRowFile opens path to stream rows into. Without resume the file is
// created or truncated. With resume the rows already in it are kept (a torn
// last line is cut off) and returned, and new rows are appended; a missing
// file is created.
func OpenRowFile(path string, resume bool) (*RowFile, []Row, error) {
	if !resume {
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, err
		}
		return &RowFile{RowWriter: NewRowWriter(f), f: f}, nil, nil
	}
	var kept []Row
	var end int64
	if f, err := os.Open(path); err == nil {
		kept, end, err = ReadRows(f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &RowFile{RowWriter: NewRowWriter(f), f: f}, kept, nil
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
// naming the key.
func Merge(sets ...[]Row) ([]Row, error) {
	byKey := map[string]Row{}
	var order []string
	for _, set := range sets {
		for _, r := range set {
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
