package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Measurement is a point (W, b, per-sample features) measured without
// reference to any theory. Class k's mean is mu_k, Hbar = [mu_1 ... mu_K],
// mu_G the mean of all N features.
type Measurement struct {
	K, N, D int
	// Counts are the class counts n_k read from the labels.
	Counts []int
	// W is the classifier (K x d, not copied) and B the bias (nil without).
	W *mat.Dense
	B []float64
	// Means is Hbar (d x K): column k is mu_k.
	Means *mat.Dense
	// HTH = Hbar^T Hbar, WWT = W W^T and WH = W Hbar (K x K).
	HTH, WWT, WH *mat.Dense
	// NC1 is tr(Sigma_W pinv(Sigma_B)) / K (theory.md section 8), nil when
	// Sigma_B = 0 (all class means equal).
	NC1 *float64
	// Loss is (1/N) sum_i CE(W h_i + b, y_i), the data term of the objective.
	Loss float64
	// FeatureNormSq is ||H||_F^2 = sum_i ||h_i||^2 and ClassifierNormSq is
	// ||W||_F^2.
	FeatureNormSq, ClassifierNormSq float64
}

// Measure reads the samples in two passes and returns the measurement of
// the point (W, b, samples): W is K x d, b has length K or is nil, and every
// label is in 0..K-1 with every class present.
//
// NC1 = tr(Sigma_W pinv(Sigma_B)) / K with Sigma_W = (1/N) sum_i (h_i -
// mu_{y_i})(h_i - mu_{y_i})^T and Sigma_B = (1/K) sum_k (mu_k - mu_G)(mu_k -
// mu_G)^T. The pseudo-inverse keeps the eigenvalues of Sigma_B above
// max(1e-15, d eps) times the largest (numpy.linalg.pinv's cut, raised to d
// eps). Sigma_B has rank at most K, so with its eigenpairs (v_j, u_j) kept,
// tr(Sigma_W pinv(Sigma_B)) = (1/N) sum_i sum_j (u_j . (h_i - mu_{y_i}))^2 / v_j:
// the second pass projects the centred features on at most K directions
// (O(N d K) work) instead of forming the d x d Sigma_W (O(N d^2)).
//
// Cost: two passes, O(N d K) flops each (blocks of rows times W^T, and times
// the kept eigenvectors), and O(K d) memory besides the samples' blocks.
func Measure(x Samples, w *mat.Dense, b []float64) (*Measurement, error) {
	n, d := x.Dims()
	k, wc := w.Dims()
	labels := x.Labels()
	switch {
	case wc != d:
		return nil, fmt.Errorf("metrics: W is %dx%d, the features have dimension %d", k, wc, d)
	case len(labels) != n:
		return nil, fmt.Errorf("metrics: %d labels for %d samples", len(labels), n)
	case b != nil && len(b) != k:
		return nil, fmt.Errorf("metrics: b has length %d, want K = %d", len(b), k)
	case k < 2:
		return nil, fmt.Errorf("metrics: K = %d classes, need at least 2", k)
	}
	if !finite(w.RawMatrix().Data) || !finite(b) {
		return nil, fmt.Errorf("metrics: W or b: %w", ErrNonFinite)
	}
	m := &Measurement{K: k, N: n, D: d, Counts: make([]int, k), W: w, B: b}
	for i, y := range labels {
		if y < 0 || y >= k {
			return nil, fmt.Errorf("metrics: sample %d has label %d, want 0..%d", i, y, k-1)
		}
		m.Counts[y]++
	}
	for c, nc := range m.Counts {
		if nc == 0 {
			return nil, fmt.Errorf("metrics: class %d has no samples", c)
		}
	}
	if err := m.firstPass(x, labels); err != nil {
		return nil, err
	}
	if err := m.secondPass(x, labels); err != nil {
		return nil, err
	}
	return m, nil
}

// firstPass accumulates the class sums, ||H||^2 and the loss.
func (m *Measurement) firstPass(x Samples, labels []int) error {
	k, d := m.K, m.D
	sums := make([]float64, k*d) // row c: sum of class c's features
	wT := m.W.T()
	var zbuf []float64 // logits of a block, reused
	loss, hsq := 0.0, 0.0
	err := x.Scan(func(first int, rows []float64) error {
		nb := len(rows) / d
		if nb == 0 {
			return nil
		}
		if !finite(rows) {
			return fmt.Errorf("metrics: features of samples %d..%d: %w", first, first+nb-1, ErrNonFinite)
		}
		blk := mat.NewDense(nb, d, rows)
		if len(zbuf) < nb*k {
			zbuf = make([]float64, nb*k)
		}
		logits := mat.NewDense(nb, k, zbuf[:nb*k])
		logits.Mul(blk, wT) // nb x K, into the reused buffer
		for r := 0; r < nb; r++ {
			y := labels[first+r]
			h := rows[r*d : (r+1)*d]
			s := sums[y*d : (y+1)*d]
			for a, v := range h {
				s[a] += v
				hsq += v * v
			}
			z := logits.RawRowView(r)
			if m.B != nil {
				for j := range z {
					z[j] += m.B[j]
				}
			}
			loss += crossEntropy(z, y)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.Means = mat.NewDense(d, k, nil)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			m.Means.Set(a, c, sums[c*d+a]/float64(m.Counts[c]))
		}
	}
	m.Loss = loss / float64(m.N)
	m.FeatureNormSq = hsq
	wn := mat.Norm(m.W, 2) // Frobenius
	m.ClassifierNormSq = wn * wn
	m.HTH = mat.NewDense(k, k, nil)
	m.HTH.Mul(m.Means.T(), m.Means)
	m.WWT = mat.NewDense(k, k, nil)
	m.WWT.Mul(m.W, m.W.T())
	m.WH = mat.NewDense(k, k, nil)
	m.WH.Mul(m.W, m.Means)
	if !finite([]float64{m.Loss, m.FeatureNormSq, m.ClassifierNormSq}) || !finite(m.HTH.RawMatrix().Data) || !finite(m.WH.RawMatrix().Data) {
		return fmt.Errorf("metrics: the measurement overflows: %w", ErrNonFinite)
	}
	return nil
}

// crossEntropy returns log sum_j exp(z_j) - z_y, shifted by max z.
func crossEntropy(z []float64, y int) float64 {
	zmax := z[0]
	for _, v := range z[1:] {
		zmax = math.Max(zmax, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - zmax)
	}
	return math.Log(s) + zmax - z[y]
}

// secondPass computes NC1 from the projections of the centred features on
// the kept eigenvectors of Sigma_B.
func (m *Measurement) secondPass(x Samples, labels []int) error {
	k, d := m.K, m.D
	global := make([]float64, d)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			global[a] += float64(m.Counts[c]) * m.Means.At(a, c)
		}
	}
	for a := range global {
		global[a] /= float64(m.N)
	}
	dirs, ok := pinvDirections(m.Means, global)
	if !ok {
		return nil // Sigma_B = 0: NC1 undefined
	}
	_, r := dirs.Dims()
	cent := make([]float64, blockRows*d)
	var pbuf []float64 // projections of a block, reused
	sum := 0.0
	err := x.Scan(func(first int, rows []float64) error {
		nb := len(rows) / d
		if nb == 0 {
			return nil
		}
		if len(cent) < nb*d {
			cent = make([]float64, nb*d)
		}
		for s := 0; s < nb; s++ {
			y := labels[first+s]
			for a := 0; a < d; a++ {
				cent[s*d+a] = rows[s*d+a] - m.Means.At(a, y)
			}
		}
		if len(pbuf) < nb*r {
			pbuf = make([]float64, nb*r)
		}
		proj := mat.NewDense(nb, r, pbuf[:nb*r])
		proj.Mul(mat.NewDense(nb, d, cent[:nb*d]), dirs) // nb x r
		for _, v := range pbuf[:nb*r] {
			sum += v * v
		}
		return nil
	})
	if err != nil {
		return err
	}
	v := sum / float64(m.N) / float64(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("metrics: NC1: %w", ErrNonFinite)
	}
	m.NC1 = &v
	return nil
}

// pinvDirections returns the kept eigenvectors u_j of Sigma_B = (1/K)
// sum_k (mu_k - mu_G)(mu_k - mu_G)^T, each divided by sqrt(v_j), as the
// columns of a d x r matrix; ok is false when Sigma_B is zero. With d <= K
// it decomposes Sigma_B; otherwise the K x K Gram matrix C = Mc^T Mc / K
// (Mc = [mu_k - mu_G]), whose nonzero eigenvalues are Sigma_B's, with
// u_j = Mc q_j / sqrt(K v_j).
func pinvDirections(means *mat.Dense, global []float64) (*mat.Dense, bool) {
	d, k := means.Dims()
	mc := mat.NewDense(d, k, nil)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			mc.Set(a, c, means.At(a, c)-global[a])
		}
	}
	var sym *mat.SymDense
	if d <= k {
		sym = mat.NewSymDense(d, nil)
		sym.SymOuterK(1/float64(k), mc) // Sigma_B, d x d
	} else {
		sym = mat.NewSymDense(k, nil)
		blas64.Syrk(blas.Trans, 1/float64(k), mc.RawMatrix(), 0, sym.RawSymmetric()) // Mc^T Mc / K
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, false
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	maxv := 0.0
	for _, v := range vals {
		maxv = math.Max(maxv, math.Abs(v))
	}
	if maxv == 0 || math.IsNaN(maxv) {
		return nil, false
	}
	cut := maxv * math.Max(1e-15, float64(d)*2.220446049250313e-16)
	var keep []int
	for j, v := range vals {
		if math.Abs(v) > cut {
			keep = append(keep, j)
		}
	}
	out := mat.NewDense(d, len(keep), nil)
	for c, j := range keep {
		v := vals[j]
		if d <= k {
			for a := 0; a < d; a++ {
				out.Set(a, c, vecs.At(a, j)/math.Sqrt(v))
			}
			continue
		}
		// u = Mc q / sqrt(K v); divided by sqrt(v): Mc q / (sqrt(K) v).
		scale := 1 / (math.Sqrt(float64(k)) * v)
		for a := 0; a < d; a++ {
			s := 0.0
			for col := 0; col < k; col++ {
				s += mc.At(a, col) * vecs.At(col, j)
			}
			out.Set(a, c, s*scale)
		}
	}
	return out, true
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
