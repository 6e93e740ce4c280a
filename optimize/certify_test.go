package optimize

import (
	"errors"
	"hash/fnv"
	"math"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// dualBound is the lower bound of theory.md section 11 for the bias-free
// ReLU problem with cross-entropy, written in float64 from the theory for
// the tests (optimize has no bound of its own; the project's checker is
// package certificate): with pbar_k the mean softmax of class k at x,
// A = [sqrt(n_k) (e_k - pbar_k)/N]_k, Q+ = max(A^T A, 0), omega^2 <=
// max_i (Q+ v)_i / v_i for a positive v (Collatz-Wielandt, v from power
// iterations), alpha = min(1, sqrt(lambda_W lambda_H) / omega) and
//
//	LB = sum_k (n_k/N) Ent((1 - alpha) e_k + alpha pbar_k).
func dualBound(p *Problem, x []float64) (float64, error) {
	if p.Bias || !p.ReLU || !p.Loss.IsCE() {
		return 0, errors.New("dualBound: bias-free ReLU cross-entropy only")
	}
	pt := p.PointOf(x)
	K, N := p.K(), p.N()
	var z mat.Dense
	z.Mul(pt.W, pt.H)
	pbar := make([][]float64, K)
	col := 0
	for k, c := range p.Counts {
		pbar[k] = make([]float64, K)
		for i := 0; i < c; i++ {
			m := math.Inf(-1)
			for j := 0; j < K; j++ {
				m = math.Max(m, z.At(j, col))
			}
			s := 0.0
			for j := 0; j < K; j++ {
				s += math.Exp(z.At(j, col) - m)
			}
			for j := 0; j < K; j++ {
				pbar[k][j] += math.Exp(z.At(j, col)-m) / s / float64(c)
			}
			col++
		}
	}
	a := mat.NewDense(K, K, nil)
	for k, c := range p.Counts {
		for j := 0; j < K; j++ {
			e := 0.0
			if j == k {
				e = 1
			}
			a.Set(j, k, math.Sqrt(float64(c))*(e-pbar[k][j])/float64(N))
		}
	}
	var q mat.Dense
	q.Mul(a.T(), a)
	for i := 0; i < K; i++ {
		for j := 0; j < K; j++ {
			q.Set(i, j, math.Max(0, q.At(i, j)))
		}
	}
	v := make([]float64, K)
	for i := range v {
		v[i] = 1
	}
	qv := make([]float64, K)
	for it := 0; it < 200; it++ {
		big := 0.0
		for i := range qv {
			qv[i] = 0
			for j := range v {
				qv[i] += q.At(i, j) * v[j]
			}
			big = math.Max(big, qv[i])
		}
		for i := range v {
			v[i] = qv[i]/big + 1e-12
		}
	}
	omega2 := 0.0
	for i := range v {
		s := 0.0
		for j := range v {
			s += q.At(i, j) * v[j]
		}
		omega2 = math.Max(omega2, s/v[i])
	}
	alpha := 1.0
	if s := math.Sqrt(p.LambdaW * p.LambdaH); math.Sqrt(omega2) > s {
		alpha = s / math.Sqrt(omega2)
	}
	lb := 0.0
	for k, c := range p.Counts {
		ent := 0.0
		for j := 0; j < K; j++ {
			t := alpha * pbar[k][j]
			if j == k {
				t += 1 - alpha
			}
			if t > 0 {
				ent -= t * math.Log(t)
			}
		}
		lb += float64(c) / float64(N) * ent
	}
	return lb, nil
}

// TestDualBoundHelper: the bound of the tests is valid at random points and
// tight at the global minimum (theory.md section 11).
func TestDualBoundHelper(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	for seed := uint64(1); seed <= 5; seed++ {
		x := randomPoint(p, seed)
		lb, err := dualBound(p, x)
		if err != nil {
			t.Fatal(err)
		}
		if lb > fstar(p) {
			t.Errorf("seed %d: bound %.15g above f* %.15g", seed, lb, fstar(p))
		}
	}
}

// TestCertifiedEarlyStop: with a Certifier the first restart of setting (a)
// is certified (bracket below CertTol), so it alone decides the result: the
// same bits as a one-restart solve, one restart reported.
func TestCertifiedEarlyStop(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	res, err := Solve(p, Settings{Seed: 1, Restarts: 4, Certifier: CertifierFunc(dualBound)})
	if err != nil {
		t.Fatal(err)
	}
	one, err := Solve(p, Settings{Seed: 1, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarts) != 1 || !res.Restarts[0].Certified || !res.Certified || res.Best != 0 {
		t.Fatalf("restarts %+v, certified %v", res.Restarts, res.Certified)
	}
	if bitsDigest(res) != bitsDigest(one) {
		t.Error("the certified solve differs from the one-restart solve")
	}
	gap := res.Objective - res.LowerBound
	if !(gap >= -1e-12) || gap > 1e-8 || res.LowerBound > fstar(p)+1e-12 {
		t.Errorf("bracket [%.15g, %.15g], f* %.15g", res.LowerBound, res.Objective, fstar(p))
	}
	if res.Stats.Evaluations != res.Restarts[0].Evaluations {
		t.Errorf("stats count %d evaluations, the restart %d", res.Stats.Evaluations, res.Restarts[0].Evaluations)
	}
	t.Logf("bracket [%.15g, %.15g] (width %.2g), f* %.15g", res.LowerBound, res.Objective, gap, fstar(p))
}

// digestOf returns an FNV digest of the bits of x.
func digestOf(x []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range x {
		u := math.Float64bits(v)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

// TestCertifiedDeterministic: the result does not depend on the workers or
// on the scheduling when the first certified restart is not the first one
// and the certificates take different times: a certifier that certifies a
// point when the digest of its bits is 0 mod 3 (with the true objective as
// the bound) and sleeps for some points; an uncertified point (bracket
// width 1) is polished once, the bracket does not shrink, and polishing
// stops. The reference is the sequential solve (one worker), whose first
// certified restart is r*.
func TestCertifiedDeterministic(t *testing.T) {
	p := &Problem{Counts: []int{30, 10, 5}, Dim: 3, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}
	var mu sync.Mutex
	calls := 0
	cert := CertifierFunc(func(p *Problem, x []float64) (float64, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		f, err := p.Objective(p.PointOf(x))
		if err != nil {
			return 0, err
		}
		d := digestOf(x)
		if d%2 == 0 {
			time.Sleep(time.Duration(d%7) * time.Millisecond)
		}
		if d%3 == 0 {
			return f, nil
		}
		return f - 1, nil
	})
	set := Settings{Seed: 12, Restarts: 12, InitScale: 0.05, Certifier: cert, Workers: 1}
	ref, err := Solve(p, set)
	if err != nil {
		t.Fatal(err)
	}
	rstar := len(ref.Restarts) - 1
	if rstar == 0 || !ref.Restarts[rstar].Certified {
		t.Fatalf("r* = %d (certified %v): pick a seed whose first certified restart is in the middle", rstar, ref.Restarts[rstar].Certified)
	}
	for i, r := range ref.Restarts[:rstar] {
		if r.Certified {
			t.Fatalf("restart %d certified before r* = %d", i, rstar)
		}
	}
	for _, workers := range []int{2, 3, 4, 2, 4} {
		set.Workers = workers
		res, err := Solve(p, set)
		if err != nil {
			t.Fatal(err)
		}
		if bitsDigest(res) != bitsDigest(ref) || res.Best != ref.Best || len(res.Restarts) != len(ref.Restarts) {
			t.Errorf("workers %d: best %d of %d restarts, sequential: best %d of %d", workers, res.Best, len(res.Restarts), ref.Best, len(ref.Restarts))
		}
	}
	t.Logf("r* = %d of %d, best %d, %d certifier calls in all", rstar, set.Restarts, ref.Best, calls)
}

// TestCertifierError: a certifier's error is reported per restart and does
// not fail the solve; nothing is certified.
func TestCertifierError(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, Bias: true, LambdaB: 1e-3, ReLU: true}
	res, err := Solve(p, Settings{Seed: 1, Restarts: 2, Certifier: CertifierFunc(dualBound)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarts) != 2 || res.Certified || !math.IsNaN(res.LowerBound) {
		t.Fatalf("result %+v", res)
	}
	for i, r := range res.Restarts {
		if r.BoundErr == nil || r.Certified || !math.IsNaN(r.LowerBound) {
			t.Errorf("restart %d: %+v", i, r)
		}
	}
}

// TestSolvePointRerun: when the best counted restart's point was replaced
// on its worker by a later, ignored restart (above the first certified
// one), the point is regenerated by running the restart again: the same
// bits as the restart's own solve.
func TestSolvePointRerun(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	set := Settings{Seed: 3, Restarts: 3, Workers: 1}.withDefaults(p)
	run := newSolveRun(t.Context(), p, set)
	run.start(time.Now())
	// Pretend restart 0 was the first certified one and the worker's best
	// point belongs to a later restart.
	wk := &run.workers[0]
	wk.bestR = 2
	for i := range wk.best {
		wk.best[i] = math.NaN()
	}
	run.firstCert = 0
	x, err := run.point(0)
	if err != nil {
		t.Fatal(err)
	}
	single, err := Solve(p, Settings{Seed: 3, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if digestOf(x) != digestOf(single.X) {
		t.Error("the point run again differs from the restart's own point")
	}
}

// TestPolishCertifies: at Tol 1e-9 the first restart of setting (a) ends
// with a bracket wider than CertTol 1e-9 (about 7e-9); without polishing
// every restart runs and none is certified, with it (the default) the
// first restart is polished to a certified bracket and alone decides the
// result.
func TestPolishCertifies(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	set := Settings{Seed: 1, Restarts: 4, Tol: 1e-9, Certifier: CertifierFunc(dualBound), CertTol: 1e-9}
	set.MaxPolish = -1
	off, err := Solve(p, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Restarts) != 4 || off.Restarts[0].Certified || off.Stats.PolishRounds != 0 {
		t.Fatalf("without polishing: %d restarts, restart 0 certified %v, %d polish rounds", len(off.Restarts), off.Restarts[0].Certified, off.Stats.PolishRounds)
	}
	set.MaxPolish = 0
	res, err := Solve(p, set)
	if err != nil {
		t.Fatal(err)
	}
	r0 := res.Restarts[0]
	if len(res.Restarts) != 1 || !r0.Certified || !res.Certified || r0.PolishRounds < 1 || r0.PolishRounds > 3 {
		t.Fatalf("with polishing: %d restarts, restart 0 %+v", len(res.Restarts), r0)
	}
	if res.Stats.PolishRounds != r0.PolishRounds || res.Stats.PolishEvaluations != r0.PolishEvaluations ||
		r0.PolishEvaluations <= 0 || r0.PolishEvaluations >= r0.Evaluations {
		t.Errorf("stats %+v, restart 0 %+v", res.Stats, r0)
	}
	if !(res.Objective <= off.Restarts[0].Objective) || res.LowerBound > fstar(p)+1e-12 || res.Objective-res.LowerBound > 1e-9 {
		t.Errorf("bracket [%.15g, %.15g] (unpolished f %.15g), f* %.15g", res.LowerBound, res.Objective, off.Restarts[0].Objective, fstar(p))
	}
	t.Logf("unpolished width %.2g, %d polish rounds (%d of %d evaluations), width %.2g",
		off.Restarts[0].Objective-off.Restarts[0].LowerBound, r0.PolishRounds, r0.PolishEvaluations, r0.Evaluations, res.Objective-res.LowerBound)
}

// TestPolishOnlyWithCertifier: without a Certifier nothing is polished,
// and a certifier whose restarts are all certified at once polishes
// nothing either: the same bits as the solve without one, restart 0
// alone.
func TestPolishOnlyWithCertifier(t *testing.T) {
	p := &Problem{Counts: []int{30, 10, 5}, Dim: 3, LambdaW: 1e-2, LambdaH: 1e-2, ReLU: true}
	plain, err := Solve(p, Settings{Seed: 5, Restarts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Restarts) != 3 || plain.Stats.PolishRounds != 0 || plain.Stats.PolishEvaluations != 0 {
		t.Fatalf("no certifier: %d restarts, stats %+v", len(plain.Restarts), plain.Stats)
	}
	exact := CertifierFunc(func(p *Problem, x []float64) (float64, error) { return p.Objective(p.PointOf(x)) })
	one, err := Solve(p, Settings{Seed: 5, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Solve(p, Settings{Seed: 5, Restarts: 3, Certifier: exact})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Restarts) != 1 || res.Stats.PolishRounds != 0 || bitsDigest(res) != bitsDigest(one) {
		t.Errorf("exact certifier: %d restarts, %d polish rounds, same bits as one restart %v", len(res.Restarts), res.Stats.PolishRounds, bitsDigest(res) == bitsDigest(one))
	}
}
