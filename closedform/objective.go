package closedform

import (
	"math/big"

	"nccheck/setting"
)

// pointObjective returns the objective f of theory.md section 1, with the
// setting's loss (sections 1 and 12), at the class-level point (W, the class
// means, b) of m, at wp bits:
//
//	f = sum_k (n_k/N) l(W h_k + b; k) + (lambda_W/2) ||W||_F^2
//	    + (lambda_H/2) sum_k n_k ||h_k||^2 + (lambda_b/2) ||b||^2,
//
// every sample of class k having the feature h_k. The loss is evaluated
// without cancellation: cross-entropy by softmaxCE (log1p of the tail),
// label smoothing as CE + a (z_k - mean_j z_j), the squared error as
// ||z - e_k||^2 / 2. It also returns W Hbar (K x K, column k the logits
// W h_k without the bias) at wp bits. Cost: O(K^2 d) multiplications
// (zeros skipped) and K^2 exponentials for the softmax losses.
func pointObjective(s setting.Setting, m *Minimizer, wp uint) (f *big.Float, wh [][]*big.Float) {
	k := s.K()
	nf := func() *big.Float { return new(big.Float).SetPrec(wp) }
	wh = pointProduct(m, wp)
	loss := nf()
	z := make([]*big.Float, k)
	for cls, nk := range s.Counts {
		for j := range z {
			z[j] = nf().Set(wh[j][cls])
			if m.B != nil {
				z[j].Add(z[j], m.B[j])
			}
		}
		l := classLoss(s.Loss, z, cls, wp)
		loss.Add(loss, l.Mul(l, nf().SetInt64(int64(nk))))
	}
	f = loss.Quo(loss, nf().SetInt64(int64(s.N())))
	wSq, hSq, t := nf(), nf(), nf()
	for _, row := range m.W {
		for _, x := range row {
			wSq.Add(wSq, t.Mul(x, x))
		}
	}
	for cls, nk := range s.Counts {
		h := nf()
		for i := range m.Means {
			h.Add(h, t.Mul(m.Means[i][cls], m.Means[i][cls]))
		}
		hSq.Add(hSq, h.Mul(h, nf().SetInt64(int64(nk))))
	}
	half := func(lambda setting.Decimal, sq *big.Float) *big.Float {
		v := nf().Mul(lambda.Float(wp), sq)
		return v.Quo(v, nf().SetInt64(2))
	}
	f.Add(f, half(s.LambdaW, wSq))
	f.Add(f, half(s.LambdaH, hSq))
	if m.B != nil && s.Bias {
		bSq := nf()
		for _, x := range m.B {
			bSq.Add(bSq, t.Mul(x, x))
		}
		f.Add(f, half(s.LambdaB, bSq))
	}
	return f, wh
}

// pointProduct returns W Hbar of m at wp bits (entry (j, k) = w_j . h_k),
// skipping the zero entries of the class means.
func pointProduct(m *Minimizer, wp uint) [][]*big.Float {
	k := m.K
	wh := make([][]*big.Float, k)
	for j := range wh {
		wh[j] = make([]*big.Float, k)
		for c := range wh[j] {
			wh[j][c] = new(big.Float).SetPrec(wp)
		}
	}
	t := new(big.Float).SetPrec(wp)
	for i := range m.Means {
		for c, h := range m.Means[i] {
			if h.Sign() == 0 {
				continue
			}
			for j := 0; j < k; j++ {
				wh[j][c].Add(wh[j][c], t.Mul(m.W[j][i], h))
			}
		}
	}
	return wh
}

// classLoss returns l(z; y) for the loss of theory.md sections 1 and 12 at
// prec bits.
func classLoss(loss setting.Loss, z []*big.Float, y int, prec uint) *big.Float {
	switch loss.Kind() {
	case setting.SquaredError:
		sum := new(big.Float).SetPrec(prec)
		t := new(big.Float).SetPrec(prec)
		for j, v := range z {
			t.Set(v)
			if j == y {
				t.Sub(t, new(big.Float).SetPrec(prec).SetInt64(1))
			}
			sum.Add(sum, t.Mul(t, t))
		}
		return sum.Quo(sum, new(big.Float).SetPrec(prec).SetInt64(2))
	case setting.LabelSmoothing:
		_, _, ce := softmaxCE(z, y, prec)
		mean := new(big.Float).SetPrec(prec)
		for _, v := range z {
			mean.Add(mean, v)
		}
		mean.Quo(mean, new(big.Float).SetPrec(prec).SetInt64(int64(len(z))))
		gap := new(big.Float).SetPrec(prec).Sub(z[y], mean)
		gap.Mul(gap, loss.Smoothing().Float(prec))
		return ce.Add(ce, gap)
	}
	_, _, ce := softmaxCE(z, y, prec)
	return ce
}
