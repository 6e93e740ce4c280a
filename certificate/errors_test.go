package certificate_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"nccheck/certificate"
	"nccheck/setting"
)

// Bad inputs give clear errors: *setting.InputError naming the field, or an
// error wrapping setting.ErrNonFinite; never a panic or a NaN bound.
func TestBadInputs(t *testing.T) {
	s := setting.Setting{Counts: []int{2, 1}, Dim: 2, LambdaW: dec("0.1"), LambdaH: dec("0.1")}
	w := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	h := mat.NewDense(2, 3, []float64{1, 1, 0, 0, 0, 1})
	one := func() *big.Float { return big.NewFloat(1) }
	bigLogits := [][]*big.Float{{one(), one()}, {one(), one()}}
	nonFinite := setting.ErrNonFinite
	cases := []struct {
		name  string
		run   func() error
		field string // "" when the error must wrap ErrNonFinite
	}{
		{"K=1", func() error {
			_, err := certificate.NewAccumulator(setting.Setting{Counts: []int{5}, Dim: 1, LambdaW: dec("1"), LambdaH: dec("1")})
			return err
		}, setting.FieldCounts},
		{"too many classes", func() error {
			big := setting.Setting{Counts: make([]int, certificate.MaxClasses+1), Dim: 1, LambdaW: dec("1"), LambdaH: dec("1")}
			for i := range big.Counts {
				big.Counts[i] = 1
			}
			_, err := certificate.NewAccumulator(big)
			return err
		}, setting.FieldCounts},
		{"logit length", func() error {
			a, _ := certificate.NewAccumulator(s)
			return a.Add([]float64{1, 2, 3}, []int{0, 1})
		}, "logits"},
		{"label range", func() error {
			a, _ := certificate.NewAccumulator(s)
			return a.Add([]float64{1, 2}, []int{2})
		}, "labels"},
		{"NaN logit", func() error {
			a, _ := certificate.NewAccumulator(s)
			return a.Add([]float64{1, math.NaN()}, []int{0})
		}, ""},
		{"Inf logit", func() error {
			a, _ := certificate.NewAccumulator(s)
			return a.Add([]float64{math.Inf(1), 0}, []int{0})
		}, ""},
		{"counts mismatch", func() error {
			a, _ := certificate.NewAccumulator(s)
			if err := a.Add([]float64{1, 2, 1, 2}, []int{0, 1}); err != nil {
				return err
			}
			_, err := a.Bound()
			return err
		}, "labels"},
		{"W rows", func() error { _, err := certificate.AtPoint(s, mat.NewDense(3, 2, nil), h, nil, nil); return err }, "W"},
		{"H rows", func() error { _, err := certificate.AtPoint(s, w, mat.NewDense(3, 3, nil), nil, nil); return err }, "H"},
		{"H columns", func() error { _, err := certificate.AtPoint(s, w, mat.NewDense(2, 4, nil), nil, nil); return err }, "H"},
		{"labels length", func() error { _, err := certificate.AtPoint(s, w, h, nil, []int{0, 1}); return err }, "labels"},
		{"labels counts", func() error { _, err := certificate.AtPoint(s, w, h, nil, []int{0, 1, 1}); return err }, "labels"},
		{"bias for bias-free", func() error { _, err := certificate.AtPoint(s, w, h, []float64{0, 0}, nil); return err }, "b"},
		{"negative H with ReLU", func() error {
			hn := mat.DenseCopyOf(h)
			hn.Set(0, 0, -1)
			_, err := certificate.AtPoint(s, w, hn, nil, nil)
			return err
		}, "H"},
		{"NaN in W", func() error {
			wn := mat.DenseCopyOf(w)
			wn.Set(1, 1, math.NaN())
			_, err := certificate.AtPoint(s, wn, h, nil, nil)
			return err
		}, ""},
		{"big prec", func() error { _, err := certificate.BigBound(s, bigLogits, []int{0, 1}, []int{2, 1}, 8); return err }, "Prec"},
		{"big labels", func() error { _, err := certificate.BigBound(s, bigLogits, []int{0}, nil, 128); return err }, "labels"},
		{"big mult", func() error { _, err := certificate.BigBound(s, bigLogits, []int{0, 1}, []int{2}, 128); return err }, "mult"},
		{"big counts", func() error { _, err := certificate.BigBound(s, bigLogits, []int{0, 1}, []int{1, 1}, 128); return err }, "labels"},
		{"big logit length", func() error {
			_, err := certificate.BigBound(s, [][]*big.Float{{one()}, {one(), one()}}, []int{0, 1}, []int{2, 1}, 128)
			return err
		}, "logits"},
		{"big Inf logit", func() error {
			_, err := certificate.BigBound(s, [][]*big.Float{{new(big.Float).SetInf(false), one()}, {one(), one()}}, []int{0, 1}, []int{2, 1}, 128)
			return err
		}, ""},
		{"big nil logit", func() error {
			_, err := certificate.BigBound(s, [][]*big.Float{{nil, one()}, {one(), one()}}, []int{0, 1}, []int{2, 1}, 128)
			return err
		}, ""},
		{"big W rows", func() error {
			_, err := certificate.BigAtPoint(s, [][]*big.Float{{one()}}, [][]*big.Float{{one()}, {one()}}, []int{0, 1}, []int{2, 1}, nil, 128)
			return err
		}, "W"},
		{"big column length", func() error {
			_, err := certificate.BigAtPoint(s, [][]*big.Float{{one()}, {one()}}, [][]*big.Float{{one(), one()}, {one()}}, []int{0, 1}, []int{2, 1}, nil, 128)
			return err
		}, "columns"},
		{"means shape", func() error {
			_, err := certificate.BigAtClassMeans(s, [][]*big.Float{{one()}, {one()}}, [][]*big.Float{{one()}}, nil, 128)
			return err
		}, "means"},
		{"big negative feature", func() error {
			_, err := certificate.BigAtPoint(s, [][]*big.Float{{one()}, {one()}}, [][]*big.Float{{big.NewFloat(-1)}, {one()}}, []int{0, 1}, []int{2, 1}, nil, 128)
			return err
		}, "columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			t.Log(err)
			if c.field == "" {
				if !errors.Is(err, nonFinite) {
					t.Errorf("error %q does not wrap setting.ErrNonFinite", err)
				}
				return
			}
			var ie *setting.InputError
			if !errors.As(err, &ie) || ie.Field != c.field {
				t.Errorf("error %q: want *setting.InputError naming %q", err, c.field)
			}
		})
	}
}
