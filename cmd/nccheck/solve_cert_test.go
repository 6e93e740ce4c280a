package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"nccheck/closedform"
	"nccheck/optimize"
	"nccheck/setting"
)

// solveJSON runs solve --format json and decodes the output.
func solveJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, status := runCmd(append([]string{"solve", "--format", "json"}, args...)...)
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	return r
}

// TestSolveCertificate: solve returns the float64 bracket of its best
// point; at the settings of theory.md section 11's worked values it is
// within the default --cert-tol (1e-8), at or above zero up to float64
// rounding, below the known f* where there is one, and the first restart's
// certificate stops the others (1 of 4 run). With d below the number of
// alive classes the bound is valid but not attained (a result about d): the
// bracket stays wide, nothing is certified and every restart runs.
func TestSolveCertificate(t *testing.T) {
	a := []string{"--n", "40,20,10,5", "--lambda-w", "5e-3", "--lambda-h", "5e-3"}
	with := func(extra ...string) []string { return append(append([]string{}, a...), extra...) }
	tests := []struct {
		name      string
		args      []string
		fstar     bool // compare with the paper's f*
		certified bool
	}{
		{"paper", with("--d", "8"), true, true},
		{"bias (the section-4 counterexample)", with("--d", "8", "--bias", "--lambda-b", "1e-3"), false, true},
		{"plain UFM, no closed form", with("--d", "4", "--no-relu"), false, true},
		{"label smoothing", with("--d", "8", "--loss", "ls:0.1"), false, true},
		{"mse", with("--d", "8", "--loss", "mse"), false, true},
		{"d below the alive classes", with("--d", "2"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := solveJSON(t, tc.args...)
			for _, key := range []string{"lower_bound", "certified_gap", "dual_norm_ratio", "certified", "restarts_max", "cert_tol"} {
				if _, ok := r[key]; !ok {
					t.Fatalf("missing key %q", key)
				}
			}
			f, lb, gap := r["objective"].(float64), r["lower_bound"].(float64), r["certified_gap"].(float64)
			if gap != f-lb || !(gap >= -1e-14*math.Max(1, math.Abs(f))) {
				t.Errorf("certified_gap %g, objective %.17g, lower_bound %.17g: want objective - lower_bound >= 0 within rounding", gap, f, lb)
			}
			restarts := r["restarts"].([]any)
			if tc.certified {
				if r["certified"] != true || gap > 1e-8 || len(restarts) != 1 || r["restarts_max"].(float64) != 4 {
					t.Errorf("certified %v, gap %g, %d restarts of %v: want certified after the first", r["certified"], gap, len(restarts), r["restarts_max"])
				}
			} else if r["certified"] != false || gap < 1e-4 || len(restarts) != 4 {
				t.Errorf("certified %v, gap %g, %d restarts: want a wide bracket and every restart", r["certified"], gap, len(restarts))
			}
			if !tc.fstar {
				return
			}
			counts, _ := setting.ParseCounts("40,20,10,5")
			p, err := closedform.Paper{}.Predict(setting.Setting{Counts: counts, Dim: 8, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}, 128)
			if err != nil {
				t.Fatal(err)
			}
			fs, _ := p.Objective.Float64()
			if lb > fs+1e-14 || f < fs-1e-14 {
				t.Errorf("bracket [%.17g, %.17g] does not contain f* %.17g", lb, f, fs)
			}
		})
	}
}

// TestSolveCertifiedStopsEarly: the certified solve runs fewer restarts and
// evaluations than --cert-tol 0 (every restart), finds the same minimum to
// the bracket's width, and is reproducible.
func TestSolveCertifiedStopsEarly(t *testing.T) {
	args := []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--bias", "--lambda-b", "1e-3", "--restarts", "6"}
	cert := solveJSON(t, args...)
	all := solveJSON(t, append(args, "--cert-tol", "0")...)
	nc, na := len(cert["restarts"].([]any)), len(all["restarts"].([]any))
	ec, ea := cert["evaluations"].(float64), all["evaluations"].(float64)
	if nc != 1 || na != 6 || !(ec < ea) {
		t.Errorf("certified: %d restarts, %v evaluations; --cert-tol 0: %d restarts, %v evaluations", nc, ec, na, ea)
	}
	if all["certified"] != false || all["restarts"].([]any)[0].(map[string]any)["lower_bound"] != nil {
		t.Errorf("--cert-tol 0: certified %v, restart 0 lower_bound %v: want false and null", all["certified"], all["restarts"].([]any)[0])
	}
	fc, fa := cert["objective"].(float64), all["objective"].(float64)
	if fc-fa > cert["certified_gap"].(float64) || fa < cert["lower_bound"].(float64) {
		t.Errorf("certified objective %.17g, all restarts' %.17g, bracket width %g", fc, fa, cert["certified_gap"])
	}
	again := solveJSON(t, args...)
	for _, key := range []string{"objective", "lower_bound", "certified_gap", "evaluations"} {
		if again[key] != cert[key] {
			t.Errorf("same command, %s %v then %v", key, cert[key], again[key])
		}
	}
}

// TestSolveCertificateText: the text output calls the bracket float64 and
// not a proof, and its lines above the restart table fit 120 columns.
func TestSolveCertificateText(t *testing.T) {
	out, errs, status := runCmd("solve", "--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3")
	if status != exitOK {
		t.Fatalf("status %d, stderr %q", status, errs)
	}
	for _, want := range []string{"float64: a bracket, not a proof", "certified: within --cert-tol 1e-08", "restarts     1 of at most 4 (restart 0 certified",
		"omega/s", "descent classes: none", "| bracket | certified |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	head, _, _ := strings.Cut(out, "\n\n")
	for _, line := range strings.Split(head, "\n") {
		if len(line) > 120 {
			t.Errorf("line of %d columns: %q", len(line), line)
		}
	}
}

// BenchmarkSolveCertifiedK100 times solve's certificate against the solve
// it certifies, on the README's k100 setting (K = 100, d = 128, n_k = 500,
// 496, ..., 104, lambda = 5e-4; about 12 s of solve): one restart with the
// certifier (its bound at the restart's point) and the bracket at the best
// point, as nccheck solve computes them. Issue 14 asks for at most 1%:
// "%solve" is the wall time in certificate.AtPoint over the solve's,
// "%solve-cpu" the same in process CPU time (with one restart nothing else
// runs during a bound), which another job on the machine inflates less
// (go test -run '^$' -bench SolveCertifiedK100 -benchtime 1x ./cmd/nccheck).
func BenchmarkSolveCertifiedK100(b *testing.B) {
	counts := make([]int, 100)
	for i := range counts {
		counts[i] = 500 - 4*i
	}
	s := setting.Setting{Counts: counts, Dim: 128, LambdaW: setting.MustDecimal("5e-4"), LambdaH: setting.MustDecimal("5e-4")}
	p, err := optimize.NewProblem(s)
	if err != nil {
		b.Fatal(err)
	}
	var solve, cert, solveCPU, certCPU time.Duration
	var calls int
	var gap float64
	for i := 0; i < b.N; i++ {
		c, _ := newSolveCertifier(s)
		timed := optimize.CertifierFunc(func(p *optimize.Problem, x []float64) (float64, error) {
			t := cpuNow()
			defer func() { certCPU += cpuNow() - t }()
			return c.LowerBound(p, x)
		})
		t0, cpu0 := time.Now(), cpuNow()
		res, err := optimize.Solve(p, optimize.Settings{Seed: 1, Restarts: 1, Certifier: timed})
		if err != nil {
			b.Fatal(err)
		}
		t := cpuNow()
		br, err := c.bracketAt(res, 1e-8)
		if err != nil {
			b.Fatal(err)
		}
		certCPU += cpuNow() - t
		solve += time.Since(t0)
		solveCPU += cpuNow() - cpu0
		cert += c.time
		calls += c.calls
		gap = br.CertifiedGap
	}
	b.ReportMetric(float64(cert.Milliseconds())/float64(b.N), "cert-ms/op")
	b.ReportMetric(float64(certCPU.Milliseconds())/float64(b.N), "cert-cpu-ms/op")
	b.ReportMetric(float64(calls)/float64(b.N), "bounds/op")
	b.ReportMetric(100*cert.Seconds()/solve.Seconds(), "%solve")
	b.ReportMetric(100*certCPU.Seconds()/solveCPU.Seconds(), "%solve-cpu")
	b.ReportMetric(gap*1e9, "gap-1e-9")
}

// TestSolvePolish: at --tol 1e-9 restart 0's bracket (about 7e-9) is wider
// than --cert-tol 1e-9; the restart is polished to a certified bracket, so
// one restart decides the solve, the report counts the polishing rounds
// and the same command gives the same bits. --cert-tol 0 polishes nothing
// and runs every restart, with the objective of the solver without a
// certifier.
func TestSolvePolish(t *testing.T) {
	args := []string{"--n", "40,20,10,5", "--d", "8", "--lambda-w", "5e-3", "--lambda-h", "5e-3", "--tol", "1e-9", "--seed", "1"}
	pol := solveJSON(t, append(args, "--cert-tol", "1e-9")...)
	r0 := pol["restarts"].([]any)[0].(map[string]any)
	if len(pol["restarts"].([]any)) != 1 || pol["certified"] != true || !(pol["polish_rounds"].(float64) >= 1) ||
		r0["polish_rounds"] != pol["polish_rounds"] || !(r0["polish_evaluations"].(float64) > 0) {
		t.Errorf("polished: %d restarts, certified %v, polish rounds %v, restart 0 %v", len(pol["restarts"].([]any)), pol["certified"], pol["polish_rounds"], r0)
	}
	if again := solveJSON(t, append(args, "--cert-tol", "1e-9")...); again["objective"] != pol["objective"] || again["evaluations"] != pol["evaluations"] {
		t.Errorf("same command: objective %v then %v", pol["objective"], again["objective"])
	}
	all := solveJSON(t, append(args, "--cert-tol", "0")...)
	if len(all["restarts"].([]any)) != 4 || all["polish_rounds"].(float64) != 0 {
		t.Errorf("--cert-tol 0: %d restarts, %v polish rounds", len(all["restarts"].([]any)), all["polish_rounds"])
	}
	s := setting.Setting{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	p, err := optimize.NewProblem(s)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := optimize.Solve(p, optimize.Settings{Tol: 1e-9, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if all["objective"].(float64) != plain.Objective || all["evaluations"].(float64) != float64(plain.Stats.Evaluations) {
		t.Errorf("--cert-tol 0: objective %v, %v evaluations; the solver without a certifier: %v, %d", all["objective"], all["evaluations"], plain.Objective, plain.Stats.Evaluations)
	}
}
