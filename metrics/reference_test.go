package metrics

import (
	"math"
	"sort"
)

// ref is an independent float64 computation of the metrics of issue 16,
// written for the tests with plain loops over the samples: it uses nothing
// of package metrics (no Measurement, no kernel, no gonum products) and
// computes every distance directly, ||h_i - mu_k|| included.
type ref struct {
	accuracy, nc4                                               float64
	classAcc, classNC4, worst, margin, prob                     []float64
	equinormMeans, equinormW, equiangularity, selfDuality, cdnv float64
	gnc2, biasRelation                                          float64
	mergedWith                                                  []int
	cdnvOK, gnc2OK, angleOK                                     bool
	global                                                      []float64
	means                                                       [][]float64
	loss                                                        float64
}

// reference computes ref for features data (N x d row-major), labels, W
// (K rows of d), b (nil or K) and the global-mean convention; mergeCos is
// the merge threshold 1 - tol over the classes with alive[k].
func reference(data []float64, labels []int, w [][]float64, b []float64, classes bool, alive []bool, mergeCos float64) ref {
	k, d, n := len(w), len(w[0]), len(labels)
	var out ref
	cnt := make([]float64, k)
	mu := make([][]float64, k)
	for c := range mu {
		mu[c] = make([]float64, d)
	}
	for i, y := range labels {
		cnt[y]++
		for a := 0; a < d; a++ {
			mu[y][a] += data[i*d+a]
		}
	}
	for c := range mu {
		for a := range mu[c] {
			mu[c][a] /= cnt[c]
		}
	}
	g := make([]float64, d)
	for c := range mu {
		for a := range g {
			if classes {
				g[a] += mu[c][a] / float64(k)
			} else {
				g[a] += cnt[c] * mu[c][a] / float64(n)
			}
		}
	}
	out.global, out.means = g, mu
	logit := func(h []float64, j int) float64 {
		z := 0.0
		for a := 0; a < d; a++ {
			z += w[j][a] * h[a]
		}
		if b != nil {
			z += b[j]
		}
		return z
	}
	dist2 := func(x, y []float64) float64 {
		s := 0.0
		for a := range x {
			s += (x[a] - y[a]) * (x[a] - y[a])
		}
		return s
	}
	hit, agree := make([]float64, k), make([]float64, k)
	within := make([]float64, k)
	out.prob = make([]float64, k)
	for i, y := range labels {
		h := data[i*d : (i+1)*d]
		best, top := math.Inf(-1), -1
		z := make([]float64, k)
		for j := 0; j < k; j++ {
			z[j] = logit(h, j)
			if z[j] > best {
				best, top = z[j], j
			}
		}
		se := 0.0
		for j := range z {
			se += math.Exp(z[j] - best)
		}
		out.loss += (math.Log(se) + best - z[y]) / float64(n)
		out.prob[y] += math.Exp(z[y]-best) / se / cnt[y]
		near, nd := -1, math.Inf(1)
		for j := 0; j < k; j++ {
			if v := dist2(h, mu[j]); v < nd {
				near, nd = j, v
			}
		}
		if top == y {
			hit[y]++
		}
		if top == near {
			agree[y]++
		}
		within[y] += dist2(h, mu[y])
	}
	for c := 0; c < k; c++ {
		out.accuracy += hit[c] / float64(n)
		out.nc4 += agree[c] / float64(n)
		out.classAcc = append(out.classAcc, hit[c]/cnt[c])
		out.classNC4 = append(out.classNC4, agree[c]/cnt[c])
		// Logits of the class mean without the bias.
		zk := make([]float64, k)
		for j := 0; j < k; j++ {
			for a := 0; a < d; a++ {
				zk[j] += w[j][a] * mu[c][a]
			}
		}
		other, mean := math.Inf(-1), 0.0
		for j := 0; j < k; j++ {
			if j != c {
				other = math.Max(other, zk[j])
				mean += zk[j] / float64(k-1)
			}
		}
		out.worst = append(out.worst, zk[c]-other)
		out.margin = append(out.margin, zk[c]-mean)
	}
	cov := func(x []float64) float64 {
		m := 0.0
		for _, v := range x {
			m += v / float64(len(x))
		}
		s := 0.0
		for _, v := range x {
			s += (v - m) * (v - m) / float64(len(x)-1)
		}
		return math.Sqrt(s) / m
	}
	cen := make([][]float64, k)
	cn := make([]float64, k)
	wn := make([]float64, k)
	zero := make([]float64, d)
	for c := 0; c < k; c++ {
		cen[c] = make([]float64, d)
		for a := 0; a < d; a++ {
			cen[c][a] = mu[c][a] - g[a]
		}
		cn[c] = math.Sqrt(dist2(cen[c], zero))
		wn[c] = math.Sqrt(dist2(w[c], zero))
	}
	out.equinormMeans, out.equinormW = cov(cn), cov(wn)
	inner := func(x, y []float64) float64 {
		s := 0.0
		for a := range x {
			s += x[a] * y[a]
		}
		return s
	}
	out.angleOK, out.cdnvOK, out.gnc2OK = true, true, true
	var logs []float64
	for c := 0; c < k; c++ {
		out.angleOK = out.angleOK && cn[c] > 0
		for l := 0; l < k; l++ {
			if l == c {
				continue
			}
			out.equiangularity += math.Abs(inner(cen[c], cen[l])/(cn[c]*cn[l])+1/float64(k-1)) / float64(k*(k-1))
			if l < c {
				continue
			}
			sep := dist2(mu[c], mu[l])
			out.cdnvOK = out.cdnvOK && sep > 0
			out.cdnv += (within[c]/cnt[c] + within[l]/cnt[l]) / (2 * sep) / float64(k*(k-1)/2)
			u := make([]float64, d)
			for a := range u {
				u[a] = cen[c][a]/cn[c] - cen[l][a]/cn[l]
			}
			du := math.Sqrt(dist2(u, zero))
			out.gnc2OK = out.gnc2OK && du > 0
			logs = append(logs, math.Log(1/du))
		}
	}
	lm := 0.0
	for _, v := range logs {
		lm += v / float64(len(logs))
	}
	for _, v := range logs {
		out.gnc2 += (v - lm) * (v - lm) / float64(len(logs))
	}
	wf, mf := 0.0, 0.0
	for c := 0; c < k; c++ {
		wf += wn[c] * wn[c]
		mf += cn[c] * cn[c]
	}
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			e := w[c][a]/math.Sqrt(wf) - cen[c][a]/math.Sqrt(mf)
			out.selfDuality += e * e
		}
	}
	br := 0.0
	for c := 0; c < k; c++ {
		v := inner(w[c], g)
		if b != nil {
			v += b[c]
		}
		br += v * v
	}
	out.biasRelation = math.Sqrt(br)
	out.mergedWith = make([]int, k)
	for c := 0; c < k; c++ {
		out.mergedWith[c] = -1
		best := mergeCos
		for l := 0; l < k; l++ {
			if l == c || !alive[c] || !alive[l] {
				continue
			}
			if cs := inner(mu[c], mu[l]) / math.Sqrt(inner(mu[c], mu[c])*inner(mu[l], mu[l])); cs > best {
				best, out.mergedWith[c] = cs, l
			}
		}
	}
	return out
}

// nc1About is tr(Sigma_W pinv(Sigma_B)) / K with Sigma_W about the given
// means (d x d, formed explicitly) and Sigma_B of sbMeans about sbGlobal,
// the pseudo-inverse from a Jacobi eigendecomposition written here.
func nc1About(data []float64, labels []int, means [][]float64, sbMeans [][]float64, sbGlobal []float64) float64 {
	k, d, n := len(sbMeans), len(sbGlobal), len(labels)
	sw := make([][]float64, d)
	sb := make([][]float64, d)
	for a := range sw {
		sw[a], sb[a] = make([]float64, d), make([]float64, d)
	}
	for i, y := range labels {
		for a := 0; a < d; a++ {
			for c := 0; c < d; c++ {
				sw[a][c] += (data[i*d+a] - means[y][a]) * (data[i*d+c] - means[y][c]) / float64(n)
			}
		}
	}
	for j := 0; j < k; j++ {
		for a := 0; a < d; a++ {
			for c := 0; c < d; c++ {
				sb[a][c] += (sbMeans[j][a] - sbGlobal[a]) * (sbMeans[j][c] - sbGlobal[c]) / float64(k)
			}
		}
	}
	vals, vecs := jacobi(sb)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(x, y int) bool { return vals[order[x]] > vals[order[y]] })
	cut := vals[order[0]] * math.Max(1e-15, float64(d)*2.220446049250313e-16)
	out := 0.0
	for _, e := range order {
		if vals[e] <= cut {
			continue
		}
		q := 0.0
		for a := 0; a < d; a++ {
			for c := 0; c < d; c++ {
				q += vecs[a][e] * sw[a][c] * vecs[c][e]
			}
		}
		out += q / vals[e] / float64(k)
	}
	return out
}

// jacobi diagonalises the symmetric matrix a (cyclic Jacobi rotations):
// eigenvalues and eigenvectors (columns).
func jacobi(a [][]float64) ([]float64, [][]float64) {
	d := len(a)
	m := make([][]float64, d)
	v := make([][]float64, d)
	for i := range m {
		m[i] = append([]float64(nil), a[i]...)
		v[i] = make([]float64, d)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for p := 0; p < d; p++ {
			for q := p + 1; q < d; q++ {
				off += m[p][q] * m[p][q]
			}
		}
		if off < 1e-300 {
			break
		}
		for p := 0; p < d; p++ {
			for q := p + 1; q < d; q++ {
				if m[p][q] == 0 {
					continue
				}
				theta := (m[q][q] - m[p][p]) / (2 * m[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for r := 0; r < d; r++ {
					mp, mq := m[r][p], m[r][q]
					m[r][p], m[r][q] = c*mp-s*mq, s*mp+c*mq
				}
				for r := 0; r < d; r++ {
					mp, mq := m[p][r], m[q][r]
					m[p][r], m[q][r] = c*mp-s*mq, s*mp+c*mq
				}
				for r := 0; r < d; r++ {
					vp, vq := v[r][p], v[r][q]
					v[r][p], v[r][q] = c*vp-s*vq, s*vp+c*vq
				}
			}
		}
	}
	vals := make([]float64, d)
	for i := range vals {
		vals[i] = m[i][i]
	}
	return vals, v
}
