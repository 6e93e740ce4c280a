package closedform

import (
	"fmt"
	"math/big"
	"strconv"

	"nccheck/setting"
)

// SELIGeometry is the class-level SELI geometry of theory.md section 13
// (Thrampoulidis, Kini, Vakilian, Behnia, NeurIPS 2022): the limit in
// direction of the plain UFM's minimizer with cross-entropy as lambda_W,
// lambda_H -> 0 at a fixed ratio. With S = I - J/K and
// Sigma = S diag(n) S,
//
//	W W^T ∝ Sigma^{1/2},   Hbar^T Hbar ∝ S (Sigma^+)^{1/2} S,   W Hbar ∝ S.
//
// It is a reference geometry, not a Theory (it has no f*): each matrix is
// given up to a positive scale, the form the normalised distances of
// theory.md section 8 compare. Balanced counts give the simplex ETF
// (every matrix proportional to S).
type SELIGeometry struct {
	Counts []int
	Prec   uint // bits of mantissa of every entry
	// WWT is Sigma^{1/2}, HTH is S (Sigma^+)^{1/2} S and WH is S.
	WWT, HTH, WH *Matrix
}

// SELI returns the SELI geometry of the class counts at prec bits (0 means
// DefaultPrec), computed at prec+GuardBits bits and rounded once. Sigma has
// rank exactly K-1 (its kernel is the all-ones vector: x^T Sigma x =
// (Sx)^T diag(n) (Sx) > 0 unless Sx = 0), so with B the K x (K-1) Helmert
// basis of the zero-sum subspace (B^T 1 = 0, B^T B = I, S B = B) and the
// positive-definite M = B^T diag(n) B = V diag(mu) V^T (cyclic Jacobi,
// symEigen),
//
//	Sigma^{1/2} = B V diag(sqrt(mu)) V^T B^T,   (Sigma^+)^{1/2} = B V diag(1/sqrt(mu)) V^T B^T,
//
// with no rank decision in floating point. Errors: a *setting.InputError
// naming the counts (K between 2 and MaxEigenClasses, every n_k in
// [1, setting.MaxCount], N <= setting.MaxTotal) or the precision.
//
// Cost: O(K^3) big.Float operations per Jacobi sweep (about ten sweeps).
func SELI(counts []int, prec uint) (*SELIGeometry, error) {
	prec, err := checkPrec(prec)
	if err != nil {
		return nil, err
	}
	if err := checkSELICounts(counts); err != nil {
		return nil, err
	}
	k := len(counts)
	wp := prec + GuardBits
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	b := helmert(k, wp)
	// M = B^T diag(n) B.
	m := make([][]*big.Float, k-1)
	t := nf()
	for i := range m {
		m[i] = make([]*big.Float, k-1)
		for j := range m[i] {
			v := nf()
			for l, n := range counts {
				if b[l][i].Sign() != 0 && b[l][j].Sign() != 0 {
					t.Mul(b[l][i], b[l][j])
					v.Add(v, t.Mul(t, nf().SetInt64(int64(n))))
				}
			}
			m[i][j] = v
		}
	}
	mu, v, err := symEigen(m, wp)
	if err != nil {
		return nil, fmt.Errorf("closedform: SELI of %s: %w", setting.FormatCounts(counts), err)
	}
	root, invRoot := make([]*big.Float, k-1), make([]*big.Float, k-1)
	for i, x := range mu {
		if x.Sign() <= 0 {
			return nil, fmt.Errorf("closedform: SELI of %s: B^T diag(n) B has the eigenvalue %s <= 0", setting.FormatCounts(counts), x.Text('g', 5))
		}
		root[i] = nf().Sqrt(x)
		invRoot[i] = nf().Quo(nf().SetInt64(1), root[i])
	}
	g := &SELIGeometry{Counts: append([]int(nil), counts...), Prec: prec}
	g.WWT = roundMatrix(congruence(b, spectral(v, root, wp), wp), prec)
	g.HTH = roundMatrix(centre(congruence(b, spectral(v, invRoot, wp), wp), wp), prec)
	s := make([][]*big.Float, k)
	for i := range s {
		s[i] = make([]*big.Float, k)
		for j := range s[i] {
			e := big.NewRat(-1, int64(k))
			if i == j {
				e.Add(e, big.NewRat(1, 1))
			}
			s[i][j] = nf().SetRat(e)
		}
	}
	g.WH = roundMatrix(s, prec)
	return g, nil
}

// checkSELICounts checks the counts SELI takes.
func checkSELICounts(counts []int) error {
	k := len(counts)
	bad := func(reason string) error {
		return &setting.InputError{Field: setting.FieldCounts, Value: strconv.Quote(setting.FormatCounts(counts)), Reason: reason}
	}
	if k < 2 {
		return bad(fmt.Sprintf("needs at least 2 classes, got %d", k))
	}
	if err := checkEigenClasses(k); err != nil {
		return err
	}
	total := 0
	for i, n := range counts {
		if n < 1 || n > setting.MaxCount {
			return bad(fmt.Sprintf("entry %d (%d) is not in [1, %d]", i+1, n, int64(setting.MaxCount)))
		}
		total += n
		if total > setting.MaxTotal {
			return bad(fmt.Sprintf("the total N exceeds the limit %d", int64(setting.MaxTotal)))
		}
	}
	return nil
}

// helmert returns the K x (K-1) Helmert basis of the zero-sum subspace of
// R^K at wp bits: column J-1 (J = 1..K-1) is (1, ..., 1, -J, 0, ..., 0) /
// sqrt(J (J+1)) with J ones.
func helmert(k int, wp uint) [][]*big.Float {
	b := make([][]*big.Float, k)
	for i := range b {
		b[i] = make([]*big.Float, k-1)
		for j := range b[i] {
			b[i][j] = new(big.Float).SetPrec(wp)
		}
	}
	for j := 0; j < k-1; j++ {
		big1 := int64(j + 1)
		inv := new(big.Float).SetPrec(wp).SetInt64(big1 * (big1 + 1))
		inv.Sqrt(inv)
		inv.Quo(new(big.Float).SetPrec(wp).SetInt64(1), inv)
		for i := 0; i <= j; i++ {
			b[i][j].Set(inv)
		}
		b[j+1][j].Mul(inv, new(big.Float).SetPrec(wp).SetInt64(-big1))
	}
	return b
}

// congruence returns B X B^T for B (K x m) and X (m x m) at wp bits.
func congruence(b, x [][]*big.Float, wp uint) [][]*big.Float {
	return multiply(multiply(b, x, wp), transpose(b), wp)
}

// centre returns S X S, S = I - J/K: X minus its row and column means plus
// its overall mean.
func centre(x [][]*big.Float, wp uint) [][]*big.Float {
	k := len(x)
	kf := new(big.Float).SetPrec(wp).SetInt64(int64(k))
	rows, cols := make([]*big.Float, k), make([]*big.Float, k)
	all := new(big.Float).SetPrec(wp)
	for i := 0; i < k; i++ {
		rows[i], cols[i] = new(big.Float).SetPrec(wp), new(big.Float).SetPrec(wp)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			rows[i].Add(rows[i], x[i][j])
			cols[j].Add(cols[j], x[i][j])
			all.Add(all, x[i][j])
		}
	}
	all.Quo(all, new(big.Float).SetPrec(wp).Mul(kf, kf))
	out := make([][]*big.Float, k)
	for i := range out {
		out[i] = make([]*big.Float, k)
		for j := range out[i] {
			v := new(big.Float).SetPrec(wp).Sub(x[i][j], new(big.Float).SetPrec(wp).Quo(rows[i], kf))
			v.Sub(v, new(big.Float).SetPrec(wp).Quo(cols[j], kf))
			out[i][j] = v.Add(v, all)
		}
	}
	return out
}
