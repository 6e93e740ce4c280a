package optimize

import (
	"fmt"
	"math"
	"testing"
)

// aliveThreshold is K N^2 lambda_W lambda_H / (K-1) of theory.md section 3:
// class k collapses iff n_k is at or below it.
func aliveThreshold(p *Problem) float64 {
	k, n := float64(p.K()), float64(p.N())
	return k * n * n * p.LambdaW * p.LambdaH / (k - 1)
}

func TestSolveReachesTheoryOptimum(t *testing.T) {
	cases := []struct {
		name      string
		p         Problem
		collapsed int // classes at or below the threshold
	}{
		{"K2-balanced", Problem{Counts: []int{10, 10}, Dim: 2, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}, 0},
		{"K2-imbalanced", Problem{Counts: []int{50, 5}, Dim: 2, LambdaW: 3e-3, LambdaH: 1e-3, ReLU: true}, 0},
		{"K3-imbalanced", Problem{Counts: []int{30, 10, 5}, Dim: 3, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}, 0},
		{"K3-collapsed-class", Problem{Counts: []int{100, 100, 5}, Dim: 3, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}, 1},
		{"K4-imbalanced", Problem{Counts: []int{30, 10, 5, 3}, Dim: 4, LambdaW: 3e-3, LambdaH: 3e-3, ReLU: true}, 0},
		{"K5-steps", Problem{Counts: []int{80, 40, 20, 10, 5}, Dim: 5, LambdaW: 1e-3, LambdaH: 2e-3, ReLU: true}, 0},
		{"K5-two-collapsed", Problem{Counts: []int{200, 150, 100, 4, 2}, Dim: 5, LambdaW: 8e-3, LambdaH: 2e-3, ReLU: true}, 2},
		{"a", Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &c.p
			collapsed := 0
			for _, n := range p.Counts {
				if float64(n) <= aliveThreshold(p) {
					collapsed++
				}
			}
			if collapsed != c.collapsed {
				t.Fatalf("test setup: %d classes below the threshold %.4g, want %d", collapsed, aliveThreshold(p), c.collapsed)
			}
			res, err := Solve(p, Settings{Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			want := fstar(p)
			if rel := math.Abs(res.Objective-want) / want; rel > 1e-10 {
				t.Errorf("objective %.17g, theory f* %.17g, relative difference %.3g", res.Objective, want, rel)
			}
			if !res.Converged || res.KKTResidual > 1e-10 {
				t.Errorf("best restart: residual %.3g, converged %v", res.KKTResidual, res.Converged)
			}
			if z := res.Restarts[res.Best].ZeroMeanClasses; z != c.collapsed {
				t.Errorf("best restart has %d zero classes, theory predicts %d collapsed", z, c.collapsed)
			}
			if len(res.Restarts) != 4 {
				t.Errorf("%d restarts, want the default 4", len(res.Restarts))
			}
			for i, r := range res.Restarts {
				if r.Converged != (r.KKTResidual <= 1e-10) {
					t.Errorf("restart %d: converged %v with residual %.3g", i, r.Converged, r.KKTResidual)
				}
				if math.IsNaN(r.Objective) || r.Objective < res.Objective {
					t.Errorf("restart %d: objective %v below the returned best %v", i, r.Objective, res.Objective)
				}
				if r.Seed != RestartSeed(42, i) {
					t.Errorf("restart %d: seed %d, want %d", i, r.Seed, RestartSeed(42, i))
				}
			}
			// The returned point is the reported one.
			f, r, err := p.KKTResidual(res.Point)
			if err != nil || f != res.Objective || r != res.KKTResidual {
				t.Errorf("re-evaluated point: f %v residual %v err %v; reported %v %v", f, r, err, res.Objective, res.KKTResidual)
			}
		})
	}
}

func TestSolveDeterministic(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, Bias: true, LambdaB: 1e-3, ReLU: true}
	var runs []*Result
	for _, workers := range []int{1, 2, 4, 2} {
		res, err := Solve(p, Settings{Seed: 7, Restarts: 5, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, res)
	}
	for i, r := range runs[1:] {
		if len(r.X) != len(runs[0].X) {
			t.Fatal("lengths differ")
		}
		for j := range r.X {
			if math.Float64bits(r.X[j]) != math.Float64bits(runs[0].X[j]) {
				t.Fatalf("run %d: x[%d] = %v, first run %v", i+1, j, r.X[j], runs[0].X[j])
			}
		}
		for k := range r.Restarts {
			a, b := r.Restarts[k], runs[0].Restarts[k]
			if math.Float64bits(a.Objective) != math.Float64bits(b.Objective) || a.Iterations != b.Iterations || a.Evaluations != b.Evaluations {
				t.Errorf("run %d restart %d: %+v, first run %+v", i+1, k, a, b)
			}
		}
	}
	// A different seed gives a different start, hence different bits.
	other, err := Solve(p, Settings{Seed: 8, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for j := range other.X {
		same = same && other.X[j] == runs[0].X[j]
	}
	if same {
		t.Error("seeds 7 and 8 gave identical points")
	}
}

func TestEscapeFromDeadClass(t *testing.T) {
	// Small starts on this d = K problem often end at stationary points
	// with dead classes (one live class spread over every coordinate).
	cases := []Problem{
		{Counts: []int{30, 10, 5}, Dim: 3, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true},
		{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true},
	}
	for ci := range cases {
		p := &cases[ci]
		want := fstar(p)
		stuck := 0
		for seed := uint64(0); seed < 12; seed++ {
			noEsc, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01, MaxEscapes: -1})
			if err != nil {
				t.Fatal(err)
			}
			r := noEsc.Restarts[0]
			if r.ZeroMeanClasses == 0 || !r.Converged {
				continue
			}
			// A genuine stationary point with dead classes, above f*.
			if r.Objective <= want*(1+1e-3) {
				t.Errorf("case %d seed %d: dead classes but objective %.10g at f* %.10g", ci, seed, r.Objective, want)
				continue
			}
			stuck++
			esc, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01})
			if err != nil {
				t.Fatal(err)
			}
			e := esc.Restarts[0]
			if e.Escapes == 0 || e.ZeroMeanClasses != 0 || math.Abs(e.Objective-want) > 1e-10*want || !e.Converged {
				t.Errorf("case %d seed %d: from the dead-class point (f %.10g, %d zero classes) the escape reached f %.12g (f* %.12g), %d escapes, %d zero classes, residual %.3g",
					ci, seed, r.Objective, r.ZeroMeanClasses, e.Objective, want, e.Escapes, e.ZeroMeanClasses, e.KKTResidual)
			}
		}
		if stuck == 0 {
			t.Errorf("case %d: no seed led to a dead-class stationary point; the test exercised nothing", ci)
		}
		t.Logf("case %d: %d of 12 small starts stuck at dead-class points without escapes", ci, stuck)
	}
}

func TestSolvePlainUFMAndBias(t *testing.T) {
	// No closed form here: check convergence, and that the ReLU optimum
	// is not below the plain UFM optimum (the UFM relaxes the constraint).
	base := Problem{Counts: []int{20, 10, 5}, Dim: 4, LambdaW: 5e-3, LambdaH: 5e-3}
	cases := []struct {
		name string
		mod  func(*Problem)
	}{
		{"plain", func(p *Problem) {}},
		{"plain-bias", func(p *Problem) { p.Bias, p.LambdaB = true, 1e-3 }},
		{"relu-bias", func(p *Problem) { p.Bias, p.LambdaB, p.ReLU = true, 1e-3, true }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := base
			p.Counts = append([]int(nil), base.Counts...)
			c.mod(&p)
			res, err := Solve(&p, Settings{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged {
				t.Errorf("not converged: residual %.3g", res.KKTResidual)
			}
			if p.ReLU {
				q := p
				q.ReLU = false
				plain, err := Solve(&q, Settings{Seed: 3})
				if err != nil {
					t.Fatal(err)
				}
				if plain.Objective > res.Objective*(1+1e-12) {
					t.Errorf("plain UFM optimum %.15g above the constrained %.15g", plain.Objective, res.Objective)
				}
			} else if want := fstar(&p); !p.Bias && res.Objective > want {
				t.Errorf("plain UFM objective %.15g above the ReLU optimum %.15g", res.Objective, want)
			}
		})
	}
}

func TestSettingsValidation(t *testing.T) {
	p := &Problem{Counts: []int{2, 2}, Dim: 2, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}
	for _, s := range []Settings{{Tol: -1}, {Tol: math.NaN()}, {MaxIter: -3}, {Restarts: -1}, {InitScale: -2}} {
		if _, err := Solve(p, s); err == nil {
			t.Errorf("settings %+v accepted", s)
		}
	}
	if _, err := Solve(&Problem{Counts: []int{2}, Dim: 1, LambdaW: 1, LambdaH: 1}, Settings{}); err == nil {
		t.Error("one-class problem accepted")
	}
}

func TestBaselineConverges(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	e, _ := NewEvaluator(p)
	x := make([]float64, p.NumVars())
	InitialPoint(p, 1, 1, x)
	loc, err := (&ProjectedGradient{Step: 3}).Minimize(e, x, Limits{Tol: 1e-10, MaxIter: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if loc.Status != Converged || math.Abs(loc.F-fstar(p)) > 1e-10*fstar(p) {
		t.Errorf("baseline: %+v, f* %.17g", loc, fstar(p))
	}
	// A step far beyond 2/L diverges; that is an error, not a NaN result.
	x2 := make([]float64, p.NumVars())
	InitialPoint(p, 1, 1, x2)
	loc, err = (&ProjectedGradient{Step: 1e6}).Minimize(e, x2, Limits{Tol: 1e-10, MaxIter: 1000})
	if err == nil && !(loc.Residual > 1e-10) {
		t.Errorf("huge step: %+v, %v", loc, err)
	}
	if err == nil && (math.IsNaN(loc.F) || math.IsInf(loc.F, 0)) {
		t.Errorf("huge step returned a non-finite objective without an error: %+v", loc)
	}
}

func ExampleSolve() {
	// Setting (a) of the benchmarks: K = 4, d = 8.
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	res, err := Solve(p, Settings{Seed: 1, Restarts: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("objective %.12f, converged %v, residual <= 1e-10: %v\n", res.Objective, res.Converged, res.KKTResidual <= 1e-10)
	for _, r := range res.Restarts {
		fmt.Printf("restart objective %.12f, zero classes %d\n", r.Objective, r.ZeroMeanClasses)
	}
	// Output:
	// objective 0.326207578747, converged true, residual <= 1e-10: true
	// restart objective 0.326207578747, zero classes 0
	// restart objective 0.326207578747, zero classes 0
	// restart objective 0.326207578747, zero classes 0
	// restart objective 0.326207578747, zero classes 0
}
