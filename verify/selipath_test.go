package verify

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"nccheck/metrics"
)

// pathRow is a row of counts n at lambda_W = lambda_H = lw (ratio applied
// to lambda_H) with SELI.Max = dist.
func pathRow(n []int, lw float64, ratio float64, dist float64, theory string) Row {
	v := dist
	return Row{Theory: theory, Setting: RowSetting{N: n, D: len(n), LambdaW: strconv.FormatFloat(lw, 'g', -1, 64),
		LambdaH: strconv.FormatFloat(lw*ratio, 'g', 12, 64), NoReLU: true},
		SELI: &metrics.GeometryDist{WWT: &v, HTH: &v, WH: &v, Max: &v}}
}

// TestSELIPaths: exact models are recovered (dist = 0.8/log(1/lambda) gives
// the log slope -1 with zero residual, dist = 2 lambda^0.1 the power slope
// 0.1), on all points and on the smallest half; rows are grouped by
// counts and ratio, deduplicated over theories, sorted by lambda; balanced
// counts, paths of fewer than three lambdas below 1 and undefined
// distances are left out.
func TestSELIPaths(t *testing.T) {
	lambdas := []float64{1e-2, 1e-6, 1e-3, 1e-5, 1e-4, 3e-4, 2} // unsorted; 2 is left out
	var rows []Row
	for _, lw := range lambdas {
		rows = append(rows, pathRow([]int{40, 20, 10, 5}, lw, 1, 0.8/math.Log(1/lw), "paper"),
			pathRow([]int{40, 20, 10, 5}, lw, 1, 0.8/math.Log(1/lw), "other"), // same setting, second theory
			pathRow([]int{100, 10}, lw, 0.1, 2*math.Pow(lw, 0.1), "paper"),
			pathRow([]int{7, 7, 7}, lw, 1, 1e-9, "paper"))
	}
	rows = append(rows, pathRow([]int{3, 1}, 1e-3, 1, 0.5, "paper"), pathRow([]int{3, 1}, 1e-4, 1, 0.4, "paper"))
	undef := pathRow([]int{5, 1}, 1e-3, 1, 0.5, "paper")
	undef.SELI.Max = nil
	rows = append(rows, undef)
	paths := SELIPaths(rows)
	if len(paths) != 2 {
		t.Fatalf("got %d paths, want 2: %+v", len(paths), paths)
	}
	logPath, powPath := paths[0], paths[1]
	if logPath.Ratio != "1" || powPath.Ratio != "1/10" || len(logPath.LambdaW) != 6 || len(powPath.LambdaW) != 6 || logPath.LambdaW[0] != 1e-6 || logPath.LambdaW[5] != 1e-2 {
		t.Fatalf("paths %+v, want 6 sorted lambdas each, ratios 1 and 1/10", paths)
	}
	if logPath.All.Points != 6 || logPath.Tail.Points != 3 {
		t.Errorf("points %d and %d, want 6 and 3", logPath.All.Points, logPath.Tail.Points)
	}
	for _, tc := range []struct {
		name      string
		fit       PathFit
		slope, at float64
	}{
		{"log, all", logPath.All.Log, -1, math.Log(0.8)}, {"log, tail", logPath.Tail.Log, -1, math.Log(0.8)},
		{"power, all", powPath.All.Power, 0.1, math.Log(2)}, {"power, tail", powPath.Tail.Power, 0.1, math.Log(2)},
	} {
		if math.Abs(tc.fit.Slope-tc.slope) > 1e-12 || math.Abs(tc.fit.Intercept-tc.at) > 1e-12 || tc.fit.RMS > 1e-12 || tc.fit.MaxResidual > 1e-12 {
			t.Errorf("%s: %+v, want slope %g, intercept %g, no residual", tc.name, tc.fit, tc.slope, tc.at)
		}
	}
	// The wrong model has a residual.
	if logPath.All.Power.RMS < 1e-3 || powPath.All.Log.RMS < 1e-3 {
		t.Errorf("wrong models fit exactly: %+v, %+v", logPath.All.Power, powPath.All.Log)
	}
	s := logPath.String()
	if !strings.Contains(s, "(log 1/lambda_W)^-1 ") || strings.Count(s, "\n") != 2 {
		t.Errorf("String: %q", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if len(l) > 120 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
}
