package closedform

import (
	"fmt"

	"nccheck/setting"
)

// Theory is a prediction of the global minimizer of the training problem of
// theory.md section 1 (with the loss of the setting, section 12): given a
// setting it returns the predicted geometry, or a *ScopeError when it makes
// no prediction for that setting.
//
// Each built-in theorem is one type: [Paper] (section 2), [AuthorsCode]
// (section 7), [BiasOrthogonal] (section 4), [ETF] (section 9),
// [LabelSmoothing] (section 12a), [MSE] and [MSEBias] (section 12b), and
// [MarginTheory] for a researcher's own margin formula. [Default] names the
// theorem that applies to a setting and [Auto] predicts with it. Package
// verify compares any Theory with the numerical solver and package
// derivation checks its explicit point, so a new theorem plugs in by
// implementing this interface, in any package: a Prediction is built with
// [NewPrediction], [NewMatrix] and [NewMinimizer] and checked by
// [Prediction.Validate].
type Theory interface {
	// Name identifies the theory in tables and JSON ("paper", ...).
	Name() string
	// Predict returns the prediction for s with every number rounded to prec
	// bits (0 means DefaultPrec), or an error: a *ScopeError when the theory
	// does not apply to s, a *setting.InputError for invalid input.
	Predict(s setting.Setting, prec uint) (*Prediction, error)
}

// ScopeError reports that a theory makes no prediction for a setting: a
// bias where the theory is bias-free, the plain UFM, d below the number of
// alive classes, another loss, and so on. It unwraps to a
// *setting.InputError naming the responsible field, so that a command can
// report it as bad input.
type ScopeError struct {
	Theory string // the theory's Name
	// Field is the setting field responsible (setting.FieldDim, ...) and
	// Value its offending value ("" when none is shown).
	Field, Value string
	// Reason is a sentence for a command-line message; Short is a few words
	// for a table cell ("bias", "d=2 < 3 alive classes").
	Reason, Short string
	// Alive is the number of classes the theory would predict alive, or -1
	// when it cannot say.
	Alive int
}

func (e *ScopeError) Error() string { return e.input().Error() }

// Unwrap returns the error as a *setting.InputError.
func (e *ScopeError) Unwrap() error { return e.input() }

func (e *ScopeError) input() *setting.InputError {
	return &setting.InputError{Field: e.Field, Value: e.Value, Reason: e.Reason}
}

// lossScope returns the *ScopeError of a theory for a loss it does not
// cover; want names the loss it does cover ("cross-entropy").
func lossScope(theory string, s setting.Setting, want string) *ScopeError {
	return &ScopeError{Theory: theory, Field: setting.FieldLoss, Value: s.Loss.String(), Short: "loss " + s.Loss.String(), Alive: -1,
		Reason: "the " + theory + " theory is for " + want}
}

// biasScope is the *ScopeError of a bias-free theory given a bias.
func biasScope(theory, reason string) *ScopeError {
	return &ScopeError{Theory: theory, Field: setting.FieldBias, Short: "bias", Alive: -1, Reason: reason}
}

// noReLUScope is the *ScopeError of a ReLU theory given the plain UFM.
func noReLUScope(theory, reason string) *ScopeError {
	return &ScopeError{Theory: theory, Field: setting.FieldNoReLU, Short: "no ReLU constraint", Alive: -1, Reason: reason}
}

// dimScope is the *ScopeError of an orthogonal structure that needs one
// coordinate per alive class; what ends the reason ("the theorem").
func dimScope(theory string, d, alive int, what string) *ScopeError {
	return &ScopeError{Theory: theory, Field: setting.FieldDim, Value: fmt.Sprint(d), Alive: alive,
		Short:  fmt.Sprintf("d=%d < %d alive classes", d, alive),
		Reason: fmt.Sprintf("smaller than the number of alive classes (%d); %s does not apply", alive, what)}
}

// MaxMatrixClasses bounds K for every prediction. A Prediction holds three
// K x K matrices of big.Float entries (W Hbar, W W^T, Hbar^T Hbar), about
// 120 bytes per entry at 256 bits: 1.4 GB at K = 2000, and the O(K^2)
// big-float operations that fill them take minutes there. It is lower than
// setting.MaxClasses (which bounds what the float64 paths accept) for that
// reason only.
const MaxMatrixClasses = 2000

// checkInputs checks what every closed form needs: the precision (with its
// default applied), a valid setting, and K <= MaxMatrixClasses. A theory's
// scope (its loss, bias, ReLU, d) is its own check.
func checkInputs(s setting.Setting, prec uint) (uint, error) {
	prec, err := checkPrec(prec)
	if err != nil {
		return 0, err
	}
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if k := s.K(); k > MaxMatrixClasses {
		return 0, &setting.InputError{Field: setting.FieldCounts, Value: fmt.Sprintf("(%d classes)", k),
			Reason: fmt.Sprintf("a prediction holds three K x K big-float matrices; at most %d classes", MaxMatrixClasses)}
	}
	return prec, nil
}

// checkPrec applies the default and checks the range.
func checkPrec(prec uint) (uint, error) {
	if prec == 0 {
		prec = DefaultPrec
	}
	if prec < MinPrec || prec > MaxPrec {
		return 0, &setting.InputError{Field: "Prec", Value: fmt.Sprint(prec), Reason: fmt.Sprintf("must be between %d and %d bits", MinPrec, MaxPrec)}
	}
	return prec, nil
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
