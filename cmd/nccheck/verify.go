package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"nccheck"
	"nccheck/closedform"
	"nccheck/internal/regfile"
	"nccheck/optimize"
	"nccheck/setting"
	"nccheck/verify"
	"nccheck/verify/render"
	"nccheck/verify/rowfile"
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
  certified       no prediction, and the certificate at the solver's point
                  brackets the global minimum within --tol-objective
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
big-float arithmetic with directed rounding, or, where there is no
prediction, the bracket f(point) - LB at the solver's point: proved in
big-float at --prec bits when G K (G distinct feature columns) is within
--proof-budget, else in float64, marked ~ (evidence, not a proof).

Settings: one from --n/--d/--lambda-w/--lambda-h, a built-in --suite, or a
--grid JSON file (schema in the README). The text table shows a summary of
the columns (--columns all for every one); --shard i/n runs a part of the
settings, and 'nccheck report' merges the parts' --out files. Ctrl-C (or
SIGTERM) stops the run: the rows finished so far stay in the --out file and
--resume runs the rest. Exit status 0 when every row is agree, certified or
out-of-scope, 1 otherwise, 2 on bad input, 130 when interrupted.`

// verifyFlags are the flags of verify.
type verifyFlags struct {
	sf                                                settingFlags
	theory                                            *theoryFlag
	suite, grid, format, columns, out, plotDir, shard *string
	prec                                              *uint
	seed                                              *uint64
	restarts, maxIter, jobs, digits                   *int
	proofBudget                                       *int64
	solverTol                                         *float64
	resume, force, kkt                                *bool
	tol                                               verify.Tolerances
}

// registerVerifyFlags adds verify's flags to fs.
func registerVerifyFlags(fs *flag.FlagSet) *verifyFlags {
	vf := &verifyFlags{}
	vf.sf.register(fs, true)
	vf.suite = fs.String("suite", "", "built-in `suite`: "+strings.Join(nccheck.SuiteNames(), ", "))
	vf.grid = fs.String("grid", "", "JSON grid `file` of settings (schema in the README)")
	vf.theory = registerTheory(fs, "`theories` compared, one row each per setting: "+theoryHelp)
	vf.prec = fs.Uint("prec", closedform.DefaultPrec, "`bits` for the closed form")
	vf.seed = fs.Uint64("seed", 1, "solver `seed` (the same for every setting)")
	vf.restarts = fs.Int("restarts", 4, "solver random `restarts` per setting")
	vf.solverTol = fs.Float64("tol", 1e-10, "solver stopping `residual` (KKT residual of theory.md section 5)")
	vf.maxIter = fs.Int("max-iter", 20000, "solver iteration `limit` per local run")
	def := verify.DefaultTolerances()
	vf.tol = def
	fs.Float64Var(&vf.tol.Objective, "tol-objective", def.Objective, "`tolerance` on the relative objective gap (f_num - f*)/max(1,|f*|)")
	fs.Float64Var(&vf.tol.Geometry, "tol-geometry", def.Geometry, "`tolerance` on NC2_H, NC2_W, NC2_WWT and NC3_WH")
	fs.Float64Var(&vf.tol.NC1, "tol-nc1", def.NC1, "`tolerance` on NC1")
	fs.Float64Var(&vf.tol.Margin, "tol-margin", def.Margin, "`tolerance` on the margin error, relative to max(1, max M_k)")
	fs.Float64Var(&vf.tol.Cos, "tol-cos", def.Cos, "`tolerance` on max |cos(mu_k, mu_l) - c*|, k != l (c* = 0 for orthogonal means)")
	fs.Float64Var(&vf.tol.Collapse, "tol-collapse", def.Collapse, "a class counts as collapsed when its margin equivalent ||mu_k||^2 sqrt(K lambda_H n_k/((K-1) lambda_W)) (= M_k at the prediction) is at most this `fraction` of max(1, the largest)")
	fs.IntVar(&vf.tol.ProofBits, "proof-bits", 0, "the proof tolerance 2^-`B` max(1,|f*|) on the prediction's certificate gap; 0 means --prec - 32")
	vf.proofBudget = fs.Int64("proof-budget", verify.DefaultProofBudget, "prove the bracket at the solver's point in big-float at --prec bits when it costs at most this many softmax `terms` (G K, G its distinct feature columns; about 27 us each at 256 bits); 0: never, float64 only")
	vf.jobs = fs.Int("j", runtime.NumCPU(), "settings solved in `parallel`")
	vf.format = fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per row)")
	vf.columns = fs.String("columns", "default", "table `columns`: default (text: a summary that fits 120 columns, the verdicts' notes under it; other formats: all), all, or a comma list of "+strings.Join(render.ColumnNames(), ", "))
	vf.digits = fs.Int("digits", 2, "significant `digits` of the deviations (scientific notation)")
	vf.out = fs.String("out", "", "stream each finished row to this JSON-lines `file` as it completes")
	vf.resume = fs.Bool("resume", false, "with --out: keep the rows already in the file and run only the missing ones; the file's header must match this run's flags and grid")
	vf.force = fs.Bool("force", false, "with --resume: keep the rows of a file written with other flags that change results (--seed, the tolerances, --proof-bits, --prec, --restarts, --tol, --max-iter, --theory, --kkt); this run's rows follow a new header line, and 'nccheck report' shows the mixture only with --force")
	vf.plotDir = fs.String("plot", "", "write SVG and PNG figures to this `directory`")
	vf.kkt = fs.Bool("kkt", true, "add the exact (big-float) KKT residual of the predicted point as a column")
	vf.shard = fs.String("shard", "", "run only shard `i/n` of the settings (those with index mod n = i-1); merge shards' --out files with 'nccheck report'")
	return vf
}

// checkNumbers validates the tolerances and the solver's flags, and sets
// the default proof tolerance.
func (vf *verifyFlags) checkNumbers() error {
	if err := checkPrec(*vf.prec); err != nil {
		return err
	}
	t := &vf.tol
	for _, f := range []struct {
		flag string
		v    float64
	}{{"--tol-objective", t.Objective}, {"--tol-geometry", t.Geometry}, {"--tol-nc1", t.NC1}, {"--tol-margin", t.Margin}, {"--tol-cos", t.Cos}, {"--tol-collapse", t.Collapse}} {
		if !(f.v > 0) || f.v > 1e300 {
			return &setting.InputError{Field: f.flag, Value: strconv.FormatFloat(f.v, 'g', -1, 64), Reason: "must be a finite positive number"}
		}
	}
	if t.ProofBits == 0 {
		t.ProofBits = verify.DefaultProofBits(*vf.prec)
	}
	positive := func(flag string, v int) error {
		return &setting.InputError{Field: flag, Value: strconv.Itoa(v), Reason: "must be at least 1"}
	}
	switch {
	case t.ProofBits < 1 || t.ProofBits > int(*vf.prec):
		return &setting.InputError{Field: "--proof-bits", Value: strconv.Itoa(t.ProofBits),
			Reason: fmt.Sprintf("must be between 1 and --prec (%d): the certificate is tight to about 2^-prec", *vf.prec)}
	case *vf.proofBudget < 0:
		return &setting.InputError{Field: "--proof-budget", Value: strconv.FormatInt(*vf.proofBudget, 10), Reason: "must be 0 (never) or positive"}
	case *vf.jobs < 1:
		return positive("-j", *vf.jobs)
	case *vf.restarts < 1:
		return positive("--restarts", *vf.restarts)
	case !(*vf.solverTol > 0) || *vf.solverTol > 1:
		return &setting.InputError{Field: "--tol", Value: strconv.FormatFloat(*vf.solverTol, 'g', -1, 64), Reason: "must be a positive number at most 1"}
	case *vf.maxIter < 1:
		return positive("--max-iter", *vf.maxIter)
	}
	return nil
}

// setup validates the flags and returns the run's cases, its
// configuration (no skipped keys yet) and the table options.
func (vf *verifyFlags) setup() ([]verify.Case, verify.Config, render.WriteOptions, error) {
	var cfg verify.Config
	var opt render.WriteOptions
	cases, err := settingsOf(*vf.suite, *vf.grid, &vf.sf)
	if err != nil {
		return nil, cfg, opt, err
	}
	theories, err := vf.theory.set()
	if err != nil {
		return nil, cfg, opt, err
	}
	if err := vf.checkNumbers(); err != nil {
		return nil, cfg, opt, err
	}
	cols, err := checkTableFlags(*vf.format, *vf.columns, *vf.digits)
	if err != nil {
		return nil, cfg, opt, err
	}
	opt = render.WriteOptions{Format: *vf.format, Digits: *vf.digits, Columns: cols}
	if *vf.shard != "" {
		if cfg.Shard, err = verify.ParseShard(*vf.shard); err != nil {
			return nil, cfg, opt, err
		}
	}
	switch {
	case *vf.resume && *vf.out == "":
		return nil, cfg, opt, &setting.InputError{Field: "--resume", Reason: "needs --out FILE"}
	case *vf.force && !*vf.resume:
		return nil, cfg, opt, &setting.InputError{Field: "--force", Reason: "needs --resume (it keeps rows written with other flags)"}
	}
	if *vf.plotDir != "" {
		if err := os.MkdirAll(*vf.plotDir, 0o755); err != nil {
			return nil, cfg, opt, &setting.InputError{Field: "--plot", Value: strconv.Quote(*vf.plotDir), Reason: err.Error()}
		}
	}
	// The cores are shared by the settings solved at once (-j, at most the
	// number of settings): a single setting gets all of them, as in solve,
	// and its memory is predicted the same way.
	atOnce := max(1, min(*vf.jobs, len(cases)))
	solverSet := optimize.Settings{Tol: *vf.solverTol, MaxIter: *vf.maxIter, Restarts: *vf.restarts, Workers: max(1, runtime.GOMAXPROCS(0)/atOnce),
		CertTol: vf.tol.Objective}
	if err := verify.CheckLimits(cases, solverSet, *vf.jobs); err != nil {
		return nil, cfg, opt, err
	}
	cfg.Theories, cfg.Prec, cfg.Tol, cfg.Seed, cfg.Jobs, cfg.ExactKKT = theories, *vf.prec, vf.tol, *vf.seed, *vf.jobs, *vf.kkt
	cfg.Solver = verify.NewSolver(solverSet)
	cfg.ProofBudget = *vf.proofBudget
	if cfg.ProofBudget == 0 {
		cfg.ProofBudget = -1 // never
	}
	return cases, cfg, opt, nil
}

// openSink opens the --out row file (nil without --out) and returns it
// with the rows it keeps (--resume), noting on stderr a file written with
// other flags (--force).
func (vf *verifyFlags) openSink(cases []verify.Case, cfg verify.Config, stderr io.Writer) (*rowfile.File, []verify.Row, error) {
	if *vf.out == "" {
		return nil, nil, nil
	}
	header := rowfile.HeaderOf(cases, cfg)
	sink, rs, err := rowfile.Open(*vf.out, rowfile.Options{Header: header, Cases: cases, Theories: cfg.TheoryNames(), Resume: *vf.resume, Force: *vf.force})
	if err != nil {
		return nil, nil, &setting.InputError{Field: "--out", Value: strconv.Quote(*vf.out), Reason: rowFileReason(err, "verify")}
	}
	for _, h := range rs.Headers {
		if m := h.Mismatch(header); m != nil {
			fmt.Fprintf(stderr, "nccheck verify: --force: %s: %s; its %d rows are kept as they were judged\n", *vf.out, m, len(rs.Rows))
			break
		}
	}
	return sink, rs.Rows, nil
}

// runVerify runs verify until it ends or the process is interrupted
// (SIGINT, SIGTERM): then the running solves stop, the rows written so far
// stay in the --out file, and the status is exitInterrupted.
func runVerify(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return verifyContext(ctx, args, stdout, stderr)
}

// verifyContext is verify with a context whose cancellation interrupts it.
func verifyContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	vf := registerVerifyFlags(fs)
	setUsage(fs, "(--suite NAME | --grid FILE | --n ... --d ... --lambda-w ... --lambda-h ...) [flags]", verifyDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	cases, cfg, opt, err := vf.setup()
	if err != nil {
		return badInput(stderr, "verify", err)
	}
	sink, kept, err := vf.openSink(cases, cfg, stderr)
	if err != nil {
		return badInput(stderr, "verify", err)
	}
	if sink != nil {
		defer sink.Close()
	}
	cfg.SkipKeys = rowfile.Keys(kept)
	prog := newProgress(stderr, verify.NewPlan(cases, cfg).Rows)
	rows, err := verify.Run(ctx, cases, cfg, func(r verify.Row) error {
		prog.step()
		if sink != nil {
			return sink.Write(r)
		}
		return nil
	})
	prog.done()
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "nccheck verify: interrupted after %d of %d rows%s\n", len(rows), prog.total, keptNote(*vf.out))
		return exitInterrupted
	}
	if err != nil {
		return failure(stderr, "verify", err)
	}
	if rows, err = rowfile.Merge(kept, rows); err != nil {
		return failure(stderr, "verify", err)
	}
	return writeVerify(stdout, stderr, rows, opt, cases, *vf.suite, *vf.plotDir)
}

// keptNote says where the rows of an interrupted run are.
func keptNote(out string) string {
	if out == "" {
		return " (no --out file: nothing kept)"
	}
	return "; they are in " + out + ", and --resume runs the rest"
}

// writeVerify renders the rows, the SELI path fits and the figures, and
// returns the exit status of the rows.
func writeVerify(stdout, stderr io.Writer, rows []verify.Row, opt render.WriteOptions, cases []verify.Case, suite, plotDir string) int {
	if err := render.Write(stdout, rows, opt); err != nil {
		return failure(stderr, "verify", err)
	}
	if opt.Format == "text" {
		for _, p := range verify.SELIPaths(rows) {
			fmt.Fprintln(stdout, p)
		}
	}
	if plotDir != "" {
		if err := writePlots(plotDir, cases, rows, suite); err != nil {
			return failure(stderr, "verify", err)
		}
	}
	if !verify.AllPass(rows) {
		return exitFailed
	}
	return exitOK
}

// rowFileReason says why a row file was refused, naming what to do.
func rowFileReason(err error, cmd string) string {
	var hm *rowfile.MismatchError
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
