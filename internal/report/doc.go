// Package report renders a table of strings as plain text, Markdown, LaTeX
// (booktabs), or CSV, so every nccheck command prints its tables the same
// way. Text and Markdown go through github.com/olekukonko/tablewriter.
package report
