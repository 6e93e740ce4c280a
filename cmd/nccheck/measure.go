package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"nccheck/checkpoint"
	"nccheck/closedform"
	"nccheck/internal/regfile"
	"nccheck/internal/report"
	"nccheck/internal/sysmem"
	"nccheck/setting"
)

const measureDescription = `
Measures trained networks against the prediction (theory.md section 10). Each
FILE is a NumPy .npz checkpoint with arrays features (N x d, float32 or
float64: the input of the last layer for every training sample, after its
ReLU), labels (N, integer, 0..K-1), classifier (K x d) and optionally bias (K)
and epoch (a scalar); a DIR means every *.npz in it. Rows are sorted by epoch
(by file name when there is none).

Per checkpoint: the objective of theory.md section 1 at the checkpoint
(float64), the predicted f* of the paper's theorem for the class counts of
the labels, d and the lambdas, their gap (f - f*)/max(1, |f*|), and the
metrics of section 8: NC1, NC2_H, NC2_W against the imbalanced theorem's
classifier (rows K sqrt(n_k) mu_k - sum_j sqrt(n_j) mu_j) and against the
balanced theory's (rows mu_k - mean_j mu_j), NC2_WWT, NC3_WH, max |cos(mu_k,
mu_l)| over pairs of classes, the worst margin error, and whether the
collapsed classes are the predicted ones. --classes adds per class: n_k,
measured and predicted margin M_k, rho_k = ||mu_k||^2, ||w_k||^2,
cos(w_k, mu_k), collapsed.

--fit estimates effective lambdas for a network trained without the explicit
feature penalty: lambda_W/lambda_H from the balance lambda_W ||W||^2 =
lambda_H ||H||^2, and lambda_W lambda_H from the measured margins; then the
balance and the average margin agree by construction (see the README).

A deviation of 1e-1..1e-3 is a measurement, not a failure: the exit status is
0 for every file read, 2 for a bad file or flag.`

func runMeasure(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	lambdaW := fs.String("lambda-w", "", "weight decay on the classifier W the network was trained with, a positive `decimal` read exactly")
	lambdaH := fs.String("lambda-h", "", "feature penalty lambda_H of the training loss (theory.md section 10), a positive `decimal`")
	fit := fs.Bool("fit", false, "estimate effective lambdas from each checkpoint instead of --lambda-w/--lambda-h")
	prec := fs.Uint("prec", closedform.DefaultPrec, "`bits` of the closed-form prediction")
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per checkpoint per line)")
	classes := fs.Bool("classes", false, "add a per-class table for each checkpoint (JSON always has the classes)")
	digits := fs.Int("digits", 2, "significant `digits` of the deviations")
	tolCollapse := fs.Float64("tol-collapse", checkpoint.DefaultCollapseTol, "a class counts as collapsed when its margin equivalent ||mu_k||^2 sqrt(K lambda_H n_k/((K-1) lambda_W)) is at most this `fraction` of max(1, the largest)")
	plotDir := fs.String("plot", "", "write the metrics against epoch and the last checkpoint's rho_k and M_k against n_k as SVG and PNG into `directory`")
	setUsage(fs, "(--lambda-w LW --lambda-h LH | --fit) [flags] FILE_OR_DIR...", measureDescription)
	paths, done, status := parseInterspersed(fs, args, stdout, stderr)
	if done {
		return status
	}
	fail := func(err error) int { return badInput(stderr, "measure", err) }

	opt := checkpoint.Options{Fit: *fit, Prec: *prec, CollapseTol: *tolCollapse}
	switch {
	case *fit && (*lambdaW != "" || *lambdaH != ""):
		return fail(&setting.InputError{Field: "--fit", Reason: "estimates the lambdas; do not give --lambda-w or --lambda-h too"})
	case !*fit && *lambdaW == "":
		return fail(&setting.InputError{Field: "--lambda-w", Reason: "is required (or --fit)"})
	case !*fit && *lambdaH == "":
		return fail(&setting.InputError{Field: "--lambda-h", Reason: "is required (or --fit)"})
	}
	var err error
	if !*fit {
		if opt.LambdaW, err = setting.ParseLambda(setting.FieldLambdaW, *lambdaW); err != nil {
			return fail(err)
		}
		if opt.LambdaH, err = setting.ParseLambda(setting.FieldLambdaH, *lambdaH); err != nil {
			return fail(err)
		}
	}
	if err := checkPrec(*prec); err != nil {
		return fail(err)
	}
	if err := checkFormat(*format, "text", "markdown", "latex", "csv", "json"); err != nil {
		return fail(err)
	}
	if *digits < 1 || *digits > 17 {
		return fail(&setting.InputError{Field: "--digits", Value: strconv.Itoa(*digits), Reason: "must be between 1 and 17"})
	}
	if !(*tolCollapse > 0) || *tolCollapse >= 1 {
		return fail(&setting.InputError{Field: "--tol-collapse", Value: strconv.FormatFloat(*tolCollapse, 'g', -1, 64), Reason: "must be in (0, 1)"})
	}
	if len(paths) == 0 {
		return fail(errors.New("no checkpoint: give one or more .npz files or directories"))
	}
	files, err := checkpointFiles(paths)
	if err != nil {
		return fail(err)
	}
	if *plotDir != "" {
		if err := os.MkdirAll(*plotDir, 0o755); err != nil {
			return fail(&setting.InputError{Field: "--plot", Value: strconv.Quote(*plotDir), Reason: err.Error()})
		}
	}

	// Open every file first: a bad file is reported before any work. Each
	// opening is refused before it allocates when the measurement needs
	// more than the memory left by the checkpoints already open.
	cps, err := openCheckpoints(files, *prec)
	if err != nil {
		return fail(err)
	}
	sortCheckpoints(cps)

	var reports []*checkpoint.Report
	enc := json.NewEncoder(stdout)
	for _, c := range cps {
		r, err := checkpoint.Measure(c, opt)
		if err != nil {
			var ce *checkpoint.Error
			var ie *setting.InputError
			if errors.As(err, &ce) || errors.As(err, &ie) {
				return fail(err)
			}
			return failure(stderr, "measure", err)
		}
		if *format == "json" {
			if err := enc.Encode(r); err != nil {
				return failure(stderr, "measure", err)
			}
		}
		reports = append(reports, r)
	}
	if *format != "json" {
		if err := writeMeasureTables(stdout, reports, *format, *digits, *classes); err != nil {
			return failure(stderr, "measure", err)
		}
	}
	if *plotDir != "" {
		if err := writeMeasurePlots(*plotDir, reports); err != nil {
			return failure(stderr, "measure", err)
		}
	}
	return exitOK
}

// parseInterspersed parses flags that may come before, between and after
// the positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, done bool, status int) {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, true, exitOK
		}
		if err != nil {
			fmt.Fprintf(stderr, "nccheck %s: %s; see 'nccheck %s -h'\n", fs.Name(), oneLine(err.Error()), fs.Name())
			return nil, true, exitBadInput
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, false, exitOK
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), false, exitOK
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// checkpointFiles expands directories into their *.npz files (sorted).
// Every file, given or found in a directory, must be a regular file: a
// FIFO or a device is refused before it is opened for reading.
func checkpointFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, &setting.InputError{Field: "FILE_OR_DIR", Value: strconv.Quote(p), Reason: "cannot read: " + oneLine(errors.Unwrap(err).Error())}
		}
		if !st.IsDir() {
			if !st.Mode().IsRegular() {
				return nil, &setting.InputError{Field: "FILE_OR_DIR", Value: strconv.Quote(p), Reason: "is " + regfile.Kind(st.Mode()) + ", not a regular file"}
			}
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.npz"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, &setting.InputError{Field: "FILE_OR_DIR", Value: strconv.Quote(p), Reason: "directory has no *.npz file"}
		}
		sort.Strings(m)
		for _, f := range m {
			if err := regfile.Check(f); err != nil {
				return nil, &setting.InputError{Field: "FILE_OR_DIR", Value: strconv.Quote(f), Reason: checkReason(err)}
			}
		}
		files = append(files, m...)
	}
	return files, nil
}

// checkReason says why regfile.Check refused a path.
func checkReason(err error) string {
	var nr *regfile.NotRegularError
	if errors.As(err, &nr) {
		return "is " + regfile.Kind(nr.Mode) + ", not a regular file"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return "cannot read: " + oneLine(pe.Err.Error())
	}
	return oneLine(err.Error())
}

// openCheckpoints opens every file within the memory the process may still
// allocate (internal/sysmem): each file's measurement (MemoryBytes, at
// prec bits) must fit what the checkpoints opened before it leave
// (RetainedBytes each), and K must be within the closed form's limit.
func openCheckpoints(files []string, prec uint) ([]*checkpoint.Checkpoint, error) {
	limit := sysmem.Current()
	left := limit.Bytes
	cps := make([]*checkpoint.Checkpoint, len(files))
	for i, f := range files {
		set := checkpoint.OpenSettings{MaxMemory: -1, Prec: prec}
		if limit.Known() {
			set.MaxMemory, set.MemorySource = max(left, 1), limit.Source
			if i > 0 {
				set.MemorySource += fmt.Sprintf(", less %s for the %d checkpoints before it", sysmem.FormatBytes(limit.Bytes-left), i)
			}
		}
		c, err := checkpoint.OpenWith(f, set)
		if err != nil {
			return nil, err
		}
		if c.K > closedform.MaxMatrixClasses {
			return nil, &checkpoint.Error{File: c.Path, Array: checkpoint.ArrayClassifier,
				Reason: fmt.Sprintf("K = %d classes exceed the closed form's limit %d", c.K, closedform.MaxMatrixClasses)}
		}
		left -= c.RetainedBytes()
		cps[i] = c
	}
	return cps, nil
}

// sortCheckpoints orders checkpoints by epoch, then file name; those
// without an epoch come after, by file name.
func sortCheckpoints(cps []*checkpoint.Checkpoint) {
	sort.SliceStable(cps, func(i, j int) bool {
		a, b := cps[i], cps[j]
		switch {
		case a.Epoch != nil && b.Epoch != nil && *a.Epoch != *b.Epoch:
			return *a.Epoch < *b.Epoch
		case (a.Epoch == nil) != (b.Epoch == nil):
			return a.Epoch != nil
		}
		return a.Path < b.Path
	})
}

// writeMeasureTables writes the per-checkpoint table and, with classes, a
// per-class table for each checkpoint.
func writeMeasureTables(w io.Writer, reports []*checkpoint.Report, format string, digits int, classes bool) error {
	latex := format == "latex"
	sci := func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "non-finite"
		}
		s := strconv.FormatFloat(v, 'e', digits-1, 64)
		if latex {
			return report.LaTeXSci(s)
		}
		return s
	}
	opt := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return sci(*v)
	}
	fixed := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	fitted := false
	for _, r := range reports {
		fitted = fitted || r.Fitted
	}
	t := &report.Table{Header: []string{"epoch", "K", "N", "d", "objective", "f*", "gap", "NC1", "NC2_H", "NC2_W", "NC2_W bal", "NC2_WWT", "NC3_WH", "max cos", "margin err", "collapse"}}
	if fitted {
		t.Header = append(t.Header, "lambda_W (fit)", "lambda_H (fit)")
	}
	for range t.Header {
		t.Align = append(t.Align, report.AlignRight)
	}
	t.Align[15] = report.AlignLeft
	for _, r := range reports {
		epoch := filepath.Base(r.File)
		if r.Epoch != nil {
			epoch = strconv.FormatInt(*r.Epoch, 10)
		}
		fstar := "-"
		if r.PredictedObjective != nil {
			if f, err := strconv.ParseFloat(*r.PredictedObjective, 64); err == nil {
				fstar = fixed(f)
			}
		}
		collapse := "-"
		if r.Metrics.CollapseAgree != nil {
			collapse = "ok"
			if !*r.Metrics.CollapseAgree {
				var diff []string
				for k, c := range r.Classes {
					if c.PredictedCollapsed != nil && c.Collapsed != *c.PredictedCollapsed {
						diff = append(diff, strconv.Itoa(k))
					}
				}
				collapse = "differs [" + strings.Join(diff, " ") + "]"
			}
		}
		if r.Scope != "" {
			collapse = "no prediction: " + r.Scope
		}
		m := r.Metrics
		row := []string{epoch, strconv.Itoa(r.K), strconv.Itoa(r.N), strconv.Itoa(r.D), fixed(r.Objective), fstar, opt(r.ObjectiveGap),
			opt(m.NC1), opt(m.NC2H), opt(m.NC2W), opt(m.NC2WBalanced), opt(m.NC2WWT), opt(m.NC3WH), sci(m.MaxCos), opt(m.MarginError), collapse}
		if fitted {
			row = append(row, r.LambdaW, r.LambdaH)
		}
		t.Rows = append(t.Rows, row)
	}
	if len(reports) > 0 && format != "csv" {
		r := reports[0]
		what := fmt.Sprintf("lambda_W = %s, lambda_H = %s", r.LambdaW, r.LambdaH)
		if fitted {
			what = "lambdas fitted per checkpoint (predicted columns follow the fit)"
		}
		t.Title = fmt.Sprintf("Checkpoints against the predicted global minimizer (%s; gap = (f - f*)/max(1, |f*|))", what)
		if r.Bias {
			t.Title += "; the checkpoints have a bias: it enters the objective, the prediction is bias-free"
		}
	}
	if err := t.Write(w, format); err != nil {
		return err
	}
	if !classes {
		return nil
	}
	for _, r := range reports {
		ct := &report.Table{Header: []string{"class", "n_k", "M_k", "M_k pred", "rho_k", "rho_k pred", "|w_k|^2", "|w_k|^2 pred", "cos(w_k,mu_k)", "cos pred", "collapsed", "pred"}}
		for range ct.Header {
			ct.Align = append(ct.Align, report.AlignRight)
		}
		name := filepath.Base(r.File)
		if r.Epoch != nil {
			name = fmt.Sprintf("epoch %d (%s)", *r.Epoch, name)
		}
		ct.Title = "Classes of " + name
		for k, c := range r.Classes {
			pb := "-"
			if c.PredictedCollapsed != nil {
				pb = yesNo(*c.PredictedCollapsed)
			}
			ct.Rows = append(ct.Rows, []string{strconv.Itoa(k), strconv.Itoa(c.N), fixed(c.Margin), optFixed(c.PredictedMargin),
				fixed(c.FeatureNormSq), optFixed(c.PredictedFeatureNormSq), fixed(c.ClassifierNormSq), optFixed(c.PredictedClassifierNormSq),
				fixed(c.CosWMu), optFixed(c.PredictedCosWMu), yesNo(c.Collapsed), pb})
		}
		fmt.Fprintln(w)
		if err := ct.Write(w, format); err != nil {
			return err
		}
	}
	return nil
}

func optFixed(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
