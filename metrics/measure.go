package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Measurement is a point (W, b, per-sample features) measured without
// reference to any theory. Class k's mean is mu_k, Hbar = [mu_1 ... mu_K],
// mu_G the global mean (Global, in the convention of Options.GlobalMean).
// Measure fills it from the features, Stats.Measure from sufficient
// statistics; every metric is computed from it, so both paths share one
// implementation of each.
type Measurement struct {
	K, N, D int
	// Counts are the class counts n_k read from the labels.
	Counts []int
	// W is the classifier (K x d, not copied) and B the bias (nil without).
	W *mat.Dense
	B []float64
	// Means is Hbar (d x K): column k is mu_k.
	Means *mat.Dense
	// GlobalMean is the convention of Global, and Global is mu_G (length d).
	GlobalMean GlobalMean
	Global     []float64
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
	// Correct[k] counts the samples of class k that the classifier gets
	// right: argmax_j (W h_i + b)_j = k, the first largest logit on a tie
	// (numpy.argmax's rule).
	Correct []int
	// NC4Agree[k] counts the samples of class k on which the classifier and
	// the nearest class mean agree: argmax_j (W h_i + b)_j = argmin_j
	// ||h_i - mu_j|| (first index on a tie); nil when unknown (statistics
	// without nc4_agree).
	NC4Agree []int
	// WithinSq[k] is sum over the samples of class k of ||h_i - mu_k||^2.
	WithinSq []float64
	// SoftmaxSums is K x K: row k is the sum over the samples of class k of
	// softmax(W h_i + b).
	SoftmaxSums *mat.Dense

	meanRows []float64  // K x d row-major copy of the means
	dirs     *mat.Dense // kept eigenvectors of Sigma_B / sqrt(eigenvalue), d x r; nil when Sigma_B = 0
	dirCoef  *mat.Dense // K x r, dirs = Mc dirCoef (Mc = [mu_k - mu_G]) when d > K; nil otherwise
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
// Pass 1 accumulates the class sums, ||H||_F^2, the cross-entropy (logits
// W h_i + b, log-sum-exp shifted by the largest logit), the softmax sums
// and the classifier's decision per sample, and hands the logits to
// opt.Logits. Pass 2 takes the centred features c_i = h_i - mu_{y_i} and
// their products P_j = c_i . (mu_j - mu_G) with the K centred means: the
// nearest class mean, argmin_j ||h_i - mu_j||^2 = argmin_j (||mu_{y_i} -
// mu_j||^2 - 2 P_j); NC1 from the projections on the pinv directions (coef^T
// P when d > K, the directions being combinations of the centred means;
// direct products when d <= K); the within-class sums ||c_i||^2.
//
// Each block of samples is cut into two fixed parts run on two goroutines
// (kernel.go), each with its own running sums, added in part order at the
// end of the pass; products are rounded before they are added (no FMA),
// with AVX2/AVX-512 kernels where the CPU has them that give the bits of
// the Go loops. The bits depend on the Samples' blocks alone: not on
// GOMAXPROCS, the CPU, or float32 against float64 storage of the same
// values.
//
// Cost: two passes, O(N d K) flops each, and O(K d) memory plus 4 N bytes
// (the decisions) besides the samples' blocks (MeasureBytes).
func Measure(x Samples, w *mat.Dense, b []float64, opt Options) (*Measurement, error) {
	n, d := x.Dims()
	labels := x.Labels()
	m, err := newMeasurement(n, d, w, b, opt)
	if err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, fmt.Errorf("metrics: %d labels for %d samples", len(labels), n)
	}
	for i, y := range labels {
		if y < 0 || y >= m.K {
			return nil, fmt.Errorf("metrics: sample %d has label %d, want 0..%d", i, y, m.K-1)
		}
		m.Counts[y]++
	}
	if err := m.checkCounts(); err != nil {
		return nil, err
	}
	pred := make([]int32, n)
	sums, err := m.firstPass(x, labels, pred, opt.Logits)
	if err != nil {
		return nil, err
	}
	if err := m.setMeans(sums); err != nil {
		return nil, err
	}
	if err := m.secondPass(x, labels, pred); err != nil {
		return nil, err
	}
	return m, nil
}

// newMeasurement checks W and b and allocates the per-class arrays.
func newMeasurement(n, d int, w *mat.Dense, b []float64, opt Options) (*Measurement, error) {
	k, wc := w.Dims()
	switch {
	case wc != d:
		return nil, fmt.Errorf("metrics: W is %dx%d, the features have dimension %d", k, wc, d)
	case b != nil && len(b) != k:
		return nil, fmt.Errorf("metrics: b has length %d, want K = %d", len(b), k)
	case k < 2:
		return nil, fmt.Errorf("metrics: K = %d classes, need at least 2", k)
	case opt.GlobalMean != Weighted && opt.GlobalMean != ClassAverage:
		return nil, fmt.Errorf("metrics: unknown global-mean convention %d", opt.GlobalMean)
	}
	if !finite(w.RawMatrix().Data) || !finite(b) {
		return nil, fmt.Errorf("metrics: W or b: %w", setting.ErrNonFinite)
	}
	return &Measurement{K: k, N: n, D: d, Counts: make([]int, k), W: w, B: b, GlobalMean: opt.GlobalMean,
		Correct: make([]int, k), WithinSq: make([]float64, k), SoftmaxSums: mat.NewDense(k, k, nil)}, nil
}

func (m *Measurement) checkCounts() error {
	for c, nc := range m.Counts {
		if nc == 0 {
			return fmt.Errorf("metrics: class %d has no samples", c)
		}
	}
	return nil
}

// firstPass accumulates the class sums (returned, K x d row-major), ||H||^2,
// the loss, the softmax sums and the decisions (passes.go), and hands every
// block's logits to hook (Options.Logits) when it is not nil.
func (m *Measurement) firstPass(x Samples, labels []int, pred []int32, hook func(int, []float64, []int) error) ([]float64, error) {
	f := newFirstPass(m, labels, pred, hook)
	err := scanBlocks(x, m.D, &f.block, newTeam(f), f.before, f.after)
	if herr := f.stopHook(); err == nil {
		err = herr
	}
	if err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// softmaxInto returns CE(z, y) = log sum_j exp(z_j) - z_y (shifted by max z,
// the exponentials by expNonPos)
// and the first index of the largest logit, and adds softmax(z) to prob. It
// overwrites z.
func softmaxInto(z []float64, y int, prob []float64) (ce float64, top int) {
	zmax := z[0]
	for j, v := range z[1:] {
		if v > zmax {
			zmax, top = v, j+1
		}
	}
	zy := z[y]
	expShifted(z, z, zmax)
	s := 0.0
	for _, e := range z {
		s += e
	}
	for j, e := range z {
		prob[j] += e / s
	}
	return math.Log(s) + zmax - zy, top
}

// setMeans sets the means from the class sums (K x d row-major) and
// everything that depends on them alone: mu_G, HTH, WWT, WH, ||W||_F^2 and
// the pseudo-inverse directions of Sigma_B.
func (m *Measurement) setMeans(sums []float64) error {
	k, d := m.K, m.D
	m.meanRows = make([]float64, k*d)
	m.Means = mat.NewDense(d, k, nil)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			v := sums[c*d+a] / float64(m.Counts[c])
			m.meanRows[c*d+a] = v
			m.Means.Set(a, c, v)
		}
	}
	m.Global = make([]float64, d)
	for c := 0; c < k; c++ {
		wt := float64(m.Counts[c])
		if m.GlobalMean == ClassAverage {
			wt = 1
		}
		for a := 0; a < d; a++ {
			m.Global[a] += wt * m.meanRows[c*d+a]
		}
	}
	total := float64(m.N)
	if m.GlobalMean == ClassAverage {
		total = float64(k)
	}
	for a := range m.Global {
		m.Global[a] /= total
	}
	wn := mat.Norm(m.W, 2) // Frobenius
	m.ClassifierNormSq = wn * wn
	m.HTH = mat.NewDense(k, k, nil)
	m.HTH.Mul(m.Means.T(), m.Means)
	m.WWT = mat.NewDense(k, k, nil)
	m.WWT.Mul(m.W, m.W.T())
	m.WH = mat.NewDense(k, k, nil)
	m.WH.Mul(m.W, m.Means)
	if !finite([]float64{m.Loss, m.FeatureNormSq, m.ClassifierNormSq}) || !finite(m.HTH.RawMatrix().Data) ||
		!finite(m.WH.RawMatrix().Data) || !finite(m.SoftmaxSums.RawMatrix().Data) {
		return fmt.Errorf("metrics: the measurement overflows: %w", setting.ErrNonFinite)
	}
	if dirs, coef, ok := pinvDirections(m.Means, m.Global); ok {
		m.dirs, m.dirCoef = dirs, coef
	}
	return nil
}

// secondPass computes NC1, the within-class sums and the NC4 agreement from
// the centred features (passes.go).
func (m *Measurement) secondPass(x Samples, labels []int, pred []int32) error {
	sp := newSecondPass(m, labels, pred)
	m.NC4Agree = make([]int, m.K)
	if err := scanBlocks(x, m.D, &sp.block, newTeam(sp), nil, nil); err != nil {
		return err
	}
	nc1 := sp.finish()
	if math.IsNaN(nc1) || math.IsInf(nc1, 0) {
		return fmt.Errorf("metrics: NC1 projections: %w", setting.ErrNonFinite)
	}
	if m.dirs == nil {
		return nil // Sigma_B = 0: NC1 undefined
	}
	v := nc1 / float64(m.N) / float64(m.K)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("metrics: NC1: %w", setting.ErrNonFinite)
	}
	m.NC1 = &v
	return nil
}

// nccKernel works on blocks of features against fixed class means: it
// centres each sample on its class mean, projects the centred block on
// [pinv directions of Sigma_B | Hbar] with one product, and from it sums the
// NC1 projections, the within-class squares and the nearest-class-mean
// agreement.
type nccKernel struct {
	d, k, r  int
	meanRows []float64  // K x d
	q        *mat.Dense // d x (r + K)
	sep      []float64  // K x K: ||mu_a - mu_b||^2
	cent     []float64  // centred block, reused
	pbuf     []float64  // products of a block, reused
}

func newNCCKernel(m *Measurement) *nccKernel {
	k, d := m.K, m.D
	r := 0
	if m.dirs != nil {
		_, r = m.dirs.Dims()
	}
	q := mat.NewDense(d, r+k, nil)
	if r > 0 {
		q.Slice(0, d, 0, r).(*mat.Dense).Copy(m.dirs)
	}
	q.Slice(0, d, r, r+k).(*mat.Dense).Copy(m.Means)
	sep := make([]float64, k*k)
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			s := 0.0
			ra, rb := m.meanRows[a*d:(a+1)*d], m.meanRows[b*d:(b+1)*d]
			for j := range ra {
				v := ra[j] - rb[j]
				s += v * v
			}
			sep[a*k+b] = s
		}
	}
	return &nccKernel{d: d, k: k, r: r, meanRows: m.meanRows, q: q, sep: sep}
}

// block handles one block (rows: nb samples, labels: from the block's first
// sample on). decision(s, nearest) returns the classifier's decision for
// sample s of the block (nearest is the nearest class mean, for a caller
// that counts as it goes); agree[y] counts the samples of class y whose
// decision is the nearest class mean, within[y] sums ||h_i - mu_y||^2. It
// returns sum_s ||D^T c_s||^2 (0 when there are no directions).
func (kn *nccKernel) block(rows []float64, labels []int, decision func(s, nearest int) int, agree []int, within []float64) (float64, error) {
	d, k, r := kn.d, kn.k, kn.r
	nb := len(rows) / d
	if nb == 0 {
		return 0, nil
	}
	if len(kn.cent) < nb*d {
		kn.cent = make([]float64, nb*d)
	}
	for s := 0; s < nb; s++ {
		y := labels[s]
		mu := kn.meanRows[y*d : (y+1)*d]
		c := kn.cent[s*d : (s+1)*d]
		h := rows[s*d : (s+1)*d]
		sq := 0.0
		for a := range c {
			v := h[a] - mu[a]
			c[a] = v
			sq += v * v
		}
		within[y] += sq
	}
	cols := r + k
	if len(kn.pbuf) < nb*cols {
		kn.pbuf = make([]float64, nb*cols)
	}
	proj := mat.NewDense(nb, cols, kn.pbuf[:nb*cols])
	proj.Mul(mat.NewDense(nb, d, kn.cent[:nb*d]), kn.q) // nb x (r + K)
	sum := 0.0
	for s := 0; s < nb; s++ {
		row := kn.pbuf[s*cols : (s+1)*cols]
		for _, v := range row[:r] {
			sum += v * v
		}
		y := labels[s]
		sep := kn.sep[y*k : (y+1)*k]
		dots := row[r:]
		nearest, best := 0, sep[0]-2*dots[0]
		for j := 1; j < k; j++ {
			if v := sep[j] - 2*dots[j]; v < best {
				nearest, best = j, v
			}
		}
		if decision(s, nearest) == nearest {
			agree[y]++
		}
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return 0, fmt.Errorf("metrics: NC1 projections: %w", setting.ErrNonFinite)
	}
	return sum, nil
}

// pinvDirections returns the kept eigenvectors u_j of Sigma_B = (1/K)
// sum_k (mu_k - mu_G)(mu_k - mu_G)^T, each divided by sqrt(v_j), as the
// columns of a d x r matrix; ok is false when Sigma_B is zero. With d <= K
// it decomposes Sigma_B (coef is nil); otherwise the K x K Gram matrix C =
// Mc^T Mc / K (Mc = [mu_k - mu_G]), whose nonzero eigenvalues are
// Sigma_B's, with u_j = Mc q_j / sqrt(K v_j): the directions are Mc coef,
// coef (K x r) column j q_j / (sqrt(K) v_j).
func pinvDirections(means *mat.Dense, global []float64) (dirs, coef *mat.Dense, ok bool) {
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
		return nil, nil, false
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	maxv := 0.0
	for _, v := range vals {
		maxv = math.Max(maxv, math.Abs(v))
	}
	if maxv == 0 || math.IsNaN(maxv) {
		return nil, nil, false
	}
	cut := maxv * math.Max(1e-15, float64(d)*2.220446049250313e-16)
	var keep []int
	for j, v := range vals {
		if math.Abs(v) > cut {
			keep = append(keep, j)
		}
	}
	out := mat.NewDense(d, len(keep), nil)
	if d <= k {
		for c, j := range keep {
			for a := 0; a < d; a++ {
				out.Set(a, c, vecs.At(a, j)/math.Sqrt(vals[j]))
			}
		}
		return out, nil, true
	}
	// u = Mc q / sqrt(K v); divided by sqrt(v): Mc q / (sqrt(K) v).
	coef = mat.NewDense(k, len(keep), nil)
	for c, j := range keep {
		scale := 1 / (math.Sqrt(float64(k)) * vals[j])
		for col := 0; col < k; col++ {
			coef.Set(col, c, vecs.At(col, j)*scale)
		}
	}
	out.Mul(mc, coef)
	return out, coef, true
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
