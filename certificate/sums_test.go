package certificate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"nccheck/certificate"
	"nccheck/setting"
)

// randomLogits returns seeded logits (N x K, row-major) of the samples of
// classLabels(s.Counts).
func randomLogits(seed uint64, s setting.Setting) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	labels := classLabels(s.Counts)
	k := s.K()
	z := make([]float64, len(labels)*k)
	for i, y := range labels {
		for j := 0; j < k; j++ {
			z[i*k+j] = rng.NormFloat64()
		}
		z[i*k+y] += 2
	}
	return z, labels
}

// TestAddSums feeds an accumulator the class sums of the cross-entropy
// (softmax sums and losses computed here) and another the same samples'
// logits: the bounds agree to rounding.
func TestAddSums(t *testing.T) {
	for _, s := range []setting.Setting{
		{Counts: []int{30, 20, 10, 5}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("2e-3")},
		{Counts: []int{30, 20, 10, 5}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("2e-3"), Bias: true},
		{Counts: []int{8, 8, 8}, Dim: 2, LambdaW: dec("1e-2"), LambdaH: dec("1e-3"), NoReLU: true},
	} {
		z, labels := randomLogits(1, s)
		k := s.K()
		byLogits, err := certificate.NewAccumulator(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := byLogits.Add(z, labels); err != nil {
			t.Fatal(err)
		}
		want, err := byLogits.Bound()
		if err != nil {
			t.Fatal(err)
		}
		dir := make([]float64, k*k)
		loss := 0.0
		for i, y := range labels {
			row := z[i*k : (i+1)*k]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			sum := 0.0
			for _, v := range row {
				sum += math.Exp(v - m)
			}
			loss += m + math.Log(sum) - row[y]
			for j, v := range row {
				p := math.Exp(v-m) / sum
				if j != y {
					dir[y*k+j] -= p
					dir[y*k+y] += p
				}
			}
		}
		bySums, err := certificate.NewAccumulator(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := bySums.AddSums(s.Counts, dir, loss); err != nil {
			t.Fatal(err)
		}
		got, err := bySums.Bound()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"LowerBound", got.LowerBound, want.LowerBound}, {"Loss", got.Loss, want.Loss},
			{"DualNormRatio", got.DualNormRatio, want.DualNormRatio}, {"R[3]", got.R[k-1], want.R[k-1]}} {
			if math.Abs(c.got-c.want) > 1e-13*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%v: %s from sums %.17g, from logits %.17g", s.Counts, c.name, c.got, c.want)
			}
		}
	}
}

// TestAddSumsErrors checks the refusals of AddSums.
func TestAddSumsErrors(t *testing.T) {
	s := setting.Setting{Counts: []int{2, 1}, Dim: 2, LambdaW: dec("1e-2"), LambdaH: dec("1e-2")}
	for _, c := range []struct {
		name   string
		counts []int
		dir    []float64
		loss   float64
	}{
		{"short counts", []int{2}, make([]float64, 4), 1},
		{"short dir", []int{2, 1}, make([]float64, 3), 1},
		{"negative count", []int{2, -1}, make([]float64, 4), 1},
		{"NaN loss", []int{2, 1}, make([]float64, 4), math.NaN()},
		{"Inf dir", []int{2, 1}, []float64{0, math.Inf(1), 0, 0}, 1},
	} {
		a, err := certificate.NewAccumulator(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.AddSums(c.counts, c.dir, c.loss); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if a.Samples() != 0 {
			t.Errorf("%s: %d samples added by a refused call", c.name, a.Samples())
		}
	}
}

// TestBoundFor: the bound of an accumulator for another setting is,
// bit for bit, the bound of an accumulator made for that setting; other
// counts or another loss are refused.
func TestBoundFor(t *testing.T) {
	s := setting.Setting{Counts: []int{30, 20, 10, 5}, Dim: 4, LambdaW: dec("5e-3"), LambdaH: dec("2e-3")}
	u := s.Clone()
	u.LambdaW, u.LambdaH, u.Bias = dec("1e-3"), dec("4e-3"), true
	z, labels := randomLogits(2, s)
	a, err := certificate.NewAccumulator(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := certificate.NewAccumulator(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*certificate.Accumulator{a, b} {
		if err := acc.Add(z, labels); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.BoundFor(u)
	if err != nil {
		t.Fatal(err)
	}
	want, err := b.Bound()
	if err != nil {
		t.Fatal(err)
	}
	if got.LowerBound != want.LowerBound || got.DualNormRatio != want.DualNormRatio || got.Loss != want.Loss {
		t.Errorf("BoundFor: LB %v, omega/s %v, loss %v; direct: %v, %v, %v", got.LowerBound, got.DualNormRatio, got.Loss,
			want.LowerBound, want.DualNormRatio, want.Loss)
	}
	other := s.Clone()
	other.Counts = []int{30, 20, 10, 6}
	if _, err := a.BoundFor(other); err == nil {
		t.Error("BoundFor accepted other counts")
	}
	other = s.Clone()
	other.Counts = []int{30, 20, 10, 5, 1}
	if _, err := a.BoundFor(other); err == nil {
		t.Error("BoundFor accepted another K")
	}
	other = s.Clone()
	other.Loss = setting.MSE()
	if _, err := a.BoundFor(other); err == nil {
		t.Error("BoundFor accepted another loss")
	}
}
