package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"nccheck/checkpoint"
	"nccheck/internal/report"
)

// tableStyle is how measure renders its reports.
type tableStyle struct {
	format  string // text, markdown, latex or csv
	digits  int    // significant digits of the deviations
	classes bool   // per-class tables (CSV: the long class table only)
	all     bool   // --columns all: one wide table instead of the groups
}

// headerIn is a column header in a format: LaTeX math for the symbols of
// a LaTeX header (latexHeader), as written otherwise.
func headerIn(h, format string) string {
	if format == "latex" {
		return latexHeader(h)
	}
	return h
}

// textWidth is the width the default text output keeps to.
const textWidth = 120

// measureColumn is one column of measure's checkpoint table: its group
// (the table it belongs to by default), its header, its CSV key, and its
// cell in the table formats and in CSV.
type measureColumn struct {
	group, header, key string
	right              bool
	text               func(r *checkpoint.Report, st tableStyle) string
	csv                func(r *checkpoint.Report) string
}

// The column groups: one table each by default, in this order.
const (
	groupBound      = "bound"
	groupPrediction = "prediction"
	groupStructure  = "structure"
	groupFit        = "fit"
	groupTest       = "test"
)

// sciText formats a deviation with st.digits significant digits (LaTeX
// math in LaTeX), n/a for nil.
func sciText(v *float64, st tableStyle) string {
	switch {
	case v == nil:
		return "n/a"
	case math.IsNaN(*v) || math.IsInf(*v, 0):
		return "non-finite"
	}
	s := strconv.FormatFloat(*v, 'e', st.digits-1, 64)
	if st.format == "latex" {
		return report.LaTeXSci(s)
	}
	return s
}

// fixedText formats a value with 6 significant digits, n/a for nil.
func fixedText(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

// csvFloat is the shortest text that reads back as v, empty for nil (pandas
// reads an empty cell as NaN).
func csvFloat(v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func ptr(v float64) *float64 { return &v }

// numColumn is a numeric column; sci chooses the deviation format (else 6
// significant digits).
func numColumn(group, header, key string, sci bool, get func(r *checkpoint.Report) *float64) measureColumn {
	return measureColumn{group: group, header: header, key: key, right: true,
		text: func(r *checkpoint.Report, st tableStyle) string {
			if sci {
				return sciText(get(r), st)
			}
			return fixedText(get(r))
		},
		csv: func(r *checkpoint.Report) string { return csvFloat(get(r)) }}
}

func intColumn(group, header, key string, get func(r *checkpoint.Report) int) measureColumn {
	f := func(r *checkpoint.Report) string { return strconv.Itoa(get(r)) }
	return measureColumn{group: group, header: header, key: key, right: true, text: func(r *checkpoint.Report, _ tableStyle) string { return f(r) }, csv: f}
}

// fstar is f* as a float64, nil without a prediction.
func fstar(r *checkpoint.Report) *float64 {
	if r.PredictedObjective == nil {
		return nil
	}
	f, err := strconv.ParseFloat(*r.PredictedObjective, 64)
	if err != nil {
		return nil
	}
	return &f
}

// measureColumns returns every column of the checkpoint table (fit and
// test columns only when some report has them).
func measureColumns(reports []*checkpoint.Report) []measureColumn {
	cols := []measureColumn{
		intColumn(groupBound, "K", "K", func(r *checkpoint.Report) int { return r.K }),
		intColumn(groupBound, "N", "N", func(r *checkpoint.Report) int { return r.N }),
		intColumn(groupBound, "d", "d", func(r *checkpoint.Report) int { return r.D }),
		numColumn(groupBound, "objective", "objective", false, func(r *checkpoint.Report) *float64 { return ptr(r.Objective) }),
		{group: groupBound, header: "f*", key: "predicted_objective", right: true,
			text: func(r *checkpoint.Report, _ tableStyle) string { return fixedText(fstar(r)) },
			csv: func(r *checkpoint.Report) string {
				if r.PredictedObjective == nil {
					return ""
				}
				return *r.PredictedObjective
			}},
		numColumn(groupBound, "gap", "objective_gap", true, func(r *checkpoint.Report) *float64 { return r.ObjectiveGap }),
		numColumn(groupBound, "LB", "lower_bound", false, func(r *checkpoint.Report) *float64 { return r.LowerBound }),
		numColumn(groupBound, "f - LB", "bound_gap", true, func(r *checkpoint.Report) *float64 { return r.BoundGap }),
		numColumn(groupBound, "omega/s", "dual_norm_ratio", false, func(r *checkpoint.Report) *float64 { return r.DualNormRatio }),
		{group: groupBound, header: "descent", key: "descent_classes",
			text: func(r *checkpoint.Report, _ tableStyle) string {
				if r.LowerBound == nil {
					return "n/a"
				}
				return clipCell(checkpoint.ClassList(r.DescentClasses), 20)
			},
			csv: func(r *checkpoint.Report) string { return spaced(r.DescentClasses) }},
		numColumn(groupPrediction, "NC1", "nc1", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC1 }),
		numColumn(groupPrediction, "NC2_H", "nc2_h", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2H }),
		numColumn(groupPrediction, "NC2_W", "nc2_w", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2W }),
		numColumn(groupPrediction, "NC2_W bal", "nc2_w_balanced", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WBalanced }),
		numColumn(groupPrediction, "NC2_WWT", "nc2_wwt", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC2WWT }),
		numColumn(groupPrediction, "NC3_WH", "nc3_wh", true, func(r *checkpoint.Report) *float64 { return r.Metrics.NC3WH }),
		numColumn(groupPrediction, "max cos", "max_cos", true, func(r *checkpoint.Report) *float64 { return ptr(r.Metrics.MaxCos) }),
		numColumn(groupPrediction, "margin err", "margin_error", true, func(r *checkpoint.Report) *float64 { return r.Metrics.MarginError }),
		{group: groupPrediction, header: "collapse", key: "collapse_agree", text: collapseText,
			csv: func(r *checkpoint.Report) string {
				if r.Metrics.CollapseAgree == nil {
					return ""
				}
				return strconv.FormatBool(*r.Metrics.CollapseAgree)
			}},
		{group: groupPrediction, header: "", key: "collapse_disagree", csv: func(r *checkpoint.Report) string { return spaced(r.Metrics.Disagree) }},
		numColumn(groupStructure, "accuracy", "accuracy", false, func(r *checkpoint.Report) *float64 { return ptr(r.Metrics.Accuracy) }),
		numColumn(groupStructure, "NC4", "nc4", false, func(r *checkpoint.Report) *float64 { return r.Metrics.NC4 }),
		numColumn(groupStructure, "equinorm mu", "equinorm_means", true, func(r *checkpoint.Report) *float64 { return r.Metrics.EquinormMeans }),
		numColumn(groupStructure, "equinorm W", "equinorm_classifier", true, func(r *checkpoint.Report) *float64 { return r.Metrics.EquinormClassifier }),
		numColumn(groupStructure, "equiangular", "equiangularity", true, func(r *checkpoint.Report) *float64 { return r.Metrics.Equiangularity }),
		numColumn(groupStructure, "self-dual", "self_duality", true, func(r *checkpoint.Report) *float64 { return r.Metrics.SelfDuality }),
		numColumn(groupStructure, "CDNV", "cdnv", true, func(r *checkpoint.Report) *float64 { return r.Metrics.CDNV }),
		numColumn(groupStructure, "GNC2", "gnc2", true, func(r *checkpoint.Report) *float64 { return r.Metrics.GNC2 }),
		numColumn(groupStructure, "bias rel", "bias_relation", true, func(r *checkpoint.Report) *float64 { return ptr(r.Metrics.BiasRelation) }),
	}
	fitted, tested := false, false
	for _, r := range reports {
		fitted, tested = fitted || r.Fitted, tested || r.Test != nil
	}
	if fitted {
		cols = append(cols,
			measureColumn{group: groupFit, header: "lambda_W (fit)", key: "lambda_w", right: true,
				text: func(r *checkpoint.Report, _ tableStyle) string { return r.LambdaW }, csv: func(r *checkpoint.Report) string { return r.LambdaW }},
			measureColumn{group: groupFit, header: "lambda_H (fit)", key: "lambda_h", right: true,
				text: func(r *checkpoint.Report, _ tableStyle) string { return r.LambdaH }, csv: func(r *checkpoint.Report) string { return r.LambdaH }})
	}
	if tested {
		cols = append(cols, testColumns()...)
	}
	return cols
}

// testColumns are the columns of the test split (empty without one).
func testColumns() []measureColumn {
	test := func(get func(t *checkpoint.TestReport) *float64) func(r *checkpoint.Report) *float64 {
		return func(r *checkpoint.Report) *float64 {
			if r.Test == nil {
				return nil
			}
			return get(r.Test)
		}
	}
	return []measureColumn{
		{group: groupTest, header: "test N", key: "test_n", right: true,
			text: func(r *checkpoint.Report, _ tableStyle) string { return testN(r, "-") },
			csv:  func(r *checkpoint.Report) string { return testN(r, "") }},
		numColumn(groupTest, "test loss", "test_loss", false, test(func(t *checkpoint.TestReport) *float64 { return &t.Loss })),
		numColumn(groupTest, "test accuracy", "test_accuracy", false, test(func(t *checkpoint.TestReport) *float64 { return &t.Accuracy })),
		numColumn(groupTest, "test NC4", "test_nc4", false, test(func(t *checkpoint.TestReport) *float64 { return t.NC4 })),
		numColumn(groupTest, "test NC1", "test_nc1", true, test(func(t *checkpoint.TestReport) *float64 { return t.NC1 })),
	}
}

func testN(r *checkpoint.Report, none string) string {
	if r.Test == nil {
		return none
	}
	return strconv.Itoa(r.Test.N)
}

// collapseText is ok when the measured alive classes are the predicted
// ones, else the classes that differ; n/a without a prediction.
func collapseText(r *checkpoint.Report, _ tableStyle) string {
	if r.Metrics.CollapseAgree == nil {
		return "n/a"
	}
	if *r.Metrics.CollapseAgree {
		return "ok"
	}
	return clipCell("differs "+checkpoint.ClassList(r.Metrics.Disagree), 24)
}

// spaced writes classes separated by spaces ("" for none).
func spaced(ks []int) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = strconv.Itoa(k)
	}
	return strings.Join(s, " ")
}

// clipCell shortens a cell to at most n characters (the full value is in
// the JSON and CSV output).
func clipCell(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// rowNames names each checkpoint's row: its epoch, or #i (the file listed
// in a note) when it has none.
func rowNames(reports []*checkpoint.Report) (names []string, notes []string) {
	for i, r := range reports {
		if r.Epoch != nil {
			names = append(names, strconv.FormatInt(*r.Epoch, 10))
			continue
		}
		name := "#" + strconv.Itoa(i+1)
		names = append(names, name)
		notes = append(notes, name+": "+r.File)
	}
	return names, notes
}

// writeMeasureTables writes the checkpoint tables (the groups, or one wide
// table with st.all), their notes (the lambdas, the bound, each
// checkpoint's diagnosis, the reasons of every n/a), and with st.classes
// the per-class tables. CSV is one table: the checkpoints, or with
// st.classes the classes of every checkpoint (long format).
func writeMeasureTables(w io.Writer, reports []*checkpoint.Report, st tableStyle) error {
	if st.format == "csv" {
		if st.classes {
			return writeClassesCSV(w, reports)
		}
		return writeCheckpointsCSV(w, reports)
	}
	cols := measureColumns(reports)
	names, fileNotes := rowNames(reports)
	groups := []string{groupBound, groupPrediction, groupStructure, groupFit, groupTest}
	if st.all {
		groups = []string{""}
	}
	first := true
	for _, g := range groups {
		t := &report.Table{Header: []string{"epoch"}, Align: []report.Align{report.AlignRight}, Title: groupTitle(g, reports)}
		var picked []measureColumn
		for _, c := range cols {
			if c.header != "" && (g == "" || c.group == g) {
				picked = append(picked, c)
				t.Header = append(t.Header, headerIn(c.header, st.format))
				t.Align = append(t.Align, align(c.right))
			}
		}
		if len(picked) == 0 {
			continue
		}
		for i, r := range reports {
			row := []string{names[i]}
			for _, c := range picked {
				row = append(row, c.text(r, st))
			}
			t.Rows = append(t.Rows, row)
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		if err := t.Write(w, st.format); err != nil {
			return err
		}
		notes := groupNotes(g, reports, names)
		if g == groupBound || g == "" {
			notes = append(fileNotes, notes...)
		}
		writeNotes(w, st.format, notes)
	}
	if st.classes {
		return writeClassTables(w, reports, st)
	}
	return nil
}

func align(right bool) report.Align {
	if right {
		return report.AlignRight
	}
	return report.AlignLeft
}

// groupTitle is the one-line title of a group's table.
func groupTitle(g string, reports []*checkpoint.Report) string {
	switch g {
	case groupBound, "":
		title := "Checkpoints: objective f, predicted f*, gap (f - f*)/max(1, |f*|), float64 lower bound LB"
		if len(reports) > 0 && reports[0].Loss != "ce" {
			title += " (loss " + reports[0].Loss + ")"
		}
		return title
	case groupPrediction:
		return "Against the predicted global minimizer (theory.md sections 8 and 10)"
	case groupStructure:
		gm := "weighted"
		if len(reports) > 0 {
			gm = reports[0].Metrics.GlobalMean.String()
		}
		return "Structure metrics of the balanced neural-collapse literature (mu_G: " + gm + ")"
	case groupFit:
		return "Lambdas fitted per checkpoint (the predicted values follow the fit)"
	case groupTest:
		return "Test split, measured with the training class means and W"
	}
	return ""
}

// groupNotes are the lines printed under a group's table: what the bound
// means and the diagnosis of each checkpoint (bound), where the lambdas
// come from, the scope of the prediction, and the reason of every n/a.
func groupNotes(g string, reports []*checkpoint.Report, names []string) []string {
	var notes []string
	if g == groupBound || g == "" {
		notes = append(notes, lambdaNotes(reports)...)
		notes = append(notes, "LB: lower bound on the global minimum for every d (theory.md section 11), in float64: a bracket, not a proof;",
			"f - LB bounds how far f is above it. omega/s > 1, or a descent class (r_k > 1), means f is not the minimum for large d.")
		for i, r := range reports {
			notes = append(notes, "epoch "+names[i]+": "+r.Diagnosis)
		}
		if g == "" {
			g = "*"
		}
	}
	notes = append(notes, undefinedNotes(g, reports, names)...)
	return notes
}

// lambdaNotes say where the lambdas of each run come from.
func lambdaNotes(reports []*checkpoint.Report) []string {
	var notes []string
	seen := map[string]bool{}
	for _, r := range reports {
		var line string
		switch {
		case r.Fitted:
			line = "lambdas fitted per checkpoint (--fit)"
		case r.LambdaSource != "":
			line = fmt.Sprintf("lambda_W = %s, lambda_H = %s (from %s)", r.LambdaW, r.LambdaH, r.LambdaSource)
		default:
			line = fmt.Sprintf("lambda_W = %s, lambda_H = %s", r.LambdaW, r.LambdaH)
		}
		if !seen[line] {
			seen[line] = true
			notes = append(notes, line)
		}
		if r.Bias && !seen["bias"] {
			seen["bias"] = true
			notes = append(notes, "the checkpoints have a bias: it enters f (unpenalised) and LB; the prediction is bias-free")
		}
	}
	return notes
}

// undefinedGroups maps each group to the JSON keys whose reasons its table
// explains.
func undefinedGroups() map[string][]string {
	return map[string][]string{
		groupBound:      {"predicted_objective", "lower_bound"},
		groupPrediction: {"nc1", "nc2_h", "nc2_w", "nc2_w_balanced", "nc2_wwt", "nc3_wh", "margin_error", "collapse_agree"},
		groupStructure:  {"nc4", "equinorm_means", "equinorm_classifier", "equiangularity", "self_duality", "cdnv", "gnc2"},
		groupTest:       {"test nc4", "test nc1"},
	}
}

// undefinedNotes lists, for the keys of group g ("*": every group), every
// reason of an n/a with the checkpoints it applies to, the keys that share
// a reason and checkpoints on one line: "n/a cdnv (epochs 1, 10): classes 2
// and 3 have the same mean".
func undefinedNotes(g string, reports []*checkpoint.Report, names []string) []string {
	want := map[string]bool{}
	for group, keys := range undefinedGroups() {
		for _, k := range keys {
			want[k] = want[k] || g == "*" || group == g
		}
	}
	type entry struct{ key, reason string }
	where := map[entry][]string{}
	var order []entry
	add := func(key, reason, name string) {
		if !want[key] {
			return
		}
		e := entry{key, reason}
		if where[e] == nil {
			order = append(order, e)
		}
		where[e] = append(where[e], name)
	}
	for i, r := range reports {
		if r.PredictedObjective == nil {
			add("predicted_objective", "no prediction: "+r.Scope, names[i])
		}
		if r.LowerBound == nil {
			add("lower_bound", r.Undefined["lower_bound"], names[i])
		}
		for _, k := range sortedKeys(r.Metrics.Undefined) {
			add(k, r.Metrics.Undefined[k], names[i])
		}
		if r.Test != nil {
			for _, k := range sortedKeys(r.Test.Undefined) {
				add("test "+k, r.Test.Undefined[k], names[i])
			}
		}
	}
	// One line per reason and set of checkpoints, naming every key.
	type line struct{ reason, epochs string }
	keys := map[line][]string{}
	var lines []line
	for _, e := range order {
		l := line{e.reason, epochWord(where[e])}
		if keys[l] == nil {
			lines = append(lines, l)
		}
		keys[l] = append(keys[l], e.key)
	}
	var notes []string
	for _, l := range lines {
		notes = append(notes, fmt.Sprintf("n/a %s (%s): %s", strings.Join(keys[l], ", "), l.epochs, l.reason))
	}
	return notes
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// epochWord is "epoch 3" or "epochs 1, 2, 5" (at most six, then "and N
// more").
func epochWord(names []string) string {
	if len(names) == 1 {
		return "epoch " + names[0]
	}
	if len(names) > 6 {
		return "epochs " + strings.Join(names[:6], ", ") + fmt.Sprintf(" and %d more", len(names)-6)
	}
	return "epochs " + strings.Join(names, ", ")
}

// writeNotes writes lines under a table: plain lines wrapped at textWidth
// in text, a bullet list in Markdown, comments in LaTeX.
func writeNotes(w io.Writer, format string, notes []string) {
	if len(notes) == 0 {
		return
	}
	switch format {
	case "markdown":
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "- "+markdownEscape(n))
		}
	case "latex":
		for _, n := range notes {
			fmt.Fprintln(w, "% "+n)
		}
	default:
		for _, n := range notes {
			for _, line := range wrapLine(n, textWidth, "    ") {
				fmt.Fprintln(w, line)
			}
		}
	}
}

// markdownEscape escapes the characters that Markdown would read as
// emphasis or a table in a line of text.
func markdownEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "|", `\|`).Replace(s)
}

// wrapLine breaks s at spaces into lines of at most width characters, the
// lines after the first indented.
func wrapLine(s string, width int, indent string) []string {
	var out []string
	for len(s) > width {
		cut := strings.LastIndexByte(s[:width+1], ' ')
		if cut <= len(indent) {
			break
		}
		out = append(out, s[:cut])
		s = indent + strings.TrimLeft(s[cut:], " ")
	}
	return append(out, s)
}

// writeCheckpointsCSV writes one row per checkpoint: file and epoch, then
// every column's CSV value under its JSON key.
func writeCheckpointsCSV(w io.Writer, reports []*checkpoint.Report) error {
	cols := measureColumns(reports)
	t := &report.Table{Header: []string{"file", "epoch", "lambda_w", "lambda_h", "loss"}}
	for _, c := range cols {
		if c.group != groupFit {
			t.Header = append(t.Header, c.key)
		}
	}
	t.Header = append(t.Header, "perron_ratio", "free_coordinates", "alive_classes", "predicted_alive_classes", "global_mean", "diagnosis")
	for _, r := range reports {
		row := []string{r.File, epochCSV(r), r.LambdaW, r.LambdaH, r.Loss}
		for _, c := range cols {
			if c.group != groupFit {
				row = append(row, c.csv(r))
			}
		}
		pa := ""
		if r.PredictedAlive != nil {
			pa = strconv.Itoa(*r.PredictedAlive)
		}
		row = append(row, csvFloat(r.PerronRatio), strconv.Itoa(r.FreeCoordinates), strconv.Itoa(r.Alive), pa, r.Metrics.GlobalMean.String(), r.Diagnosis)
		t.Rows = append(t.Rows, row)
	}
	return t.Write(w, "csv")
}

func epochCSV(r *checkpoint.Report) string {
	if r.Epoch == nil {
		return ""
	}
	return strconv.FormatInt(*r.Epoch, 10)
}

// fileTitle names a checkpoint in a per-class table's title.
func fileTitle(r *checkpoint.Report) string {
	name := filepath.Base(r.File)
	if r.Epoch != nil {
		return fmt.Sprintf("epoch %d (%s)", *r.Epoch, name)
	}
	return name
}
