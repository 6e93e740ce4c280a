package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"nccheck"
	"nccheck/closedform"
	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
)

const verifyDescription = `
Runs both paths on each setting, the closed-form prediction (arbitrary
precision) and the float64 solver of the full training problem, and tabulates
the deviations of theory.md section 8 with a verdict per row:

  agree           every deviation within its tolerance
  counterexample  numerical objective below f* by more than --tol-objective
  solver-gap      numerical objective above f* by more than --tol-objective
  mismatch        objectives agree, geometry does not (column "failed" says which)
  out-of-scope    bias, plain UFM, or d below the number of alive classes
  error           the row could not be computed (reason in "failed")

Settings: one from --n/--d/--lambda-w/--lambda-h, a built-in --suite, or a
--grid JSON file (schema in the README). Exit status 0 when every row is agree
or out-of-scope, 1 otherwise, 2 on bad input.`

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, true)
	suite := fs.String("suite", "", "built-in `suite`: "+strings.Join(nccheck.SuiteNames(), ", "))
	grid := fs.String("grid", "", "JSON grid `file` of settings (schema in the README)")
	formula := fs.String("formula", "paper", "`formula` set compared: paper, authors-code, or both (two rows per setting)")
	prec := fs.Uint("prec", closedform.DefaultPrec, "`bits` for the closed form")
	seed := fs.Uint64("seed", 1, "solver `seed` (the same for every setting)")
	so := verifySolverOptions{}
	so.register(fs)
	def := verify.DefaultTolerances()
	tol := def
	fs.Float64Var(&tol.Objective, "tol-objective", def.Objective, "`tolerance` on the relative objective gap (f_num - f*)/max(1,|f*|)")
	fs.Float64Var(&tol.Geometry, "tol-geometry", def.Geometry, "`tolerance` on NC2_H, NC2_W, NC2_WWT and NC3_WH")
	fs.Float64Var(&tol.NC1, "tol-nc1", def.NC1, "`tolerance` on NC1")
	fs.Float64Var(&tol.Margin, "tol-margin", def.Margin, "`tolerance` on the margin error, relative to max(1, max M_k)")
	fs.Float64Var(&tol.Cos, "tol-cos", def.Cos, "`tolerance` on max |cos(mu_k, mu_l)|, k != l")
	fs.Float64Var(&tol.Collapse, "tol-collapse", def.Collapse, "a class counts as collapsed when its margin equivalent ||mu_k||^2 sqrt(K lambda_H n_k/((K-1) lambda_W)) (= M_k at the prediction) is at most this `fraction` of max(1, the largest)")
	jobs := fs.Int("j", runtime.NumCPU(), "settings solved in `parallel`")
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per row)")
	digits := fs.Int("digits", 2, "significant `digits` of the deviations (scientific notation)")
	out := fs.String("out", "", "stream each finished row to this JSON-lines `file` as it completes")
	resume := fs.Bool("resume", false, "with --out: keep the rows already in the file and run only the missing ones")
	plotDir := fs.String("plot", "", "write SVG and PNG figures to this `directory`")
	kkt := fs.Bool("kkt", true, "add the exact (big-float) KKT residual of the predicted point as a column")
	setUsage(fs, "(--suite NAME | --grid FILE | --n ... --d ... --lambda-w ... --lambda-h ...) [flags]", verifyDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	fail := func(err error) int { return badInput(stderr, "verify", err) }

	// Settings.
	sources := 0
	for _, set := range []bool{*suite != "", *grid != "", sf.n != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return fail(errors.New("give exactly one of --suite, --grid, or --n (with --d, --lambda-w, --lambda-h)"))
	}
	var cases []verify.Case
	switch {
	case *suite != "":
		b, err := nccheck.Suite(*suite)
		if err != nil {
			return fail(&setting.InputError{Flag: "--suite", Value: strconv.Quote(*suite), Reason: err.Error()})
		}
		_, cs, err := verify.ParseGrid(strings.NewReader(string(b)))
		if err != nil {
			return fail(err)
		}
		cases = cs
	case *grid != "":
		f, err := os.Open(*grid)
		if err != nil {
			return fail(&setting.InputError{Flag: "--grid", Value: strconv.Quote(*grid), Reason: err.Error()})
		}
		_, cs, err := verify.ParseGrid(f)
		f.Close()
		if err != nil {
			return fail(&setting.InputError{Flag: "--grid", Value: strconv.Quote(*grid), Reason: err.Error()})
		}
		cases = cs
	default:
		s, err := sf.setting()
		if err != nil {
			return fail(err)
		}
		cases = []verify.Case{{Name: "setting", Setting: s}}
	}

	for _, c := range cases {
		if nd := float64(c.Setting.N()) * float64(c.Setting.Dim); nd > optimize.MaxVariables {
			return fail(&setting.InputError{Flag: "--n/--d", Value: fmt.Sprintf("%s: N=%d d=%d", c.Name, c.Setting.N(), c.Setting.Dim),
				Reason: fmt.Sprintf("N*d = %.3g feature variables exceed the solver's limit %d", nd, optimize.MaxVariables)})
		}
	}

	var formulas []closedform.Formula
	switch *formula {
	case "both":
		formulas = []closedform.Formula{closedform.FormulaPaper, closedform.FormulaAuthorsCode}
	default:
		f, err := closedform.ParseFormula(*formula)
		if err != nil {
			return fail(&setting.InputError{Flag: "--formula", Value: strconv.Quote(*formula), Reason: "must be paper, authors-code or both"})
		}
		formulas = []closedform.Formula{f}
	}
	if err := checkPrec(*prec); err != nil {
		return fail(err)
	}
	for _, t := range []struct {
		flag string
		v    float64
	}{{"--tol-objective", tol.Objective}, {"--tol-geometry", tol.Geometry}, {"--tol-nc1", tol.NC1}, {"--tol-margin", tol.Margin}, {"--tol-cos", tol.Cos}, {"--tol-collapse", tol.Collapse}} {
		if !(t.v > 0) || t.v > 1e300 {
			return fail(&setting.InputError{Flag: t.flag, Value: strconv.FormatFloat(t.v, 'g', -1, 64), Reason: "must be a finite positive number"})
		}
	}
	if *jobs < 1 {
		return fail(&setting.InputError{Flag: "-j", Value: strconv.Itoa(*jobs), Reason: "must be at least 1"})
	}
	if err := checkFormat(*format, verify.Formats...); err != nil {
		return fail(err)
	}
	if *digits < 1 || *digits > 17 {
		return fail(&setting.InputError{Flag: "--digits", Value: strconv.Itoa(*digits), Reason: "must be between 1 and 17"})
	}
	if *resume && *out == "" {
		return fail(&setting.InputError{Flag: "--resume", Reason: "needs --out FILE"})
	}
	solver, err := so.solver(*jobs)
	if err != nil {
		return fail(err)
	}

	// Resume: read the rows already in --out.
	var kept []verify.Row
	skip := map[string]bool{}
	keepBytes := int64(0)
	if *resume {
		rows, end, err := readRows(*out)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fail(&setting.InputError{Flag: "--out", Value: strconv.Quote(*out), Reason: err.Error()})
		}
		for _, r := range rows {
			skip[r.Key] = true
		}
		kept, keepBytes = rows, end
	}
	var sink *rowSink
	if *out != "" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if *resume {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(*out, flags, 0o644)
		if err == nil && *resume {
			// Drop a torn last line left by an interrupted run.
			err = f.Truncate(keepBytes)
		}
		if err != nil {
			return fail(&setting.InputError{Flag: "--out", Value: strconv.Quote(*out), Reason: err.Error()})
		}
		defer f.Close()
		sink = &rowSink{w: f}
	}
	if *plotDir != "" {
		if err := os.MkdirAll(*plotDir, 0o755); err != nil {
			return fail(&setting.InputError{Flag: "--plot", Value: strconv.Quote(*plotDir), Reason: err.Error()})
		}
	}

	cfg := verify.Config{Formulas: formulas, Prec: *prec, Tol: tol, Seed: *seed, Jobs: *jobs, Solver: solver, SkipKeys: skip}
	if *kkt {
		cfg.Extra = exactKKTChecker()
	}
	total := 0
	for _, c := range cases {
		for _, f := range formulas {
			if !skip[verify.KeyOf(c, f)] {
				total++
			}
		}
	}
	prog := newProgress(stderr, total)
	rows, err := verify.Run(context.Background(), cases, cfg, func(r verify.Row) error {
		prog.step()
		if sink != nil {
			return sink.write(r)
		}
		return nil
	})
	prog.done()
	if err != nil {
		return failure(stderr, "verify", err)
	}
	// Merge resumed rows, in case order.
	if len(kept) > 0 {
		rows = mergeRows(cases, formulas, kept, rows)
	}
	if err := verify.WriteRows(stdout, rows, *format, *digits, *kkt); err != nil {
		return failure(stderr, "verify", err)
	}
	if *plotDir != "" {
		if err := writePlots(*plotDir, cases, rows, *suite); err != nil {
			return failure(stderr, "verify", err)
		}
	}
	if !verify.AllPass(rows) {
		return exitFailed
	}
	return exitOK
}

// rowSink appends rows as JSON lines, flushing after each so an interrupted
// run loses nothing that finished.
type rowSink struct {
	mu sync.Mutex
	w  *os.File
}

func (s *rowSink) write(r verify.Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return s.w.Sync()
}

// readRows reads a JSON-lines file of rows and returns them with the byte
// offset just past the last complete row (and its newline). A torn last line
// (an interrupted write) is ignored; any other malformed line is an error.
func readRows(path string) ([]verify.Row, int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var rows []verify.Row
	var end int64
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, line := range lines {
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			end += int64(len(line))
			continue
		}
		var r verify.Row
		if err := json.Unmarshal(text, &r); err != nil || r.Key == "" {
			if i == len(lines)-1 {
				break // torn last line
			}
			return nil, 0, fmt.Errorf("line %d is not a verify row", i+1)
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			break // complete JSON but no newline: rerun it rather than guess
		}
		rows = append(rows, r)
		end += int64(len(line))
	}
	return rows, end, nil
}

// mergeRows orders resumed and new rows by case, then formula.
func mergeRows(cases []verify.Case, formulas []closedform.Formula, kept, fresh []verify.Row) []verify.Row {
	byKey := map[string]verify.Row{}
	for _, r := range kept {
		byKey[r.Key] = r
	}
	for _, r := range fresh {
		byKey[r.Key] = r
	}
	var out []verify.Row
	for _, c := range cases {
		for _, f := range formulas {
			if r, ok := byKey[verify.KeyOf(c, f)]; ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// progress draws a bar with an ETA on stderr when it is a terminal.
type progress struct {
	w     io.Writer
	on    bool
	total int
	n     int
	start time.Time
	mu    sync.Mutex
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.on = total > 0
		}
	}
	p.draw()
	return p
}

func (p *progress) step() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
	p.draw()
}

func (p *progress) draw() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	const width = 30
	filled := width * p.n / p.total
	eta := "--"
	if p.n > 0 {
		el := time.Since(p.start)
		rem := time.Duration(float64(el) / float64(p.n) * float64(p.total-p.n))
		eta = rem.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d rows, ETA %s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total, eta)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 70))
	}
}
