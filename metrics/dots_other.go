//go:build !amd64 || noasm

package metrics

// Without amd64 assembly (another architecture, or the noasm build tag)
// dotsRows runs dots in Go for every row.

const bestLevel = levelGo

func dotsAsm(level kernelLevel, z, x, q []float64, d, kp int) int { return 0 }
