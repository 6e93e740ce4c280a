package closedform

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/internal/bigmath"
	"nccheck/setting"
)

func biasSetting(counts []int, d int, lw, lh, lb string) setting.Setting {
	return setting.Setting{Counts: counts, Dim: d, LambdaW: setting.MustDecimal(lw), LambdaH: setting.MustDecimal(lh),
		Bias: true, LambdaB: setting.MustDecimal(lb)}
}

func biasFree(s setting.Setting) setting.Setting {
	c := s.Clone()
	c.Bias, c.LambdaB = false, setting.Decimal{}
	return c
}

func absDiff(a, b *big.Float) *big.Float {
	d := new(big.Float).Sub(a, b)
	return d.Abs(d)
}

var tiny = new(big.Float).SetFloat64(1e-70)

// TestPredictBiasBalanced: with equal counts the solution is symmetric under
// permutations of the classes, so b* is a multiple of the all-ones vector,
// hence 0 (b* sums to 0), and the reduced problem is the bias-free one: the
// logits, margins and feature norms are the closed form's.
func TestPredictBiasBalanced(t *testing.T) {
	for _, s := range []setting.Setting{
		biasSetting([]int{10, 10, 10}, 3, "1e-2", "1e-2", "1e-3"),
		biasSetting([]int{5, 5, 5, 5, 5}, 7, "3e-3", "1e-2", "2"),
		biasSetting([]int{2, 2}, 2, "1", "1", "1"), // global collapse
	} {
		t.Run(s.String(), func(t *testing.T) {
			p, err := BiasOrthogonal{}.Predict(s, 256)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Auto{}.Predict(biasFree(s), 256)
			if err != nil {
				t.Fatal(err)
			}
			for j, b := range p.Bias {
				if new(big.Float).Abs(b).Cmp(tiny) > 0 {
					t.Errorf("b_%d = %s, want 0", j+1, b.Text('g', 5))
				}
			}
			if absDiff(p.Objective, q.Objective).Cmp(tiny) > 0 {
				t.Errorf("objective %s, bias-free closed form %s", p.Objective.Text('g', 30), q.Objective.Text('g', 30))
			}
			kf := new(big.Float).SetInt64(int64(p.K()))
			for k, c := range p.Classes {
				qc := q.Classes[k]
				if c.Alive != qc.Alive {
					t.Fatalf("class %d alive %t, closed form %t", k+1, c.Alive, qc.Alive)
				}
				if absDiff(c.FeatureNormSq, qc.FeatureNormSq).Cmp(tiny) > 0 {
					t.Errorf("class %d: rho %s, closed form %s", k+1, c.FeatureNormSq.Text('g', 20), qc.FeatureNormSq.Text('g', 20))
				}
				for j, y := range p.Reduced.Classes[k].Logits {
					// y_k = M_k (e_k - 1/K)
					want := new(big.Float).Quo(qc.Margin, kf)
					want.Neg(want)
					if j == k {
						want.Add(want, qc.Margin)
					}
					if absDiff(y, want).Cmp(tiny) > 0 {
						t.Errorf("class %d: y_%d = %s, closed form %s", k+1, j+1, y.Text('g', 20), want.Text('g', 20))
					}
				}
				if c.Alive && absDiff(c.Margin, qc.Margin).Cmp(tiny) > 0 {
					t.Errorf("class %d: margin %s, closed form %s", k+1, c.Margin.Text('g', 20), qc.Margin.Text('g', 20))
				}
			}
		})
	}
}

// TestPredictBiasOptimality checks the solution of imbalanced settings
// against properties that do not depend on the solver: the reduced
// optimality residual is at 2^-Prec; the solution at 256 and 512 bits agree
// to 2^-256; b* sums to 0; alive classes have subgradient ratio 1 and
// collapsed ones at most 1; the objective is at or below the bias-free
// optimum (b = 0 is feasible), strictly below when b* != 0; and rho_k,
// a_k satisfy the optimal split t_k a_k = y_k, lambda_W ||a_k||^2 = lambda_H n_k rho_k.
func TestPredictBiasOptimality(t *testing.T) {
	tests := []struct {
		s         setting.Setting
		collapsed []int // 1-based classes with y_k = 0
	}{
		{biasSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3", "5e-3"), nil},
		// n_4 collapses without the bias, not with it.
		{biasSetting([]int{100, 50, 10, 2}, 6, "1e-2", "1e-2", "1e-2"), nil},
		// A large bias penalty keeps the bias-free collapse of n_3, n_4.
		{biasSetting([]int{100, 50, 10, 1}, 5, "2e-2", "2e-2", "10"), []int{3, 4}},
		// A cheap bias makes the majority class collapse: its samples are
		// classified by b alone (no class collapses without the bias).
		{biasSetting([]int{30, 3, 3}, 3, "1e-2", "4e-2", "1e-4"), []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.s.String(), func(t *testing.T) {
			p, err := BiasOrthogonal{}.Predict(tc.s, 256)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := BiasOrthogonal{}.Predict(tc.s, 512)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("objective %s, residual %s, prox %d, newton %d", p.Objective.Text('g', 20), p.Reduced.Residual.Text('g', 3), p.Reduced.ProxIterations, p.Reduced.NewtonIterations)
			var collapsed []int
			for k, c := range p.Classes {
				if !c.Alive {
					collapsed = append(collapsed, k+1)
				}
			}
			if fmt.Sprint(collapsed) != fmt.Sprint(tc.collapsed) {
				t.Errorf("collapsed classes %v, want %v", collapsed, tc.collapsed)
			}
			if p.Reduced.Residual.Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -250)) > 0 {
				t.Errorf("residual %s above 2^-250", p.Reduced.Residual.Text('g', 5))
			}
			if p2.Reduced.Residual.Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -500)) > 0 {
				t.Errorf("512 bits: residual %s above 2^-500", p2.Reduced.Residual.Text('g', 5))
			}
			if absDiff(p.Objective, p2.Objective).Cmp(tiny) > 0 {
				t.Errorf("objective at 256 bits %s, at 512 bits %s", p.Objective.Text('g', 30), p2.Objective.Text('g', 30))
			}
			sum := new(big.Float)
			for j, b := range p.Bias {
				sum.Add(sum, b)
				if absDiff(b, p2.Bias[j]).Cmp(tiny) > 0 {
					t.Errorf("b_%d at 256 bits %s, at 512 bits %s", j+1, b.Text('g', 30), p2.Bias[j].Text('g', 30))
				}
			}
			if sum.Abs(sum).Cmp(tiny) > 0 {
				t.Errorf("b* sums to %s, want 0", sum.Text('g', 5))
			}
			q, err := Auto{}.Predict(biasFree(tc.s), 256)
			if err != nil {
				t.Fatal(err)
			}
			if p.Objective.Cmp(q.Objective) >= 0 {
				t.Errorf("objective %s not below the bias-free optimum %s", p.Objective.Text('g', 20), q.Objective.Text('g', 20))
			}
			one := big.NewFloat(1)
			lw, lh := tc.s.LambdaW.Float(256), tc.s.LambdaH.Float(256)
			for k, c := range p.Classes {
				rc := p.Reduced.Classes[k]
				if c.Alive {
					if absDiff(rc.SubgradientRatio, one).Cmp(tiny) > 0 {
						t.Errorf("class %d alive with subgradient ratio %s, want 1", k+1, rc.SubgradientRatio.Text('g', 20))
					}
					tk := new(big.Float).Sqrt(c.FeatureNormSq)
					an := new(big.Float)
					for j, a := range rc.Classifier {
						if absDiff(new(big.Float).Mul(tk, a), rc.Logits[j]).Cmp(tiny) > 0 {
							t.Errorf("class %d: t_k a_k != y_k at %d", k+1, j+1)
						}
						an.Add(an, new(big.Float).Mul(a, a))
					}
					l := new(big.Float).Mul(lw, an)
					r := new(big.Float).Mul(lh, c.FeatureNormSq)
					r.Mul(r, new(big.Float).SetInt64(int64(c.N)))
					if absDiff(l, r).Cmp(new(big.Float).SetFloat64(1e-68)) > 0 {
						t.Errorf("class %d: split not balanced: lambda_W ||a||^2 = %s, lambda_H n rho = %s", k+1, l.Text('g', 20), r.Text('g', 20))
					}
				} else {
					if rc.SubgradientRatio.Cmp(one) > 0 {
						t.Errorf("collapsed class %d has subgradient ratio %s > 1", k+1, rc.SubgradientRatio.Text('g', 20))
					}
					if rc.LogitNorm.Sign() != 0 || rc.Classifier != nil {
						t.Errorf("collapsed class %d has nonzero logits or a classifier", k+1)
					}
				}
			}
			m, err := p.Minimizer()
			if err != nil {
				t.Fatal(err)
			}
			if r, c := m.HDense().Dims(); r != tc.s.Dim || c != tc.s.N() {
				t.Errorf("H is %dx%d", r, c)
			}
			if len(m.BDense()) != p.K() {
				t.Errorf("b has length %d", len(m.BDense()))
			}
			// W h_k = y_k for every class.
			for k := range p.Classes {
				logits := p.Reduced.Classes[k].Logits
				for j := 0; j < p.K(); j++ {
					z := new(big.Float)
					for i := 0; i < tc.s.Dim; i++ {
						z.Add(z, new(big.Float).Mul(m.W[j][i], m.Means[i][k]))
					}
					if absDiff(z, logits[j]).Cmp(tiny) > 0 {
						t.Errorf("(W h_%d)_%d = %s, y = %s", k+1, j+1, z.Text('g', 20), logits[j].Text('g', 20))
					}
				}
			}
		})
	}
}

// TestPredictBiasLargePenalty: as lambda_b grows, b* -> 0 like 1/lambda_b
// and the margins approach the bias-free closed form.
func TestPredictBiasLargePenalty(t *testing.T) {
	s := biasSetting([]int{40, 20, 10, 5}, 4, "5e-3", "5e-3", "1e6")
	p, err := BiasOrthogonal{}.Predict(s, 128)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Auto{}.Predict(biasFree(s), 128)
	if err != nil {
		t.Fatal(err)
	}
	for k := range p.Classes {
		b, _ := p.Bias[k].Float64()
		if math.Abs(b) > 1e-5 {
			t.Errorf("b_%d = %g, want O(1/lambda_b)", k+1, b)
		}
		m, _ := p.Classes[k].Margin.Float64()
		mq, _ := q.Classes[k].Margin.Float64()
		if math.Abs(m-mq) > 1e-4 {
			t.Errorf("class %d: margin %g, bias-free %g", k+1, m, mq)
		}
	}
}

// TestBiasActiveSetCorrection starts the Newton stage from wrong sets of
// collapsed classes (all collapsed; all alive with a small random y for the
// collapsed ones) and checks that it reaches the same solution as the
// proximal start.
func TestBiasActiveSetCorrection(t *testing.T) {
	s := biasSetting([]int{100, 50, 10, 1}, 5, "2e-2", "2e-2", "10")
	const prec = 256
	want, err := BiasOrthogonal{}.Predict(s, prec)
	if err != nil {
		t.Fatal(err)
	}
	if want.AliveCount() == 0 || want.AliveCount() == want.K() {
		t.Fatalf("test setting needs both alive and collapsed classes, has %d alive", want.AliveCount())
	}
	k := s.K()
	starts := map[string]func(r *reduced) ([][]*big.Float, []*big.Float){
		"all collapsed": func(r *reduced) ([][]*big.Float, []*big.Float) {
			ys := make([][]*big.Float, k)
			for c := range ys {
				ys[c] = make([]*big.Float, k)
				for j := range ys[c] {
					ys[c][j] = r.newF()
				}
			}
			b := make([]*big.Float, k)
			for j := range b {
				b[j] = r.newF()
			}
			return ys, b
		},
		"all alive": func(r *reduced) ([][]*big.Float, []*big.Float) {
			ys, b, _ := r.proxStart()
			for c := range ys {
				if r.norm(ys[c]).Sign() == 0 {
					for j := range ys[c] {
						ys[c][j].SetFloat64(0.01 * float64((j+c)%3-1))
					}
				}
			}
			return ys, b
		},
	}
	for name, start := range starts {
		t.Run(name, func(t *testing.T) {
			r := newReduced(s, prec+GuardBits)
			ys, b := start(r)
			got, err := r.solve(ys, b, prec)
			if err != nil {
				t.Fatal(err)
			}
			if absDiff(got.Objective, want.Objective).Cmp(tiny) > 0 {
				t.Errorf("objective %s, want %s", got.Objective.Text('g', 30), want.Objective.Text('g', 30))
			}
			for c := range got.Classes {
				if got.Classes[c].Alive != want.Classes[c].Alive {
					t.Errorf("class %d alive %t, want %t", c+1, got.Classes[c].Alive, want.Classes[c].Alive)
				}
			}
			for j := range got.Bias {
				if absDiff(got.Bias[j], want.Bias[j]).Cmp(tiny) > 0 {
					t.Errorf("b_%d = %s, want %s", j+1, got.Bias[j].Text('g', 20), want.Bias[j].Text('g', 20))
				}
			}
		})
	}
}

func TestPredictBiasRejects(t *testing.T) {
	good := biasSetting([]int{40, 20, 10, 5}, 8, "5e-3", "5e-3", "5e-3")
	tests := []struct {
		name  string
		s     setting.Setting
		prec  uint
		field string
	}{
		{"no bias", biasFree(good), 0, setting.FieldBias},
		{"mse", func() setting.Setting { s := good.Clone(); s.Loss = setting.MSE(); return s }(), 0, setting.FieldLoss},
		{"prec", good, 10, "Prec"},
		{"d below alive", biasSetting([]int{40, 20, 10, 5}, 2, "5e-3", "5e-3", "5e-3"), 0, setting.FieldDim},
		{"no relu", func() setting.Setting { s := good.Clone(); s.NoReLU = true; return s }(), 0, setting.FieldNoReLU},
		{"unregularised bias", biasSetting([]int{4, 4}, 2, "1", "1", "0"), 0, setting.FieldLambdaB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BiasOrthogonal{}.Predict(tc.s, tc.prec)
			var ie *setting.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an *InputError", err)
			}
			if ie.Field != tc.field {
				t.Errorf("error names %s, want %s", ie.Field, tc.field)
			}
		})
	}
}

// TestSoftmaxCETinyComplement: with a correct-class probability within
// e^-800 of 1, CE and 1 - p_y are ~2 e^-800; both must keep their full
// relative precision (a subtraction from 1 would give 0).
func TestSoftmaxCETinyComplement(t *testing.T) {
	const prec = 256
	f := func(v int64) *big.Float { return new(big.Float).SetPrec(prec).SetInt64(v) }
	tests := []struct {
		name string
		z    []*big.Float
		y    int
	}{
		{"correct class largest", []*big.Float{f(800), f(0), f(0)}, 0},
		{"correct class last", []*big.Float{f(-3), f(-3), f(797)}, 2},
	}
	// want = 2 e^-800 / (1 + 2 e^-800) for comp, log(1 + 2 e^-800) for CE,
	// from 1024-bit arithmetic.
	e := new(big.Float).SetPrec(1024).SetInt64(-800)
	e = bigfloatExp(e)
	e.Mul(e, big.NewFloat(2))
	one := new(big.Float).SetPrec(1024).SetInt64(1)
	den := new(big.Float).SetPrec(1024).Add(one, e)
	wantComp := new(big.Float).SetPrec(1024).Quo(e, den)
	wantCE := bigmath.Log1p(e, 1024)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, comp, ce := softmaxCE(tc.z, tc.y, prec)
			for _, c := range []struct {
				name      string
				got, want *big.Float
			}{{"1 - p_y", comp, wantComp}, {"CE", ce, wantCE}} {
				rel := new(big.Float).Sub(c.got, c.want)
				rel.Quo(rel, c.want)
				if rel.Abs(rel).Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)+4)) > 0 {
					t.Errorf("%s = %s, want %s (relative error %s)", c.name, c.got.Text('g', 20), c.want.Text('g', 20), rel.Text('g', 3))
				}
			}
		})
	}
}

func bigfloatExp(x *big.Float) *big.Float { return bigfloat.Exp(x) }
