package closedform

import (
	"strconv"
	"strings"

	"nccheck/setting"
)

// TheorySet is a list of theories selected by name, the one form every
// command reads its --theory flag in (encoding.TextUnmarshaler). The text is
// a comma-separated list of names:
//
//	paper           Auto: the theorem that applies to each setting (Default)
//	authors-code    AuthorsCode (theory.md section 7)
//	both            paper,authors-code
//	bias-orthogonal BiasOrthogonal (section 4)
//	plain-etf       ETF (section 9)
//	label-smoothing LabelSmoothing (section 12a)
//	mse             MSE (section 12b)
//	mse-bias        MSEBias (section 12b, unregularised bias)
//
// Every theory appears at most once.
type TheorySet []Theory

// builtinTheories lists the theories a TheorySet names, in help order.
func builtinTheories() []Theory {
	return []Theory{Auto{}, AuthorsCode{}, BiasOrthogonal{}, ETF{}, LabelSmoothing{}, MSE{}, MSEBias{}}
}

// TheoryNames lists the names a TheorySet reads, "both" included, for help
// texts.
func TheoryNames() []string {
	var out []string
	for _, th := range builtinTheories() {
		out = append(out, th.Name())
		if th.Name() == (AuthorsCode{}).Name() {
			out = append(out, "both")
		}
	}
	return out
}

// ParseTheorySet parses a comma-separated list of theory names (see
// TheorySet). Errors are *setting.InputError with Field "Theory".
func ParseTheorySet(text string) (TheorySet, error) {
	bad := func(reason string) (TheorySet, error) {
		return nil, &setting.InputError{Field: "Theory", Value: strconv.Quote(text), Reason: reason}
	}
	var set TheorySet
	seen := map[string]bool{}
	add := func(th Theory) bool {
		if seen[th.Name()] {
			return false
		}
		seen[th.Name()] = true
		set = append(set, th)
		return true
	}
	for _, name := range strings.Split(text, ",") {
		name = strings.TrimSpace(name)
		var ths []Theory
		switch name {
		case "":
			return bad("needs a theory name: " + strings.Join(TheoryNames(), ", ") + ", or a comma list of them")
		case "both":
			ths = []Theory{Auto{}, AuthorsCode{}}
		default:
			for _, th := range builtinTheories() {
				if th.Name() == name {
					ths = []Theory{th}
				}
			}
		}
		if ths == nil {
			return bad("unknown theory " + strconv.Quote(name) + ": want " + strings.Join(TheoryNames(), ", ") + ", or a comma list of them")
		}
		for _, th := range ths {
			if !add(th) {
				return bad("names the theory " + th.Name() + " twice")
			}
		}
	}
	return set, nil
}

// UnmarshalText parses the text with ParseTheorySet.
func (t *TheorySet) UnmarshalText(b []byte) error {
	set, err := ParseTheorySet(string(b))
	if err != nil {
		return err
	}
	*t = set
	return nil
}

// MarshalText returns the names joined by commas (String).
func (t TheorySet) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// String returns the names joined by commas, the text ParseTheorySet reads
// back for the built-in theories.
func (t TheorySet) String() string { return strings.Join(t.Names(), ",") }

// Names returns the theories' names in order.
func (t TheorySet) Names() []string {
	out := make([]string, len(t))
	for i, th := range t {
		out[i] = th.Name()
	}
	return out
}
