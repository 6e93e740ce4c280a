package optimize

import (
	"math"
	"testing"
)

// maxMeanCos returns the largest |cos| between the means of two classes
// with non-zero means.
func maxMeanCos(p *Problem, x []float64) float64 {
	means := classMeans(p, x)
	worst := 0.0
	for k := range means {
		for l := k + 1; l < len(means); l++ {
			nk, nl := dot(means[k], means[k]), dot(means[l], means[l])
			if nk == 0 || nl == 0 {
				continue
			}
			worst = math.Max(worst, math.Abs(dot(means[k], means[l]))/math.Sqrt(nk*nl))
		}
	}
	return worst
}

// escapeCandidates returns the classes with a direction of negative
// curvature at x (see escaper).
func escapeCandidates(t *testing.T, p *Problem, x []float64) []candidate {
	t.Helper()
	e, err := NewEvaluator(p)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float64, len(x))
	if _, err := e.FuncGrad(x, g); err != nil {
		t.Fatal(err)
	}
	q := make([][]float64, p.K())
	for k := range q {
		q[k] = make([]float64, p.K())
	}
	s := escaper{p: p, e: e}
	return s.candidates(x, g, q)
}

// TestEscapeFromSharedSupport: with d = K and many classes, a default
// restart of this setting stops at a stationary point where every class is
// alive but some classes share feature coordinates (and large classes own
// two), above the global minimum. Without escapes the restart stays there;
// with them it reaches f*, with disjoint supports.
func TestEscapeFromSharedSupport(t *testing.T) {
	p := &Problem{Counts: []int{108, 17, 4, 9, 27, 180, 2, 5, 78, 4, 3, 2, 3, 7, 2, 175, 20, 123, 3, 21},
		Dim: 20, LambdaW: 5e-4, LambdaH: 9e-4, ReLU: true}
	want := fstar(p)
	noEsc, err := Solve(p, Settings{Seed: 1, Restarts: 1, MaxEscapes: -1})
	if err != nil {
		t.Fatal(err)
	}
	r := noEsc.Restarts[0]
	if !r.Converged || r.ZeroMeanClasses != 0 || r.Escapes != 0 {
		t.Fatalf("without escapes: %+v, want a converged point with no zero class", r)
	}
	if r.Objective <= want*(1+1e-4) {
		t.Fatalf("without escapes the restart reached %.12g, f* %.12g: the trap is not reproduced", r.Objective, want)
	}
	if c := maxMeanCos(p, noEsc.X); c < 0.1 {
		t.Errorf("trap point: max |cos| of class means %.3g, expected shared supports", c)
	}
	if c := escapeCandidates(t, p, noEsc.X); len(c) == 0 {
		t.Error("trap point: no class with a direction of negative curvature")
	}

	esc, err := Solve(p, Settings{Seed: 1, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := esc.Restarts[0]
	if math.Abs(e.Objective-want) > 1e-10*want || !e.Converged || e.Escapes == 0 || e.ZeroMeanClasses != 0 {
		t.Errorf("with escapes: objective %.15g (f* %.15g), %+v", e.Objective, want, e)
	}
	if c := maxMeanCos(p, esc.X); c > 1e-6 {
		t.Errorf("with escapes: max |cos| of class means %.3g, want disjoint supports", c)
	}
	// At the global minimum the second-order test finds nothing: the escape
	// would keep it.
	if c := escapeCandidates(t, p, esc.X); len(c) != 0 {
		t.Errorf("at f*: escape candidates %+v", c)
	}
	t.Logf("without escapes %.12g, with %.12g (%d escapes), f* %.12g", r.Objective, e.Objective, e.Escapes, want)
}

// TestBatchEscape: from small starts several classes of this K = 24
// setting (all alive at the global minimum) die; one escape step revives
// several of them at once (each on its own freed coordinate, with its own
// step) and the restart reaches f*.
func TestBatchEscape(t *testing.T) {
	counts := make([]int, 24)
	for k := range counts {
		counts[k] = 120 - 4*k
	}
	p := &Problem{Counts: counts, Dim: 24, LambdaW: 2e-3, LambdaH: 2e-3, ReLU: true}
	want := fstar(p)
	several := 0
	for seed := uint64(1); seed <= 3; seed++ {
		noEsc, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01, MaxEscapes: -1})
		if err != nil {
			t.Fatal(err)
		}
		r := noEsc.Restarts[0]
		if r.ZeroMeanClasses < 2 || r.Objective <= want*(1+1e-6) {
			t.Fatalf("seed %d without escapes: %d zero classes, objective %.12g (f* %.12g): the test needs several dead classes", seed, r.ZeroMeanClasses, r.Objective, want)
		}
		res, err := Solve(p, Settings{Seed: seed, Restarts: 1, InitScale: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		e := res.Restarts[0]
		if math.Abs(e.Objective-want) > 1e-10*want || !e.Converged || e.ZeroMeanClasses != 0 {
			t.Errorf("seed %d with escapes: objective %.15g (f* %.15g), %+v", seed, e.Objective, want, e)
		}
		if e.EscapedClasses > e.Escapes {
			several++
		}
		t.Logf("seed %d: %d dead classes without escapes; with: %d escape steps moved %d classes, %d evaluations", seed, r.ZeroMeanClasses, e.Escapes, e.EscapedClasses, e.Evaluations)
	}
	if several == 0 {
		t.Error("no escape step moved more than one class")
	}
}
