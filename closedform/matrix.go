package closedform

import (
	"errors"
	"math/big"

	"gonum.org/v1/gonum/mat"
)

// Matrix is a dense square matrix of big.Float entries, stored row-major in
// one slab.
type Matrix struct {
	n    int
	data []big.Float
}

// NewMatrix returns the n x n matrix with entry (i, j) = rows[i][j], an exact
// copy of each entry. It is an error for rows to be empty or not square, or
// for an entry to be missing (nil) or infinite (wrapping
// setting.ErrNonFinite).
func NewMatrix(rows [][]*big.Float) (*Matrix, error) {
	n := len(rows)
	if n == 0 {
		return nil, errors.New("closedform: a matrix needs at least one row")
	}
	if err := checkGrid("matrix", rows, n, n); err != nil {
		return nil, err
	}
	m := &Matrix{n: n, data: make([]big.Float, n*n)}
	for i, row := range rows {
		for j, x := range row {
			m.at(i, j).Copy(x)
		}
	}
	return m, nil
}

func newMatrix(n int, prec uint) *Matrix {
	m := &Matrix{n: n, data: make([]big.Float, n*n)}
	for i := range m.data {
		m.data[i].SetPrec(prec)
	}
	return m
}

func (m *Matrix) at(i, j int) *big.Float { return &m.data[i*m.n+j] }

// Dims returns the number of rows and columns.
func (m *Matrix) Dims() (r, c int) { return m.n, m.n }

// At returns a copy of entry (i, j).
func (m *Matrix) At(i, j int) *big.Float { return new(big.Float).Copy(m.at(i, j)) }

// Dense returns the matrix rounded to float64.
func (m *Matrix) Dense() *mat.Dense {
	d := mat.NewDense(m.n, m.n, nil)
	for i := 0; i < m.n; i++ {
		for j := 0; j < m.n; j++ {
			f, _ := m.at(i, j).Float64()
			d.Set(i, j, f)
		}
	}
	return d
}

// Text returns every entry formatted with x.Text('g', digits), row by row.
func (m *Matrix) Text(digits int) [][]string {
	rows := make([][]string, m.n)
	for i := range rows {
		rows[i] = make([]string, m.n)
		for j := range rows[i] {
			rows[i][j] = FormatFloat(m.at(i, j), digits)
		}
	}
	return rows
}
