package rowfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/internal/regfile"
	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
	"nccheck/verify/internal/verifytest"
)

// rowRun is a small run with rows of every kind: agree, solver-gap (the
// reported objective offset), mismatch (a perturbed point), out-of-scope
// (d below the alive classes), for two formulas.
func rowRun(t testing.TB) ([]verify.Case, verify.Config, []verify.Row) {
	t.Helper()
	cases := []verify.Case{
		{Name: "a", Setting: verifytest.Setting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3")},
		{Name: "b", Setting: verifytest.Setting([]int{12, 6}, 2, "5e-3", "5e-3")},
		{Name: "small-d", Setting: verifytest.Setting([]int{40, 20, 10, 5}, 2, "5e-3", "5e-3")},
	}
	// One set of tolerances for every row of the file (its header's), with
	// an objective tolerance loose enough for a geometric mismatch.
	tol := verify.DefaultTolerances()
	tol.Objective = 1e-2
	cfg := verify.Config{Theories: []closedform.Theory{closedform.Paper{}, closedform.AuthorsCode{}}, Solver: verifytest.PointSolver{}, Tol: tol}
	rows, err := verify.Run(context.Background(), cases[:2], cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A point that is not the prediction's, for the setting out of scope.
	plain := verify.SolverFunc(func(_ context.Context, s setting.Setting, _ uint64) (*verify.Numeric, error) {
		w, h := mat.NewDense(s.K(), s.Dim, nil), mat.NewDense(s.Dim, s.N(), nil)
		for i := 0; i < s.K(); i++ {
			for j := 0; j < s.Dim; j++ {
				w.Set(i, j, float64((i+j)%3-1))
			}
		}
		for j := 0; j < s.N(); j++ {
			h.Set(j%s.Dim, j, 0.5)
		}
		return &verify.Numeric{Point: optimize.Point{W: w, H: h}, Objective: 1, Converged: true}, nil
	})
	scope, err := verify.Run(context.Background(), cases, verify.Config{Theories: cfg.Theories, Solver: plain, Tol: tol, Shard: verify.Shard{Index: 3, Count: 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	failing := verify.SolverFunc(func(context.Context, setting.Setting, uint64) (*verify.Numeric, error) {
		return nil, errors.New("no solution")
	})
	failed, err := verify.Run(context.Background(), cases, verify.Config{Solver: failing, Tol: tol, Shard: verify.Shard{Index: 2, Count: 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows = append(append(rows, scope...), failed...)
	gap, err := verify.Run(context.Background(), cases, verify.Config{Solver: verifytest.PointSolver{Offset: 0.1}, Tol: tol, Shard: verify.Shard{Index: 2, Count: 3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bent, err := verify.Run(context.Background(), cases, verify.Config{Shard: verify.Shard{Index: 1, Count: 3}, Solver: verifytest.PointSolver{Transform: func(w, h *mat.Dense) { h.Set(0, 0, 1.1*h.At(0, 0)) }}, Tol: tol}, nil)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[verify.Verdict]bool{}
	for _, r := range append(append(rows, gap...), bent...) {
		verdicts[r.Verdict] = true
	}
	for _, v := range []verify.Verdict{verify.Agree, verify.SolverGap, verify.Mismatch, verify.OutOfScope, verify.Failed} {
		if !verdicts[v] {
			t.Fatalf("the test run has no %s row", v)
		}
	}
	return cases, cfg, append(append(rows, gap[0]), bent[0])
}

// rowFileText is a header and rows as verify --out writes them.
func rowFileText(t testing.TB, h Header, rows []verify.Row) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestRowsReadBack: every row of every kind reads back equal and passes its
// own checks and the grid's.
func TestRowsReadBack(t *testing.T) {
	cases, cfg, rows := rowRun(t)
	h := HeaderOf(cases, cfg)
	rs, err := Read(bytes.NewReader(rowFileText(t, h, rows)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rows) != len(rows) || len(rs.Headers) != 1 || rs.Torn || rs.Lines[0] != 2 {
		t.Fatalf("read %d rows, %d headers", len(rs.Rows), len(rs.Headers))
	}
	for i := range rows {
		if same, _ := sameRow(rows[i], rs.Rows[i]); !same {
			t.Errorf("row %d reads back different", i)
		}
	}
	if err := rs.Check(cases, h.Theories()); err != nil {
		t.Error(err)
	}
}

// TestCorruptRowsRefused: the probes of issue 18's defect 9, each refused
// with its line number.
func TestCorruptRowsRefused(t *testing.T) {
	cases, cfg, rows := rowRun(t)
	h := HeaderOf(cases, cfg)
	good := rowFileText(t, h, rows)
	lines := strings.Split(strings.TrimSuffix(string(good), "\n"), "\n")
	edit := func(line int, f func(*verify.Row)) string {
		var r verify.Row
		if err := json.Unmarshal([]byte(lines[line-1]), &r); err != nil {
			t.Fatal(err)
		}
		f(&r)
		b, _ := json.Marshal(r)
		return string(b)
	}
	with := func(line int, text string) []byte {
		out := append([]string{}, lines...)
		out[line-1] = text
		return []byte(strings.Join(out, "\n") + "\n")
	}
	insert := func(line int, text string) []byte {
		out := append(append(append([]string{}, lines[:line-1]...), text), lines[line-1:]...)
		return []byte(strings.Join(out, "\n") + "\n")
	}
	other := []verify.Case{{Name: "other", Setting: verifytest.Setting([]int{9, 3}, 2, "5e-3", "5e-3")}}
	foreign, err := verify.Run(context.Background(), other, verify.Config{Solver: verifytest.PointSolver{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := json.Marshal(foreign[0])
	for _, tc := range []struct {
		name   string
		text   []byte
		line   int
		reason string
		grid   bool // found by the grid's check, not the row's own
	}{
		{"a row of another suite inserted mid-file", insert(3, string(fb)), 3, "is not setting 1 of the grid", true},
		{"a setting that disagrees with its key", with(2, edit(2, func(r *verify.Row) { r.Setting.D = 9 })), 2, "its key is not the one of its name", false},
		{"a key alone", with(3, `{"key": "a|paper|n=(40,20,10,5) d=8 lW=5e-3 lH=5e-3"}`), 3, "row name", false},
		{"an index outside the grid", with(2, edit(2, func(r *verify.Row) { r.Index = 7 })), 2, "index 7, outside the 3 settings", true},
		{"a verdict its numbers do not give", with(2, edit(2, func(r *verify.Row) { r.Verdict = verify.Mismatch })), 2, "is not the verdict agree", false},
		{"a metric changed under an agree verdict", with(2, edit(2, func(r *verify.Row) { v := 0.5; r.Metrics.NC2H = &v })), 2, "is not the verdict mismatch", false},
		{"a failed list changed", with(len(lines), edit(len(lines), func(r *verify.Row) { r.Failed = r.Failed[:1] })), len(lines), "is not the verdict", false},
		{"an objective gap that is not its objectives'", with(2, edit(2, func(r *verify.Row) { g := *r.ObjectiveGap + 1e-6; r.ObjectiveGap = &g })), 2, "is not the gap", false},
		{"an unknown key", with(2, strings.Replace(lines[1], `"index":`, `"extra":1,"index":`, 1)), 2, "unknown field", false},
		{"a control character in a name", with(2, edit(2, func(r *verify.Row) { r.Name = "a\x1b[2J" })), 2, "control character", false},
		{"an error row without its reason", with(2, edit(2, func(r *verify.Row) { r.Verdict = verify.Failed })), 2, "without its reason", false},
		{"per-class metrics of the wrong length", with(2, edit(2, func(r *verify.Row) { r.Metrics.MeanNorm = r.Metrics.MeanNorm[:1] })), 2, "has 1 entries for K = 4", false},
		{"no header", []byte(strings.Join(lines[1:], "\n") + "\n"), 1, "not a row file header", false},
		{"a header of another version", with(1, strings.Replace(lines[0], `"nccheck_rows":1`, `"nccheck_rows":2`, 1)), 1, "version 2", false},
		{"a header with a bad tolerance", with(1, strings.Replace(lines[0], `"tol-nc1":"1e-08"`, `"tol-nc1":"0"`, 1)), 1, "tol-nc1", false},
		{"a line that is not JSON mid-file", insert(3, `{"index": 1, "na`), 3, "not a verify row", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Read(bytes.NewReader(tc.text))
			if err == nil && tc.grid {
				err = rs.Check(cases, h.Theories())
			}
			var re *LineError
			if !errors.As(err, &re) || re.Line != tc.line || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %v, want a *LineError on line %d saying %q", err, tc.line, tc.reason)
			}
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("message %q is not one clean line", err)
			}
		})
	}
}

// TestReadRowsBounded: blank lines cost no memory, a line longer than
// MaxLineBytes is refused before it is held whole, and a torn last line is
// left out (defect 4).
func TestReadRowsBounded(t *testing.T) {
	cases, cfg, rows := rowRun(t)
	good := rowFileText(t, HeaderOf(cases, cfg), rows[:1])
	blank := io.MultiReader(bytes.NewReader(good), bytes.NewReader(bytes.Repeat([]byte("\n"), 8<<20)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rs, err := Read(blank)
	runtime.ReadMemStats(&after)
	if err != nil || len(rs.Rows) != 1 || rs.End != int64(len(good)+8<<20) {
		t.Fatalf("8 MiB of blank lines: %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
		t.Errorf("8 MiB of blank lines allocated %d bytes", d)
	}
	long := io.MultiReader(bytes.NewReader(good), strings.NewReader(`{"name": "`), &repeatReader{b: 'x', n: 2 * MaxLineBytes})
	runtime.ReadMemStats(&before)
	_, err = Read(long)
	runtime.ReadMemStats(&after)
	var re *LineError
	if !errors.As(err, &re) || re.Line != 3 || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a 32 MiB line: %v, want a refusal of line 3", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 3*MaxLineBytes {
		t.Errorf("refusing a 32 MiB line allocated %d bytes", d)
	}
	torn, err := Read(bytes.NewReader(append(bytes.Clone(good), `{"index": 0, "na`...)))
	if err != nil || !torn.Torn || torn.End != int64(len(good)) || len(torn.Rows) != 1 {
		t.Errorf("torn last line: %+v %v", torn, err)
	}
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

// TestOpenRowFileHeader: a resumed file made with other flags is refused
// naming the flag (defect 8), accepted with Force behind a new header; a
// file of another grid is refused; a second writer is refused (defect 10).
func TestOpenRowFileHeader(t *testing.T) {
	cases, cfg, rows := rowRun(t)
	theories := []string{"paper", "authors-code"}
	h := HeaderOf(cases, cfg)
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	if err := os.WriteFile(path, rowFileText(t, h, rows[:4]), 0o644); err != nil {
		t.Fatal(err)
	}
	tighter := cfg
	tighter.Tol.Geometry = 1e-12
	h2 := HeaderOf(cases, tighter)
	var hm *MismatchError
	if _, _, err := Open(path, Options{Header: h2, Cases: cases, Theories: theories, Resume: true}); !errors.As(err, &hm) || hm.Param != "tol-geometry" {
		t.Fatalf("other --tol-geometry: %v, want a mismatch naming tol-geometry", err)
	}
	if !strings.Contains(hm.Error(), "--tol-geometry 0.0001 (this run: --tol-geometry 1e-12)") {
		t.Errorf("message %q", hm.Error())
	}
	if _, _, err := Open(path, Options{Header: HeaderOf(cases[:2], cfg), Cases: cases[:2], Theories: theories, Resume: true}); !errors.As(err, &hm) || hm.Param != "grid" {
		t.Errorf("another grid: %v, want a mismatch naming the grid", err)
	}
	rf, kept, err := Open(path, Options{Header: h2, Cases: cases, Theories: theories, Resume: true, Force: true})
	if err != nil || len(kept.Rows) != 4 {
		t.Fatalf("forced: %v", err)
	}
	var le *regfile.LockedError
	if _, _, err := Open(path, Options{Header: h2, Cases: cases, Theories: theories, Resume: true, Force: true}); !errors.As(err, &le) {
		t.Errorf("a second writer: %v, want a *regfile.LockedError", err)
	}
	rf.Close()
	rs, err := Read(bytes.NewReader(mustRead(t, path)))
	if err != nil || len(rs.Headers) != 2 || rs.Headers[1].Params["tol-geometry"] != "1e-12" {
		t.Fatalf("after a forced resume: %v, %d headers", err, len(rs.Headers))
	}
	// Resuming with the file's own flags appends no header.
	if _, _, err = Open(path, Options{Header: h2, Cases: cases, Theories: theories, Resume: true}); err == nil {
		t.Fatal("the file's first header differs: want a refusal without Force")
	}
	// Without Resume the file starts again with the run's header.
	rf, kept, err = Open(path, Options{Header: h, Cases: cases, Theories: theories})
	if err != nil || len(kept.Rows) != 0 {
		t.Fatal(err)
	}
	rf.Close()
	if b := mustRead(t, path); !bytes.Equal(b, rowFileText(t, h, nil)) {
		t.Errorf("a new file: %q", b)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadRowsOldFormulaKey: row files written before the key "formula" was
// renamed "theory" still read, with the theory taken from the old key.
func TestReadRowsOldFormulaKey(t *testing.T) {
	header := `{"nccheck_rows":1,"grid":"sha256:0","params":{"tol-objective":"1e-09","tol-geometry":"0.0001","tol-nc1":"1e-08","tol-margin":"0.0001","tol-cos":"0.0001","tol-collapse":"1e-06"}}` + "\n"
	old := `{"index":0,"name":"a","key":"a|authors-code|n=(4,2) d=2 lW=5e-3 lH=5e-3","setting":{"n":[4,2],"d":2,"lambda_w":"5e-3","lambda_h":"5e-3","bias":false},` +
		`"formula":"authors-code","verdict":"error","error":"no solution","alive_classes":2,"predicted_objective":null,"numeric_objective":0,"objective_gap":null,"metrics":null,` +
		`"solver_kkt_residual":0,"solver_converged":true,"restart_spread":0,"restarts":1,"seconds":0}` + "\n"
	rs, err := Read(strings.NewReader(header + old))
	if err != nil || len(rs.Rows) != 1 || rs.Rows[0].Theory != "authors-code" {
		t.Fatalf("rows %+v, err %v", rs, err)
	}
	rows := rs.Rows
	var b strings.Builder
	if err := NewWriter(&b).Write(rows[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"theory":"authors-code"`) || strings.Contains(b.String(), `"formula"`) {
		t.Errorf("rewritten row %s", b.String())
	}
}
