package optimize

import "math"

// The losses of the evaluation, l(z; y) of the logits z = W h + b of one
// sample of class y (theory.md sections 1 and 12), each with its gradient
// in z. A Problem carries its loss as data (Problem.Loss, a setting.Loss);
// the Evaluator runs one of the functions below on the rows of a block: row
// i of e.z holds the K logits of sample i (without the bias), and is
// replaced by G_i = grad_z l(z_i; y_i) / N, the sample's column of the
// matrix G of theory.md section 5 (the same G for every loss: the products
// W^T G and G H^T, the bias gradient G 1 and the escape test use only it).
// Each function returns the sum of the block's losses, sample after sample,
// stores each in e.sampleLoss when set, and adds G 1 to gb when there is a
// bias.

// crossEntropyRows is the cross-entropy of theory.md section 1,
// l(z; y) = log sum_j exp(z_j) - z_y, G_i = (p_i - e_y)/N with p_i the
// softmax of z_i, computed by softmaxRow (max-shifted log-sum-exp, the
// AVX-512 kernel where available: the fast path).
func (e *Evaluator) crossEntropyRows(r0, r1 int, bias, gb []float64, invN float64) (loss float64) {
	k, kp := e.k, e.kp
	for i := r0; i < r1; i++ {
		row := e.z[i*kp : i*kp+k]
		if bias != nil {
			for j := range row {
				row[j] += bias[j]
			}
		}
		y := e.labels[i]
		zy := row[y]
		// log sum_j exp(z_j) - z_y = log1p(sum_{j != argmax} exp(z_j - m)) + m - z_y.
		m, rest := softmaxRow(e.asm, row, invN)
		li := math.Log1p(rest) + (m - zy)
		loss += li
		if e.sampleLoss != nil {
			e.sampleLoss[i] = li
		}
		row[y] -= invN
		if gb != nil {
			for j, gj := range row {
				gb[j] += gj
			}
		}
	}
	return loss
}

// smoothedRows is label-smoothed cross-entropy with smoothing a (theory.md
// section 12a): l(z; y) = log sum_j exp(z_j) - t_y . z with the target
// t_y = (1 - a) e_y + (a/K) 1, i.e. the cross-entropy plus a (z_y - zbar),
// zbar the mean logit, and G_i = (p_i - t_y)/N. It reuses the softmax of
// the cross-entropy.
func (e *Evaluator) smoothedRows(r0, r1 int, bias, gb []float64, invN float64) (loss float64) {
	k, kp := e.k, e.kp
	a := e.smooth
	onY := (1 - a) * invN          // (1 - a)/N, taken from the label's entry
	onAll := a / float64(k) * invN // a/(K N), taken from every entry
	for i := r0; i < r1; i++ {
		row := e.z[i*kp : i*kp+k]
		if bias != nil {
			for j := range row {
				row[j] += bias[j]
			}
		}
		y := e.labels[i]
		zy := row[y]
		zbar := 0.0
		for _, v := range row {
			zbar += v
		}
		zbar /= float64(k)
		m, rest := softmaxRow(e.asm, row, invN)
		li := math.Log1p(rest) + (m - zy) + a*(zy-zbar)
		loss += li
		if e.sampleLoss != nil {
			e.sampleLoss[i] = li
		}
		row[y] -= onY
		for j := range row {
			row[j] -= onAll
		}
		if gb != nil {
			for j, gj := range row {
				gb[j] += gj
			}
		}
	}
	return loss
}

// squaredRows is the squared error of theory.md section 12b:
// l(z; y) = ||z - e_y||^2 / 2, G_i = (z_i - e_y)/N.
func (e *Evaluator) squaredRows(r0, r1 int, bias, gb []float64, invN float64) (loss float64) {
	k, kp := e.k, e.kp
	for i := r0; i < r1; i++ {
		row := e.z[i*kp : i*kp+k]
		y := e.labels[i]
		li := 0.0
		for j, v := range row {
			if bias != nil {
				v += bias[j]
			}
			if j == y {
				v--
			}
			li += v * v
			row[j] = v * invN
		}
		li *= 0.5
		loss += li
		if e.sampleLoss != nil {
			e.sampleLoss[i] = li
		}
		if gb != nil {
			for j, gj := range row {
				gb[j] += gj
			}
		}
	}
	return loss
}
