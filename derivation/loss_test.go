package derivation

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ALTree/bigfloat"

	"nccheck/setting"
)

func mustLoss(text string) setting.Loss {
	l, err := setting.ParseLoss(text)
	if err != nil {
		panic(err)
	}
	return l
}

// testLosses are the losses a Setting can carry, with label smoothing at
// three smoothings (a = 0 is cross-entropy's objective under another name).
var testLosses = []string{"ce", "ls:0", "ls:0.1", "ls:0.3", "mse"}

// lossByDefinition evaluates l(z; y) straight from its definition in
// theory.md sections 1 and 12 at prec bits, with no care for cancellation:
// lse(z) - t_y . z for the softmax losses (t_y = e_y for ce, (1 - a) e_y +
// (a/K) 1 for ls:a) and ||z - e_y||^2 / 2 for mse.
func lossByDefinition(l setting.Loss, z []*big.Float, y int, prec uint) *big.Float {
	k := len(z)
	f := func() *big.Float { return new(big.Float).SetPrec(prec) }
	if l.Kind() == setting.SquaredError {
		sum := f()
		for j, v := range z {
			d := f().Set(v)
			if j == y {
				d.Sub(d, big.NewFloat(1))
			}
			sum.Add(sum, d.Mul(d, d))
		}
		return sum.Quo(sum, big.NewFloat(2))
	}
	sum := f()
	for _, v := range z {
		sum.Add(sum, bigfloat.Exp(f().Set(v)))
	}
	lse := bigfloat.Log(sum)
	a := l.Smoothing().Float(prec)
	aK := f().Quo(a, f().SetInt64(int64(k)))
	tz := f()
	for j, v := range z {
		t := f().Set(aK)
		if j == y {
			t.Add(t, f().Sub(big.NewFloat(1), a))
		}
		tz.Add(tz, t.Mul(t, v))
	}
	return lse.Sub(lse, tz)
}

// randomLogits returns K logits of size about scale, at prec bits.
func randomLogits(rng *rand.Rand, k int, scale float64, prec uint) []*big.Float {
	z := make([]*big.Float, k)
	for j := range z {
		z[j] = new(big.Float).SetPrec(prec).SetFloat64(scale * rng.NormFloat64())
	}
	return z
}

// TestLossDerivatives checks each loss at random logits: its value against
// the definition (at 600 bits, rounded to 512), its gradient against central
// differences of the value, and its curvature against central differences of
// the gradient, all at 512 bits with step 1e-40 (truncation error ~1e-80,
// rounding error ~1e-114, far below the 1e-60 tolerance).
func TestLossDerivatives(t *testing.T) {
	const prec = 512
	tol := new(big.Float).SetFloat64(1e-60)
	step := new(big.Float).SetPrec(prec).SetFloat64(1e-40)
	twoStep := new(big.Float).SetPrec(prec).Mul(step, big.NewFloat(2))
	for _, name := range testLosses {
		for _, scale := range []float64{0.5, 4, 30} {
			rng := rand.New(rand.NewPCG(21, uint64(scale*10)))
			const k = 5
			loss, err := newSampleLoss(mustLoss(name), k, prec)
			if err != nil {
				t.Fatal(err)
			}
			z := randomLogits(rng, k, scale, prec)
			y := rng.IntN(k)
			val, grad := loss.value(z, y)
			curv := loss.curvature(z, y)
			off := func(what string, got, want *big.Float) {
				d := new(big.Float).Sub(got, want)
				if d.Abs(d).Cmp(tol) > 0 {
					t.Errorf("%s scale %g: %s %s, want %s (off by %s)", name, scale, what, got.Text('g', 20), want.Text('g', 20), d.Text('g', 5))
				}
			}
			def := lossByDefinition(mustLoss(name), z, y, prec+88)
			off("value against the definition", val, def)
			for j := 0; j < k; j++ {
				orig := new(big.Float).Copy(z[j])
				z[j].Add(orig, step)
				vp, gp := loss.value(z, y)
				z[j].Sub(orig, step)
				vm, gm := loss.value(z, y)
				z[j].Set(orig)
				fd := new(big.Float).SetPrec(prec).Sub(vp, vm)
				off("gradient", grad[j], fd.Quo(fd, twoStep))
				for l := 0; l < k; l++ {
					fd := new(big.Float).SetPrec(prec).Sub(gp[l], gm[l])
					off("curvature", curv[l][j], fd.Quo(fd, twoStep))
				}
			}
		}
	}
}

// TestLossCrossEntropyUnchanged: cross-entropy's value and gradient are the
// rounded values of crossEntropy (the function Evaluate used before the loss
// abstraction), bit for bit, and ls:0 agrees with them to the last bits.
func TestLossCrossEntropyUnchanged(t *testing.T) {
	const prec = 256
	rng := rand.New(rand.NewPCG(23, 24))
	ce, _ := newSampleLoss(setting.CE(), 4, prec)
	ls0, _ := newSampleLoss(mustLoss("ls:0"), 4, prec)
	for trial := 0; trial < 20; trial++ {
		z := randomLogits(rng, 4, 10, prec)
		y := trial % 4
		p, c, want := crossEntropy(z, y, prec)
		v, g := ce.value(z, y)
		if v.Cmp(want) != 0 {
			t.Errorf("value %s, crossEntropy %s", v.Text('g', 30), want.Text('g', 30))
		}
		for j := range g {
			w := p[j]
			if j == y {
				w = new(big.Float).Neg(c)
			}
			if g[j].Cmp(w) != 0 {
				t.Errorf("gradient %d: %s, want %s", j, g[j].Text('g', 30), w.Text('g', 30))
			}
		}
		v0, g0 := ls0.value(z, y)
		ulp := new(big.Float).SetMantExp(big.NewFloat(1), -prec+2)
		for j := range g {
			d := new(big.Float).Sub(g0[j], g[j])
			if d.Abs(d).Cmp(ulp) > 0 {
				t.Errorf("ls:0 gradient %d differs from ce by %s", j, d.Text('g', 5))
			}
		}
		d := new(big.Float).Sub(v0, v)
		if d.Abs(d).Cmp(new(big.Float).Mul(ulp, new(big.Float).Add(v, big.NewFloat(1)))) > 0 {
			t.Errorf("ls:0 value differs from ce by %s", d.Text('g', 5))
		}
	}
}

// TestLossCurvatureNoCancellation: at logits where one class (right or
// wrong) has probability within 1e-300 of 1, the softmax curvature's
// diagonal p_j (1 - p_j) keeps its relative precision.
func TestLossCurvatureNoCancellation(t *testing.T) {
	const prec = 64
	z := []*big.Float{big.NewFloat(0), big.NewFloat(-700), big.NewFloat(-700)}
	for _, y := range []int{0, 1} {
		loss, _ := newSampleLoss(setting.CE(), 3, prec)
		s := loss.curvature(z, y)
		// p_0 (1 - p_0) = 2 e^-700 / (1 + 2 e^-700)^2 to 64 bits.
		e := bigfloat.Exp(new(big.Float).SetPrec(200).SetInt64(-700))
		den := new(big.Float).SetPrec(200).Add(big.NewFloat(1), new(big.Float).Mul(e, big.NewFloat(2)))
		want := new(big.Float).SetPrec(200).Mul(e, big.NewFloat(2))
		want.Quo(want, den).Quo(want, den)
		rel := new(big.Float).Sub(s[0][0], want)
		rel.Quo(rel.Abs(rel), want)
		if rel.Cmp(big.NewFloat(1e-17)) > 0 {
			t.Errorf("y=%d: S_00 = %s, want %s (relative error %s)", y, s[0][0].Text('g', 20), want.Text('g', 20), rel.Text('g', 3))
		}
	}
}
