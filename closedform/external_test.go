package closedform_test

// A theory written outside package closedform, with the exported
// constructors only: the UFM+ theorem of theory.md section 2 for balanced
// counts (every class has the same margin M = log((K-1)(1/(c beta) - 1))),
// computed here from its formulas, independently of closedform's code. It
// checks that the seam is open (a complete Prediction, point included, can be
// built from outside and passes Validate) and that Validate rejects broken
// predictions with an error naming what is wrong.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ALTree/bigfloat"
	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// balancedTheory predicts section 2 for balanced counts; break_ names a
// defect to build into the prediction ("" for none).
type balancedTheory struct{ break_ string }

func (balancedTheory) Name() string { return "balanced-mine" }

func (b balancedTheory) Predict(s setting.Setting, prec uint) (*closedform.Prediction, error) {
	if !closedform.Balanced(s.Counts) || s.Bias || s.NoReLU || !s.Loss.IsCE() || s.Dim < s.K() {
		return nil, &closedform.ScopeError{Theory: b.Name(), Field: setting.FieldCounts, Short: "not balanced UFM+", Alive: -1,
			Reason: "needs balanced counts, no bias, ReLU features, cross-entropy and d >= K"}
	}
	wp := prec + 64
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	k, n, nk := s.K(), s.N(), s.Counts[0]
	kf, nkf := nf().SetInt64(int64(k)), nf().SetInt64(int64(nk))
	lw, lh := s.LambdaW.Float(wp), s.LambdaH.Float(wp)
	// c beta = N sqrt((K-1) lW lH / (K n)); M = log((K-1)(1/(c beta) - 1)).
	cbeta := nf().Mul(lw, lh)
	cbeta.Mul(cbeta, nf().SetInt64(int64(k-1)))
	cbeta.Quo(cbeta, nf().Mul(kf, nkf))
	cbeta.Sqrt(cbeta)
	cbeta.Mul(cbeta, nf().SetInt64(int64(n)))
	arg := nf().Quo(nf().SetInt64(1), cbeta)
	arg.Sub(arg, nf().SetInt64(1))
	arg.Mul(arg, nf().SetInt64(int64(k-1)))
	if arg.Cmp(nf().SetInt64(1)) <= 0 {
		return nil, errors.New("balanced-mine: collapsed settings are not handled")
	}
	m := bigfloat.Log(arg)
	// rho = M sqrt((K-1) lW / (K lH n)), gamma = M^2 / rho.
	rho := nf().Mul(lw, nf().SetInt64(int64(k-1)))
	rho.Quo(rho, nf().Mul(nf().Mul(kf, lh), nkf))
	rho.Sqrt(rho)
	rho.Mul(rho, m)
	gamma := nf().Quo(nf().Mul(m, m), rho)
	// f* = log(1 + (K-1) e^-M) + c beta M.
	obj := bigfloat.Exp(nf().Neg(m))
	obj.Mul(obj, nf().SetInt64(int64(k-1)))
	obj.Add(obj, nf().SetInt64(1))
	obj = bigfloat.Log(obj)
	obj.Add(obj, nf().Mul(cbeta, m))

	centred := func(v *big.Float) [][]*big.Float { // v (I - J/K), or (I - J/K) diag(v) (I - J/K) for equal v
		rows := make([][]*big.Float, k)
		for i := range rows {
			rows[i] = make([]*big.Float, k)
			for j := range rows[i] {
				x := nf().Quo(v, kf)
				x.Neg(x)
				if i == j {
					x.Add(x, v)
				}
				rows[i][j] = x
			}
		}
		return rows
	}
	diag := func(v *big.Float) [][]*big.Float {
		rows := make([][]*big.Float, k)
		for i := range rows {
			rows[i] = make([]*big.Float, k)
			for j := range rows[i] {
				rows[i][j] = nf()
				if i == j {
					rows[i][j].Set(v)
				}
			}
		}
		return rows
	}
	p := closedform.NewPrediction(b.Name(), s, prec)
	out := func(x *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Set(x) }
	p.Objective = out(obj)
	for i := range p.Classes {
		p.Classes[i].Alive = true
		p.Classes[i].Margin = out(m)
		p.Classes[i].FeatureNormSq = out(rho)
		p.Classes[i].Gamma = out(gamma)
	}
	var err error
	if p.WH, err = closedform.NewMatrix(centred(m)); err != nil {
		return nil, err
	}
	if p.WWT, err = closedform.NewMatrix(centred(gamma)); err != nil { // (I - J/K) gamma I (I - J/K) = gamma (I - J/K)
		return nil, err
	}
	if p.HTH, err = closedform.NewMatrix(diag(rho)); err != nil {
		return nil, err
	}
	p.ClassifierRule = closedform.PaperClassifierRule(s.Counts)

	// The point: h_k = sqrt(rho) e_k; W's column k = (gamma / M) sqrt(rho) (e_k - 1/K)
	// (sW = gamma / M, so W h_k = sW rho (e_k - 1/K) = M (e_k - 1/K)).
	sr := nf().Sqrt(rho)
	col := nf().Mul(nf().Quo(gamma, m), sr)
	w := make([][]*big.Float, k)
	means := make([][]*big.Float, s.Dim)
	for j := range w {
		w[j] = make([]*big.Float, s.Dim)
		for i := range w[j] {
			w[j][i] = nf()
			if i < k {
				w[j][i].Quo(col, kf)
				w[j][i].Neg(w[j][i])
				if i == j {
					w[j][i].Add(w[j][i], col)
				}
			}
		}
	}
	for i := range means {
		means[i] = make([]*big.Float, k)
		for c := range means[i] {
			means[i][c] = nf()
			if i == c {
				means[i][c].Set(sr)
			}
		}
	}
	b.damage(p, w, means)
	pt, err := closedform.NewMinimizer(s, prec, w, means, nil)
	if err != nil {
		return nil, err
	}
	p.SetMinimizer(pt)
	return p, nil
}

// damage builds the named defect into a prediction and its point.
func (b balancedTheory) damage(p *closedform.Prediction, w, means [][]*big.Float) {
	switch b.break_ {
	case "panic":
		panic("balanced-mine: a bug")
	case "infinite objective":
		p.Objective.SetInf(false)
	case "shape":
		p.HTH, _ = closedform.NewMatrix([][]*big.Float{{big.NewFloat(1)}})
	case "missing matrix":
		p.WWT = nil
	case "nan rule":
		p.ClassifierRule = mat.NewDense(p.K(), p.K(), nil)
		p.ClassifierRule.Set(0, 1, math.NaN())
	case "alive":
		p.Classes[1].Alive = false
	case "objective":
		p.Objective.Mul(p.Objective, onePlus(90))
	case "point":
		w[0][0].Mul(w[0][0], onePlus(90))
	case "negative feature":
		means[0][0].Neg(means[0][0])
	case "mean cos":
		p.MeanCos = 2
	}
}

// onePlus returns 1 + 2^-e at e+8 bits.
func onePlus(e int) *big.Float {
	x := new(big.Float).SetMantExp(big.NewFloat(1), -e) // precision 53, exact
	return new(big.Float).SetPrec(uint(e)+8).Add(x, big.NewFloat(1))
}

func balancedSetting(k, n, d int, lw, lh string) setting.Setting {
	counts := make([]int, k)
	for i := range counts {
		counts[i] = n
	}
	return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh)}
}

// TestExternalTheory: the theory written here builds a complete prediction
// that passes Validate and equals closedform's own section-2 prediction to
// 2^-prec.
func TestExternalTheory(t *testing.T) {
	for _, s := range []setting.Setting{
		balancedSetting(4, 500, 4, "1e-4", "1e-5"),
		balancedSetting(3, 20, 5, "1e-2", "3e-2"),
		balancedSetting(10, 300, 12, "1e-4", "1e-5"),
	} {
		for _, prec := range []uint{64, 256} {
			t.Run(fmt.Sprintf("%s/%d", s, prec), func(t *testing.T) {
				mine, err := balancedTheory{}.Predict(s, prec)
				if err != nil {
					t.Fatal(err)
				}
				if err := mine.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				ref, err := closedform.Paper{}.Predict(s, prec)
				if err != nil {
					t.Fatal(err)
				}
				tol := math.Ldexp(1, -int(prec)+4)
				agree := func(name string, a, b *big.Float) {
					d := new(big.Float).Sub(a, b)
					scale := math.Max(1, math.Abs(f64(b)))
					if math.Abs(f64(d)) > tol*scale {
						t.Errorf("%s: mine %s, closedform %s", name, a.Text('g', 25), b.Text('g', 25))
					}
				}
				agree("objective", mine.Objective, ref.Objective)
				for i := 0; i < s.K(); i++ {
					agree("margin", mine.Classes[i].Margin, ref.Classes[i].Margin)
					for j := 0; j < s.K(); j++ {
						agree("WH", mine.WH.At(i, j), ref.WH.At(i, j))
						agree("WWT", mine.WWT.At(i, j), ref.WWT.At(i, j))
						agree("HTH", mine.HTH.At(i, j), ref.HTH.At(i, j))
					}
				}
			})
		}
	}
}

func f64(x *big.Float) float64 { v, _ := x.Float64(); return v }

// TestValidateRejects: every defect is an error wrapping
// ErrInvalidPrediction that names the field (a panic stays a panic: package
// verify recovers it).
func TestValidateRejects(t *testing.T) {
	s := balancedSetting(4, 50, 4, "5e-3", "5e-3")
	tests := []struct {
		defect, want string
		nonFinite    bool
	}{
		{"infinite objective", "Objective is +Inf", true},
		{"shape", "HTH is 1 x 1, want 4 x 4", false},
		{"missing matrix", "WWT is missing", false},
		{"nan rule", "ClassifierRule has a non-finite entry", true},
		{"alive", "class 2: Alive = false", false},
		{"objective", "the objective at the point is", false},
		{"point", "WH(1,1) at the point is", false},
		{"negative feature", "class mean 1 has a negative coordinate 1", false},
		{"mean cos", "MeanCos = 2 is not a cosine", true},
	}
	for _, tc := range tests {
		t.Run(tc.defect, func(t *testing.T) {
			p, err := balancedTheory{break_: tc.defect}.Predict(s, 128)
			if err != nil {
				t.Fatal(err)
			}
			err = p.Validate()
			if !errors.Is(err, closedform.ErrInvalidPrediction) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an invalid prediction naming %q", err, tc.want)
			}
			if errors.Is(err, setting.ErrNonFinite) != tc.nonFinite {
				t.Errorf("errors.Is(err, setting.ErrNonFinite) = %t, want %t", !tc.nonFinite, tc.nonFinite)
			}
			if !strings.HasPrefix(err.Error(), "closedform: balanced-mine prediction: invalid prediction: ") {
				t.Errorf("message %q does not name the theory", err)
			}
		})
	}
}

// TestConstructorsReject: NewMatrix and NewMinimizer refuse what is not a
// matrix or a point of the setting.
func TestConstructorsReject(t *testing.T) {
	one := big.NewFloat(1)
	inf := new(big.Float).SetInf(true)
	for _, tc := range []struct {
		name string
		rows [][]*big.Float
		want string
	}{
		{"empty", nil, "at least one row"},
		{"ragged", [][]*big.Float{{one, one}, {one}}, "row 2 has 1 entries, want 2"},
		{"not square", [][]*big.Float{{one, one}}, "row 1 has 2 entries, want 1"},
		{"nil entry", [][]*big.Float{{one, nil}, {one, one}}, "matrix(1,2) is missing"},
		{"infinite", [][]*big.Float{{one, one}, {inf, one}}, "matrix(2,1) is -Inf"},
	} {
		if _, err := closedform.NewMatrix(tc.rows); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewMatrix %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	s := balancedSetting(2, 3, 2, "0.1", "0.1")
	sq := [][]*big.Float{{one, one}, {one, one}}
	for _, tc := range []struct {
		name     string
		w, means [][]*big.Float
		b        []*big.Float
		want     string
	}{
		{"W rows", sq[:1], sq, nil, "W has 1 rows, want 2"},
		{"means", sq, [][]*big.Float{{one, one}, {one}}, nil, "class means row 2 has 1 entries"},
		{"bias length", sq, sq, []*big.Float{one}, "b has length 1, want K = 2"},
		{"bias infinite", sq, sq, []*big.Float{one, inf}, "b(1,2) is -Inf"},
	} {
		if _, err := closedform.NewMinimizer(s, 64, tc.w, tc.means, tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewMinimizer %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := closedform.NewMinimizer(s, 10, sq, sq, nil); err == nil || !strings.Contains(err.Error(), "Prec") {
		t.Errorf("NewMinimizer at 10 bits: %v", err)
	}
}
