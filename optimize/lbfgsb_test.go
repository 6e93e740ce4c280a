package optimize

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestReducedCoefficientsDense checks the quasi-Newton step on the free
// set against a dense computation: the L-BFGS Hessian approximation B
// built by the BFGS update from theta I through the pairs (oldest first),
// its F x F block, and d_F = -(B_FF)^-1 g_F. With F everything the step is
// the plain L-BFGS step.
func TestReducedCoefficientsDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, mem := 14, 5
	w := &lbfgsWork{nv: n, mem: mem}
	w.s = make([][]float64, mem+1)
	w.y = make([][]float64, mem+1)
	sq := func() [][]float64 {
		m := make([][]float64, mem+1)
		for i := range m {
			m[i] = make([]float64, mem+1)
		}
		return m
	}
	w.ss, w.sy, w.fyy, w.fsy, w.fss = sq(), sq(), sq(), sq(), sq()
	w.fyg, w.fsg = make([]float64, mem+1), make([]float64, mem+1)
	w.sys = make([][]float64, 2*mem)
	for i := range w.sys {
		w.sys[i] = make([]float64, 2*mem+1)
	}
	w.rhs = make([]float64, 2*mem)
	for i := range w.s {
		w.s[i] = make([]float64, n)
		w.y[i] = make([]float64, n)
		for j := range w.s[i] {
			w.s[i][j] = rng.NormFloat64()
			w.y[i][j] = w.s[i][j]*(1+float64(j%5)) + 0.2*rng.NormFloat64()
		}
	}
	pairs := []int{3, 0, 5, 1}
	g := make([]float64, n)
	for j := range g {
		g[j] = rng.NormFloat64()
	}
	gamma := 0.7
	for _, fixed := range [][]int{nil, {2, 5, 6, 11}} {
		mask := make([]float64, n)
		for i := range mask {
			mask[i] = 1
		}
		for _, i := range fixed {
			mask[i] = 0
		}
		md := func(a, b []float64) float64 {
			s := 0.0
			for i := range a {
				s += mask[i] * a[i] * b[i]
			}
			return s
		}
		gm := make([]float64, n)
		for i := range gm {
			gm[i] = mask[i] * g[i]
		}
		for _, a := range pairs {
			for _, c := range pairs {
				w.ss[a][c] = dot(w.s[a], w.s[c])
				w.sy[a][c] = dot(w.s[a], w.y[c])
				w.fyy[a][c] = md(w.y[a], w.y[c])
				w.fsy[a][c] = md(w.s[a], w.y[c])
				w.fss[a][c] = md(w.s[a], w.s[c])
			}
			w.fyg[a] = dot(w.y[a], gm)
			w.fsg[a] = dot(w.s[a], gm)
		}
		cS, cY := make([]float64, len(pairs)), make([]float64, len(pairs))
		if !w.reducedCoefficients(pairs, gamma, cS, cY) {
			t.Fatal("singular system")
		}
		// Dense B by BFGS updates from (1/gamma) I.
		B := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			B.Set(i, i, 1/gamma)
		}
		for _, a := range pairs {
			s, y := mat.NewVecDense(n, w.s[a]), mat.NewVecDense(n, w.y[a])
			var bs mat.VecDense
			bs.MulVec(B, s)
			sbs := mat.Dot(s, &bs)
			var t1, t2 mat.Dense
			t1.Outer(1/sbs, &bs, &bs)
			t2.Outer(1/mat.Dot(y, s), y, y)
			B.Sub(B, &t1)
			B.Add(B, &t2)
		}
		var free []int
		for i := 0; i < n; i++ {
			if mask[i] == 1 {
				free = append(free, i)
			}
		}
		BF := mat.NewDense(len(free), len(free), nil)
		gF := mat.NewVecDense(len(free), nil)
		for i, a := range free {
			gF.SetVec(i, -g[a])
			for j, c := range free {
				BF.Set(i, j, B.At(a, c))
			}
		}
		var want mat.VecDense
		if err := want.SolveVec(BF, gF); err != nil {
			t.Fatal(err)
		}
		for i, a := range free {
			got := -gamma * g[a]
			for j, sl := range pairs {
				got -= cS[j]*w.s[sl][a] + cY[j]*w.y[sl][a]
			}
			if d := want.AtVec(i); math.Abs(got-d) > 1e-9*(1+math.Abs(d)) {
				t.Errorf("fixed %v: d[%d] = %v, dense %v", fixed, a, got, d)
			}
		}
	}
}
