package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Split is a held-out split of the same network (a test set) measured with
// the classifier (W, b) and the class means mu_k of a training measurement.
type Split struct {
	// N is the number of samples of the split.
	N int `json:"n"`
	// Loss is (1/N) sum_i CE(W h_i + b, y_i) on the split.
	Loss float64 `json:"loss"`
	// Accuracy is the classifier's accuracy on the split.
	Accuracy float64 `json:"accuracy"`
	// NC4 is the agreement of the classifier with the nearest training
	// class mean, (1/N) sum_i 1[argmax_j (W h_i + b)_j = argmin_j ||h_i -
	// mu_j||]; nil from statistics.
	NC4 *float64 `json:"nc4"`
	// NC1 is tr(Sigma_W' pinv(Sigma_B)) / K about the training means:
	// Sigma_W' = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T over the
	// split, Sigma_B the training one (pseudo-inverse as in Measure); nil
	// when the training Sigma_B is 0.
	NC1 *float64 `json:"nc1"`
	// Classes are per class (a class may have no sample in the split).
	Classes []SplitClass `json:"classes"`
	// Undefined maps the JSON key of every nil metric to the reason.
	Undefined map[string]string `json:"undefined,omitempty"`
}

// SplitClass is one class of a split.
type SplitClass struct {
	N int `json:"n"`
	// Accuracy and NC4 on the class's samples of the split; nil when it has
	// none (or, for NC4, from statistics).
	Accuracy  *float64          `json:"accuracy"`
	NC4       *float64          `json:"nc4"`
	Undefined map[string]string `json:"undefined,omitempty"`
}

// Split measures the samples x of a held-out split with m's classifier and
// class means, in one pass (O(N d K) flops). Labels must be in 0..K-1; a
// class may be absent from the split.
func (m *Measurement) Split(x Samples) (*Split, error) {
	n, d := x.Dims()
	labels := x.Labels()
	switch {
	case d != m.D:
		return nil, fmt.Errorf("metrics: the split has dimension %d, the training features %d", d, m.D)
	case len(labels) != n:
		return nil, fmt.Errorf("metrics: %d labels for %d samples of the split", len(labels), n)
	case n == 0:
		return nil, fmt.Errorf("metrics: the split has no samples")
	}
	k := m.K
	counts, correct, agree := make([]int, k), make([]int, k), make([]int, k)
	for i, y := range labels {
		if y < 0 || y >= k {
			return nil, fmt.Errorf("metrics: sample %d of the split has label %d, want 0..%d", i, y, k-1)
		}
		counts[y]++
	}
	kn := newNCCKernel(m)
	within := make([]float64, k)
	wT := m.W.T()
	var zbuf []float64
	tops := make([]int, 0, blockRows)
	prob := make([]float64, k) // softmax sums, unused
	loss, nc1 := 0.0, 0.0
	err := x.Scan(func(first int, rows []float64) error {
		nb := len(rows) / d
		if nb == 0 {
			return nil
		}
		if !finite(rows) {
			return fmt.Errorf("metrics: features of samples %d..%d of the split: %w", first, first+nb-1, setting.ErrNonFinite)
		}
		if len(zbuf) < nb*k {
			zbuf = make([]float64, nb*k)
		}
		logits := mat.NewDense(nb, k, zbuf[:nb*k])
		logits.Mul(mat.NewDense(nb, d, rows), wT)
		tops = tops[:0]
		for r := 0; r < nb; r++ {
			z, y := logits.RawRowView(r), labels[first+r]
			if m.B != nil {
				for j := range z {
					z[j] += m.B[j]
				}
			}
			ce, top := softmaxInto(z, y, prob)
			loss += ce
			tops = append(tops, top)
			if top == y {
				correct[y]++
			}
		}
		s, err := kn.block(rows, labels[first:], func(s, _ int) int { return tops[s] }, agree, within)
		nc1 += s
		return err
	})
	if err != nil {
		return nil, err
	}
	sp := &Split{N: n, Loss: loss / float64(n)}
	if m.dirs != nil {
		v := nc1 / float64(n) / float64(k)
		sp.NC1 = &v
	}
	if err := sp.finish(counts, correct, agree); err != nil {
		return nil, err
	}
	return sp, nil
}

// finish sets the accuracies and NC4 from the per-class counts (agree nil:
// NC4 unknown) and the reasons of the undefined metrics.
func (sp *Split) finish(counts, correct, agree []int) error {
	sp.Undefined = map[string]string{}
	sp.Accuracy = float64(sum(correct)) / float64(sp.N)
	if agree != nil {
		v := float64(sum(agree)) / float64(sp.N)
		sp.NC4 = &v
	} else {
		sp.Undefined["nc4"] = "statistics cannot give it: it needs each sample against the training means"
	}
	if sp.NC1 == nil {
		sp.Undefined["nc1"] = "the training Sigma_B = 0"
	}
	for k, nk := range counts {
		c := SplitClass{N: nk, Undefined: map[string]string{}}
		switch {
		case nk == 0:
			c.Undefined["accuracy"], c.Undefined["nc4"] = "no samples of the class", "no samples of the class"
		default:
			a := float64(correct[k]) / float64(nk)
			c.Accuracy = &a
			if agree != nil {
				v := float64(agree[k]) / float64(nk)
				c.NC4 = &v
			} else {
				c.Undefined["nc4"] = sp.Undefined["nc4"]
			}
		}
		if len(c.Undefined) == 0 {
			c.Undefined = nil
		}
		sp.Classes = append(sp.Classes, c)
	}
	if len(sp.Undefined) == 0 {
		sp.Undefined = nil
	}
	for _, v := range []*float64{&sp.Loss, &sp.Accuracy, sp.NC1, sp.NC4} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return errNonFinite("split")
		}
	}
	return nil
}
