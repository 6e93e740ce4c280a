package derivation

import (
	"math/big"
	"testing"

	"nccheck/setting"
)

// Unregularised bias (Bias with lambda_b = 0): stationarity in b is
// G 1 = 0, and for a softmax loss b -> b + t 1 is a symmetry.

func unregularised(s setting.Setting) setting.Setting {
	s = s.Clone()
	s.Bias, s.LambdaB = true, setting.MustDecimal("0")
	return s
}

// TestKKTUnregularisedBiasBalanced: with balanced classes the bias-free
// minimizer (theory.md section 2, or 12a for label smoothing) with any bias
// b = t 1 is a KKT point of the problem with an unregularised bias: by the
// symmetry of the classes G 1 = (n/N) sum_k (p_k - t_k) = 0. The Hessian has
// exactly one zero eigenvalue, the shift of b along 1, and the point is a
// local minimum up to it.
func TestKKTUnregularisedBiasBalanced(t *testing.T) {
	const prec = 256
	for _, loss := range []string{"ce", "ls:0.1"} {
		for _, shift := range []string{"0", "0.7"} {
			t.Run(loss+" b="+shift, func(t *testing.T) {
				s := unregularised(withLoss(mkSetting([]int{10, 10, 10}, 4, "1e-2", "1e-2"), loss))
				pt, fstar, _ := smoothingMinimizer(s, prec+pointGuard)
				b := setting.MustDecimal(shift).Float(prec + pointGuard)
				pt.B = []*big.Float{b, b, b}
				r, err := Evaluate(s, pt, prec)
				if err != nil {
					t.Fatal(err)
				}
				if r.StationarityB == nil {
					t.Fatal("no stationarity in b reported")
				}
				exactResidual(t, r, fstar, prec)
				hr, err := Hessian(s, pt, HessianOptions{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("residual %s (b: %s); Hessian %s: smallest %.3g, smallest nonzero %.4g, zero %d/%d (bias shift %d)",
					r.Residual.Text('g', 3), r.StationarityB.Text('g', 3), hr.Verdict, hr.Smallest[0], hr.SmallestNonzero,
					hr.NearZero, hr.ExpectedZero, hr.BiasShift)
				if hr.BiasShift != 1 || hr.ExpectedZero != 1 || hr.NearZero != 1 {
					t.Errorf("bias shift %d, expected zero %d, near zero %d; want 1, 1, 1", hr.BiasShift, hr.ExpectedZero, hr.NearZero)
				}
				if hr.Verdict != LocalMinimum {
					t.Errorf("verdict %s: %v", hr.Verdict, hr.Explanation)
				}
			})
		}
	}
}

// TestKKTUnregularisedBiasImbalanced: with imbalanced classes the bias-free
// minimizer with b = 0 is not stationary in an unregularised b (G 1 != 0):
// the check must see it, in b only.
func TestKKTUnregularisedBiasImbalanced(t *testing.T) {
	const prec = 256
	s := unregularised(mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3"))
	pt, _, _ := smoothingMinimizer(s, prec+pointGuard)
	pt.B = []*big.Float{new(big.Float), new(big.Float), new(big.Float), new(big.Float)}
	r, err := Evaluate(s, pt, prec)
	if err != nil {
		t.Fatal(err)
	}
	tiny := new(big.Float).SetMantExp(r.Scale, -int(prec)+16)
	if r.StationarityW.Cmp(tiny) > 0 || r.Complementarity.Cmp(tiny) > 0 {
		t.Errorf("stationarity in W %s, complementarity %s: want the bias-free point's 2^-256 level",
			r.StationarityW.Text('g', 3), r.Complementarity.Text('g', 3))
	}
	if r.StationarityB.Cmp(big.NewFloat(1e-3)) < 0 || r.Residual.Cmp(r.StationarityB) != 0 {
		t.Errorf("||G 1|| = %s, residual %s: want G 1 clearly nonzero and the whole residual", r.StationarityB.Text('g', 5), r.Residual.Text('g', 5))
	}
	hr, err := Hessian(s, pt, HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hr.Verdict != NotKKT {
		t.Errorf("verdict %s, want not-kkt (gradient %g)", hr.Verdict, hr.GradientNorm)
	}
}

// jacobiEigen returns the eigenvalues and eigenvectors (columns of v) of the
// symmetric matrix a (overwritten) by cyclic Jacobi rotations at the
// precision of bigCtx, until every off-diagonal entry is below 2^-prec of
// the largest diagonal one.
func jacobiEigen(a [][]*big.Float, c bigCtx) ([]*big.Float, [][]*big.Float) {
	n := len(a)
	v := make([][]*big.Float, n)
	for i := range v {
		v[i] = make([]*big.Float, n)
		for j := range v[i] {
			v[i][j] = c.f()
			if i == j {
				v[i][j].SetInt64(1)
			}
		}
	}
	rotate := func(m [][]*big.Float, p, q int, cs, sn *big.Float, rows bool) {
		for r := 0; r < n; r++ {
			var x, y **big.Float
			if rows {
				x, y = &m[p][r], &m[q][r]
			} else {
				x, y = &m[r][p], &m[r][q]
			}
			nx := c.f().Sub(c.mul(cs, *x), c.mul(sn, *y))
			ny := c.f().Add(c.mul(sn, *x), c.mul(cs, *y))
			*x, *y = nx, ny
		}
	}
	for sweep := 0; sweep < 60; sweep++ {
		top, off := c.f(), c.f()
		for i := 0; i < n; i++ {
			if d := c.f().Abs(a[i][i]); d.Cmp(top) > 0 {
				top = d
			}
			for j := 0; j < n; j++ {
				if d := c.f().Abs(a[i][j]); i != j && d.Cmp(off) > 0 {
					off = d
				}
			}
		}
		if off.Sign() == 0 || off.Cmp(new(big.Float).SetMantExp(top, -int(c.prec))) < 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				if a[p][q].Sign() == 0 {
					continue
				}
				// Rotation zeroing a[p][q]: theta = (a_qq - a_pp) / (2 a_pq),
				// t = sign(theta) / (|theta| + sqrt(theta^2 + 1)).
				theta := c.quo(c.f().Sub(a[q][q], a[p][p]), c.mul(c.int(2), a[p][q]))
				t := c.quo(c.int(1), c.f().Add(c.f().Abs(theta), c.sqrt(c.f().Add(c.mul(theta, theta), c.int(1)))))
				if theta.Sign() < 0 {
					t.Neg(t)
				}
				cs := c.quo(c.int(1), c.sqrt(c.f().Add(c.mul(t, t), c.int(1))))
				sn := c.mul(t, cs)
				// a <- P^T a P, P the rotation with P_pp = P_qq = cs, P_pq = -P_qp = sn:
				// columns then rows; v <- v P.
				rotate(a, p, q, cs, sn, false)
				rotate(a, p, q, cs, sn, true)
				rotate(v, p, q, cs, sn, false)
			}
		}
	}
	vals := make([]*big.Float, n)
	for i := range vals {
		vals[i] = a[i][i]
	}
	return vals, v
}

// squaredErrorBiasPoint is the statement of theory.md 12b for the squared
// error with an unregularised bias, plain UFM (no ReLU): with
// D = diag(sqrt(n)), s = sqrt(lambda_W lambda_H) and
// B = (I - n 1^T / N) D,
//
//	b* = n / N,   W Hbar D = A = SVT_{N s}(B),
//
// SVT_t the singular-value soft threshold. The point factors A = U S' V^T
// (S' = max(S - N s, 0)) in balance: W = (lambda_H/lambda_W)^(1/4) U S'^(1/2)
// and Hbar = (lambda_W/lambda_H)^(1/4) S'^(1/2) V^T D^-1 (one coordinate per
// kept singular value, so d must be at least their number), and the
// predicted objective is
//
//	f* = (1/(2N)) sum_i min(sigma_i, N s)^2 + s sum_i max(sigma_i - N s, 0).
//
// It returns the point, f*, the number of kept singular values, and the
// smallest off-diagonal entry of Hbar^T Hbar (negative: no point with
// nonnegative features has this Gram matrix).
func squaredErrorBiasPoint(s setting.Setting, prec uint) (*Point, *big.Float, int, *big.Float) {
	c := bigCtx{prec}
	k, d, n := s.K(), s.Dim, c.int(s.N())
	lw, lh := c.dec(s.LambdaW), c.dec(s.LambdaH)
	sq := c.sqrt(c.mul(lw, lh))
	thr := c.mul(n, sq)
	rootN := make([]*big.Float, k)
	for j, nj := range s.Counts {
		rootN[j] = c.sqrt(c.int(nj))
	}
	bm := make([][]*big.Float, k) // B_jl = sqrt(n_j) delta_jl - n_j sqrt(n_l) / N
	for j := range bm {
		bm[j] = make([]*big.Float, k)
		for l := range bm[j] {
			bm[j][l] = c.f().Neg(c.quo(c.mul(c.int(s.Counts[j]), rootN[l]), n))
			if j == l {
				bm[j][l].Add(bm[j][l], rootN[j])
			}
		}
	}
	btb := make([][]*big.Float, k)
	for i := range btb {
		btb[i] = make([]*big.Float, k)
		for l := range btb[i] {
			btb[i][l] = c.f()
			for j := 0; j < k; j++ {
				btb[i][l].Add(btb[i][l], c.mul(bm[j][i], bm[j][l]))
			}
		}
	}
	eig, vecs := jacobiEigen(btb, c)
	pt := &Point{W: make([][]*big.Float, k), B: make([]*big.Float, k)}
	for j := range pt.W {
		pt.W[j] = make([]*big.Float, d)
		for i := range pt.W[j] {
			pt.W[j][i] = c.f()
		}
		pt.B[j] = c.quo(c.int(s.Counts[j]), n)
	}
	hbar := make([][]*big.Float, k) // class means, d each
	for cl := range hbar {
		hbar[cl] = make([]*big.Float, d)
		for i := range hbar[cl] {
			hbar[cl][i] = c.f()
		}
	}
	wScale := c.sqrt(c.sqrt(c.quo(lh, lw)))
	hScale := c.sqrt(c.sqrt(c.quo(lw, lh)))
	fstar := c.f()
	kept := 0
	for r, lam := range eig {
		if lam.Sign() < 0 {
			lam = c.f()
		}
		sigma := c.sqrt(lam)
		low := sigma
		if sigma.Cmp(thr) > 0 {
			low = thr
		}
		fstar.Add(fstar, c.quo(c.mul(low, low), c.mul(c.int(2), n)))
		if sigma.Cmp(thr) <= 0 {
			continue
		}
		if kept == d {
			panic("d below the number of kept singular values")
		}
		rest := c.f().Sub(sigma, thr)
		fstar.Add(fstar, c.mul(sq, rest))
		root := c.sqrt(rest)
		for j := 0; j < k; j++ {
			u := c.f() // (B v_r)_j / sigma
			for l := 0; l < k; l++ {
				u.Add(u, c.mul(bm[j][l], vecs[l][r]))
			}
			pt.W[j][kept] = c.mul(wScale, c.mul(root, c.quo(u, sigma)))
		}
		for cl := 0; cl < k; cl++ {
			hbar[cl][kept] = c.quo(c.mul(hScale, c.mul(root, vecs[cl][r])), rootN[cl])
		}
		kept++
	}
	minGram := (*big.Float)(nil)
	for cl := 0; cl < k; cl++ {
		for cl2 := cl + 1; cl2 < k; cl2++ {
			dot := c.f()
			for i := 0; i < d; i++ {
				dot.Add(dot, c.mul(hbar[cl][i], hbar[cl2][i]))
			}
			if minGram == nil || dot.Cmp(minGram) < 0 {
				minGram = dot
			}
		}
		pt.Columns = append(pt.Columns, hbar[cl])
		pt.Labels = append(pt.Labels, cl)
		pt.Mult = append(pt.Mult, s.Counts[cl])
	}
	return pt, fstar, kept, minGram
}

// TestKKTSquaredErrorUnregularisedBias checks the unregularised-bias
// statement of theory.md 12b (b* = n/N, W Hbar diag(sqrt n) =
// SVT_{N s}((I - n 1^T/N) diag(sqrt n)); derived, not published) for the
// plain UFM: the point is a KKT point to the level of 2^-256, its objective
// is the statement's, and the Hessian finds a local minimum up to the
// rotations (no bias shift: the squared error is not shift-invariant). The
// class means' Gram matrix (the same for every factorisation in balance)
// has negative entries in every case, so with ReLU features the statement
// cannot hold as it is (nonnegative features have nonnegative inner
// products).
func TestKKTSquaredErrorUnregularisedBias(t *testing.T) {
	const prec = 256
	tests := []struct {
		name string
		s    setting.Setting
		kept int
	}{
		{"imbalanced K=4", mkSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3"), 3},
		{"imbalanced K=3", mkSetting([]int{30, 3, 3}, 3, "4.4e-2", "4.4e-2"), 2},
		{"balanced K=3 d=4", mkSetting([]int{10, 10, 10}, 4, "1e-2", "1e-2"), 2},
		{"one value cut", mkSetting([]int{100, 50, 10, 2}, 4, "1e-2", "1e-2"), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := unregularised(withLoss(tc.s, "mse"))
			s.NoReLU = true
			pt, fstar, kept, minGram := squaredErrorBiasPoint(s, prec+pointGuard)
			if kept != tc.kept {
				t.Fatalf("%d singular values above N s, the test case expects %d", kept, tc.kept)
			}
			r, err := Evaluate(s, pt, prec)
			if err != nil {
				t.Fatal(err)
			}
			rel := exactResidual(t, r, fstar, prec)
			hr, err := Hessian(s, pt, HessianOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("f* %s, residual/scale %.3g (b: %s); min off-diagonal of Hbar^T Hbar %s; Hessian %s: smallest nonzero %.4g, zero %d/%d, rank %d",
				fstar.Text('g', 20), rel, r.StationarityB.Text('g', 3), minGram.Text('g', 4), hr.Verdict, hr.SmallestNonzero,
				hr.NearZero, hr.ExpectedZero, hr.SpanRank)
			if minGram.Sign() >= 0 {
				t.Errorf("smallest off-diagonal entry of Hbar^T Hbar %s: the test expects a negative one (no ReLU-feasible point)", minGram.Text('g', 4))
			}
			if hr.BiasShift != 0 {
				t.Errorf("bias shift %d for the squared error", hr.BiasShift)
			}
			if hr.Verdict != LocalMinimum {
				t.Errorf("verdict %s: %v", hr.Verdict, hr.Explanation)
			}
		})
	}
}
