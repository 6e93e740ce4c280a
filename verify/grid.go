package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"nccheck/setting"
)

// Grid is a list of settings, the JSON schema of --grid files and built-in
// suites:
//
//	{
//	  "name": "my-grid",
//	  "description": "free text",
//	  "settings": [
//	    {"name": "a", "n": [40, 20, 10, 5], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3"},
//	    {"n": [100, 100], "d": 2, "lambda_w": 1e-4, "lambda_h": 1e-5, "bias": true, "lambda_b": "1e-3"}
//	  ]
//	}
//
// Lambdas may be JSON strings or numbers; both are read exactly from their
// text. "name" is optional (default "<grid>-<index>"); "no_relu": true drops
// the constraint H >= 0 (the plain UFM: compared with the simplex ETF of
// theory.md section 9 for balanced counts, out of scope otherwise);
// "solver_tol" tightens the solver's stopping residual for one setting
// (Case.SolverTol). Keys are case-sensitive and given once; names are
// printable (no control characters).
type Grid struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Seed        *uint64       `json:"seed,omitempty"` // for generated grids: the generator's seed
	Settings    []GridSetting `json:"settings"`
}

// GridSetting is one entry of a Grid: a name, the setting's JSON form
// (setting.JSON: "n", "d", "lambda_w", "lambda_h", "bias", "lambda_b",
// "no_relu", "loss") and the grid's own per-setting options.
type GridSetting struct {
	Name string `json:"name,omitempty"`
	setting.JSON
	// SolverTol, if positive, tightens the solver's stopping residual for
	// this setting (see Case.SolverTol).
	SolverTol float64 `json:"solver_tol,omitempty"`
}

// Case is a named, validated setting.
type Case struct {
	Name    string
	Setting setting.Setting
	// SolverTol, if positive, is the solver's stopping residual for this
	// case instead of the run's (a solver implementing TolSolver honours
	// it). A minimum exactly at a collapse boundary is degenerate: the
	// objective grows only quartically, so a residual r bounds the distance
	// to the minimizer by about r^(1/3) instead of r / curvature, and such a
	// setting needs a smaller residual for the same geometric accuracy.
	SolverTol float64
}

// MaxGridBytes bounds the size of a grid file.
const MaxGridBytes = 256 << 20

// ParseGrid reads a grid and validates every setting; errors name the
// entry. Besides the JSON schema it refuses a key given in another case
// than the schema's (encoding/json would take "D" for "d") or twice, a name
// with a control character, and a cross-entropy setting outside the
// solver's float64 range (CheckFloat64Range).
func ParseGrid(r io.Reader) (*Grid, []Case, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxGridBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("grid: %w", err)
	}
	if len(data) > MaxGridBytes {
		return nil, nil, fmt.Errorf("grid: larger than %d bytes", MaxGridBytes)
	}
	l := layoutOf(data)
	if err := checkGridKeys(data, l); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Grid
	if err := dec.Decode(&g); err != nil {
		return nil, nil, l.decodeError(err)
	}
	end := l.next(dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("grid: %s: unexpected data after the grid object", l.pos(end))
	}
	if err := checkName(g.Name); err != nil {
		return nil, nil, fmt.Errorf("grid name %s: %w", strconv.Quote(g.Name), err)
	}
	if len(g.Settings) == 0 {
		return nil, nil, fmt.Errorf("grid %q: no settings", g.Name)
	}
	cases := make([]Case, 0, len(g.Settings))
	seen := map[string]bool{}
	for i, gs := range g.Settings {
		s, err := gs.JSON.Setting()
		if err != nil {
			return nil, nil, fmt.Errorf("grid %q, %s: %w", g.Name, l.entryLine(i), err)
		}
		if err := CheckFloat64Range(s); err != nil {
			return nil, nil, fmt.Errorf("grid %q, %s: %w", g.Name, l.entryLine(i), jsonKeyError(err))
		}
		name := gs.Name
		if name == "" {
			name = fmt.Sprintf("%s-%d", g.Name, i+1)
		}
		if err := checkName(name); err != nil {
			return nil, nil, fmt.Errorf("grid %q, %s: name %s: %w", g.Name, l.entryLine(i), strconv.Quote(name), err)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("grid %q, %s: duplicate setting name %q", g.Name, l.entryLine(i), name)
		}
		seen[name] = true
		if gs.SolverTol < 0 || gs.SolverTol > 1 || gs.SolverTol != gs.SolverTol {
			return nil, nil, fmt.Errorf("grid %q, %s: solver_tol %v must be in (0, 1]", g.Name, l.entryLine(i), gs.SolverTol)
		}
		cases = append(cases, Case{Name: name, Setting: s, SolverTol: gs.SolverTol})
	}
	return &g, cases, nil
}

// jsonKeyError renames the fields of a *setting.InputError to JSON keys.
func jsonKeyError(err error) error {
	if ie, ok := err.(*setting.InputError); ok {
		parts := strings.Split(ie.Field, "/")
		for i, p := range parts {
			parts[i] = setting.JSONKey(p)
		}
		return ie.WithField(strings.Join(parts, "/"))
	}
	return err
}

// checkName refuses a name that would reach a terminal or a table raw with
// a control character (an ANSI escape sequence, a newline) or an invalid
// UTF-8 byte.
func checkName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("has the control character %q", r)
		}
	}
	return nil
}

// checkGridKeys walks the grid's JSON and refuses an object key that is
// not exactly one of the schema's (the tags of Grid, and of GridSetting
// with the embedded setting.JSON, for the entries of "settings") or that
// is given twice. encoding/json matches keys case-insensitively and keeps
// the last of duplicates, so it would take "D" for "d" silently. Malformed
// JSON is left to the decoder to report.
func checkGridKeys(data []byte, l *gridLayout) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	top, entry := jsonKeys(reflect.TypeFor[Grid]()), jsonKeys(reflect.TypeFor[GridSetting]())
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	return walkObject(dec, top, func(key string) error {
		if key != "settings" {
			return skipValue(dec)
		}
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('[') {
			return nil
		}
		for i := 1; dec.More(); i++ {
			tok, err := dec.Token()
			if err != nil {
				return nil
			}
			if tok != json.Delim('{') {
				if err := skipRest(dec, tok); err != nil {
					return nil
				}
				continue
			}
			if err := walkObject(dec, entry, func(string) error { return skipValue(dec) }); err != nil {
				return fmt.Errorf("grid: %s: %w", l.entryLine(i-1), err)
			}
		}
		_, err = dec.Token() // ']'
		return err
	})
}

// walkObject reads the keys of an object whose '{' has been read, checks
// each against allowed and passes it to value, which must consume the
// value; it returns after the closing '}'.
func walkObject(dec *json.Decoder, allowed map[string]bool, value func(key string) error) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if !allowed[key] {
			for a := range allowed {
				if strings.EqualFold(a, key) {
					return fmt.Errorf("key %s: keys are case-sensitive (the key is %q)", clipQuote(key), a)
				}
			}
			return nil // an unknown key: the decoder names it
		}
		if seen[key] {
			return fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		if err := value(key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	if err != nil {
		return nil
	}
	return nil
}

// skipValue consumes one JSON value.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	return skipRest(dec, tok)
}

// skipRest consumes the rest of a value whose first token is tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	if d, ok := tok.(json.Delim); !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// jsonKeys returns the JSON keys of a struct type, those of embedded
// structs included.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k := range jsonKeys(f.Type) {
				keys[k] = true
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}

func clipQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// MinWrongClassMass is the smallest wrong-class probability the solver's
// float64 resolves next to 1: 2^-52.
const MinWrongClassMass = 0x1p-52

// CheckFloat64Range refuses a cross-entropy setting whose minimum the
// float64 solver cannot represent: at the minimum class k puts the
// probability c beta_k = sqrt((K-1)/K) N sqrt(lambda_W lambda_H / n_k) on
// the wrong classes (theory.md section 2), and below MinWrongClassMass its
// loss log(1 + (K-1) e^{-M_k}) rounds to 0 in float64: the solver sees no
// loss and stops at a point that is not the minimizer (a numerical
// artefact, not a failed theorem). So lambda_W lambda_H must be at least
// 2^-104 K max_k n_k / ((K-1) N^2). The error is a *setting.InputError
// naming both lambdas and the bound.
func CheckFloat64Range(s setting.Setting) error {
	if !s.Loss.IsCE() {
		return nil
	}
	k, n := float64(s.K()), float64(s.N())
	maxN := 0
	for _, c := range s.Counts {
		maxN = max(maxN, c)
	}
	p := s.LambdaW.Float64() * s.LambdaH.Float64()
	mass := math.Sqrt((k-1)/k) * n * math.Sqrt(p/float64(maxN))
	if mass >= MinWrongClassMass {
		return nil
	}
	bound := MinWrongClassMass * MinWrongClassMass * k * float64(maxN) / ((k - 1) * n * n)
	return &setting.InputError{Field: setting.FieldLambdaW + "/" + setting.FieldLambdaH,
		Value: s.LambdaW.String() + ", " + s.LambdaH.String(),
		Reason: fmt.Sprintf("the product %.3g is below %.3g = 2^-104 K max(n_k) / ((K-1) N^2): the largest class would put a probability %.2g below 2^-52 on the wrong classes at the minimum, which the solver's float64 rounds away",
			p, bound, mass)}
}

// GridHash identifies a run's cases (names, settings and solver_tol, in
// order) for the header of a row file: "sha256:" and the hex SHA-256 of
// their JSON lines.
func GridHash(cases []Case) string {
	h := sha256.New()
	for _, c := range cases {
		b, _ := json.Marshal(GridSetting{Name: c.Name, JSON: c.Setting.JSON(), SolverTol: c.SolverTol})
		h.Write(append(b, '\n'))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// GridOf builds the Grid form of cases (for writing generated suites).
func GridOf(name, description string, cases []Case) *Grid {
	g := &Grid{Name: name, Description: description}
	for _, c := range cases {
		g.Settings = append(g.Settings, GridSetting{Name: c.Name, JSON: c.Setting.JSON(), SolverTol: c.SolverTol})
	}
	return g
}
