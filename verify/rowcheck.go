package verify

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"nccheck/metrics"
	"nccheck/setting"
)

// Setting builds and validates the setting of a row.
func (rs RowSetting) Setting() (setting.Setting, error) {
	j := setting.JSON{N: rs.N, D: rs.D, Bias: rs.Bias, NoReLU: rs.NoReLU}
	var err error
	if j.LambdaW, err = setting.ParseDecimal(rs.LambdaW); err != nil {
		return setting.Setting{}, fmt.Errorf("lambda_w: %w", err)
	}
	if j.LambdaH, err = setting.ParseDecimal(rs.LambdaH); err != nil {
		return setting.Setting{}, fmt.Errorf("lambda_h: %w", err)
	}
	if rs.Bias {
		lb, err := setting.ParseDecimal(rs.LambdaB)
		if err != nil {
			return setting.Setting{}, fmt.Errorf("lambda_b: %w", err)
		}
		j.LambdaB = &lb
	} else if rs.LambdaB != "" {
		return setting.Setting{}, fmt.Errorf("lambda_b %s without a bias", clipQuote(rs.LambdaB))
	}
	if rs.Loss != "" {
		l, err := setting.ParseLoss(rs.Loss)
		if err != nil {
			return setting.Setting{}, err
		}
		j.Loss = &l
	}
	return j.Setting()
}

// CheckRow checks a row read back from a file against itself: a name
// without control characters, a theory, a verdict, a valid setting, the
// key KeyOf gives for its name, theory and setting, the fields its
// verdict needs (an error for error rows, a scope for out-of-scope rows,
// per-class metrics of K entries) and, for a row judged against a
// prediction, the objective gap its two objectives give and the verdict
// and failed tolerances judge gives its numbers with tol.
func CheckRow(r Row, tol Tolerances) error {
	if err := checkName(r.Name); err != nil || r.Name == "" {
		return fmt.Errorf("row name %s is empty or has a control character", clipQuote(r.Name))
	}
	if r.Theory == "" || !r.Verdict.valid() {
		return fmt.Errorf("row %s has no theory or no verdict", clipQuote(r.Key))
	}
	s, err := r.Setting.Setting()
	if err != nil {
		return fmt.Errorf("row %s: setting: %s", clipQuote(r.Key), clip(oneLine(err.Error()), 160))
	}
	if want := KeyOf(Case{Name: r.Name, Setting: s}, r.Theory); r.Key != want || r.Index < 0 {
		return fmt.Errorf("row %s: its key is not the one of its name, theory and setting (%s)", clipQuote(r.Key), clipQuote(want))
	}
	if r.Metrics != nil {
		for name, v := range map[string][]float64{"mean_norm": r.Metrics.MeanNorm, "measured_margin": r.Metrics.MeasuredMargin} {
			if len(v) != s.K() {
				return fmt.Errorf("row %s: metrics.%s has %d entries for K = %d", clipQuote(r.Key), name, len(v), s.K())
			}
		}
	}
	if r.Verdict == Failed {
		if r.Error == "" {
			return fmt.Errorf("row %s: verdict error without its reason", clipQuote(r.Key))
		}
		return nil
	}
	if err := checkBracketFields(r); err != nil {
		return err
	}
	if r.Verdict == OutOfScope || r.Verdict == Certified {
		if r.Scope == "" || r.Error != "" || r.ObjectiveGap != nil || r.Metrics == nil {
			return fmt.Errorf("row %s: a %s row needs a scope and metrics, and no error or objective gap", clipQuote(r.Key), r.Verdict)
		}
		if v := judgeScope(r, tol); v != r.Verdict {
			return fmt.Errorf("row %s: verdict %s is not the verdict %s of its bracket", clipQuote(r.Key), r.Verdict, v)
		}
		return nil
	}
	return checkJudged(r, tol)
}

// checkBracketFields checks the float64 certificate fields of a row: both
// or neither, finite, and the gap the difference of its objective and
// bound.
func checkBracketFields(r Row) error {
	key := clipQuote(r.Key)
	if (r.LowerBound == nil) != (r.CertifiedGap == nil) {
		return fmt.Errorf("row %s: lower_bound and certified_gap come together", key)
	}
	if r.LowerBound == nil {
		return nil
	}
	lb, gap := *r.LowerBound, *r.CertifiedGap
	if math.IsNaN(lb) || math.IsInf(lb, 0) || gap != r.NumericObjective-lb {
		return fmt.Errorf("row %s: certified_gap %g is not numeric_objective - lower_bound", key, gap)
	}
	return checkProvedFields(r)
}

// checkProvedFields checks the proved bracket of a row: both decimals or
// neither, no bracket_note beside them, the gap not negative.
func checkProvedFields(r Row) error {
	key := clipQuote(r.Key)
	if (r.LowerBoundProved == nil) != (r.CertifiedGapProved == nil) {
		return fmt.Errorf("row %s: lower_bound_proved and certified_gap_proved come together", key)
	}
	lb, gap, err := provedBracket(r)
	switch {
	case err != nil:
		return fmt.Errorf("row %s: %w", key, err)
	case lb == nil:
		return nil
	case r.BracketNote != "":
		return fmt.Errorf("row %s: a proved bracket with the note %s", key, clipQuote(r.BracketNote))
	case gap.Sign() < 0:
		return fmt.Errorf("row %s: certified_gap_proved %s is negative", key, *r.CertifiedGapProved)
	}
	return nil
}

// checkJudged recomputes the gap and the verdict of a row judged against a
// prediction.
func checkJudged(r Row, tol Tolerances) error {
	key := clipQuote(r.Key)
	if r.Error != "" || r.Metrics == nil || r.ObjectiveGap == nil || r.PredictedObjective == nil || r.Judge == nil {
		return fmt.Errorf("row %s: a %s row needs its metrics, objectives and judge inputs, and no error", key, r.Verdict)
	}
	fs, err := strconv.ParseFloat(*r.PredictedObjective, 64)
	if err != nil || math.IsInf(fs, 0) {
		return fmt.Errorf("row %s: predicted_objective %s is not a number", key, clipQuote(*r.PredictedObjective))
	}
	// The gap was computed from the prediction's own float64 rounding of
	// f*, which may differ from the decimal's by one unit in the last
	// place: a few units of round-off in the gap.
	gap := metrics.ObjectiveGap(r.NumericObjective, fs)
	scale := (math.Abs(r.NumericObjective) + math.Abs(fs)) / math.Max(1, math.Abs(fs))
	if math.Abs(gap-*r.ObjectiveGap) > 4*0x1p-52*scale {
		return fmt.Errorf("row %s: objective_gap %g is not the gap %g of its objectives", key, *r.ObjectiveGap, gap)
	}
	v, failed, err := judge(r, tol)
	if err != nil {
		return fmt.Errorf("row %s: %w", key, err)
	}
	if v != r.Verdict || !slices.Equal(failed, r.Failed) {
		return fmt.Errorf("row %s: verdict %s (failed %s) is not the verdict %s (failed %s) of its numbers",
			key, r.Verdict, clip(fmt.Sprint(r.Failed), 80), v, clip(fmt.Sprint(failed), 80))
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
