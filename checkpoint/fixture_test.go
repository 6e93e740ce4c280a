package checkpoint

import (
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// fixtureDir holds a few float32 checkpoints written by
// experiments/fashion-mnist/train.py (make-fixture.sh: MLP on an imbalanced
// Fashion-MNIST subset, counts 100..500, d = 64, lambda_W = 1e-3,
// lambda_H = 1e-5).
const fixtureDir = "../testdata/measure/fashion-mnist"

// independent is a plain float64 computation of the section 8 and 10
// quantities of a checkpoint, written for this test: the arrays are read
// whole with npyio, the features converted to float64, and everything is
// computed with loops and gonum's dense eigendecomposition, without package
// metrics or the streaming reader.
type independent struct {
	objective, nc1, nc2h, nc2w, nc2wBal, nc2wwt, nc3wh, maxCos float64
	margins, rho                                               []float64
	fstar                                                      float64
}

func computeIndependent(t *testing.T, path string, lw, lh float64) independent {
	t.Helper()
	r, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var feats, wf []float32
	var labels []int64
	for name, ptr := range map[string]any{"features.npy": &feats, "classifier.npy": &wf, "labels.npy": &labels} {
		if err := r.Read(name, ptr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	n := len(labels)
	d := len(feats) / n
	k := len(wf) / d
	h := func(i, j int) float64 { return float64(feats[i*d+j]) }
	w := func(c, j int) float64 { return float64(wf[c*d+j]) }
	cnt := make([]float64, k)
	mu := make([][]float64, k)
	for c := range mu {
		mu[c] = make([]float64, d)
	}
	loss, hsq, wsq := 0.0, 0.0, 0.0
	for i := 0; i < n; i++ {
		y := int(labels[i])
		cnt[y]++
		z := make([]float64, k)
		for c := 0; c < k; c++ {
			for j := 0; j < d; j++ {
				z[c] += w(c, j) * h(i, j)
			}
		}
		zmax := math.Inf(-1)
		for _, v := range z {
			zmax = math.Max(zmax, v)
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v - zmax)
		}
		loss += math.Log(s) + zmax - z[y]
		for j := 0; j < d; j++ {
			mu[y][j] += h(i, j)
			hsq += h(i, j) * h(i, j)
		}
	}
	for c := 0; c < k; c++ {
		for j := 0; j < d; j++ {
			mu[c][j] /= cnt[c]
			wsq += w(c, j) * w(c, j)
		}
	}
	var out independent
	out.objective = loss/float64(n) + lw/2*wsq + lh/2*hsq

	// NC1 with d x d Sigma_W and the pseudo-inverse of Sigma_B from its
	// eigendecomposition.
	g := make([]float64, d)
	for c := 0; c < k; c++ {
		for j := 0; j < d; j++ {
			g[j] += cnt[c] * mu[c][j] / float64(n)
		}
	}
	sw := mat.NewSymDense(d, nil)
	for i := 0; i < n; i++ {
		y := int(labels[i])
		for a := 0; a < d; a++ {
			da := h(i, a) - mu[y][a]
			for b := a; b < d; b++ {
				sw.SetSym(a, b, sw.At(a, b)+da*(h(i, b)-mu[y][b])/float64(n))
			}
		}
	}
	sb := mat.NewSymDense(d, nil)
	for c := 0; c < k; c++ {
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				sb.SetSym(a, b, sb.At(a, b)+(mu[c][a]-g[a])*(mu[c][b]-g[b])/float64(k))
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sb, true) {
		t.Fatal("eigen")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	vmax := 0.0
	for _, v := range vals {
		vmax = math.Max(vmax, v)
	}
	for e, v := range vals {
		if v <= vmax*math.Max(1e-15, float64(d)*2.220446049250313e-16) {
			continue
		}
		q := 0.0
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				q += vecs.At(a, e) * sw.At(a, b) * vecs.At(b, e)
			}
		}
		out.nc1 += q / v / float64(k)
	}

	// The prediction in float64 from theory.md section 2 (all classes of
	// the fixture are alive).
	km1 := float64(k - 1)
	cc := math.Sqrt(km1 / float64(k))
	M, rhoP, gamma := make([]float64, k), make([]float64, k), make([]float64, k)
	for c := 0; c < k; c++ {
		beta := float64(n) * math.Sqrt(lw*lh/cnt[c])
		M[c] = math.Log(km1 * (1/(cc*beta) - 1))
		rhoP[c] = M[c] * math.Sqrt(km1*lw/(float64(k)*lh*cnt[c]))
		gamma[c] = M[c] * math.Sqrt(float64(k)*lh*cnt[c]/(km1*lw))
		out.fstar += cnt[c] / float64(n) * (math.Log1p(km1*math.Exp(-M[c])) + cc*beta*M[c])
	}
	// dist(A, B) = || A/||A|| - B/||B|| ||_F over flat slices.
	dist := func(a, b []float64) float64 {
		na, nb := 0.0, 0.0
		for i := range a {
			na += a[i] * a[i]
			nb += b[i] * b[i]
		}
		s := 0.0
		for i := range a {
			v := a[i]/math.Sqrt(na) - b[i]/math.Sqrt(nb)
			s += v * v
		}
		return math.Sqrt(s)
	}
	cent := func(i, j int) float64 {
		v := -1 / float64(k)
		if i == j {
			v++
		}
		return v
	}
	var hth, hthP, wwt, wwtP, wh, whP []float64
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			dot, ww, wm := 0.0, 0.0, 0.0
			for j := 0; j < d; j++ {
				dot += mu[a][j] * mu[b][j]
				ww += w(a, j) * w(b, j)
				wm += w(a, j) * mu[b][j]
			}
			hth, wwt, wh = append(hth, dot), append(wwt, ww), append(wh, wm)
			p := 0.0
			if a == b {
				p = rhoP[a]
			}
			hthP = append(hthP, p)
			q := 0.0
			for l := 0; l < k; l++ {
				q += cent(a, l) * gamma[l] * cent(l, b)
			}
			wwtP = append(wwtP, q)
			whP = append(whP, M[b]*cent(a, b))
		}
	}
	out.nc2h, out.nc2wwt, out.nc3wh = dist(hth, hthP), dist(wwt, wwtP), dist(wh, whP)
	var wflat, ref, refBal []float64
	for c := 0; c < k; c++ {
		for j := 0; j < d; j++ {
			wflat = append(wflat, w(c, j))
			s, m := 0.0, 0.0
			for l := 0; l < k; l++ {
				s += math.Sqrt(cnt[l]) * mu[l][j]
				m += mu[l][j] / float64(k)
			}
			ref = append(ref, float64(k)*math.Sqrt(cnt[c])*mu[c][j]-s)
			refBal = append(refBal, mu[c][j]-m)
		}
	}
	out.nc2w, out.nc2wBal = dist(wflat, ref), dist(wflat, refBal)
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			out.maxCos = math.Max(out.maxCos, math.Abs(hth[a*k+b])/math.Sqrt(hth[a*k+a]*hth[b*k+b]))
		}
		out.rho = append(out.rho, hth[a*k+a])
		other := 0.0
		for j := 0; j < k; j++ {
			if j != a {
				other += wh[j*k+a]
			}
		}
		out.margins = append(out.margins, wh[a*k+a]-other/km1)
	}
	return out
}

// TestFixtureAgainstIndependent measures the committed train.py checkpoints
// and compares every metric with the independent computation.
func TestFixtureAgainstIndependent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.npz"))
	if err != nil || len(files) < 2 {
		t.Fatalf("fixture missing: %v %v", files, err)
	}
	sort.Strings(files)
	lw, lh := setting.MustDecimal("1e-3"), setting.MustDecimal("1e-5")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Open(f)
			if err != nil {
				t.Fatal(err)
			}
			if c.FeatureType != "float32" || c.K != 10 || c.N != 3000 {
				t.Fatalf("fixture has K=%d N=%d %s", c.K, c.N, c.FeatureType)
			}
			got, err := Measure(c, Options{LambdaW: lw, LambdaH: lh})
			if err != nil {
				t.Fatal(err)
			}
			want := computeIndependent(t, f, 1e-3, 1e-5)
			m := got.Metrics
			fstar := 0.0
			if got.PredictedObjective != nil {
				fstar = setting.MustDecimal(strings.TrimSpace(*got.PredictedObjective)).Float64()
			}
			for _, q := range []struct {
				name      string
				got, want float64
				tol       float64
			}{
				{"objective", got.Objective, want.objective, 1e-12},
				{"f*", fstar, want.fstar, 1e-12},
				{"nc1", *m.NC1, want.nc1, 1e-8},
				{"nc2_h", *m.NC2H, want.nc2h, 1e-10},
				{"nc2_w", *m.NC2W, want.nc2w, 1e-10},
				{"nc2_w_balanced", *m.NC2WBalanced, want.nc2wBal, 1e-10},
				{"nc2_wwt", *m.NC2WWT, want.nc2wwt, 1e-10},
				{"nc3_wh", *m.NC3WH, want.nc3wh, 1e-10},
				{"max cos", m.MaxCos, want.maxCos, 1e-10},
			} {
				if math.Abs(q.got-q.want) > q.tol*math.Max(1, math.Abs(q.want)) {
					t.Errorf("%s: measure %.15g, independent %.15g", q.name, q.got, q.want)
				}
			}
			for k, cl := range got.Classes {
				if math.Abs(cl.Margin-want.margins[k]) > 1e-10*math.Max(1, math.Abs(want.margins[k])) ||
					math.Abs(cl.FeatureNormSq-want.rho[k]) > 1e-10*math.Max(1, want.rho[k]) {
					t.Errorf("class %d: margin %g vs %g, rho %g vs %g", k, cl.Margin, want.margins[k], cl.FeatureNormSq, want.rho[k])
				}
			}
			t.Logf("epoch %d: objective %.6g (f* %.6g), nc1 %.2g, nc2_h %.2g, nc2_w %.2g (balanced %.2g), max cos %.2g",
				*c.Epoch, got.Objective, fstar, *m.NC1, *m.NC2H, *m.NC2W, *m.NC2WBalanced, m.MaxCos)
		})
	}
}
