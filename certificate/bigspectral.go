package certificate

import (
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/internal/bigmath"
)

// The spectral part of the big-float bound: a rigorous upper bound rho_up
// of the squared dual gauge omega^2 of the class dual point, from the
// exact directions g (rounded to nearest once, with the rounding carried).
//
// With S = diag(sqrt(n_k)) / N and G = g g^T (G_kl = g_k . g_l), Q = S G S.
//
//   - ReLU: omega^2 <= rho(Q+) = rho(G+ S^2), and for any y > 0
//     (Collatz-Wielandt) rho(G+ S^2) <= max_i (G+ S^2 y)_i / y_i. Every
//     entry of G+ is replaced by an upper bound and the sum is rounded up,
//     so the result bounds rho(Q+) whatever y is; y only decides how tight
//     it is (see reluRho).
//   - Plain UFM: omega^2 = lambda_max(Q) <= sigma iff sigma S^-2 - G is
//     positive semidefinite (a congruence by S^-1). If C = sigma S^-2 - G
//     satisfies C = L L^T + E - D with |E|, |D| bounded entrywise, then
//     C >= -(||E||_F + ||D||_F) I, hence lambda_max(Q) <= sigma +
//     (||E||_F + ||D||_F) max_k n_k / N^2 (see plainRho).

// gram returns G = gm gm^T at wp bits, rounded to nearest, and rad, an
// upper bound of |G_exact - G| entrywise, where gm is the exact g rounded to
// nearest at wp bits (|g - gm| <= u |gm| / (1 - u), u = 2^-wp). With
// Higham's bound for a dot product of K terms, |fl(x.y) - x.y| <= gamma_K
// |x|.|y| <= gamma_K ||x|| ||y||, gamma_K = K u / (1 - K u):
//
//	rad_kl = (1.01 K + 5) u ||gm_k|| ||gm_l||,
//
// valid for K u < 0.009 (K <= MaxBigClasses, wp >= 64 + MinPrec).
func gram(gm [][]*big.Float, wp uint) (g, rad [][]*big.Float) {
	k := len(gm)
	norms := make([]*big.Float, k)
	for i, row := range gm {
		ss := up(wp)
		for _, v := range row {
			ss.Add(ss, up(wp).Mul(v, v))
		}
		norms[i] = sqrtUp(ss, wp)
	}
	coef := up(wp).SetFloat64(1.01*float64(k) + 5)
	coef.SetMantExp(coef, -int(wp))
	g, rad = square(k, wp), square(k, wp)
	t := near(wp)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			s := near(wp)
			for m := range gm[i] {
				s.Add(s, t.Mul(gm[i][m], gm[j][m]))
			}
			r := up(wp).Mul(coef, norms[i])
			r.Mul(r, norms[j])
			g[i][j], g[j][i] = s, s
			rad[i][j], rad[j][i] = r, r
		}
	}
	return g, rad
}

func square(k int, prec uint) [][]*big.Float {
	a := make([][]*big.Float, k)
	for i := range a {
		a[i] = make([]*big.Float, k)
		for j := range a[i] {
			a[i][j] = near(prec)
		}
	}
	return a
}

// preEstimate holds float64 estimates of the class-level matrices, scaled
// by a power of two: A 2^-h and Q 2^-2h, their top eigenpair (of Q+ with
// ReLU), used to start the big-float iterations and for the descent test.
type preEstimate struct {
	a      *mat.Dense
	q      *mat.SymDense
	h      int // scale exponent: a = A 2^-h
	lambda float64
	v      []float64
}

// estimate returns the float64 pre-estimates, or nil when A = 0.
func estimate(gm [][]*big.Float, counts []int, nTot int64, relu bool, wp uint) (*preEstimate, error) {
	k := len(gm)
	ab := square(k, wp)
	h := math.MinInt
	for c, row := range gm {
		w := near(wp).SetInt64(int64(counts[c]))
		w.Sqrt(w)
		w.Quo(w, near(wp).SetInt64(nTot))
		for j, v := range row {
			ab[j][c].Mul(w, v)
			if ab[j][c].Sign() != 0 {
				h = max(h, ab[j][c].MantExp(nil))
			}
		}
	}
	if h == math.MinInt {
		return nil, nil
	}
	pe := &preEstimate{a: mat.NewDense(k, k, nil), q: mat.NewSymDense(k, nil), h: h}
	for j := range ab {
		for c := range ab[j] {
			f, _ := new(big.Float).SetMantExp(ab[j][c], -h).Float64()
			pe.a.Set(j, c, f)
		}
	}
	pe.q.SymOuterK(1, pe.a.T())
	var err error
	pe.lambda, pe.v, err = topEigen(pe.q, relu)
	return pe, err
}

// qMatrix returns Q (or Q+ with positive) at wp bits, rounded to nearest:
// Q_kl = sqrt(n_k n_l) G_kl / N^2.
func qMatrix(g [][]*big.Float, counts []int, nTot int64, positive bool, wp uint) [][]*big.Float {
	k := len(g)
	q := square(k, wp)
	n2 := near(wp).SetInt64(nTot)
	n2.Mul(n2, n2)
	for i := 0; i < k; i++ {
		for j := i; j < k; j++ {
			w := near(wp).SetInt64(int64(counts[i]) * int64(counts[j]))
			w.Sqrt(w)
			w.Quo(w, n2)
			v := q[i][j]
			if !positive || g[i][j].Sign() > 0 {
				v.Mul(w, g[i][j])
			}
			q[j][i] = v
		}
	}
	return q
}

// shifted returns sigma I - a.
func shifted(a [][]*big.Float, sigma *big.Float, wp uint) [][]*big.Float {
	k := len(a)
	m := square(k, wp)
	for i := range a {
		for j := range a[i] {
			m[i][j].Neg(a[i][j])
		}
		m[i][i].Add(m[i][i], sigma)
	}
	return m
}

// choleskyShift factors sigma I - a (or what shift returns) for
// sigma = base (1 + rel 16^t), t = 0, 1, ..., 15, the first that is
// numerically positive definite; it returns the factor and sigma.
func choleskyShift(build func(sigma *big.Float) [][]*big.Float, base, rel *big.Float, wp uint) ([][]*big.Float, *big.Float, error) {
	r := near(wp).Set(rel)
	for t := 0; t < 16; t++ {
		sigma := near(wp).SetInt64(1)
		sigma.Add(sigma, r)
		sigma.Mul(sigma, base)
		if l, err := bigmath.Cholesky(build(sigma)); err == nil {
			return l, sigma, nil
		}
		r.Mul(r, near(wp).SetInt64(16))
	}
	return nil, nil, fmt.Errorf("certificate: no shift above %s made sigma I - Q positive definite", base.Text('g', 10))
}

// inverseIteration runs x <- (sigma I - a)^-1 x (l the Cholesky factor of
// sigma I - a, sigma above the top eigenvalue) from x0 until the Rayleigh
// quotient x^T a x / x^T x is stable to 2^-(wp-8), at most 60 steps; it
// returns the quotient, x and the number of steps.
func inverseIteration(a, l [][]*big.Float, x0 []*big.Float, wp uint) (*big.Float, []*big.Float, int) {
	x := x0
	prev := near(wp)
	tol := pow2(-int(wp - 8))
	for it := 1; ; it++ {
		x = bigmath.CholSolve(l, x)
		normalise(x, wp)
		lam := rayleigh(a, x, wp)
		d := near(wp).Sub(lam, prev)
		d.Abs(d)
		if d.Cmp(near(wp).Mul(tol, near(wp).Abs(lam))) <= 0 || it == 60 {
			return lam, x, it
		}
		prev = lam
	}
}

func normalise(x []*big.Float, wp uint) {
	m := near(wp)
	for _, v := range x {
		if near(wp).Abs(v).Cmp(m) > 0 {
			m.Abs(v)
		}
	}
	if m.Sign() == 0 {
		return
	}
	for _, v := range x {
		v.Quo(v, m)
	}
}

func rayleigh(a [][]*big.Float, x []*big.Float, wp uint) *big.Float {
	num, den := near(wp), near(wp)
	t := near(wp)
	for i := range a {
		s := near(wp)
		for j := range a[i] {
			s.Add(s, t.Mul(a[i][j], x[j]))
		}
		num.Add(num, t.Mul(s, x[i]))
		den.Add(den, t.Mul(x[i], x[i]))
	}
	return num.Quo(num, den)
}

// startVector returns the start of the inverse iteration from the float64
// eigenvector v: |v| + 1e-3 max |v| (positive) for the Perron vector of
// Q+; for the plain UFM v itself (its signs matter: |v| can lie in another
// eigenspace) plus 1e-3 max |v| / (i + 1) in entry i, so that no
// eigenspace is missed.
func startVector(v []float64, positive bool, wp uint) []*big.Float {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	x := make([]*big.Float, len(v))
	for i, vi := range v {
		if positive {
			x[i] = near(wp).SetFloat64(math.Abs(vi) + 1e-3*m + 1e-300)
		} else {
			x[i] = near(wp).SetFloat64(vi + 1e-3*m/float64(i+1) + 1e-300)
		}
	}
	return x
}
