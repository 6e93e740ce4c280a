package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify/render"
)

// settingFlags are the flags that describe one problem instance; every
// command that takes a single setting registers them the same way.
type settingFlags struct {
	n       string
	d       int
	lambdaW string
	lambdaH string
	bias    bool
	lambdaB string
	noReLU  bool
	loss    string
}

// register adds the setting flags to fs. withReLU adds --no-relu, the plain
// UFM, for the commands that handle it (predict and kkt through the simplex
// ETF of theory.md section 9 for balanced counts; solve and verify).
func (f *settingFlags) register(fs *flag.FlagSet, withReLU bool) {
	fs.StringVar(&f.n, "n", "", "class counts `n1,n2,...` (K >= 2 whole numbers >= 1), e.g. 1000,1000,2000 (required)")
	fs.IntVar(&f.d, "d", 0, "feature `dimension` d >= 1 (required)")
	fs.StringVar(&f.lambdaW, "lambda-w", "", "weight decay on the classifier W, a positive `decimal` read exactly, e.g. 1e-4 (required)")
	fs.StringVar(&f.lambdaH, "lambda-h", "", "weight decay on the features H, a positive `decimal` read exactly (required)")
	fs.BoolVar(&f.bias, "bias", false, "add a bias b to the logits, penalised by (lambda_b/2)||b||^2")
	fs.StringVar(&f.lambdaB, "lambda-b", "", "weight decay on the bias, a `decimal` >= 0 read exactly (required with --bias; 0: an unregularised bias)")
	fs.StringVar(&f.loss, "loss", "ce", "the `loss`: ce (cross-entropy, theory.md section 1), ls:A (label-smoothed cross-entropy,\n"+
		"smoothing A in [0, 1), e.g. ls:0.1, section 12a) or mse (the squared error ||z - e_k||^2/2, section 12b)")
	if withReLU {
		fs.BoolVar(&f.noReLU, "no-relu", false, "drop the constraint H >= 0 (the plain UFM instead of UFM+)")
	}
}

// setting builds and validates the setting; errors are *setting.InputError
// naming the flag and value.
func (f *settingFlags) setting() (setting.Setting, error) {
	var s setting.Setting
	if f.n == "" {
		return s, &setting.InputError{Field: "--n", Reason: "is required (class counts, e.g. --n 1000,1000,2000)"}
	}
	counts, err := setting.ParseCounts(f.n)
	if err != nil {
		return s, err
	}
	s.Counts = counts
	s.Dim = f.d
	if f.d == 0 {
		return s, &setting.InputError{Field: "--d", Reason: "is required (feature dimension, e.g. --d 16)"}
	}
	if f.lambdaW == "" {
		return s, &setting.InputError{Field: "--lambda-w", Reason: "is required (e.g. --lambda-w 1e-4)"}
	}
	if s.LambdaW, err = setting.ParseLambda("--lambda-w", f.lambdaW); err != nil {
		return s, err
	}
	if f.lambdaH == "" {
		return s, &setting.InputError{Field: "--lambda-h", Reason: "is required (e.g. --lambda-h 1e-5)"}
	}
	if s.LambdaH, err = setting.ParseLambda("--lambda-h", f.lambdaH); err != nil {
		return s, err
	}
	s.Bias = f.bias
	switch {
	case f.bias && f.lambdaB == "":
		return s, &setting.InputError{Field: "--lambda-b", Reason: "is required with --bias"}
	case !f.bias && f.lambdaB != "":
		return s, &setting.InputError{Field: "--lambda-b", Value: strconv.Quote(f.lambdaB), Reason: "given without --bias"}
	case f.bias:
		if s.LambdaB, err = parseLambdaB(f.lambdaB); err != nil {
			return s, err
		}
	}
	s.NoReLU = f.noReLU
	if s.Loss, err = setting.ParseLoss(f.loss); err != nil {
		var ie *setting.InputError
		if errors.As(err, &ie) {
			return s, ie.WithField("--loss")
		}
		return s, err
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s, nil
}

// lossGiven reports whether the command line of fs gave --loss.
func (f *settingFlags) lossGiven(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "loss" })
	return given
}

// parseLossList reads a comma list of losses (--compare-losses): each as
// --loss reads it, no repeats.
func parseLossList(text string) ([]setting.Loss, error) {
	var out []setting.Loss
	for _, part := range strings.Split(text, ",") {
		l, err := setting.ParseLoss(part)
		var ie *setting.InputError
		if errors.As(err, &ie) {
			return nil, ie.WithField("--compare-losses")
		}
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(part) == "" {
			return nil, &setting.InputError{Field: "--compare-losses", Value: strconv.Quote(text), Reason: "has an empty entry"}
		}
		for _, m := range out {
			if m.Equal(l) {
				return nil, &setting.InputError{Field: "--compare-losses", Value: strconv.Quote(text), Reason: "names the loss " + l.String() + " twice"}
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// parseLambdaB reads --lambda-b: 0 (an unregularised bias) or a lambda as
// setting.ParseLambda accepts it.
func parseLambdaB(text string) (setting.Decimal, error) {
	d, err := setting.ParseLambda("--lambda-b", text)
	if err == nil {
		return d, nil
	}
	z, zerr := setting.ParseDecimal(text)
	var ie *setting.InputError
	switch {
	case zerr == nil && z.IsZero():
		return z, nil
	case zerr == nil && z.Sign() < 0 && errors.As(err, &ie):
		c := *ie
		c.Reason = "must be >= 0 (0: an unregularised bias)"
		return d, &c
	}
	return d, err
}

// checkFormat validates a --format value against the allowed list.
func checkFormat(value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return &setting.InputError{Field: "--format", Value: strconv.Quote(value), Reason: fmt.Sprintf("must be one of %v", allowed)}
}

// checkPrec validates --prec against the closed form's range.
func checkPrec(prec uint) error {
	if prec < closedform.MinPrec || prec > closedform.MaxPrec {
		return &setting.InputError{Field: "--prec", Value: strconv.FormatUint(uint64(prec), 10),
			Reason: fmt.Sprintf("must be between %d and %d bits", closedform.MinPrec, closedform.MaxPrec)}
	}
	return nil
}

// checkPrecDigits validates --prec and a --digits that may not exceed what
// the precision supports.
func checkPrecDigits(prec uint, digits int) error {
	if err := checkPrec(prec); err != nil {
		return err
	}
	if digits < 1 || digits > closedform.Digits(prec) {
		return &setting.InputError{Field: "--digits", Value: strconv.Itoa(digits),
			Reason: fmt.Sprintf("must be between 1 and %d (what %d bits support)", closedform.Digits(prec), prec)}
	}
	return nil
}

// checkTableFlags validates the table flags verify and report share:
// --format, --columns and --digits.
func checkTableFlags(format, columns string, digits int) ([]string, error) {
	if err := checkFormat(format, render.Formats()...); err != nil {
		return nil, err
	}
	cols, err := render.ParseColumns(columns)
	if err != nil {
		return nil, err
	}
	if digits < 1 || digits > 17 {
		return nil, &setting.InputError{Field: "--digits", Value: strconv.Itoa(digits), Reason: "must be between 1 and 17"}
	}
	return cols, nil
}

// theoryHelp describes the theory names of a --theory flag that takes a set.
const theoryHelp = "paper (the theorem that applies to each setting: theory.md sections 2, 4, 9, 12), " +
	"authors-code (section 7), both (paper,authors-code), bias-orthogonal, plain-etf, label-smoothing, mse, mse-bias, or a comma list"

// theoryFlag is the --theory flag of a command, with --formula, its old
// name, as an alias (both set the same text; the last one given wins). The
// text is parsed once, by closedform.ParseTheorySet.
type theoryFlag struct {
	fs   *flag.FlagSet
	text string
}

// registerTheory adds --theory and its alias --formula to fs.
func registerTheory(fs *flag.FlagSet, usage string) *theoryFlag {
	t := &theoryFlag{fs: fs}
	fs.StringVar(&t.text, "theory", "paper", usage)
	fs.StringVar(&t.text, "formula", "paper", "alias of --theory (its old name)")
	return t
}

// name returns the flag the user gave ("--formula" or "--theory").
func (t *theoryFlag) name() string {
	name := "--theory"
	t.fs.Visit(func(f *flag.Flag) {
		if f.Name == "formula" || f.Name == "theory" {
			name = "--" + f.Name
		}
	})
	return name
}

// given reports whether the command line gave --theory or --formula.
func (t *theoryFlag) given() bool {
	given := false
	t.fs.Visit(func(f *flag.Flag) { given = given || f.Name == "formula" || f.Name == "theory" })
	return given
}

// set parses the flag; errors are *setting.InputError naming the flag given.
func (t *theoryFlag) set() (closedform.TheorySet, error) {
	ts, err := closedform.ParseTheorySet(t.text)
	var ie *setting.InputError
	if errors.As(err, &ie) {
		return nil, ie.WithField(t.name())
	}
	return ts, err
}

// one parses the flag of a command that takes a single theory.
func (t *theoryFlag) one() (closedform.Theory, error) {
	ts, err := t.set()
	if err != nil {
		return nil, err
	}
	if len(ts) != 1 {
		return nil, &setting.InputError{Field: t.name(), Value: strconv.Quote(t.text), Reason: fmt.Sprintf("names %d theories; %s takes one", len(ts), t.fs.Name())}
	}
	return ts[0], nil
}
