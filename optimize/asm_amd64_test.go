//go:build amd64 && !noasm

package optimize

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// TestDotGonumOrder: dot gives the bits of gonum's amd64 floats.Dot (the
// order the iterates of TestIteratesGolden were recorded with).
func TestDotGonumOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 31, 100, 1001} {
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()*1e3
		}
		if got, want := dot(a, b), floats.Dot(a, b); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n = %d: dot %v, floats.Dot %v", n, got, want)
		}
	}
}

// TestGeneratedKernelCurrent: kernel_amd64.s is the output of gen_kernel.go
// (regenerated into a temporary directory and compared).
func TestGeneratedKernelCurrent(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the generator")
	}
	out := filepath.Join(t.TempDir(), "kernel_amd64.s")
	cmd := exec.Command(gobin, "run", "gen_kernel.go", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_kernel.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("kernel_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("kernel_amd64.s is not the output of gen_kernel.go: run go generate ./optimize/")
	}
}
