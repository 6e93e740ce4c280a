package derivation

import (
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// MinimizerPoint returns the point of an explicit minimizer of package
// closedform with one column per class (class k's mean h_k, multiplicity n_k)
// and its bias (nil for a bias-free one). Entries are shared with m, not
// copied.
func MinimizerPoint(m *closedform.Minimizer) *Point {
	pt := &Point{W: m.W, B: m.B, Columns: make([][]*big.Float, m.K), Labels: make([]int, m.K), Mult: make([]int, m.K)}
	for _, c := range m.Labels {
		pt.Mult[c]++
	}
	for c := 0; c < m.K; c++ {
		col := make([]*big.Float, m.D)
		for i := range col {
			col[i] = m.Means[i][c]
		}
		pt.Columns[c] = col
		pt.Labels[c] = c
	}
	return pt
}

// MaxPointEntries bounds K d, the number of big.Float entries of W (and of
// the class means) of the explicit point that PredictionPoint builds (for
// AtPrediction and HessianAtPrediction).
const MaxPointEntries = 1_000_000

func checkPointSize(s setting.Setting) error {
	if s.K()*s.Dim > MaxPointEntries {
		return &setting.InputError{Field: setting.FieldDim, Value: fmt.Sprint(s.Dim),
			Reason: fmt.Sprintf("K d = %d exceeds %d big-float entries, the limit of the exact KKT evaluation", s.K()*s.Dim, MaxPointEntries)}
	}
	return nil
}

// bigFloatBytes is the memory of one big.Float of prec bits with its
// mantissa: the struct, its pointer and ceil(prec/64) + 4 words (math/big
// allocates 4 words beyond what a mantissa needs).
func bigFloatBytes(prec uint) int64 { return 56 + 8*(int64(prec+63)/64+4) }

// PredictionMemoryBytes bounds the memory, in bytes, a closed-form
// prediction of K classes at prec bits (closedform.Theory.Predict and
// Prediction.Target) allocates: K (100000 + 350 prec) + K^2 (300 + 2 F),
// F = bigFloatBytes(prec). It is an upper bound from measurements of
// runtime.MemStats.TotalAlloc (0.3 to 0.8 times it for K = 2 to 800 at 64
// to 1024 bits): the per-class work leaves garbage of logarithms at prec
// bits, the K x K matrices are kept.
func PredictionMemoryBytes(k int, prec uint) int64 {
	kk := int64(k)
	return kk*(100000+350*int64(prec)) + kk*kk*(300+2*bigFloatBytes(prec))
}

// AtPredictionMemoryBytes predicts the peak memory, in bytes, of
// AtPrediction for setting s at prec bits: the minimizer's N labels (8 N
// bytes) and its K d entries of W and of the class means, the
// evaluation's gradient in W and the garbage of its big-float temporaries
// that the collector lets accumulate before it runs (GOGC = 100): 8 N +
// 10 F K d, F = bigFloatBytes(prec). The peak heap measured during
// AtPrediction is 0.2 to 0.7 times the K d term for K d = 4 to 2e5 and K up
// to 200 at 64 to 1024 bits, and the N term is exact.
func AtPredictionMemoryBytes(s setting.Setting, prec uint) int64 {
	return 8*int64(s.N()) + 10*bigFloatBytes(prec)*int64(s.K())*int64(s.Dim)
}

// PredictionPoint returns the explicit point of a prediction
// (p.Minimizer(): every one of the N samples, grouped by class, and the
// predicted bias when there is one). K d must be at most MaxPointEntries.
func PredictionPoint(p *closedform.Prediction) (*Point, error) {
	if err := checkPointSize(p.Setting); err != nil {
		return nil, err
	}
	m, err := p.Minimizer()
	if err != nil {
		return nil, fmt.Errorf("derivation: minimizer of %s: %w", p.Setting, err)
	}
	return MinimizerPoint(m), nil
}

// AtPrediction evaluates the KKT conditions at the explicit point of p
// (PredictionPoint) at p.Prec bits, whatever theory made p. For the
// orthogonal structure with a bias, stationarity in W, b and the positive
// entries of H holds by construction (the point solves the reduced problem
// of theory.md section 4); the dual slack is not implied by the reduction
// and is a real test of that structure.
func AtPrediction(p *closedform.Prediction) (*KKT, error) {
	pt, err := PredictionPoint(p)
	if err != nil {
		return nil, err
	}
	return Evaluate(p.Setting, pt, p.Prec)
}

// SamplePoint converts a float64 point with per-sample features into a
// Point, exactly (every float64 is a big.Float value). W is K x d, H is d x N
// with labels[s] the 0-based class of column s, b has length K or is nil.
// Identical columns of the same class are merged into one column with its
// multiplicity. Non-finite entries are an error wrapping
// setting.ErrNonFinite.
func SamplePoint(w, h *mat.Dense, b []float64, labels []int) (*Point, error) {
	k, d := w.Dims()
	hd, n := h.Dims()
	if hd != d {
		return nil, fmt.Errorf("derivation: H has %d rows, W has %d columns", hd, d)
	}
	if len(labels) != n {
		return nil, fmt.Errorf("derivation: %d labels for %d samples", len(labels), n)
	}
	conv := func(x float64) (*big.Float, error) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, setting.ErrNonFinite
		}
		return new(big.Float).SetFloat64(x), nil
	}
	pt := &Point{W: make([][]*big.Float, k)}
	var err error
	for j := 0; j < k; j++ {
		pt.W[j] = make([]*big.Float, d)
		for i := 0; i < d; i++ {
			if pt.W[j][i], err = conv(w.At(j, i)); err != nil {
				return nil, fmt.Errorf("derivation: W(%d,%d): %w", j+1, i+1, err)
			}
		}
	}
	if b != nil {
		if len(b) != k {
			return nil, fmt.Errorf("derivation: b has length %d, want K = %d", len(b), k)
		}
		pt.B = make([]*big.Float, k)
		for j, v := range b {
			if pt.B[j], err = conv(v); err != nil {
				return nil, fmt.Errorf("derivation: b(%d): %w", j+1, err)
			}
		}
	}
	index := map[string]int{}
	key := make([]byte, 0, 8*(d+1))
	for s := 0; s < n; s++ {
		key = key[:0]
		key = appendUint64(key, uint64(labels[s]))
		for i := 0; i < d; i++ {
			v := h.At(i, s)
			if v == 0 {
				v = 0 // merge -0 and +0
			}
			key = appendUint64(key, math.Float64bits(v))
		}
		if g, ok := index[string(key)]; ok {
			pt.Mult[g]++
			continue
		}
		col := make([]*big.Float, d)
		for i := range col {
			if col[i], err = conv(h.At(i, s)); err != nil {
				return nil, fmt.Errorf("derivation: H(%d,%d): %w", i+1, s+1, err)
			}
		}
		index[string(key)] = len(pt.Columns)
		pt.Columns = append(pt.Columns, col)
		pt.Labels = append(pt.Labels, labels[s])
		pt.Mult = append(pt.Mult, 1)
	}
	return pt, nil
}

func appendUint64(b []byte, v uint64) []byte {
	for i := 0; i < 8; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}
