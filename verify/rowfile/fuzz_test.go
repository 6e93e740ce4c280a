package rowfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"nccheck/verify"
)

// FuzzReadRows checks the row-file reader:
//
//   - no input makes it panic;
//   - a refusal is a *LineError naming a line of the input, in one line
//     of at most a few hundred characters (it quotes the input clipped);
//   - an acceptance returns rows each under a header, on increasing lines,
//     every one passing verify.CheckRow with its header's tolerances, and an end
//     offset within the input; writing the headers and rows again and
//     reading them back gives the same rows.
//
// The seed corpus is the f.Add calls below (a row file with a row of every
// verdict, and edits of it) plus the files under testdata/fuzz/FuzzReadRows/.
func FuzzReadRows(f *testing.F) {
	cases, cfg, rows := rowRun(f)
	good := rowFileText(f, HeaderOf(cases, cfg), rows)
	lines := strings.SplitAfter(string(good), "\n")
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good[:len(good)/2])
	f.Add([]byte(lines[0] + "\n\n  \n" + lines[1] + lines[0] + lines[2]))
	f.Add([]byte(lines[0] + `{"key":"x"}` + "\n"))
	f.Add([]byte(lines[1]))
	f.Add([]byte(strings.Replace(string(good), `"verdict":"agree"`, `"verdict":"mismatch"`, 1)))
	f.Add([]byte(strings.Replace(string(good), `"tol-cos":"0.0001"`, `"tol-cos":"1e-300"`, 1)))
	f.Add([]byte(""))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := Read(bytes.NewReader(in))
		if err != nil {
			var re *LineError
			msg := err.Error()
			if !errors.As(err, &re) || re.Line < 1 || re.Line > bytes.Count(in, []byte("\n"))+1 {
				t.Fatalf("error %v: want a *LineError on a line of the input", err)
			}
			if strings.ContainsAny(msg, "\n\r") || len(msg) > 600 {
				t.Fatalf("message of %d characters: %q", len(msg), msg)
			}
			return
		}
		if rs.End > int64(len(in)) || len(rs.Rows) != len(rs.Lines) || len(rs.Rows) != len(rs.Under) {
			t.Fatalf("inconsistent result: end %d of %d, %d rows %d lines %d under", rs.End, len(in), len(rs.Rows), len(rs.Lines), len(rs.Under))
		}
		var again bytes.Buffer
		w := NewWriter(&again)
		h := -1
		for i, r := range rs.Rows {
			if rs.Under[i] < 0 || rs.Under[i] >= len(rs.Headers) || (i > 0 && rs.Lines[i] <= rs.Lines[i-1]) {
				t.Fatalf("row %d: header %d of %d, line %d", i, rs.Under[i], len(rs.Headers), rs.Lines[i])
			}
			tol, err := rs.Headers[rs.Under[i]].Tolerances()
			if err != nil {
				t.Fatal(err)
			}
			if err := verify.CheckRow(r, tol); err != nil {
				t.Fatalf("accepted row %d fails CheckRow: %v", i, err)
			}
			for ; h < rs.Under[i]; h++ {
				w.WriteHeader(rs.Headers[h+1])
			}
			w.Write(r)
		}
		back, err := Read(&again)
		if err != nil || len(back.Rows) != len(rs.Rows) {
			t.Fatalf("rewritten rows do not read back: %v", err)
		}
		for i := range rs.Rows {
			if same, _ := sameRow(rs.Rows[i], back.Rows[i]); !same {
				t.Fatalf("row %d reads back different", i)
			}
		}
	})
}
