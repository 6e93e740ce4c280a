package main

import (
	"fmt"
	"io"
	"strconv"

	"nccheck/checkpoint"
	"nccheck/internal/report"
)

// classColumn is one column of the per-class tables: header, CSV key, and
// the cell of class k of a report in the table formats and in CSV.
type classColumn struct {
	header, key string
	text, csv   func(r *checkpoint.Report, k int) string
}

func classNum(header, key string, get func(c checkpoint.ClassReport) *float64) classColumn {
	return classColumn{header: header, key: key,
		text: func(r *checkpoint.Report, k int) string { return fixedText(get(r.Classes[k])) },
		csv:  func(r *checkpoint.Report, k int) string { return csvFloat(get(r.Classes[k])) }}
}

func classText(header, key string, get func(c checkpoint.ClassReport) string) classColumn {
	f := func(r *checkpoint.Report, k int) string { return get(r.Classes[k]) }
	return classColumn{header: header, key: key, text: f, csv: f}
}

// predictedStatus is the predicted status of a class: alive or collapsed,
// "" without a prediction.
func predictedStatus(c checkpoint.ClassReport) string {
	switch {
	case c.PredictedCollapsed == nil:
		return ""
	case *c.PredictedCollapsed:
		return "collapsed"
	}
	return "alive"
}

// classColumns returns the columns of the two per-class tables: against the
// prediction, and measured (status, accuracy, NC4, worst margin, mean
// probability, r_k, and the test split's per-class accuracy and NC4).
func classColumns() (vsPrediction, measured []classColumn) {
	vsPrediction = []classColumn{
		classText("n_k", "n", func(c checkpoint.ClassReport) string { return strconv.Itoa(c.N) }),
		classNum("M_k", "margin", func(c checkpoint.ClassReport) *float64 { return ptr(c.Margin) }),
		classNum("M_k pred", "predicted_margin", func(c checkpoint.ClassReport) *float64 { return c.PredictedMargin }),
		classNum("rho_k", "feature_norm_sq", func(c checkpoint.ClassReport) *float64 { return ptr(c.FeatureNormSq) }),
		classNum("rho_k pred", "predicted_feature_norm_sq", func(c checkpoint.ClassReport) *float64 { return c.PredictedFeatureNormSq }),
		classNum("||w_k||^2", "classifier_norm_sq", func(c checkpoint.ClassReport) *float64 { return ptr(c.ClassifierNormSq) }),
		classNum("pred", "predicted_classifier_norm_sq", func(c checkpoint.ClassReport) *float64 { return c.PredictedClassifierNormSq }),
		classNum("cos(w_k,mu_k)", "cos_w_mu", func(c checkpoint.ClassReport) *float64 { return ptr(c.CosWMu) }),
		classNum("pred", "predicted_cos_w_mu", func(c checkpoint.ClassReport) *float64 { return c.PredictedCosWMu }),
	}
	measured = []classColumn{
		classText("status", "status", func(c checkpoint.ClassReport) string { return c.Status.String() }),
		{header: "pred", key: "predicted_status", text: func(r *checkpoint.Report, k int) string {
			if s := predictedStatus(r.Classes[k]); s != "" {
				return s
			}
			return "n/a"
		}, csv: func(r *checkpoint.Report, k int) string { return predictedStatus(r.Classes[k]) }},
		{header: "merged with", key: "merged_with", text: func(r *checkpoint.Report, k int) string {
			if m := r.Classes[k].MergedWith; m != nil {
				return strconv.Itoa(*m)
			}
			return "-"
		}, csv: func(r *checkpoint.Report, k int) string {
			if m := r.Classes[k].MergedWith; m != nil {
				return strconv.Itoa(*m)
			}
			return ""
		}},
		classNum("accuracy", "accuracy", func(c checkpoint.ClassReport) *float64 { return ptr(c.Accuracy) }),
		classNum("NC4", "nc4", func(c checkpoint.ClassReport) *float64 { return c.NC4 }),
		classNum("worst margin", "worst_margin", func(c checkpoint.ClassReport) *float64 { return ptr(c.WorstMargin) }),
		classNum("p_k", "probability", func(c checkpoint.ClassReport) *float64 { return ptr(c.Probability) }),
		classNum("r_k", "r", func(c checkpoint.ClassReport) *float64 { return c.R }),
	}
	return vsPrediction, measured
}

// testClassColumns are the per-class columns of a test split.
func testClassColumns() []classColumn {
	get := func(r *checkpoint.Report, k int) (n int, acc, nc4 *float64) {
		if r.Test == nil || k >= len(r.Test.Classes) {
			return -1, nil, nil
		}
		c := r.Test.Classes[k]
		return c.N, c.Accuracy, c.NC4
	}
	return []classColumn{
		{header: "test n_k", key: "test_n", text: func(r *checkpoint.Report, k int) string {
			if n, _, _ := get(r, k); n >= 0 {
				return strconv.Itoa(n)
			}
			return "-"
		}, csv: func(r *checkpoint.Report, k int) string {
			if n, _, _ := get(r, k); n >= 0 {
				return strconv.Itoa(n)
			}
			return ""
		}},
		{header: "test accuracy", key: "test_accuracy",
			text: func(r *checkpoint.Report, k int) string { _, a, _ := get(r, k); return fixedText(a) },
			csv:  func(r *checkpoint.Report, k int) string { _, a, _ := get(r, k); return csvFloat(a) }},
		{header: "test NC4", key: "test_nc4",
			text: func(r *checkpoint.Report, k int) string { _, _, v := get(r, k); return fixedText(v) },
			csv:  func(r *checkpoint.Report, k int) string { _, _, v := get(r, k); return csvFloat(v) }},
	}
}

// writeClassTables writes, for each checkpoint, its classes against the
// prediction and its measured classes (with the test split's when there is
// one).
func writeClassTables(w io.Writer, reports []*checkpoint.Report, st tableStyle) error {
	vs, measured := classColumns()
	for _, r := range reports {
		cols := measured
		if r.Test != nil {
			cols = append(append([]classColumn(nil), measured...), testClassColumns()...)
		}
		tables := []struct {
			title string
			cols  []classColumn
		}{{"Classes of " + fileTitle(r) + " against the prediction", vs}, {"Classes of " + fileTitle(r) + ": measured", cols}}
		if st.all {
			tables = tables[:1]
			tables[0].title = "Classes of " + fileTitle(r)
			tables[0].cols = append(append([]classColumn(nil), vs...), cols...)
		}
		for _, tb := range tables {
			t := &report.Table{Title: tb.title, Header: []string{"class"}, Align: []report.Align{report.AlignRight}}
			for _, c := range tb.cols {
				t.Header = append(t.Header, headerIn(c.header, st.format))
				t.Align = append(t.Align, report.AlignRight)
			}
			for k := range r.Classes {
				row := []string{strconv.Itoa(k)}
				for _, c := range tb.cols {
					row = append(row, c.text(r, k))
				}
				t.Rows = append(t.Rows, row)
			}
			fmt.Fprintln(w)
			if err := t.Write(w, st.format); err != nil {
				return err
			}
		}
		if len(r.Undefined) > 0 || classUndefined(r) != "" {
			writeNotes(w, st.format, classNotes(r))
		}
	}
	return nil
}

// classUndefined is the reason of the classes' n/a NC4 ("" when none).
func classUndefined(r *checkpoint.Report) string {
	for _, c := range r.Classes {
		if reason, ok := c.Undefined["nc4"]; ok {
			return reason
		}
	}
	return ""
}

// classNotes explain the n/a cells of a checkpoint's class tables.
func classNotes(r *checkpoint.Report) []string {
	var notes []string
	if reason := classUndefined(r); reason != "" {
		notes = append(notes, "n/a NC4: "+reason)
	}
	if reason, ok := r.Undefined["r"]; ok {
		notes = append(notes, "n/a r_k: "+reason)
	}
	if r.PredictedObjective == nil {
		notes = append(notes, "n/a pred: no prediction: "+r.Scope)
	}
	return notes
}

// writeClassesCSV writes the long class table: one row per checkpoint and
// class (file, epoch, class, then every per-class column under its JSON
// key).
func writeClassesCSV(w io.Writer, reports []*checkpoint.Report) error {
	vs, measured := classColumns()
	cols := append(append(append([]classColumn(nil), vs...), measured...), testClassColumns()...)
	t := &report.Table{Header: []string{"file", "epoch", "class"}}
	for _, c := range cols {
		t.Header = append(t.Header, c.key)
	}
	for _, r := range reports {
		for k := range r.Classes {
			row := []string{r.File, epochCSV(r), strconv.Itoa(k)}
			for _, c := range cols {
				row = append(row, c.csv(r, k))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t.Write(w, "csv")
}
