package closedform

import (
	"fmt"
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

// NewMinimizer returns the explicit point of a prediction for s at prec
// bits: W (K x d, w[j][i] the weight of class j on coordinate i), the class
// means (d x K, means[i][k] coordinate i of h_k; every sample of class k
// equals h_k) and the bias b (length K, nil for a bias-free point), with d =
// s.Dim. Every entry is rounded to prec bits (a copy: the arguments are not
// kept). Every Coord is -1 (not coordinate-aligned) and the labels are laid
// out class by class. Errors name the array whose shape is wrong or whose
// entry is missing or infinite (wrapping setting.ErrNonFinite).
func NewMinimizer(s setting.Setting, prec uint, w, means [][]*big.Float, b []*big.Float) (*Minimizer, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if prec < MinPrec || prec > MaxPrec {
		return nil, &setting.InputError{Field: "Prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	k, d := s.K(), s.Dim
	if err := checkGrid("W", w, k, d); err != nil {
		return nil, err
	}
	if err := checkGrid("class means", means, d, k); err != nil {
		return nil, err
	}
	if b != nil {
		if len(b) != k {
			return nil, fmt.Errorf("closedform: b has length %d, want K = %d", len(b), k)
		}
		if err := checkGrid("b", [][]*big.Float{b}, 1, k); err != nil {
			return nil, err
		}
	}
	m := newZeroMinimizer(s, prec)
	for j := range w {
		for i, x := range w[j] {
			m.W[j][i].Set(x)
		}
	}
	for i := range means {
		for c, x := range means[i] {
			m.Means[i][c].Set(x)
		}
	}
	if b != nil {
		m.B = make([]*big.Float, k)
		for j, x := range b {
			m.B[j] = new(big.Float).SetPrec(prec).Set(x)
		}
	}
	return m, nil
}

// checkGrid checks that a is rows x cols with finite non-nil entries.
func checkGrid(name string, a [][]*big.Float, rows, cols int) error {
	if len(a) != rows {
		return fmt.Errorf("closedform: %s has %d rows, want %d", name, len(a), rows)
	}
	for r, row := range a {
		if len(row) != cols {
			return fmt.Errorf("closedform: %s row %d has %d entries, want %d", name, r+1, len(row), cols)
		}
		for c, x := range row {
			if x == nil {
				return fmt.Errorf("closedform: %s(%d,%d) is missing", name, r+1, c+1)
			}
			if x.IsInf() {
				return fmt.Errorf("closedform: %s(%d,%d) is %s: %w", name, r+1, c+1, x.String(), setting.ErrNonFinite)
			}
		}
	}
	return nil
}

// Clone returns a deep copy of m.
func (m *Minimizer) Clone() *Minimizer {
	c := *m
	c.W = cloneGrid(m.W)
	c.Means = cloneGrid(m.Means)
	if m.B != nil {
		c.B = cloneGrid([][]*big.Float{m.B})[0]
	}
	c.Coord = append([]int(nil), m.Coord...)
	c.Labels = append([]int(nil), m.Labels...)
	return &c
}

func cloneGrid(a [][]*big.Float) [][]*big.Float {
	out := make([][]*big.Float, len(a))
	for i, row := range a {
		out[i] = make([]*big.Float, len(row))
		for j, x := range row {
			out[i][j] = new(big.Float).Copy(x)
		}
	}
	return out
}

// coordMinimizer builds a coordinate-aligned explicit point: the alive
// classes, in order, take the coordinate directions e_1, e_2, ... of R^d with
// h_k = ts[k] e_{c(k)}; column c(k) of W has entry j set by col(k, j, v) (v
// a zero at working precision wp), every other column of W is 0; b is the
// bias (nil for none). Entries are rounded once to prec bits.
func coordMinimizer(s setting.Setting, prec, wp uint, alive []bool, ts []*big.Float, col func(cls, j int, v *big.Float), b []*big.Float) *Minimizer {
	k := s.K()
	m := newZeroMinimizer(s, prec)
	next := 0
	v := new(big.Float)
	for cls := range alive {
		if !alive[cls] {
			continue
		}
		coord := next
		next++
		m.Coord[cls] = coord
		m.Means[coord][cls].Set(ts[cls])
		for j := 0; j < k; j++ {
			v.SetPrec(wp).SetInt64(0)
			col(cls, j, v)
			m.W[j][coord].Set(v)
		}
	}
	if b != nil {
		m.B = make([]*big.Float, k)
		for j := range m.B {
			m.B[j] = new(big.Float).SetPrec(prec).Set(b[j])
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
func (m *Minimizer) BDense() []float64 { return float64s(m.B) }

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
