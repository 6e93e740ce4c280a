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

	"nccheck/closedform"
	"nccheck/derivation"
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

The point is the closed form of theory.md section 2 (--formula paper or
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
}

type kktSetting struct {
	N       []int  `json:"n"`
	D       int    `json:"d"`
	LambdaW string `json:"lambda_w"`
	LambdaH string `json:"lambda_h"`
	LambdaB string `json:"lambda_b,omitempty"`
	NoReLU  bool   `json:"no_relu,omitempty"`
}

// kktLocation is a 1-based class and coordinate.
type kktLocation struct {
	Class      int `json:"class"`
	Coordinate int `json:"coordinate"`
}

func runKKT(args []string, stdout, stderr io.Writer) int {
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
		return status
	}
	s, err := sf.setting()
	if err != nil {
		return badInput(stderr, "kkt", err)
	}
	th, err := theory.one()
	if err != nil {
		return badInput(stderr, "kkt", err)
	}
	if err := checkPrecDigits(*prec, *digits); err != nil {
		return badInput(stderr, "kkt", err)
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return badInput(stderr, "kkt", err)
	}

	if err := checkKKTMemory(s, *prec, *hess); err != nil {
		return badInput(stderr, "kkt", err)
	}

	out := kktJSON{Setting: kktSetting{N: s.Counts, D: s.Dim, LambdaW: s.LambdaW.String(), LambdaH: s.LambdaH.String(), NoReLU: s.NoReLU},
		PrecisionBits: *prec}
	if s.Bias {
		out.Setting.LambdaB = s.LambdaB.String()
	}
	all := closedform.Digits(*prec)
	p, err := th.Predict(s, *prec)
	if err != nil {
		return kktError(stderr, err)
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
	res, err := derivation.AtPrediction(p)
	if err != nil {
		return kktError(stderr, err)
	}
	out.PredictedObjective = p.Objective.Text('g', all)
	out.Bias = p.BiasReport(0)
	var hr *derivation.HessianReport
	if *hess {
		if hr, err = derivation.HessianAtPrediction(p, derivation.HessianOptions{}); err != nil {
			return kktError(stderr, err)
		}
	}
	txt := func(x *big.Float) string { return x.Text('g', all) }
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
		out.MinDualSlackAt = &kktLocation{Class: res.MinDualSlackClass + 1, Coordinate: res.MinDualSlackCoord + 1}
	}
	out.ZeroEntries = res.ZeroEntries
	out.Scale = txt(res.Scale)
	out.Hessian = hr
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failure(stderr, "kkt", err)
		}
		return exitOK
	}
	writeKKTText(stdout, s, out, res, hr, *digits)
	return exitOK
}

// hessianMemoryBytes bounds the dense reduced Hessian of --hessian: at
// most derivation's default HessianOptions.MaxDim (3000) variables, the
// matrix, its eigenvectors and LAPACK's workspace (4 x 8 MaxDim^2 bytes).
const hessianMemoryBytes = 4 * 8 * 3000 * 3000

// checkKKTMemory refuses, before the prediction is made, a kkt run whose
// prediction (derivation.PredictionMemoryBytes), explicit point and exact
// evaluation (derivation.AtPredictionMemoryBytes) and Hessian would not fit
// the memory the process may still allocate (internal/sysmem).
func checkKKTMemory(s setting.Setting, prec uint, hessian bool) error {
	need := derivation.PredictionMemoryBytes(s.K(), prec) + derivation.AtPredictionMemoryBytes(s, prec)
	if hessian {
		need += hessianMemoryBytes
	}
	limit := sysmem.Current()
	if !limit.Exceeded(need) {
		return nil
	}
	return &setting.InputError{Field: setting.FieldCounts + "/" + setting.FieldDim, Value: fmt.Sprintf("N=%d K=%d d=%d", s.N(), s.K(), s.Dim),
		Reason: fmt.Sprintf("the exact KKT evaluation at %d bits needs about %s (predicted: the N labels of the explicit point and its K d big floats), above %s",
			prec, sysmem.FormatBytes(need), limit.Describe())}
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

func writeKKTText(w io.Writer, s setting.Setting, out kktJSON, res *derivation.KKT, hr *derivation.HessianReport, digits int) {
	num := func(x *big.Float) string { return x.Text('g', digits) }
	fmt.Fprintf(w, "KKT conditions at the predicted point (%s, %d bits): %s\n", out.Point, out.PrecisionBits, s)
	line := func(k, v string) { fmt.Fprintf(w, "%-22s %s\n", k+":", v) }
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
			num(res.MinDualSlack), res.MinDualSlackClass+1, res.MinDualSlackCoord+1, res.ZeroEntries))
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
		fmt.Fprintf(w, "  - %s\n", e)
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
