package main

import (
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/derivation"
)

// kktCertificate is the certificate part of the kkt output: the rigorous
// big-float lower bound of theory.md section 11 at the prediction's explicit
// point. Decimal strings carry every digit of the precision; with K above
// certificate.MaxBigClasses nothing is computed and Note says why.
type kktCertificate struct {
	// LowerBound is the proved lower bound on the global minimum (every d).
	LowerBound *string
	// Gap is f(point) - LowerBound rounded up, f the objective of the kkt
	// evaluation: how far, at most, the point is above the global minimum.
	Gap *string
	// DualNormRatio is an upper bound of omega/s (1 at a global minimum).
	DualNormRatio *string
	// DescentClasses are the classes (0..K-1) of a descent direction, nil
	// when the test finds none; DescentPerron says whether its direction is
	// the Perron vector of Q+ (top eigenvector of Q without ReLU).
	DescentClasses []int
	DescentPerron  bool
	Note           string
	res            *certificate.BigResult
	gap            *big.Float
}

// certifyPrediction computes the certificate at the explicit point pt of
// p (derivation.PredictionPoint: the class means, every sample of a class
// equal to its mean) at prec bits; f is the objective of the point the gap
// is taken from.
func certifyPrediction(p *closedform.Prediction, pt *derivation.Point, f *big.Float, prec uint) (*kktCertificate, error) {
	if k := p.K(); k > certificate.MaxBigClasses {
		return &kktCertificate{Note: fmt.Sprintf("not computed: K = %d is above %d, the limit of the big-float bound", k, certificate.MaxBigClasses)}, nil
	}
	res, err := certificate.BigAtPoint(p.Setting, pt.W, pt.Columns, pt.Labels, pt.Mult, pt.B, prec)
	if err != nil {
		return nil, fmt.Errorf("certificate at the %s point: %w", p.Theory, err)
	}
	all := closedform.Digits(prec)
	txt := func(x *big.Float) *string { s := x.Text('g', all); return &s }
	c := &kktCertificate{res: res, gap: res.Gap(f)}
	c.LowerBound, c.Gap, c.DualNormRatio = txt(res.LowerBound), txt(c.gap), txt(res.DualNormRatio)
	if res.Descent != nil {
		c.DescentClasses = append([]int{}, res.Descent.Classes...)
		c.DescentPerron = res.Descent.Perron
	}
	return c, nil
}

// setJSON copies the certificate into the kkt JSON output.
func (c *kktCertificate) setJSON(out *kktJSON) {
	out.LowerBound, out.CertificateGap, out.DualNormRatio = c.LowerBound, c.Gap, c.DualNormRatio
	out.DescentClasses = c.DescentClasses
	if c.Note != "" {
		out.CertificateNote = c.Note
	}
}

// writeText prints the certificate lines of the kkt text output.
func (c *kktCertificate) writeText(w io.Writer, prec uint, digits int, line func(k, v string)) {
	fmt.Fprintln(w)
	if c.res == nil {
		fmt.Fprintf(w, "Certificate (theory.md section 11): %s\n", c.Note)
		return
	}
	fmt.Fprintf(w, "Certificate (theory.md section 11), proved at %d bits: a lower bound on the global minimum for every d\n", prec)
	line("lower bound", c.res.LowerBound.Text('g', max(digits, 17)))
	line("certificate gap", c.gap.Text('g', digits)+" (f - lower bound, rounded up)")
	line("omega/s", c.res.DualNormRatio.Text('g', digits)+" (dual norm over sqrt(lambda_W lambda_H), rounded up)")
	if c.DescentClasses == nil {
		line("descent classes", "none")
		return
	}
	dir := "a unit vector e_k"
	if c.DescentPerron {
		dir = "the Perron vector"
	}
	line("descent classes", classList(c.DescentClasses, 40)+" (along "+dir+": not a global minimum for large enough d)")
}

// classList joins classes with ", ", cut after about width characters
// (then "... (n classes)").
func classList(classes []int, width int) string {
	var b strings.Builder
	for i, k := range classes {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() > width {
			fmt.Fprintf(&b, "... (%d classes)", len(classes))
			break
		}
		b.WriteString(strconv.Itoa(k))
	}
	return b.String()
}
