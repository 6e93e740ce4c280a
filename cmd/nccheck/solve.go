package main

import (
	"bufio"

	"codeberg.org/sbinet/npyio/npy"

	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"nccheck/internal/report"
	"nccheck/internal/sysmem"
	"nccheck/metrics"
	"nccheck/optimize"
	"nccheck/setting"
)

const solveDescription = `
Solves the training problem of theory.md section 1 numerically in float64,
over all of W (K x d), H (d x N, one column per sample, classes in order) and
b, without using the predicted structure: projected L-BFGS (L-BFGS-B family)
for H >= 0 from --restarts random starts run in parallel, each followed by
escapes from stationary points above the minimum (dead, all-zero classes, and
classes sharing feature coordinates): a class is moved onto a free coordinate
when the gradient shows a descent direction, and the move is kept only if it
lowers the objective. A run converges
when the KKT residual of theory.md section 5,
max(|grad_W|_inf, |grad_b|_inf, |min(H, grad_H)|_inf), is at most --tol.

At the end of every restart the lower bound of theory.md section 11 (valid
for every d) is computed at its point in float64 (certificate.AtPoint): a
bracket [lower bound, f] around the global minimum. A restart whose bracket is
at most --cert-tol max(1, |f|) wide is certified globally optimal to that
width, and no further restart is needed: --restarts is a ceiling, the
restarts after the first certified one are not run (or are stopped), and the
result is decided by the restarts up to it, whatever the number of cores.
A restart whose bracket is wider is first polished: the same method
continues from its point with a KKT tolerance 100 times below the residual
reached (not below 1e-13), at most --max-iter iterations, and the bound is
computed again, up to 3 rounds, until the bracket is within --cert-tol or no
longer shrinks; only then does the next restart count. The polishing rounds
and their evaluations are reported. --cert-tol 0 runs every restart, without
polishing. The bracket is float64 arithmetic with its
rounding error (about 1e-16 relative times the condition of its sums), not a
proof; nccheck kkt proves the prediction in big-float. The best point's
bracket, omega/s (its dual norm over sqrt(lambda_W lambda_H)) and the classes
of a descent direction, if any, are printed. The reported restarts (numbered
from 0) are the ones that decide the result. Same --seed, same bits.

--out DIR writes W.csv, H.csv (and b.csv) and W.npy, H.npy (and b.npy).
Exit status 1 when the objective is not finite; 0 otherwise, also when a run
did not converge (the report says so).`

func runSolve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("solve", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, true)
	restarts := fs.Int("restarts", 4, "most random `restarts`, run in parallel, >= 1 (a ceiling: none after a certified one)")
	certTol := fs.Float64("cert-tol", 1e-8, "relative bracket `width` that certifies a restart and stops the others (0: run all)")
	seed := fs.Uint64("seed", 1, "random `seed`; restart r uses a seed derived from it")
	tol := fs.Float64("tol", 1e-10, "stopping KKT `residual`, > 0")
	maxIter := fs.Int("max-iter", 20000, "iteration `limit` of each local run, >= 1")
	maxSeconds := fs.Float64("max-seconds", 0, "wall-time `limit` of the whole solve in seconds (0: none)")
	format := fs.String("format", "text", "output `format`: text or json")
	out := fs.String("out", "", "write W, H (and b) as .csv and .npy files into `dir` (created if missing)")
	setUsage(fs, "--n n1,n2,... --d D --lambda-w LW --lambda-h LH [flags]", solveDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return status
	}
	s, err := sf.setting()
	if err != nil {
		return badInput(stderr, "solve", err)
	}
	switch {
	case *restarts < 1:
		return badInput(stderr, "solve", &setting.InputError{Field: "--restarts", Value: strconv.Itoa(*restarts), Reason: "must be at least 1"})
	case !(*tol > 0) || math.IsInf(*tol, 0):
		return badInput(stderr, "solve", &setting.InputError{Field: "--tol", Value: strconv.FormatFloat(*tol, 'g', -1, 64), Reason: "must be a finite positive number"})
	case *maxIter < 1:
		return badInput(stderr, "solve", &setting.InputError{Field: "--max-iter", Value: strconv.Itoa(*maxIter), Reason: "must be at least 1"})
	case !(*maxSeconds >= 0) || math.IsInf(*maxSeconds, 0):
		return badInput(stderr, "solve", &setting.InputError{Field: "--max-seconds", Value: strconv.FormatFloat(*maxSeconds, 'g', -1, 64), Reason: "must be a finite number >= 0"})
	case !(*certTol >= 0) || math.IsInf(*certTol, 0):
		return badInput(stderr, "solve", &setting.InputError{Field: "--cert-tol", Value: strconv.FormatFloat(*certTol, 'g', -1, 64), Reason: "must be a finite number >= 0"})
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return badInput(stderr, "solve", err)
	}
	p, err := optimize.NewProblem(s)
	if err != nil {
		return badInput(stderr, "solve", err)
	}
	set := optimize.Settings{Tol: *tol, MaxIter: *maxIter, Restarts: *restarts, Seed: *seed,
		MaxTime: time.Duration(*maxSeconds * float64(time.Second))}
	cert, note := newSolveCertifier(s)
	if cert != nil && *certTol > 0 {
		set.Certifier, set.CertTol = cert, *certTol
	}
	res, err := optimize.Solve(p, set)
	var me *optimize.MemoryError
	if errors.As(err, &me) {
		// Predicted before anything is allocated (Problem.PredictMemory).
		return badInput(stderr, "solve", &setting.InputError{Field: "--n/--d", Value: fmt.Sprintf("N=%d d=%d", s.N(), s.Dim),
			Reason: fmt.Sprintf("the solver needs %v, above %s; --restarts sets how many run at once (one per core at most)",
				me.Prediction, limitText(me.Limit))})
	}
	if err != nil {
		if errors.Is(err, setting.ErrNonFinite) {
			return failure(stderr, "solve", err)
		}
		return failure(stderr, "solve", fmt.Errorf("solver failed: %w", err))
	}
	if math.IsNaN(res.Objective) || math.IsInf(res.Objective, 0) || math.IsNaN(res.KKTResidual) {
		return failure(stderr, "solve", fmt.Errorf("objective %v, residual %v: %w", res.Objective, res.KKTResidual, setting.ErrNonFinite))
	}
	var files []string
	if *out != "" {
		if files, err = writeSolution(*out, res); err != nil {
			return failure(stderr, "solve", err)
		}
	}
	rep, err := newSolveReport(s, res, files)
	if err != nil {
		return failure(stderr, "solve", err)
	}
	rep.RestartsMax, rep.CertTol, rep.CertificateNote = *restarts, *certTol, note
	if cert != nil {
		if rep.solveBracket, err = cert.bracketAt(res, *certTol); err != nil {
			return failure(stderr, "solve", err)
		}
		rep.CertificateSeconds = cert.time.Seconds()
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return failure(stderr, "solve", err)
		}
		return exitOK
	}
	if err := rep.writeText(stdout); err != nil {
		return failure(stderr, "solve", err)
	}
	return exitOK
}

// limitText describes a memory limit of bytes as verify's refusals do: the
// process's limit with its source when it is that one.
func limitText(bytes int64) string {
	if l := sysmem.Current(); l.Known() && l.Bytes == bytes {
		return l.Describe()
	}
	return "the limit of " + sysmem.FormatBytes(bytes)
}

// solveRestart is one restart in the JSON report.
type solveRestart struct {
	Seed        uint64  `json:"seed"`
	Objective   float64 `json:"objective"`
	KKTResidual float64 `json:"kkt_residual"`
	Converged   bool    `json:"converged"`
	Status      string  `json:"status"`
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	ZeroClasses int     `json:"zero_classes"`
	Escapes     int     `json:"escapes"`
	// PolishRounds and PolishEvaluations: the polishing of an uncertified
	// point (optimize.Settings.MaxPolish).
	PolishRounds      int     `json:"polish_rounds"`
	PolishEvaluations int     `json:"polish_evaluations"`
	Seconds           float64 `json:"seconds"`
	// LowerBound is the float64 bound at the restart's point (null when
	// none was computed); Certified reports a bracket within --cert-tol.
	LowerBound *float64 `json:"lower_bound"`
	Certified  bool     `json:"certified"`
	BoundError string   `json:"bound_error,omitempty"`
}

// solveReport is the JSON output of solve.
type solveReport struct {
	Setting     string  `json:"setting"`
	Counts      []int   `json:"n"`
	Dim         int     `json:"d"`
	LambdaW     string  `json:"lambda_w"`
	LambdaH     string  `json:"lambda_h"`
	LambdaB     string  `json:"lambda_b,omitempty"`
	Bias        bool    `json:"bias"`
	ReLU        bool    `json:"relu"`
	Objective   float64 `json:"objective"`
	KKTResidual float64 `json:"kkt_residual"`
	Tol         float64 `json:"tol"`
	Converged   bool    `json:"converged"`
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	// PolishRounds and PolishEvaluations, summed over the restarts.
	PolishRounds      int     `json:"polish_rounds"`
	PolishEvaluations int     `json:"polish_evaluations"`
	Seconds           float64 `json:"seconds"`
	BestRestart       int     `json:"best_restart"`
	ZeroClasses       int     `json:"zero_classes"`
	// The float64 certificate at the best point (lower_bound,
	// certified_gap, dual_norm_ratio, certified, descent_classes); absent
	// when the bound does not apply (certificate_note says why).
	*solveBracket
	CertTol            float64        `json:"cert_tol"`
	CertificateSeconds float64        `json:"certificate_seconds"`
	CertificateNote    string         `json:"certificate_note,omitempty"`
	RestartsMax        int            `json:"restarts_max"`
	Restarts           []solveRestart `json:"restarts"`
	HTH                [][]float64    `json:"HTH"`
	WWT                [][]float64    `json:"WWT"`
	WH                 [][]float64    `json:"WH"`
	B                  []float64      `json:"b,omitempty"`
	Files              []string       `json:"files,omitempty"`
}

func rows(m *mat.Dense) [][]float64 {
	r, _ := m.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = mat.Row(nil, i, m)
	}
	return out
}

func newSolveReport(s setting.Setting, res *optimize.Result, files []string) (*solveReport, error) {
	m, err := metrics.Measure(metrics.FromColumns(res.Point.H, metrics.ClassLabels(s.Counts)), res.Point.W, res.Point.B, metrics.Options{})
	if err != nil {
		return nil, fmt.Errorf("measuring the solution: %w", err)
	}
	hth, wwt, wh := m.HTH, m.WWT, m.WH
	r := &solveReport{
		Setting: s.String(), Counts: s.Counts, Dim: s.Dim,
		LambdaW: s.LambdaW.String(), LambdaH: s.LambdaH.String(), Bias: s.Bias, ReLU: s.ReLU(),
		Objective: res.Objective, KKTResidual: res.KKTResidual, Tol: res.Tol, Converged: res.Converged,
		Iterations: res.Stats.Iterations, Evaluations: res.Stats.Evaluations, Seconds: res.Stats.Time.Seconds(),
		PolishRounds: res.Stats.PolishRounds, PolishEvaluations: res.Stats.PolishEvaluations,
		BestRestart: res.Best, ZeroClasses: res.Restarts[res.Best].ZeroMeanClasses,
		HTH: rows(hth), WWT: rows(wwt), WH: rows(wh), B: res.Point.B, Files: files,
	}
	if s.Bias {
		r.LambdaB = s.LambdaB.String()
	}
	for _, rr := range res.Restarts {
		r.Restarts = append(r.Restarts, solveRestart{Seed: rr.Seed, Objective: rr.Objective, KKTResidual: rr.KKTResidual,
			Converged: rr.Converged, Status: rr.Status.String(), Iterations: rr.Iterations, Evaluations: rr.Evaluations,
			ZeroClasses: rr.ZeroMeanClasses, Escapes: rr.Escapes, Seconds: rr.Time.Seconds(), Certified: rr.Certified,
			PolishRounds: rr.PolishRounds, PolishEvaluations: rr.PolishEvaluations})
		last := &r.Restarts[len(r.Restarts)-1]
		if lb := rr.LowerBound; !math.IsNaN(lb) {
			last.LowerBound = &lb
		}
		if rr.BoundErr != nil {
			last.BoundError = rr.BoundErr.Error()
		}
	}
	return r, nil
}

func (r *solveReport) writeText(w io.Writer) error {
	conv := "converged"
	if !r.Converged {
		conv = fmt.Sprintf("NOT converged (residual above --tol %g)", r.Tol)
	}
	fmt.Fprintln(w, report.WrapText("setting      "+r.Setting, strings.Repeat(" ", 13)))
	fmt.Fprintf(w, "objective    %.17g\n", r.Objective)
	fmt.Fprintf(w, "KKT residual %.3g, %s\n", r.KKTResidual, conv)
	r.writeBracket(w)
	fmt.Fprintf(w, "zero classes %d (classes whose mean feature is ~0)\n", r.ZeroClasses)
	fmt.Fprintf(w, "work         %d iterations, %d gradient evaluations, %.3f s (all restarts)\n", r.Iterations, r.Evaluations, r.Seconds)
	if r.PolishRounds > 0 {
		fmt.Fprintf(w, "polishing    %d rounds, %d of the evaluations (points whose bracket was wider than --cert-tol)\n",
			r.PolishRounds, r.PolishEvaluations)
	}
	if len(r.B) > 0 {
		fmt.Fprintln(w, report.WrapText(fmt.Sprintf("b            %v", r.B), strings.Repeat(" ", 14)))
	}
	for _, f := range r.Files {
		fmt.Fprintf(w, "wrote        %s\n", f)
	}
	fmt.Fprintln(w)
	t := &report.Table{
		Title:  fmt.Sprintf("restarts (best: %d; their seeds and evaluations are in the JSON)", r.BestRestart),
		Header: []string{"restart", "objective", "KKT res", "status", "iters", "zero cls", "escapes", "seconds", "bracket", "certified"},
		Align: []report.Align{report.AlignRight, report.AlignRight, report.AlignRight, report.AlignLeft,
			report.AlignRight, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignRight, report.AlignLeft},
	}
	for i, rr := range r.Restarts {
		status := rr.Status
		switch {
		case rr.Converged && status != optimize.Converged.String():
			status += ", residual <= --tol"
		case !rr.Converged && status == optimize.Converged.String():
			status += ", residual > --tol"
		}
		width, cert := "-", "-"
		if rr.LowerBound != nil {
			width, cert = strconv.FormatFloat(rr.Objective-*rr.LowerBound, 'g', 2, 64), "no"
			if rr.Certified {
				cert = "yes"
			}
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i), strconv.FormatFloat(rr.Objective, 'g', 17, 64),
			strconv.FormatFloat(rr.KKTResidual, 'g', 3, 64), status, strconv.Itoa(rr.Iterations),
			strconv.Itoa(rr.ZeroClasses), strconv.Itoa(rr.Escapes), strconv.FormatFloat(rr.Seconds, 'f', 3, 64), width, cert})
	}
	return t.Write(w, "text")
}

// writeBracket prints the float64 certificate at the best point and the
// restarts it let the solve skip.
func (r *solveReport) writeBracket(w io.Writer) {
	b := r.solveBracket
	if b == nil {
		fmt.Fprintf(w, "lower bound  none (%s)\n", r.CertificateNote)
	} else {
		fmt.Fprintf(w, "lower bound  %.17g (theory.md section 11, every d; float64: a bracket, not a proof)\n", b.LowerBound)
		verdict := fmt.Sprintf("not within --cert-tol %g max(1, |f|)", r.CertTol)
		switch {
		case r.CertTol == 0:
			verdict = "--cert-tol 0: no restart is certified"
		case b.Certified:
			verdict = fmt.Sprintf("certified: within --cert-tol %g max(1, |f|)", r.CertTol)
		}
		fmt.Fprintf(w, "bracket      width %.3g (objective - lower bound), %s\n", b.CertifiedGap, verdict)
		desc := "none"
		if b.DescentClasses != nil {
			desc = classList(b.DescentClasses, 40)
		}
		fmt.Fprintf(w, "omega/s      %.10g (dual norm over sqrt(lambda_W lambda_H)); descent classes: %s\n", b.DualNormRatio, desc)
	}
	ran := fmt.Sprintf("%d of at most %d", len(r.Restarts), r.RestartsMax)
	if n := len(r.Restarts); n > 0 && r.Restarts[n-1].Certified && n < r.RestartsMax {
		ran += fmt.Sprintf(" (restart %d certified: the others are not needed)", n-1)
	}
	fmt.Fprintf(w, "restarts     %s\n", ran)
	if b != nil && r.Seconds > 0 {
		fmt.Fprintf(w, "certificate  %.3g s in the bounds (%.2g%% of the solve)\n", r.CertificateSeconds, 100*r.CertificateSeconds/r.Seconds)
	}
}

// writeSolution writes W, H (and b) of the best restart into dir as CSV and
// NumPy .npy files (float64, C order, written by the npyio library) and
// returns their paths.
func writeSolution(dir string, res *optimize.Result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out %s: %w", dir, err)
	}
	var files []string
	write := func(name string, fn func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		bw := bufio.NewWriter(f)
		if err := fn(bw); err != nil {
			f.Close()
			return fmt.Errorf("--out: %s: %w", path, err)
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("--out: %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out: %s: %w", path, err)
		}
		files = append(files, path)
		return nil
	}
	type array struct {
		name string
		m    *mat.Dense // a column for b
		npy  any        // what npy.Write gets: the matrix, or b as a 1-D slice
	}
	arrays := []array{{"W", res.Point.W, res.Point.W}, {"H", res.Point.H, res.Point.H}}
	if res.Point.B != nil {
		b := append([]float64(nil), res.Point.B...)
		arrays = append(arrays, array{"b", mat.NewDense(len(b), 1, b), b})
	}
	for _, a := range arrays {
		if err := write(a.name+".csv", func(w io.Writer) error { return writeCSV(w, a.m) }); err != nil {
			return files, err
		}
		if err := write(a.name+".npy", func(w io.Writer) error { return npy.Write(w, a.npy) }); err != nil {
			return files, err
		}
	}
	return files, nil
}

// writeCSV writes m as comma-separated rows, every number with the shortest
// text that reads back to the same float64.
func writeCSV(w io.Writer, m mat.Matrix) error {
	r, c := m.Dims()
	buf := make([]byte, 0, 32)
	for i := 0; i < r; i++ {
		buf = buf[:0]
		for j := 0; j < c; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, m.At(i, j), 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
