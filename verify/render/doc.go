// Package render renders the rows of package verify as a table: text (a
// summary that fits TextWidth columns, with the reasons of its rows under
// it), Markdown, LaTeX (booktabs, numbers in math mode), CSV, or JSON lines
// (every field). It computes nothing: every number is a field of a
// verify.Row, and the summary line is verify.Summarize's.
package render
