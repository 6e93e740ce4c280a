package derivation

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// cone computes the copositivity test on the zero coordinates.
func (h *hessian) cone(c ConeReport, tol float64) ConeReport {
	c.Min, c.Exact = math.NaN(), true
	if c.Coordinates == 0 {
		return c
	}
	// The groups that have zero-slack entries on the zero coordinates (all of
	// them, since H is 0 there; groups whose entry there is fixed by a
	// positive slack cannot exist as W[:, i] = 0 makes the slack 0).
	var gs []int
	for g := range h.groups {
		for i, z := range h.groups[g].zeroC {
			if z && h.zeroCoord[i] {
				gs = append(gs, g)
				break
			}
		}
	}
	n := len(gs)
	if n == 0 {
		return c
	}
	a := mat.NewSymDense(n, nil)
	mixed := false
	for x, g := range gs {
		for y := 0; y <= x; y++ {
			g2 := gs[y]
			dot := 0.0
			for j := range h.groups[g].g {
				dot += h.groups[g].g[j] * h.groups[g2].g[j]
			}
			v := -math.Sqrt(h.groups[g].m*h.groups[g2].m) * dot / h.lw
			if x == y {
				v += h.lh
			} else if v < -tol {
				mixed = true
			}
			a.SetSym(x, y, v)
		}
	}
	c.Min = math.Inf(1)
	c.Flat = 0
	if !mixed || n > 16 {
		// Non-negative off-diagonal: the minimum over u >= 0 is at a vertex.
		for x := 0; x < n; x++ {
			v := a.At(x, x)
			c.Min = math.Min(c.Min, v)
			if math.Abs(v) <= tol {
				c.Flat++
			}
		}
		c.Exact = !mixed
		return c
	}
	// Exact: the minimum over the non-negative part of the sphere is attained
	// at a point whose support S makes it a positive eigenvector of A_S.
	for mask := 1; mask < 1<<n; mask++ {
		var idx []int
		for x := 0; x < n; x++ {
			if mask&(1<<x) != 0 {
				idx = append(idx, x)
			}
		}
		sub := mat.NewSymDense(len(idx), nil)
		for p, x := range idx {
			for q := 0; q <= p; q++ {
				sub.SetSym(p, q, a.At(x, idx[q]))
			}
		}
		vals, vec, err := eigenSym(sub, true)
		if err != nil {
			c.Exact = false
			continue
		}
		for col, lam := range vals {
			pos, neg := true, true
			for r := range idx {
				v := vec.At(r, col)
				pos = pos && v > 0
				neg = neg && v < 0
			}
			if pos || neg {
				c.Min = math.Min(c.Min, lam)
				if math.Abs(lam) <= tol {
					c.Flat++
				}
			}
		}
	}
	return c
}

// verdict decides and explains.
func (h *hessian) verdict(r *HessianReport, tol float64) {
	ex := func(format string, args ...any) { r.Explanation = append(r.Explanation, fmt.Sprintf(format, args...)) }
	if r.Plain {
		ex("plain UFM (no constraint H >= 0): free variables are all %d entries of W, %d of b and all %d entries of H", r.FreeW, r.FreeB, r.FreeH)
	} else {
		ex("free variables: %d of W, %d of b, %d positive entries of H; %d entries of H at 0 with positive slack are fixed (active constraints)",
			r.FreeW, r.FreeB, r.FreeH, r.FixedH)
	}
	ex("within-class variations: each group of m identical samples contributes its sample block's eigenvalues (>= lambda_H) m-1 times")
	h.explainSymmetries(r, ex)
	if r.Cone.Coordinates > 0 {
		ex("%d unused coordinate(s) (W column and H row zero): curvature after optimising the W column, min over t >= 0 of lambda_H |t|^2 - |G t|^2 / lambda_W = %.6g per unit |t|^2, %d flat ray(s) per coordinate: moving one class's features into the unused coordinate (a rotation inside the non-negative orthant)",
			r.Cone.Coordinates, r.Cone.Min, r.Cone.Flat)
	}
	if r.Unused > 0 && r.UnusedMin != nil {
		msg := fmt.Sprintf("%d unused coordinate(s) (W column and H row zero), each an exact block [[lambda_W I, B], [B^T, lambda_H I]], B = [sqrt(m_g) G_g]: smallest eigenvalue %.6g, %d near-zero eigenvalue(s) per coordinate",
			r.Unused, *r.UnusedMin, r.UnusedZero)
		switch {
		case r.UnusedZero > 0 && r.SpanRank > 0:
			msg += " (rotations of the point's directions into the coordinate)"
		case r.UnusedZero > 0:
			msg += " that are not symmetries: at W = 0, H = 0, lambda_W lambda_H equals the largest eigenvalue of B^T B, the edge of global collapse (s = 1/K for the balanced plain UFM), where the quadratic model is flat"
		}
		ex("%s", msg)
	}
	if r.Cone.Other > 0 {
		ex("%d zero-slack entries of H outside unused coordinates were treated as free in both directions (a stricter test)", r.Cone.Other)
	}
	switch {
	case r.GradientNorm > h.opt.GradTol*r.GradientScale:
		r.Verdict = NotKKT
		ex("not a KKT point: the gradient on the free variables is %.3g (gradient terms of size %.3g); the Hessian describes a non-stationary point", r.GradientNorm, r.GradientScale)
	case r.NegativeSlackH > 0 || r.NegativeH > 0:
		r.Verdict = NotKKT
		ex("not a KKT point: %d entries of H at 0 have a negative slack and %d are negative; f decreases to first order", r.NegativeSlackH, r.NegativeH)
	case r.Negative > 0:
		r.Verdict = Saddle
		ex("%d negative eigenvalue(s): a descent direction of second order", r.Negative)
	case r.Cone.Coordinates > 0 && r.Cone.Min < -tol:
		r.Verdict = Saddle
		ex("negative curvature into an unused coordinate: a feature direction that grows from 0 lowers f")
	case (r.ExpectedZero >= 0 && r.NearZero != r.ExpectedZero) || (r.ExpectedZero < 0 && r.NearZero > 0):
		r.Verdict = Degenerate
		ex("%d near-zero eigenvalue(s) where the symmetries explain %d: the second-order test is inconclusive", r.NearZero, r.ExpectedZero)
	case !r.Cone.Exact:
		r.Verdict = Degenerate
		ex("the curvature into unused coordinates could not be computed exactly (more than 16 groups with mixed signs): inconclusive")
	default:
		r.Verdict = LocalMinimum
		ex("local minimum up to the symmetries: %d near-zero eigenvalue(s), all explained; smallest other eigenvalue %.6g (largest %.6g)",
			r.NearZero, r.SmallestNonzero, r.Largest)
	}
}

// explainSymmetries says which symmetries the expected zero eigenvalues
// come from: rotations, and the shift of an unregularised bias.
func (h *hessian) explainSymmetries(r *HessianReport, ex func(string, ...any)) {
	rot := r.ExpectedZero - r.BiasShift // rotations (when counted)
	switch {
	case r.ExpectedZero < 0:
		ex("symmetry count not computed (more than %d rotation generators)", maxSkew)
	case r.Plain && rot == 0:
		ex("rank [W^T H] = 0 (W = 0, H = 0): every rotation W -> W Q^T, H -> Q H fixes the point, so no rotation gives a zero eigenvalue")
	case r.Plain:
		rr, d := r.SpanRank, h.d
		msg := fmt.Sprintf("%d zero eigenvalue(s) expected from rotations: the orbit of W -> W Q^T, H -> Q H (Q in O(%d)) through the point, r = rank [W^T H] = %d, has dimension r d - r(r+1)/2: r(r-1)/2 = %d rotation(s) inside the span of the point",
			rot, d, rr, rr*(rr-1)/2)
		if d > rr {
			msg += fmt.Sprintf(" and r (d - r) = %d turning one of its directions into one of the other %d coordinate(s)", rr*(d-rr), d-rr)
		}
		ex("%s", msg)
	case rot == 0:
		ex("no rotation W -> W Q^T, H -> Q H keeps the fixed zeros of H at 0 and moves the point: no rotation gives a zero eigenvalue")
	default:
		ex("%d zero eigenvalue(s) expected from rotations W -> W Q^T, H -> Q H that keep the fixed zeros of H at 0 (rotations inside a class's support)", rot)
	}
	switch {
	case r.BiasShift > 0:
		ex("1 zero eigenvalue expected from the shift b -> b + t 1: the bias is unregularised (lambda_b = 0) and the %s loss depends on the logits only through their differences", h.s.Loss)
	case h.s.Loss.Softmax() && h.s.Bias:
		ex("the softmax shift z -> z + t 1 is not a symmetry: the penalty lambda_b ||b||^2 / 2 has curvature lambda_b K along b = t 1")
	case h.s.Loss.Softmax():
		ex("the softmax shift z -> z + t 1 is not a symmetry: without a bias it is W -> W + 1 v^T, along which the penalty on W has curvature lambda_W K")
	}
}
