package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/internal/report"
	"nccheck/internal/sysmem"
	"nccheck/setting"
)

const kktDescription = `
Evaluates the KKT conditions of the full training problem (theory.md section 5)
at the explicit predicted minimizer, every one of the N samples included, in
big-float arithmetic at --prec bits: stationarity in W (and b), complementarity
min(H, grad_H) = 0, and dual feasibility grad_H >= 0 where H = 0 (the smallest
slack; negative means violated). kkt_residual is the largest of the
stationarity and complementarity residuals and of max(0, -min_dual_slack).

The point is the closed form of theory.md section 2 (--theory paper or
authors-code), or with --bias the Newton solution of the reduced problem of
section 4 (orthogonal class means with a bias). At the paper's point the
residual is at the level of 2^-prec; a formula that is not the minimizer
(authors-code with lambda_W != 4 lambda_H) leaves a residual of its own size.
With a bias, stationarity holds by construction and the dual slack tests the
orthogonal structure.

With --no-relu (the plain UFM, balanced counts) the point is the simplex ETF
of theory.md section 9, embedded in R^d through the Helmert basis of the
sum-zero subspace on the first K-1 coordinates (or W = 0, H = 0 when it
collapses globally). Without the constraint there is no complementarity and
no dual slack: the gradient in H must vanish, and "stationarity in H" is
||grad_H||_inf. Imbalanced counts with --no-relu have no closed form and are
refused.

The certificate of theory.md section 11 follows, at the same point and --prec
bits: a lower bound on the global minimum of the problem, valid for every d,
computed in big-float with directed rounding (certificate.BigAtPoint; proved,
provided the logarithm of bigfloat meets the error bound stated in the
certificate package's documentation); certificate gap = f(point) - lower
bound, rounded up; omega/s, the dual norm over sqrt(lambda_W lambda_H) (1 at a
global minimum); and the descent classes (0..K-1) when the point is not a
global minimum for large enough d. At the prediction of every theory that
holds (paper, ETF, bias, label smoothing, MSE) the gap is at the level of
2^-prec, which proves the point globally optimal; the authors-code formula
leaves a gap of its own size. With more than 512 classes it is not computed.

--hessian adds the second-order test in float64: the smallest eigenvalues of
the Hessian on the free variables (W, b, positive entries of H), the
symmetries that explain zero eigenvalues, the curvature into unused
coordinates, and a verdict (local-minimum, not-kkt, saddle, degenerate). For
the plain UFM every entry of H is free and the expected zero eigenvalues are
the dimension of the orbit of all rotations Q in O(d) (W -> W Q^T, H -> Q H)
through the point.

The residual is a measurement: the exit status is 0 whatever its size.`

// kktJSON is the JSON output of the kkt command. Big numbers are decimal
// strings with every digit the precision supports; null means "not
// applicable" (no bias; no entry of H at 0).
type kktJSON struct {
	Setting             kktSetting                `json:"setting"`
	Point               string                    `json:"point"`
	PrecisionBits       uint                      `json:"precision_bits"`
	Objective           string                    `json:"objective"`
	PredictedObjective  string                    `json:"predicted_objective"`
	KKTResidual         string                    `json:"kkt_residual"`
	StationarityW       string                    `json:"stationarity_w"`
	StationarityB       *string                   `json:"stationarity_b"`
	Complementarity     string                    `json:"complementarity"`
	PrimalInfeasibility string                    `json:"primal_infeasibility"`
	MinDualSlack        *string                   `json:"min_dual_slack"`
	MinDualSlackAt      *kktLocation              `json:"min_dual_slack_at"`
	ZeroEntries         int                       `json:"zero_entries"`
	Scale               string                    `json:"scale"`
	Bias                *closedform.BiasReport    `json:"bias_prediction,omitempty"`
	Hessian             *derivation.HessianReport `json:"hessian,omitempty"`
	// The certificate of theory.md section 11 at the point (kktCertificate):
	// null with certificate_note when it is not computed.
	LowerBound      *string `json:"lower_bound"`
	CertificateGap  *string `json:"certificate_gap"`
	DualNormRatio   *string `json:"dual_norm_ratio"`
	DescentClasses  []int   `json:"descent_classes"`
	CertificateNote string  `json:"certificate_note,omitempty"`
}

type kktSetting struct {
	N       []int  `json:"n"`
	D       int    `json:"d"`
	LambdaW string `json:"lambda_w"`
	LambdaH string `json:"lambda_h"`
	LambdaB string `json:"lambda_b,omitempty"`
	NoReLU  bool   `json:"no_relu,omitempty"`
}

// kktLocation is a class (0..K-1) and a feature coordinate (0..d-1).
type kktLocation struct {
	Class      int `json:"class"`
	Coordinate int `json:"coordinate"`
}

// kktOptions are the parsed flags of kkt.
type kktOptions struct {
	s      setting.Setting
	theory closedform.Theory
	prec   uint
	digits int
	json   bool
	hess   bool
}

func runKKT(args []string, stdout, stderr io.Writer) int {
	o, done, status := parseKKT(args, stdout, stderr)
	if done {
		return status
	}
	p, err := o.theory.Predict(o.s, o.prec)
	if err != nil {
		return kktError(stderr, err)
	}
	res, cert, err := checkPrediction(p, o.prec)
	if err != nil {
		return kktError(stderr, err)
	}
	var hr *derivation.HessianReport
	if o.hess {
		if hr, err = derivation.HessianAtPrediction(p, derivation.HessianOptions{}); err != nil {
			return kktError(stderr, err)
		}
	}
	out := newKKTJSON(o, p, res, hr)
	cert.setJSON(&out)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failure(stderr, "kkt", err)
		}
		return exitOK
	}
	writeKKTText(stdout, o.s, out, res, hr, cert, o.digits)
	return exitOK
}

// checkPrediction evaluates the KKT conditions at the explicit point of p
// (derivation.AtPrediction) and the certificate there, at prec bits.
func checkPrediction(p *closedform.Prediction, prec uint) (*derivation.KKT, *kktCertificate, error) {
	pt, err := derivation.PredictionPoint(p)
	if err != nil {
		return nil, nil, err
	}
	res, err := derivation.Evaluate(p.Setting, pt, p.Prec)
	if err != nil {
		return nil, nil, err
	}
	cert, err := certifyPrediction(p, pt, res.Objective, prec)
	if err != nil {
		return nil, nil, err
	}
	return res, cert, nil
}

// parseKKT parses and checks the flags of kkt; done reports that the
// command is over (help, or bad input) with the exit status.
func parseKKT(args []string, stdout, stderr io.Writer) (o kktOptions, done bool, status int) {
	fs := flag.NewFlagSet("kkt", flag.ContinueOnError)
	var sf settingFlags
	sf.register(fs, true)
	prec := fs.Uint("prec", closedform.DefaultPrec, fmt.Sprintf("working `bits` of mantissa, %d to %d", closedform.MinPrec, closedform.MaxPrec))
	theory := registerTheory(fs, "`theory` of the point, one of "+strings.Join(closedform.TheoryNames(), ", ")+" (paper: the theorem that applies: theory.md section 2, with --bias section 4, with --no-relu section 9)")
	digits := fs.Int("digits", 6, "significant `digits` in text output (JSON prints all)")
	format := fs.String("format", "text", "output `format`: text or json")
	hess := fs.Bool("hessian", false, "also run the second-order (Hessian) test in float64")
	setUsage(fs, "--n n1,n2,... --d D --lambda-w LW --lambda-h LH [--bias --lambda-b LB | --no-relu] [flags]", kktDescription)
	if done, status := parseFlags(fs, args, stdout, stderr); done {
		return o, true, status
	}
	var err error
	bad := func(err error) (kktOptions, bool, int) { return o, true, badInput(stderr, "kkt", err) }
	if o.s, err = sf.setting(); err != nil {
		return bad(err)
	}
	if o.theory, err = theory.one(); err != nil {
		return bad(err)
	}
	if err := checkPrecDigits(*prec, *digits); err != nil {
		return bad(err)
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return bad(err)
	}
	if err := checkKKTMemory(o.s, *prec, *hess); err != nil {
		return bad(err)
	}
	o.prec, o.digits, o.json, o.hess = *prec, *digits, *format == "json", *hess
	return o, false, exitOK
}

// newKKTJSON fills the kkt output but for the certificate.
func newKKTJSON(o kktOptions, p *closedform.Prediction, res *derivation.KKT, hr *derivation.HessianReport) kktJSON {
	s := o.s
	out := kktJSON{Setting: kktSetting{N: s.Counts, D: s.Dim, LambdaW: s.LambdaW.String(), LambdaH: s.LambdaH.String(), NoReLU: s.NoReLU},
		PrecisionBits: o.prec}
	if s.Bias {
		out.Setting.LambdaB = s.LambdaB.String()
	}
	out.Point = "closed form (" + p.Theory + ")"
	switch {
	case p.Reduced != nil:
		out.Point = "bias (Newton solution of the reduced problem, orthogonal class means)"
	case p.Model == closedform.ModelETF && p.GlobalCollapse:
		out.Point = "plain UFM, global collapse W = 0, H = 0 (theory.md section 9)"
	case p.Model == closedform.ModelETF:
		out.Point = "simplex ETF of the plain UFM (theory.md section 9)"
	}
	all := closedform.Digits(o.prec)
	txt := func(x *big.Float) string { return x.Text('g', all) }
	out.PredictedObjective = txt(p.Objective)
	out.Bias = p.BiasReport(0)
	out.Objective = txt(res.Objective)
	out.KKTResidual = txt(res.Residual)
	out.StationarityW = txt(res.StationarityW)
	if res.StationarityB != nil {
		v := txt(res.StationarityB)
		out.StationarityB = &v
	}
	out.Complementarity = txt(res.Complementarity)
	out.PrimalInfeasibility = txt(res.PrimalInfeasibility)
	if res.MinDualSlack != nil {
		v := txt(res.MinDualSlack)
		out.MinDualSlack = &v
		out.MinDualSlackAt = &kktLocation{Class: res.MinDualSlackClass, Coordinate: res.MinDualSlackCoord}
	}
	out.ZeroEntries = res.ZeroEntries
	out.Scale = txt(res.Scale)
	out.Hessian = hr
	return out
}

// hessianMemoryBytes bounds the dense reduced Hessian of --hessian: at
// most derivation's default HessianOptions.MaxDim (3000) variables, the
// matrix, its eigenvectors and LAPACK's workspace (4 x 8 MaxDim^2 bytes).
const hessianMemoryBytes = 4 * 8 * 3000 * 3000

// certificateMemoryBytes bounds the peak heap the big-float certificate
// (certificate.BigAtPoint at the explicit point) adds to the evaluation's:
// 24 K^2 F + 8 K d F, F = 56 + 8 (ceil((prec + GuardBits) / 64) + 4) the
// bytes of one big float at its working precision. Measured peaks of the
// heap above its start are 11 to 15 K^2 F for K = 100 to 300 at 128 to
// 2048 bits (its K x K matrices and the garbage the collector lets
// accumulate at GOGC = 100); the K d term covers the garbage of its
// penalty, 2 K d big floats, doubled by the collector's target on top of
// the evaluation's garbage (peaks up to 3.5 K d F above the evaluation's
// prediction at K = 10, d = 1000). 0 when K is above certificate.MaxBigClasses (no
// certificate is computed).
func certificateMemoryBytes(s setting.Setting, prec uint) int64 {
	k := int64(s.K())
	if k > certificate.MaxBigClasses {
		return 0
	}
	f := 56 + 8*(int64(prec+certificate.GuardBits+63)/64+4)
	return 24*k*k*f + 8*k*int64(s.Dim)*f
}

// checkKKTMemory refuses, before the prediction is made, a kkt run whose
// prediction (derivation.PredictionMemoryBytes), explicit point and exact
// evaluation (derivation.AtPredictionMemoryBytes), certificate and Hessian
// would not fit the memory the process may still allocate (internal/sysmem).
func checkKKTMemory(s setting.Setting, prec uint, hessian bool) error {
	need := kktMemoryBytes(s, prec, hessian)
	limit := sysmem.Current()
	if !limit.Exceeded(need) {
		return nil
	}
	return &setting.InputError{Field: setting.FieldCounts + "/" + setting.FieldDim, Value: fmt.Sprintf("N=%d K=%d d=%d", s.N(), s.K(), s.Dim),
		Reason: fmt.Sprintf("the exact KKT evaluation at %d bits needs about %s (predicted: the N labels of the explicit point, its K d big floats, the K^2 of the certificate), above %s",
			prec, sysmem.FormatBytes(need), limit.Describe())}
}

// kktMemoryBytes is the memory checkKKTMemory predicts: the prediction,
// the evaluation, the certificate and the Hessian (the evaluation's
// garbage need not be collected when the certificate starts).
func kktMemoryBytes(s setting.Setting, prec uint, hessian bool) int64 {
	need := derivation.PredictionMemoryBytes(s.K(), prec) + derivation.AtPredictionMemoryBytes(s, prec) + certificateMemoryBytes(s, prec)
	if hessian {
		need += hessianMemoryBytes
	}
	return need
}

// kktError maps an error to the exit status: 2 for bad input (an
// *setting.InputError, or a Hessian too large to form), 1 otherwise.
func kktError(stderr io.Writer, err error) int {
	var ie *setting.InputError
	if errors.As(err, &ie) {
		return badInput(stderr, "kkt", err)
	}
	if errors.Is(err, derivation.ErrTooLarge) {
		return badInput(stderr, "kkt", &setting.InputError{Field: "--hessian", Reason: err.Error()})
	}
	return failure(stderr, "kkt", err)
}

func writeKKTText(w io.Writer, s setting.Setting, out kktJSON, res *derivation.KKT, hr *derivation.HessianReport, cert *kktCertificate, digits int) {
	num := func(x *big.Float) string { return x.Text('g', digits) }
	fmt.Fprintln(w, report.WrapText(fmt.Sprintf("KKT conditions at the predicted point, %d bits: %s", out.PrecisionBits, s), "  "))
	line := func(k, v string) {
		fmt.Fprintln(w, report.WrapText(fmt.Sprintf("%-22s %s", k+":", v), strings.Repeat(" ", 23)))
	}
	line("point", out.Point)
	line("objective", num(res.Objective))
	line("kkt residual", num(res.Residual))
	line("stationarity in W", num(res.StationarityW))
	if res.StationarityB != nil {
		line("stationarity in b", num(res.StationarityB))
	}
	if s.NoReLU {
		line("stationarity in H", num(res.Complementarity))
		line("min dual slack", "none (no constraint H >= 0)")
	} else {
		line("complementarity", num(res.Complementarity))
	}
	switch {
	case s.NoReLU:
	case res.MinDualSlack != nil:
		line("min dual slack", fmt.Sprintf("%s (class %d, coordinate %d; over %d entries of H at 0)",
			num(res.MinDualSlack), res.MinDualSlackClass, res.MinDualSlackCoord, res.ZeroEntries))
	default:
		line("min dual slack", "none (no entry of H is 0)")
	}
	line("gradient term scale", num(res.Scale))
	if out.Bias != nil {
		b := make([]string, len(out.Bias.Bias))
		for i, v := range out.Bias.Bias {
			b[i] = shorten(v, digits)
		}
		line("bias b*", strings.Join(b, ", "))
		alive := 0
		for _, c := range out.Bias.Classes {
			if c.Alive {
				alive++
			}
		}
		line("alive classes", fmt.Sprintf("%d of %d", alive, len(out.Bias.Classes)))
	}
	cert.writeText(w, out.PrecisionBits, digits, line)
	if hr == nil {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Second order (float64): verdict %s\n", hr.Verdict)
	sm := make([]string, len(hr.Smallest))
	for i, v := range hr.Smallest {
		sm[i] = strconv.FormatFloat(v, 'g', digits, 64)
	}
	line("smallest eigenvalues", strings.Join(sm, ", "))
	line("largest eigenvalue", strconv.FormatFloat(hr.Largest, 'g', digits, 64))
	line("near-zero/expected", fmt.Sprintf("%d / %d", hr.NearZero, hr.ExpectedZero))
	for _, e := range hr.Explanation {
		fmt.Fprintln(w, report.WrapText("  - "+e, "    "))
	}
}

// shorten re-prints a decimal string with fewer significant digits.
func shorten(s string, digits int) string {
	x, _, err := big.ParseFloat(s, 10, 256, big.ToNearestEven)
	if err != nil {
		return s
	}
	return x.Text('g', digits)
}
