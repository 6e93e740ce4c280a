package closedform

import (
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Minimizer is one explicit point of a predicted geometry: W (K x d), the
// class means h_k (every sample of class k equals its class mean) and, with
// a bias, b. For the orthogonal structures (theory.md sections 2 and 4) the
// alive classes, in order, take the coordinate directions e_1, e_2, ... of
// R^d, h_k = sqrt(rho_k) e_{c(k)}, and collapsed classes have h_k = 0;
// without a bias
//
//	W = sum_{k alive} sqrt(K lambda_H n_k / ((K-1) lambda_W)) (e_k - 1/K) h_k^T,
//
// and with a bias the column c(k) of W is a_k = y_k / sqrt(rho_k). All
// entries are rounded once from the working precision to Prec bits.
type Minimizer struct {
	K, D, N int
	Prec    uint
	// W is K x d, row-major: W[j][i] is the weight of class j on coordinate i.
	W [][]*big.Float
	// Means is d x K, column k is the class mean h_k: Means[i][k].
	Means [][]*big.Float
	// B is the bias b (length K), nil for a bias-free point.
	B []*big.Float
	// Coord[k] is the coordinate of alive class k, -1 when it collapses (or
	// when the structure is not coordinate-aligned).
	Coord []int
	// Labels[s] is the class of sample (column) s of the sample matrix H:
	// class 1's n_1 samples first, then class 2's, and so on.
	Labels []int
}

// orthogonalMinimizer builds the bias-free explicit point from sqrt(rho_k)
// (hs) and the classifier column scale sW_k sqrt(rho_k) (cols), given at
// working precision wp for the alive classes.
func orthogonalMinimizer(s setting.Setting, prec, wp uint, alive []bool, hs, cols []*big.Float) *Minimizer {
	k := s.K()
	m := newZeroMinimizer(s, prec)
	kf := new(big.Float).SetPrec(wp).SetInt64(int64(k))
	next := 0
	for cls := range alive {
		if !alive[cls] {
			continue
		}
		coord := next
		next++
		m.Coord[cls] = coord
		m.Means[coord][cls].Set(hs[cls])
		// W[:, coord] = sW_k sqrt(rho_k) (e_k - 1/K)
		off := new(big.Float).SetPrec(wp).Quo(cols[cls], kf)
		for j := 0; j < k; j++ {
			v := new(big.Float).SetPrec(wp).Neg(off)
			if j == cls {
				v.Add(v, cols[cls])
			}
			m.W[j][coord].Set(v)
		}
	}
	return m
}

// newZeroMinimizer returns a Minimizer of the setting's shape with W and the
// means all zero at prec bits, every Coord -1, and the sample labels laid out
// class by class.
func newZeroMinimizer(s setting.Setting, prec uint) *Minimizer {
	k, d := s.K(), s.Dim
	m := &Minimizer{K: k, D: d, N: s.N(), Prec: prec, Coord: make([]int, k)}
	zero := func() *big.Float { return new(big.Float).SetPrec(prec) }
	m.W = make([][]*big.Float, k)
	for j := range m.W {
		m.W[j] = make([]*big.Float, d)
		for i := range m.W[j] {
			m.W[j][i] = zero()
		}
	}
	m.Means = make([][]*big.Float, d)
	for i := range m.Means {
		m.Means[i] = make([]*big.Float, k)
		for j := range m.Means[i] {
			m.Means[i][j] = zero()
		}
	}
	for c := range m.Coord {
		m.Coord[c] = -1
	}
	m.Labels = make([]int, 0, m.N)
	for cls, n := range s.Counts {
		for i := 0; i < n; i++ {
			m.Labels = append(m.Labels, cls)
		}
	}
	return m
}

// BDense returns b rounded to float64 (nil for a bias-free point).
func (m *Minimizer) BDense() []float64 {
	if m.B == nil {
		return nil
	}
	v := make([]float64, len(m.B))
	for i, x := range m.B {
		v[i], _ = x.Float64()
	}
	return v
}

// WDense returns W (K x d) rounded to float64.
func (m *Minimizer) WDense() *mat.Dense { return denseOf(m.W) }

// MeansDense returns Hbar = [h_1 ... h_K] (d x K) rounded to float64.
func (m *Minimizer) MeansDense() *mat.Dense { return denseOf(m.Means) }

// HDense returns the per-sample feature matrix H (d x N) rounded to float64:
// column s is the mean of class Labels[s].
func (m *Minimizer) HDense() *mat.Dense {
	h := mat.NewDense(m.D, m.N, nil)
	for i := 0; i < m.D; i++ {
		row := make([]float64, m.K)
		for k := 0; k < m.K; k++ {
			row[k], _ = m.Means[i][k].Float64()
		}
		for s, cls := range m.Labels {
			h.Set(i, s, row[cls])
		}
	}
	return h
}

// H returns the per-sample feature matrix (d x N) in big.Float; entries of
// samples of the same class share their values (do not modify them).
func (m *Minimizer) H() [][]*big.Float {
	h := make([][]*big.Float, m.D)
	for i := range h {
		h[i] = make([]*big.Float, m.N)
		for s, cls := range m.Labels {
			h[i][s] = m.Means[i][cls]
		}
	}
	return h
}

func denseOf(a [][]*big.Float) *mat.Dense {
	r := len(a)
	c := 0
	if r > 0 {
		c = len(a[0])
	}
	d := mat.NewDense(r, c, nil)
	for i := range a {
		for j := range a[i] {
			f, _ := a[i][j].Float64()
			d.Set(i, j, f)
		}
	}
	return d
}
