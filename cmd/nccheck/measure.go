package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"nccheck/checkpoint"
	"nccheck/closedform"
	"nccheck/internal/regfile"
	"nccheck/internal/sysmem"
	"nccheck/metrics"
	"nccheck/setting"
)

const measureDescription = `
Measures trained networks against the prediction (theory.md section 10). Each
FILE is a NumPy .npz checkpoint with arrays features (N x d, float32 or
float64: the input of the last layer for every training sample, after its
ReLU), labels (N, integer, 0..K-1), classifier (K x d) and optionally bias (K)
and epoch (a scalar); or a statistics checkpoint of experiments/ncstats.py
(counts, feature_sums, feature_gram, norm_sq_sums, loss_sum, softmax_sums,
correct, optional nc4_agree, classifier, bias, epoch). A DIR means every *.npz
in it. Rows are sorted by epoch (by file name when there is none).

Per checkpoint: the objective f of theory.md section 1 at the checkpoint, the
predicted f* for the class counts, d and the lambdas, their gap (f - f*)/max(1,
|f*|); the checkpoint's own float64 lower bound LB on the global minimum for
every d (theory.md section 11: a bracket, not a proof), omega/s and the classes
that can still lower f (r_k > 1), with a one-line diagnosis; the metrics of
sections 8 and 10 (NC1, NC2_H, NC2_W against the imbalanced and the balanced
classifier, NC2_WWT, NC3_WH, max cos, margin error, collapse); and the
structure metrics of the balanced literature (accuracy, NC4, equinorm,
equiangularity, self-duality, CDNV, GNC2, bias relation). --classes adds per
class tables. --test measures a test split with the training means and W.

The lambdas: --lambda-w and --lambda-h, or --fit (estimated per checkpoint),
or else lambda_w and lambda_h of the config.json beside each checkpoint (as
experiments/fashion-mnist/train.py writes it).

A deviation of 1e-1..1e-3 is a measurement, not a failure: the exit status is
0 for every file read, 2 for a bad file or flag.`

// measureFlags are the parsed flags of measure.
type measureFlags struct {
	lambdaW, lambdaH, format, plotDir, test, columns string
	fit, classes                                     bool
	digits                                           int
	opt                                              checkpoint.Options
}

func runMeasure(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	var f measureFlags
	fs.StringVar(&f.lambdaW, "lambda-w", "", "weight decay on the classifier W the network was trained with, a positive `decimal` read exactly")
	fs.StringVar(&f.lambdaH, "lambda-h", "", "feature penalty lambda_H of the training loss (theory.md section 10), a positive `decimal`")
	fs.BoolVar(&f.fit, "fit", false, "estimate effective lambdas from each checkpoint instead of --lambda-w/--lambda-h")
	prec := fs.Uint("prec", closedform.DefaultPrec, "`bits` of the closed-form prediction")
	fs.StringVar(&f.format, "format", "text", "output `format`: text, markdown, latex, csv (one table: checkpoints, or classes with --classes)\n"+
		"or json (one object per checkpoint per line)")
	fs.BoolVar(&f.classes, "classes", false, "add per-class tables for each checkpoint (JSON always has the classes; CSV: the classes only, long format)")
	fs.IntVar(&f.digits, "digits", 2, "significant `digits` of the deviations")
	tolCollapse := fs.Float64("tol-collapse", checkpoint.DefaultCollapseTol, "a class counts as collapsed when its margin equivalent ||mu_k||^2 sqrt(K lambda_H n_k/((K-1) lambda_W)) is at most this `fraction` of max(1, the largest)")
	fs.StringVar(&f.plotDir, "plot", "", "write the metrics and f - LB against epoch and the last checkpoint's rho_k and M_k against n_k as SVG and PNG into `directory`")
	globalMean := fs.String("global-mean", "weighted", "the global mean mu_G of NC1, equinorm, equiangularity, self-duality, GNC2, bias relation: `weighted`\n"+
		"(the mean of all N features, theory.md section 8) or classes (the mean of the class means)")
	fs.StringVar(&f.test, "test", "", "a checkpoint (or a directory of them) of the test set of the same network (the same classifier and bias),\n"+
		"measured with the training means and W: test accuracy, NC4 and NC1 about the training means; a class may be absent")
	fs.StringVar(&f.columns, "columns", "default", "`columns`: default (tables of at most 120 columns) or all (one wide table per checkpoint table)")
	loss := fs.String("loss", "ce", "the training `loss` of the objective, prediction and bound: ce, ls:A or mse (features checkpoints)")
	setUsage(fs, "[--lambda-w LW --lambda-h LH | --fit] [flags] FILE_OR_DIR...", measureDescription)
	paths, done, status := parseInterspersed(fs, args, stdout, stderr)
	if done {
		return status
	}
	fail := func(err error) int { return badInput(stderr, "measure", err) }
	f.opt = checkpoint.Options{Fit: f.fit, Prec: *prec, CollapseTol: *tolCollapse}
	if err := f.check(*globalMean, *loss); err != nil {
		return fail(err)
	}
	if len(paths) == 0 {
		return fail(errors.New("no checkpoint: give one or more .npz files or directories"))
	}
	files, err := checkpointFiles(paths)
	if err != nil {
		return fail(err)
	}
	if f.plotDir != "" {
		if err := os.MkdirAll(f.plotDir, 0o755); err != nil {
			return fail(&setting.InputError{Field: "--plot", Value: strconv.Quote(f.plotDir), Reason: err.Error()})
		}
	}
	// Open every file first: a bad file is reported before any work. Each
	// opening is refused before it allocates when the measurement needs
	// more than the memory left by the checkpoints already open.
	cps, tests, err := openAll(files, f.test, *prec)
	if err != nil {
		return fail(err)
	}
	sortCheckpoints(cps)
	opts, err := f.options(cps, tests)
	if err != nil {
		return fail(err)
	}
	reports, status := measureAll(cps, opts, f.format, stdout, stderr)
	if status != exitOK {
		return status
	}
	if f.format != "json" {
		if err := writeMeasureTables(stdout, reports, tableStyle{format: f.format, digits: f.digits, classes: f.classes, all: f.columns == "all"}); err != nil {
			return failure(stderr, "measure", err)
		}
	}
	if f.plotDir != "" {
		if err := writeMeasurePlots(f.plotDir, reports); err != nil {
			return failure(stderr, "measure", err)
		}
	}
	return exitOK
}

// check validates the flags and fills f.opt.
func (f *measureFlags) check(globalMean, loss string) error {
	switch {
	case f.fit && (f.lambdaW != "" || f.lambdaH != ""):
		return &setting.InputError{Field: "--fit", Reason: "estimates the lambdas; do not give --lambda-w or --lambda-h too"}
	case f.lambdaW != "" && f.lambdaH == "":
		return &setting.InputError{Field: "--lambda-h", Reason: "is required with --lambda-w"}
	case f.lambdaH != "" && f.lambdaW == "":
		return &setting.InputError{Field: "--lambda-w", Reason: "is required with --lambda-h"}
	}
	var err error
	if f.lambdaW != "" {
		if f.opt.LambdaW, err = setting.ParseLambda(setting.FieldLambdaW, f.lambdaW); err != nil {
			return err
		}
		if f.opt.LambdaH, err = setting.ParseLambda(setting.FieldLambdaH, f.lambdaH); err != nil {
			return err
		}
		f.opt.LambdaSource = "--lambda-w, --lambda-h"
	}
	if f.opt.GlobalMean, err = metrics.ParseGlobalMean(globalMean); err != nil {
		var ie *setting.InputError
		if errors.As(err, &ie) {
			return ie.WithField("--global-mean")
		}
		return err
	}
	if f.opt.Loss, err = setting.ParseLoss(loss); err != nil {
		var ie *setting.InputError
		if errors.As(err, &ie) {
			return ie.WithField("--loss")
		}
		return err
	}
	if f.fit && !f.opt.Loss.IsCE() {
		return &setting.InputError{Field: "--fit", Reason: "fits the cross-entropy theorem's margins; it cannot be used with --loss " + loss}
	}
	if err := checkPrec(f.opt.Prec); err != nil {
		return err
	}
	if err := checkFormat(f.format, "text", "markdown", "latex", "csv", "json"); err != nil {
		return err
	}
	if f.columns != "default" && f.columns != "all" {
		return &setting.InputError{Field: "--columns", Value: strconv.Quote(f.columns), Reason: "must be default or all"}
	}
	if f.digits < 1 || f.digits > 17 {
		return &setting.InputError{Field: "--digits", Value: strconv.Itoa(f.digits), Reason: "must be between 1 and 17"}
	}
	if tol := f.opt.CollapseTol; !(tol > 0) || tol >= 1 {
		return &setting.InputError{Field: "--tol-collapse", Value: strconv.FormatFloat(tol, 'g', -1, 64), Reason: "must be in (0, 1)"}
	}
	return nil
}

// options returns the options of each checkpoint: the flags' lambdas, the
// fit, or the lambdas of the config.json in the checkpoint's directory; and
// the checkpoint's test split.
func (f *measureFlags) options(cps []*checkpoint.Checkpoint, tests map[*checkpoint.Checkpoint]*checkpoint.Checkpoint) ([]checkpoint.Options, error) {
	opts := make([]checkpoint.Options, len(cps))
	configs := map[string]*runConfig{}
	for i, c := range cps {
		o := f.opt
		o.Test = tests[c]
		if !f.fit && f.lambdaW == "" {
			dir := filepath.Dir(c.Path)
			cfg, ok := configs[dir]
			if !ok {
				var err error
				if cfg, err = readRunConfig(dir); err != nil {
					return nil, err
				}
				configs[dir] = cfg
			}
			if cfg == nil {
				return nil, &setting.InputError{Field: "--lambda-w", Reason: fmt.Sprintf(
					"is required (or --fit, or a config.json with lambda_w and lambda_h beside the checkpoints: %s has none)", strconv.Quote(dir))}
			}
			o.LambdaW, o.LambdaH, o.LambdaSource = cfg.lambdaW, cfg.lambdaH, cfg.path
		}
		if f.fit {
			o.LambdaSource = "--fit"
		}
		opts[i] = o
	}
	return opts, nil
}

// measureAll measures every checkpoint, writing each JSON line as soon as
// it is measured when format is json.
func measureAll(cps []*checkpoint.Checkpoint, opts []checkpoint.Options, format string, stdout, stderr io.Writer) ([]*checkpoint.Report, int) {
	var reports []*checkpoint.Report
	enc := json.NewEncoder(stdout)
	for i, c := range cps {
		r, err := checkpoint.Measure(c, opts[i])
		if err != nil {
			var ce *checkpoint.Error
			var ie *setting.InputError
			if errors.As(err, &ce) || errors.As(err, &ie) {
				return nil, badInput(stderr, "measure", err)
			}
			return nil, failure(stderr, "measure", err)
		}
		if format == "json" {
			if err := enc.Encode(r); err != nil {
				return nil, failure(stderr, "measure", err)
			}
		}
		reports = append(reports, r)
	}
	return reports, exitOK
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

// openAll opens the training checkpoints and the test splits of --test
// (FILE_OR_DIR, "" for none), within the memory the process may still
// allocate, and pairs each split with the training checkpoints of the same
// network (the same classifier and bias, bit for bit).
func openAll(files []string, test string, prec uint) ([]*checkpoint.Checkpoint, map[*checkpoint.Checkpoint]*checkpoint.Checkpoint, error) {
	var testFiles []string
	if test != "" {
		var err error
		if testFiles, err = checkpointFiles([]string{test}); err != nil {
			var ie *setting.InputError
			if errors.As(err, &ie) {
				return nil, nil, ie.WithField("--test")
			}
			return nil, nil, err
		}
	}
	all, err := openCheckpoints(append(append([]string(nil), files...), testFiles...), prec, len(files))
	if err != nil {
		return nil, nil, err
	}
	cps, splits := all[:len(files)], all[len(files):]
	tests := map[*checkpoint.Checkpoint]*checkpoint.Checkpoint{}
	for _, t := range splits {
		matched := false
		for _, c := range cps {
			if !checkpoint.SameNetwork(c, t) {
				continue
			}
			if prev, ok := tests[c]; ok {
				return nil, nil, &setting.InputError{Field: "--test", Value: strconv.Quote(t.Path),
					Reason: fmt.Sprintf("and %s both have the classifier of %s (one test split per checkpoint)", strconv.Quote(prev.Path), strconv.Quote(c.Path))}
			}
			tests[c], matched = t, true
		}
		if !matched {
			return nil, nil, &setting.InputError{Field: "--test", Value: strconv.Quote(t.Path),
				Reason: "has the classifier and bias of no training checkpoint given (a test split must come from the same network)"}
		}
	}
	return cps, tests, nil
}

// openCheckpoints opens every file within the memory the process may still
// allocate (internal/sysmem): each file's measurement (MemoryBytes, at
// prec bits) must fit what the checkpoints opened before it leave
// (RetainedBytes each), and K must be within the closed form's limit. The
// files from index splits on are test splits (a class may be absent).
func openCheckpoints(files []string, prec uint, splits int) ([]*checkpoint.Checkpoint, error) {
	limit := sysmem.Current()
	left := limit.Bytes
	cps := make([]*checkpoint.Checkpoint, len(files))
	for i, f := range files {
		set := checkpoint.OpenSettings{MaxMemory: -1, Prec: prec, Split: i >= splits}
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
