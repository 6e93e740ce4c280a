package main

import (
	"bytes"
	"context"
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
	"nccheck/internal/regfile"
	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
)

const verifyDescription = `
Runs both paths on each setting, the closed-form prediction (arbitrary
precision) and the float64 solver of the full training problem, and tabulates
the deviations of theory.md section 8 with a verdict per row. The prediction
is the paper's theorem (section 2); with --bias the orthogonal structure of
section 4; for the plain UFM (--no-relu) with balanced counts the simplex ETF
of section 9.

  agree           every deviation within its tolerance, and the prediction's
                  big-float certificate proves f* is the global minimum
                  (gap at most 2^-proof-bits max(1,|f*|))
  certified       no prediction, and the float64 certificate at the solver's
                  point brackets the global minimum within --tol-objective
  refuted         f* below a certified lower bound (the solver point's, or the
                  prediction's own) by more than the tolerance: no point has f*
  counterexample  numerical objective below f* by more than --tol-objective
  solver-gap      numerical objective above f* by more than --tol-objective
  mismatch        objectives agree; geometry or proof does not (notes say which)
  out-of-scope    no prediction (the imbalanced plain UFM, the authors' formula
                  with a bias or without ReLU, or d below the number of alive
                  classes) and a bracket wider than --tol-objective
  error           the row could not be computed (reason under the table)

Column "proof": the prediction's certificate gap max(f*, f(point)) - LB in
big-float arithmetic with directed rounding, or, marked ~, the float64
bracket f_num - LB at the solver's point where there is no prediction.

Settings: one from --n/--d/--lambda-w/--lambda-h, a built-in --suite, or a
--grid JSON file (schema in the README). The text table shows a summary of
the columns (--columns all for every one); --shard i/n runs a part of the
settings, and 'nccheck report' merges the parts' --out files. Exit status 0 when every row is agree,
certified or out-of-scope, 1 otherwise, 2 on bad input.`

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, true)
	suite := fs.String("suite", "", "built-in `suite`: "+strings.Join(nccheck.SuiteNames(), ", "))
	grid := fs.String("grid", "", "JSON grid `file` of settings (schema in the README)")
	theory := registerTheory(fs, "`theories` compared, one row each per setting: "+theoryHelp)
	prec := fs.Uint("prec", closedform.DefaultPrec, "`bits` for the closed form")
	seed := fs.Uint64("seed", 1, "solver `seed` (the same for every setting)")
	restarts := fs.Int("restarts", 4, "solver random `restarts` per setting")
	solverTol := fs.Float64("tol", 1e-10, "solver stopping `residual` (KKT residual of theory.md section 5)")
	maxIter := fs.Int("max-iter", 20000, "solver iteration `limit` per local run")
	def := verify.DefaultTolerances()
	tol := def
	fs.Float64Var(&tol.Objective, "tol-objective", def.Objective, "`tolerance` on the relative objective gap (f_num - f*)/max(1,|f*|)")
	fs.Float64Var(&tol.Geometry, "tol-geometry", def.Geometry, "`tolerance` on NC2_H, NC2_W, NC2_WWT and NC3_WH")
	fs.Float64Var(&tol.NC1, "tol-nc1", def.NC1, "`tolerance` on NC1")
	fs.Float64Var(&tol.Margin, "tol-margin", def.Margin, "`tolerance` on the margin error, relative to max(1, max M_k)")
	fs.Float64Var(&tol.Cos, "tol-cos", def.Cos, "`tolerance` on max |cos(mu_k, mu_l) - c*|, k != l (c* = 0 for orthogonal means)")
	fs.Float64Var(&tol.Collapse, "tol-collapse", def.Collapse, "a class counts as collapsed when its margin equivalent ||mu_k||^2 sqrt(K lambda_H n_k/((K-1) lambda_W)) (= M_k at the prediction) is at most this `fraction` of max(1, the largest)")
	fs.IntVar(&tol.ProofBits, "proof-bits", 0, "the proof tolerance 2^-`B` max(1,|f*|) on the prediction's certificate gap; 0 means --prec - 32")
	jobs := fs.Int("j", runtime.NumCPU(), "settings solved in `parallel`")
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per row)")
	columns := fs.String("columns", "default", "table `columns`: default (text: a summary that fits 120 characters; other formats: all), all, or a comma list of "+strings.Join(verify.ColumnNames(), ","))
	digits := fs.Int("digits", 2, "significant `digits` of the deviations (scientific notation)")
	out := fs.String("out", "", "stream each finished row to this JSON-lines `file` as it completes")
	resume := fs.Bool("resume", false, "with --out: keep the rows already in the file and run only the missing ones; the file's header must match this run's flags and grid")
	force := fs.Bool("force", false, "with --resume: keep the rows of a file written with other flags that change results (--seed, the tolerances, --proof-bits, --prec, --restarts, --tol, --max-iter, --theory, --kkt); this run's rows follow a new header line, and 'nccheck report' shows the mixture only with --force")
	plotDir := fs.String("plot", "", "write SVG and PNG figures to this `directory`")
	kkt := fs.Bool("kkt", true, "add the exact (big-float) KKT residual of the predicted point as a column")
	shardText := fs.String("shard", "", "run only shard `i/n` of the settings (those with index mod n = i-1); merge shards' --out files with 'nccheck report'")
	setUsage(fs, "(--suite NAME | --grid FILE | --n ... --d ... --lambda-w ... --lambda-h ...) [flags]", verifyDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	fail := func(err error) int { return badInput(stderr, "verify", err) }

	cases, err := settingsOf(*suite, *grid, &sf)
	if err != nil {
		return fail(err)
	}
	theorySet, err := theory.set()
	if err != nil {
		return fail(err)
	}
	theories := []closedform.Theory(theorySet)
	if err := checkPrec(*prec); err != nil {
		return fail(err)
	}
	for _, t := range []struct {
		flag string
		v    float64
	}{{"--tol-objective", tol.Objective}, {"--tol-geometry", tol.Geometry}, {"--tol-nc1", tol.NC1}, {"--tol-margin", tol.Margin}, {"--tol-cos", tol.Cos}, {"--tol-collapse", tol.Collapse}} {
		if !(t.v > 0) || t.v > 1e300 {
			return fail(&setting.InputError{Field: t.flag, Value: strconv.FormatFloat(t.v, 'g', -1, 64), Reason: "must be a finite positive number"})
		}
	}
	if tol.ProofBits == 0 {
		tol.ProofBits = verify.DefaultProofBits(*prec)
	}
	if tol.ProofBits < 1 || tol.ProofBits > int(*prec) {
		return fail(&setting.InputError{Field: "--proof-bits", Value: strconv.Itoa(tol.ProofBits),
			Reason: fmt.Sprintf("must be between 1 and --prec (%d): the certificate is tight to about 2^-prec", *prec)})
	}
	switch {
	case *jobs < 1:
		return fail(&setting.InputError{Field: "-j", Value: strconv.Itoa(*jobs), Reason: "must be at least 1"})
	case *restarts < 1:
		return fail(&setting.InputError{Field: "--restarts", Value: strconv.Itoa(*restarts), Reason: "must be at least 1"})
	case !(*solverTol > 0) || *solverTol > 1:
		return fail(&setting.InputError{Field: "--tol", Value: strconv.FormatFloat(*solverTol, 'g', -1, 64), Reason: "must be a positive number at most 1"})
	case *maxIter < 1:
		return fail(&setting.InputError{Field: "--max-iter", Value: strconv.Itoa(*maxIter), Reason: "must be at least 1"})
	}
	cols, err := checkTableFlags(*format, *columns, *digits)
	if err != nil {
		return fail(err)
	}
	var shard verify.Shard
	if *shardText != "" {
		if shard, err = verify.ParseShard(*shardText); err != nil {
			return fail(err)
		}
	}
	if *resume && *out == "" {
		return fail(&setting.InputError{Field: "--resume", Reason: "needs --out FILE"})
	}
	if *force && !*resume {
		return fail(&setting.InputError{Field: "--force", Reason: "needs --resume (it keeps rows written with other flags)"})
	}
	if *plotDir != "" {
		if err := os.MkdirAll(*plotDir, 0o755); err != nil {
			return fail(&setting.InputError{Field: "--plot", Value: strconv.Quote(*plotDir), Reason: err.Error()})
		}
	}

	workers := max(1, runtime.GOMAXPROCS(0) / *jobs)
	solverSet := optimize.Settings{Tol: *solverTol, MaxIter: *maxIter, Restarts: *restarts, Workers: workers}
	if err := verify.CheckLimits(cases, solverSet, *jobs); err != nil {
		return fail(err)
	}
	cfg := verify.Config{Theories: theories, Prec: *prec, Tol: tol, Seed: *seed, Jobs: *jobs, ExactKKT: *kkt,
		Solver: verify.NewSolver(solverSet), Shard: shard}
	var (
		sink *verify.RowFile
		kept []verify.Row
	)
	if *out != "" {
		header := verify.HeaderOf(cases, cfg)
		var rs *verify.Rows
		sink, rs, err = verify.OpenRowFile(*out, verify.RowFileOptions{Header: header, Cases: cases, Theories: theoryNames(theories), Resume: *resume, Force: *force})
		if err != nil {
			return fail(&setting.InputError{Field: "--out", Value: strconv.Quote(*out), Reason: rowFileReason(err, "verify")})
		}
		defer sink.Close()
		for _, h := range rs.Headers {
			if m := h.Mismatch(header); m != nil {
				fmt.Fprintf(stderr, "nccheck verify: --force: %s: %s; its %d rows are kept as they were judged\n", *out, m, len(rs.Rows))
				break
			}
		}
		kept = rs.Rows
	}
	cfg.SkipKeys = verify.Keys(kept)
	total := 0
	for i, c := range cases {
		if !shard.Has(i) {
			continue
		}
		for _, th := range theories {
			if !cfg.SkipKeys[verify.KeyOf(c, th.Name())] {
				total++
			}
		}
	}
	prog := newProgress(stderr, total)
	rows, err := verify.Run(context.Background(), cases, cfg, func(r verify.Row) error {
		prog.step()
		if sink != nil {
			return sink.Write(r)
		}
		return nil
	})
	prog.done()
	if err != nil {
		return failure(stderr, "verify", err)
	}
	if len(kept) > 0 {
		if rows, err = verify.Merge(kept, rows); err != nil {
			return failure(stderr, "verify", err)
		}
	}
	if err := verify.Write(stdout, rows, verify.WriteOptions{Format: *format, Digits: *digits, Columns: cols}); err != nil {
		return failure(stderr, "verify", err)
	}
	if *format == "text" {
		for _, p := range verify.SELIPaths(rows) {
			fmt.Fprintln(stdout, p)
		}
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

// theoryNames lists the theories' names.
func theoryNames(ths []closedform.Theory) []string {
	out := make([]string, len(ths))
	for i, th := range ths {
		out[i] = th.Name()
	}
	return out
}

// rowFileReason says why a row file was refused, naming what to do.
func rowFileReason(err error, cmd string) string {
	var hm *verify.HeaderMismatchError
	var le *regfile.LockedError
	switch {
	case errors.As(err, &hm) && cmd == "verify":
		return hm.Error() + "; --force keeps them anyway"
	case errors.As(err, &hm):
		return hm.Error() + "; --force reads them anyway"
	case errors.As(err, &le):
		return "the file " + strings.TrimPrefix(le.Error(), le.Path+" ")
	}
	return checkReason(err)
}

// settingsOf reads the cases of a run: a built-in suite, a grid file, or the
// single setting of the setting flags (exactly one of them).
func settingsOf(suite, grid string, sf *settingFlags) ([]verify.Case, error) {
	sources := 0
	for _, set := range []bool{suite != "", grid != "", sf.n != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("give exactly one of --suite, --grid, or --n (with --d, --lambda-w, --lambda-h)")
	}
	switch {
	case suite != "":
		b, err := nccheck.Suite(suite)
		if err != nil {
			return nil, &setting.InputError{Field: "--suite", Value: strconv.Quote(suite), Reason: err.Error()}
		}
		_, cs, err := verify.ParseGrid(bytes.NewReader(b))
		return cs, err
	case grid != "":
		f, _, err := regfile.Open(grid)
		if err != nil {
			return nil, &setting.InputError{Field: "--grid", Value: strconv.Quote(grid), Reason: checkReason(err)}
		}
		defer f.Close()
		_, cs, err := verify.ParseGrid(f)
		if err != nil {
			return nil, &setting.InputError{Field: "--grid", Value: strconv.Quote(grid), Reason: flagMessage(err)}
		}
		return cs, nil
	}
	s, err := sf.setting()
	if err != nil {
		return nil, err
	}
	return []verify.Case{{Name: "setting", Setting: s}}, nil
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
