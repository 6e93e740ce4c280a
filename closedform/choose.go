package closedform

import "nccheck/setting"

// Default returns the theorem that applies to s, the one [Auto] predicts
// with:
//
//	cross-entropy, ReLU features, no bias   Paper           (theory.md section 2)
//	cross-entropy with a bias               BiasOrthogonal  (section 4)
//	cross-entropy, plain UFM, no bias       ETF             (section 9)
//	label smoothing (ls:A)                  LabelSmoothing  (section 12a)
//	squared error (mse)                     MSE             (section 12b)
//	squared error, unregularised bias       MSEBias         (section 12b)
//
// For a setting no theorem covers it returns the closest one, whose Predict
// then returns the *ScopeError that says why (the imbalanced plain UFM:
// ETF; cross-entropy with an unregularised bias: BiasOrthogonal; label
// smoothing with a bias or without ReLU: LabelSmoothing; the squared error
// with a penalised bias: MSE).
func Default(s setting.Setting) Theory {
	switch s.Loss.Kind() {
	case setting.LabelSmoothing:
		return LabelSmoothing{}
	case setting.SquaredError:
		if s.Unregularised() {
			return MSEBias{}
		}
		return MSE{}
	}
	switch {
	case s.Bias:
		return BiasOrthogonal{}
	case s.NoReLU:
		return ETF{}
	}
	return Paper{}
}

// Auto is the theory that predicts every setting with the theorem that
// applies to it ([Default]); its predictions carry that theorem's Name in
// Prediction.Theory. Its own Name is "paper", the name the paper's theory
// has always had in nccheck's tables and row keys (the paper's theorem,
// extended to the bias and the plain UFM by the other theorems above), so
// that rows of the existing suites keep their keys. It is what the theory
// set "paper" means.
type Auto struct{}

// Name returns "paper".
func (Auto) Name() string { return "paper" }

// Predict returns Default(s).Predict(s, prec).
func (Auto) Predict(s setting.Setting, prec uint) (*Prediction, error) {
	return Default(s).Predict(s, prec)
}
