package verify_test

// Theories written outside closedform through verify.Run: one rebuilt from
// the exported constructors (it agrees), and broken ones (a panic, a NaN,
// wrong shapes, an infinite objective, an inconsistent point, no
// prediction, another setting's prediction), each of which fails its own
// row with verdict error and a reason while the run goes on.

import (
	"context"
	"math"
	"math/big"
	"strings"
	"testing"

	"nccheck/closedform"
	"nccheck/setting"
	"nccheck/verify"
)

// rebuilt predicts with closedform.Paper and copies the prediction into a
// new one through the exported constructors only.
type rebuilt struct{}

func (rebuilt) Name() string { return "rebuilt" }

func (rebuilt) Predict(s setting.Setting, prec uint) (*closedform.Prediction, error) {
	ref, err := closedform.Paper{}.Predict(s, prec)
	if err != nil {
		return nil, err
	}
	p := closedform.NewPrediction("rebuilt", s, prec)
	p.Objective = ref.Objective
	copy(p.Classes, ref.Classes)
	p.ClassifierRule = ref.ClassifierRule
	rows := func(m *closedform.Matrix) [][]*big.Float {
		k, _ := m.Dims()
		out := make([][]*big.Float, k)
		for i := range out {
			out[i] = make([]*big.Float, k)
			for j := range out[i] {
				out[i][j] = m.At(i, j)
			}
		}
		return out
	}
	for _, m := range []struct {
		dst **closedform.Matrix
		src *closedform.Matrix
	}{{&p.WH, ref.WH}, {&p.WWT, ref.WWT}, {&p.HTH, ref.HTH}} {
		if *m.dst, err = closedform.NewMatrix(rows(m.src)); err != nil {
			return nil, err
		}
	}
	pt, err := ref.Minimizer()
	if err != nil {
		return nil, err
	}
	mine, err := closedform.NewMinimizer(s, prec, pt.W, pt.Means, nil)
	if err != nil {
		return nil, err
	}
	p.SetMinimizer(mine)
	return p, nil
}

// broken is rebuilt with one defect.
type broken struct{ defect string }

func (b broken) Name() string { return "broken-" + b.defect }

func (b broken) Predict(s setting.Setting, prec uint) (*closedform.Prediction, error) {
	switch b.defect {
	case "panic":
		panic("a bug in the theory")
	case "nan":
		x := new(big.Float).SetFloat64(0)
		x.Quo(x, x) // 0/0: big.Float panics with ErrNaN
	case "nil":
		return nil, nil
	}
	p, err := rebuilt{}.Predict(s, prec)
	if err != nil {
		return nil, err
	}
	switch b.defect {
	case "shape":
		p.WH, _ = closedform.NewMatrix([][]*big.Float{{big.NewFloat(1)}})
	case "infinite":
		p.Objective = new(big.Float).SetInf(false)
	case "nan-rule":
		p.ClassifierRule.Set(0, 0, math.NaN())
	case "point":
		pt, _ := p.Minimizer()
		pt.W[0][0].Neg(pt.W[0][0])
		p.SetMinimizer(pt)
	case "setting":
		p.Setting.Dim++
	}
	return p, nil
}

func TestBrokenTheoriesFailTheirRows(t *testing.T) {
	s := setting.Setting{Counts: []int{40, 20}, Dim: 2, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	want := map[string]string{
		"broken-panic":    "theory broken-panic panicked: a bug in the theory",
		"broken-nan":      "theory broken-nan panicked",
		"broken-nil":      "returned no prediction and no error",
		"broken-shape":    "invalid prediction: WH is 1 x 1, want 2 x 2",
		"broken-infinite": "invalid prediction: Objective is +Inf",
		"broken-nan-rule": "invalid prediction: ClassifierRule has a non-finite entry",
		"broken-point":    "invalid prediction: explicit point: the objective at the point is",
		"broken-setting":  "predicted for n=(40,20) d=3",
	}
	theories := []closedform.Theory{closedform.Auto{}}
	for _, d := range []string{"panic", "nan", "nil", "shape", "infinite", "nan-rule", "point", "setting"} {
		theories = append(theories, broken{d})
	}
	theories = append(theories, rebuilt{})
	cases := []verify.Case{{Name: "a", Setting: s}, {Name: "b", Setting: s}}
	rows, err := verify.Run(context.Background(), cases, verify.Config{Theories: theories, ExactKKT: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cases)*len(theories) {
		t.Fatalf("%d rows, want %d", len(rows), len(cases)*len(theories))
	}
	for _, r := range rows {
		reason, isBroken := want[r.Theory]
		switch {
		case isBroken && (r.Verdict != verify.Failed || !strings.Contains(r.Error, reason)):
			t.Errorf("%s %s: verdict %s, error %q; want error containing %q", r.Name, r.Theory, r.Verdict, r.Error, reason)
		case !isBroken && r.Verdict != verify.Agree:
			t.Errorf("%s %s: verdict %s (%v %s), want agree", r.Name, r.Theory, r.Verdict, r.Failed, r.Error)
		case !isBroken && (r.ExactKKT == nil || r.PredictedObjective == nil):
			t.Errorf("%s %s: no exact KKT residual or objective", r.Name, r.Theory)
		}
	}
}

// TestDuplicateTheoryNames: rows are keyed by theory name, so a run with two
// theories of the same name is refused before any work.
func TestDuplicateTheoryNames(t *testing.T) {
	s := setting.Setting{Counts: []int{4, 2}, Dim: 2, LambdaW: setting.MustDecimal("5e-3"), LambdaH: setting.MustDecimal("5e-3")}
	_, err := verify.Run(context.Background(), []verify.Case{{Name: "a", Setting: s}},
		verify.Config{Theories: []closedform.Theory{closedform.Auto{}, closedform.Paper{}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"paper": names two theories`) {
		t.Errorf("err = %v", err)
	}
}
