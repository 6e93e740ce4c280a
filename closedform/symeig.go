package closedform

import (
	"fmt"
	"math/big"
	"sort"

	"nccheck/setting"
)

// MaxEigenClasses bounds K for the theories that decompose a K x K matrix
// in big-float (MSEBias, SELI): each Jacobi sweep costs about 3 K^3
// big.Float operations, and about ten sweeps are needed, so K = 200 takes
// about a minute at 256 bits; the stopping rule of symEigen also assumes
// K < 256.
const MaxEigenClasses = 200

// checkEigenClasses refuses K > MaxEigenClasses.
func checkEigenClasses(k int) error {
	if k > MaxEigenClasses {
		return &setting.InputError{Field: setting.FieldCounts, Value: fmt.Sprintf("(%d classes)", k),
			Reason: fmt.Sprintf("the eigen-decomposition of a K x K big-float matrix takes O(K^3) per sweep; at most %d classes", MaxEigenClasses)}
	}
	return nil
}

// maxJacobiSweeps bounds the sweeps of symEigen. Cyclic Jacobi converges
// quadratically once the off-diagonal part is small; a few dozen sweeps
// reach 2^-4096 for the matrices this package forms.
const maxJacobiSweeps = 80

// symEigen returns the eigenvalues of the symmetric n x n matrix a (not
// modified), in decreasing order, and an orthonormal matrix of eigenvectors
// (column i of vecs, vecs[r][i], belongs to vals[i]), at wp bits, by the
// cyclic Jacobi method: sweeps of plane rotations, each zeroing one
// off-diagonal entry (p, q) with t = tan(phi) the smaller root of
// t^2 + 2 theta t - 1 = 0, theta = (a_qq - a_pp) / (2 a_pq), applied to the
// rows and columns p, q of a and to the columns of vecs. It stops when the
// off-diagonal Frobenius norm is at most 2^-(wp-16) times the Frobenius norm
// of a; then every eigenvalue is within that bound of the exact one
// (Weyl), and the eigenvectors of eigenvalues separated by more than it are
// accurate to the bound over the separation. An entry below 2^-wp times its
// diagonal neighbours is set to zero without a rotation. a must be square,
// symmetric and finite.
//
// Cost: O(n^3) big.Float operations per sweep, about ten sweeps for 256
// bits.
func symEigen(a [][]*big.Float, wp uint) (vals []*big.Float, vecs [][]*big.Float, err error) {
	n := len(a)
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	m := make([][]*big.Float, n)
	vecs = make([][]*big.Float, n)
	for i := range m {
		m[i] = make([]*big.Float, n)
		vecs[i] = make([]*big.Float, n)
		for j := range m[i] {
			m[i][j] = nf().Set(a[i][j])
			vecs[i][j] = nf()
		}
		vecs[i][i].SetInt64(1)
	}
	total := frobenius(m, wp)
	stop := new(big.Float).SetMantExp(big.NewFloat(1), -int(wp)+16)
	stop.Mul(stop, total)
	for sweep := 0; ; sweep++ {
		if offDiagonal(m, wp).Cmp(stop) <= 0 {
			break
		}
		if sweep == maxJacobiSweeps {
			return nil, nil, fmt.Errorf("closedform: Jacobi eigenvalue method: no convergence in %d sweeps", maxJacobiSweeps)
		}
		for p := 0; p < n-1; p++ {
			for q := p + 1; q < n; q++ {
				jacobiRotate(m, vecs, p, q, wp)
			}
		}
	}
	return sortEigen(m, vecs, wp)
}

// jacobiRotate zeroes m[p][q] by a rotation in the (p, q) plane (see
// symEigen), updating m and the eigenvector columns p, q.
func jacobiRotate(m, vecs [][]*big.Float, p, q int, wp uint) {
	apq := m[p][q]
	if apq.Sign() == 0 {
		return
	}
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	small := new(big.Float).SetMantExp(big.NewFloat(1), -int(wp))
	lim := nf().Abs(m[p][p])
	if x := nf().Abs(m[q][q]); x.Cmp(lim) > 0 {
		lim = x
	}
	if nf().Abs(apq).Cmp(lim.Mul(lim, small)) < 0 {
		m[p][q].SetInt64(0)
		m[q][p].SetInt64(0)
		return
	}
	// theta = (a_qq - a_pp) / (2 a_pq); t = sign(theta) / (|theta| + sqrt(theta^2 + 1)).
	theta := nf().Sub(m[q][q], m[p][p])
	theta.Quo(theta, nf().Mul(nf().SetInt64(2), apq))
	root := nf().Mul(theta, theta)
	root.Add(root, nf().SetInt64(1))
	root.Sqrt(root)
	t := nf().Abs(theta)
	t.Add(t, root)
	t.Quo(nf().SetInt64(1), t)
	if theta.Sign() < 0 {
		t.Neg(t)
	}
	c := nf().Mul(t, t)
	c.Add(c, nf().SetInt64(1))
	c.Sqrt(c)
	c.Quo(nf().SetInt64(1), c)
	s := nf().Mul(t, c)
	tau := nf().Add(nf().SetInt64(1), c)
	tau.Quo(s, tau) // s / (1 + c)
	// a_pp -= t a_pq, a_qq += t a_pq, a_pq = 0.
	ta := nf().Mul(t, apq)
	m[p][p].Sub(m[p][p], ta)
	m[q][q].Add(m[q][q], ta)
	m[p][q].SetInt64(0)
	m[q][p].SetInt64(0)
	// x' = x - s (y + tau x), y' = y + s (x - tau y) for (x, y) = (a_rp, a_rq), r != p, q.
	rot := func(x, y *big.Float) {
		gx, gy := nf().Set(x), nf().Set(y)
		u := nf().Mul(tau, gx)
		u.Add(u, gy)
		x.Sub(gx, u.Mul(u, s))
		v := nf().Mul(tau, gy)
		v.Sub(gx, v)
		y.Add(gy, v.Mul(v, s))
	}
	for r := range m {
		if r != p && r != q {
			rot(m[r][p], m[r][q])
			m[p][r].Set(m[r][p])
			m[q][r].Set(m[r][q])
		}
		rot(vecs[r][p], vecs[r][q])
	}
}

// sortEigen returns the diagonal of m in decreasing order with the columns
// of vecs permuted alike.
func sortEigen(m, vecs [][]*big.Float, wp uint) ([]*big.Float, [][]*big.Float, error) {
	n := len(m)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return m[order[a]][order[a]].Cmp(m[order[b]][order[b]]) > 0 })
	vals := make([]*big.Float, n)
	out := make([][]*big.Float, n)
	for r := range out {
		out[r] = make([]*big.Float, n)
	}
	for i, o := range order {
		vals[i] = new(big.Float).SetPrec(wp).Set(m[o][o])
		if vals[i].IsInf() {
			return nil, nil, fmt.Errorf("closedform: Jacobi eigenvalue method: an eigenvalue is infinite")
		}
		for r := 0; r < n; r++ {
			out[r][i] = vecs[r][o]
		}
	}
	return vals, out, nil
}

// frobenius returns ||a||_F at wp bits.
func frobenius(a [][]*big.Float, wp uint) *big.Float {
	s := new(big.Float).SetPrec(wp)
	t := new(big.Float).SetPrec(wp)
	for i := range a {
		for _, x := range a[i] {
			s.Add(s, t.Mul(x, x))
		}
	}
	return s.Sqrt(s)
}

// offDiagonal returns the Frobenius norm of the off-diagonal part of a.
func offDiagonal(a [][]*big.Float, wp uint) *big.Float {
	s := new(big.Float).SetPrec(wp)
	t := new(big.Float).SetPrec(wp)
	for i := range a {
		for j, x := range a[i] {
			if i != j {
				s.Add(s, t.Mul(x, x))
			}
		}
	}
	return s.Sqrt(s)
}

// spectral returns U diag(f) U^T for the eigenvectors u (columns) and the
// values f (nil entries count as 0), at wp bits: the matrix function of a
// symmetric matrix with eigen-decomposition U diag(lambda) U^T.
func spectral(u [][]*big.Float, f []*big.Float, wp uint) [][]*big.Float {
	n := len(u)
	out := make([][]*big.Float, n)
	t := new(big.Float).SetPrec(wp)
	for i := range out {
		out[i] = make([]*big.Float, n)
		for j := range out[i] {
			v := new(big.Float).SetPrec(wp)
			for l, fl := range f {
				if fl == nil || fl.Sign() == 0 {
					continue
				}
				t.Mul(u[i][l], u[j][l])
				v.Add(v, t.Mul(t, fl))
			}
			out[i][j] = v
		}
	}
	return out
}
