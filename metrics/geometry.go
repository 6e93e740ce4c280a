package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Geometry is a reference geometry given up to scale: the class-level
// matrices W W^T, Hbar^T Hbar and W Hbar (K x K) of a limit the minimizer is
// compared with, such as SELI (theory.md section 13), which predicts each
// only in direction.
type Geometry struct {
	WWT, HTH, WH mat.Matrix
}

// GeometryDist is the distance of a measured point to a reference
// Geometry: the normalised distance of theory.md section 8,
// dist(A, B) = ||A/||A||_F - B/||B||_F||_F, of each class-level matrix, so
// each matrix's own scale is divided out. Each is in [0, 2], 0 when the
// measured matrix is a positive multiple of the reference; nil (undefined)
// when a norm is zero or when every measured class counts as collapsed
// (Statuses), where the normalised matrices are rounding noise divided by
// rounding noise.
type GeometryDist struct {
	// WWT = dist(W W^T, ref WWT), HTH = dist(Hbar^T Hbar, ref HTH),
	// WH = dist(W Hbar, ref WH).
	WWT *float64 `json:"wwt"`
	HTH *float64 `json:"hth"`
	WH  *float64 `json:"wh"`
	// Max is the largest of the three, nil when any is undefined.
	Max *float64 `json:"max"`
}

// DistTo returns the distance of m to the reference geometry g, with the
// class statuses of Measurement.Statuses under c. Errors: a reference
// matrix missing or not K x K, invalid criteria.
func (m *Measurement) DistTo(g Geometry, c Criteria) (GeometryDist, error) {
	for _, x := range []struct {
		name string
		a    mat.Matrix
	}{{"W W^T", g.WWT}, {"Hbar^T Hbar", g.HTH}, {"W Hbar", g.WH}} {
		if x.a == nil {
			return GeometryDist{}, fmt.Errorf("metrics: reference geometry lacks %s", x.name)
		}
		if r, c := x.a.Dims(); r != m.K || c != m.K {
			return GeometryDist{}, fmt.Errorf("metrics: reference %s is %dx%d, want %dx%d", x.name, r, c, m.K, m.K)
		}
	}
	st, _, err := m.Statuses(c)
	if err != nil {
		return GeometryDist{}, err
	}
	collapsed := true
	for _, x := range st {
		collapsed = collapsed && x == Collapsed
	}
	if collapsed {
		return GeometryDist{}, nil
	}
	d := GeometryDist{WWT: Dist(m.WWT, g.WWT), HTH: Dist(m.HTH, g.HTH), WH: Dist(m.WH, g.WH)}
	if d.WWT != nil && d.HTH != nil && d.WH != nil {
		v := max(*d.WWT, *d.HTH, *d.WH)
		d.Max = &v
	}
	return d, nil
}
