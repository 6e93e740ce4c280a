package derivation

import (
	"math"
	"math/big"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/setting"
)

// The explicit minimizers of the other losses (theory.md section 12), built
// here from the formulas of theory.md, independently of package closedform,
// and checked with the exact KKT residual and the second-order test.

// bigCtx builds values at one precision.
type bigCtx struct{ prec uint }

func (c bigCtx) f() *big.Float                    { return new(big.Float).SetPrec(c.prec) }
func (c bigCtx) int(i int) *big.Float             { return c.f().SetInt64(int64(i)) }
func (c bigCtx) dec(d setting.Decimal) *big.Float { return d.Float(c.prec) }
func (c bigCtx) sqrt(x *big.Float) *big.Float     { return c.f().Sqrt(x) }
func (c bigCtx) quo(x, y *big.Float) *big.Float   { return c.f().Quo(x, y) }
func (c bigCtx) mul(x, y *big.Float) *big.Float   { return c.f().Mul(x, y) }

// orthogonalPoint is the point with class k's features sqrt(rho_k) e_k
// (coordinate k, d >= K; every sample of class k equal) and the classifier
// entries W[j][k] = col[k][j] sqrt(rho_k).
func orthogonalPoint(s setting.Setting, rho []*big.Float, col func(k, j int) *big.Float, c bigCtx) *Point {
	k, d := s.K(), s.Dim
	pt := &Point{W: make([][]*big.Float, k)}
	for j := range pt.W {
		pt.W[j] = make([]*big.Float, d)
		for i := range pt.W[j] {
			pt.W[j][i] = c.f()
		}
	}
	for cl := 0; cl < k; cl++ {
		h := make([]*big.Float, d)
		for i := range h {
			h[i] = c.f()
		}
		r := c.sqrt(rho[cl])
		h[cl] = r
		for j := 0; j < k; j++ {
			pt.W[j][cl] = c.mul(col(cl, j), r)
		}
		pt.Columns = append(pt.Columns, h)
		pt.Labels = append(pt.Labels, cl)
		pt.Mult = append(pt.Mult, s.Counts[cl])
	}
	return pt
}

// smoothingMinimizer is the prediction of theory.md section 12a for
// label-smoothed cross-entropy with smoothing a, ReLU features, bias-free:
//
//	c = sqrt((K-1)/K), beta_k = N sqrt(lambda_W lambda_H / n_k),
//	u_k = a (K-1)/K + c beta_k, M_k = log((K-1)(1/u_k - 1)) if that is > 0, else 0,
//	rho_k = M_k sqrt((K-1) lambda_W / (K lambda_H n_k)), h_k = sqrt(rho_k) e_k,
//	W = sum_k sqrt(K lambda_H n_k / ((K-1) lambda_W)) (e_k - 1/K) h_k^T,
//	f* = sum_k (n_k/N) [log(1 + (K-1) e^-M_k) + a M_k (K-1)/K + c beta_k M_k],
//
// at prec bits. It returns the point, f* and the margins.
func smoothingMinimizer(s setting.Setting, prec uint) (*Point, *big.Float, []*big.Float) {
	c := bigCtx{prec}
	k, n := s.K(), c.int(s.N())
	lw, lh, a := c.dec(s.LambdaW), c.dec(s.LambdaH), c.dec(s.Loss.Smoothing())
	km1 := c.int(k - 1)
	cc := c.sqrt(c.quo(km1, c.int(k)))
	aRest := c.quo(c.mul(a, km1), c.int(k))
	fstar := c.f()
	margins := make([]*big.Float, k)
	rho := make([]*big.Float, k)
	scale := make([]*big.Float, k)
	for cl, nk := range s.Counts {
		nkf := c.int(nk)
		beta := c.mul(n, c.sqrt(c.quo(c.mul(lw, lh), nkf)))
		cb := c.mul(cc, beta)
		u := c.f().Add(aRest, cb)
		arg := c.f().Sub(c.quo(c.int(1), u), c.int(1))
		arg.Mul(arg, km1)
		m := c.f()
		if arg.Cmp(c.int(1)) > 0 {
			m = bigfloat.Log(arg)
		}
		margins[cl] = m
		rho[cl] = c.mul(m, c.sqrt(c.quo(c.mul(km1, lw), c.mul(c.int(k), c.mul(lh, nkf)))))
		scale[cl] = c.sqrt(c.quo(c.mul(c.int(k), c.mul(lh, nkf)), c.mul(km1, lw)))
		// (n_k/N) [log(1 + (K-1) e^-M) + a M (K-1)/K + c beta M]
		term := bigfloat.Log(c.f().Add(c.int(1), c.mul(km1, bigfloat.Exp(c.f().Neg(m)))))
		term.Add(term, c.mul(aRest, m))
		term.Add(term, c.mul(cb, m))
		fstar.Add(fstar, c.mul(c.quo(nkf, n), term))
	}
	invK := c.quo(c.int(1), c.int(k))
	col := func(cl, j int) *big.Float {
		e := c.f().Neg(invK)
		if j == cl {
			e.Add(e, c.int(1))
		}
		return c.mul(scale[cl], e)
	}
	return orthogonalPoint(s, rho, col, c), fstar, margins
}

// squaredErrorMinimizer is the prediction of theory.md section 12b for the
// squared error, bias-free (the same with and without ReLU):
//
//	z_k = max(0, 1 - N sqrt(lambda_W lambda_H / n_k)), W Hbar = diag(z),
//	rho_k = ||h_k||^2 = z_k sqrt(lambda_W / (lambda_H n_k)), h_k = sqrt(rho_k) e_k,
//	w_k = sqrt(lambda_H n_k / lambda_W) h_k,
//	f* = sum_k [n_k (1 - z_k)^2 / (2N) + sqrt(lambda_W lambda_H n_k) z_k],
//
// at prec bits. It returns the point and f*.
func squaredErrorMinimizer(s setting.Setting, prec uint) (*Point, *big.Float) {
	c := bigCtx{prec}
	k, n := s.K(), c.int(s.N())
	lw, lh := c.dec(s.LambdaW), c.dec(s.LambdaH)
	fstar := c.f()
	rho := make([]*big.Float, k)
	scale := make([]*big.Float, k)
	for cl, nk := range s.Counts {
		nkf := c.int(nk)
		z := c.f().Sub(c.int(1), c.mul(n, c.sqrt(c.quo(c.mul(lw, lh), nkf))))
		if z.Sign() < 0 {
			z.SetInt64(0)
		}
		rho[cl] = c.mul(z, c.sqrt(c.quo(lw, c.mul(lh, nkf))))
		scale[cl] = c.sqrt(c.quo(c.mul(lh, nkf), lw))
		miss := c.f().Sub(c.int(1), z)
		term := c.quo(c.mul(nkf, c.mul(miss, miss)), c.mul(c.int(2), n))
		term.Add(term, c.mul(c.sqrt(c.mul(c.mul(lw, lh), nkf)), z))
		fstar.Add(fstar, term)
	}
	col := func(cl, j int) *big.Float {
		if j == cl {
			return scale[cl]
		}
		return c.f()
	}
	return orthogonalPoint(s, rho, col, c), fstar
}

func withLoss(s setting.Setting, loss string) setting.Setting {
	s = s.Clone()
	s.Loss = mustLoss(loss)
	return s
}

// pointGuard is the number of bits the test points carry above the
// precision of the evaluation, so that their own rounding is not what the
// residual measures.
const pointGuard = 32

// exactResidual asserts that the KKT residual of r is at the level of
// 2^-prec relative to the gradient terms (at most 2^16 units of 2^-prec of
// Scale) and that the objective is f* to the same relative level; it
// returns Residual / Scale.
func exactResidual(t *testing.T, r *KKT, fstar *big.Float, prec uint) float64 {
	t.Helper()
	level := new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)+16)
	rel := new(big.Float)
	if r.Scale.Sign() != 0 {
		rel.Quo(r.Residual, r.Scale)
	} else if r.Residual.Sign() != 0 {
		rel.SetInf(false) // no gradient terms (W = 0, H = 0): the residual must be 0
	}
	if rel.Cmp(level) > 0 {
		t.Errorf("KKT residual %s is %s of the gradient terms %s, above 2^-%d (W %s, b %v, compl %s, slack %v)",
			r.Residual.Text('g', 5), rel.Text('g', 5), r.Scale.Text('g', 5), prec-16, r.StationarityW.Text('g', 3),
			r.StationarityB, r.Complementarity.Text('g', 3), r.MinDualSlack)
	}
	d := new(big.Float).Sub(r.Objective, fstar)
	d.Quo(d.Abs(d), fstar)
	if d.Cmp(level) > 0 {
		t.Errorf("objective %s, theory.md's f* %s: relative difference %s", r.Objective.Text('g', 30), fstar.Text('g', 30), d.Text('g', 5))
	}
	f, _ := rel.Float64()
	return f
}

// TestKKTLabelSmoothing: the prediction of theory.md 12a (derived for this
// project, unpublished) is a KKT point of the full problem to the level of
// 2^-256, its objective is 12a's f*, its zero entries of H have positive
// dual slack except on unused coordinates (slack 0), and the second-order
// test finds a local minimum. The first case is 12a's worked example.
func TestKKTLabelSmoothing(t *testing.T) {
	const prec = 256
	ls := func(counts []int, d int, lw, lh, a string) setting.Setting {
		return withLoss(mkSetting(counts, d, lw, lh), "ls:"+a)
	}
	tests := []struct {
		name      string
		s         setting.Setting
		collapsed int
	}{
		{"worked a=0.1 K=10", ls([]int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, 10, "1e-4", "1e-5", "0.1"), 0},
		{"a=0.05 d>K", ls([]int{40, 20, 10, 5}, 6, "5e-3", "5e-3", "0.05"), 0},
		{"a=0.3 d=K", ls([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3", "0.3"), 0},
		{"a=0.1 one collapsed", ls([]int{100, 50, 10, 2}, 5, "1e-2", "1e-2", "0.1"), 1},
		{"a=0.3 two collapsed", ls([]int{200, 100, 50, 5, 3}, 6, "1e-2", "5e-3", "0.3"), 2},
		{"balanced a=0.3", ls([]int{10, 10, 10, 10}, 4, "1e-2", "1e-2", "0.3"), 0},
		{"global collapse", ls([]int{2, 2}, 2, "1", "1", "0.1"), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, fstar, margins := smoothingMinimizer(tc.s, prec+pointGuard)
			collapsed := 0
			for _, m := range margins {
				if m.Sign() == 0 {
					collapsed++
				}
			}
			if collapsed != tc.collapsed {
				t.Fatalf("%d collapsed classes, the test case expects %d", collapsed, tc.collapsed)
			}
			r, err := Evaluate(tc.s, pt, prec)
			if err != nil {
				t.Fatal(err)
			}
			rel := exactResidual(t, r, fstar, prec)
			alive := tc.s.K() - collapsed
			if r.MinDualSlack == nil {
				t.Fatal("no dual slack reported")
			}
			if tc.s.Dim > alive {
				if new(big.Float).Abs(r.MinDualSlack).Cmp(new(big.Float).SetMantExp(r.Scale, -int(prec)+16)) > 0 {
					t.Errorf("min dual slack %s, want 0 (unused coordinates)", r.MinDualSlack.Text('g', 5))
				}
			} else if r.MinDualSlack.Sign() <= 0 {
				t.Errorf("min dual slack %s, want > 0 (d = alive classes)", r.MinDualSlack.Text('g', 5))
			}
			hr, err := Hessian(tc.s, pt, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("f* %s, residual/scale %.3g, min slack %s; Hessian %s: smallest nonzero %.4g, zero %d/%d, cone min %.3g flat %d over %d",
				fstar.Text('g', 20), rel, r.MinDualSlack.Text('g', 4), hr.Verdict, hr.SmallestNonzero, hr.NearZero, hr.ExpectedZero,
				hr.Cone.Min, hr.Cone.Flat, hr.Cone.Coordinates)
			if hr.Verdict != LocalMinimum {
				t.Errorf("verdict %s: %v", hr.Verdict, hr.Explanation)
			}
			if hr.NearZero != 0 || hr.ExpectedZero != 0 {
				t.Errorf("near-zero %d, expected %d; want 0 and 0 (disjoint one-coordinate supports)", hr.NearZero, hr.ExpectedZero)
			}
			if hr.Cone.Coordinates != tc.s.Dim-alive || (hr.Cone.Coordinates > 0 && hr.Cone.Flat != alive) {
				t.Errorf("%d unused coordinates with %d flat rays, want %d with one per alive class (%d)", hr.Cone.Coordinates,
					hr.Cone.Flat, tc.s.Dim-alive, alive)
			}
		})
	}
}

// TestLabelSmoothingWorkedValues: the worked values of theory.md 12a
// (a = 0.1, counts (100,100,...,500,500), lambda_W = 1e-4, lambda_H = 1e-5):
// f* = 0.522813204815205076, M for the first class 4.4056 and for the last
// 4.4627 (to the 4 decimals given).
func TestLabelSmoothingWorkedValues(t *testing.T) {
	s := withLoss(mkSetting([]int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}, 10, "1e-4", "1e-5"), "ls:0.1")
	_, fstar, m := smoothingMinimizer(s, 256)
	want, _ := new(big.Float).SetPrec(256).SetString("0.522813204815205076")
	d := new(big.Float).Sub(fstar, want)
	if d.Abs(d).Cmp(big.NewFloat(1e-18)) > 0 {
		t.Errorf("f* = %s, theory.md 12a says 0.522813204815205076", fstar.Text('g', 25))
	}
	first, _ := m[0].Float64()
	last, _ := m[len(m)-1].Float64()
	if math.Abs(first-4.4056) > 5e-5 || math.Abs(last-4.4627) > 5e-5 {
		t.Errorf("margins %.6f and %.6f, theory.md 12a says 4.4056... and 4.4627...", first, last)
	}
}

// TestKKTLabelSmoothingScalesWithPrecision: at 128, 256 and 512 bits the
// residual at 12a's prediction falls with the precision.
func TestKKTLabelSmoothingScalesWithPrecision(t *testing.T) {
	s := withLoss(mkSetting([]int{40, 20, 10, 5}, 6, "5e-3", "5e-3"), "ls:0.3")
	var prev *big.Float
	for _, prec := range []uint{128, 256, 512} {
		pt, fstar, _ := smoothingMinimizer(s, prec+pointGuard)
		r, err := Evaluate(s, pt, prec)
		if err != nil {
			t.Fatal(err)
		}
		exactResidual(t, r, fstar, prec)
		if prev != nil && r.Residual.Sign() != 0 && r.Residual.Cmp(prev) >= 0 {
			t.Errorf("prec %d: residual %s did not fall below %s", prec, r.Residual.Text('g', 5), prev.Text('g', 5))
		}
		prev = r.Residual
	}
}

// TestKKTSquaredError: the prediction of theory.md 12b (Dang et al., ICML
// 2023, one layer) is a KKT point of the full problem to the level of
// 2^-256, with and without ReLU, on both sides of the squared error's
// collapse threshold n_k <= N^2 lambda_W lambda_H (including a class alive
// under MSE that cross-entropy collapses), and the second-order test finds a
// local minimum. Every zero entry of H has dual slack exactly 0 (W^T G
// vanishes off each class's own coordinate).
func TestKKTSquaredError(t *testing.T) {
	const prec = 256
	mse := func(counts []int, d int, lw, lh string) setting.Setting {
		return withLoss(mkSetting(counts, d, lw, lh), "mse")
	}
	tests := []struct {
		name      string
		s         setting.Setting
		collapsed int
	}{
		{"all alive d>K", mse([]int{40, 20, 10, 5}, 6, "5e-3", "5e-3"), 0},
		{"one collapsed", mse([]int{100, 50, 10, 2}, 4, "1e-2", "1e-2"), 1},
		{"alive under mse, collapsed under ce", mse([]int{30, 3, 3}, 3, "4.4e-2", "4.4e-2"), 0},
		{"two collapsed", mse([]int{30, 3, 3}, 4, "5e-2", "5e-2"), 2},
		{"global collapse", mse([]int{2, 2}, 2, "1", "1"), 2},
	}
	for _, tc := range tests {
		for _, plain := range []bool{false, true} {
			s := tc.s.Clone()
			s.NoReLU = plain
			name := tc.name
			if plain {
				name += " plain"
			}
			t.Run(name, func(t *testing.T) {
				pt, fstar := squaredErrorMinimizer(s, prec+pointGuard)
				alive := 0
				for _, col := range pt.Columns {
					for _, v := range col {
						if v.Sign() != 0 {
							alive++
						}
					}
				}
				if s.K()-alive != tc.collapsed {
					t.Fatalf("%d collapsed classes, the test case expects %d", s.K()-alive, tc.collapsed)
				}
				r, err := Evaluate(s, pt, prec)
				if err != nil {
					t.Fatal(err)
				}
				rel := exactResidual(t, r, fstar, prec)
				if !plain && (r.MinDualSlack == nil || r.MinDualSlack.Sign() != 0) {
					t.Errorf("min dual slack %v, want exactly 0", r.MinDualSlack)
				}
				hr, err := Hessian(s, pt, HessianOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("f* %s, residual/scale %.3g; Hessian %s: smallest nonzero %.4g, zero %d/%d, zero-slack entries %d (%d off unused coordinates), cone min %.3g flat %d over %d, unused %d",
					fstar.Text('g', 20), rel, hr.Verdict, hr.SmallestNonzero, hr.NearZero, hr.ExpectedZero, hr.ZeroSlackH, hr.Cone.Other,
					hr.Cone.Min, hr.Cone.Flat, hr.Cone.Coordinates, hr.Unused)
				if hr.Verdict != LocalMinimum {
					t.Errorf("verdict %s: %v", hr.Verdict, hr.Explanation)
				}
			})
		}
	}
}

// TestKKTLabelSmoothingNeedsItsOwnMargins: the check discriminates: the
// cross-entropy minimizer (12a's formulas with a = 0) is not a KKT point of
// the label-smoothed problem, nor 12a's point of the cross-entropy problem.
func TestKKTLabelSmoothingNeedsItsOwnMargins(t *testing.T) {
	base := mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3")
	for _, tc := range []struct{ point, loss string }{{"ce", "ls:0.1"}, {"ls:0.1", "ce"}} {
		pt, _, _ := smoothingMinimizer(withLoss(base, tc.point), 256)
		r, err := Evaluate(withLoss(base, tc.loss), pt, 256)
		if err != nil {
			t.Fatal(err)
		}
		if r.Residual.Cmp(big.NewFloat(1e-4)) < 0 {
			t.Errorf("the %s minimizer under the %s loss: residual %s, want > 1e-4", tc.point, tc.loss, r.Residual.Text('g', 5))
		}
	}
}
