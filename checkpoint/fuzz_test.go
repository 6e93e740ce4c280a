package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npy"

	"nccheck/setting"
)

// FuzzOpenNPZ checks the .npz reader on crafted archives: the fuzzed bytes
// are one member's .npy stream (features, labels, classifier, bias or
// epoch, the others valid) or, for which >= 5, the whole file.
//
//   - nothing makes Open or Measure panic or allocate beyond the limit
//     (64 MiB here);
//   - a refusal is an *Error on the file, one line of bounded length;
//   - an accepted checkpoint is consistent: N labels in 0..K-1 counting
//     every class, a finite K x d classifier, a bias of K finite entries
//     when present; measuring it either works or fails with one line.
//
// The seed corpus is the f.Add calls below (valid members, the probes of
// TestHostileArchives) plus the files under testdata/fuzz/FuzzOpenNPZ/.
func FuzzOpenNPZ(f *testing.F) {
	for i, m := range goodMembers() {
		f.Add(uint8(i), m.data)
	}
	f.Add(uint8(3), npyV1(npyHeader("<f8", 2), f32s(0, 1, 2, 3)))
	f.Add(uint8(4), npyV1("{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n", i64s(7)))
	f.Add(uint8(0), npyV1("{'shape': (3, 2), 'fortran_order': True, 'descr': '>f4'}", f32s(1, 0, 0, 1, 0, 2)))
	f.Add(uint8(1), npyV1(npyHeader("<i8", 1000000000000), i64s(0)))
	f.Add(uint8(1), []byte("\x93NUMPY\x02\x00\xf0\xff\xff\xff{'descr'"))
	f.Add(uint8(0), npyV1(npyHeader("<f4", 1<<62, 2), nil))
	var whole bytes.Buffer
	path := filepath.Join(f.TempDir(), "seed.npz")
	writeZip(f, path, goodMembers()...)
	b, _ := os.ReadFile(path)
	whole.Write(b)
	f.Add(uint8(5), whole.Bytes())
	names := []string{"features.npy", "labels.npy", "classifier.npy", "bias.npy", "epoch.npy"}
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("slow input: %v (which %d, %d bytes)", d, which, len(data))
			}
		}()
		path := filepath.Join(t.TempDir(), "f.npz")
		if int(which) < len(names) {
			ms := goodMembers()
			if which < 3 {
				ms[which].data = data
			} else {
				ms = append(ms, rawMember{name: names[which], data: data})
			}
			writeZip(t, path, ms...)
		} else if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := OpenWith(path, OpenSettings{MaxMemory: 64 << 20, MemorySource: "fuzz"})
		if err != nil {
			checkFuzzError(t, err, path)
			return
		}
		if len(c.Labels) != c.N || c.K < 2 || c.D < 1 || len(c.Counts) != c.K {
			t.Fatalf("inconsistent checkpoint N=%d K=%d d=%d", c.N, c.K, c.D)
		}
		total := 0
		for k, n := range c.Counts {
			if n < 1 {
				t.Fatalf("class %d has no samples", k)
			}
			total += n
		}
		if r, cc := c.W.Dims(); total != c.N || r != c.K || cc != c.D || firstNonFinite(c.W.RawMatrix().Data) >= 0 || (c.B != nil && (len(c.B) != c.K || firstNonFinite(c.B) >= 0)) {
			t.Fatalf("inconsistent classifier or bias")
		}
		if c.N*c.D > 4096 || c.K > 64 {
			return
		}
		if _, err := Measure(c, opt); err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 500 {
				t.Fatalf("measure: message %q", msg)
			}
		}
	})
}

func checkFuzzError(t *testing.T, err error, path string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) || ce.File != path {
		t.Fatalf("error %v (%T): want an *Error on the file", err, err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 500 {
		t.Fatalf("message of %d characters: %q", len(msg), msg)
	}
}

// FuzzNPYHeader checks the .npy header reader of the (patched) npyio
// library as this package calls it:
//
//   - no header makes it panic;
//   - a refusal is one line of bounded length;
//   - an accepted header has non-negative dimensions whose element count
//     the library can count, and numpy's canonical form of the same
//     header (the one numpy writes) reads back to the same dtype, order
//     and shape.
//
// The seed corpus is the f.Add calls below (headers numpy reads in other
// forms, and the malformed ones of issue 18) plus the files under
// testdata/fuzz/FuzzNPYHeader/.
func FuzzNPYHeader(f *testing.F) {
	for _, h := range []string{
		npyHeader("<f4", 3, 2),
		"{'shape': (3, 2), 'fortran_order': True, 'descr': '>f8'}",
		"{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (0x3,)}\n",
		"{'descr': '<u1', # c\n 'fortran_order': False, 'shape': (1_0, 2L)}",
		"", "{'descr'", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",
		npyHeader("<f4", 1<<62, 2), "{'descr': '<f4', 'fortran_order': False, 'shape': (60, 8, 2)}",
	} {
		f.Add(byte(1), []byte(h))
	}
	f.Fuzz(func(t *testing.T, major byte, header []byte) {
		b := append([]byte("\x93NUMPY"), major%4, 0)
		if major%4 == 1 {
			b = append(b, byte(len(header)), byte(len(header)>>8))
		} else {
			b = append(b, byte(len(header)), byte(len(header)>>8), byte(len(header)>>16), byte(len(header)>>24))
		}
		r, err := npy.NewReader(bytes.NewReader(append(b, header...)))
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 300 {
				t.Fatalf("message of %d characters: %q", len(msg), msg)
			}
			return
		}
		h := r.Header.Descr
		for _, s := range h.Shape {
			if s < 0 {
				t.Fatalf("negative dimension in %v", h.Shape)
			}
		}
		_ = numElems(h.Shape)
		if elemSize(h.Type) == 0 {
			return
		}
		canon := npyV1("{'descr': "+h.Type+", 'fortran_order': "+map[bool]string{false: "False", true: "True"}[h.Fortran]+", 'shape': "+shapeText(h.Shape)+", }\n", nil)
		r2, err := npy.NewReader(bytes.NewReader(canon))
		if err != nil {
			t.Fatalf("canonical form %q refused: %v", canon, err)
		}
		h2 := r2.Header.Descr
		if h2.Type != h.Type || h2.Fortran != h.Fortran || fmt.Sprint(h2.Shape) != fmt.Sprint(h.Shape) {
			t.Fatalf("canonical form reads %+v, the header %+v", h2, h)
		}
	})
}

// shapeText is a shape as numpy writes it: "(3,)", "(2, 3)", "()".
func shapeText(shape []int) string {
	s := make([]string, len(shape))
	for i, v := range shape {
		s[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}
