package closedform

import (
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"nccheck/setting"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/golden from the current code")

const goldenDir = "../testdata/golden"

// writeGolden writes v as the golden file name.json (for -update).
func writeGolden(t *testing.T, name string, v any) {
	t.Helper()
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(goldenDir, name+".json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readGolden reads the golden file name.json into v.
func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
	if err != nil {
		t.Fatalf("golden file missing (run with -update once): %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// goldenCase is the content of one golden file: the setting and options it
// was computed for, and the full report (matrices left out for K > 10 to keep
// files small; the matrices are checked by the identity tests).
type goldenCase struct {
	Name   string `json:"name"`
	Theory string `json:"theory"`
	Prec   uint   `json:"precision_bits"`
	Report Report `json:"report"`
}

// goldenTheory is one golden file's theory and setting.
type goldenTheory struct {
	name string
	s    setting.Setting
	th   Theory
}

func goldenCases() []goldenTheory {
	var out []goldenTheory
	for _, tc := range namedSettings() {
		out = append(out, goldenTheory{tc.name, tc.s, Paper{}})
	}
	return append(out, goldenTheory{"imbalanced-authors-code", namedSettings()[1].s, AuthorsCode{}})
}

// theoryNamed returns the built-in theory with the given Name (the strict
// theorem, not the chooser Auto), for reading golden files.
func theoryNamed(t *testing.T, name string) Theory {
	t.Helper()
	for _, th := range []Theory{Paper{}, AuthorsCode{}, BiasOrthogonal{}, ETF{}, LabelSmoothing{}, MSE{}, MSEBias{}} {
		if th.Name() == name {
			return th
		}
	}
	t.Fatalf("golden file names an unknown theory %q", name)
	return nil
}

func goldenReport(p *Prediction) Report {
	r := p.Report(0)
	if p.K() > 10 {
		r.WH, r.WWT, r.HTH = nil, nil, nil
	}
	return r
}

// TestGolden recomputes every golden file's prediction and compares every
// number to at least 70 significant digits (the files hold 77). A change to
// any formula fails this test; run `go test ./closedform -run Golden -update`
// only after the change has been checked against theory.md independently.
func TestGolden(t *testing.T) {
	cases := goldenCases()
	if *update {
		for _, c := range cases {
			p := mustPredict(t, c.th, c.s, 0)
			writeGolden(t, c.name, goldenCase{Name: c.name, Theory: c.th.Name(), Prec: p.Prec, Report: goldenReport(p)})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var g goldenCase
			readGolden(t, c.name, &g)
			// Rebuild the setting from the golden file itself, not from the code.
			s, err := g.Report.Setting.Setting()
			if err != nil {
				t.Fatal(err)
			}
			p := mustPredict(t, theoryNamed(t, g.Theory), s, g.Prec)
			compareReports(t, goldenReport(p), g.Report)
		})
	}
}

// compareReports walks two reports and compares every decimal string as a
// number (relative 1e-70, absolute for values below 1e-70) and everything
// else exactly.
func compareReports(t *testing.T, got, want Report) {
	t.Helper()
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	var gv, wv any
	_ = json.Unmarshal(gb, &gv)
	_ = json.Unmarshal(wb, &wv)
	compareJSON(t, "report", gv, wv)
}

func compareJSON(t *testing.T, path string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: shape differs", path)
			return
		}
		for k := range w {
			compareJSON(t, path+"."+k, g[k], w[k])
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: length differs", path)
			return
		}
		for i := range w {
			compareJSON(t, path+"["+itoa(i)+"]", g[i], w[i])
		}
	case string:
		g, ok := got.(string)
		if !ok {
			t.Errorf("%s: got %v, want %q", path, got, w)
			return
		}
		wf, _, werr := big.ParseFloat(w, 10, 512, big.ToNearestEven)
		gf, _, gerr := big.ParseFloat(g, 10, 512, big.ToNearestEven)
		if werr != nil || gerr != nil {
			if g != w {
				t.Errorf("%s: got %q, want %q", path, g, w)
			}
			return
		}
		if d := relDiff(gf, wf, 1e-70); d > 1e-70 {
			t.Errorf("%s: got %s, golden %s (rel diff %g)", path, g, w, d)
		}
	default:
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }
