//go:build !amd64 || noasm

package metrics

// Without amd64 assembly (another architecture, or the noasm build tag)
// dotsRows runs dots in Go for every row, and widen and centre their Go
// loops.

const bestLevel = levelGo

func dotsAsm(level kernelLevel, z, x, q []float64, d, kp int) int { return 0 }

func widenAsm[T float32 | float64](level kernelLevel, dst, sum []float64, src []T, s *[lanes]float64) int {
	return 0
}

func centreAsm[T float32 | float64](level kernelLevel, dst []float64, src []T, mu []float64, s *[lanes]float64) int {
	return 0
}

func expAsm(level kernelLevel, dst, z []float64, zmax float64) int { return 0 }
