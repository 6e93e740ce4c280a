package main

// extraCommands lists the commands beyond predict. Each command lives in its
// own file; add it here.
func extraCommands() []command {
	return []command{
		{"measure", "measure trained-network checkpoints (.npz) against the prediction, epoch by epoch", runMeasure},
		{"kkt", "exact (big-float) KKT residual of the predicted point, optional Hessian test", runKKT},
		{"report", "merge verify row files (shards, interrupted runs) and render them without recomputing", runReport},
		{"solve", "solve the training problem numerically (projected L-BFGS, restarts, escapes)", runSolve},
		{"verify", "compare prediction and numerical solution over settings, with verdicts", runVerify},
	}
}
