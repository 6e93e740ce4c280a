package checkpoint

import (
	"bytes"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"nccheck/setting"
)

// checkError asserts err is a one-line *Error on the file and array whose
// reason contains want.
func checkError(t *testing.T, err error, path, array, want string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) || ce.File != path || ce.Array != array {
		t.Fatalf("error %v (%T), want an *Error on array %q", err, err, array)
	}
	if msg := err.Error(); !strings.Contains(msg, want) || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message %q: want one line containing %q", msg, want)
	}
}

// TestHostileArchives: the probes of issue 18 on .npz files (defects 2, 6
// and 7): each crafted file is refused with one line naming the file and
// the array, before anything of the size it claims is allocated.
func TestHostileArchives(t *testing.T) {
	dir := t.TempDir()
	two := func(a, b rawMember) []rawMember { return append(goodMembers(), a, b)[1:] }
	tests := []struct {
		name          string
		members       []rawMember
		array, reason string
	}{
		{"features (10^12, 512) with a tiny body", replaced("features.npy", npyV1(npyHeader("<f4", 1000000000000, 512), f32s(1, 2))),
			ArrayFeatures, "declares shape [1000000000000 512] of <f4 (2048000000000000 bytes of data) but its member holds 8 bytes"},
		{"features (2^32, 2^32)", replaced("features.npy", npyV1(npyHeader("<f4", 1<<32, 1<<32), nil)),
			ArrayFeatures, "has more elements than an int can count"},
		{"classifier (3, 10^10)", replaced("classifier.npy", npyV1(npyHeader("<f4", 3, 10000000000), f32s(1))),
			ArrayClassifier, "holds 4 bytes"},
		{"labels claiming 10^12 with a tiny body", replaced("labels.npy", npyV1(npyHeader("<i8", 1000000000000), i64s(0))),
			ArrayLabels, "holds 8 bytes"},
		{"version 2 header claiming 0xFFFFFFF0 bytes", replaced("labels.npy", []byte("\x93NUMPY\x02\x00\xf0\xff\xff\xff{'descr'")),
			ArrayLabels, "header length 4294967280 exceeds the limit"},
		{"header of length 0", replaced("labels.npy", npyV1("", i64s(0, 1, 1))), ArrayLabels, "not a readable .npy array"},
		{"short header", replaced("labels.npy", npyV1("{'descr'", nil)), ArrayLabels, "not a readable .npy array"},
		{"no closing brace", replaced("labels.npy", npyV1("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), ", i64s(0, 1, 1))),
			ArrayLabels, "not a readable .npy array"},
		{"shape (2^62, 2)", replaced("features.npy", npyV1(npyHeader("<f4", 1<<62, 2), nil)), ArrayFeatures, "not a readable .npy array"},
		{"(60, 8, 2) without the trailing comma", replaced("features.npy",
			npyV1("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2, 2)}", f32s(1, 0, 0, 1, 0, 2, 1, 0, 0, 1, 0, 2))),
			ArrayFeatures, "has shape [3 2 2]; want 2 dimensions"},
		{"duplicate member", two(goodMembers()[0], rawMember{name: "features.npy", data: goodMembers()[0].data}),
			ArrayFeatures, `two members named features.npy`},
		{"features and features.npy", two(goodMembers()[0], rawMember{name: "features", data: goodMembers()[0].data}),
			ArrayFeatures, "both features.npy and features"},
		{"trailing bytes after the data", replaced("labels.npy", npyV1(npyHeader("<i8", 3), i64s(0, 1, 1, 1))),
			ArrayLabels, "has 8 bytes after the 24 bytes of data"},
		{"flipped bit in the classifier", func() []rawMember {
			ms := goodMembers()
			m := rawOf(ms[2])
			m.data = bytes.Clone(m.data)
			m.data[len(m.data)-1] ^= 0x10
			ms[2] = m
			return ms
		}(), ArrayClassifier, "corrupt (zip checksum mismatch)"},
		{"CRC recorded as 0", func() []rawMember {
			ms := goodMembers()
			m := rawOf(ms[1])
			m.crc = 0
			ms[1] = m
			return ms
		}(), ArrayLabels, "CRC-32 of 0"},
		{"directory size larger than the stream", func() []rawMember {
			ms := goodMembers()
			m := rawOf(ms[1])
			m.data = m.data[:len(m.data)-8]
			m.crc = crc32.ChecksumIEEE(m.data)
			ms[1] = m
			return ms
		}(), ArrayLabels, "truncated"},
		{"big-endian length field of a version 2 header", replaced("labels.npy", append([]byte("\x93NUMPY\x02\x00\x00\x00\x00\x40"), npyHeader("<i8", 3)...)),
			ArrayLabels, "not a readable .npy array"},
		{"pickled object array", replaced("labels.npy", npyV1(npyHeader("|O", 3), []byte("\x80\x02cos\nsystem\n"))),
			ArrayLabels, "has dtype |O; want an integer dtype"},
		{"bool labels", replaced("labels.npy", npyV1(npyHeader("|b1", 3), []byte{0, 1, 1})), ArrayLabels, "has dtype |b1"},
		{"control characters in a member name", append(goodMembers()[1:], rawMember{name: "feat\x1b[31m", data: nil}),
			ArrayFeatures, `"feat\x1b[31m"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "probe.npz")
			writeZip(t, path, tc.members...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Open(path)
			runtime.ReadMemStats(&after)
			t.Log(err)
			checkError(t, err, path, tc.array, tc.reason)
			if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
				t.Errorf("refusing it allocated %d bytes", d)
			}
		})
	}
}

// TestHeadersNumPyReads: headers numpy loads that the original library
// misread or panicked on (another key order, no final newline, double
// quotes, comments, version 3.0) give the same measurement as numpy's
// canonical header.
func TestHeadersNumPyReads(t *testing.T) {
	dir := t.TempDir()
	opt := Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")}
	measure := func(ms []rawMember) *Report {
		path := filepath.Join(dir, "h.npz")
		writeZip(t, path, ms...)
		c, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Measure(c, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := measure(goodMembers())
	data := f32s(1, 0, 0, 1, 0, 2)
	for _, h := range []string{
		"{'shape': (3, 2), 'fortran_order': False, 'descr': '<f4'}",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)}",
		`{"descr": "<f4", "fortran_order": False, "shape": (3, 2,)}` + "\n",
		"{'descr': '<f4', # float32\n 'fortran_order': False, 'shape': (0x3, 2)}\n",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L)}\n",
	} {
		got := measure(replaced("features.npy", npyV1(h, data)))
		if got.Objective != want.Objective || *got.Metrics.NC1 != *want.Metrics.NC1 {
			t.Errorf("header %q: objective %v, NC1 %v; the canonical header gives %v, %v", h, got.Objective, *got.Metrics.NC1, want.Objective, *want.Metrics.NC1)
		}
	}
	v3 := append([]byte("\x93NUMPY\x03\x00\x3a\x00\x00\x00"), "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)}\n"...)
	if got := measure(replaced("features.npy", append(v3, data...))); got.Objective != want.Objective {
		t.Errorf("version 3.0: objective %v, want %v", got.Objective, want.Objective)
	}
	// Fortran order: the transpose of the data, flagged.
	fo := npyV1("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }\n", f32s(1, 0, 0, 0, 1, 2))
	if got := measure(replaced("features.npy", fo)); got.Objective != want.Objective {
		t.Errorf("Fortran order: objective %v, want %v", got.Objective, want.Objective)
	}
}

// TestCorruptFeaturesFound: a flipped bit in the streamed features is
// found when the member has been read to its end, and the measurement
// fails instead of reporting a wrong objective.
func TestCorruptFeaturesFound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flip.npz")
	ms := goodMembers()
	m := rawOf(ms[0])
	m.data = bytes.Clone(m.data)
	m.data[len(m.data)-3] ^= 0x01 // a low mantissa bit of the last feature
	ms[0] = m
	writeZip(t, path, ms...)
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Measure(c, Options{LambdaW: setting.MustDecimal("1e-3"), LambdaH: setting.MustDecimal("1e-3")})
	checkError(t, err, path, ArrayFeatures, "corrupt (zip checksum mismatch)")
}

// TestMemoryRefusedBeforeAllocating: a consistent, deflated checkpoint
// whose measurement needs more than the limit (here 2 M labels in 2 MB of
// member inflating from a few KB) is refused before its labels are
// allocated, naming the limit.
func TestMemoryRefusedBeforeAllocating(t *testing.T) {
	const n = 2 << 20
	path := filepath.Join(t.TempDir(), "bomb.npz")
	writeZip(t, path,
		rawMember{name: "features.npy", data: npyV1(npyHeader("<f4", n, 1), make([]byte, 4*n)), deflate: true},
		rawMember{name: "labels.npy", data: npyV1(npyHeader("|u1", n), make([]byte, n)), deflate: true},
		rawMember{name: "classifier.npy", data: npyV1(npyHeader("<f4", 2, 1), f32s(1, -1))})
	if st, _ := os.Stat(path); st.Size() > 100<<10 {
		t.Fatalf("the crafted file has %d bytes", st.Size())
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := OpenWith(path, OpenSettings{MaxMemory: 16 << 20, MemorySource: "test limit"})
	runtime.ReadMemStats(&after)
	checkError(t, err, path, ArrayFeatures, "above the 16 MiB the process may still allocate (test limit)")
	if d := after.TotalAlloc - before.TotalAlloc; d > 2<<20 {
		t.Errorf("refusing it allocated %d bytes", d)
	}
	if _, err := OpenWith(path, OpenSettings{MaxMemory: -1}); err == nil || !strings.Contains(err.Error(), "class 1 has no samples") {
		t.Errorf("without a limit: %v, want the labels read (and class 1 found empty)", err)
	}
}

// TestNonRegularRefused: a FIFO (which would block the open forever) and a
// directory are refused at once (defect 1).
func TestNonRegularRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.npz")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	done := make(chan error, 2)
	go func() { _, err := Open(fifo); done <- err }()
	go func() { _, err := Open(dir); done <- err }()
	for i := 0; i < 2; i++ {
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("error %v, want a refusal of a non-regular file", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Open blocked on a FIFO")
		}
	}
}
